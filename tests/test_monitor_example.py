"""A shortened run of examples/update_sizes.py: what the seed claims, measured.

Kosson et al. 2024 (arXiv:2410.23922): without warmup the first updates are oversized, because
Adam's first bias-corrected update is sign-like (every coordinate moves by η) while the weights
are still small (norm ≈ σ√n per row), so the first angular update is about atan(η/σ), far above
the rotational equilibrium; a warmup keeps early updates small. The run must show that, and the
exact sign-like size of the first update (‖ΔW‖ = η√numel) fails if the monitor is broken.
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "update_sizes.py"
PEAK = 3e-3


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("update_sizes_example", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path_factory.mktemp("example")
    results = mod.run(steps=40, warmup=20, peak=PEAK, d=32, layers=2, ctx=32, batch=8,
                      chars=200_000, logs=out / "logs", figure_dir=out / "figures")
    return results, out


def _log(path: str) -> tuple[dict, list[dict]]:
    lines = Path(path).read_text().splitlines()
    return json.loads(lines[0]), [json.loads(x) for x in lines[1:]]


def test_first_updates_are_far_larger_without_warmup(run):
    results, _ = run
    cold = np.array(results["no warmup"]["median_angle_first_10"])
    warm = np.array(results["warmup"]["median_angle_first_10"])
    assert warm[0] == 0.0  # linear warmup from 0: step 0 does not move
    # the first five steps (the 20-step warmup's rates are 0, 5%, … 20% of the peak): more than
    # five times larger without warmup, and larger at every one of them
    assert cold[:5].mean() > 5 * warm[:5].mean()
    assert np.all(cold[:5] > 2 * warm[:5])
    # and far above the equilibrium at the peak rate, √(2·3e-3·0.1·0.1/1.9) = 0.0056 rad
    eq = math.sqrt(2 * PEAK * 0.1 * 0.1 / 1.9)
    assert results["no warmup"]["equilibrium_at_peak"] == pytest.approx(eq, rel=1e-12)
    assert cold[0] > 10 * eq
    assert results["no warmup"]["max_median_ratio"] > results["warmup"]["max_median_ratio"]


def test_first_update_is_sign_like(run):
    """Step 0 without warmup: every matrix whose gradient has no zero entry moves by η per
    coordinate (plus the decay's η·λ·W, 0.2% of it here), and a row of init N(0, 0.02²) turns by
    about atan(η/0.02) = 0.149 rad."""
    results, _ = run
    header, lines = _log(results["no warmup"]["log"])
    first = lines[0]
    assert first["step"] == 0 and first["lr"] == PEAK
    assert len(lines) == 40  # one line per optimizer step
    names = [x["name"] for x in header["layers"]]
    for name in ("blocks.0.qkv.weight", "blocks.0.fc.weight", "blocks.1.fc.weight"):
        i = names.index(name)
        numel = header["layers"][i]["numel"]
        assert first["l2"][i] == pytest.approx(PEAK * math.sqrt(numel), rel=5e-3)
        assert first["neuron_angle"][i] == pytest.approx(math.atan(PEAK / 0.02), rel=0.1)


def test_figures_are_written(run):
    results, out = run
    names = sorted(Path(p).name for p in results["figures"])
    assert names == ["updates-compare.png", "updates-no-warmup.png", "updates-warmup.png"]
    for p in results["figures"]:
        assert Path(p).read_bytes()[:4] == b"\x89PNG"
