"""The spec format: units, sugar vs phases, and one clear error per mistake (CONTRACT §2, §3)."""

import math

import numpy as np
import pytest

import warmupctl
from warmupctl import yamltext
from warmupctl.errors import SpecError
from warmupctl.spec import parse
from warmupctl.units import UnitError, Units, parse_length, parse_rate, to_steps


def load_yaml(text: str):
    data, pos = yamltext.load(text, "spec.yaml")
    return parse(data, pos, "spec.yaml")


# ---------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("text", "units", "steps"),
    [
        ("2000", Units(), 2000),
        ("2_000", Units(), 2000),
        ("2k", Units(), 2000),
        ("1.5M", Units(), 1_500_000),
        ("3B", Units(), 3_000_000_000),
        ("2T", Units(), 2 * 10**12),
        ("2%", Units(total_steps=1000), 20),
        ("7%", Units(total_steps=100), 7),  # exact: float ceil(100*0.07) would give 8
        ("0.125%", Units(total_steps=600_000), 750),
        ("0.1%", Units(total_steps=1001), 2),  # 1.001 → ceil → 2
        ("5ep", Units(steps_per_epoch=5005), 25025),
        ("5 epochs", Units(steps_per_epoch=157), 785),
        ("0.5ep", Units(steps_per_epoch=3), 2),  # 1.5 → 2
        ("375M tokens", Units(tokens_per_step=500_000), 750),
        ("375Mtok", Units(tokens_per_step=500_000), 750),
        ("1001 tokens", Units(tokens_per_step=100), 11),
        ("1.2M samples", Units(batch_size=256), 4688),  # 4687.5 → 4688
        (4000, Units(), 4000),
    ],
)
def test_lengths_round_up_exactly(text, units, steps):
    assert to_steps(parse_length(text), units) == steps


@pytest.mark.parametrize("text", ["abc", "2x", "1.5.5", "", "k", "2%k", True, None, [1]])
def test_bad_lengths(text):
    with pytest.raises(UnitError):
        parse_length(text)


def test_fractional_steps_are_refused():
    with pytest.raises(UnitError, match="whole number of steps"):
        to_steps(parse_length("2.5"), Units())


@pytest.mark.parametrize(
    ("text", "peak", "value"),
    [("3e-4", None, 3e-4), ("0.0003", None, 3e-4), (6.0e-4, None, 6e-4), ("10%", 6e-4, 6e-5),
     (0, None, 0.0)],
)
def test_rates(text, peak, value):
    assert parse_rate(text).resolve(peak) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["-1e-3", "nan", "inf", float("nan"), float("inf"), -1, "fast"])
def test_bad_rates(text):
    with pytest.raises(UnitError):
        parse_rate(text)


# ---------------------------------------------------------------- sugar and phases


def test_gpt3_small_in_tokens():
    s = load_yaml(
        """
total: 300B tokens
tokens_per_step: 0.5M
peak_lr: 6.0e-4
warmup: {shape: linear, length: 375M tokens}
decay: {shape: cosine, final_lr: 10%, length: 260B tokens}
"""
    )
    assert s.total_steps == 600_000
    assert s.warmup_steps == 750
    assert s.lr(0) == 0.0
    assert s.lr(375) == pytest.approx(3e-4, rel=1e-15)
    assert s.lr(750) == 6e-4
    # the decay horizon (520k steps) ends before the run; the rate then holds the floor
    assert s.lr(750 + 520_000) == pytest.approx(6e-5, rel=1e-15)
    assert s.lr(599_999) == pytest.approx(6e-5, rel=1e-15)
    # halfway through the cosine: floor + (peak - floor)/2
    assert s.lr(750 + 260_000) == pytest.approx(6e-5 + 0.5 * 5.4e-4, rel=1e-12)


def test_tokens_per_step_from_batch_and_seq_len():
    s = warmupctl.load({"total": "1B tokens", "peak_lr": 1e-3,
                        "training": {"batch_size": 512, "seq_len": 1024}})
    assert s.total_steps == math.ceil(10**9 / (512 * 1024))


