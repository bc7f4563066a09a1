"""Writing imported schedules as warmupctl specs (YAML), and reading trainer config files.

Importers build a plain spec mapping; :func:`to_yaml` writes it with rates as YAML floats that
read back as the same float64 (``6.0e-05``, never the ``6e-05`` that YAML 1.1 reads as text),
nested blocks in flow style, and a comment header saying where the spec came from.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import SpecError, WarmupctlError
from ..textsafe import visible
from ._common import Deviation, Simulator, tidy

TOP_ORDER = ("name", "description", "source", "note", "total", "peak_lr", "warmup", "decay",
             "phases")


@dataclass
class Imported:
    """An imported schedule: the spec, the target's own curve (for the check) and notes."""

    spec: dict[str, Any]
    simulate: Simulator
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    deviation: Deviation | None = None


def rate_value(m: float, peak: float) -> Any:
    """``m × peak`` for a spec: ``"10%"`` when ``m`` is a short percentage (the importer's check
    confirms the curve), else the absolute rate."""
    if m == 0:
        return 0.0
    pct = tidy(m * 100.0)
    if 0 <= pct <= 100 and len(repr(pct)) <= 8:
        text = f"{pct:g}%"
        if "e" not in text:
            return text
    return m * peak


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("rates must be finite")  # pragma: no cover - checked upstream
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exp = text.split("e")
            text = f"{mantissa}.0e{exp}"
        return text
    if isinstance(value, str):
        return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                                json.dumps(value, ensure_ascii=False))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value).__name__)  # pragma: no cover


#: characters JSON leaves as they are but YAML refuses in a stream (DEL, C1, surrogates,
#: U+FEFF/U+FFFE/U+FFFF) or reads as a line break (NEL, U+2028, U+2029): written as \\uXXXX
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def comment_line(text: str) -> str:
    """A header line as one YAML comment: a file name or any other text with line breaks or
    control characters cannot end the comment and start a key (textsafe.visible)."""
    safe = visible(text).translate({0x2028: "\\u2028", 0x2029: "\\u2029", 0xFEFF: "\\ufeff"})
    return f"# {safe}" if safe else "#"


def to_yaml(spec: Mapping[str, Any], header: list[str] | None = None) -> str:
    lines = [comment_line(h) for h in (header or [])]
    keys = [k for k in TOP_ORDER if k in spec] + [k for k in spec if k not in TOP_ORDER]
    for key in keys:
        value = spec[key]
        if key == "phases":
            lines.append("phases:")
            lines.extend(f"  - {scalar(item)}" for item in value)
        else:
            lines.append(f"{key}: {scalar(value)}")
    text = "\n".join(lines) + "\n"
    yaml.safe_load(text)  # never write what we cannot read back
    return text


def read_mapping(text: str, origin: str, what: str) -> Mapping[str, Any]:
    """A JSON or YAML mapping from a config file, read within the limits of spec files (size,
    depth, alias expansion, number length): :func:`warmupctl.interop._common.read_config`."""
    from ._common import read_config

    return read_config(text, origin, what)


def number(cfg: Mapping[str, Any], key: str, origin: str, default: Any = None, *,
           integer: bool = False, what: str | None = None) -> Any:
    """``cfg[key]`` as a number (strings such as ``"3e-4"`` are accepted), or ``default``."""
    if key not in cfg or cfg[key] is None:
        return default
    value = cfg[key]
    if value == "auto":
        raise SpecError(f"{key} is 'auto' (filled in by the HF Trainer at run time); "
                        "write the number it stands for", origin=origin)
    if isinstance(value, bool):
        raise SpecError(f"{key}: expected {what or 'a number'}, got {value!r}", origin=origin)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{key}: expected {what or 'a number'}, got {value!r}",
                        origin=origin) from None
    if not math.isfinite(x):
        raise SpecError(f"{key}: expected a finite number, got {value!r}", origin=origin)
    if integer:
        if x != int(x):
            raise SpecError(f"{key}: expected a whole number, got {value!r}", origin=origin)
        return int(x)
    return x


class UnsupportedConfig(WarmupctlError):
    """A trainer config that warmupctl cannot turn into a spec (exit code 2)."""
