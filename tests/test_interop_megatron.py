"""`export -f megatron` and `import -f megatron` against megatron-core's own scheduler.

megatron-core installs from PyPI without a GPU, so these tests run the real
``megatron.core.optimizer_param_scheduler.OptimizerParamScheduler`` (on a stand-in optimizer: it
only reads and writes ``param_groups``). The arguments are mapped to it the way
``megatron/training/training.py`` does for iteration-based runs (not part of megatron-core):
``lr_warmup_steps = lr_warmup_iters × GBS``, ``lr_decay_steps = lr_decay_iters × GBS``,
``wsd_decay_steps = lr_wsd_decay_iters × GBS``, ``init_lr = lr_warmup_init``, and the scheduler is
stepped by GBS samples after every iteration (anchors-schedules.md §2.6). Iteration k trains with
the rate set after k such steps.
"""

from __future__ import annotations

import json
import shlex
import types
import warnings

import numpy as np
import pytest

with warnings.catch_warnings():  # "Transformer Engine and Apex are not installed": not ours
    warnings.simplefilter("ignore")
    mcore = pytest.importorskip("megatron.core.optimizer_param_scheduler",
                                reason="needs megatron-core (test extra)")

from _support import RTOL, assert_same, run  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.interop import megatron  # noqa: E402


def parse_args(line: str) -> dict:
    toks = []
    for tok in shlex.split(line):
        toks.extend(tok.split("=", 1) if tok.startswith("--") else [tok])
    out = {}
    for i, tok in enumerate(toks):
        if tok.startswith("--"):
            out[tok[2:].replace("-", "_")] = toks[i + 1]
    return out


def megatron_curve(line: str, gbs: int = 1, n: int | None = None) -> np.ndarray:
    a = parse_args(line)
    train = int(a["train_iters"])
    decay_iters = int(a.get("lr_decay_iters", train))
    style = a.get("lr_decay_style", "linear")
    wsd = a.get("lr_wsd_decay_iters")
    if "lr_warmup_fraction" in a:  # training.py: fraction of the decay steps, unrounded
        warmup_steps = float(a["lr_warmup_fraction"]) * decay_iters * gbs
    else:
        warmup_steps = int(a.get("lr_warmup_iters", 0)) * gbs
    opt = types.SimpleNamespace(param_groups=[{}])
    sched = mcore.OptimizerParamScheduler(
        opt, init_lr=float(a.get("lr_warmup_init", 0.0)), max_lr=float(a["lr"]),
        min_lr=float(a.get("min_lr", 0.0)),
        lr_warmup_steps=warmup_steps,
        lr_decay_steps=decay_iters * gbs, lr_decay_style=style,
        start_wd=0.0, end_wd=0.0, wd_incr_steps=1, wd_incr_style="constant",
        wsd_decay_steps=int(wsd) * gbs if wsd else None,
        lr_wsd_decay_style=a.get("lr_wsd_decay_style"))
    n = train if n is None else n
    out = np.empty(n)
    for k in range(n):
        out[k] = opt.param_groups[0]["lr"]
        sched.step(gbs)
    return out



SPECS = {
    "cosine-hold": {"total": 3000, "peak_lr": 6e-4, "warmup": {"shape": "linear", "length": 100},
                    "decay": {"shape": "cosine", "final_lr": "10%", "length": 2400}},
    "cosine-truncated": {"total": 3000, "peak_lr": 6e-4,
                         "warmup": {"shape": "linear", "length": 100, "start_lr": 6e-6},
                         "decay": {"shape": "cosine", "final_lr": "10%", "length": 5000}},
    "linear-floor": {"total": 2000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 50},
                     "decay": {"shape": "linear", "final_lr": "10%"}},
    "constant": {"total": 500, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 50}},
    "inverse-sqrt": {"total": 4000, "noam": {"d_model": 512},
                     "warmup": {"shape": "linear", "length": 400}},
    "inverse-sqrt-floor": {"total": 4000, "peak_lr": 1e-3,
                           "warmup": {"shape": "linear", "length": 400},
                           "decay": {"shape": "inverse_sqrt", "final_lr": "40%"}},
    "wsd-minus-sqrt": {"total": 2500, "peak_lr": 5e-4,
                       "warmup": {"shape": "linear", "length": 30},
                       "decay": {"shape": "wsd", "cooldown": "20%"}},
    "wsd-cosine-floor-hold": {"total": 2500, "peak_lr": 5e-4,
                              "warmup": {"shape": "linear", "length": 30},
                              "decay": {"shape": "wsd", "cooldown": 300, "length": 2000,
                                        "cooldown_shape": "cosine", "final_lr": "5%"}},
}


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("gbs", [1, 256])
def test_export_runs_exactly_in_megatron(name, gbs):
    s = warmupctl.load(SPECS[name])
    r = run("export", "-", "-f", "megatron", input=json.dumps(SPECS[name]))
    assert r.exit_code == 0, r.output
    line = r.stdout.strip()
    assert "\n" not in line and line.startswith("--lr ")
    ref = megatron_curve(line, gbs)
    assert_same(s.curve(), ref)
    # importing the export gives a spec with the same curve
    back = warmupctl.load(interop.import_config("megatron", line, "<export>").spec)
    assert_same(back.curve(), ref)


