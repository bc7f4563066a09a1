"""Cosine restarts with more cycles than are listed one by one: their sum in O(1) per cycle (or
O(1) in all for equal cycles) and a few steps per column for a sparkline, whatever the run length.

Pure: no I/O. The cycle of a step is the engine's own (:func:`warmupctl.engine._cycle`), so the
rates used here are exactly those of :meth:`warmupctl.engine.Phase.evaluate`.
"""

from __future__ import annotations

import math

import numpy as np

from .engine import (
    FloatArray,
    IntArray,
    Phase,
    Schedule,
    _cycle,
    _cycle_geometry,
    _fsum,
    breakpoints,
    restart_steps,
    unique_steps,
)

#: a ``cosine_restarts`` phase with up to this many cycles is summed cycle by cycle in closed
#: form (about half a second); with more, only equal cycles (a whole-step ``period``) have a sum
MAX_SUMMED_CYCLES = 1 << 20
#: cycles summed per NumPy pass
_CYCLE_CHUNK = 1 << 18


def _cycles_sum(ph: Phase, first: int, last: int, m: int) -> float:
    """The rates of cycles ``first … last − 1`` of a ``cosine_restarts`` phase, cut at offset
    ``m``, in O(1) per cycle.

    In each cycle the first two and the last two steps are evaluated by :meth:`Phase.evaluate`
    (the engine finds a step's cycle in floating point, and may place a step next to a restart in
    the neighbouring cycle; these steps get exactly the engine's rate). The steps between them,
    ``u … u + K − 1``, add ``K·b + (top − b)·Σw`` with ``w = ½(1 + cos θ(x − s))``, ``θ = π/P``,
    and ``Σ cos(θ(x − s)) = sin(Kθ/2)/sin(θ/2)·cos(θ(u − s) + (K − 1)θ/2)`` (the sum of a
    sampled cosine)."""
    i = np.arange(first, last, dtype=np.float64)
    s, p = _cycle_geometry(ph, i)
    s_next, _ = _cycle_geometry(ph, i + 1.0)
    c = np.ceil(s).astype(np.int64)
    e = np.minimum(np.ceil(s_next).astype(np.int64), m)
    ends = np.stack([c, c + 1, e - 2, e - 1])
    valid = np.stack([c < e, c + 1 < e, e - 2 >= c + 2, e - 1 >= c + 2])
    steps = ends[valid]
    edge_sum = float(np.sum(ph.evaluate(ph.start + steps))) if steps.size else 0.0
    k = np.maximum(e - c - 4, 0).astype(np.float64)
    theta = np.pi / p
    u = c.astype(np.float64) + 2.0
    half = np.sin(theta / 2.0)
    cosines = np.where(k > 0, np.sin(k * theta / 2.0) / half
                       * np.cos(theta * (u - s) + (k - 1.0) * theta / 2.0), 0.0)
    weights = 0.5 * k + 0.5 * cosines
    decay = float(ph.params.get("cycle_decay", 1.0))
    top = ph.a * decay**i if decay != 1.0 else np.full(i.shape, ph.a)
    inner = top * weights + ph.b * (k - weights)
    return edge_sum + float(np.sum(inner))


