"""`export -f hf` and `import -f hf` against the real transformers Trainer code.

Every curve here is recorded the way training sees it: ``TrainingArguments`` built from the
exported JSON, the scheduler created by ``Trainer.create_scheduler`` (the Trainer's own method,
called with a stub that carries only ``args``; one test builds a whole ``Trainer``), and for
k = 0 … N−1 the rate in ``optimizer.param_groups[0]["lr"]`` before ``optimizer.step();
scheduler.step()``. The comparison is warmupctl's curve at every step, relative 1e-12, no absolute
slack (anchors-schedules.md §2.2 for the HF formulas).
"""

from __future__ import annotations

import json
import math
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (test extra)")
transformers = pytest.importorskip("transformers", reason="needs transformers (test extra)")
pytest.importorskip("accelerate", reason="TrainingArguments needs accelerate (test extra)")

from _support import RTOL, assert_same, run, step_through  # noqa: E402
from transformers import Trainer, TrainingArguments  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.interop import hf  # noqa: E402

PEAK = 3.0e-4


def trainer_curve(cfg: dict, tmp_path, n: int | None = None) -> np.ndarray:
    """The rate of each update under the Trainer's own scheduler for these TrainingArguments."""
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none", **cfg)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=args.learning_rate)
    stub = types.SimpleNamespace(lr_scheduler=None, args=args)
    sched = Trainer.create_scheduler(stub, num_training_steps=args.max_steps, optimizer=opt)
    n = args.max_steps if n is None else n
    out = step_through(opt, sched, n)
    return out



SPECS = {
    "linear": {"total": 1000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 100},
               "decay": {"shape": "linear"}},
    "linear-no-warmup": {"total": 500, "peak_lr": PEAK, "decay": {"shape": "linear"}},
    "cosine": {"total": 2000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 150},
               "decay": {"shape": "cosine"}},
    "cosine-floor": {"total": 2000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 7},
                     "decay": {"shape": "cosine", "final_lr": "10%"}},
    "cosine-truncated": {"total": 1100, "peak_lr": PEAK,
                         "warmup": {"shape": "linear", "length": 100},
                         "decay": {"shape": "cosine", "final_lr": "10%", "length": 2000}},
    "constant": {"total": 300, "peak_lr": PEAK},
    "constant-warmup": {"total": 300, "peak_lr": PEAK, "warmup": {"shape": "linear",
                                                                  "length": 30}},
    "poly-floor": {"total": 1000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 10},
                   "decay": {"shape": "polynomial", "power": 2.0, "final_lr": 1e-5}},
    "linear-floor": {"total": 1000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 10},
                     "decay": {"shape": "linear", "final_lr": "5%"}},
    "noam": {"total": 3000, "noam": {"d_model": 512}, "warmup": {"shape": "linear",
                                                                  "length": 400}},
    "inverse-sqrt": {"total": 3000, "peak_lr": PEAK,
                     "decay": {"shape": "inverse_sqrt", "timescale": 250}},
    "restarts": {"total": 1003, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 3},
                 "decay": {"shape": "cosine_restarts", "cycles": 4}},
    "wsd": {"total": 2000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 100},
            "decay": {"shape": "wsd", "cooldown": "20%", "cooldown_shape": "1-sqrt"}},
    "wsd-floor-cosine-warmup": {"total": 2000, "peak_lr": PEAK,
                                "warmup": {"shape": "cosine", "length": 100, "start_lr": "10%"},
                                "decay": {"shape": "wsd", "final_lr": "10%", "cooldown": 300,
                                          "cooldown_shape": "linear", "length": 1500}},
    "linear-then-hold-at-0": {"total": 1000, "peak_lr": PEAK,
                              "warmup": {"shape": "linear", "length": 50},
                              "decay": {"shape": "linear", "length": 600}},
    "one-based": {"total": 1000, "peak_lr": PEAK, "phases": [
        {"shape": "linear", "length": 40, "from": 0, "to": PEAK, "skip_zero": True},
        {"shape": "cosine", "length": "rest", "to": "10%", "skip_zero": True}]},
}

EXPECTED_TYPE = {
    "linear": "linear", "linear-no-warmup": "linear", "cosine": "cosine",
    "cosine-floor": "cosine_with_min_lr", "cosine-truncated": "cosine_with_min_lr",
    "constant": "constant", "constant-warmup": "constant_with_warmup", "poly-floor": "polynomial",
    "linear-floor": "polynomial", "noam": "inverse_sqrt", "inverse-sqrt": "inverse_sqrt",
    "restarts": "cosine_with_restarts", "wsd": "warmup_stable_decay",
    "wsd-floor-cosine-warmup": "warmup_stable_decay",
    "linear-then-hold-at-0": "warmup_stable_decay", "one-based": "cosine_warmup_with_min_lr",
}


