"""The validate rules: each fires on a spec built to trigger it, with the user's numbers in the
message, and stays silent on a clean spec. The RAdam warmup and the untuned floor are checked
against the closed forms, computed here independently (plain Python, no NumPy)."""

from __future__ import annotations

import copy
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import warmupctl
from warmupctl import presets, rules
from warmupctl.errors import WarmupctlError
from warmupctl.rules import optimizer as opt_rules

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"

# A schedule no rule has anything to say about: 2% linear warmup (skip_zero, so step 0 is not at
# rate 0), cosine to 10% over the rest of the run, AdamW β2=0.95 on a Pre-LN transformer.
CLEAN = {
    "total": "100k",
    "peak_lr": 3.0e-4,
    "warmup": {"shape": "linear", "length": 2000, "skip_zero": True},
    "decay": {"shape": "cosine", "final_lr": "10%"},
    "training": {"regime": "pretrain", "optimizer": "adamw", "beta2": 0.95, "batch_size": 512,
                 "seq_len": 2048, "architecture": "pre-ln"},
}


def spec(**changes):
    """CLEAN with top-level keys replaced; ``training`` is merged (None deletes a key)."""
    out = copy.deepcopy(CLEAN)
    for key, value in changes.items():
        if key == "training":
            for k, v in value.items():
                if v is None:
                    out["training"].pop(k, None)
                else:
                    out["training"][k] = v
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def findings(data, ignore=()):
    return rules.check(warmupctl.load(data), ignore)


def test_clean_spec_is_silent():
    assert findings(CLEAN) == []


def test_registry_is_well_formed():
    ids = [r.id for r in rules.RULES]
    assert len(ids) == len(set(ids))
    for r in rules.RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r.id), r.id
        assert r.severity in ("error", "warning", "info")
        assert r.source and r.summary and r.evidence
        assert "recipes-and-rules" not in r.source  # cite the papers, not our notes
    basis_ids = [b.id for b in rules.BASES]
    assert len(basis_ids) == len(set(basis_ids))
    assert not set(ids) & set(basis_ids)


NO_WARMUP = {"shape": "none"}

