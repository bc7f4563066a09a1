"""Figures of schedules (PNG, SVG, PDF) with matplotlib.

The only module of warmupctl that uses matplotlib, and it imports it inside its functions, so
``import warmupctl`` and the CLI start without it. Figures are built on
:class:`matplotlib.figure.Figure` directly (no pyplot, no global state): :func:`build_figure`
returns the figure — tests read the plotted data back from it — and :func:`save_figure` writes it
to a binary stream. Output is byte-for-byte reproducible for a given matplotlib version and
settings: our style (:data:`STYLE`, with matplotlib's bundled DejaVu Sans) is applied per figure
through ``rc_context`` (no global state changes), SVG ids come from a fixed ``svg.hashsalt``, and
no dates are written.

Curves are reduced to what the pixels can show before they reach matplotlib
(:func:`warmupctl.render.reduce.reduce_curve`), so a 10^8-step run costs the same as a short one.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..errors import WarmupctlError
from ..fileio import atomic_writer
from ..textsafe import visible
from . import (
    LOG_FLOOR,
    X_LABELS,
    Curve,
    check_x_unit,
    format_count,
    format_percent,
    format_rate,
    format_x,
    to_x,
    window,
)
from . import inset as _inset
from .reduce import reduce_curve

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "svg", "pdf")

#: each bucket of the reduction is at most 1/OVERSAMPLE of a pixel column of the figure
OVERSAMPLE = 2

#: Okabe & Ito (2008) colour-blind-safe palette, in the order curves get them
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: line styles, so curves stay apart in greyscale too (solid, dashed, dotted, dash-dot, ...)
LINESTYLES: tuple[Any, ...] = (
    "-",
    (0, (6.0, 2.5)),
    (0, (1.2, 1.6)),
    (0, (7.0, 2.0, 1.5, 2.0)),
    (0, (3.0, 1.5)),
    (0, (10.0, 2.0, 1.5, 2.0, 1.5, 2.0)),
    (0, (2.0, 3.5)),
)

#: matplotlib settings for every figure (on top of matplotlib's defaults)
STYLE: dict[str, Any] = {
    # matplotlib's bundled font: the same look everywhere, and it has × and ⁰¹²³⁴⁵⁶⁷⁸⁹⁻
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.5,
    "grid.alpha": 0.35,
    "lines.solid_capstyle": "butt",
    # unhinted glyphs: the shapes the font designer drew (no snapping to the pixel grid, which
    # at 150 dpi only makes letters uneven), and about a sixth faster to draw
    "text.hinting": "no_hinting",
    # names and titles are drawn as written, never typeset by TeX
    "text.usetex": False,
    "svg.hashsalt": "warmupctl",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}

ANNOTATION_GREY = "#555555"
LABEL_FONTSIZE = 8.0
#: average width of a character of DejaVu Sans, in ems (for estimating label widths)
CHAR_EM = 0.56


@dataclass(frozen=True)
class PlotOptions:
    """How to draw: x unit, log rate axis, window, annotations, title, size and resolution."""

    x: str = "steps"
    log: bool = False
    range: tuple[str | None, str | None] | None = None
    annotate: bool = True
    title: str | None = None
    size: tuple[float, float] = (8.0, 4.5)
    dpi: float = 150.0
    sweep: str | None = None  # the key a sweep varies: ordered colours, shorter legend
    #: the default views of the warmup: an inset of it on a figure of one whole run, and a
    #: warmup sweep zoomed to its warmups (with the whole run in an inset); see render.inset
    warmup_view: bool = True


def check_size(size: tuple[float, float], dpi: float) -> None:
    w, h = size
    if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
        raise WarmupctlError(f"--size needs two positive numbers W,H in inches (got {w:g},{h:g})")
    if not (4.0 <= w <= 40.0 and 3.0 <= h <= 40.0):
        # below 4 × 3 inches the title, labels and legend leave no room for the curves
        raise WarmupctlError(
            f"--size {w:g},{h:g} is outside 4…40 × 3…40 inches; the default is 8,4.5"
        )
    if not (math.isfinite(dpi) and 20 <= dpi <= 1200):
        raise WarmupctlError(f"--dpi must be between 20 and 1200 (got {dpi:g})")


#: image formats plot does not write: a file named so would hold bytes of another format
OTHER_IMAGE_EXTENSIONS = ("jpg", "jpeg", "gif", "tif", "tiff", "webp", "bmp", "eps", "ps")


def output_format(path: str, fmt: str | None) -> str:
    """The file format from ``--format`` or the extension of ``path``; they must agree."""
    ext = os.path.splitext(path)[1].lstrip(".").lower() if path != "-" else ""
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise WarmupctlError(f"unknown format {fmt!r}: plot writes {', '.join(FORMATS)}")
        if (ext in FORMATS or ext in OTHER_IMAGE_EXTENSIONS) and ext != fmt:
            raise WarmupctlError(f"--format {fmt} does not match the extension of {path}: "
                                 f"name it .{fmt}")
        return fmt
    if ext in FORMATS:
        return ext
    if path == "-":
        return "png"
    if ext in OTHER_IMAGE_EXTENSIONS:
        raise WarmupctlError(f"plot does not write .{ext} files: name it .png, .svg or .pdf")
    raise WarmupctlError(
        f"cannot tell the format of {path!r}: name it .png, .svg or .pdf, or pass --format"
    )


@contextmanager
def _style() -> Iterator[None]:
    """:data:`STYLE` on top of the user's matplotlib settings, for this figure only."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