@pytest.mark.parametrize("name", list(SPECS))
def test_export_runs_exactly_in_the_trainer(name, tmp_path, recwarn):
    s = warmupctl.load(SPECS[name])
    r = run("export", "-", "-f", "hf", input=json.dumps(SPECS[name]))
    assert r.exit_code == 0, r.output
    cfg = json.loads(r.stdout)
    assert set(cfg) == {"learning_rate", "lr_scheduler_type", "warmup_steps", "max_steps",
                        "lr_scheduler_kwargs"}
    assert cfg["lr_scheduler_type"] == EXPECTED_TYPE[name]
    assert isinstance(cfg["warmup_steps"], int) and cfg["max_steps"] == s.total_steps
    ref = trainer_curve(cfg, tmp_path)
    assert_same(s.curve(), ref)
    # importing the export gives a spec with the same curve
    back = warmupctl.load(interop.import_config("hf", r.stdout, "<export>").spec)
    assert_same(back.curve(), ref)


def test_a_whole_trainer(tmp_path):
    """The same through a real Trainer (its own AdamW, create_optimizer_and_scheduler)."""
    s = warmupctl.load("build-nanogpt-gpt2-124m")
    cfg = json.loads(interop.export(s, "hf").text)
    cfg["max_steps"] = s.total_steps
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none", **cfg)
    trainer = Trainer(model=torch.nn.Linear(2, 1), args=args)
    trainer.create_optimizer_and_scheduler(num_training_steps=args.max_steps)
    opt, sched = trainer.optimizer, trainer.lr_scheduler
    n = 1500  # the warmup (715) and the start of the cosine
    got = np.empty(n)
    for k in range(n):
        got[k] = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    assert_same(s.window(0, n), got)


@pytest.mark.parametrize("name", ["llama2-7b", "bert-pretrain", "hagele-wsd-124m",
                                  "transformer-base", "olmo2-7b"])
def test_presets_exact_by_the_simulator(name):
    """Long presets: the exported config through the HF replica, every step (the replica is
    checked against transformers in the other tests)."""
    s = warmupctl.load(name)
    e = interop.export(s, "hf")
    assert e.exact and e.deviation.rel <= RTOL


# --------------------------------------------------------------------------------------------
# The replica of the HF lambdas against transformers, including anchors §2.0 golden rows
# --------------------------------------------------------------------------------------------

GOLDEN = {  # T = 10, W = 3, peak 1 (anchors-schedules.md §2.0)
    ("linear", ()): [0, .3333, .6667, 1, .8571, .7143, .5714, .4286, .2857, .1429],
    ("cosine", ()): [0, .3333, .6667, 1, .9505, .8117, .6113, .3887, .1883, .0495],
    ("cosine_with_min_lr", (("min_lr_rate", .1),)):
        [0, .3333, .6667, 1, .9554, .8306, .6501, .4499, .2694, .1446],
    ("cosine_warmup_with_min_lr", (("min_lr_rate", .1),)):
        [.3333, .6667, 1, .9554, .8306, .6501, .4499, .2694, .1446, .1],
    ("cosine_warmup_with_min_lr", (("min_lr_rate", .1), ("warmup_lr_rate", .2))):
        [.2, .6, 1, .9554, .8306, .6501, .4499, .2694, .1446, .1],
    ("warmup_stable_decay", (("num_decay_steps", 3), ("min_lr_ratio", .1))):
        [.1, .4, .7, 1, 1, 1, 1, 1, .775, .325],
    ("polynomial", (("lr_end", .1), ("power", 2))):
        [0, .3333, .6667, 1, .7612, .5592, .3939, .2653, .1735, .1184],
    ("inverse_sqrt", ()): [0, .3333, .6667, 1, .8660, .7746, .7071, .6547, .6124, .5774],
    ("cosine_with_restarts", (("num_cycles", 2),)):
        [0, .3333, .6667, 1, .8117, .3887, .0495, .9505, .6113, .1883],
}


