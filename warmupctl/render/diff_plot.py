"""The figure of ``warmupctl diff --plot``: both curves, their difference below on the same x,
and an inset that zooms on the warmups.

matplotlib is imported inside the functions only. The curves are drawn at a bounded set of steps
(:func:`plot_steps`: every step of short runs; otherwise a uniform grid, every breakpoint with its
neighbours, and every step of the warmups when they are short), so a 10^9-step run costs what a
short one does. Styles, formats and the atomic, date-free writing are those of
:mod:`warmupctl.render.plot`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..diff import Diff, Side, times_text
from ..engine import unique_steps
from ..fileio import atomic_writer
from . import format_count, format_rate
from .plot import ANNOTATION_GREY, LINESTYLES, PALETTE, output_format, save_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: steps drawn across the whole run (beyond breakpoints and the warmups)
GRID = 4000
#: warmups up to this long are drawn at every step
DENSE_WARMUP = 20_000


def plot_steps(a: Side, b: Side, diff: Diff, hi: int) -> np.ndarray:
    """Sorted steps of ``0 … hi−1`` to draw."""
    if hi <= 2 * GRID:
        return np.arange(hi, dtype=np.int64)
    warm = max(diff.a["peak_step"], diff.b["peak_step"])
    zoom = min(hi, int(warm * 1.5) + 2)
    parts = [(np.arange(GRID + 1, dtype=np.int64) * (hi - 1)) // GRID]
    if zoom <= DENSE_WARMUP:
        parts.append(np.arange(zoom, dtype=np.int64))
    else:
        parts.append((np.arange(GRID + 1, dtype=np.int64) * (zoom - 1)) // GRID)
    cuts = unique_steps(np.concatenate([a.cuts(), b.cuts()]))
    near = np.arange(-1, 2, dtype=np.int64)
    parts.append((cuts[:, None] + near[None, :]).ravel())
    for s in (diff.first_step, diff.max_abs_step, diff.last_step):
        if s is not None:
            parts.append(np.array([s - 1, s, s + 1], dtype=np.int64))
    pts = unique_steps(np.concatenate(parts))
    return pts[(pts >= 0) & (pts < hi)]


def build_diff_figure(a: Side, b: Side, diff: Diff, size: tuple[float, float] = (8.0, 6.0)
                      ) -> Figure:
    """Rates of A and B against step (top; an inset zooms on the warmups) and B − A (bottom)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from ..textsafe import visible
    from .plot import _style

    hi = max(a.total_steps, b.total_steps)
    steps = plot_steps(a, b, diff, hi)
    in_a, in_b = steps[steps < a.total_steps], steps[steps < b.total_steps]
    va, vb = a.values(in_a), b.values(in_b)
    common = steps[steps < diff.compared_steps]
    delta = b.values(common) - a.values(common)
    with _style():
        fig = Figure(figsize=size, dpi=150, layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3.0, 1.4])
        la, lb = visible(a.label, 60), visible(b.label, 60)
        top.plot(in_a, va, color=PALETTE[0], linestyle=LINESTYLES[0], linewidth=1.6,
                 label=f"A: {la}")
        top.plot(in_b, vb, color=PALETTE[1], linestyle=LINESTYLES[1], linewidth=1.4,
                 label=f"B: {lb}")
        top.set_ylabel("learning rate")
        top.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_rate(v, 3)))
        top.set_ylim(bottom=0)
        top.legend(loc="upper right", frameon=False)
        bottom.plot(common, delta, color=PALETTE[2], linewidth=1.2)
        bottom.axhline(0.0, color=ANNOTATION_GREY, linewidth=0.6)
        bottom.set_ylabel("B − A")
        bottom.set_xlabel("optimizer step")
        bottom.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_rate(v, 2)))
        bottom.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_count(v)))
        bottom.set_xlim(0, hi - 1)
        if diff.first_step is not None:
            for ax in (top, bottom):
                ax.axvline(diff.first_step, color=ANNOTATION_GREY, linewidth=0.6,
                           linestyle=(0, (2.0, 2.0)))
        top.set_title(_title(diff), loc="left")
        bottom.set_xlim(0, hi - 1)
        _inset(top, a, b, diff)
    return fig


