"""Our curves against the real libraries, step for step.

Each reference curve is recorded the way a training loop sees it (reference notes §2.1/§2.2):
an SGD optimizer over one dummy parameter with ``lr = peak``, the library's scheduler, and for
k = 0..N-1 the rate in ``optimizer.param_groups[0]["lr"]`` is read (the rate update k uses) before
``optimizer.step(); scheduler.step()``. Our ``Schedule.curve()`` must match every entry to a
relative 1e-12 with no absolute slack (so a reference 0 must be our exact 0).

The HF schedules are ``LambdaLR``s (``base·λ(k)``, closed forms), and warmupctl evaluates each
shape with the same float operations, so most rows agree to the bit. PyTorch's own schedulers
step recursively (``lr ← lr·ratio``), so their error grows with the step count; the sizes chosen
for them are noted where it matters.

The seed formulas (Noam, exponential, cosine and linear warmup) are checked against closed forms
computed here, not against warmupctl.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the PyTorch reference schedulers need torch (test extra: pip install .[test])"
)
transformers = pytest.importorskip(
    "transformers",
    reason="the HF reference schedules need transformers (test extra: pip install .[test])",
)

from _support import RTOL, assert_same, step_through  # noqa: E402
from torch.optim import lr_scheduler  # noqa: E402
from transformers import get_scheduler  # noqa: E402

import warmupctl  # noqa: E402

PEAK = 3.0e-4

# (N, W): tiny, W = 0, W = 1, warmup longer than the decay, and long runs.
SIZES = [(10, 3), (10, 0), (57, 1), (100, 7), (1000, 100), (1000, 0), (4000, 3000),
         (20000, 2000)]
SIZES_NO_ZERO = [(n, w) for n, w in SIZES if w > 0]



def record(make, n: int, peak: float = PEAK) -> np.ndarray:
    """The rate used by each of n optimizer updates under the scheduler ``make(optimizer)``."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=peak)
    sched = make(opt)
    out = step_through(opt, sched, n)
    return out


def hf(name: str, n: int, w: int, peak: float = PEAK, **kwargs) -> np.ndarray:
    return record(lambda opt: get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=n,
                                            scheduler_specific_kwargs=kwargs or None), n, peak)


def ours(n: int, w: int, decay: dict | None, peak: float = PEAK, **warmup) -> np.ndarray:
    spec: dict = {"total": n, "peak_lr": peak}
    if w:
        spec["warmup"] = {"shape": "linear", "length": w, **warmup}
    if decay is not None:
        spec["decay"] = decay
    curve = warmupctl.load(spec).curve()
    assert curve.dtype == np.float64 and curve.shape == (n,)
    return curve


# --------------------------------------------------------------------------------------------
# Hugging Face transformers (get_scheduler / get_*_schedule_with_warmup)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "w"), SIZES)
def test_hf_linear(n, w):
    assert_same(ours(n, w, {"shape": "linear"}), hf("linear", n, w))


@pytest.mark.parametrize(("n", "w"), SIZES)
def test_hf_cosine(n, w):
    # Decays to 0: the last steps are 0.5·(1 + cos πp) with cos πp ≈ −1, a cancellation, but
    # HF and warmupctl evaluate exactly the same expression, so they agree to the bit.
    assert_same(ours(n, w, {"shape": "cosine"}), hf("cosine", n, w))


@pytest.mark.parametrize(("n", "w"), SIZES)
@pytest.mark.parametrize(("rate", "pct"), [(0.1, "10%"), (0.05, "5%")])
def test_hf_cosine_with_min_lr(n, w, rate, pct):
    assert_same(ours(n, w, {"shape": "cosine", "final_lr": pct}),
                hf("cosine_with_min_lr", n, w, min_lr_rate=rate))


