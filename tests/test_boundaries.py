"""Rates at every phase boundary, written out by hand.

The expected rows are literal numbers or closed forms evaluated here (never read back from
warmupctl), mostly on the reference notes' golden setting (anchors-schedules.md §2.0): N = 10
steps, a W = 3 warmup, peak 1, floor 0.1. Every row covers the step before, at and after each
boundary. Step convention (CONTRACT §1): steps t = 0..N-1, a phase starting at s with length L
has progress p = (t − s)/L, so a linear warmup from 0 gives 0 at t = 0 and the peak at t = W.

The second half checks that every way of evaluating a schedule — ``lr(t)``, ``lr(array)``,
``window(a, b)``, ``curve()``, chunked ``chunks()`` and the NPY export — gives the same floats.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import warmupctl
import warmupctl.engine
from warmupctl.export import write_npy

RTOL = 1e-12
PI = math.pi


def cos_down(p: float, top: float = 1.0, floor: float = 0.0) -> float:
    """Half-cosine decay from top to floor at progress p."""
    return floor + (top - floor) * 0.5 * (1.0 + math.cos(PI * p))


def assert_row(spec: dict, expected) -> warmupctl.Schedule:
    """The whole curve equals the expected row (rtol 1e-12, and exact where it is 0)."""
    s = warmupctl.load(spec)
    curve = s.curve()
    assert curve.shape == (len(expected),)
    np.testing.assert_allclose(curve, np.asarray(expected, dtype=np.float64), rtol=RTOL, atol=0)
    return s


def golden(warmup=None, decay=None, total=10, **extra) -> dict:
    spec = {"total": total, "peak_lr": 1.0, **extra}
    if warmup is not None:
        spec["warmup"] = warmup
    if decay is not None:
        spec["decay"] = decay
    return spec


LIN3 = {"shape": "linear", "length": 3}
WARM = [0.0, 1 / 3, 2 / 3]  # linear warmup over 3 steps: t/3


# --------------------------------------------------------------------------------------------
# The HF golden rows (anchors §2.0), T = 10, W = 3, peak 1
# --------------------------------------------------------------------------------------------


def test_hf_linear_row():
    # (T − t)/(T − W) after the warmup; the last step keeps 1/7, 0 would come at t = 10
    assert_row(golden(LIN3, {"shape": "linear"}),
               [0, 1 / 3, 2 / 3, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7])


def test_hf_cosine_row():
    s = assert_row(golden(LIN3, {"shape": "cosine"}),
                   WARM + [cos_down(j / 7) for j in range(7)])
    # the rounded golden values of §2.0
    np.testing.assert_allclose(s.curve()[3:], [1, .9505, .8117, .6113, .3887, .1883, .0495],
                               atol=5e-5)


def test_hf_cosine_with_min_lr_row():
    s = assert_row(golden(LIN3, {"shape": "cosine", "final_lr": "10%"}),
                   WARM + [0.1 + 0.9 * 0.5 * (1 + math.cos(PI * j / 7)) for j in range(7)])
    np.testing.assert_allclose(s.curve()[3:], [1, .9554, .8306, .6501, .4499, .2694, .1446],
                               atol=5e-5)


def test_hf_cosine_warmup_with_min_lr_row():
    # the "1-based" HF variant as two skip_zero phases: 1/3, 2/3, 1 (peak at W − 1), then
    # 0.1 + 0.9·½(1 + cos(π(t − 2)/7)), which reaches the floor exactly at the last step
    spec = {"total": 10, "peak_lr": 1.0, "phases": [
        {"shape": "linear", "length": 3, "from": 0, "to": 1.0, "skip_zero": True},
        {"shape": "cosine", "length": "rest", "to": "10%", "skip_zero": True}]}
    s = assert_row(spec, [1 / 3, 2 / 3, 1] + [cos_down(j / 7, 1, 0.1) for j in range(1, 8)])
    assert s.lr(9) == pytest.approx(0.1, rel=RTOL, abs=0)
    np.testing.assert_allclose(s.curve(), [.3333, .6667, 1, .9554, .8306, .6501, .4499, .2694,
                                           .1446, .1], atol=5e-5)


def test_hf_polynomial_row():
    # lr_end 0.1, power 2: 0.1 + 0.9·(1 − (t − 3)/7)²
    s = assert_row(golden(LIN3, {"shape": "polynomial", "final_lr": 0.1, "power": 2}),
                   WARM + [0.1 + 0.9 * ((7 - j) / 7) ** 2 for j in range(7)])
    np.testing.assert_allclose(s.curve()[3:], [1, .7612, .5592, .3939, .2653, .1735, .1184],
                               atol=5e-5)


def test_hf_inverse_sqrt_row():
    # timescale = W = 3: sqrt(3/t) from t = 3 on
    assert_row(golden(LIN3, {"shape": "inverse_sqrt"}),
               WARM + [math.sqrt(3 / t) for t in range(3, 10)])


def test_inverse_sqrt_explicit_timescale_row():
    # sqrt(c/(t − W + c)) with c = 2: 1, sqrt(2/3), sqrt(2/4), ...
    assert_row(golden(LIN3, {"shape": "inverse_sqrt", "timescale": 2}),
               WARM + [math.sqrt(2 / (j + 2)) for j in range(7)])


def test_hf_cosine_with_restarts_row():
    # 2 cycles over 7 steps: the restart lies between t = 6 (y = 6/7) and t = 7 (y = 8/7)
    row = WARM + [1.0, cos_down(2 / 7), cos_down(4 / 7), cos_down(6 / 7),
                  cos_down(1 / 7), cos_down(3 / 7), cos_down(5 / 7)]
    s = assert_row(golden(LIN3, {"shape": "cosine_restarts", "cycles": 2}), row)
    np.testing.assert_allclose(s.curve()[3:], [1, .8117, .3887, .0495, .9505, .6113, .1883],
                               atol=5e-5)


@pytest.mark.parametrize(("shape", "tail"), [
    # cooldown of 3 over t = 7, 8, 9 with q = 0, 1/3, 2/3, floor 0.1
    ("cosine", [1.0, 0.775, 0.325]),
    ("linear", [1.0, 0.1 + 0.9 * (2 / 3), 0.1 + 0.9 * (1 / 3)]),
    ("1-sqrt", [1.0, 0.1 + 0.9 * (1 - math.sqrt(1 / 3)), 0.1 + 0.9 * (1 - math.sqrt(2 / 3))]),
])
def test_hf_wsd_row(shape, tail):
    # HF WSD (decay 3, min .1) warms up from the floor: .1, .4, .7; stable at 1 for t = 3..6
    spec = golden({"shape": "linear", "length": 3, "start_lr": "10%"},
                  {"shape": "wsd", "final_lr": "10%", "cooldown": 3, "cooldown_shape": shape})
    assert_row(spec, [0.1, 0.4, 0.7, 1, 1, 1, 1] + tail)


def test_wsd_cooldown_in_percent():
    # 25% of 10 = 2.5 → 3 steps (ceil): t = 7, 8, 9
    spec = golden(LIN3, {"shape": "wsd", "cooldown": "25%", "cooldown_shape": "linear"})
    assert_row(spec, WARM + [1, 1, 1, 1, 1.0, 2 / 3, 1 / 3])


# --------------------------------------------------------------------------------------------
# Decay horizons
# --------------------------------------------------------------------------------------------


def test_decay_horizon_shorter_than_the_rest_holds_final_lr():
    # cosine over t = 3..6 (length 4) to 0.1, then 0.1 is held for t = 7..9
    row = WARM + [cos_down(j / 4, 1, 0.1) for j in range(4)] + [0.1] * 3
    s = assert_row(golden(LIN3, {"shape": "cosine", "final_lr": "10%", "length": 4}), row)
    assert s.lr(6) > 0.1 and s.lr(7) == 0.1


def test_linear_horizon_shorter_holds_zero():
    assert_row(golden(LIN3, {"shape": "linear", "length": 2}),
               WARM + [1.0, 0.5, 0, 0, 0, 0, 0])


def test_truncated_horizon_longer_than_the_run():
    # linear over 14 steps from t = 3: (14 − j)/14; the run stops at j = 6 (8/14)
    assert_row(golden(LIN3, {"shape": "linear", "length": 14}),
               WARM + [(14 - j) / 14 for j in range(7)])
    assert_row(golden(LIN3, {"shape": "cosine", "final_lr": 0.2, "length": 14}),
               WARM + [cos_down(j / 14, 1, 0.2) for j in range(7)])


def test_exponential_decay_every():
    # gamma 0.5 per 2 steps, continuous: 0.5^((t − 3)/2)
    assert_row(golden(LIN3, {"shape": "exponential", "gamma": 0.5, "every": 2}),
               WARM + [1.0, 0.5**0.5, 0.5, 0.5**1.5, 0.25, 0.5**2.5, 0.125])


def test_exponential_decay_with_floor_and_horizon():
    # floor 0.3 given as final_lr: 1, .707, .5, .354, then max(.3, .25) = .3 at t = 7
    assert_row(golden(LIN3, {"shape": "exponential", "gamma": 0.5, "every": 2,
                             "final_lr": 0.3}),
               WARM + [1.0, 0.5**0.5, 0.5, 0.5**1.5, 0.3, 0.3, 0.3])
    # horizon 4 (t = 3..6), then the rate the formula reaches at its end, 0.5^(4/2), is held
    assert_row(golden(LIN3, {"shape": "exponential", "gamma": 0.5, "every": 2, "length": 4}),
               WARM + [1.0, 0.5**0.5, 0.5, 0.5**1.5, 0.25, 0.25, 0.25])


# --------------------------------------------------------------------------------------------
# Warmup variants
# --------------------------------------------------------------------------------------------


def test_skip_zero_warmup():
    # progress (t + 1)/W: lr(0) = peak/W, the peak is first used at W − 1 = 2, then the decay
    # starts at the peak at t = 3
    spec = golden({"shape": "linear", "length": 3, "skip_zero": True},
                  {"shape": "cosine", "final_lr": "10%"})
    assert_row(spec, [1 / 3, 2 / 3, 1] + [cos_down(j / 7, 1, 0.1) for j in range(7)])


def test_skip_zero_with_start_lr():
    # from 0.4: 0.4 + 0.6·(t + 1)/3 = 0.6, 0.8, 1.0
    spec = golden({"shape": "linear", "length": 3, "skip_zero": True, "start_lr": 0.4})
    assert_row(spec, [0.6, 0.8, 1.0] + [1.0] * 7)


def test_constant_warmup():
    # start_lr held for t < W, the peak at t = W, then the decay
    spec = golden({"shape": "constant", "length": 3, "start_lr": 0.1}, {"shape": "linear"})
    assert_row(spec, [0.1, 0.1, 0.1, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7])


def test_polynomial_warmup_power_2():
    spec = golden({"shape": "polynomial", "length": 3, "power": 2}, {"shape": "linear"})
    assert_row(spec, [0, 1 / 9, 4 / 9, 1, 6 / 7, 5 / 7, 4 / 7, 3 / 7, 2 / 7, 1 / 7])


def test_polynomial_warmup_from_start_lr():
    # 0.2 + 0.8·(t/4)^3 for t < 4
    spec = golden({"shape": "polynomial", "length": 4, "power": 3, "start_lr": 0.2})
    assert_row(spec, [0.2, 0.2 + 0.8 / 64, 0.2 + 0.8 * 8 / 64, 0.2 + 0.8 * 27 / 64] + [1.0] * 6)


def test_cosine_warmup():
    # ½(1 − cos(πt/4)) for t < 4
    spec = golden({"shape": "cosine", "length": 4})
    assert_row(spec, [0, 0.5 * (1 - math.cos(PI / 4)), 0.5, 0.5 * (1 - math.cos(3 * PI / 4))]
               + [1.0] * 6)


def test_exponential_warmup():
    # 1 − e^(−t/τ) with τ = 2 for t < 4, then the peak
    spec = golden({"shape": "exponential", "length": 4, "tau": 2})
    assert_row(spec, [0, 1 - math.exp(-0.5), 1 - math.exp(-1), 1 - math.exp(-1.5)] + [1.0] * 6)


def test_exponential_warmup_default_tau():
    # τ = W/5 = 1
    spec = golden({"shape": "exponential", "length": 5})
    assert_row(spec, [0] + [1 - math.exp(-t) for t in range(1, 5)] + [1.0] * 5)


def test_linear_warmup_from_start_lr():
    spec = golden({"shape": "linear", "length": 4, "start_lr": "20%"})
    assert_row(spec, [0.2, 0.4, 0.6, 0.8] + [1.0] * 6)


def test_warmup_none():
    assert_row(golden({"shape": "none"}, {"shape": "linear"}), [(10 - t) / 10 for t in range(10)])


# --------------------------------------------------------------------------------------------
# Step milestones
# --------------------------------------------------------------------------------------------


def test_step_milestones_in_epochs():
    # 3 steps per epoch: 1ep = step 3, 2.5ep = 7.5 → step 8 (ceil); gamma 0.1 from each on
    spec = golden(None, {"shape": "step", "milestones": ["1ep", "2.5ep"], "gamma": 0.1},
                  steps_per_epoch=3)
    assert_row(spec, [1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01])


def test_step_milestones_in_percent_after_warmup():
    # 40% of 10 = step 4, 75% = 7.5 → step 8; linear warmup over 2
    spec = golden({"shape": "linear", "length": 2},
                  {"shape": "step", "milestones": ["75%", "40%"], "gamma": 0.5})
    assert_row(spec, [0, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_step_milestones_in_steps_and_epochs_mixed():
    # 5 steps per epoch, total 4 epochs = 20 steps; milestones 1ep = 5 and step 12
    spec = golden(None, {"shape": "step", "milestones": ["1ep", 12], "gamma": 0.2},
                  total="4ep", steps_per_epoch=5)
    assert_row(spec, [1] * 5 + [0.2] * 7 + [0.04] * 8)


# --------------------------------------------------------------------------------------------
# Cosine with restarts, period_mult 2 and cycle_decay 0.5
# --------------------------------------------------------------------------------------------


def test_cosine_restarts_period_mult_and_cycle_decay():
    # Decay starts at W = 3. Cycle lengths 2, 4, 8, 16 → cycles begin at steps 3, 5, 9, 17
    # with tops 1, 0.5, 0.25, 0.125; floor 0.05. At step c of cycle i (length T_i):
    # 0.05 + (top_i − 0.05)·½(1 + cos(π·c/T_i)).
    b = 0.05
    cycles = [(3, 2, 1.0), (5, 4, 0.5), (9, 8, 0.25), (17, 16, 0.125)]
    row = list(WARM)
    for start, length, top in cycles:
        for c in range(length):
            if start + c < 20:
                row.append(cos_down(c / length, top, b))
    assert len(row) == 20
    spec = golden(LIN3, {"shape": "cosine_restarts", "period": 2, "period_mult": 2,
                         "cycle_decay": 0.5, "final_lr": 0.05}, total=20)
    s = assert_row(spec, row)
    # the literal values around each restart
    expected = {4: b + (1 - b) * 0.5, 5: 0.5, 6: b + 0.45 * 0.5 * (1 + math.cos(PI / 4)),
                8: b + 0.45 * 0.5 * (1 + math.cos(3 * PI / 4)), 9: 0.25,
                16: b + 0.2 * 0.5 * (1 + math.cos(7 * PI / 8)), 17: 0.125, 18: b + 0.075 * 0.5 * (
                    1 + math.cos(PI / 16))}
    for t, v in expected.items():
        assert s.lr(t) == pytest.approx(v, rel=RTOL, abs=0)


def test_cosine_restarts_equal_periods():
    # period 3 from t = 0, to 0: cycles at 0, 3, 6, 9
    spec = golden(None, {"shape": "cosine_restarts", "period": 3})
    one = [1.0, cos_down(1 / 3), cos_down(2 / 3)]
    assert_row(spec, one * 3 + [1.0])


# --------------------------------------------------------------------------------------------
# Explicit phases
# --------------------------------------------------------------------------------------------


def test_phases_rest_and_from_defaults():
    # constant: from = where the linear ended (1), to = from; rest = 10 − 2 − 3 = 5 steps
    spec = {"total": 10, "phases": [
        {"shape": "linear", "length": 2, "from": 0, "to": 1.0},
        {"shape": "constant", "length": 3},
        {"shape": "linear", "length": "rest", "to": 0},
    ]}
    assert_row(spec, [0, 0.5, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2])


def test_phases_hold_after_phases_that_do_not_cover_the_run():
    # cosine 1 → 0.1 over 4 steps, linear 0.1 → 0.5 over 2, then 0.5 held for t = 6..9
    spec = {"total": 10, "peak_lr": 1.0, "phases": [
        {"shape": "cosine", "length": 4, "to": "10%"},     # from defaults to the peak
        {"shape": "linear", "length": 2, "to": 0.5},       # from defaults to 0.1
    ]}
    assert_row(spec, [cos_down(j / 4, 1, 0.1) for j in range(4)] + [0.1, 0.3] + [0.5] * 4)


def test_phases_rest_in_the_middle_and_percent_lengths():
    # 20% = 2 steps of warmup, rest = 10 − 2 − 3 = 5 stable, 30% = 3 steps of linear cooldown
    spec = {"total": 10, "peak_lr": 2.0, "phases": [
        {"shape": "linear", "length": "20%", "from": 0, "to": 2.0},
        {"shape": "constant", "length": "rest"},
        {"shape": "linear", "length": "30%", "to": "25%"},
    ]}
    assert_row(spec, [0, 1.0, 2, 2, 2, 2, 2, 2.0, 2 - 1.5 / 3, 2 - 3.0 / 3])


def test_phases_rewarmup():
    # continued pretraining: start at 0.1, re-warm to 1 over 2, cosine back to 0.1 over 4, hold
    spec = {"total": 10, "phases": [
        {"shape": "constant", "length": 1, "from": 0.1},
        {"shape": "linear", "length": 2, "to": 1.0},
        {"shape": "cosine", "length": 4, "to": 0.1},
    ]}
    assert_row(spec, [0.1, 0.1, 0.55] + [cos_down(j / 4, 1, 0.1) for j in range(4)] + [0.1] * 3)


# --------------------------------------------------------------------------------------------
# Lengths in %, tokens, epochs and samples become whole steps with ceil
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "total", "length", "steps"), [
    ({}, 100, "7%", 7),                                  # exactly 7, not ceil(100·0.07) = 8
    ({}, 100, "29%", 29),
    ({}, 1001, "0.5%", 6),                               # 5.005 → 6
    ({"tokens_per_step": "0.5M"}, "1B tokens", "375M tokens", 750),
    ({"tokens_per_step": 100}, 100, "1001 tokens", 11),  # 10.01 → 11
    ({"tokens_per_step": 100}, 100, "1001tok", 11),
    ({"steps_per_epoch": 3}, 100, "2.5ep", 8),           # 7.5 → 8
    ({"steps_per_epoch": 3}, 100, "2 epochs", 6),
    ({"training": {"batch_size": 64}}, 100, "1000 samples", 16),  # 15.625 → 16
    ({}, 5000, "2k", 2000),
])
def test_warmup_length_units(extra, total, length, steps):
    s = warmupctl.load({"total": total, "peak_lr": 1.0, **extra,
                        "warmup": {"shape": "linear", "length": length}})
    assert s.warmup_steps == steps
    assert s.lr(steps) == 1.0
    assert s.lr(steps - 1) == pytest.approx((steps - 1) / steps, rel=RTOL, abs=0)
    assert s.lr(0) == 0.0


@pytest.mark.parametrize(("extra", "total", "steps"), [
    ({"tokens_per_step": 100}, "1001 tokens", 11),
    ({"tokens_per_step": "0.5M"}, "300B tokens", 600_000),
    ({"steps_per_epoch": 3}, "2.5ep", 8),
    ({"training": {"batch_size": 64}}, "1000 samples", 16),
    ({}, "1.5k", 1500),
])
def test_total_units(extra, total, steps):
    s = warmupctl.load({"total": total, "peak_lr": 1.0, **extra})
    assert s.total_steps == steps
    assert len(s.curve()) == steps


def test_decay_length_in_tokens_rounds_up():
    # 450 tokens / 100 per step = 4.5 → 5 decay steps from t = 2, then 0 held from t = 7
    spec = {"total": 10, "peak_lr": 1.0, "tokens_per_step": 100,
            "warmup": {"shape": "linear", "length": "200 tokens"},
            "decay": {"shape": "linear", "length": "450 tokens"}}
    assert_row(spec, [0, 0.5, 1, 0.8, 0.6, 0.4, 0.2, 0, 0, 0])


# --------------------------------------------------------------------------------------------
# lr(t), lr(array), window, curve, chunks and export all give the same floats
# --------------------------------------------------------------------------------------------

SPECS = {
    "hf-cosine": golden(LIN3, {"shape": "cosine"}),
    "min-lr": golden(LIN3, {"shape": "cosine", "final_lr": "10%"}),
    "wsd": golden({"shape": "linear", "length": 3, "start_lr": "10%"},
                  {"shape": "wsd", "final_lr": "10%", "cooldown": 3, "cooldown_shape": "1-sqrt"}),
    "short-horizon": golden(LIN3, {"shape": "cosine", "final_lr": "10%", "length": 4}),
    "skip-zero": golden({"shape": "linear", "length": 3, "skip_zero": True}, {"shape": "linear"}),
    "restarts": golden(LIN3, {"shape": "cosine_restarts", "period": 2, "period_mult": 2,
                              "cycle_decay": 0.5, "final_lr": 0.05}, total=20),
    "step": golden(None, {"shape": "step", "milestones": [3, 8], "gamma": 0.1}),
    "exp": golden({"shape": "exponential", "length": 4}, {"shape": "exponential", "gamma": 0.9}),
    "noam": {"total": 50, "noam": {"d_model": 64}, "warmup": {"shape": "linear", "length": 7}},
    "phases": {"total": 10, "peak_lr": 1.0, "phases": [
        {"shape": "cosine", "length": 4, "to": "10%"},
        {"shape": "linear", "length": 2, "to": 0.5}]},
    "long": {"total": 12345, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": 377},
             "decay": {"shape": "cosine", "final_lr": "10%", "length": 10000}},
}


@pytest.fixture(params=sorted(SPECS))
def schedule(request) -> warmupctl.Schedule:
    return warmupctl.load(SPECS[request.param])


def test_lr_scalar_equals_curve(schedule):
    curve = schedule.curve()
    n = schedule.total_steps
    if n <= 100:
        steps = list(range(n))
    else:
        steps = [*range(50), *range(n // 2 - 5, n // 2 + 5), *range(n - 50, n)]
    for t in steps:
        v = schedule.lr(t)
        assert isinstance(v, float)
        assert v == curve[t], t
        assert schedule.lr(np.int64(t)) == curve[t]


def test_lr_array_equals_curve(schedule):
    curve = schedule.curve()
    n = schedule.total_steps
    t = np.arange(n)
    assert np.array_equal(schedule.lr(t), curve)
    shuffled = np.random.default_rng(0).permutation(n)
    assert np.array_equal(schedule.lr(shuffled), curve[shuffled])
    grid = shuffled[: (n // 2) * 2].reshape(2, -1)
    assert np.array_equal(schedule.lr(grid), curve[grid])


def test_window_equals_slice(schedule):
    curve = schedule.curve()
    n = schedule.total_steps
    cuts = sorted({0, 1, 2, 3, 4, 5, 7, 9, n // 3, n // 2, n - 2, n - 1, n} & set(range(n + 1)))
    for a in cuts:
        for b in cuts:
            if a <= b:
                assert np.array_equal(schedule.window(a, b), curve[a:b]), (a, b)
    # pieces glued together give the whole curve
    assert np.array_equal(np.concatenate([schedule.window(a, b)
                                          for a, b in zip(cuts, cuts[1:], strict=False)]), curve)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
def test_chunking_gives_identical_arrays(schedule, chunk, monkeypatch):
    curve = schedule.curve()
    n = schedule.total_steps
    monkeypatch.setattr(warmupctl.engine, "CHUNK", chunk)
    parts = list(schedule.chunks())
    assert all(len(steps) <= chunk for steps, _ in parts)
    assert np.array_equal(np.concatenate([s for s, _ in parts]), np.arange(n))
    assert np.array_equal(np.concatenate([r for _, r in parts]), curve)
    # sampled every K: steps 0, K, 2K, … and always the last step
    for every in (2, 3, 10):
        steps = np.concatenate([s for s, _ in schedule.chunks(every)])
        rates = np.concatenate([r for _, r in schedule.chunks(every)])
        want = np.arange(0, n, every)
        if want[-1] != n - 1:
            want = np.append(want, n - 1)
        assert np.array_equal(steps, want)
        assert np.array_equal(rates, curve[want])
    # the NPY export streams the same chunks
    buf = io.BytesIO()
    write_npy(schedule, buf)
    buf.seek(0)
    assert np.array_equal(np.load(buf), curve)
