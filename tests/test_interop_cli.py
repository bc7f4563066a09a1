"""The export/import commands as users run them (no framework needed): formats, files, errors."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

import warmupctl
from warmupctl import interop
from warmupctl.cli import app

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "200"}


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, env=ENV)


@pytest.mark.parametrize("fmt", interop.TARGETS)
def test_every_target_writes_a_file_for_an_exact_schedule(fmt, tmp_path):
    # linear warmup + linear decay with a floor: every config target has an exact form except
    # DeepSpeed (lag) — which gets the lagged form of the same curve below
    spec = {"total": 500, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 50},
            "decay": {"shape": "cosine", "final_lr": "10%"}}
    if fmt == "deepspeed":
        spec = {"total": 500, "peak_lr": 1e-3, "phases": [
            {"shape": "constant", "length": 1, "from": 0},
            {"shape": "linear", "length": 50, "from": 0, "to": 1e-3},
            {"shape": "cosine", "length": 449, "to": "10%", "skip_zero": True}]}
    out = tmp_path / f"out.{fmt}"
    r = run("export", "-", "-f", fmt, "-o", str(out), input=json.dumps(spec))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert f"wrote {out}" in r.stderr and "matches warmupctl at all 500 steps" in r.stderr
    text = out.read_text()
    if fmt in ("hf", "deepspeed"):
        json.loads(text)
    elif fmt == "megatron":
        assert text.startswith("--lr ") and text.count("\n") == 1
    else:
        compile(text, str(out), "exec")  # valid Python


def test_unknown_format_lists_the_trainer_formats():
    r = run("export", "-f", "tensorflow")
    assert r.exit_code == 2
    assert "hf" in r.stderr and "megatron" in r.stderr


def test_every_and_approximate_apply_to_their_own_formats():
    r = run("export", "-f", "torch", "--every", "10", "-q")
    assert r.exit_code == 2 and "--every" in r.stderr
    r = run("export", "-f", "csv", "--approximate", "-q")
    assert r.exit_code == 2 and "--approximate" in r.stderr


def test_refusal_writes_nothing(tmp_path):
    out = tmp_path / "ds.json"
    r = run("export", "gpt3-small", "-f", "deepspeed", "-o", str(out))
    assert r.exit_code == 2
    assert not out.exists()
    assert "lag" in r.stderr and "Traceback" not in r.output


def test_approximate_warning_survives_quiet():
    r = run("export", "gpt3-small", "-f", "hf", "--approximate", "-q")
    assert r.exit_code == 0
    assert "warning: approximate hf export" in r.stderr
    json.loads(r.stdout)


def test_why_not_and_able_targets():
    s = warmupctl.load("gpt3-small")
    assert interop.why_not(s, "megatron") is None
    msg = interop.why_not(s, "hf")
    assert msg and "holds" in msg
    assert interop.able_targets(s) == ["megatron", "torch", "optax", "keras"]


def test_import_errors(tmp_path):
    r = run("import", "-f", "hf", str(tmp_path / "missing.json"))
    assert r.exit_code == 2 and "no such file" in r.stderr
    r = run("import", "-f", "timm", str(tmp_path))
    assert r.exit_code == 2 and "hf, deepspeed, megatron" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{not json: [")
    r = run("import", "-f", "hf", str(bad))
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_import_to_a_file_and_from_stdin(tmp_path):
    cfg = {"learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 10,
           "max_steps": 100}
    out = tmp_path / "spec.yaml"
    r = run("import", "-f", "hf", "-", "-o", str(out), "--name", "mine", input=json.dumps(cfg))
    assert r.exit_code == 0, r.output
    s = warmupctl.load(str(out))
    assert s.name == "mine" and s.total_steps == 100 and s.warmup_steps == 10
    assert out.read_text().startswith("# imported from <stdin>")


def test_help():
    r = run("import", "--help")
    assert r.exit_code == 0 and "hf" in r.stdout
    r = run("export", "--help")
    assert r.exit_code == 0 and "--approximate" in r.stdout


def test_import_names_a_misspelled_field_instead_of_dropping_it():
    cfg = {"learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_step": 100,
           "max_steps": 1000, "output_dir": "out", "lr_scheduler_kwargs": {"num_cycle": 1}}
    r = run("import", "-f", "hf", "-", input=json.dumps(cfg))
    assert r.exit_code == 0, r.output
    assert "'warmup_step' is not read: did you mean 'warmup_steps'?" in r.stderr
    assert "lr_scheduler_kwargs 'num_cycle' is not read: did you mean" in r.stderr
    assert "output_dir" not in r.stderr  # a Trainer field far from any the import reads
    args = "--lr 3e-4 --train-iters 1000 --lr-warmup-iter 100 --lr-decay-style cosine --seed 1"
    r = run("import", "-f", "megatron", "-", input=args)
    assert r.exit_code == 0, r.output
    assert "--lr-warmup-iter is not read: did you mean --lr-warmup-iters?" in r.stderr
    assert "seed" not in r.stderr


def test_import_refuses_a_deepspeed_argument_deepspeed_would_reject():
    cfg = {"optimizer": {"type": "AdamW", "params": {"lr": 1e-3}},
           "scheduler": {"type": "WarmupDecayLR", "params": {
               "warmup_num_step": 100, "total_num_steps": 1000, "warmup_max_lr": 1e-3,
               "warmup_type": "linear"}}}
    r = run("import", "-f", "deepspeed", "-", input=json.dumps(cfg))
    assert r.exit_code == 2
    assert "'warmup_num_step' is not an argument of DeepSpeed's WarmupDecayLR" in r.stderr
    assert "did you mean 'warmup_num_steps'?" in r.stderr
    cfg["scheduler"] = {"type": "CosineAnnealingLR", "params": {"T_max": 1000, "eta_mn": 0}}
    r = run("import", "-f", "deepspeed", "-", "--total", "1000", input=json.dumps(cfg))
    assert r.exit_code == 0, r.output
    assert "CosineAnnealingLR argument 'eta_mn' is not read: did you mean 'eta_min'?" in r.stderr
    # eta_min then takes torch's default, 0: the curve is a cosine from 1e-3 to 0
    assert "matches the deepspeed formula at all 1,000 steps" in r.stdout
    assert yaml.safe_load(r.stdout)["decay"] == {"shape": "cosine", "final_lr": 0.0}


def test_import_total_is_written_like_any_length():
    cfg = json.dumps({"learning_rate": 1e-3, "lr_scheduler_type": "linear", "warmup_steps": 10})
    r = run("import", "-f", "hf", "-", "--total", "100k", input=cfg)
    assert r.exit_code == 0, r.output
    assert yaml.safe_load(r.stdout)["total"] == 100_000
    r = run("import", "-f", "hf", "-", "--total", "1.5", input=cfg)
    assert r.exit_code == 2 and "--total: expected a whole number" in r.stderr


def test_an_imported_deepspeed_schedule_round_trips_and_refuses_hf_cleanly(tmp_path):
    # docs/interop.md's worked example: WarmupCosineLR, 1,000 steps, 100 warmup, floor 10%
    ds = {"optimizer": {"type": "AdamW", "params": {"lr": 3e-4}},
          "scheduler": {"type": "WarmupCosineLR", "params": {
              "total_num_steps": 1000, "warmup_num_steps": 100, "warmup_type": "linear",
              "cos_min_ratio": 0.1}}}
    src, spec = tmp_path / "ds.json", tmp_path / "ds.yaml"
    src.write_text(json.dumps(ds))
    r = run("import", "-f", "deepspeed", str(src), "-o", str(spec))
    assert r.exit_code == 0, r.output
    s = warmupctl.load(str(spec))
    # the one-update lag, then 100 rising steps: the warmup ends at step 101
    assert s.warmup_steps == 101 and s.meta["warmup_shape"] == "linear"
    r = run("show", str(spec), "--json")
    assert json.loads(r.stdout)["warmup_steps"] == 101
    r = run("export", str(spec), "-f", "deepspeed")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["scheduler"]["params"]["warmup_num_steps"] == 100
    # HF has no lag: one clear refusal (its candidates start at rate 0), no traceback
    r = run("export", str(spec), "-f", "hf")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "HF transformers cannot express this schedule exactly" in r.stderr


README_RUN = """total: 100k
peak_lr: 3.0e-4
warmup: {shape: linear, length: 2%}
decay: {shape: cosine, final_lr: 10%}
training: {optimizer: adamw, beta2: 0.95, batch_size: 512}
"""


def test_a_deepspeed_refusal_leads_with_the_fix():
    # the README's own schedule: DeepSpeed's one-update lag makes it inexact
    r = run("export", "-", "-f", "deepspeed", input=README_RUN)
    assert r.exit_code == 2
    line = r.stderr.strip().splitlines()[-1]
    head, why = line.split(" Why: ")
    assert head.startswith("warmupctl: error: DeepSpeed cannot express this schedule exactly. "
                           "Fix: export -f torch and pass make_scheduler(optimizer) to "
                           "deepspeed.initialize(lr_scheduler=...)")
    # the exact deviation --approximate would give, before the details
    assert "--approximate" in head and "off by 1 relative at worst (step 1: warmupctl 1.5e-07, " \
        "deepspeed 0.0)" in head
    assert "lag one update" in why and "Exact formats: hf, megatron, torch" in why
    approx = run("export", "-", "-f", "deepspeed", "--approximate", input=README_RUN)
    assert approx.exit_code == 0
    assert "step 1: warmupctl 1.5e-07, deepspeed 0.0, relative error 1" in approx.stderr
