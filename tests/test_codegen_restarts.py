"""Cosine restarts with many cycles: generated code costs O(1) per cycle, and stays exact.

``decay: {shape: cosine_restarts, period: 1}`` used to become one code segment per cycle: a
10^5-step torch export took minutes and gigabytes, and the file grew with the run. Now up to
64 cycles are still written one segment each; beyond, one segment computes the cycle index at
run time with the engine's operations (``floor(x / P)`` for a constant period, ``n·(x/L)`` for a
cycle count), or reads the engine's own per-cycle floats from tables (a growing period). Each
file is run in the real library and compared with warmupctl at every step.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # as tests/test_interop_keras.py

from _support import RTOL, step_through  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.interop import NotExpressible, _codegen  # noqa: E402

PERIOD_1 = {"total": 3000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
            "decay": {"shape": "cosine_restarts", "period": 1}}
PERIOD_7 = {"total": 20000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
            "decay": {"shape": "cosine_restarts", "period": 7, "cycle_decay": 0.9999,
                      "final_lr": "1%"}}
CYCLES = {"total": 20000, "peak_lr": 1e-3,
          "decay": {"shape": "cosine_restarts", "cycles": 700, "cycle_decay": 0.999}}
GROWING = {"total": 30000, "peak_lr": 1e-3,
           "decay": {"shape": "cosine_restarts", "period": 10, "period_mult": 1.01,
                     "cycle_decay": 0.999, "final_lr": "1%"}}
TOO_MANY = {"total": 10**9, "peak_lr": 1e-3,
            "decay": {"shape": "cosine_restarts", "period": 1, "period_mult": 1.0001}}


def torch_rates(text: str, n: int) -> np.ndarray:
    torch = pytest.importorskip("torch", reason="needs torch (test extra)")
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "f.py", "exec"), ns)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=ns["PEAK_LR"])
    return step_through(opt, ns["make_scheduler"](opt), n)


def test_many_cycles_are_one_segment_and_a_small_file():
    s = warmupctl.load(PERIOD_1)
    segs = _codegen.segments(s)
    assert len(segs) == 2  # the warmup and the restarts (2,901 segments on the old code)
    for target in interop.CODE_TARGETS:
        text = interop.export(s, target).text
        assert len(text) < 12_000, target


@pytest.mark.parametrize("spec", [PERIOD_1, PERIOD_7, CYCLES, GROWING],
                         ids=["period-1", "period-7", "cycles", "growing"])
def test_torch_file_is_exact_at_every_step(spec):
    s = warmupctl.load(spec)
    text = interop.export(s, "torch").text
    assert "LambdaLR(" in text
    got = torch_rates(text, s.total_steps)
    np.testing.assert_allclose(got, s.curve(), rtol=RTOL, atol=0)


def test_growing_period_reads_the_engines_floats_from_tables():
    s = warmupctl.load(GROWING)
    text = interop.export(s, "torch").text
    assert "_FIRST_0 = (" in text and "import bisect" in text
    ns: dict = {"__name__": "exported"}
    exec(text, ns)
    lr_at = ns["lr_at"]
    # every cycle start and the steps either side, against the engine, bit for bit
    edges = np.array(ns["_FIRST_0"], dtype=np.int64)
    steps = np.unique(np.clip(np.concatenate([edges - 1, edges, edges + 1]), 0, 29_999))
    assert [lr_at(int(k)) for k in steps] == s.at(steps).tolist()


def test_optax_file_with_many_cycles_under_jit():
    jax = pytest.importorskip("jax", reason="needs jax (test extra)")
    pytest.importorskip("optax", reason="needs optax (test extra)")
    import jax.numpy as jnp

    s = warmupctl.load(PERIOD_7)
    text = interop.export(s, "optax").text
    assert "floor_divide" in text
    ns: dict = {"__name__": "exported"}
    with jax.enable_x64(True):
        exec(compile(text, "f.py", "exec"), ns)
        fn = jax.jit(jax.vmap(ns["schedule"]))
        got = np.asarray(fn(jnp.arange(s.total_steps, dtype=jnp.int32)), dtype=np.float64)
    np.testing.assert_allclose(got, s.curve(), rtol=1e-12, atol=1e-15 * s.peak_lr)


def test_keras_file_with_many_cycles():
    keras = pytest.importorskip("keras", reason="needs keras 3 (test extra)")
    s = warmupctl.load(PERIOD_7)
    text = interop.export(s, "keras").text
    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        ns: dict = {"__name__": "exported"}
        exec(compile(text, "f.py", "exec"), ns)
        v = ns["schedule"](keras.ops.arange(s.total_steps))
        got = np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, np.float64)
    finally:
        keras.config.set_floatx(before)
    np.testing.assert_allclose(got, s.curve(), rtol=1e-12, atol=1e-15 * s.peak_lr)


@pytest.mark.parametrize("target", ["optax", "keras"])
@pytest.mark.parametrize("spec", [CYCLES, GROWING], ids=["cycles", "growing"])
def test_jit_targets_refuse_a_run_time_division_with_a_clear_message(target, spec):
    s = warmupctl.load(spec)
    with pytest.raises(NotExpressible, match=r"restart cycles exactly.*x \* \(1/c\)"):
        interop.export(s, target)


@pytest.mark.parametrize("target", ["torch", "optax", "keras"])
def test_too_many_growing_cycles_are_refused_quickly(target):
    s = warmupctl.load(TOO_MANY)
    with pytest.raises(NotExpressible, match="more than the 10,000 a generated file tabulates"):
        interop.export(s, target)