# rule id, spec, fragments that must appear in the message (the user's own numbers)
TRIGGERS = [
    ("unknown-optimizer", spec(training={"optimizer": "adma"}),
     ["'adma'", "did you mean 'adam'?", "not checked"]),
    ("no-warmup-post-ln",
     spec(warmup=NO_WARMUP, training={"architecture": "post-ln", "optimizer": "adam"}),
     ["Post-LN", "0.0003", "2% = 2,000 steps"]),
    ("no-warmup-adaptive",
     spec(warmup=NO_WARMUP, training={"beta2": 0.999}),
     ["adamw", "0.0003", "β2=0.999", "2000 steps"]),
    ("no-warmup-pre-ln",
     spec(warmup=NO_WARMUP, training={"optimizer": "sgd", "beta2": None}),
     ["Pre-LN", "2000 steps"]),
    ("no-warmup-finetune",
     spec(total=3000, warmup=NO_WARMUP, training={"regime": "finetune"}),
     ["3,000 steps", "10% and 6%"]),
    ("very-short-warmup",
     spec(total="1M", warmup={"shape": "linear", "length": 500}),
     ["500 steps", "0.05%", "1,000,000 steps", "0.125%"]),
    ("folk-short-warmup-spikes",
     spec(warmup={"shape": "linear", "length": 300}),
     ["0.3%", "300 steps", "GPT-3 0.125%", "Llama 2 0.40%", "OLMo 2 7B 0.22%"]),
    ("folk-warmup-band",
     spec(warmup={"shape": "linear", "length": 700}),
     ["0.7%", "700 steps", "below", "1–5%", "0.125% (GPT-3)"]),
    ("folk-warmup-band",
     spec(warmup={"shape": "linear", "length": "8%"}),
     ["8%", "8,000 steps", "above"]),
    ("long-warmup",
     spec(warmup={"shape": "linear", "length": "15%"}),
     ["15%", "15,000 steps", "100,000 steps", "10.7%"]),
    ("warmup-below-untuned-floor",
     spec(warmup={"shape": "linear", "length": 500}, training={"beta2": 0.999}),
     ["500 steps", "2/(1−β2) = 2000 steps", "β2=0.999", "adamw"]),
    ("warmup-below-untuned-floor",
     spec(warmup={"shape": "linear", "length": 150}, training={"beta2": 0.99}),
     ["150 steps", "2/(1−β2) = 200 steps", "β2=0.99"]),
    ("radam-implied-warmup",
     spec(training={"optimizer": "radam", "beta2": 0.999}),
     ["2,067 steps", "β2=0.999", "t=5", "t=6", "2,737", "5,654", "2,000-step"]),
    ("radam-implied-warmup",
     spec(warmup=NO_WARMUP, training={"optimizer": "radam", "beta2": None}),
     ["PyTorch's default", "β2=0.999"]),
    ("warmup-exceeds-run",
     {"total": 1000, "phases": [{"shape": "linear", "length": "rest", "from": 0, "to": 1e-3}]},
     ["1,000 steps", "never reaches the peak 0.001", "9.99e-04"]),
    ("decay-horizon-overshoot",
     spec(total="10k", warmup={"shape": "linear", "length": 100, "skip_zero": True},
          decay={"shape": "cosine", "final_lr": "10%", "length": 15_000}),
     ["15,100", "51%", "10,000 steps", "~25%"]),
    ("cosine-final-lr",
     spec(decay={"shape": "cosine", "final_lr": 0}),
     ["decays to 0", "45.88 vs 46.26"]),
    ("cosine-final-lr",
     spec(decay={"shape": "cosine", "final_lr": "1%"}),
     ["3e-06", "1% of the peak"]),
    ("wsd-short-cooldown",
     spec(decay={"shape": "wsd", "final_lr": 0, "cooldown": "2%"}),
     ["2,000 steps", "2% of the run", "2.5%"]),
    ("wsd-long-cooldown",
     spec(decay={"shape": "wsd", "final_lr": 0, "cooldown": "40%"}),
     ["40,000 steps", "40% of the run"]),
    ("constant-warmup-jump",
     spec(warmup={"shape": "constant", "length": 2000, "start_lr": 3.0e-6}),
     ["3e-06", "2,000 steps", "100×", "3e-04", "step 2,000"]),
    ("constant-warmup-jump",
     spec(warmup={"shape": "constant", "length": 2000}),
     ["at 0 for 2,000 steps"]),
    ("rate-discontinuity",
     {"total": 10_000, "peak_lr": 1e-3, "phases": [
         {"shape": "linear", "length": 100, "from": 1e-5, "to": 1e-3},
         {"shape": "cosine", "length": 4900, "to": 1e-4},
         {"shape": "linear", "length": "rest", "from": 5e-4, "to": 0}]},
     ["step 5,000", "50% of the run", "1e-04 to 5e-04", "5×", "phase 2 (cosine)", "ramp"]),
    ("first-step-zero",
     spec(warmup={"shape": "linear", "length": 2000}),
     ["Step 0 uses rate 0", "1.5e-07", "skip_zero"]),
    # DeepSpeed's lag as imported: step 0 holds 0, then the ramp starts at 0 at step 1;
    # step 2 uses 3e-4·1/100
    ("first-step-zero",
     {"total": 1000, "peak_lr": 3e-4, "phases": [
         {"shape": "constant", "length": 1, "from": 0.0},
         {"shape": "linear", "length": 100, "from": 0.0, "to": 3e-4},
         {"shape": "cosine", "length": "rest", "to": "10%"}]},
     ["Steps 0 to 1 use rate 0", "the first 2 updates move no weights", "step 2 uses 3e-06",
      "the rising phase"]),
    ("noam-implied-peak",
     spec(peak_lr=None, noam={"d_model": 512}, warmup={"shape": "linear", "length": 4000,
                                                        "skip_zero": True},
          decay={"shape": "inverse_sqrt"}),
     ["512^-0.5", "4,000^-0.5", "6.9877e-04", "16,000"]),
    ("sgd-large-batch",
     spec(peak_lr=6.4, training={"optimizer": "sgd", "beta2": None, "batch_size": 16384,
                                 "architecture": "other"}),
     ["16,384", "sgd", "~8k", "2×"]),
    ("sgd-linear-scaling",
     spec(peak_lr=10.0, training={"optimizer": "sgd", "beta2": None, "batch_size": 1024,
                                  "architecture": "other"}),
     ["Peak 10", "batch 1,024", "0.1·B/256 = 0.4", "25×"]),
    # the shared reference's setting: first AdamW update atan(0.01/(0.999·0.02)), 45× equilibrium
    ("large-early-updates",
     spec(warmup=NO_WARMUP, peak_lr=1e-2, training={"weight_decay": 0.1, "fan_in": 256,
                                                    "init_std": 0.02}),
     ["45.2×", "0.464 rad", "step 0, the first update", "0.0103 rad", "fan-in 256",
      "warmupctl's choice", "A linear warmup of 869 steps keeps it within 2×"]),
    ("early-update-size", spec(training={"weight_decay": 0.1}),
     ["1.86×", "2,000-step warmup", "fan-in 768", "default to GPT-2 small's"]),
]


