"""`recommend`: the requirements of issue 4, over a grid of steps, batches and optimizers.

* pretraining warmup in 1–5% of the steps unless the Adam floor forces more (and then it says so);
* never below 2/(1−β2) for Adam-family optimizers (and RAdam);
* fine-tuning at RoBERTa's 6%, never above BERT's 10%, whatever the optimizer floor (issue 14:
  the floor was measured from scratch; the conflict is reported);
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
        # the refusals inside the grid: the optimizer floor would eat a pretraining run, and WSD
        # (pretraining evidence) for a fine-tune
        assert "2/(1−β2)" in str(exc) or "--decay wsd" in str(exc), exc
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
    if adam and run["regime"] == "pretrain":
        assert W >= floor  # never below the untuned floor
    if run["regime"] == "pretrain":
        in_band = math.ceil(Fraction(N, 100)) <= W <= math.floor(Fraction(5 * N, 100))
        if floor <= math.floor(Fraction(5 * N, 100)):
            assert in_band, (W, N)
        else:
            assert W == floor
            assert "above the 5% band" in r.explanation and "stronger rule" in r.explanation
    else:
        # RoBERTa's 6% (Liu et al. 2019; fairseq README.glue.md), never above BERT's 10%
        assert W == math.ceil(Fraction(6 * N, 100))
        assert W <= Fraction(10 * N, 100)
        conflict = [c for c in r.conflicts if "untuned-warmup-floor" in c["rules"]]
        assert bool(conflict) == (adam and floor > W)
    # the spec is valid, says the same, and validate has no warnings or errors about it
    s = warmupctl.load(r.spec)
    assert s.total_steps == N and s.warmup_steps == W
    concerns = [f.rule for f in rules.check(s) if f.severity != "info"]
    # (sgd-large-batch: Goyal et al.'s ResNet-50 runs were from scratch, so pretraining only)
    if run["optimizer"] in SGD and run["batch"] > 8192 and run["regime"] == "pretrain":
        assert concerns == ["sgd-large-batch"]  # about the batch, not the schedule
    else:
        assert concerns == []
    # CONTRACT §7
    d = r.to_dict()
    assert {"total_steps", "warmup_steps", "peak_lr", "spec", "rules", "explanation"} <= set(d)
    assert d["regime"] == {"value": run["regime"], "assumed": False, "why": d["regime"]["why"]}
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
    assert r.peak_lr is None and r.spec["peak_lr"] == {"multiplier": 1.0}
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


# ---------------------------------------------------------------------------------------------
# issue 14: rules know their regime
# ---------------------------------------------------------------------------------------------

#: published fine-tuning warmups (recipes-and-rules §1.5, §1.7): RoBERTa GLUE 6% of updates
#: (Liu et al. 2019; fairseq examples/roberta/README.glue.md), BERT GLUE 10%
#: (Devlin et al. 2019; run_classifier.py warmup_proportion=0.1), HF Trainer default 0
ROBERTA, BERT, HF = Fraction(6, 100), Fraction(10, 100), 0


def test_finetune_with_hf_betas_warms_up_for_robertas_6_percent_not_two_thirds():
    # the command: 0.999 is the HF Trainer's β2, whose floor 2/(1−β2) is 2000 steps
    r = recommend(3000, 32, regime="finetune", beta2=0.999, peak_lr=2e-5)
    assert r.warmup_steps == 180 == ROBERTA * 3000
    assert HF <= r.warmup_steps <= BERT * 3000
    assert r.spec["warmup"]["length"] == 180
    # one conflict, naming both rules, both sources and the choice
    assert len(r.conflicts) == 1
    c = r.conflicts[0]
    assert c["rules"] == ["untuned-warmup-floor", "finetune-warmup-band"]
    assert c["chosen"] == "finetune-warmup-band"
    assert "arXiv:1910.04209" in c["sources"][0]
    assert "1907.11692" in c["sources"][1] and "10%" in c["sources"][1]
    assert "2,000 steps" in c["message"] and "180 steps" in c["message"]
    assert "Ma & Yarats" in c["message"] and "RoBERTa" in c["message"]


@pytest.mark.parametrize("steps", [20, 99, 1000, 3000, 12_345, 1_000_000])
@pytest.mark.parametrize("optimizer", ["adamw", "radam", "adafactor", "sgd"])
def test_finetune_never_exceeds_berts_ten_percent(steps, optimizer):
    beta2 = None if optimizer == "sgd" else 0.999
    r = recommend(steps, 16, regime="finetune", optimizer=optimizer, beta2=beta2)
    assert 0 < r.warmup_steps <= BERT * steps
    assert r.warmup_steps == math.ceil(ROBERTA * steps)


def test_regime_is_stated_first_and_says_when_assumed():
    r = recommend(10_000, 64)
    assert r.regime["value"] == "pretrain" and r.regime["assumed"] is True
    assert "--regime finetune" in r.regime["why"]
    assert list(r.to_dict())[0] == "regime"
    given = recommend(10_000, 64, regime="pretrain")
    assert given.regime["assumed"] is False


def test_pretraining_floor_above_the_band_is_one_conflict():
    r = recommend(10_000, 512, beta2=0.999)
    assert r.warmup_steps == 2000
    (c,) = r.conflicts
    assert c["rules"] == ["pretrain-warmup-band", "untuned-warmup-floor"]
    assert c["chosen"] == "untuned-warmup-floor"
    assert recommend(100_000, 512).conflicts == []


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"base_lr": 1e-4, "base_batch": 32}, "--peak-lr"),
    ({"decay": "wsd"}, "--decay wsd"),
])
def test_pretraining_only_rules_are_refused_for_finetuning(kwargs, fragment):
    with pytest.raises(WarmupctlError, match=fragment):
        recommend(3000, 32, regime="finetune", **kwargs)


def test_finetune_decays_to_zero_as_the_recipes_do():
    for decay in ("linear", "cosine"):
        r = recommend(3000, 32, regime="finetune", decay=decay, peak_lr=2e-5)
        assert r.spec["decay"]["final_lr"] == 0
        assert warmupctl.load(r.spec).lr(2999) == pytest.approx(0.0, abs=2e-5 / 2000)


def test_the_pretraining_band_ends_are_published_runs_not_only_a_folk_rule():
    # BERT pretraining: 10,000 warmup steps of 1,000,000 at batch 256 (Devlin et al., App. A.2);
    # Goyal et al.: 5 of 90 epochs at batch 8k. The band's ends must not rest on the wiki alone.
    bert, goyal = Fraction(10_000, 1_000_000), Fraction(5, 90)
    assert recommend(1_000_000, 256).warmup_steps == bert * 1_000_000
    top = recommend(90_000, 8192).warmup_steps
    assert top <= goyal * 90_000 and top == Fraction(5, 100) * 90_000
    band = rules.BASIS_BY_ID["pretrain-warmup-band"]
    assert "1810.04805" in band.source and "1706.02677" in band.source
    assert "folk rule" in band.cite and "folk rule" in band.source
