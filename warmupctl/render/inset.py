"""The warmup made visible: where a figure zooms, and the inset that shows the other view.

A warmup of 2% of a run is a sliver at the left edge of a figure of the whole run, and a sweep of
warmup lengths crowds its ramps into the leftmost few percent. So, by default:

* a figure of one whole run whose warmup takes at most :data:`INSET_MAX_FRACTION` of it gets an
  inset with the warmup zoomed (from step 0 to :data:`ZOOM_AFTER` past the end of warmup);
* a warmup sweep is drawn zoomed to its warmups (up to twice its longest warmup,
  :data:`SWEEP_ZOOM_AFTER`), with the whole run in an inset.

The inset goes in the lowest, leftmost place of the plot that the curves do not cross, as large
as fits (see :func:`free_box`); when there is none, no inset is drawn. Pure NumPy except
:func:`draw_inset`, which imports matplotlib's tickers inside the function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import Curve, to_x

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

#: an inset of the warmup is drawn when the warmup is at most this fraction of the run
INSET_MAX_FRACTION = 0.10
#: the warmup inset shows this fraction of the warmup after its end (the turn into decay)
ZOOM_AFTER = 0.5
#: a zoomed warmup sweep shows this fraction of its longest warmup after its end, which leaves
#: the right half of the plot for the inset of the whole run
SWEEP_ZOOM_AFTER = 1.0
#: a warmup sweep is zoomed only when the zoomed span is at most this fraction of the run
SWEEP_ZOOM_MAX_FRACTION = 0.5

#: inset sizes (width, height in axes fractions), tried largest first
SIZES = ((0.34, 0.36), (0.30, 0.31), (0.26, 0.27))
#: the lowest and highest bottom edge of an inset, and the leftmost left edge (axes fractions)
BOTTOM, TOP, LEFT, RIGHT = 0.12, 0.88, 0.10, 0.95
#: room around a box that the curves must keep clear of: left (its rate labels), below (its x
#: labels), right, above (its title), in axes fractions
MARGIN = (0.08, 0.07, 0.02, 0.065)
#: free space is looked for in columns of this width (axes fractions)
COLUMN = 0.005


def zoom_end(curves: Sequence[Curve], after: float = ZOOM_AFTER) -> int | None:
    """The first step after a zoom on the warmups: ``after`` times the longest warmup past its
    end; ``None`` when no curve has a warmup."""
    w = max((c.schedule.warmup_steps for c in curves), default=0)
    if w <= 0:
        return None
    return w + max(2, math.ceil(after * w)) + 1


def warmup_inset_window(curve: Curve) -> tuple[int, int] | None:
    """The steps ``[0, b)`` of the warmup inset of one whole run, or ``None`` when the warmup is
    missing or long enough to be seen without one."""
    s = curve.schedule
    n, w = s.total_steps, s.warmup_steps
    if w <= 0 or w > INSET_MAX_FRACTION * n:
        return None
    end = zoom_end([curve])
    assert end is not None
    return 0, min(n, end)


def sweep_zoom_windows(curves: Sequence[Curve]) -> list[tuple[int, int]] | None:
    """A warmup sweep's zoomed windows (one per curve), or ``None`` when the warmups are long
    enough to be seen whole."""
    end = zoom_end(curves, SWEEP_ZOOM_AFTER)
    if end is None or any(end > SWEEP_ZOOM_MAX_FRACTION * c.schedule.total_steps
                          for c in curves):
        return None
    return [(0, min(end, c.schedule.total_steps)) for c in curves]


def column_spans(lines: Sequence[tuple[np.ndarray, np.ndarray]], edges: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest y that any of the polylines (x sorted, in axes fractions) reaches
    in each column between ``edges``; +inf / −inf where none passes. Vertical jumps count: a
    column holding a step down spans both sides. NaNs (masked points) are dropped."""
    lo = np.full(edges.size - 1, np.inf)
    hi = np.full(edges.size - 1, -np.inf)
    for xs, ys in lines:
        ok = np.isfinite(xs) & np.isfinite(ys)
        xs, ys = xs[ok], ys[ok]
        if xs.size == 0:
            continue
        # where the line crosses each column edge inside its own x extent, and its points
        cross = np.nonzero((edges >= xs[0]) & (edges <= xs[-1]))[0]
        y_cross = np.interp(edges[cross], xs, ys)
        col = np.searchsorted(edges, xs, side="right") - 1
        # an edge bounds the column on either side of it; a point lies in its own column
        for c, y in ((cross, y_cross), (cross - 1, y_cross), (col, ys)):
            keep = (c >= 0) & (c < lo.size)
            np.minimum.at(lo, c[keep], y[keep])
            np.maximum.at(hi, c[keep], y[keep])
    return lo, hi