@pytest.mark.parametrize(("rule", "data", "fragments"), TRIGGERS,
                         ids=[f"{t[0]}-{i}" for i, t in enumerate(TRIGGERS)])
def test_rule_fires_with_the_users_numbers(rule, data, fragments):
    found = [f for f in findings(data) if f.rule == rule]
    assert len(found) == 1, [f.rule for f in findings(data)]
    f = found[0]
    assert f.severity == rules.BY_ID[rule].severity
    assert f.source == rules.BY_ID[rule].source
    for frag in fragments:
        assert frag in f.message, (frag, f.message)


def test_every_rule_has_a_trigger():
    assert {t[0] for t in TRIGGERS} == set(rules.BY_ID)


@pytest.mark.parametrize("rule", sorted(rules.BY_ID))
def test_every_rule_is_silent_on_the_clean_spec(rule):
    assert rule not in {f.rule for f in findings(CLEAN)}


def test_no_warmup_pre_ln_defers_to_the_adaptive_warning():
    got = {f.rule for f in findings(spec(warmup=NO_WARMUP))}
    assert "no-warmup-adaptive" in got and "no-warmup-pre-ln" not in got


def test_post_ln_error_is_not_applied_to_finetuning():
    got = {f.rule for f in findings(spec(warmup=NO_WARMUP, training={
        "architecture": "post-ln", "regime": "finetune"}))}
    assert "no-warmup-post-ln" not in got and "no-warmup-finetune" in got


def test_folk_rules_are_info_and_skip_non_transformers():
    for rid in ("folk-short-warmup-spikes", "folk-warmup-band"):
        assert rules.BY_ID[rid].severity == "info"
    cnn = spec(warmup={"shape": "linear", "length": 300}, training={"architecture": "other"})
    assert not {f.rule for f in findings(cnn)} & {"folk-short-warmup-spikes", "folk-warmup-band"}


def test_step_decay_milestones_are_not_discontinuities():
    # DeepSeek LLM multi-step, written as constant phases (and its preset)
    data = {"total": 1000, "peak_lr": 1e-3, "phases": [
        {"shape": "linear", "length": 10, "from": 0, "to": 1e-3},
        {"shape": "constant", "length": 790},
        {"shape": "constant", "length": 100, "from": "31.6%"},
        {"shape": "constant", "length": "rest", "from": "10%"}]}
    assert "rate-discontinuity" not in {f.rule for f in findings(data)}
    assert "rate-discontinuity" not in {f.rule for f in findings("deepseek-llm-7b")}


def test_exponential_warmup_default_tau_is_not_a_discontinuity():
    data = spec(warmup={"shape": "exponential", "length": 2000})
    assert "rate-discontinuity" not in {f.rule for f in findings(data)}


def test_findings_are_sorted_errors_first():
    data = spec(warmup=NO_WARMUP, decay={"shape": "cosine", "final_lr": 0},
                training={"architecture": "post-ln", "beta2": 0.999})
    sev = [f.severity for f in findings(data)]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)
    assert sev[0] == "error"


def test_ignore_and_exit_code():
    data = spec(warmup=NO_WARMUP, training={"architecture": "post-ln"})
    fs = findings(data)
    assert rules.exit_code(fs) == 1
    rest = findings(data, ignore=["no-warmup-post-ln"])
    assert "no-warmup-post-ln" not in {f.rule for f in rest}
    assert rules.exit_code(rest) == 0
    assert rules.exit_code(rest, strict=True) == (1 if rest else 0)
    assert rules.exit_code([], strict=True) == 0


def test_unknown_ignored_rule_suggests_the_closest():
    with pytest.raises(WarmupctlError, match="did you mean 'first-step-zero'"):
        rules.resolve_ignored(["first-step-zer"])
    assert rules.resolve_ignored(["first-step-zero,long-warmup", " "]) == {
        "first-step-zero", "long-warmup"}


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_validates_without_errors(name):
    errors = [f for f in findings(name) if f.severity == "error"]
    assert errors == []


