"""Reduce a long curve to the points a picture of a given width can show (pure NumPy).

A plot of 10^8 steps is drawn on about a thousand pixel columns, so almost every step is invisible.
:func:`reduce_curve` keeps, for every *bucket* of consecutive steps (the caller makes a bucket
narrower than a pixel column), the bucket's first and last step and the steps where its minimum
and maximum are reached — the M4 aggregation of Jugel et al., "M4: A Visualization-Oriented Time
Series Data Aggregation", PVLDB 7(10), 2014 — plus every phase boundary and the step before it, and
the first and last step of the window. A line drawn through these points covers, in every bucket,
exactly the vertical extent of the full curve and enters and leaves it at the same values, so the
rendered figure is the same as the one drawn from every step.

Two ways to find a bucket's extremes, both exact:

* **scan** — evaluate every step, chunk by chunk with :meth:`Schedule.window` (at most
  :data:`CHUNK` steps in memory at a time), and take per-bucket ``min``/``max`` with
  ``np.minimum.reduceat``. Used for windows up to :data:`SCAN_BUDGET` steps, and for a
  ``cosine_restarts`` phase with more than :data:`warmupctl.engine.MAX_RESTARTS` cycles.
* **monotone** — every shape is monotone between its *breakpoints* (phase starts, step-decay
  milestones, the start of a WSD cooldown, the restarts of ``cosine_restarts``). On a monotone
  stretch the extremes of a bucket are at its ends, so evaluating the bucket ends and the
  breakpoints (with the steps either side) gives the same minimum and maximum without touching
  the steps in between. The values are the engine's own
  (evaluated by :meth:`Schedule.at`); they can differ from a full scan only where floating-point
  rounding makes a mathematically monotone formula wiggle by an ulp.

Nothing here imports matplotlib; the sparkline and the terminal preview use the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import engine
from ..engine import Phase, Schedule, breakpoints, restart_steps
from ..engine import unique_steps as _unique

#: windows up to this many steps are scanned step by step (about 0.1 s of NumPy on one core)
SCAN_BUDGET = 1 << 22

#: shapes that are monotone between breakpoints (see :func:`breakpoints`)
MONOTONE_SHAPES = frozenset(
    {"linear", "constant", "cosine", "polynomial", "exponential", "inverse_sqrt", "step", "wsd"}
)


@dataclass(frozen=True)
class Buckets:
    """Per-bucket extremes of a window: ``edges[k] … edges[k+1] − 1`` is bucket ``k``."""

    edges: np.ndarray  # int64, len = buckets + 1, edges[0] = a, edges[-1] = b
    min_step: np.ndarray  # int64, first step where the bucket's minimum is reached
    min_value: np.ndarray  # float64
    max_step: np.ndarray  # int64, first step where the bucket's maximum is reached
    max_value: np.ndarray  # float64


def bucket_edges(a: int, b: int, buckets: int) -> np.ndarray:
    """``buckets`` + 1 integer edges splitting ``[a, b)`` into near-equal runs (never empty)."""
    n = b - a
    k = max(1, min(int(buckets), n))
    # floor(i·n / k) without forming i·n, which overflows int64 once n·k > 2^63 (a run of
    # 4×10^15 steps at 2,400 buckets): with n = q·k + r it is i·q + floor(i·r / k), and both
    # products stay below n and k² respectively
    q, r = divmod(n, k)
    i = np.arange(k + 1, dtype=np.int64)
    return a + i * q + (i * r) // k


def _is_monotone_between_breakpoints(ph: Phase) -> bool:
    return ph.shape in MONOTONE_SHAPES or (
        ph.shape == "cosine_restarts" and restart_steps(ph) is not None
    )


def phase_boundaries(schedule: Schedule, a: int, b: int) -> np.ndarray:
    """Starts of phases (other than the first) inside ``(a, b)``."""
    starts = np.array([ph.start for ph in schedule.phases[1:]], dtype=np.int64)
    return starts[(starts > a) & (starts < b)]


def _segment_extremes(values: np.ndarray, starts: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the segments of ``values`` that begin at ``starts`` (sorted, the first at 0): each
    segment's minimum and maximum and the index of the first value equal to each."""
    seg = np.repeat(np.arange(starts.size), np.diff(np.append(starts, values.size)))
    idx = np.arange(values.size, dtype=np.int64)
    big = np.int64(values.size)
    mins = np.minimum.reduceat(values, starts)
    maxs = np.maximum.reduceat(values, starts)
    first_min = np.minimum.reduceat(np.where(values == mins[seg], idx, big), starts)
    first_max = np.minimum.reduceat(np.where(values == maxs[seg], idx, big), starts)
    return mins, maxs, first_min, first_max