def _boxes() -> Iterator[tuple[float, float, float, float]]:
    """Candidate boxes, largest first, then lowest, then leftmost."""
    for w, h in SIZES:
        for y0 in np.arange(BOTTOM, TOP - h + 1e-9, 0.04):
            for x0 in np.arange(LEFT, RIGHT - w + 1e-9, 0.02):
                yield (round(float(x0), 4), round(float(y0), 4), round(float(x0) + w, 4),
                       round(float(y0) + h, 4))


def free_box(lines: Sequence[tuple[np.ndarray, np.ndarray]], marks: Sequence[float] = ()
             ) -> tuple[float, float, float, float] | None:
    """The first candidate box (axes fractions, see :func:`_boxes`) that no line crosses, with
    :data:`MARGIN` around it, and that holds none of the vertical ``marks`` (x in axes
    fractions); ``None`` if there is none.

    ``lines`` are polylines in axes fractions, x sorted."""
    edges = np.arange(-0.02, 1.02 + COLUMN / 2, COLUMN)
    lo, hi = column_spans(lines, edges)
    left, below, right, above = MARGIN
    for box in _boxes():
        x0, y0, x1, y1 = box[0] - left, box[1] - below, box[2] + right, box[3] + above
        if any(x0 <= m <= x1 for m in marks):
            continue
        c0 = max(0, int(np.searchsorted(edges, x0, side="right")) - 1)
        c1 = int(np.searchsorted(edges, x1, side="left"))
        if not np.any((hi[c0:c1] >= y0) & (lo[c0:c1] <= y1)):
            return box
    return None


def draw_inset(ax: Axes, box: tuple[float, float, float, float], title: str,
               lines: Sequence[dict[str, Any]], xlim: tuple[float, float],
               ylim: tuple[float, float], log: bool, x_formatter: Any,
               y_formatter: Callable[[float, Any], str], gid: str,
               yticks: Sequence[float] | None = None) -> Axes:
    """An inset axes at ``box`` in ``ax`` with ``lines`` (keyword arguments of ``Axes.plot``,
    ``x`` and ``y`` included), few ticks (``yticks`` when given), a white background and a frame
    on every side."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator

    x0, y0, x1, y1 = box
    inset = ax.inset_axes((x0, y0, x1 - x0, y1 - y0), zorder=4)
    inset.set_gid(gid)
    inset.set_facecolor("white")
    for spine in inset.spines.values():
        spine.set_visible(True)
        spine.set_linewidth(0.6)
        spine.set_color("#888888")
    for line in lines:
        kw = dict(line)
        inset.plot(kw.pop("x"), kw.pop("y"), **kw)
    inset.grid(False)
    inset.set_xlim(*xlim)
    inset.xaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    inset.xaxis.set_major_formatter(x_formatter)
    if log:
        inset.set_yscale("log", nonpositive="mask")
        inset.yaxis.set_major_locator(LogLocator(base=10.0, numticks=3))
    elif yticks is not None:
        inset.yaxis.set_major_locator(FixedLocator(list(yticks)))
    else:
        inset.yaxis.set_major_locator(MaxNLocator(nbins=2, steps=[1, 2, 2.5, 5, 10]))
    inset.set_ylim(*ylim)
    inset.yaxis.set_major_formatter(FuncFormatter(y_formatter))
    inset.yaxis.set_minor_locator(MaxNLocator(nbins=1) if not log else LogLocator(numticks=1))
    inset.tick_params(which="both", direction="out", labelsize=7.0, length=2.5, pad=1.5)
    inset.tick_params(which="minor", length=0)
    inset.set_title(title, fontsize=7.5, pad=3.0, color="#222222")
    return inset


def to_fractions(ax: Axes, curve: Curve, steps: np.ndarray, rates: np.ndarray, unit: str,
                 log: bool) -> tuple[np.ndarray, np.ndarray]:
    """A plotted curve's points in axes fractions of ``ax`` (its limits must be set)."""
    xlo, xhi = ax.get_xlim()
    ylo, yhi = ax.get_ylim()
    x = (np.asarray(to_x(curve.schedule, steps, unit), dtype=np.float64) - xlo) / (xhi - xlo)
    y = np.asarray(rates, dtype=np.float64)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(y > 0, np.log10(np.maximum(y, ylo)), np.nan)
        y = (y - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo))
    else:
        y = (y - ylo) / (yhi - ylo)
    return x, y


__all__ = [
    "INSET_MAX_FRACTION", "ZOOM_AFTER", "SIZES", "column_spans", "zoom_end", "warmup_inset_window",
    "sweep_zoom_windows", "free_box", "draw_inset", "to_fractions",
]