def test_published_short_warmups_get_information_not_verdicts():
    # GPT-3, Llama 2, nanoGPT and OLMo 2 trained stably below 0.5%: the tool says so, as info
    for name in ("gpt3-small", "llama2-7b", "nanogpt-gpt2-124m", "olmo2-7b"):
        folk = [f for f in findings(name) if f.rule.startswith("folk-")]
        assert folk and all(f.severity == "info" for f in folk)
        assert "not a published threshold" in folk[0].message


def test_findings_serialise_per_contract():
    f = findings(spec(warmup={"shape": "linear", "length": 300}))[0]
    assert set(f.to_dict()) == {"rule", "severity", "message", "source"}


def test_docs_rules_md_is_generated_from_the_rules():
    assert DOCS.read_text(encoding="utf-8") == rules.markdown(), (
        "docs/rules.md is stale: run `python -m warmupctl.rules --markdown > docs/rules.md`")
    text = rules.markdown()
    for r in rules.RULES:
        assert f"#### {r.id}" in text and r.source in text
    for b in rules.BASES:
        assert f"`{b.id}`" in text


# ---------------------------------------------------------------------------------------------
# Closed forms, computed independently
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("beta2", "steps"), [
    (0.95, 40), (0.98, 100), (0.99, 200), (0.995, 400), (0.999, 2000), (0.9999, 20000)])
def test_untuned_floor_table(beta2, steps):
    # Ma & Yarats 2019: 2/(1−β2); the table of recipes-and-rules.md R3
    assert rules.untuned_warmup(beta2) == steps


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=99_999))
def test_untuned_floor_matches_exact_arithmetic(k):
    # β2 = 1 − k/10^5 written as a decimal: the exact floor is ceil(2/(k/10^5)) = ceil(2·10^5/k)
    beta2 = float(f"0.{100_000 - k:05d}")
    exact = math.ceil(Fraction(2 * 100_000, k))
    assert rules.untuned_warmup(beta2) == exact


@pytest.mark.parametrize(("name", "hint"), [
    ("adma", "did you mean 'adam'?"),
    ("sophai", "did you mean 'sophia'?"),
    ("muon", None),
])
def test_unknown_optimizer_says_the_optimizer_rules_were_not_checked(name, hint):
    # β2 = 0.999 and a 10-step warmup: the Adam floor (2000 steps) would fire for 'adam'
    data = spec(warmup={"shape": "linear", "length": 10, "skip_zero": True},
                training={"optimizer": name, "beta2": 0.999})
    got = {f.rule: f for f in findings(data)}
    assert "warmup-below-untuned-floor" not in got
    finding = got["unknown-optimizer"]
    assert finding.severity == "info"
    assert f"'{name}'" in finding.message
    if hint:
        assert hint in finding.message
    else:
        assert "did you mean" not in finding.message


@pytest.mark.parametrize("name", ["adamw", "adamw_torch_fused", "paged_adamw_8bit", "radam", "sgd",
                                  "lion", "adafactor", "nesterov"])
def test_recognised_optimizers_are_not_unknown(name):
    data = spec(training={"optimizer": name})
    assert "unknown-optimizer" not in {f.rule for f in findings(data)}


def _rho(t, b2):
    rho_inf = 2 / (1 - b2) - 1
    return rho_inf - 2 * t * b2**t / (1 - b2**t)


def _r(t, b2):
    rho_inf = 2 / (1 - b2) - 1
    rho = _rho(t, b2)
    if rho <= 4:
        return 0.0
    return math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))


def _r_exact(t: int, b2: float) -> tuple[float, float]:
    """r_t in exact arithmetic (β2 as the float it is), and the relative error a float64
    evaluation of the closed form can have. Early on, 1 − β2^t is a difference of numbers near 1
    (relative error ε/(1 − β2^t)), and ρ_t − 4 a difference of numbers near ρ∞; together they
    make a relative error of about ε·ρ∞ / ((1 − β2^t)(ρ_t − 4)) in r_t — up to ~1e-10 just
    after the threshold for β2 = 0.999, whatever the order of operations (one ulp of a different
    ``pow`` is enough to move the result that far)."""
    from decimal import Decimal, localcontext

    b = Fraction(b2)
    rho_inf = 2 / (1 - b) - 1
    rho = rho_inf - 2 * t * b**t / (1 - b**t)
    if rho <= 4:
        return 0.0, 0.0
    r2 = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
    with localcontext() as ctx:
        ctx.prec = 40
        value = float((Decimal(r2.numerator) / Decimal(r2.denominator)).sqrt())
    eps = 2.0**-52
    return value, 1e-12 + 2 * eps * float(rho_inf / ((1 - b**t) * (rho - 4)))


