"""Figures of a measured update-size log (``warmupctl updates LOG``): matplotlib and uniplot are
imported inside the functions only.

One line per layer, coloured by depth (the layer's position in the log, first = dark), the median
over layers in black, the equilibrium angular update at the logged rate (dashed), the logged rate
on a second axis (grey), the warmup's end and the settle step as vertical lines. The y axis is
logarithmic; zeros (a step at rate 0) are not drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import WarmupctlError
from ..monitor.judge import BAND, Judged
from ..textsafe import visible
from . import LOG_FLOOR, format_count, format_rate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

LABELS = {
    "angle": "angular update (rad)",
    "neuron_angle": "per-neuron angular update, RMS (rad)",
    "rel": "relative update ‖ΔW‖/‖W‖",
    "l2": "ℓ2 update ‖ΔW‖",
    "rrc": "relative representation change",
}
EQ_COLOR = "#D55E00"
LR_COLOR = "#7f7f7f"
#: at most this many points per line reach matplotlib (per-bucket maxima keep the spikes)
MAX_POINTS = 2400


def _positive(v: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def reduce_rows(step: np.ndarray, values: np.ndarray, points: int = MAX_POINTS
                ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``points`` rows: the largest value of each bucket of consecutive steps (NaN
    ignored) at the bucket's first step, so a one-step spike stays visible."""
    n = len(step)
    if n <= points:
        return step, values
    starts = np.linspace(0, n, points, endpoint=False).astype(np.int64)
    starts = np.unique(starts)
    with np.errstate(all="ignore"):
        filled = np.where(np.isnan(values), -np.inf, values)
        out = np.maximum.reduceat(filled, starts, axis=0)
    out = np.where(np.isneginf(out), np.nan, out)
    return step[starts], out


def _depth_colors(depth: np.ndarray, n_total: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    span = max(1, n_total - 1)
    return [cmap(0.9 * float(d) / span) for d in depth]


def build_figure(j: Judged, *, title: str | None = None, size: tuple[float, float] = (8.0, 4.5),
                 n_layers: int | None = None) -> Figure:
    """The figure for a judged log (nothing is written)."""
    from matplotlib.figure import Figure

    from .plot import _style

    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        step, vals = reduce_rows(j.step, j.values)
        _, med = reduce_rows(j.step, j.median[:, None])
        colors = _depth_colors(j.depth, n_layers or (int(j.depth.max()) + 1))
        for k in range(vals.shape[1]):
            ax.plot(step, _positive(vals[:, k]), color=colors[k], lw=0.8, alpha=0.75)
        ax.plot(step, _positive(med[:, 0]), color="black", lw=2.0,
                label=f"median of {len(j.names)} layer{'s' if len(j.names) > 1 else ''}")
        if j.equilibrium is not None:
            eq = _positive(j.equilibrium)
            ax.plot(j.step, eq, color=EQ_COLOR, lw=1.5, ls=(0, (6, 3)),
                    label="equilibrium √(2ηλ(1−β₁)/(1+β₁))" if j.training.get("optimizer")
                    == "adamw" else "equilibrium")
        ax.set_yscale("log")
        shown = _positive(np.concatenate([vals.ravel(), med.ravel()]))
        if np.isfinite(shown).any():
            top = float(np.nanmax(shown))
            if j.equilibrium is not None and np.isfinite(_positive(j.equilibrium)).any():
                top = max(top, float(np.nanmax(_positive(j.equilibrium))))
            low = max(float(np.nanmin(shown)), top * LOG_FLOOR)
            ax.set_ylim(low / 1.5, top * 1.5)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel(LABELS[j.metric])
        ax.xaxis.set_major_formatter(lambda v, _p: format_count(v, 3))
        ax.set_xlim(float(j.step[0]), float(j.step[-1]) if len(j.step) > 1 else 1.0)
        ax.grid(True, which="major", alpha=0.3)
        x0, x1 = ax.get_xlim()
        marks = []
        if j.warmup_end is not None:
            ax.axvline(j.warmup_end, color="#0072B2", lw=1.0, ls=":")
            marks.append((j.warmup_end, f"warmup ends\nstep {j.warmup_end:,}", "#0072B2"))
        if j.settle is not None and j.settle > j.step[0]:
            ax.axvline(j.settle, color="#009E73", lw=1.0, ls="--")
            marks.append((j.settle, f"within {BAND:g}× of\nequilibrium from\nstep {j.settle:,}",
                          "#009E73"))
        # a second label near the first (the updates settle as the warmup ends) goes below it
        top = 0.99
        for k, (x, text, color) in enumerate(marks):
            if k and abs(x - marks[0][0]) < 0.25 * (x1 - x0):
                top = 0.99 - 0.045 * (marks[0][1].count("\n") + 1) - 0.01
            _mark(ax, x, top, text, color, x0, x1)
        ax2 = ax.twinx()
        ax2.plot(j.step, j.lr, color=LR_COLOR, lw=1.0, alpha=0.8, label="learning rate (right)")
        ax2.set_ylabel("learning rate", color=LR_COLOR)
        ax2.tick_params(axis="y", colors=LR_COLOR)
        ax2.yaxis.set_major_formatter(lambda v, _p: format_rate(v))
        finite_lr = j.lr[np.isfinite(j.lr)]
        # the rate's top at 80% of the height: the marks' labels sit above it
        ax2.set_ylim(0, float(finite_lr.max()) * 1.25 if finite_lr.size and
                     finite_lr.max() > 0 else 1.0)
        handles = ax.get_legend_handles_labels()
        h2 = ax2.get_legend_handles_labels()
        ax.legend(handles[0] + h2[0], handles[1] + h2[1], loc="lower left", fontsize=8,
                  framealpha=0.85)
        if title:
            fig.suptitle(visible(title, 120), fontsize=11)
        _depth_bar(fig, ax, ax2, n_layers or (int(j.depth.max()) + 1))
    return fig


def _mark(ax: Any, x: float, top: float, text: str, color: str, x0: float, x1: float) -> None:
    """A vertical mark's label, its top at ``top`` (a fraction of the axes' height), on the side
    of the line with room for it."""
    right = x > x0 + 0.7 * (x1 - x0)
    ax.text(x, top, (text.replace("\n", " \n") + " ") if right else
            (" " + text.replace("\n", "\n ")), va="top", ha="right" if right else "left",
            fontsize=8, color=color, transform=ax.get_xaxis_transform(), zorder=5,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.0})


