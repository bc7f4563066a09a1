"""`export -f keras`: the generated file, run with Keras 3 (torch backend, CPU), against warmupctl.

Keras computes schedules in ``keras.config.floatx()``. With float64 the generated schedules match
warmupctl to 1e-12 relative (1e-15 × the peak where a cosine ends at 0); with the default float32
every rate is within 1e-6 × the peak (exponential decays excepted, see the optax tests). The
built-in classes (``CosineDecay`` …) use ``ops.cond`` and take one step per call, so their runs
are kept short; the closed-form class is called on all steps at once.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="needs keras 3 (test extra)")
if keras.backend.backend() not in ("torch", "jax"):  # pragma: no cover
    pytest.skip("these tests need the torch or jax backend", allow_module_level=True)

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.cli import app  # noqa: E402

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
FLOAT64_OK = keras.backend.backend() == "torch"


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


@pytest.fixture
def floatx():
    before = keras.config.floatx()

    def set_(value: str) -> None:
        keras.config.set_floatx(value)

    yield set_
    keras.config.set_floatx(before)


def to_np(x) -> np.ndarray:
    """A backend tensor as NumPy (keras.ops.convert_to_numpy warns under NumPy 2 here)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def keras_curve(text: str, n: int, vector: bool) -> np.ndarray:
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "exported_keras.py", "exec"), ns)
    sched = ns["schedule"]
    if vector:
        return to_np(sched(keras.ops.arange(n)))
    return np.array([float(to_np(sched(k))) for k in range(n)])


SPECS = {  # name: (spec, the class the file uses)
    "cosine-warmup-hold": ({"total": 1500, "peak_lr": 6e-4,
                            "warmup": {"shape": "linear", "length": 75},
                            "decay": {"shape": "cosine", "final_lr": "10%", "length": 1200}},
                           "CosineDecay"),
    "cosine-to-0": ({"total": 800, "peak_lr": 6e-4, "decay": {"shape": "cosine"}}, "CosineDecay"),
    "warmup-constant": ({"total": 600, "peak_lr": 1e-3, "warmup": {"shape": "linear",
                                                                    "length": 60}},
                        "CosineDecay"),
    "polynomial": ({"total": 800, "peak_lr": 1e-3,
                    "decay": {"shape": "polynomial", "power": 2, "final_lr": "5%",
                              "length": 600}}, "PolynomialDecay"),
    "steps": ({"total": 1000, "peak_lr": 0.1,
               "decay": {"shape": "step", "milestones": [300, 300, 700], "gamma": 0.3}},
              "PiecewiseConstantDecay"),
    "wsd": ("kosson2024-gpt2-124m", "(closed form)"),
    "resnet": ("resnet50-goyal", "(closed form)"),
    "t5": ({"total": 20000, "peak_lr": 0.01,
            "warmup": {"shape": "constant", "length": 1000, "start_lr": 0.01},
            "decay": {"shape": "inverse_sqrt", "final_lr": "5%"}}, "(closed form)"),
    "restarts": ({"total": 3000, "peak_lr": 1e-3,
                  "warmup": {"shape": "cosine", "length": 100, "skip_zero": True},
                  "decay": {"shape": "cosine_restarts", "cycles": 3, "cycle_decay": 0.5,
                            "final_lr": "1%"}}, "(closed form)"),
    "exp-warmup": ({"total": 3000, "peak_lr": 1e-3,
                    "warmup": {"shape": "exponential", "length": 100},
                    "decay": {"shape": "exponential", "gamma": 0.999, "final_lr": "10%"}},
                   "(closed form)"),
}


def export_text(source) -> tuple[str, str]:
    if isinstance(source, str):
        r = run("export", source, "-f", "keras")
    else:
        r = run("export", "-", "-f", "keras", input=json.dumps(source))
    assert r.exit_code == 0, r.output
    return r.stdout, r.stderr


@pytest.mark.skipif(not FLOAT64_OK, reason="float64 schedules need the torch backend here")
@pytest.mark.parametrize("name", list(SPECS))
def test_float64_matches_to_1e_12(name, floatx):
    source, cls = SPECS[name]
    s = warmupctl.load(source)
    text, _ = export_text(source)
    if cls == "(closed form)":
        assert "(keras.optimizers.schedules.LearningRateSchedule):" in text
    else:
        assert f"schedule = keras.optimizers.schedules.{cls}(" in text
    floatx("float64")
    got = keras_curve(text, s.total_steps, vector=cls == "(closed form)")
    np.testing.assert_allclose(got, s.curve(), rtol=1e-12, atol=1e-15 * s.peak_lr)


@pytest.mark.parametrize("name", ["cosine-warmup-hold", "steps", "wsd", "resnet", "t5",
                                  "restarts"])
def test_float32_within_1e_6_of_the_peak(name, floatx):
    source, cls = SPECS[name]
    s = warmupctl.load(source)
    text, _ = export_text(source)
    floatx("float32")
    got = keras_curve(text, s.total_steps, vector=cls == "(closed form)")
    np.testing.assert_allclose(got, s.curve(), rtol=0, atol=1e-6 * s.peak_lr)


def test_inside_an_optimizer_and_saved(tmp_path, floatx):
    """A Keras optimizer uses schedule(iterations); a model saved with it reloads."""
    floatx("float64" if FLOAT64_OK else "float32")
    s = warmupctl.load("kosson2024-gpt2-124m")
    text, _ = export_text("kosson2024-gpt2-124m")
    path = tmp_path / "sched_keras.py"
    path.write_text(text)
    ns: dict = {"__name__": "sched_keras"}
    exec(compile(text, str(path), "exec"), ns)
    opt = keras.optimizers.SGD(learning_rate=ns["schedule"])
    var = keras.Variable(np.zeros(2), dtype=keras.config.floatx())
    seen = []
    for _ in range(260):
        seen.append(float(to_np(opt.learning_rate)))
        opt.apply_gradients([(keras.ops.ones((2,), dtype=keras.config.floatx()), var)])
    tol = 1e-12 if FLOAT64_OK else 1e-6
    np.testing.assert_allclose(seen, s.window(0, 260), rtol=tol, atol=tol * 1e-3 * s.peak_lr)
    config = keras.optimizers.schedules.serialize(ns["schedule"])
    again = keras.optimizers.schedules.deserialize(config)
    assert float(to_np(again(4000))) == pytest.approx(s.lr(4000), rel=tol)


def test_keras_never_refuses():
    for name in ("deepseek-llm-7b", "t5-pretrain", "resnet50-goyal"):
        assert interop.why_not(warmupctl.load(name), "keras") is None
