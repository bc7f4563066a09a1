"""The warmup made visible: where a figure zooms, and the inset that shows the other view.

A warmup of 2% of a run is a sliver at the left edge of a figure of the whole run, and a sweep of
warmup lengths crowds its ramps into the leftmost few percent. So, by default:

* a figure of one whole run whose warmup takes at most :data:`INSET_MAX_FRACTION` of it gets an
  inset with the warmup zoomed (from step 0 to :data:`ZOOM_AFTER` past the end of warmup);
* a warmup sweep is drawn zoomed to its warmups (up to twice its longest warmup,
  :data:`SWEEP_ZOOM_AFTER`), with the whole run in an inset.

The inset goes in the lowest, leftmost place of the plot that the curves do not cross, as large
as fits (see :func:`free_box`); when there is none, no inset is drawn. The inset is a few
artists on the main axes (:class:`Inset`), not an axes of its own, which would cost as much to
draw as the rest of the figure's text. matplotlib is imported inside the functions that draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import Curve, to_x
from .reduce import reduce_curve

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
#: the figure size (inches) those fractions are measured for: the default's
MARGIN_FOR = (8.0, 4.5)
#: no inset on a figure smaller than this (inches): its labels would crowd the plot
MIN_FIGURE = (5.0, 3.5)
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


def margin(size: tuple[float, float]) -> tuple[float, float, float, float]:
    """:data:`MARGIN` for a figure of ``size`` inches: the labels keep their size in points, so
    on a smaller figure they take a larger fraction of the plot."""
    fx, fy = MARGIN_FOR[0] / size[0], MARGIN_FOR[1] / size[1]
    left, below, right, above = MARGIN
    return left * fx, below * fy, right * fx, above * fy


def free_box(lines: Sequence[tuple[np.ndarray, np.ndarray]], marks: Sequence[float] = (),
             room: tuple[float, float, float, float] = MARGIN,
             ) -> tuple[float, float, float, float] | None:
    """The first candidate box (axes fractions, see :func:`_boxes`) that no line crosses, with
    ``room`` around it (left, below, right, above; :func:`margin`), and that holds none of the
    vertical ``marks`` (x in axes fractions); ``None`` if there is none.

    ``lines`` are polylines in axes fractions, x sorted."""
    edges = np.arange(-0.02, 1.02 + COLUMN / 2, COLUMN)
    lo, hi = column_spans(lines, edges)
    left, below, right, above = room
    for box in _boxes():
        x0, y0, x1, y1 = box[0] - left, box[1] - below, box[2] + right, box[3] + above
        if any(x0 <= m <= x1 for m in marks):
            continue
        c0 = max(0, int(np.searchsorted(edges, x0, side="right")) - 1)
        c1 = int(np.searchsorted(edges, x1, side="left"))
        if not np.any((hi[c0:c1] >= y0) & (lo[c0:c1] <= y1)):
            return box
    return None


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    """At most three round values in ``[lo, hi]``: powers of ten on a log axis, else multiples of
    1, 2, 2.5 or 5 times a power of ten."""
    if log:
        k0, k1 = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
        ks = list(range(k0, k1 + 1))
        while len(ks) > 3:
            ks = ks[::-2][::-1]  # every other decade, keeping the top one
        return [10.0**k for k in ks]
    span = hi - lo
    if span <= 0:
        return [lo]
    for step in sorted(m * 10.0 ** e for e in range(math.floor(math.log10(span)) - 1,
                                                    math.floor(math.log10(span)) + 2)
                       for m in (1, 2, 2.5, 5)):
        first = math.ceil(lo / step - 1e-9) * step
        ticks = [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]
        if len(ticks) <= 3:
            return [0.0 if abs(t) < 1e-9 * step else t for t in ticks]
    return [lo, hi]  # pragma: no cover - a step of 10^(e+1) always gives at most three


class Inset:
    """An inset drawn with a few artists on the main axes (a framed box with its own x and
    rate scales), which costs a fraction of a second :class:`~matplotlib.axes.Axes`.

    ``to_axes(x, y)`` maps inset data to axes fractions; ``transform`` does the same for
    matplotlib artists, so their data stay the inset's steps (in the x unit) and rates."""

    def __init__(self, ax: Axes, box: tuple[float, float, float, float], xlim: tuple[float, float],
                 ylim: tuple[float, float], log: bool, gid: str) -> None:
        from matplotlib.patches import Rectangle
        from matplotlib.scale import LogTransform
        from matplotlib.transforms import Affine2D, IdentityTransform, blended_transform_factory

        self.ax, self.box, self.xlim, self.ylim, self.log, self.gid = ax, box, xlim, ylim, log, gid
        x0, y0, x1, y1 = box
        ylo, yhi = (math.log10(v) for v in ylim) if log else ylim
        scale = Affine2D().translate(-xlim[0], -ylo).scale(
            (x1 - x0) / (xlim[1] - xlim[0]), (y1 - y0) / (yhi - ylo)).translate(x0, y0)
        if log:
            self.transform = (blended_transform_factory(IdentityTransform(),
                                                        LogTransform(10, nonpositive="mask"))
                              + scale + ax.transAxes)
        else:
            self.transform = scale + ax.transAxes
        self.frame = Rectangle((x0, y0), x1 - x0, y1 - y0, transform=ax.transAxes,
                               facecolor="white", edgecolor="#888888", lw=0.6, zorder=4,
                               gid=gid)
        ax.add_patch(self.frame)

    def to_axes(self, x: float, y: float) -> tuple[float, float]:
        return tuple(self.ax.transAxes.inverted().transform(self.transform.transform((x, y))))

    def plot(self, x: Any, y: Any, **kw: Any) -> Any:
        """A line in inset data, clipped to the frame."""
        (line,) = self.ax.plot(x, y, transform=self.transform, zorder=4.2, scalex=False,
                               scaley=False, **kw)
        line.set_clip_path(self.frame)
        return line

    def vline(self, x: float, **kw: Any) -> Any:
        bx = self.to_axes(x, self.ylim[1])[0]
        (line,) = self.ax.plot([bx, bx], [self.box[1], self.box[3]], transform=self.ax.transAxes,
                               zorder=4.3, scalex=False, scaley=False, **kw)
        return line

    def span(self, xa: float, xb: float, **kw: Any) -> Any:
        from matplotlib.patches import Rectangle

        ba = max(self.box[0], self.to_axes(xa, self.ylim[1])[0])
        bb = min(self.box[2], self.to_axes(xb, self.ylim[1])[0])
        patch = Rectangle((ba, self.box[1]), bb - ba, self.box[3] - self.box[1],
                          transform=self.ax.transAxes, lw=0, zorder=4.1, **kw)
        self.ax.add_patch(patch)
        return patch

    def decorate(self, title: str, x_label: Callable[[float], str],
                 y_label: Callable[[float], str], yticks: Sequence[float] | None) -> None:
        """Tick marks and labels below and left of the frame (three at most each), and the
        title above it."""
        x0, y0, x1, y1 = self.box
        ax, tick, grey = self.ax, 0.012, "#444444"
        # inside the plot: nothing for the layout to measure or make room for
        text_kw = {"transform": ax.transAxes, "fontsize": 7.0, "color": "#222222",
                   "zorder": 4.4, "gid": f"{self.gid}-label", "in_layout": False}
        line_kw = {"transform": ax.transAxes, "color": grey, "lw": 0.6, "zorder": 4.4,
                   "scalex": False, "scaley": False, "clip_on": False, "gid": f"{self.gid}-tick",
                   "in_layout": False}
        for v in _ticks(*self.xlim, False):
            bx = self.to_axes(v, self.ylim[1])[0]
            ax.plot([bx, bx], [y0, y0 - tick], **line_kw)
            ax.text(bx, y0 - 1.6 * tick, x_label(v), ha="center", va="top", **text_kw)
        ys = list(yticks) if yticks is not None else _ticks(*self.ylim, self.log)
        for v in ys:
            by = self.to_axes(self.xlim[0], v)[1]
            ax.plot([x0, x0 - tick * 0.6], [by, by], **line_kw)
            ax.text(x0 - tick, by, y_label(v), ha="right", va="center", **text_kw)
        ax.text((x0 + x1) / 2, y1 + 0.012, title, ha="center", va="bottom",
                **{**text_kw, "fontsize": 7.5})