@pytest.mark.parametrize(("n", "w"), SIZES)
def test_hf_cosine_warmup_with_min_lr(n, w):
    # HF's "1-based" variant (rate (k+1)/W in the warmup, floor exactly at k = N-1) is two
    # skip_zero phases: both progresses are (t + 1 − s)/L.
    phases = [{"shape": "cosine", "length": "rest", "to": "10%", "skip_zero": True}]
    if w:
        phases.insert(0, {"shape": "linear", "length": w, "from": 0, "to": PEAK, "skip_zero": True})
    got = warmupctl.load({"total": n, "peak_lr": PEAK, "phases": phases}).curve()
    assert_same(got, hf("cosine_warmup_with_min_lr", n, w, min_lr_rate=0.1))


@pytest.mark.parametrize(("n", "w"), SIZES)
def test_hf_constant_with_warmup(n, w):
    assert_same(ours(n, w, None), hf("constant_with_warmup", n, w))
    assert_same(ours(n, w, {"shape": "constant"}), hf("constant_with_warmup", n, w))


@pytest.mark.parametrize("n", [1, 10, 5000])
def test_hf_constant(n):
    assert_same(ours(n, 0, None), hf("constant", n, 0))


@pytest.mark.parametrize(("n", "w"), SIZES)
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_hf_polynomial(n, w, power):
    lr_end = 1.0e-5
    assert_same(ours(n, w, {"shape": "polynomial", "final_lr": lr_end, "power": power}),
                hf("polynomial", n, w, lr_end=lr_end, power=power))


@pytest.mark.parametrize(("n", "w"), SIZES)
def test_hf_inverse_sqrt_default_timescale(n, w):
    # timescale = W, or 10 000 without warmup, in both
    assert_same(ours(n, w, {"shape": "inverse_sqrt"}), hf("inverse_sqrt", n, w))


@pytest.mark.parametrize(("n", "w"), SIZES)
@pytest.mark.parametrize("timescale", [1, 250, 10_007])
def test_hf_inverse_sqrt_explicit_timescale(n, w, timescale):
    assert_same(ours(n, w, {"shape": "inverse_sqrt", "timescale": timescale}),
                hf("inverse_sqrt", n, w, timescale=timescale))


WSD_SIZES = [(10, 3, 3), (10, 0, 3), (100, 10, 20), (100, 10, 90), (1000, 0, 200),
             (20000, 1000, 4000)]


@pytest.mark.parametrize(("n", "w", "d"), WSD_SIZES)
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize(("ratio", "pct"), [(0.0, "0%"), (0.1, "10%")])
def test_hf_warmup_stable_decay(n, w, d, decay_type, ratio, pct):
    # HF WSD warms up FROM min_lr_ratio·peak, so our warmup starts at the same percentage.
    got = ours(n, w, {"shape": "wsd", "final_lr": pct, "cooldown": d, "cooldown_shape": decay_type},
               start_lr=pct)
    ref = hf("warmup_stable_decay", n, w, num_decay_steps=d, decay_type=decay_type,
             min_lr_ratio=ratio)
    assert_same(got, ref)


@pytest.mark.parametrize(("n", "w"), [(10, 3), (100, 10), (2000, 300)])
@pytest.mark.parametrize(("ratio", "pct"), [(0.0, "0%"), (0.1, "10%")])
def test_hf_warmup_stable_decay_cosine_warmup(n, w, ratio, pct):
    spec = {"total": n, "peak_lr": PEAK,
            "warmup": {"shape": "cosine", "length": w, "start_lr": pct},
            "decay": {"shape": "wsd", "final_lr": pct, "cooldown": "20%",
                      "cooldown_shape": "linear"}}
    ref = hf("warmup_stable_decay", n, w, num_decay_steps=math.ceil(n * 20 / 100),
             warmup_type="cosine", decay_type="linear", min_lr_ratio=ratio)
    assert_same(warmupctl.load(spec).curve(), ref)


@pytest.mark.parametrize(("n", "w", "cycles"), [
    (10, 3, 2),        # 7 decay steps, 2 cycles: uneven
    (10, 0, 2),        # 10 / 2: even
    (103, 3, 4),       # 100 / 4: even
    (1000, 100, 3),    # 900 / 3: even
    (1000, 100, 7),    # 900 / 7: uneven
    (20000, 1000, 6),  # 19000 / 6: uneven
    (5000, 0, 1),
])
def test_hf_cosine_with_restarts(n, w, cycles):
    assert_same(ours(n, w, {"shape": "cosine_restarts", "cycles": cycles}),
                hf("cosine_with_restarts", n, w, num_cycles=cycles))


