"""The sum of the rates (``show``'s "sum of rates"): exact up to 2^25 steps, and without visiting
every step beyond, within 1e-9 relative of the step-by-step sum."""

import json
import math

import numpy as np
import pytest
from _support import run

from warmupctl import load
from warmupctl.engine import EXACT_SUM_LIMIT, approximate_sum

WARMUPS = [
    {"shape": "linear", "length": "1%"},
    {"shape": "exponential", "length": "2%"},
    {"shape": "polynomial", "length": "3%", "power": 0.5},
    {"shape": "cosine", "length": 1},
    {"shape": "none"},
]
DECAYS = [
    {"shape": "cosine", "final_lr": "10%"},
    {"shape": "linear"},
    {"shape": "polynomial", "power": 0.5},
    {"shape": "polynomial", "power": 3},
    {"shape": "inverse_sqrt"},
    {"shape": "inverse_sqrt", "timescale": 10, "final_lr": "0.5%"},
    {"shape": "step", "milestones": ["50%", "75%"]},
    {"shape": "exponential", "gamma": 0.999999},
    {"shape": "exponential", "gamma": 0.99999, "final_lr": "1%"},
    {"shape": "wsd"},
    {"shape": "wsd", "cooldown_shape": "cosine"},
    {"shape": "cosine_restarts", "cycles": 4},
    {"shape": "cosine_restarts", "period": "10%", "period_mult": 2, "cycle_decay": 0.7},
    {"shape": "cosine", "length": "50%"},
    {"shape": "constant"},
]


def _step_by_step(schedule) -> float:
    return math.fsum(float(v) for v in schedule.curve())


@pytest.mark.parametrize("decay", DECAYS, ids=lambda d: "-".join(map(str, d.values())))
def test_the_approximate_sum_matches_the_step_by_step_sum(decay):
    # 2,048 points for 600k steps: relative to the run, a far coarser grid than the 2^21 points
    # the CLI spends on any run up to 10^12 steps, so this bounds the error of real use
    for warmup in WARMUPS:
        s = load({"total": 600_000, "peak_lr": 3e-4, "warmup": warmup, "decay": decay})
        exact = _step_by_step(s)
        assert approximate_sum(s, nodes=2048) == pytest.approx(exact, rel=1e-9, abs=0), warmup


def test_closed_form_sums_of_a_ten_billion_step_run():
    # linear warmup 0 -> P over W steps: sum P*t/W for t < W = P*(W-1)/2; cosine from P to b over
    # L steps: sum b + (P-b)*(1+cos(pi*x/L))/2 = L*b + (P-b)*(L+1)/2, since sum cos(pi*x/L) = 1
    n, w, p, b = 10**10, 10**8, 3e-4, 3e-5
    s = load({"total": n, "peak_lr": p, "warmup": {"shape": "linear", "length": w},
              "decay": {"shape": "cosine", "final_lr": b}})
    closed = p * (w - 1) / 2 + (n - w) * b + (p - b) * (n - w + 1) / 2
    assert approximate_sum(s) == pytest.approx(closed, rel=1e-12, abs=0)
    stats = s.stats()
    assert stats["sum_lr_exact"] is False
    assert stats["sum_lr"] == pytest.approx(closed, rel=1e-12, abs=0)


def test_linear_and_step_stretches_are_summed_exactly():
    # step decay is constant between milestones; linear from P to 0 over n steps sums to P*(n+1)/2
    n, p = 10**9, 1.0
    s = load({"total": n, "peak_lr": p, "warmup": {"shape": "none"},
              "decay": {"shape": "step", "milestones": [n // 2], "gamma": 0.5}})
    assert approximate_sum(s) == pytest.approx(n // 2 * 1.0 + n // 2 * 0.5, rel=1e-15, abs=0)
    s = load({"total": n, "peak_lr": p, "warmup": {"shape": "none"},
              "decay": {"shape": "linear"}})
    assert approximate_sum(s) == pytest.approx(p * (n + 1) / 2, rel=1e-14, abs=0)


def test_short_runs_are_summed_step_by_step():
    s = load({"total": 1000, "peak_lr": 1.0, "warmup": {"shape": "linear", "length": 10},
              "decay": {"shape": "constant"}})
    stats = s.stats()
    assert stats["sum_lr_exact"] is True
    assert stats["sum_lr"] == 4.5 + 990  # 0 + 0.1 + ... + 0.9, then 990 steps at 1
    assert s.stats(exact_limit=999)["sum_lr_exact"] is False
    assert EXACT_SUM_LIMIT == 1 << 25  # docs/cli.md states this limit


def test_show_marks_an_approximate_sum():
    args = ["--total", "10B", "--peak-lr", "1", "--warmup", "none", "--decay", "linear"]
    r = run("show", *args)
    assert r.exit_code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("sum of rates"))
    assert "≈ 5e+09" in row
    info = json.loads(run("show", *args, "--json").stdout)
    assert info["sum_lr_exact"] is False
    assert info["sum_lr"] == pytest.approx((10**10 + 1) / 2, rel=1e-14)
    small = json.loads(run("show", "--json", "-q").stdout)
    assert small["sum_lr_exact"] is True
    assert "≈" not in run("show", "-q").stdout
    assert np.isfinite(small["sum_lr"])