def add(ax: Axes, curves: Sequence[Curve], data: Sequence[tuple[np.ndarray, np.ndarray]],
        zoomed: list[tuple[int, int]] | None, *, marks: Sequence[float],
        drops: Sequence[tuple[np.ndarray, np.ndarray]], colors: Sequence[str],
        styles: Sequence[Any], unit: str, log: bool, columns: int,
        x_label: Callable[[float], str], y_label: Callable[[float, Any], str],
        grey: str) -> Inset | None:
    """The other view of the warmup in the lowest, leftmost free place of ``ax`` (its limits
    set, the curves ``data`` drawn): the warmup zoomed under a figure of one whole run, or the
    whole run beside a warmup sweep drawn ``zoomed`` (the zoomed part shaded). ``marks`` are
    vertical lines (axes fractions) and ``drops`` further polylines the inset must not cover;
    ``columns`` is the figure's reduction budget across its whole width. ``None`` when there is
    no inset to draw, or no free place for it."""
    if zoomed is not None:
        windows = [(0, c.schedule.total_steps) for c in curves]
        title, zoom_end, gid = "whole run", zoomed[0][1], "whole-run-inset"
    elif len(curves) == 1 and (win := warmup_inset_window(curves[0])) is not None:
        windows, title, zoom_end, gid = [win], "warmup, zoomed", None, "warmup-inset"
    else:
        return None
    size = tuple(ax.figure.get_size_inches())
    if size[0] < MIN_FIGURE[0] or size[1] < MIN_FIGURE[1]:
        return None
    lines = [to_fractions(ax, c, st, r, unit, log) for c, (st, r) in zip(curves, data,
                                                                          strict=True)]
    box = free_box([*lines, *drops], marks, margin((size[0], size[1])))
    if box is None:
        return None
    s = curves[0].schedule
    lo = min(float(to_x(c.schedule, a, unit)) for c, (a, _) in zip(curves, windows, strict=True))
    hi = max(float(to_x(c.schedule, b - 1, unit)) for c, (_, b) in zip(curves, windows,
                                                                      strict=True))
    pad = 0.02 * (hi - lo)
    inset = Inset(ax, box, (lo - pad, hi + pad), ax.get_ylim(), log, gid)
    top = 0.0
    buckets = math.ceil((box[2] - box[0]) * columns)
    for i, (c, (a, b)) in enumerate(zip(curves, windows, strict=True)):
        steps, rates = reduce_curve(c.schedule, a, b, buckets, method="monotone")
        inset.plot(to_x(c.schedule, steps, unit), rates, color=colors[i], ls=styles[i], lw=1.2,
                   gid=f"inset-curve-{i}")
        top = max(top, float(np.max(rates)))
    if zoom_end is not None:
        inset.span(lo - pad, float(to_x(s, zoom_end - 1, unit)), color="#000000", alpha=0.07,
                   gid="zoomed-span")
    elif s.warmup_steps > 0:
        inset.vline(float(to_x(s, s.warmup_steps, unit)), color=grey, lw=0.8, ls=(0, (4, 2)),
                    gid="inset-warmup-end")
    # rates: 0 and the peak, as the main plot labels them (a log axis: its powers of ten)
    yticks = [0.0, top] if not log and inset.ylim[0] == 0 and top > 0 else None
    inset.decorate(title, x_label, lambda v: y_label(v, None), yticks)
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
    "sweep_zoom_windows", "margin", "free_box", "Inset", "add", "to_fractions",
]
