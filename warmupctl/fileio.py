"""Writing output files atomically.

Every file warmupctl writes goes through :func:`atomic_writer`: the data goes to a temporary file
in the destination's own folder, is flushed to disk, and only then replaces the destination with
``os.replace``. A run that fails — an exception, Ctrl-C, a full disk — removes the temporary file
and leaves an existing destination exactly as it was. (Typer/Click's ``atomic=True`` file options
are not used: they replace the destination even when the command fails.)
"""

from __future__ import annotations

import contextlib
import errno
import os
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
        return f"cannot write {path}: the folder does not exist"
    return f"cannot write {path}: {exc.strerror or exc}"


@contextlib.contextmanager
def atomic_writer(path: str) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing, atomically; ``-`` writes to stdout (not atomic)."""
    if path == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise OutputError(f"cannot write {path}: it is a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                   dir=folder)
    except OSError as exc:
        raise OutputError(_describe(exc, path)) from None
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(_describe(exc, path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

