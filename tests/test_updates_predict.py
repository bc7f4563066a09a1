"""The predicted angular update against direct torch simulations of the same random walk.

Each simulation trains ``ROWS`` independent weight rows of fan-in ``n`` (one tensor, one row per
output neuron) with the real optimizer — torch.optim.AdamW, torch.optim.SGD with momentum, and Lion
written here from Chen et al. 2023 (arXiv:2302.06675, Algorithm 2) — on gradients of iid Gaussian
coordinates projected orthogonal to each row, and measures every row's angle between ``w_t`` and
``w_{t+1}``. The prediction is computed from the schedule alone and must agree with the rows' mean
angle within 10% at every step.

Tolerance: a row's angle fluctuates with relative standard deviation about 1/√(2n) (a ratio of
norms of n-dimensional Gaussian vectors), so the mean over R rows has a relative standard error
about 1/√(2nR): 0.3% for n = 256 with R = 256 rows, 0.6% for n = 64 and 0.3% for n = 1024 with
R = 64 — the 10% bound is more than
15 standard errors wide, so what it catches is a model error, not Monte-Carlo noise. The worst
steps seen while writing these tests were 5% off (AdamW's second step at β1 = 0.95, where Adam's
second-moment estimate is still far from its expectation).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from warmupctl.spec import parse
from warmupctl.updates import equilibrium as eq
from warmupctl.updates.predict import Prediction, linear_recurrence, predict, predict_rates

torch = pytest.importorskip("torch", reason="the simulations need torch (the torch extra)")

from _updates_sim import Lion, rates, simulate  # noqa: E402


def assert_close(pred, sim, lr, rel=0.10):
    live = lr > 0
    assert np.all(sim[~live] < 1e-6)
    ratio = pred[live] / sim[live]
    worst = int(np.argmax(np.abs(ratio - 1)))
    assert np.all(np.abs(ratio - 1) <= rel), (
        f"step {np.flatnonzero(live)[worst]}: predicted {pred[live][worst]:.4g}, "
        f"simulated {sim[live][worst]:.4g}")


@pytest.fixture(autouse=True)
def one_thread():
    """The simulations are small: one thread is faster on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def adamw(b1, b2, wd):
    return lambda p: torch.optim.AdamW(p, lr=1.0, betas=(b1, b2), weight_decay=wd, eps=1e-8)


# -- the reference's numbers (shared reference update-size.md) ----------------------------------

REF = {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.95, "weight_decay": 0.1}


def test_reference_without_warmup_first_update_and_45x():
    lr = rates(400, 1e-2)
    pred = predict_rates(lr, REF, fan_in=256, init_std=0.02)
    # by hand: the first update is sign(g), norm η√n, on a row of norm σ√n shrunk by 1 − ηλ
    assert pred.angle[0] == pytest.approx(math.atan(0.01 / (0.999 * 0.02)), rel=1e-12)
    assert pred.angle[0] == pytest.approx(0.47, abs=0.01)
    ratio, step = pred.peak_ratio()
    assert step == 0
    assert ratio == pytest.approx(45, rel=0.02)
    sim = simulate(adamw(0.9, 0.95, 0.1), lr, n=256, sigma=0.02)
    assert sim[0] / eq.adamw(1e-2, 0.1, 0.9) == pytest.approx(45, rel=0.02)
    assert_close(pred.angle, sim, lr)


def test_reference_with_1000_step_warmup_peaks_at_1_9x():
    lr = rates(3000, 1e-2, warmup=1000)
    pred = predict_rates(lr, REF, fan_in=256, init_std=0.02)
    ratio, step = pred.peak_ratio()
    assert ratio == pytest.approx(1.9, rel=0.03)
    assert 100 < step < 1000  # inside the warmup
    sim = simulate(adamw(0.9, 0.95, 0.1), lr[:500], n=256, sigma=0.02, rows=128)
    assert sim.max() / eq.adamw(1e-2, 0.1, 0.9) == pytest.approx(1.9, rel=0.03)
    assert_close(pred.angle[:500], sim, lr[:500])