def restarts_sum(ph: Phase, m: int) -> float:
    """The sum of the rates of the first ``m`` steps of a ``cosine_restarts`` phase, without
    visiting every step, or NaN when it is not computed.

    Cycles of a whole-step ``period`` P (no ``period_mult``) are all alike: step k of cycle i
    has the rate ``top_i·w_k + b·(1 − w_k)``, ``w_k = ½(1 + cos πk/P)``, and
    ``Σ_k w_k = (P + 1)/2`` exactly (``Σ_{k<P} cos πk/P = 1``), so F whole cycles add
    ``(P + 1)/2·Σ top_i + (P − 1)/2·F·b`` with ``Σ top_i`` a geometric series: O(1) for any
    number of cycles. The last, partial cycle, and the cycles of ``cycles: n`` or of a
    ``period_mult``, are summed cycle by cycle by :func:`_cycles_sum`, up to
    :data:`MAX_SUMMED_CYCLES` of them; with more (``cycles`` above a million, or a ``period_mult``
    within a hair of 1) the sum is not computed: NaN."""
    if m <= 0:
        return 0.0
    equal = "cycles" not in ph.params and float(ph.params.get("period_mult", 1.0)) == 1.0
    if not equal:
        cycles = int(_cycle(np.array([m - 1]), ph)[0][0]) + 1
        if cycles > MAX_SUMMED_CYCLES:
            return math.nan
        return _fsum(_cycles_sum(ph, j, min(cycles, j + _CYCLE_CHUNK), m)
                         for j in range(0, cycles, _CYCLE_CHUNK))
    period = int(ph.params["period"])
    whole = m // period
    decay = float(ph.params.get("cycle_decay", 1.0))
    if decay == 1.0:
        tops = ph.a * whole
    else:
        tops = ph.a * math.expm1(whole * math.log(decay)) / math.expm1(math.log(decay))
    total = (period + 1) / 2 * tops + (period - 1) / 2 * whole * ph.b
    if whole * period < m:
        total += _cycles_sum(ph, whole, whole + 1, m)
    return total


def restart_candidates(ph: Phase, lo: IntArray, hi: IntArray) -> IntArray:
    """For windows ``[lo, hi)`` inside a ``cosine_restarts`` phase: the first and the last
    restart in each window with the two steps before and the step after each (the engine finds a
    step's cycle in floating point), clipped to the window; O(1) per window, however many cycles
    it holds.

    Each cycle is monotone and the tops ``a·d^i`` never grow (``cycle_decay`` ≤ 1), so with the
    window's ends these steps hold its largest and smallest rate: the top of its first cycle and
    the end of its last; only cycles of a fractional length, whose first and last steps sit at
    slightly different places in their cycle, can differ from that by rounding-sized amounts."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    i_lo, _ = _cycle(lo - ph.start, ph)
    i_hi, _ = _cycle(hi - 1 - ph.start, ph)
    first = ph.start + np.ceil(_cycle_geometry(ph, i_lo + 1.0)[0]).astype(np.int64)
    last = ph.start + np.ceil(_cycle_geometry(ph, i_hi)[0]).astype(np.int64)
    near = np.array([-2, -1, 0, 1], dtype=np.int64)[:, None]
    steps = np.concatenate([first[None, :] + near, last[None, :] + near])
    return np.clip(steps, lo[None, :], hi[None, :] - 1).ravel()


def many_restarts(schedule: Schedule) -> bool:
    """The run has a ``cosine_restarts`` phase with more cycles than :func:`restart_steps`
    lists (so :func:`breakpoints` leaves its restarts out)."""
    return any(ph.shape == "cosine_restarts" and restart_steps(ph) is None
               for ph in schedule.phases)


def window_maxima(schedule: Schedule, edges: IntArray) -> FloatArray:
    """The largest rate of each window ``edges[k] … edges[k+1] − 1``, from a bounded number of
    steps per window whatever the run length or the number of restart cycles: the window ends,
    the :func:`breakpoints` either side, and the :func:`restart_candidates` of restart phases
    with more cycles than :func:`restart_steps` lists."""
    edges = np.asarray(edges, dtype=np.int64)
    a, b = int(edges[0]), int(edges[-1])
    bps = breakpoints(schedule, a, b)
    parts = [edges[:-1], edges[1:] - 1, bps, bps - 1, np.minimum(bps + 1, b - 1)]
    for ph in schedule.phases:
        if ph.shape != "cosine_restarts" or restart_steps(ph) is not None:
            continue
        lo = np.clip(edges[:-1], ph.start, min(ph.end, b))
        hi = np.clip(edges[1:], ph.start, min(ph.end, b))
        keep = hi > lo
        if keep.any():
            parts.append(restart_candidates(ph, lo[keep], hi[keep]))
    steps = unique_steps(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts]))
    steps = steps[(steps >= a) & (steps < b)]
    rates = schedule.at(steps)
    return np.maximum.reduceat(rates, np.searchsorted(steps, edges[:-1]))
