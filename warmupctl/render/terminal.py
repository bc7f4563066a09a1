"""A preview of schedules drawn in the terminal with uniplot (Unicode blocks, optional colour).

uniplot returns the picture as a string; colour (ANSI codes) is only added when asked for, so the
caller decides from NO_COLOR and whether stdout is a terminal. Without colour, several curves are
told apart by their characters (``+``, ``x``, ``o`` …) instead.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np

from ..errors import WarmupctlError
from ..textsafe import quote, visible
from . import LOG_FLOOR, Curve, check_x_unit, format_rate, superscript, to_x, window
from .reduce import reduce_curve

#: the frame around the plotting area and the space before the rate labels
_FRAME_COLUMNS = 3
MIN_WIDTH = 20

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
_ASCII_MARKS = ["+", "x", "o", "*", "~", "#", "@"]


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (non-empty) or TERM=dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def terminal_width() -> int:
    """Columns of the terminal (``COLUMNS`` wins; 80 when unknown)."""
    return shutil.get_terminal_size((80, 24)).columns


def render(
    curves: Sequence[Curve],
    *,
    width: int | None = None,
    height: int = 15,
    x: str = "steps",
    log: bool = False,
    rng: tuple[str | None, str | None] | None = None,
    color: bool = False,
    title: str | None = None,
) -> str:
    """The curves as a terminal picture at most ``width`` columns wide (default: the terminal)."""
    try:
        from uniplot import plot_to_string
    except ImportError as exc:  # pragma: no cover - uniplot is a dependency
        raise WarmupctlError(f"--terminal needs uniplot ({exc}); pip install uniplot") from None
    if not curves:
        raise WarmupctlError("nothing to plot")
    check_x_unit(list(curves), x)
    total_width = width or terminal_width()
    xs_all: list[np.ndarray] = []
    ys_all: list[np.ndarray] = []
    for c in curves:
        a, b = window(c.schedule, rng)
        steps, rates = reduce_curve(c.schedule, a, b, 2 * max(MIN_WIDTH, total_width))
        xv = np.asarray(to_x(c.schedule, steps, x), dtype=np.float64)
        if log:
            keep = rates > 0
            if not np.any(keep):
                raise WarmupctlError(f"--log: {quote(c.label)} has no positive rate to draw")
            xv, rates = xv[keep], rates[keep]
        xs_all.append(xv)
        ys_all.append(rates)
    rows = max(5, int(height)) | 1  # odd: the middle label sits on a row of its own
    top = max(float(np.max(v)) for v in ys_all)
    if top <= 0:  # nothing above 0 (a linear axis of zeros): 0 at the bottom, 1 at the top
        top = 1.0
    labels_at = [(top, 0), (top / 2, rows // 2), (0.0, rows - 1)]
    if log:
        # six decades below the top, as in the figure: a decay to 0 runs into the bottom edge;
        # the rows are even in log10(rate), so the middle label is three decades down
        floor = top * LOG_FLOOR
        ys_all = [np.log10(np.maximum(v, floor)) for v in ys_all]
        labels_at = [(top, 0), (top * math.sqrt(LOG_FLOOR), rows // 2), (floor, rows - 1)]
    y_lo, y_hi = (math.log10(floor), math.log10(top)) if log else (0.0, top)
    # rows of equal height with the labelled values at their middles: value v is on row
    # (y_hi - v) / delta from the top, whatever the number of pixels a character holds
    delta = (y_hi - y_lo) / (rows - 1)
    y_labels = {row: format_rate(v, 3) for v, row in labels_at}
    label_width = max(len(t) for t in y_labels.values())
    plot_width = max(MIN_WIDTH, total_width - _FRAME_COLUMNS - label_width)

    # scale x to k/M/B and (on a linear axis) the rates to a power of ten, so labels stay short
    xmax = max(float(np.max(np.abs(v))) for v in xs_all)
    xdiv, xunit = 1.0, ""
    if x in ("steps", "tokens"):
        for div, suffix in _SCALES:
            if xmax >= 10 * div:
                xdiv, xunit = div, suffix
                break
    # names come from specs: no control character reaches the terminal
    labels = [visible(" ".join(c.label.split()), 120) for c in curves]
    if title is not None:
        title = visible(" ".join(title.split()), 300)
    if title is None:
        title = labels[0] if len(curves) == 1 else " vs ".join(labels)
        if len(title) > plot_width:
            title = f"{len(curves)} schedules"
    unit_name = {"steps": "steps", "tokens": "tokens", "epochs": "epochs",
                 "percent": "% of training"}[x]
    scale = " (log)" if log else ""
    head = _fit_title(title, [f"learning rate{scale} vs {unit_name}", f"lr{scale}"], scale,
                      total_width)
    kwargs: dict[str, Any] = {
        "width": plot_width,
        "height": rows,
        "lines": True,
        # the rate labels are ours (uniplot's ticks fall between rows); log10 is taken above
        "y_labels": False,
        "y_min": y_lo - delta / 2,
        "y_max": y_hi + delta / 2,
        "y_gridlines": [],
        "title": head,
        "x_unit": "%" if x == "percent" else xunit,
        # no vertical line at x = 0: it would double the frame's left edge
        "x_gridlines": [],
    }
    if len(curves) > 1:
        kwargs["legend_labels"] = labels
    if color:
        kwargs["color"] = True
    else:
        kwargs["color"] = False
        if len(curves) > 1:
            kwargs["character_set"] = "ascii"
            kwargs["force_ascii_characters"] = _ASCII_MARKS
    xs = [v / xdiv for v in xs_all]
    text = plot_to_string(ys_all if len(ys_all) > 1 else ys_all[0],
                          xs if len(xs) > 1 else xs[0], **kwargs)
    return _add_rate_labels(_tidy_labels(text.rstrip("\n")), y_labels) + "\n"


def _add_rate_labels(text: str, labels: dict[int, str]) -> str:
    """``labels`` (row from the top of the plotting area → text) written after the frame's
    right edge on their rows."""
    lines = text.split("\n")
    first = next((k for k, line in enumerate(lines) if line.startswith("┌")), None)
    if first is None:  # pragma: no cover - uniplot always draws the frame
        return text
    for row, label in labels.items():
        k = first + 1 + row
        if k < len(lines) and lines[k].startswith("│"):
            lines[k] = f"{lines[k].rstrip()} {label}"
    return "\n".join(lines)


def _fit_title(name: str, whats: list[str], scale: str, width: int) -> str:
    """The longest ``name — what`` that fits in ``width`` columns; else the name, cut with ``…``
    if need be, followed by the axis scale (``(×10⁻⁴)``), which the tick labels need."""
    for what in whats:
        if len(full := f"{name} — {what}") <= width:
            return full
    room = max(1, width - len(scale))
    return (name if len(name) <= room else name[: max(1, room - 1)] + "…") + scale


def _tidy_labels(text: str) -> str:
    """uniplot's axis labels as the figure writes them: ``10⁻⁵`` for ``10^-5``, and a bare ``0``
    at the origin instead of ``0k``."""
    text = re.sub(r"10\^(-?\d+)", lambda m: "10" + superscript(m.group(1)), text)
    lines = text.split("\n")
    # the x labels are the line after the frame's bottom edge (a legend may follow)
    i = next((k for k, line in enumerate(lines) if line.startswith("└")), None)
    if i is not None and i + 1 < len(lines):
        lines[i + 1] = re.sub(r"(?<![\d.,])0[kMBT](?![\w])", "0 ", lines[i + 1])
    return "\n".join(lines)


def summary_line(curve: Curve) -> str:
    """``gpt3-small: 600,000 steps, warmup 750, peak 6×10⁻⁴`` — printed under the preview."""
    s = curve.schedule
    return (f"{visible(curve.label, 120)}: {s.total_steps:,} steps, warmup {s.warmup_steps:,}, "
            f"peak {format_rate(s.peak_lr)}")


__all__ = ["render", "use_color", "terminal_width", "summary_line"]
