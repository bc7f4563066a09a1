"""Where specs come from: a YAML file, stdin (``-``), a preset name, a mapping, or flags.

This is the I/O edge of the library; the parsing itself is pure (:mod:`warmupctl.spec`).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import presets, yamltext
from .engine import Schedule
from .errors import SpecError, WarmupctlError, suggest
from .spec import TOP_KEYS, default_spec, parse
from .textsafe import PATH_LIMIT, quote, visible

#: the top-level keys that shape the curve (a flag setting one makes the default a new schedule)
CURVE_KEYS = frozenset({"total", "peak_lr", "noam", "warmup", "decay", "phases"})


def _decode(raw: bytes, origin: str, what: str) -> str:
    if len(raw) > yamltext.MAX_BYTES:
        size = f"is {len(raw):,} bytes" if what == "the file" else "is longer than that"
        raise SpecError(f"specs are limited to {yamltext.MAX_BYTES:,} bytes and {what} {size}",
                        origin=origin)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{what} is not UTF-8 text", origin=origin) from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _read_bounded(source: str, mode: int) -> str:
    """At most :data:`yamltext.MAX_BYTES` + 1 bytes of a file, a pipe or a device (``<(…)``,
    ``/dev/stdin``): ``/dev/zero`` cannot fill the memory."""
    try:
        with open(source, "rb") as stream:
            raw = stream.read(yamltext.MAX_BYTES + 1)
    except OSError as exc:
        shown = visible(source, PATH_LIMIT)
        raise WarmupctlError(f"cannot read {shown}: {exc.strerror or exc}") from None
    if len(raw) > yamltext.MAX_BYTES and not stat.S_ISREG(mode):
        raise SpecError(f"this is {_kind(mode)} that gives more than {yamltext.MAX_BYTES:,} "
                        "bytes, the limit for a spec", origin=source)
    return _decode(raw, source, "the file" if stat.S_ISREG(mode) else "the input")


def read_source(source: str) -> tuple[str, str]:
    """The YAML text of a SPEC argument and a name for messages: ``-``, a path, a preset name,
    or ``preset:NAME`` (the preset even when a file of that name is in the folder)."""
    if source == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise WarmupctlError("cannot read the spec from stdin: standard input is closed")
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes underneath (tests, notebooks)
            return sys.stdin.read(), "<stdin>"
        return _decode(stream.read(yamltext.MAX_BYTES + 1), "<stdin>", "the input"), "<stdin>"
    if source.startswith("preset:"):
        return presets.text(source[len("preset:"):]), source
    shown = visible(source, PATH_LIMIT)
    try:
        mode = os.stat(source).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise WarmupctlError(f"cannot read {shown}: it is a loop of symbolic links") from None
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):
            raise WarmupctlError(f"cannot read {shown}: {exc.strerror or exc}") from None
        mode = None
    except ValueError:  # a NUL byte in the name
        mode = None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise WarmupctlError(f"{shown} is a folder, not a spec file")
        return _read_bounded(source, mode), source
    if presets.exists(source):
        return presets.text(source), f"preset:{source}"
    looks_like_path = os.sep in source or source.endswith((".yaml", ".yml", ".json"))
    if looks_like_path:
        raise WarmupctlError(f"no such file: {shown}")
    hint = suggest(source, presets.names())
    raise WarmupctlError(
        f"{quote(source)} is neither a file nor a preset"
        + (f" ({hint})" if hint else "")
        + "; `warmupctl presets` lists the presets"
    )


def shadowed_preset(source: str | None) -> bool:
    """``source`` names both a file in the folder and a preset: the file is used."""
    return (source is not None and source != "-" and not source.startswith("preset:")
            and presets.exists(source) and os.path.exists(source))


def load_data(source: str) -> tuple[Any, yamltext.Positions, str]:
    text, origin = read_source(source)
    data, positions = yamltext.load(text, origin)
    _refuse_non_spec(data, origin)
    return data, positions, origin


def _refuse_non_spec(data: Any, origin: str) -> None:
    """A file that is not a spec at all (``/etc/passwd``, a log, a key file given by mistake) is
    refused without quoting any of its text: the message names no key and no value of it."""
    if isinstance(data, Mapping):
        keys = [k for k in data if isinstance(k, str)]
        if any(k in TOP_KEYS or suggest(k, TOP_KEYS) for k in keys):
            return
        what = "a mapping without any key a spec has"
    elif isinstance(data, (list, str)):
        what = "a list" if isinstance(data, list) else "text"
    else:
        return  # a number or null: the parser says so, quoting nothing but that value
    raise SpecError(f"this does not look like a spec: it is {what}", origin=origin,
                    hint="a spec is a mapping with at least total and peak_lr; see docs/spec.md")


def _name_of_file(path: str) -> str:
    """A spec's name from its file name (run.yaml -> "run"), as text that prints and encodes:
    bytes that are not UTF-8 and control characters become escapes (``\\xff``, ``\\x1b``)."""
    stem = os.fsencode(Path(path).stem).decode("utf-8", "backslashreplace")
    return visible(stem)


def load(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Schedule:
    """A :class:`Schedule` from a YAML path, ``-``, a preset name or a spec mapping.

    ``None`` gives the built-in default schedule. ``overrides`` replace top-level keys (this is how
    command-line flags such as ``--total`` are applied); a key set to ``None`` is removed.
    """
    positions: yamltext.Positions = {}
    origin: str | None = None
    if source is None:
        data: Any = default_spec()
        origin = "built-in default"
    elif isinstance(source, Mapping):
        data = source
    else:
        data, positions, origin = load_data(os.fspath(source))
        if isinstance(data, Mapping) and data.get("name") is None:
            # an unnamed spec file is called by its file name (run.yaml -> "run"), and one read
            # from stdin "stdin", as plot labels it
            if origin == "<stdin>":
                data = {**data, "name": "stdin"}
            elif Path(origin).is_file():
                data = {**data, "name": _name_of_file(origin)}
    flags: dict[str, str] = {}
    if overrides:
        if not isinstance(data, Mapping):
            # let the parser report the bad top level
            return parse(data, positions, origin)
        data = dict(data)
        if source is None and CURVE_KEYS & set(overrides):
            # flags that change the default's curve make a schedule of their own: the default's
            # description, citation and note describe only the default itself
            for key in ("description", "source", "note"):
                data.pop(key, None)
        for key, (flag, value) in overrides.items():
            flags[key] = flag
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
    return parse(data, positions, origin, flags)
