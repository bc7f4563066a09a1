"""Drawing schedules: what every renderer shares (pure, no matplotlib).

* :mod:`warmupctl.render.reduce` — the reduction of a long curve to pixel columns (NumPy only);
* :mod:`warmupctl.render.plot` — PNG/SVG/PDF figures (matplotlib, imported inside its functions);
* :mod:`warmupctl.render.terminal` — a preview drawn in the terminal (uniplot);
* :mod:`warmupctl.render.sparkline` — a one-line curve made of ``▁▂▃▄▅▆▇█``.

This module holds the pieces they share: a :class:`Curve` (a schedule and its label), the x-axis
units, the ``--range`` window and the number formats used on axes and labels. Importing it imports
neither matplotlib nor uniplot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine import Schedule
from ..errors import WarmupctlError
from ..textsafe import quote
from ..units import UnitError, format_percent

#: x-axis units: what one unit of x is, per step
X_UNITS = ("steps", "tokens", "epochs", "percent")

X_LABELS = {
    "steps": "optimizer step",
    "tokens": "tokens seen",
    "epochs": "epoch",
    "percent": "% of training",
}


@dataclass(frozen=True)
class Curve:
    """A schedule to draw and the name shown for it."""

    schedule: Schedule
    label: str


def check_x_unit(curves: list[Curve], unit: str) -> None:
    """Raise a :class:`WarmupctlError` unless every curve can be drawn against ``unit``."""
    if unit not in X_UNITS:
        raise WarmupctlError(f"unknown x unit {unit!r}: use one of {', '.join(X_UNITS)}")
    key = {"tokens": "tokens_per_step", "epochs": "steps_per_epoch"}.get(unit)
    if key is None:
        return
    for c in curves:
        if not c.schedule.meta.get(key):
            flag = "--" + key.replace("_", "-")
            raise WarmupctlError(
                f"--x {unit} needs {key} and {quote(c.label)} has none: add {key} to the spec or "
                f"pass {flag}"
            )


def x_scale(schedule: Schedule, unit: str) -> float:
    """x units per step for ``unit`` (the axis is linear in steps for every unit)."""
    if unit == "steps":
        return 1.0
    if unit == "tokens":
        return float(schedule.meta["tokens_per_step"])
    if unit == "epochs":
        return 1.0 / float(schedule.meta["steps_per_epoch"])
    if unit == "percent":
        return 100.0 / schedule.total_steps
    raise WarmupctlError(f"unknown x unit {unit!r}: use one of {', '.join(X_UNITS)}")


def to_x(schedule: Schedule, steps: np.ndarray | int, unit: str) -> np.ndarray | float:
    """Steps as x values in ``unit`` (steps stay exact integers as floats)."""
    scale = x_scale(schedule, unit)
    if unit == "steps":
        return np.asarray(steps, dtype=np.float64) if np.ndim(steps) else float(steps)
    return np.asarray(steps, dtype=np.float64) * scale if np.ndim(steps) else steps * scale


def parse_range(text: str | None) -> tuple[str | None, str | None] | None:
    """``"A:B"`` → (A, B); either side may be empty (the start, the end of the run)."""
    if text is None:
        return None
    if text.count(":") != 1:
        raise WarmupctlError(
            f"--range needs A:B, e.g. --range 0:3000, 0:2%, 10ep:20ep or 90%: (got {text!r})"
        )
    lo, hi = (part.strip() or None for part in text.split(":"))
    return lo, hi


def window(schedule: Schedule, rng: tuple[str | None, str | None] | None) -> tuple[int, int]:
    """The half-open step window ``[a, b)`` that ``--range A:B`` selects; B is included."""
    from ..spec import position

    n = schedule.total_steps
    if rng is None:
        return 0, n
    ends = []
    for text, default in zip(rng, (0, n - 1), strict=True):
        if text is None:
            ends.append(default)
            continue
        try:
            ends.append(position(schedule, text))
        except UnitError as exc:
            hint = f" ({exc.hint})" if getattr(exc, "hint", None) else ""
            raise WarmupctlError(f"--range: {exc}{hint}") from None
    a, b = ends
    name = f" of {quote(schedule.name)}" if schedule.name else ""
    if a >= n:
        raise WarmupctlError(
            f"--range starts at step {a:,}, after the last step ({n - 1:,}){name}"
        )
    if b <= a:
        what = f"holds one step ({a:,})" if a == b else f"is empty (steps {a:,} to {b:,})"
        raise WarmupctlError(f"--range {rng[0] or ''}:{rng[1] or ''} {what}: a plot needs "
                             "two steps or more, A < B")
    return a, min(n, b + 1)


# ------------------------------------------------------------------------------------------
# Number formats shared by the figure, the terminal preview and the labels
# ------------------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

#: a log rate axis spans at most six decades below the highest rate (figure and terminal alike)
LOG_FLOOR = 1e-6


def superscript(exponent: int | str) -> str:
    """``-4`` → ``⁻⁴``, for powers of ten written without TeX."""
    return str(exponent).translate(_SUPERSCRIPT)


def _trim(mantissa: float, digits: int) -> str:
    text = f"{mantissa:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_rate(x: float, digits: int = 3, bare_power: bool = False) -> str:
    """A rate for an axis or a label: ``6×10⁻⁴``, ``2.5×10⁻⁷``, ``0.1``, ``3.2``, ``0``.

    Rates from 0.01 up to 1000 are written as plain decimals; smaller or larger ones as a mantissa
    (up to ``digits`` significant digits) times a power of ten, in Unicode so no TeX is needed.
    ``bare_power`` writes a mantissa of 1 as just the power (``10⁻⁴``, for log-axis ticks).
    """
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    ax = abs(x)
    if 1e-2 <= ax < 1e3:
        return f"{float(f'{x:.{digits}g}'):g}"
    mantissa_text, exp_text = f"{x:.{digits - 1}e}".split("e")
    mantissa = float(mantissa_text)
    exp = int(exp_text)
    m = _trim(mantissa, digits - 1)
    power = f"10{superscript(exp)}"
    return power if (m == "1" and bare_power) else f"{m}×{power}"


def format_count(x: float, digits: int = 4) -> str:
    """A step or token count for an axis: ``0``, ``750``, ``20k``, ``1.25M``, ``300B``."""
    ax = abs(x)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if ax >= div:
            return f"{float(f'{x / div:.{digits}g}'):g}{suffix}"
    return f"{float(f'{x:.{digits}g}'):g}"


def format_x(value: float, unit: str) -> str:
    """A position on the x axis in its unit, for labels (``step 2,000``, ``375M tokens``)."""
    if unit == "steps":
        return f"step {int(round(value)):,}"
    if unit == "tokens":
        return f"{format_count(value, 3)} tokens"
    if unit == "epochs":
        return f"epoch {float(f'{value:.3g}'):g}"
    return format_percent(value / 100.0)


__all__ = [
    "Curve", "X_UNITS", "X_LABELS", "check_x_unit", "x_scale", "to_x", "parse_range", "window",
    "format_rate", "format_count", "format_percent", "format_x", "superscript", "LOG_FLOOR",
]
