"""warmupctl.integrations.{torch, optax, keras}: the adapters, in the real frameworks."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import warmupctl

RTOL = 1e-12


def test_importing_the_package_imports_no_framework():
    code = ("import sys, warmupctl, warmupctl.integrations; "
            "print(sorted(m for m in ('torch', 'jax', 'keras', 'optax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# torch
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="needs torch (test extra)")


def record(torch, sched_of, n: int, lrs=(0.5,)):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    sched = sched_of(opt)
    out = np.empty((n, len(lrs)))
    for k in range(n):
        out[k] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return out, opt, sched


@pytest.mark.parametrize("name", ["deepseek-llm-7b", "resnet50-goyal", "hagele-wsd-124m"])
def test_torch_scheduler_follows_the_schedule(torch, name):
    from warmupctl.integrations import torch as wt

    s = warmupctl.load(name)
    n = min(s.total_steps, 20_000)
    got, _, sched = record(torch, lambda opt: wt.scheduler(s, opt), n, lrs=(s.peak_lr,))
    assert isinstance(sched, torch.optim.lr_scheduler.LambdaLR)
    np.testing.assert_allclose(got[:, 0], s.window(0, n), rtol=RTOL, atol=0)
    # relative=False: every group is set to the peak first, whatever it was created with
    got, _, _ = record(torch, lambda opt: wt.scheduler(s, opt, relative=False), n,
                       lrs=(0.5, 1e-7))
    np.testing.assert_allclose(got, np.stack([s.window(0, n)] * 2, axis=1), rtol=RTOL, atol=0)


def test_torch_scheduler_crosses_blocks_and_holds_past_the_end(torch):
    from warmupctl.integrations import torch as wt

    s = warmupctl.load({"total": 140_000, "peak_lr": 1e-3,
                        "warmup": {"shape": "linear", "length": 100},
                        "decay": {"shape": "cosine", "final_lr": "10%"}})
    f = wt.lambda_of(s, 1e-3)
    steps = [0, 65_535, 65_536, 131_071, 131_072, 139_999, 1, 140_000, 10**9]
    got = [1e-3 * f(k) for k in steps]
    want = [s.lr(min(k, 139_999)) for k in steps]
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


def test_torch_relative_groups_and_resume(torch):
    from warmupctl.integrations import torch as wt

    s = warmupctl.load("llmc-gpt2-124m")
    peak = s.peak_lr
    got, opt, sched = record(torch, lambda opt: wt.scheduler(s, opt, relative=True), 3000,
                             lrs=(peak, peak / 10))
    np.testing.assert_allclose(got[:, 0], s.window(0, 3000), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got[:, 1], s.window(0, 3000) / 10, rtol=RTOL, atol=0)
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, None]  # the schedule is not pickled into checkpoints
    opt2 = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr}
                            for lr in (peak, peak / 10)])
    sched2 = wt.scheduler(s, opt2, relative=True)
    sched2.load_state_dict(state)
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(s.lr(3001), rel=RTOL)
    assert opt2.param_groups[1]["lr"] == pytest.approx(s.lr(3001) / 10, rel=RTOL)


# --------------------------------------------------------------------------------------------
# optax
# --------------------------------------------------------------------------------------------


def test_optax_schedule_is_jit_compatible_and_exact_with_x64():
    jax = pytest.importorskip("jax", reason="needs jax (test extra)")
    pytest.importorskip("optax", reason="needs optax (test extra)")
    import jax.numpy as jnp

    from warmupctl.integrations import optax as wo

    s = warmupctl.load("gpt3-small")
    with jax.enable_x64(True):
        fn = jax.jit(wo.schedule(s))
        got = np.asarray(jax.vmap(fn)(jnp.arange(0, 600_000, 7, dtype=jnp.int32)))
        np.testing.assert_array_equal(got, s.at(np.arange(0, 600_000, 7)))  # the same floats
        assert float(fn(jnp.int32(2**31 - 1))) == s.lr(599_999)
    fn32 = jax.jit(wo.schedule(s))
    np.testing.assert_array_equal(np.asarray(jax.vmap(fn32)(jnp.arange(800))),
                                  s.window(0, 800).astype(np.float32))


# --------------------------------------------------------------------------------------------
# keras
# --------------------------------------------------------------------------------------------


def test_keras_schedule_and_its_config():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras", reason="needs keras 3 (test extra)")
    from warmupctl.integrations import keras as wk

    before = keras.config.floatx()
    float64 = keras.backend.backend() == "torch"
    keras.config.set_floatx("float64" if float64 else "float32")
    try:
        s = warmupctl.load("olmo2-7b")  # its cosine is cut by the end of the run
        sched = wk.schedule(s)
        steps = np.array([0, 1, 1999, 2000, 500_000, 928_645, 10**6])

        def value(sch, k):
            v = sch(k)
            return float(v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v))

        want = s.at(np.minimum(steps, s.total_steps - 1))
        got = [value(sched, int(k)) for k in steps]
        np.testing.assert_allclose(got, want, rtol=RTOL if float64 else 1e-7, atol=0)
        again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(sched))
        assert [value(again, int(k)) for k in steps] == got
    finally:
        keras.config.set_floatx(before)
