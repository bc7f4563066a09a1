"""The predicted angular update drawn with matplotlib: a panel under `plot`'s rate axes
(``plot --updates``), or a figure of its own (:func:`figure`, for ``updates --predict -o``).

matplotlib is imported inside the functions, as in :mod:`warmupctl.render.plot`. The prediction
(:mod:`warmupctl.updates.predict`) is reduced to what the pixels can show — per bucket of steps,
its first and last step and the steps of its smallest and largest angle — so the first update's
spike survives on a run of millions of steps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..errors import WarmupctlError
from ..fileio import atomic_writer

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..engine import Schedule
    from ..updates.predict import Prediction
    from .plot import PlotOptions

ANGLE_COLOR = "#D55E00"  # Okabe & Ito vermilion: apart from the rate's blue
EQUILIBRIUM_COLOR = "#555555"
#: the longest run whose prediction is drawn in full; a longer one is drawn to this step
PREDICT_LIMIT = 2**24


def reduce_indices(values: np.ndarray, buckets: int) -> np.ndarray:
    """Indices to draw ``values`` at ``buckets`` buckets: all of them for a short array, else per
    bucket its first, last, smallest and largest element (sorted, unique)."""
    n = values.size
    if n <= 4 * buckets:
        return np.arange(n)
    size = -(-n // buckets)
    pad = size * buckets - n
    grid = np.concatenate([values, np.full(pad, np.nan)]).reshape(buckets, size)
    base = np.arange(buckets) * size
    with np.errstate(invalid="ignore"):
        hi = base + np.nanargmax(np.where(np.isnan(grid), -np.inf, grid), axis=1)
        lo = base + np.nanargmin(np.where(np.isnan(grid), np.inf, grid), axis=1)
    last = np.minimum(base + size - 1, n - 1)
    idx = np.unique(np.concatenate([base, last, hi, lo, [0, n - 1]]))
    return idx[idx < n]


def _positive(a: np.ndarray) -> np.ndarray:
    out = a.astype(np.float64, copy=True)
    out[~(out > 0)] = np.nan  # log axis: zeros (a rate of 0) are not drawn
    return out


def draw_prediction(ax: Axes, prediction: Prediction, *, x: np.ndarray | None = None,
                    buckets: int = 2048, end: int | None = None, label_peak: bool = True) -> None:
    """Draw the predicted angle (``gid`` ``predicted-angle``) and its equilibrium
    (``gid`` ``equilibrium``) on ``ax``, log y. ``x`` maps each step to the x unit (default: the
    step itself); ``end`` stops the drawing at that step."""
    from matplotlib.ticker import LogLocator

    stop = prediction.angle.size if end is None else min(int(end), prediction.angle.size)
    angle = prediction.angle[:stop]
    idx = reduce_indices(angle, buckets)
    xs = (prediction.step[:stop] if x is None else np.asarray(x)[:stop])[idx]
    ax.set_yscale("log", nonpositive="mask")
    ax.plot(xs, _positive(angle[idx]), color=ANGLE_COLOR, lw=1.6, gid="predicted-angle",
            label="predicted angular update of a weight row (rad)", zorder=3)
    if prediction.equilibrium is not None:
        eq = prediction.equilibrium[:stop]
        ax.plot(xs, _positive(eq[idx]), color=EQUILIBRIUM_COLOR, lw=1.1, ls=(0, (5.0, 2.5)),
                gid="equilibrium", label="rotational equilibrium (Kosson et al. 2023)",
                zorder=2)
    ax.set_ylabel("angular update (rad)")
    ax.yaxis.set_major_locator(LogLocator(base=10.0))
    live = angle[angle > 0]
    if live.size:
        top = float(live.max())
        bottom = float(live.min())
        if prediction.equilibrium is not None and np.any(prediction.equilibrium[:stop] > 0):
            eqs = prediction.equilibrium[:stop]
            bottom = min(bottom, float(eqs[eqs > 0].min()))
        bottom = max(bottom, top * 1e-5)
        ax.set_ylim(bottom / 1.6, top * 2.5)
    ratio, step = prediction.peak_ratio()
    if label_peak and math.isfinite(ratio) and step < stop:
        where = float(xs[min(int(np.searchsorted(idx, step)), xs.size - 1)])
        ax.annotate(f"peak {ratio:.3g}× equilibrium", (where, float(angle[step])),
                    xytext=(6, 1), textcoords="offset points", fontsize=8.0,
                    color=ANGLE_COLOR, va="bottom", gid="peak-label")
    ax.grid(True, which="major")
    ax.legend(loc="best", frameon=False, fontsize=8.0)


def _predict(schedule: Schedule) -> tuple[Prediction, int]:
    from ..updates.predict import predict

    stop = min(schedule.total_steps, PREDICT_LIMIT)
    try:
        return predict(schedule, steps=stop), stop
    except ValueError as exc:
        raise WarmupctlError(f"--updates: {exc}") from None


def add_panel(fig: Figure, schedule: Schedule, options: PlotOptions) -> Prediction:
    """Add the predicted angular update of ``schedule`` under the rate axes of ``fig`` (a figure
    from :func:`warmupctl.render.plot.build_figure` with one curve), sharing its x axis."""
    from . import to_x, window
    from .plot import OVERSAMPLE, _style, pixel_columns

    pred, stop = _predict(schedule)
    a, b = window(schedule, options.range)
    b = min(b, stop)
    if b <= a:
        raise WarmupctlError(f"--updates: the prediction is drawn for the first {stop:,} steps "
                             "only; the --range starts after them")
    rate_ax = fig.axes[0]
    with _style():
        grid = fig.add_gridspec(2, 1, height_ratios=(3, 2))
        rate_ax.set_subplotspec(grid[0])
        ax = fig.add_subplot(grid[1], sharex=rate_ax)
        xs = to_x(schedule, pred.step, options.x)
        sub = _slice(pred, a, b)
        draw_prediction(ax, sub, x=np.asarray(xs)[a:b],
                        buckets=OVERSAMPLE * pixel_columns(options.size, options.dpi))
        w = schedule.warmup_steps
        if 0 < w < b and w >= a:
            ax.axvline(float(to_x(schedule, w, options.x)), color=EQUILIBRIUM_COLOR, lw=0.9,
                       ls=(0, (4.0, 3.0)), zorder=1, gid="warmup-end")
        ax.set_xlabel(rate_ax.get_xlabel())
        rate_ax.set_xlabel("")
        rate_ax.tick_params(labelbottom=False)
        caption = pred.model.split("; iid")[0]
        if stop < schedule.total_steps:
            caption += f"; predicted for the first {stop:,} steps"
        ax.set_title(caption, fontsize=7.5, loc="left", color=EQUILIBRIUM_COLOR)
    return pred


def _slice(pred: Prediction, a: int, b: int) -> Prediction:
    from ..updates.predict import Prediction

    eq = None if pred.equilibrium is None else pred.equilibrium[a:b]
    return Prediction(pred.step[a:b], pred.lr[a:b], pred.angle[a:b], eq, pred.model)


def figure(prediction: Prediction, path: str, fmt: str | None = None, *,
           size: tuple[float, float] = (8.0, 4.5), dpi: float = 150.0,
           title: str | None = None) -> str:
    """Write a figure of ``prediction`` alone (x: steps) to ``path`` atomically; returns the
    format. ``fmt`` defaults to the path's extension (png, svg, pdf)."""
    from .plot import OVERSAMPLE, _style, check_size, output_format, pixel_columns, save_figure

    fmt = output_format(path, fmt)
    check_size(size, dpi)
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise WarmupctlError(f"plotting needs matplotlib ({exc}); pip install matplotlib") from None
    with _style():
        fig = Figure(figsize=size, dpi=dpi, layout="constrained")
        ax = fig.add_subplot()
        draw_prediction(ax, prediction, buckets=OVERSAMPLE * pixel_columns(size, dpi))
        ax.set_xlabel("optimizer step")
        ax2 = ax.twinx()
        idx = reduce_indices(prediction.lr, OVERSAMPLE * pixel_columns(size, dpi))
        ax2.plot(prediction.step[idx], prediction.lr[idx], color="#0072B2", lw=1.0, alpha=0.6,
                 gid="rate", label="learning rate")
        ax2.set_ylabel("learning rate", color="#0072B2")
        ax2.grid(False)
        ax2.set_ylim(0, max(float(prediction.lr.max()) * 1.06, 1e-300))
        fig.suptitle(title if title is not None else _wrap(prediction.model, size), fontsize=9)
    with atomic_writer(path) as stream:
        save_figure(fig, stream, fmt, dpi)
    return fmt


def _wrap(text: str, size: tuple[float, float]) -> str:
    from .plot import _wrap as wrap

    return wrap(text, int(size[0] * 72.0 / (9.0 * 0.56)))


__all__ = ["add_panel", "draw_prediction", "figure", "reduce_indices"]