def test_noam_peak_and_tail():
    s = warmupctl.load({"total": 100_000, "noam": {"d_model": 512, "scale": 1.0},
                        "warmup": {"shape": "linear", "length": 4000}})
    peak = 512**-0.5 * 4000**-0.5
    assert s.peak_lr == pytest.approx(peak, rel=1e-15)
    assert s.lr(4000) == pytest.approx(peak, rel=1e-15)
    assert s.lr(16000) == pytest.approx(peak / 2, rel=1e-12)
    assert s.lr(2000) == pytest.approx(512**-0.5 * 2000 * 4000**-1.5, rel=1e-12)


def test_phases_defaults_rest_and_hold():
    s = warmupctl.load({
        "total": 100, "peak_lr": 1.0,
        "phases": [
            {"shape": "linear", "length": 10, "from": 0, "to": "100%"},
            {"shape": "constant", "length": "50%"},
            {"shape": "linear", "length": 20, "to": 0.5},
        ],
    })
    # 10 + 50 + 20 = 80 steps; the last 20 hold the final value
    assert s.lr(5) == 0.5
    assert s.lr(10) == 1.0 and s.lr(59) == 1.0
    assert s.lr(70) == pytest.approx(0.75, rel=1e-15)
    assert s.lr(80) == 0.5 and s.lr(99) == 0.5


def test_phases_rest():
    s = warmupctl.load({"total": 10, "phases": [
        {"shape": "linear", "length": 4, "from": 0, "to": 2.0},
        {"shape": "linear", "length": "rest", "to": 0.0},
    ]})
    assert list(s.curve()) == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0 * 5 / 6, 2.0 * 4 / 6, 1.0,
                               2.0 * 2 / 6, 2.0 * 1 / 6]


def test_phases_warmup_is_the_leading_rise_after_a_flat_start():
    # DeepSpeed's one-update lag as imported: step 0 holds 0, then 100 steps rise to the peak,
    # which is first used at step 101 (the step convention: lr(start + length) = to)
    s = warmupctl.load({"total": 1000, "peak_lr": 3e-4, "phases": [
        {"shape": "constant", "length": 1, "from": 0.0},
        {"shape": "linear", "length": 100, "from": 0.0, "to": 3e-4},
        {"shape": "constant", "length": 400},
        {"shape": "linear", "length": "rest", "to": 0.0},
    ]})
    assert s.warmup_steps == 101 and s.meta["warmup_shape"] == "linear"
    assert s.lr(0) == 0.0 and s.lr(1) == 0.0 and s.lr(51) == 1.5e-4 and s.lr(101) == 3e-4
    # a flat start at the peak is no warmup; a rise after a fall is not one either
    s = warmupctl.load({"total": 10, "phases": [
        {"shape": "constant", "length": 2, "from": 1.0},
        {"shape": "linear", "length": 4, "to": 0.5},
        {"shape": "linear", "length": "rest", "to": 1.0},
    ]})
    assert s.warmup_steps == 0 and s.meta["warmup_shape"] == "none"


def test_resolved_spec_is_a_valid_phases_spec_with_the_same_curve():
    s = warmupctl.load("gpt3-small")
    again = warmupctl.load(s.spec)
    assert again.total_steps == s.total_steps
    steps = [0, 1, 749, 750, 751, 300_000, 520_749, 520_750, 520_751, 599_999]
    assert [again.lr(t) for t in steps] == [s.lr(t) for t in steps]


def test_default_spec():
    s = warmupctl.load()
    assert (s.total_steps, s.warmup_steps, s.peak_lr) == (100_000, 2000, 3e-4)
    assert s.source and "2302.13971" in s.source


# ---------------------------------------------------------------- errors


