"""`recommend --weight-decay`: the shortest warmup by predicted update size, next to the rules'."""

from __future__ import annotations

import json

import numpy as np
from _support import run

import warmupctl
from warmupctl.updates.predict import predict_rates


def _whole_run_ratio(schedule, length):
    """The peak multiple over the whole run for ``schedule`` with its warmup swapped for a
    ``length``-step linear one (its decay kept), computed independently of the search."""
    rest = schedule.window(schedule.warmup_steps, schedule.total_steps)
    ramp = schedule.lr(schedule.warmup_steps) * np.arange(length) / max(length, 1)
    lr = np.concatenate([ramp, rest])
    training = dict(schedule.meta["training"])
    return predict_rates(lr, training, fan_in=training.get("fan_in", 768),
                         init_std=training.get("init_std", 0.02)).peak_ratio()[0]


def test_json_answer_is_the_first_length_within_the_bound():
    res = run("recommend", "--steps", "20k", "--batch", "512", "--peak-lr", "1e-2",
              "--weight-decay", "0.1", "--fan-in", "256", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    u = out["update_size"]
    assert out["spec"]["training"]["weight_decay"] == 0.1
    assert out["spec"]["training"]["fan_in"] == 256
    assert u["bound"] == 2.0 and "warmupctl's choice" in u["note"] and "2410.23922" in u["source"]
    assert u["rule_warmup_steps"] == out["warmup_steps"]
    schedule = warmupctl.load(out["spec"])
    n = u["warmup_steps"]
    assert _whole_run_ratio(schedule, n) <= 2.0 < _whole_run_ratio(schedule, n - 1)
    assert u["peak_ratio"] == _whole_run_ratio(schedule, schedule.warmup_steps)


def test_text_line_and_reasons():
    res = run("recommend", "--steps", "20k", "--batch", "512", "--peak-lr", "1e-2",
              "--weight-decay", "0.1")
    assert res.exit_code == 0
    assert "update sizes: a linear warmup of" in res.output and "2× equilibrium" in res.output
    res = run("recommend", "--steps", "20k", "--batch", "512", "--weight-decay", "0.1", "--json")
    assert json.loads(res.output)["update_size"]["reason"].startswith("needs an absolute peak")
    res = run("recommend", "--steps", "20k", "--batch", "512", "--peak-lr", "1e-3", "--json")
    assert "update_size" not in json.loads(res.output)  # unchanged without --weight-decay


def test_bad_flags_exit_2():
    for flags in (["--weight-decay", "-1"], ["--weight-decay", "0.1", "--fan-in", "1"],
                  ["--weight-decay", "0.1", "--init-std", "0"], ["--fan-in", "64"]):
        res = run("recommend", "--steps", "20k", "--batch", "512", "--peak-lr", "1e-3", *flags)
        assert res.exit_code == 2, (flags, res.output)