def test_preset_gpt3_small_holds_min_lr_after_lr_decay_iters():
    s = warmupctl.load("gpt3-small")
    line = interop.export(s, "megatron").text.strip()
    a = parse_args(line)
    assert a["lr_decay_iters"] == "520750" and a["train_iters"] == "600000"
    assert a["min_lr"] == "6e-05"
    # every step through the replica; the first 3000 and the hand-over through Megatron itself
    assert_same(s.window(0, 3000), megatron_curve(line, n=3000))
    assert interop.export(s, "megatron").deviation.rel <= RTOL


GOLDEN = {  # T = 10, W = 3, peak 1, floor .1 (anchors-schedules.md §2.0)
    "linear": [0, .3333, .6667, 1, .8714, .7429, .6143, .4857, .3571, .2286, .1],
    "cosine": [0, .3333, .6667, 1, .9554, .8306, .6501, .4499, .2694, .1446, .1],
    "wsd-exponential": [0, .3333, .6667, 1, 1, 1, 1, 1, .6287, .3339, .1],
    "wsd-minus_sqrt": [0, .3333, .6667, 1, 1, 1, 1, 1, .4804, .2652, .1],
}


@pytest.mark.parametrize("case", list(GOLDEN))
def test_replica_matches_megatron_and_the_golden_rows(case):
    style, _, wsd = case.partition("-")
    line = (f"--lr 1.0 --min-lr 0.1 --lr-warmup-iters 3 --lr-decay-iters 10 --train-iters 11 "
            f"--lr-decay-style {'WSD' if wsd else style}")
    if wsd:
        line += f" --lr-wsd-decay-style {wsd} --lr-wsd-decay-iters 3"
    ref = megatron_curve(line)
    np.testing.assert_allclose(ref, GOLDEN[case], atol=5e-5)
    cfg = dict(megatron._tokens(line))
    cfg.update(lr=1.0, min_lr=0.1, lr_warmup_iters=3, lr_decay_iters=10,
               lr_decay_style="WSD" if wsd else style, lr_wsd_decay_iters=3)
    assert_same(megatron.simulate_cfg(cfg, np.arange(11)), ref)


IMPORT_LINES = [
    "--lr 3e-4 --min-lr 3e-5 --lr-decay-style cosine --lr-warmup-iters 200 --train-iters 2000",
    "--lr=3e-4 --lr-decay-style linear --lr-warmup-fraction 0.01 --lr-decay-iters 1500 "
    "--train-iters 2000",
    "--lr 3e-4 --lr-decay-style WSD --lr-wsd-decay-style linear --lr-wsd-decay-iters 400 "
    "--lr-warmup-iters 100 --train-iters 2000 --min-lr 3e-6",
    "--lr 1e-3 --lr-decay-style inverse-square-root --lr-warmup-iters 100 --train-iters 2000",
    "--lr 1e-3 --lr-decay-style inverse-square-root --lr-warmup-iters 100 --lr-decay-iters 900 "
    "--train-iters 2000 --min-lr 1e-4",
    "--lr 1e-3 --lr-decay-style inverse-square-root --train-iters 500",
    "--lr 1e-3 --lr-decay-style constant --lr-warmup-iters 10 --lr-warmup-init 1e-5 "
    "--train-iters 500",
    "--lr 1e-3 --lr-decay-style cosine --lr-warmup-samples 2560 --lr-decay-samples 256000 "
    "--train-samples 307200 --global-batch-size 256",
]


