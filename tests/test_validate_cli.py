"""`warmupctl validate` and `warmupctl recommend` as users run them: stdout, stderr and exit codes
checked separately (CONTRACT §3, §6, §7)."""

import json
import re

import pytest
import yaml
from typer.testing import CliRunner

import warmupctl
from warmupctl import presets, rules
from warmupctl.cli import app

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "120"}

CLEAN = """\
total: 100k
peak_lr: 3.0e-4
warmup: {shape: linear, length: 2000, skip_zero: true}
decay: {shape: cosine, final_lr: 10%}
training: {regime: pretrain, optimizer: adamw, beta2: 0.95, architecture: pre-ln}
"""
POST_LN_NO_WARMUP = """\
total: 100k
peak_lr: 1.0e-3
decay: {shape: inverse_sqrt}
training: {optimizer: adam, beta2: 0.98, architecture: post-ln}
"""


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


@pytest.fixture
def clean(tmp_path):
    p = tmp_path / "clean.yaml"
    p.write_text(CLEAN)
    return str(p)


@pytest.fixture
def broken(tmp_path):
    p = tmp_path / "postln.yaml"
    p.write_text(POST_LN_NO_WARMUP)
    return str(p)


@pytest.mark.parametrize("command", ["validate", "recommend"])
def test_help(command):
    r = run(command, "--help")
    assert r.exit_code == 0 and "Usage" in r.stdout


def test_clean_spec_exits_0_with_no_findings(clean):
    r = run("validate", clean)
    assert r.exit_code == 0, r.output
    assert "no findings" in r.stdout and r.stderr == ""
    assert run("validate", clean, "--strict").exit_code == 0
    j = run("validate", clean, "--json")
    assert j.exit_code == 0 and json.loads(j.stdout) == []


def test_preset_with_information_only_exits_0_and_shows_a_table():
    r = run("validate", "gpt3-small")
    assert r.exit_code == 0, r.output
    for text in ("folk-short-warmup-spikes", "info", "0.125%", "Table 2.1", "severity",
                 "source", "0 errors, 0 warnings, 2 info"):
        assert text in r.stdout
    assert r.stderr == ""


def test_strict_fails_on_any_finding():
    r = run("validate", "gpt3-small", "--strict")
    assert r.exit_code == 1
    ids = ",".join(f.rule for f in rules.check(warmupctl.load("gpt3-small")))
    assert run("validate", "gpt3-small", "--strict", "--ignore", ids).exit_code == 0


def test_error_finding_exits_1(broken):
    r = run("validate", broken)
    assert r.exit_code == 1
    assert "no-warmup-post-ln" in r.stdout and "error" in r.stdout
    assert r.stderr == ""


