"""Generated code writes rates without float noise, and the rates stay the same floats.

``final_lr: 10%`` of ``peak_lr: 6e-4`` is ``6e-4 × 0.1 = 5.9999999999999995e-05`` in float64
(the engine's value). The torch, optax and Keras files now write it as ``(0.0006 * 0.1)``, which
Python evaluates to that same float, so every rate is unchanged bit for bit.
"""

from __future__ import annotations

import ast
import random
import re

import pytest

import warmupctl
from warmupctl import interop
from warmupctl.interop import _codegen

NOISY = re.compile(r"\b\d\.\d{12,}(e-?\d+)?\b")


@pytest.mark.parametrize("target", ["torch", "optax", "keras"])
@pytest.mark.parametrize("name", ["gpt3-small", "llama2-7b", "deepseek-llm-7b", "olmo2-7b"])
def test_presets_export_without_float_noise(name, target):
    text = interop.export(warmupctl.load(name), target).text
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert not NOISY.search(code), NOISY.search(code).group()  # e.g. 5.9999999999999995e-05
    ast.parse(text)


def test_the_product_is_the_same_float_bit_for_bit():
    rng = random.Random(7)
    for _ in range(20_000):
        peak = float(f"{rng.uniform(1, 9):.{rng.randint(1, 3)}g}e-{rng.randint(1, 6)}")
        pct = float(f"{rng.uniform(0.1, 99):.{rng.randint(1, 3)}g}")
        x = peak * (pct / 100.0)  # units.Rate.resolve
        text = _codegen.exact_literal(repr(x), [peak])
        assert eval(text) == x, (peak, pct, text)  # noqa: S307 - our own literal


def test_gpt3_small_floor_reads_as_a_tenth_of_the_peak():
    text = interop.export(warmupctl.load("gpt3-small"), "torch").text
    assert "(0.0006 * 0.1)" in text and "5.9999999999999995e-05" not in text