def _scan_candidates(schedule: Schedule, lo: int, hi: int, edges: np.ndarray) -> np.ndarray:
    """Every step in ``[lo, hi)`` is evaluated, chunk by chunk; returns, for each part of a bucket
    inside each chunk, the step of its first minimum and of its first maximum."""
    out: list[np.ndarray] = []
    for c0 in range(lo, hi, engine.CHUNK):
        c1 = min(hi, c0 + engine.CHUNK)
        vals = schedule.window(c0, c1)
        k0 = int(np.searchsorted(edges, c0, side="right")) - 1
        k1 = int(np.searchsorted(edges, c1 - 1, side="right")) - 1
        starts = np.maximum(edges[k0 : k1 + 1], c0) - c0
        _, _, first_min, first_max = _segment_extremes(vals, starts)
        out.append(c0 + first_min)
        out.append(c0 + first_max)
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


def _candidates(schedule: Schedule, a: int, b: int, edges: np.ndarray, method: str) -> np.ndarray:
    """Sorted steps that contain, for every bucket, its first and last step and its extremes."""
    parts = [edges[:-1], edges[1:] - 1, [a, min(a + 1, b - 1)]]
    bps = breakpoints(schedule, a, b)
    # the step after a breakpoint too: a warmup from 0 has its first positive rate there,
    # which a log axis needs (it cannot show the 0)
    parts += [bps, bps - 1, np.minimum(bps + 1, b - 1)]
    scan_all = method == "scan" or (method == "auto" and b - a <= SCAN_BUDGET)
    for ph in schedule.phases:
        lo, hi = max(a, ph.start), min(b, ph.end, schedule.total_steps)
        if lo >= hi:
            continue
        if scan_all or not _is_monotone_between_breakpoints(ph):
            parts.append(_scan_candidates(schedule, lo, hi, edges))
    return _unique(np.concatenate(parts))


def bucket_extremes(
    schedule: Schedule, a: int, b: int, buckets: int, method: str = "auto"
) -> tuple[Buckets, np.ndarray, np.ndarray]:
    """Exact per-bucket minimum and maximum of ``lr`` over ``[a, b)``.

    ``method`` is ``"scan"`` (evaluate every step, chunked), ``"monotone"`` (bucket ends and
    breakpoints for monotone shapes, scan for the others) or ``"auto"`` (scan small windows).
    Also returns the candidate steps and their rates (a superset of the extremes' steps).
    """
    if method not in ("auto", "scan", "monotone"):
        raise ValueError(f"method must be auto, scan or monotone, not {method!r}")
    a = max(0, int(a))
    b = min(schedule.total_steps, int(b))
    if b <= a:
        raise ValueError(f"empty window [{a}, {b})")
    edges = bucket_edges(a, b, buckets)
    steps = _candidates(schedule, a, b, edges, method)
    rates = schedule.at(steps)
    starts = np.searchsorted(steps, edges[:-1])  # each bucket's first step is a candidate
    mins, maxs, imin, imax = _segment_extremes(rates, starts)
    info = Buckets(edges, steps[imin], mins, steps[imax], maxs)
    return info, steps, rates


def reduce_curve(
    schedule: Schedule,
    a: int = 0,
    b: int | None = None,
    buckets: int = 2048,
    *,
    factor: int = 4,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """The steps and rates to draw for the window ``[a, b)`` at ``buckets`` buckets.

    A window of at most ``factor × buckets`` steps is returned whole. A longer one is reduced to,
    per bucket, its first and last step and the first steps of its minimum and maximum, plus every
    breakpoint (phase boundaries, milestones, cooldown starts) with the steps either side of it,
    and the window's first two steps and last step; never more than about ``4 × buckets`` points
    (plus three per breakpoint), whatever the length of the run. The rates are the engine's.
    """
    b = schedule.total_steps if b is None else b
    a = max(0, int(a))
    b = min(schedule.total_steps, int(b))
    if b <= a:
        raise ValueError(f"empty window [{a}, {b})")
    if b - a <= factor * buckets:
        return np.arange(a, b, dtype=np.int64), schedule.window(a, b)
    info, steps, rates = bucket_extremes(schedule, a, b, buckets, method)
    edges = info.edges
    bounds = phase_boundaries(schedule, a, b)
    bps = breakpoints(schedule, a, b)
    keep = _unique(np.concatenate([
        edges[:-1], edges[1:] - 1, info.min_step, info.max_step, bounds, bounds - 1,
        bps, bps - 1, np.minimum(bps + 1, b - 1), [a, min(a + 1, b - 1), b - 1],
    ]))
    pos = np.searchsorted(steps, keep)
    # every kept step is a candidate, so its rate is already known
    return keep, rates[pos]


def column_max(schedule: Schedule, columns: int, a: int = 0, b: int | None = None) -> np.ndarray:
    """The exact maximum rate of each of ``columns`` equal runs of steps (for sparklines).

    Uses the breakpoint method: a few evaluations per column whatever the run length."""
    b = schedule.total_steps if b is None else b
    info, _, _ = bucket_extremes(schedule, a, b, columns, method="monotone")
    return info.max_value


__all__ = [
    "Buckets", "SCAN_BUDGET", "MONOTONE_SHAPES", "bucket_edges", "breakpoints",
    "phase_boundaries", "bucket_extremes", "reduce_curve", "column_max",
]
