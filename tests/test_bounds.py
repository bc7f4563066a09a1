"""Exports and imports of any run length check a bounded number of steps (issue 13, item 5):
every step up to FULL_CHECK_STEPS, a fixed-size sample beyond, and the sample still catches a
target that is off by one step at a boundary or in a length."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from test_hostile_import import entry_point

from warmupctl import interop
from warmupctl.interop import _common
from warmupctl.interop._common import FULL_CHECK_STEPS, compare
from warmupctl.loading import load


def schedule(total, warmup="1%", decay=None):
    spec = {"total": total, "peak_lr": 3e-4,
            "decay": decay or {"shape": "cosine", "final_lr": "10%"}}
    if warmup:
        spec["warmup"] = {"shape": "linear", "length": warmup}
    return load(spec)


def test_short_runs_are_checked_at_every_step():
    s = schedule(FULL_CHECK_STEPS)
    dev = compare(s, s.at)
    assert dev.full and dev.checked == FULL_CHECK_STEPS == dev.span
    assert dev.coverage() == f"all {FULL_CHECK_STEPS:,} steps"
    # one wrong step anywhere is found
    bad = 777_777

    def off(steps):
        out = s.at(steps).copy()
        out[steps == bad] *= 1 + 1e-9
        return out

    dev = compare(s, off)
    assert dev.step == bad and not dev.exact


@pytest.mark.parametrize("total", [FULL_CHECK_STEPS + 1, 10**9, 10**12, 2**53])
def test_long_runs_check_a_bounded_sample(total):
    s = schedule(total)
    dev = compare(s, s.at)
    assert dev.exact and not dev.full and dev.span == total
    assert 300_000 < dev.checked < 1_300_000
    assert "of" in dev.coverage() and f"{total:,}" in dev.coverage()


@pytest.mark.parametrize("total", [10**9, 10**12, 2**53 - 1])
def test_the_sample_catches_a_warmup_one_step_off(total):
    s = schedule(total, warmup=1000)
    other = schedule(total, warmup=1001)
    dev = compare(s, other.at)
    assert not dev.exact and dev.step <= 1001


@pytest.mark.parametrize("total", [10**9, 10**12])
def test_the_sample_catches_a_decay_one_step_too_long(total):
    s = schedule(total, warmup=1000)
    # the same cosine, formula length one step longer (cut by the end of the run)
    other = schedule(total, warmup=1000,
                     decay={"shape": "cosine", "final_lr": "10%", "length": total - 1000 + 1})
    dev = compare(s, other.at)
    assert not dev.exact


def test_the_sample_catches_a_milestone_one_step_off():
    total = 10**12
    s = schedule(total, warmup=0, decay={"shape": "step", "milestones": [3 * 10**11, 7 * 10**11]})
    other = schedule(total, warmup=0,
                     decay={"shape": "step", "milestones": [3 * 10**11, 7 * 10**11 + 1]})
    dev = compare(s, other.at)
    assert not dev.exact and dev.step == 7 * 10**11


def test_the_sample_is_computed_once_per_schedule():
    s = schedule(10**12)
    a = _common.check_steps(s, 0, s.total_steps)
    assert _common.check_steps(s, 0, s.total_steps) is a


@pytest.mark.parametrize("fmt", interop.TARGETS)
def test_export_of_2_53_steps_finishes_and_says_what_was_checked(fmt, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(entry_point() + [
        "export", "--total", str(2**53), "--peak-lr", "3e-4", "--warmup", "linear:1000",
        "--decay", "cosine:10%", "-f", fmt, "-o", str(out)],
        capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr
    if fmt == "optax":  # an int32 step count: refused, with the reason
        assert proc.returncode == 2 and "int32" in proc.stderr
        return
    assert proc.returncode in (0, 2), proc.stderr
    if proc.returncode == 0 and "matches warmupctl" in proc.stderr:
        assert f"of {2**53:,} steps" in proc.stderr


def test_import_of_a_trillion_steps_finishes_and_says_what_was_checked(tmp_path):
    cfg = tmp_path / "hf.json"
    cfg.write_text(json.dumps({"learning_rate": 3e-4, "max_steps": 10**12, "warmup_steps": 1000,
                               "lr_scheduler_type": "cosine"}))
    out = tmp_path / "spec.yaml"
    proc = subprocess.run(entry_point() + ["import", str(cfg), "-f", "hf", "-o", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"of {10**12:,} steps" in out.read_text()
    assert np.isclose(load(str(out)).lr(10**12 - 1), 0.0, atol=1e-15)


def test_deepspeed_torch_scheduler_beyond_the_replay_limit_is_refused(tmp_path):
    cfg = tmp_path / "ds.json"
    cfg.write_text(json.dumps({"optimizer": {"params": {"lr": 1e-3}},
                               "scheduler": {"type": "ExponentialLR", "params": {"gamma": 0.9}}}))
    proc = subprocess.run(entry_point() + ["import", str(cfg), "-f", "deepspeed", "--total",
                                           "1e12"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2 and "1,000,000 steps" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_replayed_candidates_are_tried_only_up_to_the_replay_limit():
    # a cosine from the peak to 0 without warmup is torch's CosineAnnealingLR, whose chainable
    # form is replayed update by update: above REPLAY_STEPS only the closed forms are tried
    spec = {"peak_lr": 3e-4, "decay": {"shape": "cosine", "final_lr": 0.0}}
    short = load({**spec, "total": 1000})
    long = load({**spec, "total": 10**12})
    assert interop.export(short, "torch").candidate.label == "CosineAnnealingLR"
    out = interop.export(long, "torch")
    assert out.candidate.label == "LambdaLR (closed form)" and out.exact
    assert not out.deviation.full
    ds = interop.export(long, "deepspeed", approximate=True)
    assert not ds.candidate.replayed and not ds.candidate.label.startswith("torch")