def _depth_bar(fig: Any, ax: Any, ax2: Any, n: int) -> None:
    """A colour bar that says what the colours of the layer lines mean."""
    if n < 2:
        return
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize

    cmap = ListedColormap(colormaps["viridis"](np.linspace(0, 0.9, 256)))
    bar = fig.colorbar(ScalarMappable(Normalize(0, n - 1), cmap), ax=[ax, ax2], pad=0.07,
                       fraction=0.03, aspect=30)
    bar.set_label("layer (order in the log: first → last)", fontsize=8)
    from matplotlib.ticker import MaxNLocator

    bar.locator = MaxNLocator(nbins=min(n, 8), integer=True)
    bar.update_ticks()
    bar.ax.tick_params(labelsize=7)


#: the columns uniplot's own y labels and frame take beside the plot area
_UNIPLOT_LABEL_COLUMNS = 14


def render_terminal(j: Judged, *, width: int | None = None, height: int = 15,
                    color: bool = False, title: str | None = None) -> str:
    """The median, the largest layer and the equilibrium per step, drawn with uniplot on a log
    axis."""
    try:
        from uniplot import plot_to_string
    except ImportError as exc:  # pragma: no cover - uniplot is a dependency
        raise WarmupctlError(f"--terminal needs uniplot ({exc}); pip install uniplot") from None
    from .terminal import MIN_WIDTH, _tidy_labels, terminal_width

    total = width or terminal_width()
    plot_width = max(MIN_WIDTH, total - _UNIPLOT_LABEL_COLUMNS)
    step, vals = reduce_rows(j.step, j.values, 2 * plot_width)
    _, med = reduce_rows(j.step, j.median[:, None], 2 * plot_width)
    with np.errstate(all="ignore"):
        top = np.where(np.isfinite(vals).any(axis=1), np.nanmax(
            np.where(np.isnan(vals), -np.inf, vals), axis=1), np.nan)
    series = [("median", med[:, 0]), ("largest layer", top)]
    if j.equilibrium is not None:
        _, e = reduce_rows(j.step, j.equilibrium[:, None], 2 * plot_width)
        series.append(("equilibrium", e[:, 0]))
    xs, ys, labels = [], [], []
    for label, v in series:
        keep = np.isfinite(v) & (v > 0)
        if keep.any():
            xs.append(step[keep].astype(np.float64))
            ys.append(v[keep])
            labels.append(label)
    if not ys:
        raise WarmupctlError(f"--terminal: the log has no positive {j.metric} value to draw")
    hi = max(float(np.max(y)) for y in ys)
    ys = [np.maximum(y, hi * LOG_FLOOR) for y in ys]
    head = visible(title or f"{j.metric} per step (log)", plot_width)
    kwargs: dict[str, Any] = {"width": plot_width, "height": max(4, int(height)), "lines": True,
                              "y_as_log": True, "title": head, "legend_labels": labels,
                              "x_gridlines": [], "color": bool(color)}
    if not color:
        kwargs["character_set"] = "ascii"
        kwargs["force_ascii_characters"] = ["+", "x", "o"]
    text = plot_to_string(ys, xs, **kwargs)
    tail = []
    if j.warmup_end is not None:
        tail.append(f"warmup ends at step {j.warmup_end:,}")
    if j.equilibrium is not None:
        tail.append(f"settles (within {BAND:g}× of equilibrium) at step {j.settle:,}"
                    if j.settle is not None else f"does not settle within {BAND:g}× in the log")
    out = _tidy_labels(text.rstrip("\n")) + "\n"
    return out + ("; ".join(tail) + "\n" if tail else "")


__all__ = ["build_figure", "render_terminal", "reduce_rows", "LABELS"]
