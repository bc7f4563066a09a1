"""Lengths and rates as users write them, and their conversion to whole steps.

Lengths: ``2000``, ``2_000``, ``2k``, ``1.5M`` (k/M/B/T = 10^3/10^6/10^9/10^12) steps; ``2%`` of the
total; ``5ep`` / ``5 epochs``; ``375M tokens`` / ``375Mtok``; ``1.2M samples``. Rates: ``3e-4``,
``0.0003`` or ``10%`` of the peak.

Arithmetic is exact: the number is read as a decimal fraction, multiplied or divided exactly, and
only then rounded up to a whole step (``ceil``, docs/spec.md). So ``7%`` of 100 steps is 7 steps,
not the 8 that ``ceil(100 * 0.07)`` gives in floating point.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}

UNIT_ALIASES = {
    "": "steps",
    "step": "steps",
    "steps": "steps",
    "%": "percent",
    "ep": "epochs",
    "epoch": "epochs",
    "epochs": "epochs",
    "tok": "tokens",
    "tokens": "tokens",
    "token": "tokens",
    "samples": "samples",
    "sample": "samples",
    "sp": "samples",
}

_NUMBER = (r"(?P<num>[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?"
           r"|\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?)")
_LENGTH_RE = re.compile(
    r"^\s*" + _NUMBER + r"\s*(?P<suffix>[kKMBGT]?)\s*(?P<unit>%|[A-Za-z]*)\s*$"
)
_RATE_RE = re.compile(r"^\s*(?P<num>[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)"
                      r"(?:[eE][-+]?[0-9]+)?)\s*(?P<pct>%?)\s*$")

LENGTH_HELP = (
    "a length like 2000, 2k, 1.5M, 2%, 5ep, '375M tokens' or '1.2M samples'"
)


class UnitError(ValueError):
    """A value that does not read as a length, count or rate. The caller adds the key path."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Length:
    """A length as written: an exact value and its unit."""

    value: Fraction
    unit: str  # steps | percent | epochs | tokens | samples
    text: str

    def __str__(self) -> str:
        return self.text


def _fraction(num: str) -> Fraction:
    return Fraction(num.replace("_", ""))


