"""Failure injection: an export killed half-way never leaves a half-written destination."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

LONG = ["export", "-q", "--force", "--total", "200M", "--warmup", "linear:1%",
        "--decay", "cosine:10%", "-f", "csv"]


def entry_point():
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "warmupctl"]


def kill_mid_write(tmp_path, target):
    proc = subprocess.Popen(entry_point() + LONG + ["-o", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    temp = None
    while time.monotonic() < deadline:
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 1_000_000:
            temp = temps[0]
            break
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert temp is not None, "the export never started writing its temporary file"
    return temp


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_keeps_the_old_file(tmp_path):
    target = tmp_path / "lr.csv"
    target.write_text("old content\n")
    temp = kill_mid_write(tmp_path, target)
    assert target.read_text() == "old content\n"
    # the killed process could not clean up; its leftover is a hidden temp file, never the target
    assert temp.name.startswith(".lr.csv.")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_creates_no_destination(tmp_path):
    target = tmp_path / "lr.csv"
    kill_mid_write(tmp_path, target)
    assert not target.exists()


def _export_with_stderr_on_a_terminal(extra):
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(entry_point() + ["export", "--total", "20M", "-f", "npy", "-o", "-",
                                             *extra],
                            stdout=subprocess.DEVNULL, stderr=slave,
                            env={**os.environ, "COLUMNS": "80"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the pty closes when the process exits
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_only_without_quiet():
    code, err = _export_with_stderr_on_a_terminal([])
    assert code == 0
    assert "exporting" in err
    code, err = _export_with_stderr_on_a_terminal(["-q"])
    assert code == 0
    assert err == ""
