"""Standard streams that fail: a full disk, closed descriptors, Ctrl-C while the program starts
(issue 13, item 10). Real processes, real file descriptors."""

import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "NO_COLOR": "1"}
PROGRAM = [sys.executable, "-m", "warmupctl"]


def _run(args, **kwargs):
    return subprocess.run(PROGRAM + args, capture_output=False, env=ENV, timeout=120,
                          **kwargs)


def _closing(redirect: str) -> list[str]:
    """The program started by a shell with one standard descriptor closed (``>&-``): no
    preexec_fn, which would fork a process that has JAX's threads."""
    return ["/bin/sh", "-c", f'exec "$@" {redirect}', "sh", *PROGRAM]


def _one_error_line(err: bytes, fragment: str) -> None:
    text = err.decode()
    assert "Traceback" not in text, text
    assert text.count("\n") == 1 and text.startswith("warmupctl: error: "), text
    assert fragment in text, text


@pytest.mark.parametrize("args", [
    ["-q", "show"],
    ["-q", "show", "--json"],
    ["-q", "lr", "5"],
    ["-q", "export", "-o", "-"],
    ["-q", "export", "-f", "csv", "-o", "-"],
    ["-q", "validate"],
    ["presets"],
    ["--version"],
    ["--help"],
    ["show", "--help"],
])
def test_a_full_disk_on_stdout_is_one_error_line(args):
    with open("/dev/full", "wb") as full:
        proc = _run(args, stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 2
    _one_error_line(proc.stderr, "cannot write the output: No space left on device")


@pytest.mark.parametrize("args", [["-q", "show"], ["-q", "lr", "5"], ["-q", "export", "-o", "-"],
                                  ["-q", "validate"], ["--version"], ["show", "--help"]])
def test_a_closed_stdout_is_one_error_line(args):
    proc = subprocess.run(_closing(">&-") + args, stderr=subprocess.PIPE, env=ENV,
                          timeout=120)
    assert proc.returncode == 2
    _one_error_line(proc.stderr, "standard output is closed")


def test_a_closed_stdin_is_one_error_line():
    proc = subprocess.run(_closing("<&-") + ["show", "-"], capture_output=True, env=ENV,
                          timeout=120)
    assert proc.returncode == 2 and proc.stdout == b""
    _one_error_line(proc.stderr, "cannot read the spec from stdin: standard input is closed")


def test_a_closed_stderr_still_gives_the_exit_code(tmp_path):
    proc = subprocess.run(_closing("2>&-") + ["show", str(tmp_path / "missing.yaml")],
                          stdout=subprocess.PIPE, env=ENV, timeout=120)
    assert proc.returncode == 2 and proc.stdout == b""


# Ctrl-C while Python imports the program: a real SIGINT, sent by the process to itself at the
# moment NumPy (the largest import, loaded by the engine) starts loading, through an audit hook
_INTERRUPT_DURING_IMPORT = """
import os, signal, sys
def hook(event, args):
    if event == "import" and args[0] == {module!r}:
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(hook)
sys.argv = ["warmupctl", "show", "gpt3-small"]
from warmupctl.cli import main
main()
"""


@pytest.mark.parametrize("module", ["numpy", "typer", "rich.console", "warmupctl.engine"])
def test_ctrl_c_during_start_up_is_one_line_and_130(module):
    proc = subprocess.run([sys.executable, "-c", _INTERRUPT_DURING_IMPORT.format(module=module)],
                          capture_output=True, env=ENV, timeout=120)
    assert proc.stderr.decode() == "warmupctl: interrupted\n"
    assert proc.returncode == 130
    assert proc.stdout == b""
