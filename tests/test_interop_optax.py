"""`export -f optax`: the generated file, run with optax/jax (CPU), against warmupctl.

The exported ``schedule`` is jitted and evaluated at every step ``0 … N−1`` (``vmap``), which is
what ``optax.scale_by_schedule`` feeds it (update k uses ``schedule(k)``).

Precision, as stated in the file and in docs/interop.md:

* with ``jax_enable_x64`` the rates match warmupctl to 1e-12 relative, except that XLA evaluates
  ``cos`` and ``x / c`` (as ``x · (1/c)`` under jit) with ulp-level differences, which only show
  where a cosine ends at 0: there the bound is 1e-15 × the peak, absolute;
* in jax's default float32 every rate is within 1e-6 × the peak (exponential decays excepted:
  gamma itself is rounded to float32; checked separately with their own bound).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

jax = pytest.importorskip("jax", reason="needs jax (test extra)")
optax = pytest.importorskip("optax", reason="needs optax (test extra)")

import jax.numpy as jnp  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl.cli import app  # noqa: E402

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


def optax_curve(text: str, n: int) -> np.ndarray:
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "exported_optax.py", "exec"), ns)
    fn = jax.jit(jax.vmap(ns["schedule"]))
    return np.asarray(fn(jnp.arange(n, dtype=jnp.int32)), dtype=np.float64)  # optax's int32


SPECS = {
    "gpt3-small": "gpt3-small",  # warmup_cosine_decay_schedule with a hold after
    "llmc-gpt2-124m": "llmc-gpt2-124m",  # cosine to 0
    "resnet50-goyal": "resnet50-goyal",  # linear + piecewise_constant
    "hagele-wsd-124m": "hagele-wsd-124m",  # 1-sqrt cooldown: a jnp piece
    "t5-pretrain": "t5-pretrain",
    "restarts": {"total": 3000, "peak_lr": 1e-3, "warmup": {"shape": "cosine", "length": 100,
                                                             "skip_zero": True},
                 "decay": {"shape": "cosine_restarts", "cycles": 3, "cycle_decay": 0.5,
                           "final_lr": "1%"}},
    "restarts-growing": {"total": 5000, "peak_lr": 1e-3,
                         "warmup": {"shape": "polynomial", "length": 100, "start_lr": "10%"},
                         "decay": {"shape": "cosine_restarts", "period": 300,
                                   "period_mult": 1.5, "cycle_decay": 0.7}},
    "exp-warmup-poly": {"total": 2000, "peak_lr": 1e-3,
                        "warmup": {"shape": "exponential", "length": 100},
                        "decay": {"shape": "polynomial", "power": 2, "final_lr": "5%"}},
    "inverse-sqrt-floor": {"total": 5000, "peak_lr": 1e-3,
                           "warmup": {"shape": "linear", "length": 100},
                           "decay": {"shape": "inverse_sqrt", "final_lr": "20%"}},
}
EXPONENTIAL = {"total": 3000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
               "decay": {"shape": "exponential", "gamma": 0.999, "final_lr": "10%"}}


def export_text(source) -> str:
    if isinstance(source, str):
        r = run("export", source, "-f", "optax", "-q")
    else:
        r = run("export", "-", "-f", "optax", "-q", input=json.dumps(source))
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("name", list(SPECS) + ["exponential"])
def test_x64_matches_to_1e_12(name):
    source = SPECS.get(name, EXPONENTIAL)
    s = warmupctl.load(source)
    text = export_text(source)
    assert "schedule = " in text and "jax_enable_x64" in text
    with jax.enable_x64(True):
        got = optax_curve(text, s.total_steps)
    ours = s.curve()
    np.testing.assert_allclose(got, ours, rtol=1e-12, atol=1e-15 * s.peak_lr)


@pytest.mark.parametrize("name", list(SPECS))
def test_float32_within_1e_6_of_the_peak(name):
    s = warmupctl.load(SPECS[name])
    got = optax_curve(export_text(SPECS[name]), s.total_steps)
    np.testing.assert_allclose(got, s.curve(), rtol=0, atol=1e-6 * s.peak_lr)


def test_float32_exponential_decay_error_grows_with_the_step():
    """gamma = 0.999 is 0.99900001… in float32, so gamma^t drifts by about t·6e-8 relative."""
    s = warmupctl.load(EXPONENTIAL)
    got = optax_curve(export_text(EXPONENTIAL), s.total_steps)
    t = np.arange(s.total_steps)
    np.testing.assert_array_less(np.abs(got - s.curve()),
                                 s.curve() * (t * 6e-8 + 1e-6) + 1e-7 * s.peak_lr)


def test_builtin_calls_are_used_where_exact():
    text = export_text("gpt3-small")
    assert "optax.warmup_cosine_decay_schedule(" in text and "decay_steps=520750" in text
    text = export_text("resnet50-goyal")
    assert "optax.piecewise_constant_schedule(" in text and "jnp.cos" not in text
    text = export_text("hagele-wsd-124m")
    assert "optax.join_schedules(" in text and "jnp.sqrt" in text


def test_runs_inside_an_optimizer():
    """An optax optimizer takes the schedule; the learning rate that inject_hyperparams records
    for update k (in the state that update returns) is lr(k)."""
    s = warmupctl.load("kosson2024-gpt2-124m")
    ns: dict = {}
    exec(export_text("kosson2024-gpt2-124m"), ns)
    with jax.enable_x64(True):
        opt = optax.inject_hyperparams(optax.sgd)(learning_rate=ns["schedule"])
        params = jnp.zeros(3)
        state = opt.init(params)
        seen = []
        for _ in range(300):
            _, state = opt.update(jnp.ones(3), state, params)
            seen.append(float(state.hyperparams["learning_rate"]))
    np.testing.assert_allclose(seen, s.window(0, 300), rtol=1e-12, atol=1e-15 * s.peak_lr)


def test_refused_past_int32_counts():
    r = run("export", "-f", "optax", "--total", "3000000000", "--warmup", "linear:1%")
    assert r.exit_code == 2
    assert "int32" in r.stderr and "torch" in r.stderr