# ------------------------------------------------------------------------------------------
# Axis formats
# ------------------------------------------------------------------------------------------


def _x_label(v: float, unit: str, extra: int = 0) -> str:
    """One x tick: ``20k``, ``1.25M``, ``50%``, ``12.5``; ``extra`` more significant digits
    when the ticks are so close that the short form would repeat (``250k``, ``250.02k``)."""
    if unit in ("steps", "tokens"):
        text = format_count(abs(v), 3 + extra)
        return "−" + text if v < 0 else text
    text = f"{float(f'{v:.{4 + extra}g}'):g}"
    return text + "%" if unit == "percent" else text


def _distinct(label: Any) -> Any:
    """A matplotlib formatter writing ticks with ``label(value, extra)``, adding digits
    (``extra``) until no two visible labels are alike: a narrow ``--range`` far into a run gives
    ``599.99k``, ``599.992k`` … instead of ``600k`` five times."""
    from matplotlib.ticker import Formatter

    class _DistinctFormatter(Formatter):
        extra = 0

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            lo, hi = self.axis.get_view_interval() if self.axis is not None else (-1e308, 1e308)
            shown = [v for v in locs if min(lo, hi) <= v <= max(lo, hi)]
            self.extra = 0
            while self.extra < 12 and len({label(v, self.extra) for v in shown}) < len(shown):
                self.extra += 1

        def __call__(self, x: float, pos: Any = None) -> str:
            return label(x, self.extra)

    return _DistinctFormatter()


def _x_tick(unit: str) -> Any:
    return _distinct(lambda v, extra: _x_label(v, unit, extra))


def _rate_tick(v: float, _pos: Any = None) -> str:
    return format_rate(v, 3)


def _log_rate_tick(v: float, _pos: Any = None) -> str:
    return format_rate(v, 3, bare_power=True)


def _minor_log_tick(v: float, _pos: Any = None) -> str:
    if v <= 0:
        return ""
    lead = round(v / 10 ** math.floor(math.log10(v) + 1e-9), 6)
    return format_rate(v, 2) if lead in (2.0, 5.0) else ""


def _y_bins(opts: PlotOptions) -> int:
    """Rate ticks for the figure's height: 8 at the default 4.5 inches, fewer on a short one."""
    return max(4, min(8, int(opts.size[1] * 1.8)))