def short_pattern(p: dict) -> str:
    """A pattern in a few words, for the figure's title."""
    kind = p["pattern"]
    if kind == "shift":
        k = p["shift"]
        where = "" if p["whole_run"] else f" on steps {p['from_step']:,}–{p['to_step']:,}"
        return (f"B {'lags' if k > 0 else 'leads'} A by {abs(k)} step{'s' if abs(k) > 1 else ''}"
                f"{where}")
    if kind == "scaled":
        return f"B = {p['factor']:.4g} × A"
    if kind == "warmup":
        r = p["ratio"]
        return f"B's warmup {times_text(r)} {'shorter' if r < 1 else 'longer'}"
    if kind == "floor":
        return f"no floor in {p['missing_in']}"
    if kind == "total-steps":
        return f"lengths {p['a']:,} vs {p['b']:,} steps"
    return str(kind)


def _title(diff: Diff) -> str:
    if diff.identical:
        return f"identical within rtol {diff.rtol:g}"
    text = f"differ from step {diff.first_step:,}"
    if diff.max_abs_step is not None:
        text += (f"; largest |B − A| {format_rate(diff.max_abs, 3)} at step "
                 f"{diff.max_abs_step:,}")
    if diff.patterns:
        text += "\n" + "; ".join(short_pattern(p) for p in diff.patterns)
    return text


#: where the inset may go, in axes fractions (x0, y0, width, height): low left, low right, top
INSET_PLACES = ((0.1, 0.07, 0.36, 0.45), (0.5, 0.07, 0.36, 0.45), (0.32, 0.45, 0.36, 0.45))


def _inset_place(ax: object, steps: np.ndarray, rates: np.ndarray) -> tuple[float, ...]:
    """The place of :data:`INSET_PLACES` that the curves cross least."""
    x0, x1 = ax.get_xlim()  # type: ignore[attr-defined]
    y0, y1 = ax.get_ylim()  # type: ignore[attr-defined]
    fx = (steps - x0) / max(x1 - x0, 1e-300)
    fy = (rates - y0) / max(y1 - y0, 1e-300)

    def covered(place: tuple[float, ...]) -> int:
        px, py, w, h = place
        inside = ((fx >= px - 0.02) & (fx <= px + w + 0.02)
                  & (fy >= py - 0.04) & (fy <= py + h + 0.1))
        return int(np.count_nonzero(inside))

    return min(INSET_PLACES, key=covered)


def _inset(ax: object, a: Side, b: Side, diff: Diff) -> None:
    """Both warmups at every step (or a fine grid), in the middle of the top panel."""
    warm = max(diff.a["peak_step"], diff.b["peak_step"])
    if warm <= 0:
        return
    hi = min(diff.compared_steps, int(warm * 1.5) + 2)
    if hi < 3 or hi * 20 > max(a.total_steps, b.total_steps):
        return  # the warmup already fills a twentieth of the x axis: no zoom needed
    steps = (np.arange(hi, dtype=np.int64) if hi <= DENSE_WARMUP
             else unique_steps((np.arange(GRID + 1, dtype=np.int64) * (hi - 1)) // GRID))
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    drawn = ax.get_lines()  # type: ignore[attr-defined]
    xs = np.concatenate([ln.get_xdata() for ln in drawn])
    ys = np.concatenate([ln.get_ydata() for ln in drawn])
    inset = ax.inset_axes(list(_inset_place(ax, xs, ys)))  # type: ignore[attr-defined]
    inset.plot(steps, a.values(steps), color=PALETTE[0], linestyle=LINESTYLES[0], linewidth=1.3)
    inset.plot(steps, b.values(steps), color=PALETTE[1], linestyle=LINESTYLES[1], linewidth=1.1)
    inset.set_xlim(0, hi - 1)
    inset.set_ylim(bottom=0)
    inset.set_title("warmup", fontsize=8.0, loc="left")
    inset.tick_params(labelsize=7.0)
    inset.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    inset.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_count(v)))
    inset.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_rate(v, 2)))
    inset.grid(True, linewidth=0.4, alpha=0.3)


def write_diff_plot(a: Side, b: Side, diff: Diff, path: str) -> str:
    """Draw the comparison and write it to ``path`` (.png, .svg, .pdf) atomically."""
    fmt = output_format(path, None)
    fig = build_diff_figure(a, b, diff)
    with atomic_writer(path) as stream:
        save_figure(fig, stream, fmt)
    return fmt
