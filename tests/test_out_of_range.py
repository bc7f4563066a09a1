"""One out-of-range rule at every entry point (docs/spec.md, step convention).

A step ≥ N holds the last rate, lr(N − 1) — training loops call ``scheduler.step()`` once after
their last update; a negative or fractional step raises ValueError naming the valid range.
Checked for ``Schedule.lr``, the three adapters and the three generated files.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # as tests/test_interop_keras.py

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402

SPEC = {"total": 100, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 10},
        "decay": {"shape": "cosine", "final_lr": "10%"}}
PAST = [100, 101, 10**6, 2**40]
BAD = [-1, -10**6, 2.5, float("nan"), float("inf"), float("-inf")]


@pytest.fixture(scope="module")
def s():
    return warmupctl.load(SPEC)


def last(s) -> float:
    # the last rate by hand: the cosine from 1e-3 to 1e-4 over steps 10…99, at x = 89 of 90
    import math

    w = 0.5 * (1.0 + math.cos(math.pi * (89 / 90)))
    assert s.lr(99) == pytest.approx(1e-3 * w + 1e-4 * (1 - w), rel=1e-12)
    return s.lr(99)


def test_schedule_lr_holds_after_the_end_and_refuses_negative_or_fractional(s):
    for k in PAST:
        assert s.lr(k) == last(s)  # IndexError on the old code
    assert s.lr(np.int64(100)) == last(s) and s.lr(np.uint64(2**63 + 5)) == last(s)
    assert s.lr(99.0) == last(s) and s.lr(np.array(100)) == last(s)
    assert s.lr(np.array(5)) == s.lr(5) == s.at(np.array([5]))[0]
    np.testing.assert_array_equal(s.lr(np.array([0, 99, 100, 10**12])),
                                  [0.0, last(s), last(s), last(s)])
    for bad in [*BAD, "3", None, True]:
        with pytest.raises(ValueError, match="whole number from 0 to 99"):
            s.lr(bad)
    with pytest.raises(ValueError, match="from 0 to 99"):
        s.lr(np.array([3, -1]))
    with pytest.raises(ValueError, match="from 0 to 99"):
        s.lr([0.5])


def test_torch_adapter(s):
    pytest.importorskip("torch", reason="needs torch (test extra)")
    from warmupctl.integrations import torch as wt

    f = wt.lambda_of(s, 1e-3)
    assert [1e-3 * f(k) for k in PAST] == pytest.approx([last(s)] * len(PAST), rel=1e-12)
    with pytest.raises(ValueError, match="from 0 to 99"):
        f(-1)


def test_generated_torch_lr_at(s):
    pytest.importorskip("torch", reason="needs torch (test extra)")
    ns: dict = {"__name__": "exported"}
    exec(interop.export(s, "torch").text, ns)
    assert [ns["lr_at"](k) for k in PAST] == [last(s)] * len(PAST)
    assert ns["lr_at"](np.int64(5)) == s.lr(5)
    for bad in [*BAD, "3", None]:
        with pytest.raises(ValueError, match="whole number from 0 to 99"):
            ns["lr_at"](bad)  # the old file clipped -1 to step 0 and 2.5 to step 2


def test_optax_adapter_and_generated_file(s):
    jax = pytest.importorskip("jax", reason="needs jax (test extra)")
    pytest.importorskip("optax", reason="needs optax (test extra)")
    from warmupctl.integrations import optax as wo

    with jax.enable_x64(True):
        ns: dict = {"__name__": "exported"}
        exec(interop.export(s, "optax").text, ns)
        for fn in (wo.schedule(s), ns["schedule"]):
            got = [float(fn(k)) for k in PAST[:3]]
            np.testing.assert_allclose(got, [last(s)] * 3, rtol=1e-12, atol=0)
            for bad in [-1, 2.5, np.int32(-3)]:
                with pytest.raises(ValueError, match="from 0 to 99"):
                    fn(bad)
            # under jit a count cannot be inspected: it is clipped to the run
            assert float(jax.jit(fn)(-1)) == pytest.approx(0.0, abs=0)


def test_keras_adapter_and_generated_file(s):
    keras = pytest.importorskip("keras", reason="needs keras 3 (test extra)")
    from warmupctl.integrations import keras as wk

    def value(v):
        return float(v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))

    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        ns: dict = {"__name__": "exported"}
        exec(interop.export(s, "keras").text, ns)
        for sched in (wk.schedule(s), ns["schedule"]):
            got = [value(sched(k)) for k in PAST[:3]]
            np.testing.assert_allclose(got, [last(s)] * 3, rtol=1e-12, atol=0)
            for bad in [-1, 2.5]:
                with pytest.raises(ValueError, match="from 0 to 99"):
                    sched(bad)
    finally:
        keras.config.set_floatx(before)