def _setup_axes(ax: Axes, opts: PlotOptions, lo: float, hi: float, ymin_pos: float,
                ymax: float, ymin: float = 0.0) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    pad = 0.01 * (hi - lo) if hi > lo else 0.5
    ax.set_xlim(lo - pad, hi + pad)
    ax.xaxis.set_major_locator(
        MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=opts.x == "steps")
    )
    ax.xaxis.set_major_formatter(_x_tick(opts.x))
    ax.set_xlabel(X_LABELS[opts.x])
    ax.set_ylabel("learning rate")
    if opts.log:
        ax.set_yscale("log", nonpositive="mask")
        top = ymax * 1.5
        bottom = max(ymin_pos / 1.5, ymax * LOG_FLOOR) if ymin_pos > 0 else ymax * 1e-3
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_locator(LogLocator(base=10.0))
        ax.yaxis.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(2, 10))))
        ax.yaxis.set_major_formatter(FuncFormatter(_log_rate_tick))
        decades = math.log10(top / bottom)
        ax.yaxis.set_minor_formatter(
            FuncFormatter(_minor_log_tick) if decades < 2.2 else NullFormatter()
        )
    elif opts.range is not None and 0.5 * ymax < ymin < ymax:
        # a --range window whose rates stay within the top half of their scale (the middle of
        # a decay): the axis spans them, so the change is visible, instead of starting at 0
        span = ymax - ymin
        ax.set_ylim(ymin - 0.08 * span, ymax + 0.08 * span)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=_y_bins(opts), steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_formatter(_distinct(lambda v, extra: format_rate(v, 3 + extra)))
    else:
        ax.set_ylim(0.0, ymax * 1.06 if ymax > 0 else 1.0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=_y_bins(opts), steps=[1, 2, 2.5, 5, 10]))
        ax.yaxis.set_major_formatter(FuncFormatter(_rate_tick))
    ax.grid(True, which="major")
    ax.tick_params(which="both", direction="out")


# ------------------------------------------------------------------------------------------
# Annotations
# ------------------------------------------------------------------------------------------


@dataclass
class _TopLabel:
    x: float  # axes fraction
    text: str


def _place_top_labels(ax: Axes, labels: list[_TopLabel], axes_width_pt: float) -> None:
    """Labels above the plot area at their x, left- or right-aligned to stay inside, stacked in
    rows when they would overlap (widths estimated from the character count). A label wider than
    the plot is broken at its `` · `` separators over two rows."""
    rows: list[list[tuple[float, float]]] = []
    for lab in sorted(labels, key=lambda t: t.x):
        text = lab.text
        if len(text) * LABEL_FONTSIZE * CHAR_EM > 0.95 * axes_width_pt and " · " in text:
            head, _, tail = text.partition(" · ")
            text = f"{head}\n{tail}"
        nlines = text.count("\n") + 1
        longest = max(len(line) for line in text.split("\n"))
        width = longest * LABEL_FONTSIZE * CHAR_EM / axes_width_pt
        ha = "left" if lab.x + width <= 1.02 or lab.x < 0.5 else "right"
        span = (lab.x, lab.x + width) if ha == "left" else (lab.x - width, lab.x)

        def free(r: int, span: tuple[float, float] = span) -> bool:
            return r >= len(rows) or not any(s < span[1] + 0.01 and span[0] < e + 0.01
                                             for s, e in rows[r])

        row = 0
        while not all(free(row + k) for k in range(nlines)):
            row += 1
        while len(rows) < row + nlines:
            rows.append([])
        for k in range(nlines):
            rows[row + k].append(span)
        ax.annotate(
            text, xy=(lab.x, 1.0), xycoords="axes fraction",
            xytext=(0, 3 + 11.5 * row), textcoords="offset points",
            ha=ha, va="bottom", fontsize=LABEL_FONTSIZE, color="#222222",
            annotation_clip=False, linespacing=1.25,
        )


def _right_tag(ax: Axes, y: float, text: str, color: str) -> None:
    ax.annotate(
        text, xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(4, 0),
        textcoords="offset points", ha="left", va="center", fontsize=LABEL_FONTSIZE,
        color=color, annotation_clip=False, linespacing=1.25,
    )