def error_of(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_yaml(text)
    return info.value


def test_unknown_key_names_path_line_and_suggestion():
    err = error_of("total: 10k\npeak_lr: 3.0e-4\nwarmup:\n  shape: linear\n  lenght: 2%\n")
    assert err.path == "warmup.lenght"
    assert (err.line, err.column) == (5, 3)
    assert err.hint == "did you mean 'length'?"
    assert str(err) == ("spec.yaml:5:3: warmup.lenght: unknown key (did you mean 'length'?)")


@pytest.mark.parametrize("typo, key", [("tp", "to"), ("ot", "to"), ("fom", "from"),
                                       ("shpe", "shape")])
def test_a_short_key_one_typo_away_is_suggested(typo, key):
    # difflib scores 'tp' against 'to' at 0.5, under its 0.6 cutoff: one typo still counts
    err = error_of("total: 100\npeak_lr: 1\nphases:\n"
                   f"  - {{shape: linear, length: 10, from: 0, to: 1, {typo}: 1}}\n")
    assert err.path == f"phases[0].{typo}" and err.hint == f"did you mean '{key}'?", str(err)


def test_unknown_top_key_suggests():
    err = error_of("total: 10k\npeak_lr: 3.0e-4\nwarmpu: {shape: linear, length: 10}\n")
    assert err.path == "warmpu" and err.line == 3 and "'warmup'" in err.hint


def test_unknown_shape_suggests():
    err = error_of("total: 10k\npeak_lr: 3.0e-4\ndecay: {shape: cosin}\n")
    assert err.path == "decay.shape" and "'cosine'" in err.hint


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        ("peak_lr: 1.0e-3\n", None, "missing key 'total'"),
        ("total: 10k\n", None, "missing key 'peak_lr'"),
        ("total: 10k\npeak_lr: -1.0e-3\n", "peak_lr", "negative"),
        ("total: 10k\npeak_lr: .nan\n", "peak_lr", "finite"),
        ("total: 10k\npeak_lr: .inf\n", "peak_lr", "finite"),
        ("total: 10k\npeak_lr: 0\n", "peak_lr", "greater than 0"),
        ("total: 10k\npeak_lr: fast\n", "peak_lr", "learning rate"),
        ("total: 0\npeak_lr: 1.0e-3\n", "total", "at least one step"),
        ("total: 10%\npeak_lr: 1.0e-3\n", "total", "percentage"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 0}\n", "warmup.length",
         "greater than 0"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: -3}\n", "warmup.length",
         "greater than 0"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 10k}\n", "warmup.length",
         "does not fit"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear}\n", "warmup",
         "missing key 'length'"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 1M tokens}\n",
         "warmup.length", "tokens_per_step"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 2ep}\n", "warmup.length",
         "steps_per_epoch"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 2k samples}\n",
         "warmup.length", "batch_size"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 10, tau: 3}\n",
         "warmup.tau", "does not apply"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: {shape: linear, length: 10, start_lr: 1}\n",
         "warmup.start_lr", "above the peak"),
        ("total: 10k\npeak_lr: 1.0e-3\nwarmup: 5\n", "warmup", "mapping"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: cosine, final_lr: 1}\n", "decay.final_lr",
         "above the peak"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: step}\n", "decay", "milestones"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: step, milestones: [20k]}\n",
         "decay.milestones[0]", "past the end"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: wsd, cooldown: 20k}\n", "decay.cooldown",
         "longer than"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: wsd, cooldown_shape: sqrt}\n",
         "decay.cooldown_shape", "unknown cooldown shape"),
        ("total: 10k\npeak_lr: 1.0e-3\ndecay: {shape: exponential}\n", "decay", "gamma"),
        ("total: 10k\npeak_lr: 1.0e-3\nnoam: {d_model: 512}\n", "noam", "both"),
        ("total: 10k\nnoam: {d_model: 512}\n", "noam", "warmup length"),
        ("total: 10k\npeak_lr: 1.0e-3\nphases: []\n", "phases", "list of phases"),
        ("total: 10k\nphases: [{shape: linear, length: 10, to: 1.0}]\n", "phases[0]",
         "needs 'from'"),
        ("total: 10\nphases: [{shape: linear, length: 6, from: 0}, {shape: cosine, length: 6}]\n",
         "phases", "more than the run"),
        ("total: 10\nphases: [{shape: linear, length: rest, from: 0},"
         " {shape: cosine, length: rest}]\n",
         "phases[1].length", "only one"),
        ("total: 10\npeak_lr: 1.0\nwarmup: {shape: linear, length: 2}\n"
         "phases: [{shape: linear, length: 2, from: 0}]\n",
         "warmup", "cannot also have"),
        ("total: 10\nphases: [{shape: linear, length: 2, from: 0, gamma: 2}]\n", "phases[0].gamma",
         "unknown key"),
        ("total: 10\npeak_lr: 1.0\ntraining: {optimizer: adamw, beta2: 1.5}\n", "training.beta2",
         "below 1"),
        ("total: 10\npeak_lr: 1.0\ntraining: {regime: pretraining}\n", "training.regime",
         "unknown regime"),
        # YAML keys are unique: PyYAML would keep the last one without a word
        ("total: 100k\npeak_lr: 1.0\ntotal: 50k\n", "total", "given twice (first at 1:1)"),
        ("total: 10\npeak_lr: 1.0\nwarmup: {shape: linear, length: 2, length: 3}\n",
         "warmup.length", "given twice"),
    ],
)
def test_each_mistake_gets_one_clear_error(text, path, fragment):
    err = error_of(text)
    assert err.path == path
    assert fragment in str(err)
    assert err.line is not None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("- 1\n- 2\n", "top level of a spec must be a mapping"),
        ("just a string\n", "top level of a spec must be a mapping"),
        ("total: [1\n", "invalid YAML"),
        ("!!python/object/apply:os.system ['true']\n", "unsupported YAML"),
        ("total: !!python/name:os.system\n", "unsupported YAML"),
        ("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
         "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
         "e: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n", "aliases"),
        ("[" * 5000 + "]" * 5000, ""),
    ],
)
def test_bad_yaml(text, fragment):
    err = error_of(text)
    assert fragment in str(err)