@pytest.mark.parametrize(("typ", "kw"), list(GOLDEN))
def test_replica_matches_transformers_and_the_golden_rows(typ, kw, tmp_path):
    cfg = {"learning_rate": 1.0, "lr_scheduler_type": typ, "warmup_steps": 3, "max_steps": 10,
           "lr_scheduler_kwargs": dict(kw)}
    ref = trainer_curve(cfg, tmp_path)
    np.testing.assert_allclose(ref, GOLDEN[(typ, kw)], atol=5e-5)
    sim = hf.simulator(cfg)(np.arange(10))
    assert_same(sim, ref)


@pytest.mark.parametrize(("typ", "kw", "n", "w"), [
    ("cosine", {"num_cycles": 0.3}, 1000, 10),
    ("cosine_with_min_lr", {"min_lr": 3e-5}, 777, 0),
    ("polynomial", {"lr_end": 1e-6, "power": 0.5}, 1000, 100),
    ("warmup_stable_decay", {"num_decay_steps": 100, "num_stable_steps": 300,
                             "decay_type": "cosine", "warmup_type": "cosine",
                             "min_lr_ratio": 0.05}, 1000, 50),
    ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.0, "warmup_lr_rate": 0.01}, 600, 60),
    ("inverse_sqrt", {}, 500, 0),
])
def test_replica_matches_transformers_elsewhere(typ, kw, n, w, tmp_path, recwarn):
    cfg = {"learning_rate": PEAK, "lr_scheduler_type": typ, "warmup_steps": w, "max_steps": n,
           "lr_scheduler_kwargs": kw}
    assert_same(hf.simulator(cfg)(np.arange(n)), trainer_curve(cfg, tmp_path))


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

IMPORTS = [
    {"learning_rate": 5e-5, "max_steps": 3000},  # the Trainer defaults: linear, no warmup
    {"learning_rate": 2e-4, "lr_scheduler_type": "cosine", "warmup_steps": 0.07, "max_steps": 100},
    {"learning_rate": 2e-4, "lr_scheduler_type": "cosine_with_min_lr", "warmup_steps": 30,
     "max_steps": 1000, "lr_scheduler_kwargs": json.dumps({"min_lr_rate": 0.1})},
    {"learning_rate": 1e-3, "lr_scheduler_type": "cosine_with_min_lr", "warmup_steps": 30,
     "max_steps": 1000, "lr_scheduler_kwargs": {"min_lr": 1e-4, "num_cycles": 0.25}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 50,
     "max_steps": 1000, "lr_scheduler_kwargs": {"num_decay_steps": 200, "min_lr_ratio": 0.1,
                                                "warmup_type": "cosine", "decay_type": "1-sqrt"}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "cosine_warmup_with_min_lr", "warmup_steps": 20,
     "max_steps": 400, "lr_scheduler_kwargs": {"min_lr_rate": 0.05}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "cosine_warmup_with_min_lr", "warmup_steps": 20,
     "max_steps": 400, "lr_scheduler_kwargs": {"min_lr_rate": 0.05, "warmup_lr_rate": 0.1}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "polynomial", "warmup_steps": 20,
     "max_steps": 400, "lr_scheduler_kwargs": {"lr_end": 1e-5, "power": 3}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "inverse_sqrt", "warmup_steps": 20,
     "max_steps": 400},
    {"learning_rate": 1e-3, "lr_scheduler_type": "cosine_with_restarts", "warmup_steps": 20,
     "max_steps": 420, "lr_scheduler_kwargs": {"num_cycles": 3}},
    {"learning_rate": 1e-3, "lr_scheduler_type": "constant_with_warmup", "warmup_steps": 20,
     "max_steps": 100},
]


@pytest.mark.parametrize("cfg", IMPORTS, ids=lambda c: c.get("lr_scheduler_type", "default"))
def test_import_reproduces_the_trainer(cfg, tmp_path, recwarn):
    path = tmp_path / "args.json"
    path.write_text(json.dumps(cfg))
    r = run("import", "-f", "hf", str(path), "-q")
    assert r.exit_code == 0, r.output
    spec = tmp_path / "spec.yaml"
    spec.write_text(r.stdout)
    s = warmupctl.load(str(spec))
    assert_same(s.curve(), trainer_curve(cfg, tmp_path))
    # ... and exporting the imported spec gives a config with the same curve
    back = json.loads(interop.export(s, "hf").text)
    assert_same(trainer_curve(back, tmp_path), s.curve())


def test_import_yaml_and_warmup_ratio_float_trap(tmp_path):
    path = tmp_path / "args.yaml"
    path.write_text("learning_rate: 2.0e-4\nlr_scheduler_type: linear\nwarmup_ratio: 0.07\n"
                    "max_steps: 100\nper_device_train_batch_size: 8\n")
    r = run("import", "-f", "hf", str(path))
    assert r.exit_code == 0, r.output
    assert "4.x" in r.stderr and "= 8 steps" in r.stderr  # ceil(100 × 0.07) = 8 in floats
    assert "length: 8" in r.stdout


