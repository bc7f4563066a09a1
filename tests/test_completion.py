"""Shell completion, through the program's real completion entry point: the environment
variables bash, zsh and fish set (`_WARMUPCTL_COMPLETE`, `COMP_WORDS`/`COMP_CWORD`,
`_TYPER_COMPLETE_ARGS`), in a subprocess, as the installed completion scripts run it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from warmupctl import presets
from warmupctl.spec import DECAY_SHAPES, WARMUP_SHAPES


def complete(shell: str, line: str, cwd=None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMP_", "_TYPER"))}
    env["_WARMUPCTL_COMPLETE"] = f"complete_{shell}"
    words = line.split(" ")
    if shell == "bash":
        env["COMP_WORDS"] = line
        env["COMP_CWORD"] = str(len(words) - 1)
    else:
        env["_TYPER_COMPLETE_ARGS"] = line
        if shell == "fish":
            env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    proc = subprocess.run([sys.executable, "-m", "warmupctl"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return [ln for ln in proc.stdout.splitlines() if ln]


def test_bash_completes_commands():
    assert complete("bash", "warmupctl di") == ["diff"]
    got = complete("bash", "warmupctl ")
    for name in ("show", "lr", "plot", "export", "diff", "schema", "validate", "presets"):
        assert name in got


def test_bash_completes_preset_names_for_spec():
    want = [n for n in presets.names() if n.startswith("gpt3")]
    assert want  # the presets this test relies on ship
    assert complete("bash", "warmupctl show gpt3") == want
    assert complete("bash", "warmupctl diff run.yaml gpt3") == want


def test_spec_completion_lists_spec_files_and_folders(tmp_path):
    (tmp_path / "run.yaml").write_text("total: 10\npeak_lr: 1.0\n")
    (tmp_path / "runs").mkdir()
    (tmp_path / "run.txt").write_text("not a spec")
    got = complete("bash", "warmupctl show ru", cwd=tmp_path)
    assert got == ["run.yaml", "runs" + os.sep]


def test_bash_completes_warmup_and_decay_shapes():
    got = complete("bash", "warmupctl show --warmup ")
    assert got == [s + ":" if s != "none" else s for s in WARMUP_SHAPES]
    assert complete("bash", "warmupctl plot --decay cos") == ["cosine", "cosine_restarts"]
    assert complete("bash", "warmupctl show --decay ") == list(DECAY_SHAPES)


def test_zsh_gives_each_shape_with_its_description():
    out = "\n".join(complete("zsh", "warmupctl show --decay w"))
    assert '"wsd":"wsd\\\\: stable at the peak' in out


def test_fish_completes_presets():
    got = complete("fish", "warmupctl validate llama")
    names = [line.split("\t")[0] for line in got]
    assert names == [n for n in presets.names() if n.startswith("llama")]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_a_script(shell):
    env = {k: v for k, v in os.environ.items() if not k.startswith("_WARMUPCTL")}
    proc = subprocess.run([sys.executable, "-m", "warmupctl", "--show-completion", shell],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "_WARMUPCTL_COMPLETE" in proc.stdout


@pytest.mark.parametrize("command", ["plot gpt3-small", "lr", "export", "validate"])
def test_every_spec_argument_completes_presets(command):
    assert complete("bash", f"warmupctl {command} hagele") == [
        n for n in presets.names() if n.startswith("hagele")]


def test_presets_show_completes_preset_names_only(tmp_path):
    (tmp_path / "gpt3-mine.yaml").write_text("total: 10\npeak_lr: 1.0\n")
    got = complete("bash", "warmupctl presets show gpt3", cwd=tmp_path)
    assert got == [n for n in presets.names() if n.startswith("gpt3")]
