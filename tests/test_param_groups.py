"""Per-parameter-group rates: every adapter and every exported file keeps the groups' ratios.

torch's ``LambdaLR`` and HF's schedulers multiply each param group's own initial ``lr`` by the
schedule's factor, so a head at 1e-3 and a backbone at 1e-4 stay a factor 10 apart. The
references here are the real libraries: a ``LambdaLR`` built by hand over ``Schedule.lr`` and
HF's ``get_cosine_schedule_with_warmup`` / ``get_linear_schedule_with_warmup``, stepped with
two groups; every step of every group is compared (relative 1e-12).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # as tests/test_interop_keras.py

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402

torch = pytest.importorskip("torch", reason="needs torch (test extra)")

from _support import RTOL  # noqa: E402

LRS = (1e-3, 1e-4)  # a head at the peak, a backbone at a tenth
COSINE = {"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
          "decay": {"shape": "cosine"}}
LINEAR = {"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
          "decay": {"shape": "linear"}}
# from 10% of the peak: torch's own classes (SequentialLR of LinearLRs), not a LambdaLR
BUILTIN = {"total": 1000, "peak_lr": 1e-3,
           "warmup": {"shape": "linear", "length": 100, "start_lr": "10%"},
           "decay": {"shape": "linear", "final_lr": 0}}


def run_groups(make, n: int, lrs=LRS) -> np.ndarray:
    """The rate of each group at updates 0 … n−1 (read before optimizer.step(); step())."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    sched = make(opt)
    out = np.empty((n, len(lrs)))
    for k in range(n):
        out[k] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return out


def by_hand(spec):
    s = warmupctl.load(spec)
    peak = max(max(ph.a, ph.b) for ph in s.phases)
    return run_groups(lambda opt: torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: s.lr(k) / peak), s.total_steps)


def hf(spec):
    transformers = pytest.importorskip("transformers", reason="needs transformers (test extra)")
    make = {"cosine": transformers.get_cosine_schedule_with_warmup,
            "linear": transformers.get_linear_schedule_with_warmup}[spec["decay"]["shape"]]
    return run_groups(lambda opt: make(opt, spec["warmup"]["length"], spec["total"]),
                      spec["total"])


def exported(spec) -> dict:
    ns: dict = {"__name__": "exported"}
    exec(compile(interop.export(warmupctl.load(spec), "torch").text, "f.py", "exec"), ns)
    return ns


@pytest.mark.parametrize("spec", [COSINE, LINEAR], ids=["cosine", "linear"])
def test_torch_adapter_keeps_group_ratios_like_lambdalr_and_hf(spec):
    from warmupctl.integrations import torch as wt

    s = warmupctl.load(spec)
    got = run_groups(lambda opt: wt.scheduler(s, opt), s.total_steps)
    np.testing.assert_allclose(got, by_hand(spec), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got, hf(spec), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got[:, 0], s.curve(), rtol=RTOL, atol=0)  # the peak group
    assert got[500, 1] == pytest.approx(got[500, 0] / 10, rel=RTOL)  # failed on the old code


@pytest.mark.parametrize("spec", [COSINE, LINEAR, BUILTIN], ids=["cosine", "linear", "builtin"])
def test_exported_make_scheduler_keeps_group_ratios(spec):
    ns = exported(spec)
    s = warmupctl.load(spec)
    is_lambda = "LambdaLR(" in interop.export(s, "torch").text
    assert is_lambda == (spec is not BUILTIN)
    got = run_groups(ns["make_scheduler"], s.total_steps)
    np.testing.assert_allclose(got, by_hand(spec), rtol=RTOL, atol=0)
    if spec is not BUILTIN:
        np.testing.assert_allclose(got, hf(spec), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got[:, 0], s.curve(), rtol=RTOL, atol=0)


def test_exported_cosine_to_a_floor_keeps_ratios_too():
    """CosineAnnealingLR's eta_min is absolute, so a cosine to 10% is written as a LambdaLR."""
    spec = {"total": 1000, "peak_lr": 1e-3, "decay": {"shape": "cosine", "final_lr": "10%"}}
    s = warmupctl.load(spec)
    text = interop.export(s, "torch").text
    assert "CosineAnnealingLR(" not in text and "LambdaLR(" in text
    got = run_groups(exported(spec)["make_scheduler"], 1000)
    np.testing.assert_allclose(got, by_hand(spec), rtol=RTOL, atol=0)


def test_optax_base_lr_in_the_adapter_and_the_exported_file():
    jax = pytest.importorskip("jax", reason="needs jax (test extra)")
    pytest.importorskip("optax", reason="needs optax (test extra)")
    from warmupctl.integrations import optax as wo

    s = warmupctl.load(COSINE)
    want = s.curve() / 10
    with jax.enable_x64(True):
        got = np.array([float(wo.schedule(s, base_lr=1e-4)(k)) for k in range(0, 1000, 37)])
        np.testing.assert_allclose(got, want[::37], rtol=RTOL, atol=0)
        same = wo.schedule(s, base_lr=1e-3)
        assert [float(same(k)) for k in (0, 99, 500)] == [s.lr(k) for k in (0, 99, 500)]
        ns: dict = {"__name__": "exported"}
        exec(interop.export(s, "optax").text, ns)
        f = ns["schedule_for"](1e-4)
        assert ns["schedule_for"](ns["PEAK_LR"]) is ns["schedule"]
        got = np.array([float(f(k)) for k in range(0, 1000, 37)])
        np.testing.assert_allclose(got, want[::37], rtol=1e-12, atol=1e-15 * 1e-4)


def test_keras_base_lr_in_the_adapter_and_the_exported_file():
    keras = pytest.importorskip("keras", reason="needs keras 3 (test extra)")
    from warmupctl.integrations import keras as wk

    before = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        s = warmupctl.load(COSINE)
        steps = [0, 50, 99, 100, 500, 999]
        want = [s.lr(k) / 10 for k in steps]

        def value(v):
            return float(v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))

        sched = wk.schedule(s, base_lr=1e-4)
        np.testing.assert_allclose([value(sched(k)) for k in steps], want, rtol=RTOL, atol=0)
        again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(sched))
        assert value(again(500)) == value(sched(500))
        ns: dict = {"__name__": "exported"}
        exec(interop.export(s, "keras").text, ns)
        cls = type(ns["schedule"])
        got = [value(cls(base_lr=1e-4)(k)) for k in steps]
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15 * 1e-4)
    finally:
        keras.config.set_floatx(before)