@pytest.mark.parametrize(("cfg", "message"), [
    ({"lr_scheduler_type": "reduce_lr_on_plateau", "max_steps": 10}, "no fixed curve"),
    ({"lr_scheduler_type": "cosine", "num_train_epochs": 3}, "--total"),
    ({"lr_scheduler_type": "cosin", "max_steps": 10}, "did you mean 'cosine'"),
    ({"lr_scheduler_type": "warmup_stable_decay", "max_steps": 10, "warmup_steps": 2,
      "lr_scheduler_kwargs": {"num_decay_steps": 3, "warmup_type": "1-sqrt"}}, "1-sqrt"),
    ({"lr_scheduler_type": "cosine", "max_steps": 10, "lr_scheduler_kwargs": {"num_cycles": 1}},
     "climb back up"),
])
def test_import_refusals(cfg, message, tmp_path):
    path = tmp_path / "args.json"
    path.write_text(json.dumps(cfg))
    r = run("import", "-f", "hf", str(path))
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.output


# --------------------------------------------------------------------------------------------
# Refusal and --approximate
# --------------------------------------------------------------------------------------------


def worst(ours: np.ndarray, theirs: np.ndarray) -> tuple[int, float]:
    with np.errstate(invalid="ignore"):
        rel = np.nan_to_num(np.abs(ours - theirs) / np.maximum(np.abs(ours), np.abs(theirs)))
    return int(np.argmax(rel)), float(rel.max())


REFUSED = {
    "exponential warmup": ({"total": 1000, "peak_lr": PEAK,
                            "warmup": {"shape": "exponential", "length": 100},
                            "decay": {"shape": "cosine"}}, "exponential"),
    "hold after the decay": ({"total": 1000, "peak_lr": PEAK,
                              "warmup": {"shape": "linear", "length": 100},
                              "decay": {"shape": "cosine", "final_lr": "10%", "length": 700}},
                             "holds"),
    "step decay": ({"total": 1000, "peak_lr": PEAK,
                    "decay": {"shape": "step", "milestones": [300, 600]}}, "step"),
    # HF's warmup_stable_decay has the cosine cooldown; what it lacks is a warmup from 0 when
    # the cooldown ends above 0 (min_lr_ratio also sets the warmup's start)
    "wsd to 10% after a warmup from 0": (
        {"total": 1000, "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 50},
         "decay": {"shape": "wsd", "cooldown": 200, "cooldown_shape": "cosine",
                   "final_lr": "10%"}},
        "warmup_stable_decay warms up from min_lr_ratio × the peak"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refusal_names_the_problem_and_the_formats_that_can(case, tmp_path):
    spec, word = REFUSED[case]
    out = tmp_path / "hf.json"
    out.write_text("keep me")
    r = run("export", "-", "-f", "hf", "-o", str(out), input=json.dumps(spec))
    assert r.exit_code == 2
    assert "HF transformers cannot express this schedule exactly" in r.stderr
    assert word in r.stderr and "torch" in r.stderr and "--approximate" in r.stderr
    assert out.read_text() == "keep me"  # nothing written on failure


@pytest.mark.parametrize("case", list(REFUSED))
def test_approximate_reports_the_true_worst_deviation(case, tmp_path, recwarn):
    spec, _ = REFUSED[case]
    s = warmupctl.load(spec)
    r = run("export", "-", "-f", "hf", "--approximate", input=json.dumps(spec))
    assert r.exit_code == 0, r.output
    cfg = json.loads(r.stdout)
    step, rel = worst(s.curve(), trainer_curve(cfg, tmp_path))  # computed independently
    assert f"worst deviation at step {step:,}:" in r.stderr
    reported = float(r.stderr.split("relative error ")[1].split()[0])
    assert reported == pytest.approx(rel, rel=1e-2)
    assert rel > RTOL


def test_gpt3_small_is_refused_with_a_helpful_message():
    r = run("export", "gpt3-small", "-f", "hf")
    assert r.exit_code == 2
    assert "holds 6e-05" in r.stderr or "holds 5.9999999999999995e-05" in r.stderr
    assert "megatron" in r.stderr and "keras" in r.stderr
    assert math.isfinite(float(r.stderr.split("off by ")[1].split()[0]))