def parse_length(raw: object) -> Length:
    """Read a length (see the module docstring). Raises UnitError."""
    if isinstance(raw, bool):
        raise UnitError(f"expected {LENGTH_HELP}, got {raw!r}")
    if isinstance(raw, int):
        return Length(Fraction(raw), "steps", str(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise UnitError(f"expected a finite length, got {raw!r}")
        return Length(Fraction(repr(raw)), "steps", repr(raw))
    if not isinstance(raw, str):
        raise UnitError(f"expected {LENGTH_HELP}, got {type(raw).__name__}")
    m = _LENGTH_RE.match(raw)
    if not m:
        raise UnitError(f"cannot read {raw!r} as a length", hint=f"use {LENGTH_HELP}")
    unit_text = m.group("unit")
    unit = UNIT_ALIASES.get(unit_text, UNIT_ALIASES.get(unit_text.lower()))
    if unit is None:
        raise UnitError(
            f"unknown unit {unit_text!r} in {raw!r}",
            hint="units: steps (none), %, ep/epochs, tok/tokens, samples",
        )
    value = _fraction(m.group("num")) * SUFFIXES[m.group("suffix")]
    if unit == "percent" and m.group("suffix"):
        raise UnitError(f"cannot read {raw!r}: a percentage takes no k/M/B/T suffix")
    return Length(value, unit, raw.strip())


def parse_count(raw: object, what: str = "a count") -> Fraction:
    """A plain positive number with an optional k/M/B/T suffix (tokens per step, batch size)."""
    if isinstance(raw, bool):
        raise UnitError(f"expected {what}, got {raw!r}")
    if isinstance(raw, int):
        value = Fraction(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise UnitError(f"expected {what}, got {raw!r}")
        value = Fraction(repr(raw))
    elif isinstance(raw, str):
        m = _LENGTH_RE.match(raw)
        if not m or m.group("unit") not in ("", "tokens", "tok", "samples"):
            raise UnitError(f"cannot read {raw!r} as {what}", hint="e.g. 2048, 0.5M or 4M")
        value = _fraction(m.group("num")) * SUFFIXES[m.group("suffix")]
    else:
        raise UnitError(f"expected {what}, got {type(raw).__name__}")
    if value <= 0:
        raise UnitError(f"expected {what} greater than 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class Rate:
    """A learning rate as written: absolute, or a percentage of the peak."""

    value: float  # absolute rate, or the percentage when ``percent``
    percent: bool
    text: str

    def resolve(self, peak: float | None) -> float:
        if not self.percent:
            return self.value
        if peak is None:
            raise UnitError(
                f"{self.text!r} is a percentage of the peak, but the spec has no peak_lr",
                hint="give peak_lr, or write the rate as a number",
            )
        return peak * (self.value / 100.0)


def parse_rate(raw: object) -> Rate:
    """Read a rate: a finite number ≥ 0, or ``N%`` of the peak. Raises UnitError."""
    if isinstance(raw, bool):
        raise UnitError(f"expected a learning rate, got {raw!r}")
    if isinstance(raw, (int, float)):
        value = float(raw)
        text = repr(raw)
        percent = False
    elif isinstance(raw, str):
        m = _RATE_RE.match(raw)
        if not m:
            raise UnitError(
                f"cannot read {raw!r} as a learning rate", hint="e.g. 3e-4, 0.0003 or 10%"
            )
        value = float(m.group("num").replace("_", ""))
        percent = bool(m.group("pct"))
        text = raw.strip()
    else:
        raise UnitError(f"expected a learning rate, got {type(raw).__name__}")
    if not math.isfinite(value):
        raise UnitError(f"a learning rate must be finite, got {raw!r}")
    if value < 0:
        raise UnitError(f"a learning rate cannot be negative, got {raw!r}")
    return Rate(value, percent, text)


@dataclass(frozen=True)
class Units:
    """What is needed to turn lengths into steps."""

    total_steps: int | None = None
    tokens_per_step: Fraction | None = None
    steps_per_epoch: Fraction | None = None
    batch_size: Fraction | None = None


def ceil_fraction(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def to_steps(length: Length, units: Units) -> int:
    """Whole steps for a length; fractions of a step are rounded up (docs/spec.md, step
    convention)."""
    v = length.value
    if length.unit == "steps":
        if v.denominator != 1:
            raise UnitError(
                f"{length.text!r} is not a whole number of steps",
                hint="write whole steps, or use %, epochs or tokens (these are rounded up)",
            )
        return int(v)
    if length.unit == "percent":
        if units.total_steps is None:
            raise UnitError(f"{length.text!r} is a percentage, but the total is not known")
        return ceil_fraction(v * units.total_steps / 100)
    if length.unit == "epochs":
        if units.steps_per_epoch is None:
            raise UnitError(
                f"{length.text!r} is in epochs, but the spec has no steps_per_epoch",
                hint="add steps_per_epoch: N (optimizer steps per epoch)",
            )
        return ceil_fraction(v * units.steps_per_epoch)
    if length.unit == "tokens":
        if units.tokens_per_step is None:
            raise UnitError(
                f"{length.text!r} is in tokens, but the spec has no tokens_per_step",
                hint="add tokens_per_step: N, or training.batch_size and training.seq_len",
            )
        return ceil_fraction(v / units.tokens_per_step)
    if length.unit == "samples":
        if units.batch_size is None:
            raise UnitError(
                f"{length.text!r} is in samples, but the spec has no training.batch_size",
                hint="add training: {batch_size: N}",
            )
        return ceil_fraction(v / units.batch_size)
    raise AssertionError(length.unit)  # pragma: no cover


def format_count(n: float) -> str:
    """12_345_678 -> '12.3M' (for humans; never parsed back)."""
    a = abs(n)
    for div, suf in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")):
        if a >= div:
            v = n / div
            text = f"{v:.3g}" if v < 1000 else f"{v:.0f}"
            return text + suf
    return f"{n:g}"


def format_bytes(n: float) -> str:
    """3_161_200_000 -> '3.2 GB' (decimal units, for messages)."""
    for div, suf in ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB")):
        if n >= div:
            return f"{n / div:.3g} {suf}"
    return f"{n:.0f} bytes"


def format_percent(fraction: float) -> str:
    """A fraction as a percent with three significant digits, never in e-notation:
    0.02 → '2%', 0.00125 → '0.125%', 0.868 → '86.8%', 1e-7 → '0.00001%'."""
    v = 100.0 * fraction
    if v == 0:
        return "0%"
    text = f"{v:.3g}"
    if "e" in text:
        text = f"{v:.6f}".rstrip("0").rstrip(".")
    return text + "%"
