"""Where specs come from: a YAML file, stdin (``-``), a preset name, a mapping, or flags.

This is the I/O edge of the library; the parsing itself is pure (:mod:`warmupctl.spec`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import presets, yamltext
from .engine import Schedule
from .errors import SpecError, WarmupctlError, suggest
from .spec import default_spec, parse

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


def read_source(source: str) -> tuple[str, str]:
    """The YAML text of a SPEC argument and a name for messages: ``-``, a path, or a preset."""
    if source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream without bytes underneath (tests, notebooks)
            return sys.stdin.read(), "<stdin>"
        return _decode(stream.read(yamltext.MAX_BYTES + 1), "<stdin>", "the input"), "<stdin>"
    path = Path(source)
    if path.is_file():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise WarmupctlError(f"cannot read {source}: {exc.strerror or exc}") from None
        return _decode(raw, source, "the file"), source
    if path.is_dir():
        raise WarmupctlError(f"{source} is a folder, not a spec file")
    if presets.exists(source):
        return presets.text(source), f"preset:{source}"
    looks_like_path = os.sep in source or source.endswith((".yaml", ".yml", ".json"))
    if looks_like_path:
        raise WarmupctlError(f"no such file: {source}")
    hint = suggest(source, presets.names())
    raise WarmupctlError(
        f"{source!r} is neither a file nor a preset"
        + (f" ({hint})" if hint else "")
        + "; `warmupctl presets` lists the presets"
    )


def load_data(source: str) -> tuple[Any, yamltext.Positions, str]:
    text, origin = read_source(source)
    data, positions = yamltext.load(text, origin)
    return data, positions, origin


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
                data = {**data, "name": Path(origin).stem}
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