# --------------------------------------------------------------------------------------------
# PyTorch torch.optim.lr_scheduler
# --------------------------------------------------------------------------------------------
# These step recursively: each step multiplies the current rate by a ratio, so the reference
# carries roughly one rounding per step (a random walk, about sqrt(k)·1e-16 relative, with a
# worst case of k·1e-16). Up to the 20 000 steps used here that stays below 1e-12 (measured at
# 20 000 steps: ExponentialLR 7e-15, LinearLR to 0 1e-13, cosine to a 10% floor 4e-13).


# Cosine to eta_min = 0 is the exception. Near the end of the decay 1 + cos(πp) cancels (it is
# about (π·(1 − p))²/2), so any difference in the angle is magnified: torch computes it as
# π·k/T and multiplies ratios of such terms, warmupctl (like HF) as π·(k/T) in closed form. The
# two then differ by up to ~2e-16·T relative in the last steps (measured: ≤ 4e-13 for decay
# lengths up to 10 000, but 7.6e-12 for 18 000). So the decays to 0 here are at most 10 000
# steps; with a floor (eta_min > 0) the cancellation is bounded and 20 000 steps are fine.
TORCH_COSINE = [
    (10, 3, 0.0), (100, 1, 0.0), (1000, 100, 0.0), (5000, 2500, 0.0), (10500, 500, 0.0),
    (10, 3, 0.1), (1000, 100, 0.1), (20000, 2000, 0.1),
]


@pytest.mark.parametrize(("n", "w", "eta_min_frac"), TORCH_COSINE)
@pytest.mark.parametrize("factor", [1e-3, 0.25])
def test_torch_sequential_linear_warmup_cosine(n, w, eta_min_frac, factor):
    eta_min = PEAK * eta_min_frac

    def make(opt):
        return lr_scheduler.SequentialLR(opt, [
            lr_scheduler.LinearLR(opt, start_factor=factor, total_iters=w),
            lr_scheduler.CosineAnnealingLR(opt, T_max=n - w, eta_min=eta_min),
        ], milestones=[w])

    got = ours(n, w, {"shape": "cosine", "final_lr": eta_min}, start_lr=factor * PEAK)
    assert_same(got, record(make, n))


@pytest.mark.parametrize(("n", "eta_min_frac"), [(10, 0.0), (999, 0.0), (10000, 0.0),
                                                 (20000, 0.1)])
def test_torch_cosine_annealing(n, eta_min_frac):
    eta_min = PEAK * eta_min_frac
    ref = record(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=n, eta_min=eta_min), n)
    assert_same(ours(n, 0, {"shape": "cosine", "final_lr": eta_min}), ref)


@pytest.mark.parametrize(("n", "milestones", "gamma"), [
    (10, [3, 7], 0.1),
    (90, [30, 60, 80], 0.1),
    (1000, [1, 500, 999], 0.5),
    (1000, [100, 100, 700], 0.3),  # a repeated milestone multiplies twice in both
    (20000, [5000, 10000, 15000, 19999], 0.2),
])
def test_torch_multistep(n, milestones, gamma):
    ref = record(lambda opt: lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma), n)
    got = ours(n, 0, {"shape": "step", "milestones": milestones, "gamma": gamma})
    assert_same(got, ref)


@pytest.mark.parametrize(("n", "gamma"), [(10, 0.5), (1000, 0.99), (20000, 0.9998)])
def test_torch_exponential(n, gamma):
    ref = record(lambda opt: lr_scheduler.ExponentialLR(opt, gamma=gamma), n)
    assert_same(ours(n, 0, {"shape": "exponential", "gamma": gamma}), ref)