@pytest.mark.parametrize("name", __import__("warmupctl.presets").presets.names())
def test_every_preset_resolves_to_a_phases_spec_with_the_same_rates(name):
    s = warmupctl.load(name)
    again = warmupctl.load(s.spec)
    assert again.total_steps == s.total_steps
    n = s.total_steps
    steps = sorted({0, n - 1, *(p.start for p in s.phases),
                    *(max(0, p.start - 1) for p in s.phases), *range(0, n, max(1, n // 997))})
    assert np.array_equal(again.at(np.array(steps)), s.at(np.array(steps)))


def test_horizon_cuts_the_last_phase():
    s = warmupctl.load({"total": 10, "phases": [
        {"shape": "linear", "length": 2, "from": 0, "to": 1.0},
        {"shape": "linear", "length": "rest", "to": 0.0, "horizon": 16},
    ]})
    # 1 - (t - 2)/16 for t = 2..9: the line is cut at step 9, halfway down
    assert list(s.curve()[2:]) == [(16 - k) / 16 for k in range(8)]


@pytest.mark.parametrize(
    ("phases", "fragment"),
    [
        ([{"shape": "linear", "length": 5, "from": 0, "to": 1, "horizon": 8},
          {"shape": "constant", "length": "rest"}], "only the last phase"),
        ([{"shape": "linear", "length": 5, "from": 1, "to": 0, "horizon": 8}],
         "to the end of the run"),
        ([{"shape": "linear", "length": "rest", "from": 1, "to": 0, "horizon": 3}], "shorter than"),
    ],
)
def test_bad_horizons(phases, fragment):
    with pytest.raises(SpecError, match=fragment):
        warmupctl.load({"total": 10, "phases": phases})


@pytest.mark.parametrize("total, said", [
    (2**53 + 1, "has 9,007,199,254,740,993 steps"), ("1e18", "is about 1.0e18 steps long"),
    ("12000T", "has 12,000,000,000,000,000 steps"), ("1e400", "is about 1.0e400 steps long")])
def test_a_run_too_long_for_doubles_names_its_size(total, said):
    # 2^53 = 9,007,199,254,740,992 is the last step count a float64 holds exactly
    assert 2**53 == 9_007_199_254_740_992
    warmupctl.load({"total": 2**53, "peak_lr": 1e-3})  # the limit itself is fine
    with pytest.raises(warmupctl.SpecError) as err:
        warmupctl.load({"total": total, "peak_lr": 1e-3})
    assert (f"the run {said}; warmupctl handles up to 2^53 = 9,007,199,254,740,992 steps"
            in str(err.value))


# ---------------------------------------------------------------- bare shape names (issue 14)


def test_a_bare_shape_name_is_the_block_with_only_that_shape():
    # `warmup: none` and `decay: cosine` mean what --warmup none and --decay cosine mean
    bare = load_yaml("total: 1000\npeak_lr: 1.0e-3\nwarmup: none\ndecay: cosine\n")
    block = load_yaml("total: 1000\npeak_lr: 1.0e-3\nwarmup: {shape: none}\n"
                      "decay: {shape: cosine}\n")
    assert bare.warmup_steps == 0 and bare.lr(0) == 1.0e-3
    # cosine to 0 over the 1000 steps, by hand: peak·½(1 + cos(π·500/1000)) = peak/2
    assert bare.lr(500) == pytest.approx(0.5e-3, rel=1e-12)
    assert np.array_equal(bare.curve(), block.curve())
    for shape in ("constant", "linear", "inverse_sqrt", "wsd"):
        s = load_yaml(f"total: 1000\npeak_lr: 1.0e-3\ndecay: {shape}\n")
        assert s.meta["decay_shape"] == shape


@pytest.mark.parametrize(("text", "fragment"), [
    ("warmup: linear\n", "write warmup: {shape: linear, length: 2%}"),
    ("warmup: lin\n", "did you mean 'linear'?"),
    ("decay: step\n", "missing key 'milestones'"),
])
def test_a_bare_shape_that_needs_more_is_refused_with_the_block_to_write(text, fragment):
    with pytest.raises(SpecError) as exc:
        load_yaml("total: 1000\npeak_lr: 1.0e-3\n" + text)
    assert fragment in str(exc.value) and exc.value.line == 3


# ---------------------------------------------------------------- the default's citation


def test_flags_that_change_the_default_drop_its_citation():
    default = warmupctl.load(None)
    assert "Touvron" in default.meta["source"]
    built = warmupctl.load(None, {"total": ("--total", "100k"), "peak_lr": ("--peak-lr", "3e-4"),
                                  "warmup": ("--warmup", {"shape": "linear", "length": "2%"}),
                                  "decay": ("--decay", {"shape": "cosine", "final_lr": "10%"})})
    assert not built.meta.get("source") and not built.meta.get("description")
    # flags that leave the curve alone keep it the default
    same = warmupctl.load(None, {"tokens_per_step": ("--tokens-per-step", "1M")})
    assert "Touvron" in same.meta["source"]


# ---------------------------------------------------------------- a peak that is a multiplier


def test_peak_lr_multiplier_block():
    s = load_yaml("total: 100\npeak_lr: {multiplier: 2.0}\nwarmup: {shape: linear, length: 10}\n")
    assert s.meta["lr_multiplier"] is True and s.lr(5) == 1.0 and s.lr(50) == 2.0
    assert load_yaml("total: 100\npeak_lr: 3.0e-4\n").meta["lr_multiplier"] is False


@pytest.mark.parametrize(("block", "fragment"), [
    ("{multipler: 1.0}", "did you mean 'multiplier'?"),
    ("{}", "missing key 'multiplier'"),
    ("{multiplier: 0}", "greater than 0"),
])
def test_bad_multiplier_blocks(block, fragment):
    with pytest.raises(SpecError) as exc:
        load_yaml(f"total: 100\npeak_lr: {block}\n")
    assert fragment in str(exc.value) and exc.value.line == 2
