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


def start_long_export(tmp_path, target):
    """A long CSV export, returned once its temporary file holds more than 1 MB."""
    proc = subprocess.Popen(entry_point() + LONG + ["-o", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 1_000_000:
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("the export never started writing its temporary file")


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="needs POSIX signals")
def test_sigterm_removes_the_temporary_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "lr.csv"
    target.write_text("old content\n")
    proc = start_long_export(tmp_path, target)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM  # ended by the signal, after cleaning up
    assert err.strip().splitlines()[-1] == "warmupctl: terminated"
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lr.csv"]
    assert target.read_text() == "old content\n"


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs POSIX signals")
def test_sigint_removes_the_temporary_file(tmp_path):
    target = tmp_path / "lr.csv"
    proc = start_long_export(tmp_path, target)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert list(tmp_path.iterdir()) == []


def test_no_temporary_file_before_the_first_write(tmp_path):
    from warmupctl.fileio import atomic_writer

    target = tmp_path / "out.txt"
    with atomic_writer(str(target)) as stream:
        assert list(tmp_path.iterdir()) == []  # a long check here leaves nothing if killed
        stream.write(b"data\n")
        assert [p.name.endswith(".tmp") for p in tmp_path.iterdir()] == [True]
    assert target.read_bytes() == b"data\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_export_that_fails_before_writing_leaves_nothing(tmp_path):
    from warmupctl.fileio import atomic_writer

    with pytest.raises(RuntimeError), atomic_writer(str(tmp_path / "out.txt")):
        raise RuntimeError("the check failed")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_output_is_still_written(tmp_path):
    from warmupctl.fileio import atomic_writer

    with atomic_writer(str(tmp_path / "empty.txt")):
        pass
    assert (tmp_path / "empty.txt").read_bytes() == b""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_refused_export_never_opens_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # gpt3-small holds its final rate, which HF cannot express: refused before -o is opened
    # (opening a FIFO with no reader blocks, so the old order hung here)
    proc = subprocess.run(entry_point() + ["export", "gpt3-small", "-f", "hf", "-o", str(fifo)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "cannot express" in proc.stderr


@pytest.mark.parametrize("path,words", [
    ("", ["output path is empty", "'-' for stdout"]),
    ("newdir/", ["newdir/", "names a folder", "newdir is not one"]),
])
def test_output_paths_that_name_no_file(tmp_path, path, words):
    proc = subprocess.run(entry_point() + ["export", "-q", "-o", path], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in line, line
    assert "folder" not in line or path  # '' is not called a folder
    assert list(tmp_path.iterdir()) == []  # no file named newdir
