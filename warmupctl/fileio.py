"""Writing output files atomically.

Every file warmupctl writes goes through :func:`atomic_writer`: the data goes to a temporary file
in the destination's own folder, is flushed to disk, and only then replaces the destination with
``os.replace`` (through a symlink: the file it points to; a device or FIFO such as ``/dev/null``
is written into, as there is no file to replace). A run that fails — an exception, Ctrl-C, a
full disk — removes the temporary file and leaves an existing destination exactly as it was.
(Typer/Click's ``atomic=True`` file options are not used: they replace the destination even when
the command fails.)
"""

from __future__ import annotations

import contextlib
import errno
import os
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


@contextlib.contextmanager
def atomic_writer(path: str) -> Iterator[BinaryIO]:
    """Open ``path`` for binary writing, atomically; ``-`` writes to stdout (not atomic)."""
    if path == "-":
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
        return
    # a symlink: replace the file it points to and keep the link (as `>` would write through it)
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise OutputError(f"cannot write {path}: it is a folder")
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

