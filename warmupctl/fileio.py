"""Writing output files atomically.

Every file warmupctl writes goes through :func:`atomic_writer`: the data goes to a temporary file
in the destination's own folder, is flushed to disk, and only then replaces the destination with
``os.replace`` (through a symlink: the file it points to; a device or FIFO such as ``/dev/null``
is written into, as there is no file to replace). A run that fails — an exception, Ctrl-C, a
full disk, SIGTERM — removes the temporary file and leaves an existing destination exactly as it
was; the temporary file is created only when the first bytes are written, so a command that fails
or is killed before it writes (a long check, a refusal) leaves no trace.
(Typer/Click's ``atomic=True`` file options are not used: they replace the destination even when
the command fails.)
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from .errors import OutputError


def _describe(exc: OSError, path: str) -> str:
    if exc.errno == errno.ENOSPC:
        return f"cannot write {path}: no space left on the device"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {path}: permission denied (read-only folder?)"
    if exc.errno == errno.ENOENT:
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(folder):
            return f"cannot write {path}: files cannot be created in {folder}"
        return f"cannot write {path}: the folder does not exist"
    return f"cannot write {path}: {exc.strerror or exc}"


def is_special(path: str) -> bool:
    """``path`` is a device, FIFO or socket (``/dev/null``, a named pipe): written into, not
    replaced, and using no disk space."""
    try:
        kind = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(kind) or stat.S_ISDIR(kind))


class _LazyFile:
    """A temporary file beside the destination, created by the first write (or the first use of
    any other file method): an export that fails or is stopped before writing leaves nothing."""

    def __init__(self, target: str, path: str) -> None:
        self._target = target
        self._path = path
        self._file: BinaryIO | None = None
        self.tmp: str | None = None

    def _open(self) -> BinaryIO:
        if self._file is None:
            folder = os.path.dirname(self._target)
            try:
                fd, self.tmp = tempfile.mkstemp(
                    prefix=f".{os.path.basename(self._target)}.", suffix=".tmp", dir=folder)
            except OSError as exc:
                raise OutputError(_describe(exc, self._path)) from None
            self._file = os.fdopen(fd, "wb")
        return self._file

    def write(self, data: bytes) -> int:
        return self._open().write(data)

    def __getattr__(self, name: str):  # tell, flush, fileno, …: the real file's
        return getattr(self._open(), name)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class _Terminated(BaseException):
    """SIGTERM while a file is being written: unwinds like Ctrl-C, so the temporary file goes;
    then the process ends by the same signal, as it would have without the handler."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def _die_by_sigterm() -> None:
    sys.stderr.write("warmupctl: terminated\n")
    sys.stderr.flush()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
    raise SystemExit(128 + signal.SIGTERM)  # pragma: no cover - not reached on POSIX


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While writing, SIGTERM raises instead of killing the process outright, so the cleanup
    below removes the temporary file — as it does for Ctrl-C — and the process then ends by
    SIGTERM all the same (a shell reports 143). Only in the main thread, and only when SIGTERM
    has its default action (a program that set its own handler keeps it)."""
    import threading

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _check_path(path: str, target: str) -> None:
    if path == "":
        raise OutputError("the output path is empty: give a file name, or '-' for stdout")
    if os.path.isdir(target):
        raise OutputError(f"cannot write {path}: it is a folder")
    if path.endswith(("/", os.sep)):
        raise OutputError(f"cannot write {path}: a path ending in '/' names a folder, and "
                          f"{path.rstrip('/' + os.sep) or path} is not one; give a file name")


@contextlib.contextmanager
def atomic_writer(path: str) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing, atomically; ``-`` writes to stdout (not atomic).

    The temporary file is created by the first write, and removed on any failure, Ctrl-C or
    SIGTERM."""
    if path == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    # a symlink: replace the file it points to and keep the link (as `>` would write through it)
    target = os.path.realpath(path) if path else path
    _check_path(path, target)
    if is_special(target):
        # a device, FIFO or socket (/dev/null, /dev/stdout, a pipe to another program): there is
        # no file to keep or replace, so write into it (renaming over it would remove it)
        try:
            with open(target, "wb") as stream:
                yield stream
                stream.flush()
        except OSError as exc:
            raise OutputError(_describe(exc, path)) from None
        return
    lazy = _LazyFile(target, path)
    with _sigterm_unwinds():
        try:
            yield lazy  # type: ignore[misc]
            real = lazy._open()  # an empty output is still a file
            real.flush()
            os.fsync(real.fileno())
            lazy.close()
            assert lazy.tmp is not None
            try:
                mode = os.stat(target).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(lazy.tmp, mode)
            os.replace(lazy.tmp, target)
        except OSError as exc:
            _discard(lazy)
            raise OutputError(_describe(exc, path)) from None
        except _Terminated:
            _discard(lazy)
            _die_by_sigterm()
        except BaseException:
            _discard(lazy)
            raise


def _discard(lazy: _LazyFile) -> None:
    with contextlib.suppress(OSError):
        lazy.close()
    if lazy.tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(lazy.tmp)
