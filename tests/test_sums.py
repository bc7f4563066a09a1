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


# ------------------------------------------------------------------ restarts with many cycles

MANY_CYCLES = [
    {"period": 1},
    {"period": 7},
    {"period": 2, "cycle_decay": 0.999},
    {"period": 13, "final_lr": "10%", "cycle_decay": 0.9999},
    {"cycles": 300_001},
    {"cycles": 123_457, "final_lr": "10%"},
    {"period": 3, "period_mult": 1.00001},
    {"period": 2, "period_mult": 1.000003, "cycle_decay": 0.99999, "final_lr": "1%"},
]


@pytest.mark.parametrize("decay", MANY_CYCLES, ids=lambda d: "-".join(map(str, d.values())))
def test_restarts_with_hundreds_of_thousands_of_cycles_are_summed_by_cycle(decay):
    # more cycles than restart_steps lists (10^5): before, such a phase was summed step by step,
    # hours at 10^12 steps; now cycle by cycle in closed form, or in O(1) for equal cycles
    s = load({"total": 3_000_017, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 11},
              "decay": {"shape": "cosine_restarts", **decay}})
    assert approximate_sum(s) == pytest.approx(_step_by_step(s), rel=1e-11, abs=0)


def _limit_evaluated_steps(monkeypatch, limit: int = 10**7) -> None:
    """Fail as soon as more than ``limit`` steps are evaluated in all (the cost is the point)."""
    from warmupctl.engine import Phase

    evaluated = []
    original = Phase.evaluate

    def counting(self, t):
        evaluated.append(np.size(t))
        if sum(evaluated) > limit:
            raise AssertionError(f"more than {limit:,} steps evaluated")
        return original(self, t)

    monkeypatch.setattr(Phase, "evaluate", counting)


def test_a_trillion_steps_of_restarts_have_a_closed_form_sum(monkeypatch):
    # period P = 1000, no decay: each cycle sums to P*b + (a-b)*(P+1)/2 (sum of cos(pi*k/P) over
    # k < P is 1), so 10^9 cycles with a = 1e-3, b = 0 give 10^9 * 1e-3 * 1001/2
    _limit_evaluated_steps(monkeypatch)
    s = load({"total": "1T", "peak_lr": 1e-3,
              "decay": {"shape": "cosine_restarts", "period": 1000}})
    stats = s.stats()
    assert stats["sum_lr"] == pytest.approx(1e9 * 1e-3 * 1001 / 2, rel=1e-12)
    assert stats["sum_lr_exact"] is False
    # with a decay per cycle: a geometric series
    s = load({"total": "1T", "peak_lr": 1e-3,
              "decay": {"shape": "cosine_restarts", "period": 1000, "cycle_decay": 0.5}})
    assert s.stats()["sum_lr"] == pytest.approx(2 * 1e-3 * 1001 / 2, rel=1e-12)


def test_show_of_a_trillion_steps_of_restarts_visits_few_steps(monkeypatch):
    _limit_evaluated_steps(monkeypatch)
    r = run("show", "-", input="total: 1T\npeak_lr: 1.0e-3\n"
            "decay: {shape: cosine_restarts, period: 1000}\n")
    assert r.exit_code == 0, r.output
    assert "≈ 5.005e+08" in r.stdout
    assert "curve         " + "█" * 48 in r.stdout  # every column holds a restart to the peak


def test_bounded_column_maxima_equal_the_scanned_ones_for_whole_step_cycles():
    from warmupctl.cycles import window_maxima
    from warmupctl.engine import restart_steps
    from warmupctl.render.reduce import bucket_edges, column_max

    for decay in ({"period": 7}, {"period": 3, "cycle_decay": 0.99}, {"period": 1},
                  {"period": 13, "cycle_decay": 0.999, "final_lr": "50%"}):
        s = load({"total": 2_000_003, "peak_lr": 1e-3,
                  "warmup": {"shape": "linear", "length": 1000},
                  "decay": {"shape": "cosine_restarts", **decay}})
        assert restart_steps(s.phases[1]) is None  # too many cycles to list
        for width in (7, 48, 1000, 100_000):
            scanned = column_max(s, width)  # every step
            bounded = window_maxima(s, bucket_edges(0, s.total_steps, width))
            assert np.array_equal(bounded, scanned), (decay, width)


def test_rates_near_the_largest_float_have_no_sum_and_say_why():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning either
        s = load({"total": 1000, "peak_lr": 1.7e308, "warmup": {"shape": "linear", "length": 10},
                  "decay": {"shape": "cosine"}})
        assert s.stats()["sum_lr"] == math.inf
    r = run("show", "--json", "-", input="total: 1000\npeak_lr: 1.7e308\n")
    assert r.exit_code == 0 and r.stderr == ""
    info = json.loads(r.stdout)  # valid JSON: no Infinity
    assert info["sum_lr"] is None
    assert info["sum_lr_note"].startswith("above the largest float64")
    r = run("show", "-", input="total: 1000\npeak_lr: 1.7e308\n")
    assert "sum of rates  above the largest float64" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("decay", [{"cycles": 150_001, "final_lr": "10%"},
                                   {"period": 2, "period_mult": 1.00001},
                                   {"cycles": 333_331, "cycle_decay": 0.99999}])
def test_bounded_column_maxima_of_fractional_cycles_are_within_the_documented_bound(decay):
    # docs/cli.md: for cycles of fractional length P the first step of a cycle sits up to one
    # step past the cycle's real start, so the column's largest rate can be missed by at most
    # sin²(π/2P) ≤ (π/2P)² of the cycle's height (top − final_lr); never overstated
    from warmupctl.cycles import window_maxima
    from warmupctl.engine import _cycle_geometry
    from warmupctl.render.reduce import bucket_edges, column_max

    s = load({"total": 2_000_003, "peak_lr": 1e-3, "decay": {"shape": "cosine_restarts", **decay}})
    ph = s.phases[0]
    shortest = float(np.min(_cycle_geometry(ph, np.arange(0.0, 400_000.0))[1]))
    bound = (math.pi / (2 * shortest)) ** 2 * (ph.a - ph.b)
    for width in (7, 48, 1000):
        scanned = column_max(s, width)
        bounded = window_maxima(s, bucket_edges(0, s.total_steps, width))
        assert np.all(bounded <= scanned)
        assert np.all(scanned - bounded <= bound * (1 + 1e-9)), width