def test_json_shape_per_contract(broken):
    r = run("validate", broken, "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert isinstance(data, list) and data
    for item in data:
        assert set(item) == {"rule", "severity", "message", "source"}
        assert item["severity"] in ("error", "warning", "info")
        assert item["rule"] in rules.BY_ID
    assert data[0]["rule"] == "no-warmup-post-ln" and data[0]["severity"] == "error"
    assert "Xiong" in data[0]["source"]


def test_ignore_repeated_and_comma_separated(broken):
    r = run("validate", broken, "--ignore", "no-warmup-post-ln", "--json")
    assert r.exit_code == 0
    assert "no-warmup-post-ln" not in {f["rule"] for f in json.loads(r.stdout)}
    r = run("validate", broken, "--ignore", "no-warmup-post-ln,warmup-below-untuned-floor",
            "--ignore", "first-step-zero", "--json")
    left = {f["rule"] for f in json.loads(r.stdout)}
    assert not left & {"no-warmup-post-ln", "warmup-below-untuned-floor", "first-step-zero"}


def test_unknown_ignored_rule_is_a_usage_error(broken):
    r = run("validate", broken, "--ignore", "no-warmup-postln")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert "unknown rule 'no-warmup-postln'" in r.stderr
    assert "did you mean 'no-warmup-post-ln'?" in r.stderr


def test_bad_spec_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("total: 10k\npeak_lr: 3.0e-4\nwarmup: {shape: linear, lenght: 2%}\n")
    r = run("validate", str(bad))
    assert r.exit_code == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "did you mean 'length'" in r.stderr
    assert run("validate", "no-such.yaml").exit_code == 2


def test_flags_override_and_default_notice(clean):
    r = run("validate", clean, "--warmup", "none", "--json")
    assert r.exit_code == 0
    assert "no-warmup-adaptive" in {f["rule"] for f in json.loads(r.stdout)}
    r = run("validate")
    assert r.exit_code == 0 and "built-in default" in r.stderr


def test_every_preset_passes_validate():
    for name in presets.names():
        r = run("validate", name, "--json")
        assert r.exit_code == 0, (name, r.stdout)


def test_list_rules():
    r = run("validate", "--list-rules", "--json")
    assert r.exit_code == 0
    assert [x["rule"] for x in json.loads(r.stdout)] == [x.id for x in rules.RULES]
    assert "constant-warmup-jump" in run("validate", "--list-rules").stdout


# ---------------------------------------------------------------------------------------------
# recommend
# ---------------------------------------------------------------------------------------------


def test_recommend_prints_schedule_rules_and_why():
    r = run("recommend", "--steps", "100k", "--batch", "512")
    assert r.exit_code == 0, r.output
    for text in ("1,800 steps", "warmup-grows-with-batch", "untuned-warmup-floor", "decided",
                 "Ma & Yarats", "0.125%", "cosine to 10%"):
        assert text in r.stdout, text
    assert r.stderr == ""


def test_recommend_json_per_contract():
    r = run("recommend", "--steps", "100k", "--batch", "512", "--peak-lr", "3e-4", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d) == {"regime", "total_steps", "warmup_steps", "peak_lr", "spec", "rules",
                      "explanation", "conflicts"}
    assert d["regime"]["value"] == "pretrain" and d["regime"]["assumed"] is True
    assert d["total_steps"] == 100_000 and d["warmup_steps"] == 1800 and d["peak_lr"] == 3e-4
    assert warmupctl.load(d["spec"]).warmup_steps == 1800
    for e in d["rules"]:
        assert set(e) == {"rule", "value", "bound", "source"} and isinstance(e["bound"], bool)


def test_recommend_writes_a_spec_that_validates_clean(tmp_path):
    out = tmp_path / "spec.yaml"
    r = run("recommend", "--regime", "finetune", "--steps", "3000", "--batch", "32",
            "-o", str(out))
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.stderr
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert data["warmup"] == {"shape": "linear", "length": 180}
    v = run("validate", str(out), "--json")
    assert v.exit_code == 0
    assert all(f["severity"] == "info" for f in json.loads(v.stdout))


def test_recommend_base_lr_scaling_shows_both_rules():
    r = run("recommend", "--steps", "14130", "--batch", "8192", "--optimizer", "sgd",
            "--base-lr", "0.1", "--base-batch", "256", "--json")
    d = json.loads(r.stdout)
    assert d["peak_lr"] == pytest.approx(3.2)
    got = {e["rule"]: e for e in d["rules"]}
    assert got["linear-scaling-sgd"]["bound"] and not got["sqrt-scaling-adam"]["bound"]
    assert d["spec"]["warmup"]["start_lr"] == 0.1


def test_recommend_to_stdout_is_yaml_only():
    r = run("recommend", "--steps", "100k", "--batch", "512", "-o", "-")
    assert r.exit_code == 0
    assert yaml.safe_load(r.stdout)["warmup"]["length"] == 1800


@pytest.mark.parametrize(("args", "fragment"), [
    (["--steps", "lots", "--batch", "8"], "--steps"),
    (["--steps", "100k", "--batch", "2.5"], "whole number"),
    (["--steps", "100k", "--batch", "8", "--optimizer", "adamx"], "did you mean 'adamax'"),
    (["--steps", "1000", "--batch", "8", "--beta2", "0.999"], "2/(1−β2) = 2000"),
    (["--steps", "100k", "--batch", "8", "--peak-lr", "1e-3", "--base-lr", "1e-4",
      "--base-batch", "4"], "not both"),
    (["--steps", "100k", "--batch", "8", "--peak-lr", "10%"], "absolute rate"),
])
def test_recommend_usage_errors(args, fragment):
    r = run("recommend", *args)
    assert r.exit_code == 2
    assert fragment in r.stderr and r.stdout == ""
    assert "Traceback" not in r.output


def test_recommend_failure_leaves_an_existing_file_alone(tmp_path):
    out = tmp_path / "spec.yaml"
    out.write_text("keep me\n")
    r = run("recommend", "--steps", "1000", "--batch", "8", "--beta2", "0.999", "-o", str(out))
    assert r.exit_code == 2
    assert out.read_text() == "keep me\n"


def test_a_recommended_spec_without_a_peak_marks_its_rates_as_multipliers(tmp_path):
    out = tmp_path / "rec.yaml"
    assert run("recommend", "--steps", "100k", "--batch", "512", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    comment = text.index("# no --peak-lr or --base-lr was given")
    assert comment < text.index("\npeak_lr:\n")
    # the marker is a field the parser reads, not only a comment
    assert yaml.safe_load(text)["peak_lr"] == {"multiplier": 1.0}
    assert warmupctl.load(str(out)).meta["lr_multiplier"] is True
    given = tmp_path / "given.yaml"
    run("recommend", "--steps", "100k", "--batch", "512", "--peak-lr", "3e-4", "-o", str(given))
    assert "#" not in given.read_text(encoding="utf-8")
    assert yaml.safe_load(given.read_text(encoding="utf-8"))["peak_lr"] == 3e-4
    assert "multiplier" not in run("export", str(given), "-f", "hf", "-o", "-").stderr


@pytest.mark.parametrize("fmt", ["hf", "deepspeed", "megatron", "torch", "optax", "keras"])
def test_every_trainer_export_of_a_multiplier_spec_exits_2_naming_peak_lr(tmp_path, fmt):
    out = tmp_path / "rec.yaml"
    assert run("recommend", "--steps", "100k", "--batch", "512", "-o", str(out)).exit_code == 0
    target = tmp_path / f"out.{fmt}"
    r = run("export", str(out), "-f", fmt, "-o", str(target))
    assert r.exit_code == 2 and "--peak-lr" in r.stderr and "multiplier" in r.stderr
    assert not target.exists() and r.stdout == ""
    # with the real peak the refusal is gone (DeepSpeed still refuses a warmup from 0 for its
    # one-update lag, a reason of its own)
    r = run("export", str(out), "-f", fmt, "-o", "-", "--peak-lr", "3e-4")
    assert "multiplier" not in r.stderr
    assert r.exit_code == (2 if fmt == "deepspeed" else 0), r.stderr
    if fmt == "hf":
        assert json.loads(r.stdout)["learning_rate"] == 3e-4


def test_curve_exports_of_a_multiplier_spec_say_so(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text("total: 100\npeak_lr: {multiplier: 1.0}\nwarmup: {shape: linear, length: 10}\n")
    r = run("export", str(spec), "-f", "csv")
    assert r.exit_code == 0 and r.stdout.splitlines()[:2] == ["step,lr_multiplier", "0,0.0"]
    d = json.loads(run("export", str(spec), "-f", "json").stdout)
    assert d["lr_is_multiplier"] is True and d["lr"][10] == 1.0
    # the resolved spec keeps the marker, so it loads back as multipliers
    assert d["spec"]["peak_lr"] == {"multiplier": 1.0}
    assert warmupctl.load(d["spec"]).meta["lr_multiplier"] is True
    plain = json.loads(run("export", "gpt3-small", "-f", "json", "--every", "100k").stdout)
    assert "lr_is_multiplier" not in plain
    csv = run("export", "gpt3-small", "-f", "csv", "--every", "100k").stdout
    assert csv.startswith("step,lr\n")


# ---------------------------------------------------------------------------------------------
# issue 14: regimes, facts as flags, narrow terminals
# ---------------------------------------------------------------------------------------------


def test_recommend_says_the_regime_first():
    r = run("recommend", "--steps", "10000", "--batch", "64")
    first = " ".join(r.stdout.split("\n\n")[0].split())  # the first paragraph, however wrapped
    assert first.startswith("regime: pretrain (assumed") and "--regime finetune" in first
    r = run("recommend", "--steps", "10000", "--batch", "64", "--regime", "finetune")
    assert r.stdout.splitlines()[0].startswith("regime: finetune (given")


def test_recommend_finetune_with_hf_betas_in_the_terminal():
    r = run("recommend", "--steps", "3000", "--batch", "32", "--regime", "finetune",
            "--beta2", "0.999", "--peak-lr", "2e-5")
    assert r.exit_code == 0, r.output
    assert "180 steps (6%)" in r.stdout  # RoBERTa's 6% of 3,000
    assert "2,000 steps (66.7%)" not in r.stdout
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("conflict")]
    assert "untuned-warmup-floor vs finetune-warmup-band" in line
    d = json.loads(run("recommend", "--steps", "3000", "--batch", "32", "--regime", "finetune",
                       "--beta2", "0.999", "--peak-lr", "2e-5", "--json").stdout)
    assert d["warmup_steps"] == 180 and len(d["conflicts"]) == 1
    assert d["regime"] == {"value": "finetune", "assumed": False, "why": d["regime"]["why"]}


def test_validate_says_the_regime_before_the_findings(clean, tmp_path):
    r = run("validate", clean)
    assert r.stdout.splitlines()[1] == "regime: pretrain (training.regime)"
    bare = tmp_path / "bare.yaml"
    bare.write_text(CLEAN.replace("regime: pretrain, ", ""))
    r = run("validate", str(bare), "--json")
    assert [f["rule"] for f in json.loads(r.stdout)] == ["regime-assumed"]
    assert run("validate", str(bare)).stdout.splitlines()[1].startswith(
        "regime: pretrain (assumed")
    # the flag supplies it
    r = run("validate", str(bare), "--regime", "pretrain", "--json")
    assert json.loads(r.stdout) == []


IDENTIFIER = re.compile(r"\S*[:_/.]\S*[A-Za-z0-9]")


@pytest.mark.parametrize("args", [
    ["validate", "hf-trainer-default"], ["validate", "gpt3-small"],
    ["validate", "--warmup", "none", "--total", "50k", "--peak-lr", "1e-3", "--decay",
     "cosine:0", "--beta2", "0.999", "--optimizer", "adamw"],
    ["validate", "llama3-405b"],
])
def test_validate_at_80_columns_never_breaks_an_identifier(args):
    r = runner.invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert r.exit_code in (0, 1), r.output
    assert max(len(x) for x in r.stdout.splitlines()) <= 80
    found = json.loads(runner.invoke(app, args + ["--json"], env=ENV).stdout)
    assert found
    for f in found:
        for word in IDENTIFIER.findall(f["source"] + " " + f["message"]):
            assert word in r.stdout, (word, f["rule"])


def test_recommend_at_80_columns_never_breaks_a_citation():
    r = runner.invoke(app, ["recommend", "--steps", "14130", "--batch", "8192", "--optimizer",
                            "sgd", "--base-lr", "0.1", "--base-batch", "256"],
                      env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    for e in json.loads(runner.invoke(app, ["recommend", "--steps", "14130", "--batch", "8192",
                                            "--optimizer", "sgd", "--base-lr", "0.1",
                                            "--base-batch", "256", "--json"], env=ENV
                                      ).stdout)["rules"]:
        for word in rules.BASIS_BY_ID[e["rule"]].cite.split():
            assert word in r.stdout, word
    assert "decided" in r.stdout and "yes = this rule set the number" in " ".join(r.stdout.split())


ISSUE_FLAGS = ["--warmup", "none", "--total", "50k", "--peak-lr", "1e-3", "--decay", "cosine:0"]


def test_validate_lists_the_rules_it_could_not_apply():
    r = run("validate", *ISSUE_FLAGS, "--json")
    found = {f["rule"]: f for f in json.loads(r.stdout)}
    msg = found["rules-not-checked"]["message"]
    assert "no-warmup-adaptive needs training.optimizer (--optimizer)" in msg
    assert ("warmup-below-untuned-floor needs training.optimizer and training.beta2 "
            "(--optimizer, --beta2)") in msg
    text = " ".join(run("validate", *ISSUE_FLAGS).stdout.split())
    assert "Not checked for lack of facts: no-warmup-post-ln needs training.architecture" in text


def test_training_flags_let_the_optimizer_rules_run():
    r = run("validate", *ISSUE_FLAGS, "--optimizer", "adamw", "--beta2", "0.999",
            "--regime", "pretrain", "--architecture", "pre-ln", "--json")
    got = {f["rule"]: f for f in json.loads(r.stdout)}
    assert got["no-warmup-adaptive"]["severity"] == "warning"
    # Ma & Yarats: 2/(1 − 0.999) = 2000 steps
    assert "2/(1−β2) = 2000 steps" in got["warmup-below-untuned-floor"]["message"]
    assert "rules-not-checked" not in got and "regime-assumed" not in got


def test_training_flags_override_one_field_of_the_specs_block():
    # hf-trainer-default says finetune, adamw, β2 0.999: --regime pretrain changes only the regime
    r = run("validate", "hf-trainer-default", "--regime", "pretrain", "--json")
    got = {f["rule"] for f in json.loads(r.stdout)}
    assert "warmup-below-untuned-floor" in got and "no-warmup-finetune" not in got
    r = run("validate", "hf-trainer-default", "--beta2", "0.95", "--json")
    got = {f["rule"]: f["message"] for f in json.loads(r.stdout)}
    assert "2/(1−β2) = 40 steps for β2=0.95" in got["untuned-floor-vs-finetune"]  # 2/0.05


@pytest.mark.parametrize(("args", "fragment"), [
    (["--beta2", "1.5"], "--beta2: beta2 must be below 1"),
    (["--regime", "fine"], "--regime: unknown regime 'fine' (did you mean 'finetune'?)"),
    (["--batch", "2.5"], "--batch: expected a whole number"),
    (["--architecture", "postln"], "--architecture"),
])
def test_bad_training_flags_name_the_flag(args, fragment):
    r = run("validate", "gpt3-small", *args)
    assert r.exit_code == 2 and fragment in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize("command", ["show", "lr", "plot", "export", "validate"])
def test_every_command_that_takes_a_schedule_has_a_flag_per_training_field(command):
    import typer

    from warmupctl.spec import TRAINING_KEYS

    cmd = typer.main.get_command(app).commands[command]
    flags = {opt for p in cmd.params for opt in getattr(p, "opts", [])}
    # recommend's names: --batch for batch_size, the others as the keys with dashes
    wanted = {"--batch" if k == "batch_size" else "--" + k.replace("_", "-")
              for k in TRAINING_KEYS}
    assert wanted <= flags, wanted - flags


def test_the_finetune_example_in_advisor_md_is_what_recommend_prints():
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "advisor.md").read_text()
    cmd = ("$ warmupctl recommend --steps 3000 --batch 32 --regime finetune --beta2 0.999 "
           "--peak-lr 2e-5\n")
    start = text.index(cmd) + len(cmd)
    block = text[start:text.index("```", start)]
    r = runner.invoke(app, cmd.split()[2:], env={"NO_COLOR": "1", "COLUMNS": "100"})
    assert r.exit_code == 0 and r.stdout == block
    assert "conflict untuned-warmup-floor vs finetune-warmup-band" in block


def test_help_texts_are_wrapped_by_the_terminal_not_by_hand():
    # typer keeps single line breaks after a command's first paragraph: a paragraph written over
    # several source lines would print as lines broken mid-sentence at any terminal width
    import inspect

    import typer

    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path, cmd in walk(typer.main.get_command(app), []):
        for para in inspect.cleandoc(cmd.help or "").split("\n\n")[1:]:
            assert "\n" not in para, (path, para)
        for p in cmd.params:
            assert "\n" not in (p.help or ""), (path, p.name)
    r = runner.invoke(app, ["export", "--help"], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert "(1e-12 relative) or are refused with exit code 2" in r.stdout


def test_list_rules_at_80_columns_never_breaks_an_identifier():
    r = runner.invoke(app, ["validate", "--list-rules"], env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert r.exit_code == 0
    for rule in rules.RULES:
        for word in IDENTIFIER.findall(rule.summary + " " + rule.cite):
            assert word in r.stdout, (word, rule.id)
    listed = json.loads(run("validate", "--list-rules", "--json").stdout)
    by_id = {x["rule"]: x for x in listed}
    assert by_id["warmup-below-untuned-floor"]["regimes"] == ["pretrain"]
    assert by_id["first-step-zero"]["regimes"] == ["pretrain", "finetune"]


def test_npy_export_of_multipliers_says_so_on_stderr(tmp_path):
    spec = tmp_path / "m.yaml"
    spec.write_text("total: 100\npeak_lr: {multiplier: 1.0}\n")
    r = run("export", str(spec), "-f", "npy", "-o", str(tmp_path / "m.npy"))
    assert r.exit_code == 0 and "multipliers of your peak" in r.stderr


def test_fan_in_flag_reaches_the_update_size_rule():
    # --fan-in came in as text and the parser took only an int: every command refused it
    r = run("validate", "--total", "10k", "--peak-lr", "1e-2", "--warmup", "none",
            "--optimizer", "adamw", "--weight-decay", "0.1", "--fan-in", "256",
            "--init-std", "0.02", "--json")
    assert r.exit_code in (0, 1), r.output
    found = {f["rule"]: f["message"] for f in json.loads(r.stdout)}
    msg = found.get("large-early-updates") or found["early-update-size"]
    assert "fan-in 256" in msg
    r = run("show", "--total", "10k", "--peak-lr", "1e-2", "--fan-in", "1")
    assert r.exit_code == 2 and "--fan-in: expected a whole number ≥ 2" in r.output
