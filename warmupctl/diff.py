"""Comparing two learning-rate curves step by step, and naming the difference.

Pure: no I/O, no printing. A :class:`Side` is one curve — a compiled :class:`Schedule` (from a
spec, a preset or an imported trainer config) or a table of rates (a ``json``/``csv``/``npy``
export, or rates logged from a trainer; read by :mod:`warmupctl.tables`). :func:`compare` walks
both and returns a :class:`Diff`: whether they agree within ``rtol`` at every step, the first
step where they do not, the largest absolute and relative difference, the totals, warmups, peaks
and final rates of both, and the known patterns the numbers show:

* ``shift`` — ``B(t) = A(t − k)`` wherever they differ (DeepSpeed's one-update lag, k = 1);
* ``scaled`` — ``B = c·A`` at every step (a peak c× higher or lower);
* ``warmup`` — B's warmup is A's squeezed or stretched N× in time (``B(t) = A(N·t)``), or the
  whole schedule is (a scheduler stepped N times per update, as accelerate does per process);
* ``floor`` — one curve ends at 0, the other at a floor, and their decays are the same curve
  apart from the floor (``A = α + β·B`` after the peak);
* ``total-steps`` — the runs have different lengths.

Every pattern is checked against the rates, never inferred from names or config fields.

Runs of up to :data:`SCAN_LIMIT` compared steps are scanned at every step (in chunks, so memory is
bounded). Longer ones are compared at every breakpoint of either curve (phase starts, milestones,
restarts, cooldown starts, where a floor takes over) with the steps around it, the first and last
:data:`EDGE` steps, and up to :data:`PER_STRETCH` steps spread over each stretch between
breakpoints — where every built-in shape is smooth and monotone; ``method`` says which was done.
Relative differences are ``|a − b| / max(|a|, |b|)`` (0 when both are 0), as in the export check.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .engine import CHUNK, Schedule, _kinks, breakpoints, unique_steps

#: runs with at most this many compared steps are compared at every step
SCAN_LIMIT = 1 << 26
#: steps compared at each end of a run too long to scan
EDGE = 1025
#: steps spread over each smooth stretch of a run too long to scan
PER_STRETCH = 1 << 16
#: the most steps a sampled comparison evaluates
MAX_POINTS = 1 << 22
#: a sampled comparison scans the gap before its first differing sample up to this many steps
REFINE_LIMIT = 1 << 22
#: shifts tried beyond the ones the peaks and warmups suggest
SMALL_SHIFTS = (1, -1, 2, -2)
#: shifts up to this many steps are found by matching rates around the first differing step
SHIFT_WINDOW = 1024
#: the relative tolerance of the affine check behind ``floor`` (its fit adds rounding)
AFFINE_RTOL = 1e-9
#: a warmup pattern needs at least this many steps where both warmups can be compared exactly
MIN_WARMUP_CHECKS = 3


@dataclass(frozen=True)
class Side:
    """One curve to compare: a schedule, or a table of the rate of every step."""

    label: str
    schedule: Schedule | None = None
    table: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.schedule is None) == (self.table is None):
            raise ValueError("a Side is a schedule or a table")

    @property
    def total_steps(self) -> int:
        if self.schedule is not None:
            return self.schedule.total_steps
        assert self.table is not None
        return int(self.table.shape[0])

    def values(self, steps: np.ndarray) -> np.ndarray:
        """Rates at sorted steps of the run (contiguous steps are evaluated as one window)."""
        if steps.size == 0:
            return np.empty(0, dtype=np.float64)
        if self.table is not None:
            return np.asarray(self.table[steps], dtype=np.float64)
        assert self.schedule is not None
        lo, hi = int(steps[0]), int(steps[-1])
        if hi - lo + 1 == steps.size:
            return self.schedule.window(lo, hi + 1)
        return self.schedule.at(steps)

    def cuts(self) -> np.ndarray:
        """Steps where the curve may jump, bend or change formula (empty for a table)."""
        if self.schedule is None:
            return np.empty(0, dtype=np.int64)
        s = self.schedule
        n = s.total_steps
        extra = [k for ph in s.phases for k in _kinks(ph)]
        extra += [ph.end for ph in s.phases if ph.end < n]
        return unique_steps(np.concatenate([breakpoints(s, 0, n), np.array(extra, np.int64)]))

    def peak(self) -> tuple[float, int]:
        """The largest rate and the first step that uses it."""
        if self.schedule is not None:
            return self.schedule.peak()
        assert self.table is not None
        best, where = -math.inf, 0
        for lo in range(0, self.total_steps, CHUNK):
            chunk = np.asarray(self.table[lo:lo + CHUNK], dtype=np.float64)
            i = int(np.argmax(chunk))
            if chunk[i] > best:
                best, where = float(chunk[i]), lo + i
        return best, where

    def summary(self) -> dict[str, Any]:
        """Total steps, warmup length (the first step at the peak, when the curve rises to it),
        peak, and the first and final rates — all read from the rates."""
        n = self.total_steps
        peak, peak_step = self.peak()
        first = float(self.values(np.array([0], dtype=np.int64))[0])
        final = float(self.values(np.array([n - 1], dtype=np.int64))[0])
        return {
            "label": self.label,
            "total_steps": n,
            "warmup_steps": peak_step if first < peak else 0,
            "peak_lr": peak,
            "peak_step": peak_step,
            "first_lr": first,
            "final_lr": final,
        }


@dataclass
class Diff:
    """What :func:`compare` found (see :meth:`as_dict` for the JSON form)."""

    identical: bool
    method: str  # scan | sampled
    compared_steps: int
    evaluated_steps: int
    first_step: int | None
    first_step_exact: bool
    first_step_after: int | None  # sampled: the last agreeing sample before the first difference
    last_step: int | None
    differing_steps: int
    max_abs: float
    max_abs_step: int | None
    max_rel: float
    max_rel_step: int | None
    a: dict[str, Any]
    b: dict[str, Any]
    rtol: float
    atol: float
    patterns: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "identical": self.identical,
            "first_step": self.first_step,
            "max_abs": self.max_abs,
            "max_abs_step": self.max_abs_step,
            "max_rel": self.max_rel,
            "max_rel_step": self.max_rel_step,
            "patterns": self.patterns,
            "last_step": self.last_step,
            "differing_steps": self.differing_steps,
            "first_step_exact": self.first_step_exact,
            "first_step_after": self.first_step_after,
            "method": self.method,
            "compared_steps": self.compared_steps,
            "evaluated_steps": self.evaluated_steps,
            "rtol": self.rtol,
            "atol": self.atol,
            "a": self.a,
            "b": self.b,
            "differences": {key: self.b[key] - self.a[key] for key in
                            ("total_steps", "warmup_steps", "peak_lr", "final_lr")},
        }


def relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a − b| / max(|a|, |b|)``, 0 where both are 0 (symmetric, at most 1 for rates ≥ 0)."""
    scale = np.maximum(np.abs(a), np.abs(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, np.abs(a - b) / np.where(scale > 0, scale, 1.0), 0.0)


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    return np.abs(a - b) <= atol + rtol * np.maximum(np.abs(a), np.abs(b))


# --------------------------------------------------------------------------------------------
# Which steps are compared
# --------------------------------------------------------------------------------------------


def _scan_blocks(lo: int, hi: int) -> Iterator[np.ndarray]:
    for c in range(lo, hi, CHUNK):
        yield np.arange(c, min(hi, c + CHUNK), dtype=np.int64)


def sample_points(n: int, cuts: np.ndarray, per_stretch: int = PER_STRETCH,
                  limit: int = MAX_POINTS) -> np.ndarray:
    """Sorted steps of ``0 … n−1`` that stand for a run too long to scan: both ends, every cut
    with the two steps either side, and in each stretch between cuts a uniform and a geometric
    grid from both of its ends (fewer per stretch when there are many stretches)."""
    cuts = cuts[(cuts > 0) & (cuts < n)]
    edges = np.concatenate([[0], cuts, [n]]).astype(np.int64)
    stretches = max(1, edges.size - 1)
    per = min(per_stretch, limit // (2 * stretches))
    parts = [np.arange(0, min(n, EDGE), dtype=np.int64),
             np.arange(max(0, n - EDGE), n, dtype=np.int64)]
    near = np.arange(-2, 3, dtype=np.int64)
    parts.append((cuts[:, None] + near[None, :]).ravel())
    if per < 16:
        # thousands of stretches (restarts, milestones): their edges and one grid over the run
        parts.append((np.arange(limit // 2 + 1, dtype=np.int64) * (n - 1)) // (limit // 2))
        edges = edges[:1]
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        d = hi - lo
        if d <= 0:
            continue
        if d <= per:
            parts.append(np.arange(lo, hi, dtype=np.int64))
            continue
        uniform = lo + (np.arange(per // 2 + 1, dtype=np.int64) * (d - 1)) // (per // 2)
        geo = np.rint(np.geomspace(1.0, float(d - 1), per // 4)).astype(np.int64)
        parts += [uniform, lo + geo, hi - 1 - geo]
    pts = unique_steps(np.concatenate(parts))
    return pts[(pts >= 0) & (pts < n)]


def _point_blocks(points: np.ndarray) -> Iterator[np.ndarray]:
    for c in range(0, points.size, CHUNK):
        yield points[c:c + CHUNK]


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


@dataclass
class _Walk:
    """The steps :func:`compare` looks at: all of ``0 … n−1``, or a sample of them."""

    n: int
    points: np.ndarray | None  # None: every step

    def blocks(self, lo: int = 0, hi: int | None = None) -> Iterator[np.ndarray]:
        hi = self.n if hi is None else min(hi, self.n)
        lo = max(0, lo)
        if self.points is None:
            yield from _scan_blocks(lo, hi)
            return
        pts = self.points[(self.points >= lo) & (self.points < hi)]
        yield from _point_blocks(pts)

    @property
    def evaluated(self) -> int:
        return self.n if self.points is None else int(self.points.size)


def compare(a: Side, b: Side, *, rtol: float = 1e-12, atol: float = 0.0,
            scan_limit: int = SCAN_LIMIT) -> Diff:
    """Compare ``b`` with ``a`` at every step they share (see the module docstring)."""
    sa, sb = a.summary(), b.summary()
    n = min(a.total_steps, b.total_steps)
    if n <= scan_limit:
        walk = _Walk(n, None)
    else:
        walk = _Walk(n, sample_points(n, unique_steps(np.concatenate([a.cuts(), b.cuts()]))))
    first = last = None
    count = 0
    max_abs, max_abs_step, max_rel, max_rel_step = 0.0, None, 0.0, None
    for steps in walk.blocks():
        va, vb = a.values(steps), b.values(steps)
        absd = np.abs(va - vb)
        rel = relative(va, vb)
        bad = ~_close(va, vb, rtol, atol)
        i = int(np.argmax(absd))
        if absd[i] > max_abs:
            max_abs, max_abs_step = float(absd[i]), int(steps[i])
        j = int(np.argmax(rel))
        if rel[j] > max_rel:
            max_rel, max_rel_step = float(rel[j]), int(steps[j])
        if bad.any():
            where = np.flatnonzero(bad)
            if first is None:
                first = int(steps[where[0]])
            last = int(steps[where[-1]])
            count += int(where.size)
    first_exact, after = True, None
    if first is not None and walk.points is not None:
        first, first_exact, after = _refine_first(a, b, walk.points, first, rtol, atol)
    if first is None and a.total_steps != b.total_steps:
        first = n  # the first step only one of them has
    diff = Diff(
        identical=first is None,
        method="scan" if walk.points is None else "sampled",
        compared_steps=n,
        evaluated_steps=walk.evaluated,
        first_step=first,
        first_step_exact=first_exact,
        first_step_after=after,
        last_step=last,
        differing_steps=count,
        max_abs=max_abs,
        max_abs_step=max_abs_step,
        max_rel=max_rel,
        max_rel_step=max_rel_step,
        a=sa,
        b=sb,
        rtol=rtol,
        atol=atol,
    )
    if not diff.identical:
        diff.patterns = find_patterns(a, b, diff, walk)
    return diff


def _refine_first(a: Side, b: Side, points: np.ndarray, first: int, rtol: float,
                  atol: float) -> tuple[int, bool, int | None]:
    """A sampled run: scan the gap between the last agreeing sample and the first differing one,
    when it is short enough; else say the difference starts somewhere in that gap."""
    k = int(np.searchsorted(points, first))
    prev = int(points[k - 1]) if k > 0 else -1
    if first - prev - 1 > REFINE_LIMIT:
        return first, False, prev
    for steps in _scan_blocks(prev + 1, first):
        bad = ~_close(a.values(steps), b.values(steps), rtol, atol)
        if bad.any():
            return int(steps[int(np.argmax(bad))]), True, None
    return first, True, None


# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------


def find_patterns(a: Side, b: Side, diff: Diff, walk: _Walk) -> list[dict[str, Any]]:
    """The known patterns the two curves show (each checked on the rates)."""
    tol = max(diff.rtol, 1e-12)
    out: list[dict[str, Any]] = []
    if diff.first_step is not None and diff.last_step is not None:
        found = _shift(a, b, diff, walk, tol)
        if found:
            out.append(found)
        found = _scaled(a, b, diff, walk, tol)
        if found:
            out.append(found)
    for finder in (_warmup, _floor):
        found = finder(a, b, diff, walk, tol)
        if found:
            out.append(found)
    na, nb = a.total_steps, b.total_steps
    if na != nb:
        out.append({
            "pattern": "total-steps",
            "a": na,
            "b": nb,
            "message": f"B runs {abs(nb - na):,} steps {'longer' if nb > na else 'shorter'} "
                       f"than A ({nb:,} vs {na:,} steps); steps from {min(na, nb):,} on exist "
                       "in only one of them",
        })
    return out


def _holds(walk: _Walk, lo: int, hi: int, left: Any, right: Any, tol: float,
           atol: float = 0.0) -> int:
    """How many steps of ``[lo, hi)`` satisfy ``left(steps) ≈ right(steps)``; −1 at the first
    step that does not."""
    checked = 0
    for steps in walk.blocks(lo, hi):
        if not np.all(_close(left(steps), right(steps), tol, atol)):
            return -1
        checked += int(steps.size)
    return checked


def _shift(a: Side, b: Side, diff: Diff, walk: _Walk, tol: float) -> dict[str, Any] | None:
    """``B(t) = A(t − k)`` on every differing step (so the curves are the same, k steps apart,
    on that stretch, and identical elsewhere)."""
    assert diff.first_step is not None and diff.last_step is not None
    lo, hi = diff.first_step, diff.last_step + 1
    suggested = [diff.b["peak_step"] - diff.a["peak_step"],
                 diff.b["warmup_steps"] - diff.a["warmup_steps"], *SMALL_SHIFTS,
                 *_matching_offsets(a, b, diff, tol)]
    n = diff.compared_steps
    for k in dict.fromkeys(suggested):
        if k == 0 or abs(k) >= max(2, n // 2):
            continue
        start = max(lo, k)  # B(t) for t < k has no A(t − k)
        stop = min(hi, a.total_steps + k, b.total_steps)
        if stop - start <= 0 or start - lo > abs(k):
            continue
        checked = _holds(walk, start, stop, b.values, lambda s, k=k: a.values(s - k), tol,
                         diff.atol)
        if checked <= 0:
            continue
        whole = lo <= abs(k) and diff.last_step >= n - 1 - abs(k)
        lag = "lags A by" if k > 0 else "runs ahead of A by"
        steps = f"{abs(k)} step{'s' if abs(k) != 1 else ''}"
        where = ("over the whole run" if whole else
                 f"on steps {lo:,} … {diff.last_step:,}, and is identical everywhere else")
        return {
            "pattern": "shift",
            "shift": k,
            "from_step": lo,
            "to_step": diff.last_step,
            "whole_run": whole,
            "message": f"B {lag} {steps} {where}: B(t) = A(t {'−' if k > 0 else '+'} {abs(k)})",
        }
    return None


def _matching_offsets(a: Side, b: Side, diff: Diff, tol: float) -> list[int]:
    """Shifts that explain B's rate at a few differing steps: the offsets ``k`` within
    :data:`SHIFT_WINDOW` steps at which ``A(t − k)`` equals ``B(t)``."""
    assert diff.first_step is not None and diff.last_step is not None
    out: list[int] = []
    for t in dict.fromkeys((diff.first_step, (diff.first_step + diff.last_step) // 2)):
        lo, hi = max(0, t - SHIFT_WINDOW), min(a.total_steps, t + SHIFT_WINDOW + 1)
        window = a.values(np.arange(lo, hi, dtype=np.int64))
        target = b.values(np.array([t], dtype=np.int64))
        hits = np.flatnonzero(_close(window, target, tol, diff.atol))
        ks = sorted((t - (lo + int(h)) for h in hits), key=abs)
        out += [k for k in ks if k != 0][:4]
    return out


def _scaled(a: Side, b: Side, diff: Diff, walk: _Walk, tol: float) -> dict[str, Any] | None:
    """``B = c·A`` at every compared step, ``c ≠ 1``."""
    pa, pb = diff.a["peak_lr"], diff.b["peak_lr"]
    if not (pa > 0 and pb > 0) or a.total_steps != b.total_steps:
        return None
    c = pb / pa
    if abs(c - 1.0) <= tol:
        return None
    checked = _holds(walk, 0, diff.compared_steps, b.values, lambda s: c * a.values(s), tol,
                     diff.atol)
    if checked <= 0:
        return None
    return {
        "pattern": "scaled",
        "factor": c,
        "message": f"B = {c:.6g} × A at every step: the same schedule with a peak of {pb:.6g} "
                   f"instead of {pa:.6g}",
    }


def _rescaled(a: Side, b: Side, r: Fraction, c: float, t_max: int, tol: float,
              atol: float) -> bool:
    """``B(t) = c·A(r·t)`` at every ``t ≤ t_max`` where ``r·t`` is a whole step (at most about
    10^6 of them, evenly spread)."""
    q = r.denominator  # t must be a multiple of q for r·t to be a whole step
    count = t_max // q + 1
    every = max(1, count // (1 << 20))
    for lo in range(0, count, CHUNK * every):
        m = np.arange(lo, min(count, lo + CHUNK * every), every, dtype=np.int64)
        if not np.all(_close(b.values(m * q), c * a.values(m * r.numerator), tol, atol)):
            return False
    return True


def _warmup(a: Side, b: Side, diff: Diff, walk: _Walk, tol: float) -> dict[str, Any] | None:
    """B's warmup is A's squeezed (or stretched) in time: ``B(t) = c·A(r·t)`` for every step of
    B's warmup where ``r·t`` is a whole step, ``r = W_A / W_B``, ``c`` the ratio of the peaks.
    When that holds wherever ``A(r·t)`` exists, the whole schedule runs r× faster (``whole_run``):
    what a scheduler stepped r times per update does — accelerate's ``AcceleratedScheduler``
    steps it once per process unless ``split_batches`` is set."""
    wa, wb = diff.a["warmup_steps"], diff.b["warmup_steps"]
    if wa <= 0 or wb <= 0 or wa == wb:
        return None
    r = Fraction(wa, wb)
    if wb // r.denominator + 1 < MIN_WARMUP_CHECKS:
        return None
    c = diff.b["peak_lr"] / diff.a["peak_lr"]
    if not _rescaled(a, b, r, c, wb, tol, diff.atol):
        return None
    t_all = min(b.total_steps - 1, (a.total_steps - 1) * r.denominator // r.numerator)
    whole = t_all > 2 * wb and _rescaled(a, b, r, c, t_all, tol, diff.atol)
    faster = wb < wa
    scaled = "" if abs(c - 1.0) <= tol else f"{c:.6g}·"
    times = times_text(r)
    formula = f"B(t) = {scaled}A({r.numerator if r.denominator == 1 else str(r)}·t)"
    if whole:
        end = "the end of A" if t_all < b.total_steps - 1 else "the end of B"
        message = (f"B runs A's whole schedule {times} {'faster' if faster else 'slower'}: "
                   f"{formula} at every step up to {end} (step {t_all:,}); warmups {wb:,} vs "
                   f"{wa:,} steps" + (" — as a scheduler stepped once per process on "
                                      f"{r.numerator} processes does (accelerate without "
                                      "split_batches)" if faster and r.denominator == 1 else ""))
    else:
        same = ("the same rise" if not scaled else
                f"the same rise scaled to B's peak (×{c:.6g})")
        message = (f"B's warmup is {times} {'shorter' if faster else 'longer'} than A's "
                   f"({wb:,} vs {wa:,} steps), {same}: {formula} in B's warmup")
    return {
        "pattern": "warmup",
        "ratio": wb / wa,
        "a": wa,
        "b": wb,
        "whole_run": whole,
        "message": message,
    }


def times_text(r: Fraction | float) -> str:
    """A ratio as 'N×' (of the larger over the smaller): 4×, 2.5×, 26,666.7×."""
    ratio = float(r) if r >= 1 else 1.0 / float(r)
    return f"{ratio:,.6g}×"


def _floor(a: Side, b: Side, diff: Diff, walk: _Walk, tol: float) -> dict[str, Any] | None:
    """One decay keeps a floor the other does not. After the later peak, a decay to a floor
    ``f`` is ``f + (p − f)·w(t)`` where the same decay to 0 is ``p·w(t)``: the floored curve is
    ``F = α + β·Z`` with ``α = f`` the floor. Fitted on the later peak and the last step and
    checked at every compared step after the peak; without the affine fit, a final rate of
    exactly 0 against one above 0 is still reported (``same_decay`` false)."""
    t1 = max(diff.a["peak_step"], diff.b["peak_step"])
    t2 = diff.compared_steps - 1
    peak = max(diff.a["peak_lr"], diff.b["peak_lr"])
    if t2 - t1 >= 2 and peak > 0:
        pts = np.array([t1, t2], dtype=np.int64)
        va, vb = a.values(pts), b.values(pts)
        for floored, zero, fv, zv, who in ((a, b, va, vb, "A"), (b, a, vb, va, "B")):
            if zv[0] == zv[1]:
                continue
            beta = (fv[0] - fv[1]) / (zv[0] - zv[1])
            alpha = fv[1] - beta * zv[1]
            if not (alpha > AFFINE_RTOL * peak and 0 < beta < 1):
                continue
            scale = max(abs(fv[0]), abs(fv[1]))
            if _holds(walk, t1, t2 + 1, floored.values,
                      lambda s, z=zero, al=alpha, be=beta: al + be * z.values(s), 0.0,
                      AFFINE_RTOL * scale) > 0:
                return _floor_pattern(diff, who, float(alpha), True)
    fa, fb = diff.a["final_lr"], diff.b["final_lr"]
    if (fa == 0) != (fb == 0):
        return _floor_pattern(diff, "A" if fa != 0 else "B", fa or fb, False)
    return None


def _floor_pattern(diff: Diff, who: str, floor: float, same: bool) -> dict[str, Any]:
    other = "B" if who == "A" else "A"
    peak = (diff.a if who == "A" else diff.b)["peak_lr"]
    share = f" ({100 * floor / peak:.3g}% of its peak)" if peak > 0 else ""
    tail = (": the same decay otherwise" if same
            else "; the decays differ in more than the floor")
    return {
        "pattern": "floor",
        "missing_in": other,
        "floor": floor,
        "same_decay": same,
        "message": f"{other} decays to 0 where {who} keeps a floor of {floor:.6g}{share}{tail}",
    }