@pytest.mark.parametrize("line", IMPORT_LINES)
def test_import_reproduces_megatron(line, tmp_path):
    script = tmp_path / "pretrain.sh"
    script.write_text("#!/bin/sh\n# a training script\npython pretrain_gpt.py \\\n  "
                      + line.replace(" --", " \\\n  --") + " \\\n  --seq-length 2048\n")
    r = run("import", "-f", "megatron", str(script), "-q")
    assert r.exit_code == 0, r.output
    spec = tmp_path / "spec.yaml"
    spec.write_text(r.stdout)
    s = warmupctl.load(str(spec))
    a = megatron._tokens(line)
    gbs = int(a.get("global_batch_size", 1))
    mline = line
    if "train_samples" in a:  # the same run in iterations
        mline = ("--lr 1e-3 --lr-decay-style cosine --lr-warmup-iters 10 --lr-decay-iters 1000 "
                 "--train-iters 1200")
    ref = megatron_curve(mline, gbs)
    assert_same(s.curve(), ref)


def test_import_yaml_mapping(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("lr: 3.0e-4\nmin_lr: 3.0e-5\nlr_decay_style: cosine\nlr_warmup_iters: 100\n"
                    "train_iters: 1000\n")
    r = run("import", "-f", "megatron", str(path), "-q")
    assert r.exit_code == 0, r.output
    s = warmupctl.load(r.stdout and _write(tmp_path, r.stdout))
    ref = megatron_curve("--lr 3e-4 --min-lr 3e-5 --lr-decay-style cosine --lr-warmup-iters 100 "
                         "--train-iters 1000")
    assert_same(s.curve(), ref)


def _write(tmp_path, text):
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize(("line", "message"), [
    ("--lr 1e-3 --lr-decay-style WSD --lr-wsd-decay-iters 10 --train-iters 100", "exponential"),
    ("--lr 1e-3 --lr-warmup-fraction 0.0155 --train-iters 1000", "--lr-warmup-iters 16"),
    ("--lr 1e-3 --train-iters 100 --rampup-batch-size 16 16 1000", "ramp"),
    ("--lr-decay-style cosine --train-iters 100", "--lr is missing"),
    ("--lr 1e-3", "--train-iters"),
])
def test_import_refusals(line, message, tmp_path):
    path = tmp_path / "args.txt"
    path.write_text(line)
    r = run("import", "-f", "megatron", str(path))
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.output


# --------------------------------------------------------------------------------------------
# Refusal and --approximate
# --------------------------------------------------------------------------------------------


def worst(ours, theirs):
    with np.errstate(invalid="ignore"):
        rel = np.nan_to_num(np.abs(ours - theirs) / np.maximum(np.abs(ours), np.abs(theirs)))
    return int(np.argmax(rel)), float(rel.max())


REFUSED = {
    # a shape Megatron does not have
    "polynomial": ({"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
                    "decay": {"shape": "polynomial", "power": 2}}, "no such decay"),
    # a warmup Megatron does not have
    "cosine warmup": ({"total": 1000, "peak_lr": 1e-3,
                       "warmup": {"shape": "cosine", "length": 100},
                       "decay": {"shape": "cosine"}}, "warms up linearly"),
    # Megatron's linear decay computes 1 − r, which loses relative precision as the rate
    # approaches 0: a long decay to 0 is only exact to ~1e-11 relative at its last steps
    "rounding": ({"total": 200_000, "peak_lr": 1e-3,
                  "warmup": {"shape": "linear", "length": 100},
                  "decay": {"shape": "linear"}}, "floating-point rounding"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refusal_and_approximate(case):
    spec, word = REFUSED[case]
    s = warmupctl.load(spec)
    r = run("export", "-", "-f", "megatron", input=json.dumps(spec))
    assert r.exit_code == 2
    assert "Megatron-LM cannot express this schedule exactly" in r.stderr and word in r.stderr
    r = run("export", "-", "-f", "megatron", "--approximate", input=json.dumps(spec))
    assert r.exit_code == 0
    step, rel = worst(s.curve(), megatron_curve(r.stdout.strip()))  # independently
    assert f"worst deviation at step {step:,}:" in r.stderr
    assert float(r.stderr.split("relative error ")[1].split()[0]) == pytest.approx(rel, rel=1e-2)
