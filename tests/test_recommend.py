"""`recommend`: the requirements of issue 4, over a grid of steps, batches and optimizers.

* pretraining warmup in 1–5% of the steps unless the Adam floor forces more (and then it says so);
* never below 2/(1−β2) for Adam-family optimizers (and RAdam);
* fine-tuning at 6% (the practice band 3–10%), or the floor;
* for a fixed step count the warmup never shrinks as the batch grows;
* --base-lr/--base-batch: linear for SGD (Goyal), square root for adaptive ones (Malladi), both
  shown;
* the spec loads and `validate` finds no warning or error in it.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import warmupctl
from warmupctl import rules
from warmupctl.errors import WarmupctlError
from warmupctl.recommend import OPTIMIZERS, recommend

ADAM_LIKE = {"adamw", "adam", "nadam", "adamax", "amsgrad", "lamb", "radam"}
SGD = {"sgd", "sgdm"}
BETA2S = [None, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999]


def floor_of(beta2: float) -> int:
    """2/(1−β2), rounded up, in exact decimal arithmetic."""
    return math.ceil(Fraction(2) / (1 - Fraction(str(beta2))))


def plan(steps, batch, **kw):
    try:
        return recommend(steps, batch, **kw)
    except WarmupctlError as exc:
        # the only refusal inside the grid: the optimizer floor would eat the run
        assert "2/(1−β2)" in str(exc), exc
        assume(False)


runs = st.fixed_dictionaries({
    "steps": st.integers(min_value=20, max_value=3_000_000),
    "batch": st.integers(min_value=1, max_value=65_536),
    "optimizer": st.sampled_from(OPTIMIZERS),
    "regime": st.sampled_from(["pretrain", "finetune"]),
    "beta2": st.sampled_from(BETA2S),
    "decay": st.sampled_from([None, "cosine", "linear", "wsd"]),
})


@settings(max_examples=250, deadline=None)
@given(runs)
def test_requirements_hold_over_the_grid(run):
    if run["optimizer"] in SGD:
        run["beta2"] = None
    N = run["steps"]
    r = plan(N, run["batch"], regime=run["regime"], optimizer=run["optimizer"],
             beta2=run["beta2"], decay=run["decay"])
    W = r.warmup_steps
    assert r.total_steps == N and 0 < W < N
    adam = run["optimizer"] in ADAM_LIKE
    beta2 = r.spec["training"].get("beta2")
    floor = floor_of(beta2) if adam else 0
    if adam:
        assert beta2 == (run["beta2"] or {"pretrain": 0.95, "finetune": 0.98}[run["regime"]])
        assert W >= floor  # never below the untuned floor
    if run["regime"] == "pretrain":
        in_band = math.ceil(Fraction(N, 100)) <= W <= math.floor(Fraction(5 * N, 100))
        if floor <= math.floor(Fraction(5 * N, 100)):
            assert in_band, (W, N)
        else:
            assert W == floor
            assert "above the 5% band" in r.explanation and "stronger rule" in r.explanation
    else:
        six = math.ceil(Fraction(6 * N, 100))
        assert W == max(six, floor)
    # the spec is valid, says the same, and validate has no warnings or errors about it
    s = warmupctl.load(r.spec)
    assert s.total_steps == N and s.warmup_steps == W
    concerns = [f.rule for f in rules.check(s) if f.severity != "info"]
    if run["optimizer"] in SGD and run["batch"] > 8192:
        assert concerns == ["sgd-large-batch"]  # about the batch, not the schedule
    else:
        assert concerns == []
    # CONTRACT §7
    d = r.to_dict()
    assert set(d) == {"total_steps", "warmup_steps", "peak_lr", "spec", "rules", "explanation"}
    for entry in d["rules"]:
        assert set(entry) == {"rule", "value", "bound", "source"}
        assert entry["rule"] in rules.BASIS_BY_ID and entry["source"]


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=20, max_value=2_000_000),
       st.lists(st.integers(min_value=1, max_value=100_000), min_size=2, max_size=6),
       st.sampled_from(OPTIMIZERS), st.sampled_from(["pretrain", "finetune"]))
def test_warmup_never_shrinks_as_the_batch_grows(steps, batches, optimizer, regime):
    got = [plan(steps, b, optimizer=optimizer, regime=regime).warmup_steps
           for b in sorted(batches)]
    assert got == sorted(got)


@settings(max_examples=120, deadline=None)
@given(st.integers(min_value=1000, max_value=1_000_000), st.integers(min_value=1, max_value=8192),
       st.integers(min_value=1, max_value=8192), st.sampled_from(OPTIMIZERS),
       st.floats(min_value=1e-6, max_value=1.0))
def test_peak_scaling_rule_per_optimizer(steps, batch, base_batch, optimizer, base_lr):
    r = plan(steps, batch, optimizer=optimizer, base_lr=base_lr, base_batch=base_batch)
    kappa = batch / base_batch
    by_id = {e["rule"]: e for e in r.rules}
    lin, sq = by_id["linear-scaling-sgd"], by_id["sqrt-scaling-adam"]  # both shown
    assert lin["value"] == pytest.approx(base_lr * kappa, rel=1e-12)
    assert sq["value"]["peak_lr"] == pytest.approx(base_lr * math.sqrt(kappa), rel=1e-12)
    if optimizer in SGD:
        assert r.peak_lr == pytest.approx(base_lr * kappa, rel=1e-12)
        assert lin["bound"] and not sq["bound"]
        assert "linear rule for SGD" in r.explanation
        if kappa > 1:  # Goyal's gradual warmup starts from the small-batch rate
            assert r.spec["warmup"]["start_lr"] == base_lr
            assert warmupctl.load(r.spec).lr(0) == base_lr
    else:
        assert r.peak_lr == pytest.approx(base_lr * math.sqrt(kappa), rel=1e-12)
        assert sq["bound"] and not lin["bound"]
        assert "square-root rule" in r.explanation
    assert r.spec["peak_lr"] == r.peak_lr


def test_malladi_beta_and_eps_adjustments():
    r = recommend(100_000, 1024, base_lr=3e-4, base_batch=256, beta2=0.99)
    sq = next(e for e in r.rules if e["rule"] == "sqrt-scaling-adam")["value"]
    # κ = 4: 1−β1 → 4·0.1, 1−β2 → 4·0.01, ε → ε/2
    assert sq == {"peak_lr": pytest.approx(6e-4), "beta1": pytest.approx(0.6),
                  "beta2": pytest.approx(0.96), "eps": pytest.approx(5e-9)}
    assert r.spec["training"]["beta2"] == 0.99  # shown, not applied
    big = recommend(100_000, 65_536, base_lr=3e-4, base_batch=256)
    sq = next(e for e in big.rules if e["rule"] == "sqrt-scaling-adam")["value"]
    assert sq["beta1"] is None and sq["beta2"] is None
    assert "only the rate is scaled" in big.explanation


def test_examples_in_numbers():
    r = recommend(100_000, 512)
    assert r.warmup_steps == 1800  # 1% + 4%·log2(2)/5 = 1.8%
    assert r.peak_lr is None and r.spec["peak_lr"] == 1.0
    assert r.spec["decay"] == {"shape": "cosine", "final_lr": "10%"}
    assert "1,800 steps" in r.explanation and "0.125%" in r.explanation
    assert recommend(100_000, 256).warmup_steps == 1000
    assert recommend(100_000, 8192).warmup_steps == 5000
    assert recommend(100_000, 100).warmup_steps == 1000
    # the floor inside the band, then above it
    r = recommend(100_000, 512, beta2=0.999)
    assert r.warmup_steps == 2000
    assert {e["rule"]: e["bound"] for e in r.rules}["untuned-warmup-floor"]
    assert "stronger rule" in r.explanation and "above the 5% band" not in r.explanation
    r = recommend(10_000, 512, beta2=0.999)
    assert r.warmup_steps == 2000 and "above the 5% band" in r.explanation
    # fine-tuning
    r = recommend(3000, 32, regime="finetune")
    assert r.warmup_steps == 180
    assert r.spec["decay"] == {"shape": "linear", "final_lr": 0}
    assert r.spec["training"]["beta2"] == 0.98
    # tokens
    r = recommend(100_000, 1024, seq_len=2048)
    assert warmupctl.load(r.spec).meta["tokens_per_step"] == 1024 * 2048
    # wsd
    r = recommend(100_000, 512, decay="wsd")
    assert r.spec["decay"]["cooldown"] == 20_000


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"peak_lr": 1e-3, "base_lr": 1e-4, "base_batch": 256}, "not both"),
    ({"base_lr": 1e-4}, "go together"),
    ({"optimizer": "adamx"}, "did you mean 'adamax'"),
    ({"optimizer": "sgd", "beta2": 0.99}, "does not apply to SGD"),
    ({"beta2": 1.0}, "between 0 and 1"),
    ({"regime": "pretraining"}, "did you mean 'pretrain'"),
    ({"decay": "cosin"}, "did you mean 'cosine'"),
    ({"peak_lr": -1.0}, "positive"),
])
def test_bad_inputs(kwargs, fragment):
    with pytest.raises(WarmupctlError, match=fragment):
        recommend(100_000, 512, **kwargs)


def test_refuses_when_the_floor_would_eat_the_run():
    with pytest.raises(WarmupctlError, match="2/\\(1−β2\\) = 2000"):
        recommend(1000, 512, beta2=0.999)
    with pytest.raises(WarmupctlError, match="at least 20"):
        recommend(10, 512)