def _axes_fraction(ax: Axes, y: float, log: bool) -> float:
    lo, hi = ax.get_ylim()
    if log:
        return (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    return (y - lo) / (hi - lo)


def _where(schedule: Any, step: int, unit: str) -> str:
    """``step 2,000 · 2% of run`` (+ the position in the x unit when it is not steps)."""
    parts = [f"step {step:,}"]
    if unit in ("tokens", "epochs"):
        parts.append(format_x(float(to_x(schedule, step, unit)), unit))
    parts.append(f"{format_percent(step / schedule.total_steps)} of run")
    return " · ".join(parts)


def _annotate_single(ax: Axes, curve: Curve, color: str, steps: np.ndarray, rates: np.ndarray,
                     a: int, b: int, opts: PlotOptions, axes_width_pt: float) -> None:
    s = curve.schedule
    n = s.total_steps
    x0, x1 = ax.get_xlim()
    span = x1 - x0

    def frac(step: int) -> float:
        return (float(to_x(s, step, opts.x)) - x0) / span

    top: list[_TopLabel] = []
    w = s.warmup_steps
    k = int(np.argmax(rates))
    peak, peak_step = float(rates[k]), int(steps[k])
    # A window that misses the run's peak shows its own highest rate, not "the peak" (compared
    # with the declared peak, so no step outside the window is evaluated). A window whose top is
    # its first step may start after the peak was first reached: that is "highest shown" too.
    # The whole run always shows its peak, even one just below the declared value (a skip_zero
    # cosine never uses the peak itself).
    whole = a == 0 and b == n
    reached = peak >= s.peak_lr * (1 - 1e-12) and not (k == 0 and a > 0)
    peak_name = "peak" if whole or reached else "highest shown"
    if 0 < w < n and a <= w < b:
        xw = float(to_x(s, w, opts.x))
        ax.axvspan(float(to_x(s, a, opts.x)) if a > 0 else x0, xw, color="#000000",
                   alpha=0.045, lw=0, zorder=0.5, gid="warmup-span")
        ax.axvline(xw, color=ANNOTATION_GREY, lw=0.9, ls=(0, (4, 2)), zorder=1.5,
                   gid="warmup-end")
        top.append(_TopLabel(frac(w), f"end of warmup · {_where(s, w, opts.x)}"))
    drawn = {w}
    decay_end = s.meta.get("decay_end")
    if decay_end is not None and decay_end < n and a < decay_end < b:
        ax.axvline(float(to_x(s, decay_end, opts.x)), color=ANNOTATION_GREY, lw=0.9,
                   ls=(0, (1, 1.5)), zorder=1.5, gid="decay-end")
        top.append(_TopLabel(frac(decay_end),
                             f"end of decay · {_where(s, int(decay_end), opts.x)}"))
        drawn.add(int(decay_end))
    for ph in s.phases:
        if ph.shape == "wsd":
            c = ph.start + ph.length - int(ph.params["cooldown"])
            if a < c < b and c not in drawn:
                ax.axvline(float(to_x(s, c, opts.x)), color=ANNOTATION_GREY, lw=0.9,
                           ls=(0, (1, 1.5)), zorder=1.5, gid="cooldown-start")
                top.append(_TopLabel(frac(c), f"cooldown · {_where(s, c, opts.x)}"))
                drawn.add(c)
    for ph in s.phases[1:]:
        if a < ph.start < b and ph.start not in drawn:
            ax.axvline(float(to_x(s, ph.start, opts.x)), color="#999999", lw=0.6, alpha=0.6,
                       zorder=1.2, gid="phase-boundary")
    _place_top_labels(ax, top, axes_width_pt)

    # the peak and the final rate: dots on the curve, values tagged at the right edge
    tags: list[tuple[float, str]] = []
    if peak > 0 or not opts.log:
        ax.plot([float(to_x(s, peak_step, opts.x))], [peak], "o", ms=4.5, color=color,
                zorder=3, gid="peak" if peak_name == "peak" else "window-max", clip_on=False)
        ax.axhline(peak, color=ANNOTATION_GREY, lw=0.6, ls=(0, (1, 2)), alpha=0.7, zorder=1.1)
        at = "" if peak_step == w else f" at {format_x(float(to_x(s, peak_step, opts.x)), opts.x)}"
        tags.append((peak, f"{peak_name} {format_rate(peak)}{at}"))
    if b == n:
        final = float(rates[-1])
        floor = ax.get_ylim()[0]
        if opts.log and final < floor:
            # below the log axis's six decades (a decay to 0): the curve leaves through the
            # bottom edge, and the label sits there, without a dot off the axes
            tags.append((floor, f"final {_final_rate(final, peak) if final > 0 else '0'}"))
        else:
            ax.plot([float(to_x(s, n - 1, opts.x))], [final], "o", ms=4.5, color=color,
                    mfc="white", mew=1.4, zorder=3, gid="final", clip_on=False)
            tags.append((final, f"final {_final_rate(final, peak)}"))
    if len(tags) == 2:
        fp, ff = (_axes_fraction(ax, y, opts.log) for y, _ in tags)
        # about 0.035 of the axes' height per line of text, half of each label either side
        rows = sum(_tag_lines(t).count("\n") + 1 for _, t in tags)
        if abs(fp - ff) < 0.035 * rows:
            tags = [(tags[0][0], f"{tags[0][1]} · {tags[1][1]}")]
    for y, text in tags:
        _right_tag(ax, y, _tag_lines(text), "#222222")


#: a label at the right edge longer than this is broken into lines, so it does not squeeze the
#: plot (the layout makes room for the widest line)
TAG_CHARS = 22


def _tag_lines(text: str) -> str:
    """``highest shown 6×10⁻⁵ at step 540,000 · final 6×10⁻⁵`` over three lines: one per
    `` · `` part, and a long part broken before its `` at ``."""
    if len(text) <= TAG_CHARS:
        return text
    lines: list[str] = []
    for part in text.split(" · "):
        head, sep, tail = part.partition(" at ")
        lines.extend([head, f"at {tail}"] if sep and len(part) > TAG_CHARS else [part])
    return "\n".join(lines)


def _annotate_overlay(ax: Axes, curve: Curve, color: str, steps: np.ndarray,
                      rates: np.ndarray, a: int, b: int, opts: PlotOptions, i: int) -> None:
    s = curve.schedule
    w = s.warmup_steps
    if 0 < w < s.total_steps and a <= w < b:
        # a dashed drop line from the end of warmup to the axis, in the curve's colour
        xw = float(to_x(s, w, opts.x))
        ax.plot([xw, xw], [ax.get_ylim()[0], s.lr(w)], color=color, lw=0.8, ls=(0, (4, 2)),
                alpha=0.8, zorder=1.5, gid=f"warmup-end-{i}", scalex=False, scaley=False)
    k = int(np.argmax(rates))
    if rates[k] > 0 or not opts.log:
        ax.plot([float(to_x(s, int(steps[k]), opts.x))], [float(rates[k])], "o", ms=4,
                color=color, zorder=3, gid=f"peak-{i}", clip_on=False)
    if b == s.total_steps and (not opts.log or rates[-1] >= ax.get_ylim()[0]):
        ax.plot([float(to_x(s, int(steps[-1]), opts.x))], [float(rates[-1])], "o", ms=4,
                color=color, mfc="white", mew=1.2, zorder=3, gid=f"final-{i}", clip_on=False)


def _add_inset(ax: Axes, curves: Sequence[Curve], data: list[tuple[np.ndarray, np.ndarray]],
               colors: list[str], opts: PlotOptions,
               zoomed: list[tuple[int, int]] | None) -> None:
    """The other view of the warmup: see :func:`warmupctl.render.inset.add`."""
    marks, drops = [], []
    x0, x1 = ax.get_xlim()
    for ln in ax.get_lines():
        gid = str(ln.get_gid())
        x = (float(ln.get_xdata()[0]) - x0) / (x1 - x0)
        if gid in ("warmup-end", "decay-end", "cooldown-start"):
            marks.append(x)
        elif gid.startswith("warmup-end-"):  # a sweep's drop line: from the axis to its curve
            top = _axes_fraction(ax, float(ln.get_ydata()[1]), opts.log)
            drops.append((np.array([x, x]), np.array([0.0, top])))
    _inset.add(
        ax, curves, data, zoomed, marks=marks, drops=drops, colors=colors,
        styles=[_linestyle(i) for i in range(len(curves))], unit=opts.x, log=opts.log,
        columns=OVERSAMPLE * pixel_columns(opts.size, opts.dpi),
        x_label=lambda v: _x_label(v, opts.x),
        y_label=_log_rate_tick if opts.log else _rate_tick, grey=ANNOTATION_GREY,
    )


def _final_rate(final: float, peak: float) -> str:
    """The last step's rate; ``≈0`` when a decay to 0 leaves a sliver (a cosine to 0 over L
    steps ends at peak·π²/(4L²), 7.7×10⁻¹⁴ for the default), which reads as a mistake."""
    if 0 < final < 1e-6 * peak:
        return "≈0"
    return format_rate(final)


def _legend_text(curve: Curve, steps: np.ndarray, rates: np.ndarray, single: bool,
                 full: bool, sweep: str | None = None, show_peak: bool = True) -> str:
    s = curve.schedule
    n = s.total_steps
    w = s.warmup_steps
    if sweep is not None:
        # a sweep: say what the swept value came to, and the peak when it differs between curves
        value = curve.label.partition(" ")[2].replace("_", "")
        in_steps = value.isdigit()  # the value is already a step count: do not repeat it
        parts = {
            "warmup": [] if in_steps else [f"{w:,} steps"],
            "total": [] if in_steps else [f"{n:,} steps"],
            "peak_lr": [],  # the value is the peak: saying it twice adds nothing
            # a final rate given as a % of the peak: what it comes to
            "final_lr": [_final_rate(float(rates[-1]), float(np.max(rates)))]
            if full and value.endswith("%") else [],
        }.get(sweep, [])
        if show_peak and sweep != "peak_lr":
            parts.append(f"peak {format_rate(float(np.max(rates)))}")
        return f"{curve.label}" + (f" ({', '.join(parts)})" if parts else "")
    if single:
        parts = [f"{n:,} steps"]
        wshape = s.meta.get("warmup_shape")
        parts.append(f"{wshape} warmup" if w and wshape else "no warmup" if not w else "warmup")
        dshape = s.meta.get("decay_shape")
        if dshape == "constant":
            parts.append("then constant" if w else "constant")  # nothing decays
        elif dshape:
            parts.append(f"{dshape.replace('_', ' ')} decay")
        else:
            # a phases spec: the shapes after the warmup, in order (not the closing hold)
            after = [p.shape for p in s.phases if p.start >= w and p.role != "hold"]
            shapes = [x for i, x in enumerate(after) if i == 0 or x != after[i - 1]]
            if shapes:
                parts.append(("then " if w else "") + ", ".join(x.replace("_", " ")
                                                                 for x in shapes))
        return f"{curve.label} — " + ", ".join(parts)
    parts = [f"{format_count(n)} steps"]
    parts.append(f"warmup {w:,} ({format_percent(w / n)})" if w else "no warmup")
    parts.append(f"peak {format_rate(float(np.max(rates)))}")
    if full:
        parts.append(f"final {_final_rate(float(rates[-1]), float(np.max(rates)))}")
    return f"{curve.label} — " + " · ".join(parts)


# ------------------------------------------------------------------------------------------
# The figure
# ------------------------------------------------------------------------------------------


#: at most this many characters of a user's text (a name, a description, --title) are drawn
TEXT_LIMIT = 300


def _plain(text: str) -> str:
    """User text as drawn: runs of white space (a folded YAML description's line breaks) made one
    space, then every control character and lone surrogate written as a visible escape
    (:func:`warmupctl.textsafe.visible`), at most :data:`TEXT_LIMIT` characters."""
    return visible(" ".join(str(text).split()), TEXT_LIMIT)


def _no_math(text: str) -> str:
    """``text`` with every ``$`` escaped, so matplotlib draws it as written and never reads a
    name such as ``$\\frac{}$`` as mathtext. Applied last, after wrapping, so no line break
    separates a backslash from its ``$``."""
    return text.replace("$", r"\$")


def _wrap(text: str, chars: int) -> str:
    """``text`` broken into lines of at most ``chars`` characters (at spaces)."""
    import textwrap

    if len(text) <= chars:
        return text
    return "\n".join(textwrap.wrap(text, max(12, chars), break_on_hyphens=False))


def pixel_columns(size: tuple[float, float], dpi: float) -> int:
    """Pixel columns across the whole figure (an upper bound for the plot area)."""
    return int(math.ceil(size[0] * dpi))


def _linestyle(i: int) -> Any:
    """Curve i's line style; from the eighth curve on, shifted by one per round of the palette,
    so no two curves share both colour and style."""
    return LINESTYLES[(i + i // len(PALETTE)) % len(LINESTYLES)]


def _colors(n: int, sequential: bool) -> list[str]:
    if not sequential or n < 2:
        return [PALETTE[i % len(PALETTE)] for i in range(n)]
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    return [matplotlib.colors.to_hex(cmap(v)) for v in np.linspace(0.82, 0.0, n)]


def build_figure(curves: Sequence[Curve], options: PlotOptions | None = None) -> Figure:
    """A :class:`~matplotlib.figure.Figure` with one line per curve (``gid`` ``curve-<i>``).

    The line's x data are the plotted steps in the chosen unit, its y data the engine's rates at
    those steps. Raises :class:`WarmupctlError` for options that do not fit the curves.
    """
    opts = options or PlotOptions()
    if not curves:
        raise WarmupctlError("nothing to plot")
    check_x_unit(list(curves), opts.x)
    check_size(opts.size, opts.dpi)
    curves = [Curve(c.schedule, _plain(c.label)) for c in curves]
    windows = [window(c.schedule, opts.range) for c in curves]
    zoomed = None
    if opts.sweep == "warmup" and opts.range is None and opts.warmup_view:
        zoomed = _inset.sweep_zoom_windows(curves)
        windows = zoomed or windows
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise WarmupctlError(f"plotting needs matplotlib ({exc}); pip install matplotlib") from None

    buckets = OVERSAMPLE * pixel_columns(opts.size, opts.dpi)
    data = []
    for c, (a, b) in zip(curves, windows, strict=True):
        steps, rates = reduce_curve(c.schedule, a, b, buckets)
        data.append((steps, rates))

    single = len(curves) == 1
    colors = _colors(len(curves), opts.sweep is not None)
    peaks = {float(np.max(r)) for _, r in data}
    with _style():
        fig = Figure(figsize=opts.size, dpi=opts.dpi, layout="constrained")
        ax = fig.add_subplot()
        lo = min(float(to_x(c.schedule, a, opts.x)) for c, (a, _) in zip(curves, windows,
                                                                       strict=True))
        hi = max(float(to_x(c.schedule, b - 1, opts.x)) for c, (_, b) in zip(curves, windows,
                                                                           strict=True))
        ymax = max(float(np.max(r)) for _, r in data)
        positive = [float(np.min(r[r > 0])) for _, r in data if np.any(r > 0)]
        _setup_axes(ax, opts, lo, hi, min(positive) if positive else 0.0, ymax,
                    min(float(np.min(r)) for _, r in data))
        for i, (c, (steps, rates), (_a, b)) in enumerate(zip(curves, data, windows,
                                                             strict=True)):
            full = b == c.schedule.total_steps
            ax.plot(
                to_x(c.schedule, steps, opts.x), rates,
                color=colors[i], ls=_linestyle(i), lw=1.8 if single else 1.6,
                label=_legend_text(c, steps, rates, single, full, opts.sweep, len(peaks) > 1),
                gid=f"curve-{i}",
                zorder=2 + 0.01 * (len(curves) - i),
            )
        if opts.annotate:
            axes_width_pt = opts.size[0] * 72.0 * 0.80
            for i, (c, (steps, rates), (a, b)) in enumerate(zip(curves, data, windows,
                                                                strict=True)):
                if single:
                    _annotate_single(ax, c, colors[i], steps, rates, a, b, opts, axes_width_pt)
                else:
                    _annotate_overlay(ax, c, colors[i], steps, rates, a, b, opts, i)
        if opts.annotate and opts.range is None and opts.warmup_view:
            _add_inset(ax, curves, data, colors, opts, zoomed)
        # the curves as handles, so a label starting with '_' is shown too (matplotlib would
        # hide it) and no line of an inset is collected
        handles = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith("curve-")]
        legend_chars = int((opts.size[0] * 72.0 - 60.0) / (STYLE["legend.fontsize"] * CHAR_EM))
        fig.legend(handles, [_no_math(_wrap(h.get_label(), legend_chars)) for h in handles],
                   loc="outside lower center", frameon=False, ncols=1,
                   handlelength=3.2, borderaxespad=0.2)
        title = opts.title
        if title is None:
            if single:
                s = curves[0].schedule
                title = s.description or curves[0].label
            else:
                title = " vs ".join(c.label for c in curves)
                if len(title) > 90:
                    title = f"{len(curves)} schedules"
        if title:
            title = _wrap(_plain(title), int(opts.size[0] * 72.0 / (11.0 * CHAR_EM)))
            fig.suptitle(_no_math(title), fontsize=11)
    return fig


def save_figure(fig: Figure, stream: IO[bytes], fmt: str, dpi: float | None = None) -> None:
    """Write ``fig`` to a binary stream as ``fmt`` with no dates, so the bytes are reproducible."""
    if fmt not in FORMATS:
        raise WarmupctlError(f"unknown format {fmt!r}: plot writes {', '.join(FORMATS)}")
    metadata: dict[str, Any] = {
        "png": {"Software": None},
        "svg": {"Date": None},
        "pdf": {"CreationDate": None, "ModDate": None},
    }[fmt]
    buffer = io.BytesIO()  # nothing reaches the stream (stdout, too) before the checks pass
    with _style(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _draw(fig, buffer, fmt, dpi, metadata)
    for w in caught:
        if "constrained_layout not applied" in str(w.message):
            # the legend and labels took the whole figure: refuse rather than write a plot
            # with no room for its curves
            width, height = fig.get_size_inches()
            n = len(fig.legends[0].get_texts()) if fig.legends else 1
            raise WarmupctlError(
                f"a {width:g}×{height:g}-inch figure has no room left for the curves after its "
                f"title, labels and a legend of {n} curve{'s' if n > 1 else ''}: give a larger "
                f"--size, e.g. {max(8.0, width):g},{max(4.5, 2 * height):g}"
            )
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    stream.write(buffer.getbuffer())


def _draw(fig: Figure, stream: IO[bytes], fmt: str, dpi: float | None,
          metadata: dict[str, Any]) -> None:
    if fmt == "png":
        # Straight to the Agg canvas: one draw, with the layout done inside it. savefig would
        # first draw the whole figure once more with drawing switched off, only to lay it out;
        # the pixels are the same either way.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if dpi is not None and dpi != fig.dpi:
            fig.set_dpi(dpi)
        # zlib level 1: about 3x faster to encode than the default 6, files ~10% larger
        FigureCanvasAgg(fig).print_png(stream, metadata=metadata,
                                       pil_kwargs={"compress_level": 1})
    else:
        fig.savefig(stream, format=fmt, dpi=dpi or fig.dpi, metadata=metadata)


def write_plot(curves: Sequence[Curve], path: str, fmt: str | None = None,
               options: PlotOptions | None = None) -> str:
    """Draw ``curves`` and write the figure to ``path`` atomically; returns the format used."""
    opts = options or PlotOptions()
    fmt = output_format(path, fmt)
    fig = build_figure(curves, opts)
    with atomic_writer(path) as stream:
        save_figure(fig, stream, fmt, opts.dpi)
    return fmt


__all__ = [
    "FORMATS", "PlotOptions", "build_figure", "save_figure", "write_plot", "output_format",
    "check_size", "pixel_columns",
]