@pytest.mark.parametrize(("n", "length", "end"), [
    (10, 10, 0.0),       # to 0 over the whole run: the last rate is peak/10
    (10, 4, 0.25),       # horizon shorter than the run: then the rate holds the end value
    (1000, 600, 0.1),
    (20000, 20000, 0.0),
    (20000, 15000, 0.05),
])
def test_torch_linear_decay(n, length, end):
    ref = record(lambda opt: lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=end,
                                                   total_iters=length), n)
    got = ours(n, 0, {"shape": "linear", "final_lr": end * PEAK, "length": length})
    assert_same(got, ref)


@pytest.mark.parametrize(("n", "w"), [(10, 3), (2000, 200)])
def test_torch_sequential_linear_warmup_linear_decay(n, w):
    def make(opt):
        return lr_scheduler.SequentialLR(opt, [
            lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=w),
            lr_scheduler.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=n - w),
        ], milestones=[w])

    got = ours(n, w, {"shape": "linear", "final_lr": "10%"}, start_lr="10%")
    assert_same(got, record(make, n))


# --------------------------------------------------------------------------------------------
# Seed formulas (closed forms computed here)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("d_model", "scale", "w", "n"),
                         [(512, 1.0, 4000, 100_000), (1024, 2.0, 4000, 20_000), (64, 1.0, 7, 50)])
def test_noam(d_model, scale, w, n):
    spec = {"total": n, "noam": {"d_model": d_model, "scale": scale},
            "warmup": {"shape": "linear", "length": w}}
    got = warmupctl.load(spec).curve()
    t = np.arange(1, n, dtype=np.float64)
    ref = np.empty(n)
    ref[0] = 0.0
    ref[1:] = scale * d_model**-0.5 * np.minimum(t**-0.5, t * w**-1.5)
    assert_same(got, ref)
    assert got[w] == pytest.approx(scale * d_model**-0.5 * w**-0.5, rel=RTOL)


@pytest.mark.parametrize(("w", "tau"), [(100, None), (100, 10), (2000, 300), (7, 0.5)])
def test_exponential_warmup(w, tau):
    n = 3 * w
    warmup = {"shape": "exponential", "length": w}
    if tau is not None:
        warmup["tau"] = tau
    got = warmupctl.load({"total": n, "peak_lr": PEAK, "warmup": warmup}).curve()
    tau_ = w / 5 if tau is None else tau
    t = np.arange(w, dtype=np.float64)
    # -expm1(-x) is 1 - e^-x without cancellation, so the reference keeps all its digits near t = 0
    ref = np.concatenate([PEAK * -np.expm1(-t / tau_), np.full(n - w, PEAK)])
    assert_same(got, ref)


@pytest.mark.parametrize("w", [2, 3, 10, 100, 250])
def test_cosine_warmup(w):
    # Reference: peak·½(1 − cos(πt/W)) written as peak·sin²(πt/2W), which has no cancellation.
    # warmupctl uses the ½(1 − cos) form (HF WSD's warmup_type="cosine", matched to the bit in
    # test_hf_warmup_stable_decay_cosine_warmup). At t = 1, 1 − cos(π/W) ≈ (π/W)²/2 while cos is
    # only good to half an ulp (5.6e-17), so its relative error can reach 1.1e-16·W²/π²: 1e-12
    # near W ≈ 300 (measured 1.6e-12 at W = 400). So the warmups here stop at 250 steps.
    n = 2 * w
    got = warmupctl.load({"total": n, "peak_lr": PEAK,
                          "warmup": {"shape": "cosine", "length": w}}).curve()
    t = np.arange(w, dtype=np.float64)
    ref = np.concatenate([PEAK * np.sin(np.pi * t / (2 * w)) ** 2, np.full(n - w, PEAK)])
    assert_same(got, ref)


@pytest.mark.parametrize(("n", "w"), [(10, 3), (1000, 1), (20000, 2000), (4001, 4000)])
def test_linear_warmup_seed(n, w):
    got = warmupctl.load({"total": n, "peak_lr": PEAK,
                          "warmup": {"shape": "linear", "length": w}}).curve()
    t = np.arange(n, dtype=np.float64)
    assert_same(got, PEAK * np.minimum(1.0, t / w))