def test_settles_at_the_equilibrium():
    # Kosson et al. 2023's forms hold for small ηλ; 20/(ηλ) steps is far past the transient
    for training, lr in [(REF, 1e-2), ({"optimizer": "lion", "weight_decay": 0.1}, 1e-3),
                         ({"optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.05}, 1e-2)]:
        steps = int(20 / (lr * training["weight_decay"]))
        pred = predict_rates(rates(steps, lr), training, fan_in=256, init_std=0.02)
        assert pred.angle[-1] == pytest.approx(pred.equilibrium[-1], rel=0.01), training


def test_lion_at_large_decay_settles_above_the_formula_as_simulated():
    # at ηλ = 5e-3 Lion rotates ~0.6 rad within its β2 = 0.99 memory, outside the formula's
    # small-ηλ assumption; the simulation settles ~16% above it, and so does the prediction
    lr = rates(2500, 1e-3)
    training = {"optimizer": "lion", "weight_decay": 5.0}
    sim = simulate(lambda p: Lion(p, betas=(0.9, 0.99), weight_decay=5.0), lr, n=256,
                   sigma=0.02, rows=64)
    pred = predict_rates(lr, training, fan_in=256, init_std=0.02)
    settled = sim[-500:].mean() / pred.equilibrium[-1]
    assert settled > 1.1
    assert pred.angle[-1] / pred.equilibrium[-1] == pytest.approx(settled, rel=0.03)


# -- AdamW, Lion and SGD against torch, at every step -----------------------------------------

CASES = [
    # name, optimizer in torch, training block, rates, fan-in, init std, gradient RMS
    ("adamw-b2-0.999-fan-in-64-warmup", adamw(0.8, 0.999, 0.05),
     {"optimizer": "adamw", "beta1": 0.8, "beta2": 0.999, "weight_decay": 0.05},
     rates(800, 3e-3, warmup=200), 64, 0.05, 1.0),
    ("adamw-b1-0.95-fan-in-1024", adamw(0.95, 0.98, 0.2),
     {"optimizer": "adamw", "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.2},
     rates(600, 1e-2), 1024, 0.01, 1.0),
    ("adamw-b1-0.5-short-warmup", adamw(0.5, 0.9, 0.1),
     {"optimizer": "adamw", "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.1},
     rates(600, 1e-2, warmup=50), 128, 0.02, 1.0),
    ("lion-defaults", lambda p: Lion(p, betas=(0.9, 0.99), weight_decay=1.0),
     {"optimizer": "lion", "weight_decay": 1.0}, rates(1000, 1e-3), 256, 0.02, 1.0),
    ("lion-warmup", lambda p: Lion(p, betas=(0.95, 0.98), weight_decay=0.5),
     {"optimizer": "lion", "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.5},
     rates(1000, 2e-3, warmup=300), 128, 0.05, 1.0),
    ("sgd-momentum-0.9", lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.9, weight_decay=0.05),
     {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.05}, rates(1000, 1e-2), 256, 0.1,
     1.0),
    ("sgd-plain-warmup", lambda p: torch.optim.SGD(p, lr=1.0, weight_decay=0.1),
     {"optimizer": "sgd", "weight_decay": 0.1}, rates(1000, 3e-2, warmup=200), 64, 0.2, 1.0),
    ("sgd-momentum-0.99-small-gradients",
     lambda p: torch.optim.SGD(p, lr=1.0, momentum=0.99, weight_decay=0.01),
     {"optimizer": "sgd", "momentum": 0.99, "weight_decay": 0.01},
     rates(1000, 0.1, warmup=100), 128, 0.05, 0.1),
]


@pytest.mark.parametrize("name, make, training, lr, n, sigma, grad_rms", CASES,
                         ids=[c[0] for c in CASES])
def test_prediction_matches_simulation_at_every_step(name, make, training, lr, n, sigma, grad_rms):
    sim = simulate(make, lr, n=n, sigma=sigma, grad_rms=grad_rms)
    pred = predict_rates(lr, training, fan_in=n, init_std=sigma, grad_rms=grad_rms)
    assert_close(pred.angle, sim, lr)


# -- the solver, the API, the spec keys ---------------------------------------------------------

def test_linear_recurrence_against_a_plain_loop_across_many_blocks():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.3, 1.0, 50_000)  # log-range ≈ 20 000: dozens of blocks
    # one sign, as in the model (no cancellation), then mixed signs (some cancellation)
    for q, tol in [(np.abs(rng.normal(size=p.size)), 1e-13), (rng.normal(size=p.size), 1e-10)]:
        x = np.empty(p.size)
        x[0] = 0.7
        for t in range(p.size - 1):
            x[t + 1] = p[t] * x[t] + q[t]
        got = linear_recurrence(p, q, 0.7)
        assert np.max(np.abs(got - x)) <= tol * np.max(np.abs(x))
    ones = linear_recurrence(np.ones(10), np.ones(10), 0.0)
    assert ones.tolist() == [float(i) for i in range(10)]


def spec(**training):
    return parse({"total": 2000, "peak_lr": 1e-2, "warmup": {"shape": "linear", "length": 100},
                  "decay": {"shape": "cosine", "final_lr": "10%"}, "training": training})


def test_predict_reads_the_training_block_and_its_row_fields():
    s = spec(optimizer="adamw", beta1=0.9, beta2=0.95, weight_decay=0.1, fan_in=256,
             init_std=0.05)
    pred = predict(s)
    assert isinstance(pred, Prediction)
    assert pred.step.tolist() == list(range(2000))
    assert np.array_equal(pred.lr, s.curve())
    assert "fan-in 256" in pred.model and "0.05" in pred.model
    same = predict_rates(s.curve(), REF, fan_in=256, init_std=0.05)
    assert np.array_equal(pred.angle, same.angle)
    # keyword arguments win over the block; the block's defaults are GPT-2 small's
    assert "fan-in 64" in predict(s, fan_in=64).model
    plain = predict(spec(optimizer="adamw", weight_decay=0.1))
    assert "fan-in 768" in plain.model and "0.02" in plain.model
    # no optimizer: torch's AdamW defaults, said in the model line
    bare = predict(parse({"total": 500, "peak_lr": 1e-3}))
    assert "λ=0.01" in bare.model and "torch's AdamW defaults" in bare.model
    assert bare.equilibrium[0] == pytest.approx(eq.adamw(1e-3, 0.01, 0.9), rel=1e-14)


def test_to_json_is_the_contract_shape():
    pred = predict(spec(optimizer="adamw", weight_decay=0.1))
    out = pred.to_json()
    assert {"step", "lr", "angle", "equilibrium"} <= set(out)
    assert len(out["step"]) == len(out["angle"]) == len(out["equilibrium"]) == 2000
    assert out["equilibrium"][100] == pytest.approx(eq.adamw(1e-2, 0.1, 0.9), rel=1e-14)


def test_no_equilibrium_without_decay_or_for_adam():
    for training in ({"optimizer": "adamw", "weight_decay": 0}, {"optimizer": "adam"}):
        pred = predict(spec(**training))
        assert pred.equilibrium is None
        ratio, step = pred.peak_ratio()
        assert math.isnan(ratio) and pred.angle[step] == pred.angle.max()


def test_a_window_of_the_first_steps_and_the_length_limit():
    s = spec(optimizer="adamw", weight_decay=0.1)
    whole = predict(s)
    first = predict(s, steps=150)
    assert first.step.tolist() == list(range(150))
    assert np.array_equal(first.angle, whole.angle[:150])
    long = parse({"total": 2**26, "peak_lr": 1e-3, "training": {"optimizer": "adamw"}})
    with pytest.raises(ValueError, match="steps=N"):
        predict(long)
    assert predict(long, steps=10).angle.size == 10


def test_errors():
    with pytest.raises(ValueError, match="adafactor"):
        predict(spec(optimizer="adafactor"))
    with pytest.raises(ValueError, match="Nesterov momentum is not modelled"):
        predict(spec(optimizer="nesterov", weight_decay=1e-4))
    with pytest.raises(ValueError, match="fan_in"):
        predict(spec(optimizer="adamw"), fan_in=1)
    with pytest.raises(ValueError, match="init_std"):
        predict_rates(np.ones(3), REF, init_std=0.0)
    with pytest.raises(ValueError, match="finite"):
        predict_rates(np.array([1e-3, np.nan]), REF)
    with pytest.raises(ValueError, match="decay factor"):
        predict_rates(np.full(3, 20.0), {"optimizer": "adamw", "weight_decay": 0.1})


@pytest.mark.parametrize("bad, needle", [
    ({"fan_in": 1}, "whole number ≥ 2"), ({"fan_in": 2.5}, "whole number ≥ 2"),
    ({"fan_in": True}, "whole number ≥ 2"), ({"init_std": 0}, "greater than 0"),
    ({"init_std": "wide"}, "standard deviation"),
])
def test_spec_rejects_bad_row_fields(bad, needle):
    from warmupctl.errors import SpecError
    with pytest.raises(SpecError, match=needle) as err:
        parse({"total": 100, "peak_lr": 1e-3, "training": bad})
    assert str(err.value).startswith(f"training.{next(iter(bad))}")


def adamw_recurrence_by_loop(lr, b1, lam, sigma):
    """docs/updates.md's AdamW recurrences stepped one at a time in plain Python."""
    w, z, out = sigma**2, 0.0, []
    for t, eta in enumerate(lr.tolist()):
        s = 1.0 - eta * lam
        k = 1.0 - b1 ** (t + 1)
        m2 = (1 - b1) ** 2 * (1 - b1 ** (2 * (t + 1))) / (1 - b1 * b1)
        u2, c = m2 / k**2, b1 * z / k
        out.append(math.atan2(eta * math.sqrt(max(u2 * w - c * c, 0.0)), s * w - eta * c))
        w = s * s * w - 2 * s * eta * c + eta * eta * u2
        inner = (1 - b1) * math.sqrt(2 / math.pi) if t == 0 else m2 / k
        z = s * b1 * z - eta * inner
    return np.array(out)


@pytest.mark.parametrize("peak, lam, b1, steps", [
    (1e-2, 0.1, 0.9, 70_000),    # chunks share one cumulative sum; Z in sub-blocks
    (5e-2, 0.5, 0.9, 40_000),    # ηλ = 0.025: the per-chunk fallback solver
    (1e-3, 0.1, 0.99, 40_000),   # long momentum
    (1e-2, 0.1, 0.0, 5_000),     # no momentum
])
def test_vectorised_solver_equals_the_recurrences_stepped_by_hand(peak, lam, b1, steps):
    lr = peak * (0.5 + 0.5 * np.cos(np.linspace(0, 7, steps)) ** 2)  # varying, never 0
    got = predict_rates(lr, {"optimizer": "adamw", "beta1": b1, "weight_decay": lam},
                        fan_in=256, init_std=0.02).angle
    want = adamw_recurrence_by_loop(lr, b1, lam, 0.02)
    assert np.max(np.abs(got / want - 1)) < 1e-9


def sgd_recurrence_by_loop(lr, mom, lam, sigma, g2):
    """docs/updates.md's SGD moment recurrences stepped one at a time in plain Python."""
    w, x, b, out = sigma**2, 0.0, 0.0, []
    for eta in lr.tolist():
        b = mom * mom * b + g2 + lam * lam * w + 2 * mom * lam * x
        v = mom * x + lam * w
        out.append(math.atan2(eta * math.sqrt(max(b * w - v * v, 0.0)), w - eta * v))
        w, x = w - 2 * eta * v + eta * eta * b, v - eta * b
    return np.array(out)


@pytest.mark.parametrize("mom, lam, steps", [(0.9, 0.05, 50_000), (0.0, 0.1, 20_000),
                                             (0.99, 1e-4, 70_001)])
def test_sgd_blocks_side_by_side_equal_the_recurrences_stepped_by_hand(mom, lam, steps):
    lr = 1e-2 * (0.5 + 0.5 * np.cos(np.linspace(0, 7, steps)) ** 2)
    lr[:100] = np.linspace(0.0, lr[100], 100)
    training = {"optimizer": "sgd", "momentum": mom, "weight_decay": lam}
    got = predict_rates(lr, training, fan_in=256, init_std=0.1).angle
    want = sgd_recurrence_by_loop(lr, mom, lam, 0.1, 255 / 256)
    live = lr > 0
    assert np.max(np.abs(got[live] / want[live] - 1)) < 1e-12
    assert np.all(got[~live] == 0)
