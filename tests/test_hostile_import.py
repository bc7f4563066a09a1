"""Hostile trainer configs through the real `warmupctl import` (a subprocess each): alias bombs,
deep nesting, huge numbers, wrong types. Each must end with one error line and exit code 2, never
a traceback, and quote at most ~80 characters of a value (issue 13, items 2 and 9)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]"
       for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["learning_rate: 3.0e-4", "max_steps: 1000", "lr: 3.0e-4"]) + "\n"
HUGE = "1" + "0" * 5000


def entry_point():
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "warmupctl"]


def run_import(tmp_path, fmt, text, *extra, name="cfg.yaml"):
    path = tmp_path / name
    path.write_text(text)
    proc = subprocess.run(entry_point() + ["import", str(path), "-f", fmt, *extra],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"})
    return proc


def assert_one_error_line(proc, *words):
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-2000:]
    assert lines[0].startswith("warmupctl: error:")
    assert len(lines[0]) < 400, lines[0][:400]
    for word in words:
        assert word in lines[0], lines[0]


HF = {"learning_rate": 3e-4, "max_steps": 1000, "warmup_steps": 10, "lr_scheduler_type": "cosine"}


def hf_json(**changes):
    return json.dumps({**HF, **changes})


@pytest.mark.parametrize("fmt", ["hf", "deepspeed", "megatron"])
def test_alias_bomb_is_refused(tmp_path, fmt):
    assert_one_error_line(run_import(tmp_path, fmt, BOMB), "aliases")


@pytest.mark.parametrize("fmt", ["hf", "deepspeed", "megatron"])
@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000,
                                  '{"a": ' * 100_000 + "1" + "}" * 100_000,
                                  "- " * 3000 + "x\n",
                                  "a: " + "[" * 100_000 + "\n"],
                         ids=["json-list", "json-object", "yaml-block", "yaml-flow"])
def test_deep_nesting_is_refused(tmp_path, fmt, text):
    assert_one_error_line(run_import(tmp_path, fmt, text), "nested")


@pytest.mark.parametrize("text,words", [
    (hf_json().replace('"max_steps": 1000', '"max_steps": 1e400'), ["too large"]),
    (hf_json().replace('"max_steps": 1000', f'"max_steps": {HUGE}'), ["5,001-digit"]),
    (hf_json().replace('"max_steps": 1000', '"max_steps": NaN'), ["NaN"]),
    (hf_json().replace('"max_steps": 1000', '"max_steps": -Infinity'), ["Infinity"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1e400\n", ["max_steps", "finite"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1.0e400\n", ["max_steps", "finite"]),
    (f"learning_rate: 3.0e-4\nmax_steps: {HUGE}\n", ["5,001-digit", ":2:12"]),
    (f"learning_rate: 3.0e-4\nmax_steps: {HUGE[:4000]}\n", ["4,000-digit", ":2:12"]),
    ("learning_rate: 3.0e-4\nmax_steps: 0x" + "f" * 200 + "\n", ["max_steps", "-digit number"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: cosine_with_min_lr\n"
     "lr_scheduler_kwargs: {min_lr: [1, 2]}\n", ["lr_scheduler_kwargs.min_lr", "[1, 2]"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: cosine\n"
     "lr_scheduler_kwargs: {num_cycles: .nan}\n", ["num_cycles", "finite"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: cosine_with_restarts\n"
     "lr_scheduler_kwargs: {num_cycles: .inf}\n", ["num_cycles", "finite"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: polynomial\n"
     "lr_scheduler_kwargs: {power: {a: 1}}\n", ["lr_scheduler_kwargs.power"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: inverse_sqrt\n"
     "lr_scheduler_kwargs: {timescale: 1.5}\n", ["timescale", "whole number"]),
    ("learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: warmup_stable_decay\n"
     "lr_scheduler_kwargs: {num_decay_steps: 10, decay_type: [1]}\n", ["decay_type"]),
    (hf_json(lr_scheduler_kwargs='{"num_cycles": ' + HUGE + "}"), ["5,001-digit"]),
    (hf_json(lr_scheduler_kwargs='{"num_cycles": NaN}'), ["NaN"]),
    (hf_json(lr_scheduler_kwargs="[" * 10_000), ["nested"]),
], ids=["json-1e400", "json-5001-digits", "json-nan", "json-inf", "yaml-1e400", "yaml-1.0e400",
        "yaml-5001-digits", "yaml-4000-digits", "yaml-hex", "min_lr-list", "num_cycles-nan",
        "num_cycles-inf", "power-mapping", "timescale-fraction", "decay_type-list",
        "kwargs-string-5001-digits", "kwargs-string-nan", "kwargs-string-deep"])
def test_bad_numbers_are_one_error_line(tmp_path, text, words):
    assert_one_error_line(run_import(tmp_path, "hf", text), *words)


@pytest.mark.parametrize("total", ["1e400", "1" + "0" * 400, "1e17"])
def test_total_beyond_2_53_is_one_error_line(tmp_path, total):
    proc = run_import(tmp_path, "hf", "learning_rate: 3.0e-4\nlr_scheduler_type: cosine\n",
                      "--total", total)
    assert_one_error_line(proc, "2^53")


@pytest.mark.parametrize("fmt,text", [
    ("hf", "learning_rate: 3.0e-4\nmax_steps: 1000\nlr_scheduler_type: {}\n"),
    ("deepspeed", json.dumps({"optimizer": {"params": {"lr": 1e-3}},
                              "scheduler": {"type": "{}", "params": {}}})),
    ("megatron", "--lr 3e-4 --lr-decay-style {} --train-iters 1000 --lr-decay-iters 1000"),
])
def test_messages_quote_at_most_80_characters_of_a_value(tmp_path, fmt, text):
    value = "x" * 100_000
    proc = run_import(tmp_path, fmt, text.replace("{}", value), name="cfg.txt")
    assert_one_error_line(proc)
    assert "x" * 81 not in proc.stderr


def test_deepspeed_torch_scheduler_with_bad_params_is_one_error_line(tmp_path):
    cfg = {"optimizer": {"params": {"lr": 1e-3}},
           "scheduler": {"type": "MultiStepLR", "params": {"milestones": [[1]], "gamma": 0.5}}}
    proc = run_import(tmp_path, "deepspeed", json.dumps(cfg), "--total", "100", name="ds.json")
    assert_one_error_line(proc, "MultiStepLR")


def test_duplicate_json_keys_are_refused(tmp_path):
    text = '{"learning_rate": 3e-4, "max_steps": 1000, "max_steps": 10}'
    assert_one_error_line(run_import(tmp_path, "hf", text, name="a.json"), "max_steps", "twice")


def test_a_huge_file_is_refused_unread(tmp_path):
    text = "# " + "x" * 2_000_000 + "\nlearning_rate: 3.0e-4\n"
    for fmt in ("hf", "megatron"):
        assert_one_error_line(run_import(tmp_path, fmt, text), "limited")


@pytest.mark.parametrize("params", ["0.5", "18446744073709551616", "[1]", '"lr"'])
def test_deepspeed_optimizer_params_of_the_wrong_type(tmp_path, params):
    # found by fuzz/fuzz_import.py: a TypeError traceback before
    text = ('{"scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 10}}, '
            f'"optimizer": {{"params": {params}}}}}')
    proc = run_import(tmp_path, "deepspeed", text, "--total", "100", name="ds.json")
    assert_one_error_line(proc, "optimizer.params must be a mapping")


@pytest.mark.parametrize("fmt,text,extra,words", [
    ("hf", '{"learning_rate": 1e-3, "max_steps": 3864990452517342, "warmup_steps": 1e+308}', [],
     ["warmup_steps", "2^53"]),
    ("hf", "learning_rate: 1.0e-3\nwarmup_ratio: 1.0e+308\n", ["--total", "1000"],
     ["warmup_ratio", "[0, 1]"]),
    ("megatron", "--lr 1e-3 --train-iters 100000000 --lr-decay-style linear "
                 "--lr-decay-iters 9223372036854775808", [], ["lr_decay_iters", "2^53"]),
    ("megatron", "--lr 1e-3 --train-iters 100000000000 --lr-decay-iters 1e+308", [],
     ["lr_decay_iters", "2^53"]),
    ("deepspeed", '{"optimizer": {"params": {"lr": 1e-3}}, "scheduler": {"type": '
                  '"WarmupDecayLR", "params": {"warmup_num_steps": 10, "warmup_type": "linear", '
                  '"total_num_steps": 1e300}}}', [], ["total_num_steps", "2^53"]),
], ids=["hf-warmup_steps", "hf-warmup_ratio", "megatron-2^63", "megatron-1e308", "ds-1e300"])
def test_step_counts_beyond_2_53_are_one_error_line(tmp_path, fmt, text, extra, words):
    # found by fuzz/fuzz_import.py: OverflowError tracebacks and a 460-character error line
    assert_one_error_line(run_import(tmp_path, fmt, text, *extra, name="cfg.txt"), *words)


def test_deepspeed_cosine_without_total_num_steps_is_one_error_line(tmp_path):
    # found by fuzz/fuzz_import.py: a TypeError traceback when --total was given instead
    text = ('{"optimizer": {"params": {"lr": 0.002}}, "scheduler": {"type": "WarmupCosineLR", '
            '"params": {"cos_min_ratio": 0.3, "warmup_type": "linear"}}}')
    proc = run_import(tmp_path, "deepspeed", text, "--total", "100k", name="ds.json")
    assert_one_error_line(proc, "WarmupCosineLR needs total_num_steps")


@pytest.mark.parametrize("command", [["import", "cfg.yaml", "-f", "{}"], ["export", "-f", "{}"],
                                     ["export", "-f", "csv", "--every", "{}"]])
def test_command_line_values_are_quoted_short(tmp_path, command):
    (tmp_path / "cfg.yaml").write_text("learning_rate: 1.0e-3\n")
    value = "y" * 5000
    proc = subprocess.run(entry_point() + [c.replace("{}", value) for c in command],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "y" * 81 not in proc.stderr


@pytest.mark.parametrize("fmt", ["hf", "deepspeed"])
def test_unterminated_string_of_escaped_quotes_is_refused_promptly(tmp_path, fmt):
    # ~1 MB: '["' then 450,000 escaped quotes. The nesting pre-scan was quadratic on it
    # (35 minutes to refuse); run_import's 120 s timeout stands guard, the check is the exit.
    proc = run_import(tmp_path, fmt, '["' + '\\"' * 450_000, name="cfg.json")
    assert_one_error_line(proc)