@pytest.mark.parametrize("beta2", [0.95, 0.98, 0.99, 0.999])
def test_radam_rectifier_matches_the_closed_form(beta2):
    ts = [1, 2, 4, 5, 6, 7, 10, 50, 100, 1000, 5000]
    got = opt_rules.radam_rectifier(ts, beta2)
    for t, g in zip(ts, got, strict=True):
        want, rel = _r_exact(t, beta2)
        assert g == pytest.approx(want, rel=rel, abs=1e-15)
        # far from the threshold the float formula is as good as the exact value
        if t >= 50:
            assert rel < 2e-12
    # the thresholds: paper ρ_t > 4 at t = 5, code ρ_t ≥ 5 and PyTorch ρ_t > 5 at t = 6
    first4 = next(t for t in range(1, 100) if _rho(t, beta2) > 4)
    first5 = next(t for t in range(1, 100) if _rho(t, beta2) >= 5)
    assert opt_rules.radam_first_adaptive(beta2) == first4 == 5
    assert opt_rules.radam_first_adaptive(beta2, 5.0, inclusive=True) == first5 == 6
    assert opt_rules.radam_first_adaptive(beta2, 5.0) == 6


def test_radam_first_value_matches_pytorch_warmup():
    # pytorch_warmup RAdamWarmup: the first factor for β2 = 0.999 is 0.0173
    assert _r(5, 0.999) == pytest.approx(0.0173, abs=5e-5)
    want, rel = _r_exact(5, 0.999)
    assert float(opt_rules.radam_rectifier(5, 0.999)) == pytest.approx(want, rel=rel)


@pytest.mark.parametrize(("beta2", "r90", "r99"), [(0.999, 2737, 5654), (0.95, 58, 114)])
def test_radam_crossings(beta2, r90, r99):
    # recipes-and-rules.md R4: r_t reaches 0.9 at ≈1.37·2/(1−β2) and 0.99 at ≈2.8·2/(1−β2)
    t90 = next(t for t in range(1, 100_000) if _r(t, beta2) >= 0.9)
    t99 = next(t for t in range(1, 100_000) if _r(t, beta2) >= 0.99)
    assert (t90, t99) == (r90, r99)
    w = opt_rules.radam_warmup(beta2)
    assert (w.r90, w.r99) == (r90, r99)


@pytest.mark.parametrize("beta2", [0.95, 0.98, 0.999])
def test_radam_equivalent_warmup_is_twice_the_shortfall(beta2):
    horizon = int(60 / (1 - beta2)) + 100
    expected = 2 * math.fsum(1 - _r(t, beta2) for t in range(1, horizon + 1))
    got = opt_rules.radam_equivalent_warmup(beta2)
    assert got == pytest.approx(expected, rel=1e-9)
    # and close to Ma & Yarats' 2/(1−β2), the point of their paper
    assert got == pytest.approx(2 / (1 - beta2), rel=0.25)


def test_radam_with_tiny_beta2_never_rectifies():
    assert opt_rules.radam_first_adaptive(0.5) is None
    msg = [f.message for f in findings(spec(training={"optimizer": "radam", "beta2": 0.5}))
           if f.rule == "radam-implied-warmup"]
    assert msg and "never" in msg[0]


def test_markdown_entry_point(capsys):
    from warmupctl.rules.__main__ import main

    assert main(["--markdown"]) == 0
    assert capsys.readouterr().out == rules.markdown()
    assert main(["--bogus"]) == 2


def test_rules_run_on_a_schedule_built_in_code():
    from warmupctl.engine import Phase, Schedule

    s = Schedule(10, [Phase("linear", 0, 3, 0.0, 1.0, role="warmup"),
                      Phase("cosine", 3, 7, 1.0, 0.0, role="decay")])
    assert [f.rule for f in rules.check(s)] == ["long-warmup", "first-step-zero"]  # 3 of 10
