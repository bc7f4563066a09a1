"""plot says which file won over a preset, recommend prints findings inertly, and show's remark
about the spec's texts appears only with them (issue 13, items 4 and 12)."""

import dataclasses
import io
import json
import os

import pytest
from rich.console import Console
from typer.testing import CliRunner

from warmupctl.cli import app
from warmupctl.cli.recommend_cmd import _print
from warmupctl.loading import load
from warmupctl.recommend import recommend
from warmupctl.rules import Finding

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}
ESC = "\x1b]0;pwned\x07\x1b[31m\x9b2J"
SHADOW = ("warmupctl: using the file ./gpt3-small, not the preset of that name "
          "(the preset is preset:gpt3-small)")


def run(*args):
    return runner.invoke(app, list(args), env=ENV)


# ------------------------------------------------------------------ plot and a shadowed preset


@pytest.mark.parametrize("extra", [[], ["--terminal"], ["--sweep", "peak_lr=0.5,0.25"]])
def test_plot_says_a_file_named_like_a_preset_was_used(tmp_path, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gpt3-small").write_text("total: 10\npeak_lr: 0.5\n")
    r = run("plot", "gpt3-small", "-o", "out.svg", *extra)
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0] == SHADOW
    assert r.stderr.count("not the preset") == 1
    r = run("plot", "preset:gpt3-small", "-o", "out.svg")
    assert r.exit_code == 0 and "not the preset" not in r.stderr
    assert run("-q", "plot", "gpt3-small", "-o", "out.svg").stderr == ""
    assert run("plot", "-q", "gpt3-small", "-o", "out.svg").stderr == ""


def test_plot_without_a_shadowing_file_says_nothing_about_presets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("plot", "gpt3-small", "-o", "out.svg")
    assert r.exit_code == 0, r.stderr
    assert "not the preset" not in r.stderr


# ------------------------------------------------------------------ recommend prints inertly


def _printed(concerns, rec=None):
    rec = rec or recommend(100_000, 512, peak_lr=3e-4)
    out = io.StringIO()
    _print(Console(file=out, width=200, no_color=True, highlight=False), rec, load(rec.spec),
           concerns)
    return out.getvalue()


@pytest.mark.parametrize("text", ["[/]", "[bold]x[/bold", "a[/b]c"])
def test_recommend_prints_markup_in_a_finding_as_written(text):
    out = _printed([Finding("rule-[/]", "warning", f"optimizer {text} unknown", "src")])
    assert f"warning rule-[/]: optimizer {text} unknown" in out


def test_recommend_prints_escape_bytes_in_a_finding_visibly():
    out = _printed([Finding("r", "warning", "name " + ESC, "src")])
    for raw in ("\x1b", "\x07", "\x9b"):
        assert raw not in out
    assert "name \\x1b]0;pwned\\x07\\x1b[31m\\x9b2J" in out


def test_recommend_prints_markup_in_a_conflict_and_the_explanation_as_written():
    rec = recommend(3000, 32, regime="finetune", beta2=0.999, peak_lr=2e-5)
    rec.conflicts[0]["message"] = "[/] and [bold]" + ESC
    out = _printed([], dataclasses.replace(rec, explanation="why [/]"))
    assert "[/] and [bold]\\x1b]0;pwned" in out and "why [/]" in out and "\x1b" not in out


@pytest.mark.parametrize("optimizer", ["[/]", "[/]" + ESC, "adamw[/]"])
def test_recommend_with_a_hostile_optimizer_is_one_clean_error(optimizer):
    r = run("recommend", "--steps", "100k", "--batch", "512", "--optimizer", optimizer)
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("warmupctl: error: unknown optimizer '")
    assert "[/]" in r.stderr
    assert "\x1b" not in r.stderr and r.stdout == ""


# ------------------------------------------------------------------ show's remark on the flags


def test_show_flags_on_the_default_make_no_remark_about_texts_they_removed():
    # flags on the built-in default drop its description and source: nothing to remark on
    r = run("show", "--peak-lr", "1e-3")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["default", "changed by --peak-lr 1e-3"]
    assert "spec's" not in r.stdout and "source:" not in r.stdout


def test_show_flags_on_a_described_spec_name_the_texts_shown(tmp_path):
    path = tmp_path / "described.yaml"
    path.write_text("total: 1000\npeak_lr: 1.0e-3\ndescription: short run\nsource: a paper\n")
    r = run("show", str(path), "--peak-lr", "2e-3")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == ("changed by --peak-lr 2e-3 (the description and source "
                                        "are the spec's, before the flags)")


def test_show_flags_remark_is_absent_when_no_text_is_shown(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("total: 1000\npeak_lr: 1.0e-3\n")
    r = run("show", str(path), "--peak-lr", "2e-3")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1] == "changed by --peak-lr 2e-3"
    assert "spec's" not in r.stdout


def test_show_flags_remark_names_a_lone_note(tmp_path):
    path = tmp_path / "noted.yaml"
    path.write_text("total: 1000\npeak_lr: 1.0e-3\nnote: tuned at batch 256\n")
    r = run("show", str(path), "--peak-lr", "2e-3")
    assert r.exit_code == 0, r.stderr
    assert "(the note is the spec's, before the flags)" in r.stdout
    assert json.loads(run("show", str(path), "--json").stdout)["note"] == "tuned at batch 256"
    assert os.path.exists(path)
