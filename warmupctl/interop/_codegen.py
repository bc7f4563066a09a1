"""Closed-form code for a schedule: the engine's formulas as source text, segment by segment.

The torch, optax and keras exports fall back to closed forms when the library's built-in classes
cannot reproduce a phase. This module turns every engine phase into *segments* — a step range, an
origin (``x = t − origin``) and a few statements ending in ``return EXPR`` — written with the same
floating-point operations, in the same order, as :mod:`warmupctl.engine` (e.g. a falling phase is
``a·w + b·(1 − w)``). Function names are placeholders (``COS(``, ``SQRT(``, ``EXP(``, ``MAX(``,
``PI``) that :func:`render` maps onto ``math``, ``jax.numpy``, ``keras.ops`` or NumPy.

Pieces the engine computes from data (the rate after k step milestones, the start and length of a
restart cycle when the period grows) become constants, computed here with the engine's own NumPy
expressions, so the generated code reads them back bit for bit.

:func:`evaluate` runs the segments with NumPy over any steps, which is how the exports verify the
generated code against the schedule at every step before writing it.

A ``cosine_restarts`` phase with more than :data:`SEGMENT_CYCLES` cycles is one segment that finds
the cycle per step (O(1) per cycle, whatever the run length). Spec text reaches a generated file
only through :mod:`._codetext` (escaped ``#`` comments), and every file is parsed before it is
returned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engine import Phase, Schedule
from ._codetext import (  # noqa: F401 - the generators' one entry point for their text
    GeneratedCodeError,
    checked,
    comment,
    exact_literal,
    finish,
    spec_comments,
    tidy_literals,
)
from ._common import describe_phase, num


@dataclass
class Segment:
    """Steps ``[start, stop)`` computed by ``body`` with ``x = t − origin``.

    ``constant`` is set when the segment is one rate (then ``body`` is empty)."""

    start: int
    stop: int
    origin: int
    body: list[str] = field(default_factory=list)
    constant: float | None = None
    comment: str = ""
    #: False when the body divides by a constant before a ``FLOOR``: XLA (optax, keras on jax)
    #: may compute ``x / c`` as ``x · (1/c)`` and move a floor by one, so those targets refuse
    xla_safe: bool = True
    #: module-level tuples the body reads (``SEARCH``/``TAKE``), by name
    tables: dict[str, tuple] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        """``x`` at the first step of the segment."""
        return self.start - self.origin


def _mix(p: float, q: float, w: str) -> list[str]:
    """``p·w + q·(1 − w)`` exactly as ``engine._mix`` (``q = 0`` drops an exact ``+ 0.0``)."""
    if q == 0.0:
        return [f"return {num(p)} * {w}"]
    return [f"w = {w}", f"return {num(p)} * w + {num(q)} * (1.0 - w)"]


def _mix_w(p: float, q: float, wlines: list[str]) -> list[str]:
    """Like :func:`_mix` for a weight computed by statements ending in ``w = ...``."""
    if q == 0.0:
        return [*wlines, f"return {num(p)} * w"]
    return [*wlines, f"return {num(p)} * w + {num(q)} * (1.0 - w)"]


def _origin(ph: Phase) -> int:
    return ph.start - 1 if ph.params.get("skip_zero") else ph.start


def phase_segments(ph: Phase, total: int) -> list[Segment]:
    stop = min(ph.end, total)
    a, b, L = ph.a, ph.b, ph.length
    comment = describe_phase(ph)
    origin = _origin(ph)

    def seg(body: list[str], *, start: int = ph.start, end: int = stop, org: int = origin,
            note: str = comment) -> Segment:
        return Segment(start, end, org, body, None, note)

    def const(value: float, *, start: int = ph.start, end: int = stop,
              note: str = comment) -> Segment:
        return Segment(start, end, start, [], float(value), note)

    shape = ph.shape
    if shape == "constant":
        return [const(a)]
    if shape == "linear":
        if a == b:
            return [const(a)]
        if b >= a:
            return [seg(_mix(b, a, f"(x / {L})"))]
        return [seg(_mix(a, b, f"(({L} - x) / {L})"))]
    if shape == "cosine":
        if a == b:
            return [const(a)]
        if b >= a:
            return [seg(_mix_w(b, a, [f"w = 0.5 * (1.0 - COS(PI * (x / {L})))"]))]
        return [seg(_mix_w(a, b, [f"w = 0.5 * (1.0 + COS(PI * (x / {L})))"]))]
    if shape == "polynomial":
        power = float(ph.params.get("power", 1.0))
        if b >= a:
            if a == b:
                return [const(a)]
            return [seg(_mix_w(b, a, [f"w = (x / {L}) ** {num(power)}"]))]
        return [seg([f"return {num(a - b)} * (1 - x / {L}) ** {num(power)} + {num(b)}"])]
    if shape == "exponential":
        if "gamma" in ph.params:
            every = float(ph.params.get("every", 1))
            gamma = float(ph.params["gamma"])
            expr = f"{num(a)} * {num(gamma)} ** (x / {num(every)})"
            if b < a and ph.params.get("floor", False):
                return [seg([f"return MAX({expr}, {num(b)})"])]
            return [seg([f"return {expr}"])]
        if a == b:
            return [const(a)]
        tau = float(ph.params.get("tau") or L / 5.0)
        return [seg(_mix_w(b, a, [f"w = 1.0 - EXP(-x / {num(tau)})"]))]
    if shape == "inverse_sqrt":
        c = int(ph.params["timescale"])
        expr = f"{num(a)} * (1.0 / SQRT((x + {c}) / {c}))"
        if b > 0:
            expr = f"MAX({expr}, {num(b)})"
        return [seg([f"return {expr}"], org=ph.start)]
    if shape == "step":
        return _step_segments(ph, stop)
    if shape == "wsd":
        return _wsd_segments(ph, stop)
    if shape == "cosine_restarts":
        return _restart_segments(ph, stop)
    raise ValueError(f"no closed form for shape {shape!r}")  # pragma: no cover


def _step_segments(ph: Phase, stop: int) -> list[Segment]:
    milestones = np.asarray(ph.params.get("milestones", ()), dtype=np.int64)
    gamma = float(ph.params.get("gamma", 0.1))
    cuts = sorted({int(m) for m in milestones if ph.start < m < stop})
    bounds = [ph.start, *cuts, stop]
    out = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        passed = np.searchsorted(milestones, np.array([lo], dtype=np.int64), side="right")
        value = float((ph.a * np.power(gamma, passed))[0])  # engine.step, same operations
        out.append(Segment(lo, hi, lo, [], value,
                           f"step decay: {int(passed[0])} milestone(s) passed"))
    return out


def _wsd_segments(ph: Phase, stop: int) -> list[Segment]:
    cool = int(ph.params["cooldown"])
    stable = ph.length - cool
    kind = str(ph.params.get("cooldown_shape", "linear"))
    out: list[Segment] = []
    s_end = min(ph.start + stable, stop)
    if stable > 0 and ph.start < s_end:
        out.append(Segment(ph.start, s_end, ph.start, [], float(ph.a), f"stable {num(ph.a)}"))
    c0 = ph.start + stable
    if c0 < stop:
        q = f"(x / {max(1, cool)})"
        g = {"linear": f"w = 1.0 - {q}",
             "cosine": f"w = 0.5 * (1.0 + COS(PI * {q}))",
             "1-sqrt": f"w = 1.0 - SQRT({q})"}[kind]
        if ph.a == ph.b:
            out.append(Segment(c0, stop, c0, [], float(ph.a), "cooldown (flat)"))
        else:
            out.append(Segment(c0, stop, c0, _mix_w(ph.a, ph.b, [g]), None,
                               f"{kind} cooldown from {num(ph.a)} to {num(ph.b)}"))
    return out


def restart_cycles(ph: Phase, x: np.ndarray) -> np.ndarray:
    """The cycle index of each phase-local step, with engine.cosine_restarts' own operations."""
    x = x.astype(np.float64)
    if "cycles" in ph.params:
        n = float(ph.params["cycles"])
        return np.floor(n * (x / ph.length))
    period = float(ph.params["period"])
    mult = float(ph.params.get("period_mult", 1.0))
    if mult == 1.0:
        return np.floor(x / period)
    i = np.floor(np.log(1.0 - x / period * (1.0 - mult)) / math.log(mult))
    start_i = period * (mult**i - 1.0) / (mult - 1.0)
    i = np.where(start_i > x, i - 1, i)
    start_i = period * (mult**i - 1.0) / (mult - 1.0)
    nxt = period * (mult ** (i + 1) - 1.0) / (mult - 1.0)
    return np.where(nxt <= x, i + 1, i)


#: up to this many restart cycles are written one segment per cycle (boundaries decided at
#: generation time); more cycles get one segment that computes the cycle index at run time
SEGMENT_CYCLES = 64


def restart_count(ph: Phase, stop: int) -> float:
    """How many restart cycles start in the phase's steps before ``stop`` (an upper bound)."""
    steps = max(0, min(ph.end, stop) - ph.start)
    p = ph.params
    if "cycles" in p:
        return math.ceil(float(p["cycles"]) * (steps / ph.length))
    period = float(p["period"])
    mult = float(p.get("period_mult", 1.0))
    if mult == 1.0:
        return math.ceil(steps / period)
    count = math.log(1.0 + steps / period * (mult - 1.0)) / math.log(mult)
    return math.ceil(count) + 1 if math.isfinite(count) else math.inf


def _restart_segments(ph: Phase, stop: int) -> list[Segment]:
    """Up to :data:`SEGMENT_CYCLES` cycles, one segment per cycle: the boundaries are decided
    here with the engine's own float expressions, so the code needs no ``floor`` at run time
    (XLA rewrites ``x / c`` as ``x · (1/c)`` under jit, which can move a boundary by a step).
    More cycles: :func:`_restart_runtime`, one segment whatever the count (O(1) per cycle)."""
    if restart_count(ph, stop) > SEGMENT_CYCLES:
        return [_restart_runtime(ph, stop)]
    decay = float(ph.params.get("cycle_decay", 1.0))
    a, b = ph.a, ph.b
    tail = ("return top * w" if b == 0.0 else f"return top * w + {num(b)} * (1.0 - w)")
    cos = "w = 0.5 * (1.0 + COS(PI * frac))"
    firsts = _cycle_firsts(ph, stop)
    x = np.asarray(firsts, dtype=np.int64)
    cyc = restart_cycles(ph, x)
    starts = firsts
    ends = [*firsts[1:], stop - ph.start]
    out = []
    period = float(ph.params.get("period", 0.0))
    mult = float(ph.params.get("period_mult", 1.0))
    for k, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
        i = np.array([cyc[k]])
        top = float((a * decay**i)[0]) if decay != 1.0 else a
        if "cycles" in ph.params:
            n = float(ph.params["cycles"])
            # y % 1.0 == y − i exactly inside cycle i; the max() only absorbs a rounding of y
            # just below i at the first step of the cycle
            frac = f"frac = MAX({num(n)} * (x / {ph.length}) - {num(float(i[0]))}, 0.0)"
        elif mult == 1.0:
            frac = f"frac = (x - {num(float((i * period)[0]))}) / {num(period)}"
        else:
            s_i = float((period * (mult**i - 1.0) / (mult - 1.0))[0])
            t_i = float((period * mult**i)[0])
            frac = f"frac = (x - {num(s_i)}) / {num(t_i)}"
        out.append(Segment(ph.start + lo, ph.start + hi, ph.start,
                           [frac, f"top = {num(top)}", cos, tail], None,
                           f"restart cycle {int(i[0])} from {num(top)} to {num(b)}"))
    return out


def _cycle_firsts(ph: Phase, stop: int) -> list[int]:
    """The phase-local first step of each cycle before ``stop``, as the engine finds the cycle
    (its float expressions at the steps around each cycle's exact start: O(cycles))."""
    n_steps = min(ph.end, stop) - ph.start
    p = ph.params
    count = int(restart_count(ph, stop)) + 1
    i = np.arange(1, count + 1, dtype=np.float64)
    if "cycles" in p:
        exact = i * (ph.length / float(p["cycles"]))
    elif float(p.get("period_mult", 1.0)) == 1.0:
        exact = i * float(p["period"])
    else:
        period, mult = float(p["period"]), float(p["period_mult"])
        exact = period * (mult**i - 1.0) / (mult - 1.0)
    near = np.ceil(exact).astype(np.int64)
    cand = np.unique(np.concatenate([[0], near - 1, near, near + 1]))
    cand = cand[(cand >= 0) & (cand < n_steps)]
    cyc = restart_cycles(ph, cand)
    keep = np.concatenate([[True], np.diff(cyc) != 0])
    return [int(c) for c in cand[keep]]


#: a growing period with more cycles than this is refused (its table would be too large)
TABLE_CYCLES = 10_000


def _restart_table(ph: Phase, stop: int) -> Segment:
    """A growing period (``period_mult``): the engine's start, length and top of each cycle
    as tables (computed here with its NumPy expressions, so they are its floats bit for bit;
    a run-time ``m ** i`` may differ by an ulp, which moves a rate near a cycle's end by far
    more than 1e-12), and a binary search for the cycle: O(log cycles) per step."""
    if restart_count(ph, stop) > TABLE_CYCLES:
        raise ValueError(restart_limit(ph, stop))  # callers check restart_refusal first
    firsts = np.asarray(_cycle_firsts(ph, stop), dtype=np.int64)
    i = restart_cycles(ph, firsts)
    period, mult = float(ph.params["period"]), float(ph.params["period_mult"])
    decay = float(ph.params.get("cycle_decay", 1.0))
    starts = period * (mult**i - 1.0) / (mult - 1.0)
    lengths = period * mult**i
    tops = ph.a * decay**i if decay != 1.0 else np.full(i.shape, ph.a)
    k = ph.start
    tables = {f"_FIRST_{k}": tuple(int(v) for v in firsts),
              f"_START_{k}": tuple(float(v) for v in starts),
              f"_LENGTH_{k}": tuple(float(v) for v in lengths),
              f"_TOP_{k}": tuple(float(v) for v in tops)}
    b = ph.b
    tail = ("return top * w" if b == 0.0 else f"return top * w + {num(b)} * (1.0 - w)")
    body = [f"i = SEARCH(_FIRST_{k}, x)",
            f"frac = (x - TAKE(_START_{k}, i)) / TAKE(_LENGTH_{k}, i)",
            f"top = TAKE(_TOP_{k}, i)", "w = 0.5 * (1.0 + COS(PI * frac))", tail]
    return Segment(ph.start, min(ph.end, stop), ph.start, body, None,
                   f"cosine with restarts from {num(ph.a)} to {num(b)}, growing period, "
                   f"{len(firsts):,} cycles (tables above)", False, tables)


def restart_limit(ph: Phase, stop: int) -> str:
    count = restart_count(ph, stop)
    return (f"{count:,} restart cycles with a growing period (period_mult) are more than the "
            f"{TABLE_CYCLES:,} a generated file tabulates (its cycles must come from the "
            "engine's own floats to stay exact). Use fewer cycles, or the exact json/csv/npy "
            "tables")


def restart_refusal(schedule: Schedule) -> str | None:
    """Why no code target can write the schedule, or None."""
    for ph in schedule.phases:
        if (ph.shape == "cosine_restarts" and float(ph.params.get("period_mult", 1.0)) != 1.0
                and "cycles" not in ph.params
                and restart_count(ph, schedule.total_steps) > TABLE_CYCLES):
            return restart_limit(ph, schedule.total_steps)
    return None


def _restart_runtime(ph: Phase, stop: int) -> Segment:
    """One segment for a restarts phase with many cycles: the cycle index ``i`` computed at run
    time with the engine's operations (``cosine_restarts``), O(1) per step and per cycle."""
    p = ph.params
    a, b = ph.a, ph.b
    decay = float(p.get("cycle_decay", 1.0))
    xla_safe = True
    if "cycles" in p:
        n = float(p["cycles"])
        body = [f"y = {num(n)} * (x / {ph.length})", "i = FLOOR(y)", "frac = y % 1.0"]
        xla_safe = False
    elif float(p.get("period_mult", 1.0)) == 1.0:
        period = float(p["period"])
        body = [f"i = FLOORDIV(x, {num(period)})",
                f"frac = (x - i * {num(period)}) / {num(period)}"]
        # an integer period: floor(x / P) in float64 is the exact quotient (x + P < 2^53), so
        # XLA's floor_divide agrees with the engine
        xla_safe = period.is_integer()
    else:
        return _restart_table(ph, stop)
    top = f"top = {num(a)} * {num(decay)} ** i" if decay != 1.0 else f"top = {num(a)}"
    tail = ("return top * w" if b == 0.0 else f"return top * w + {num(b)} * (1.0 - w)")
    body += [top, "w = 0.5 * (1.0 + COS(PI * frac))", tail]
    return Segment(ph.start, min(ph.end, stop), ph.start, body, None,
                   f"cosine with restarts from {num(a)} to {num(b)}, "
                   f"{restart_count(ph, stop):,} cycles (cycle index computed per step)",
                   xla_safe)


def xla_refusal(schedule: Schedule, target: str) -> str | None:
    """Why ``target`` (optax, keras: code that XLA may compile) cannot write the schedule
    exactly, or None: a restarts phase with more than :data:`SEGMENT_CYCLES` cycles whose
    cycle index needs a float division at run time (a cycle count, a growing period or a
    period that is not a whole number of steps)."""
    for ph in schedule.phases:
        if ph.shape != "cosine_restarts":
            continue
        count = restart_count(ph, schedule.total_steps)
        if count > SEGMENT_CYCLES and not _restart_runtime(ph, schedule.total_steps).xla_safe:
            return (f"{target} cannot reproduce {count:,} restart cycles exactly: with more than "
                    f"{SEGMENT_CYCLES} cycles the cycle index is computed at run time, and under "
                    "jit XLA may compute x / c as x * (1/c), moving a restart by a step. Use a "
                    "whole-number `period` with `period_mult: 1`, at most "
                    f"{SEGMENT_CYCLES} cycles, or the exact formats torch and json/csv/npy")
    return None


def segments(schedule: Schedule) -> list[Segment]:
    """All segments of a schedule, in order, tiling ``0 … N−1``; equal neighbouring constants
    are merged."""
    out: list[Segment] = []
    for ph in schedule.phases:
        for seg in phase_segments(ph, schedule.total_steps):
            if seg.stop <= seg.start:
                continue
            if (out and seg.constant is not None and out[-1].constant is not None
                    and out[-1].constant == seg.constant):
                out[-1].stop = seg.stop
                continue
            out.append(seg)
    return out


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

NAMESPACES: dict[str, dict[str, str]] = {
    "math": {"COS": "math.cos", "SQRT": "math.sqrt", "EXP": "math.exp", "MAX": "max",
             "PI": "math.pi", "FLOOR": "math.floor", "LOG": "math.log",
             "FLOORDIV": "_floordiv", "WHERE": "_where", "SEARCH": "_search",
             "TAKE": "_take"},
    "jnp": {"COS": "jnp.cos", "SQRT": "jnp.sqrt", "EXP": "jnp.exp", "MAX": "jnp.maximum",
            "PI": "jnp.pi", "FLOOR": "jnp.floor", "LOG": "jnp.log",
            "FLOORDIV": "jnp.floor_divide", "WHERE": "jnp.where"},
    # keras.ops.maximum and keras.ops.floor_divide return float32 for float64 tensors (torch
    # backend, Keras 3.15): the generated file defines _max with ops.where and _floordiv with
    # the tensors' own // instead
    "keras": {"COS": "ops.cos", "SQRT": "ops.sqrt", "EXP": "ops.exp", "MAX": "_max",
              "PI": "math.pi", "FLOOR": "ops.floor", "LOG": "ops.log",
              "FLOORDIV": "_floordiv", "WHERE": "ops.where"},
    # the engine's own operations (floor(x / c), as engine.cosine_restarts)
    "numpy": {"COS": "np.cos", "SQRT": "np.sqrt", "EXP": "np.exp", "MAX": "np.maximum",
              "PI": "np.pi", "FLOOR": "np.floor", "LOG": "np.log",
              "FLOORDIV": "_floordiv", "WHERE": "np.where", "SEARCH": "_search",
              "TAKE": "_take"},
}

#: helpers the math rendering may call (the torch file defines them when it uses them)
MATH_HELPERS = {
    "_floordiv": ["def _floordiv(x, c):", "    return math.floor(x / c)"],
    "_where": ["def _where(cond, a, b):", "    return a if cond else b"],
    "_search": ["def _search(table, x):", '    """The last index of table (sorted) <= x."""',
                "    return bisect.bisect_right(table, x) - 1"],
    "_take": ["def _take(table, i):", "    return table[i]"],
}

#: NumPy versions of the helpers, for verification
NUMPY_HELPERS = {
    "_floordiv": lambda x, c: np.floor(x / c),
    "_search": lambda table, x: np.searchsorted(np.asarray(table), x, side="right") - 1,
    "_take": lambda table, i: np.asarray(table, dtype=np.float64)[np.asarray(i, dtype=np.int64)],
}

_TOKEN = re.compile(r"\b(COS|SQRT|EXP|MAX|PI|FLOORDIV|FLOOR|LOG|WHERE|SEARCH|TAKE)\b")


def render(line: str, namespace: str) -> str:
    names = NAMESPACES[namespace]
    return _TOKEN.sub(lambda m: names[m.group(1)], line)


def render_body(seg: Segment, namespace: str, indent: str) -> list[str]:
    if seg.constant is not None:
        return [f"{indent}return {num(seg.constant)}"]
    return [indent + render(line, namespace) for line in seg.body]


def numpy_function(seg: Segment) -> Callable[[np.ndarray], np.ndarray]:
    """The segment as a NumPy function of ``x`` (vectorised), for verification."""
    if seg.constant is not None:
        value = seg.constant
        return lambda x: np.full(np.shape(x), value, dtype=np.float64)
    src = "def f(x):\n" + "\n".join(render_body(seg, "numpy", "    ")) + "\n"
    scope: dict = {"np": np, **NUMPY_HELPERS, **seg.tables}
    exec(compile(src, "<warmupctl segment>", "exec"), scope)  # noqa: S102 - our own text
    return scope["f"]


def evaluate(segs: list[Segment], steps: np.ndarray) -> np.ndarray:
    """Run the segments with NumPy at ``steps`` (each must lie in a segment)."""
    steps = np.asarray(steps, dtype=np.int64)
    out = np.full(steps.shape, np.nan, dtype=np.float64)
    for seg in segs:
        sel = (steps >= seg.start) & (steps < seg.stop)
        if sel.any():
            out[sel] = numpy_function(seg)(steps[sel] - seg.origin)
    return out


def scalar_function(segs: list[Segment], total: int) -> tuple[str, Callable[[int], float]]:
    """``lr_at(step)`` as plain Python (``math`` only): its source text and the function."""
    lines = [
        "def lr_at(step: int) -> float:",
        '    """The learning rate of optimizer update ``step`` (0-based); after the last',
        '    step of the run, the last rate. A negative or fractional step is an error."""',
        "    try:",
        "        t = int(step)",
        "    except (TypeError, ValueError, OverflowError):",
        "        t = -1",
        "    if t < 0 or t != step:",
        "        raise ValueError(",
        f'            f"a step is a whole number from 0 to {total - 1:,} (steps after '
        f'{total - 1:,} hold "',
        '            f"the last rate), got {step!r}")',
        f"    t = min(t, {total - 1})",
    ]
    for k, seg in enumerate(segs):
        last = k == len(segs) - 1
        pad = "    " if last else "        "
        if not last:
            lines.append(f"    if t < {seg.stop}:" + comment(f"{_range(seg)}: {seg.comment}", "  "))
        else:
            lines.append(comment(f"{_range(seg)}: {seg.comment}", "    "))
        if seg.constant is None:
            lines.append(f"{pad}x = t" + (f" - {seg.origin}" if seg.origin else ""))
        lines.extend(render_body(seg, "math", pad))
    used = [name for name in MATH_HELPERS if any(name + "(" in line for line in lines)]
    for name in used:
        lines = [*MATH_HELPERS[name], "", "", *lines]
    for seg in reversed(segs):
        for name, values in seg.tables.items():
            lines = [*table_lines(name, values), "", *lines]
    if "_search" in used:
        lines = ["import bisect", "", *lines]
    src = "\n".join(lines) + "\n"
    scope: dict = {"math": math}
    exec(compile(src, "<warmupctl lr_at>", "exec"), scope)  # noqa: S102 - our own text
    return src, scope["lr_at"]


def table_lines(name: str, values: tuple) -> list[str]:
    """``NAME = (v0, v1, …)`` over lines of at most ~100 characters."""
    items = [str(v) if isinstance(v, int) else num(v) for v in values]
    out = [f"{name} = ("]
    row = "   "
    for item in items:
        if len(row) + len(item) + 2 > 96:
            out.append(row)
            row = "   "
        row += f" {item},"
    out += [row, ")"]
    return out


def check_lines(total: int) -> list[str]:
    """``_check_step(step)`` for the optax and keras files: the out-of-range rule of
    docs/spec.md for a step given as a Python or NumPy number (a traced or device value is
    not inspected, which would stall the device; it is clipped to ``0 … N−1``)."""
    last = total - 1
    return [
        "", "",
        "def _check_step(step):",
        f'    """A negative or fractional step is an error (steps after {last:,} hold the last',
        '    rate); a tensor or traced step is not inspected and is clipped to the run."""',
        "    if isinstance(step, (int, float)) or type(step).__module__ == \"numpy\":",
        "        try:",
        "            bad = not (0 <= step == int(step))",
        "        except (TypeError, ValueError, OverflowError):",
        "            bad = True",
        "        if bad:",
        "            raise ValueError(",
        f'                f"a step is a whole number from 0 to {last:,} (steps after {last:,} "',
        '                f"hold the last rate), got {step!r}")',
    ]


def _range(seg: Segment) -> str:
    last = seg.stop - 1
    return f"steps {seg.start:,}–{last:,}" if last > seg.start else f"step {seg.start:,}"


def segment_range(seg: Segment) -> str:
    return _range(seg)


def demo_lines(schedule: Schedule) -> list[str]:
    """A ``__main__`` block for a generated file that defines ``schedule``: it prints the rate at
    the first step, at each phase start and at the last step."""
    show = sorted({0, schedule.total_steps - 1} | {min(ph.start, schedule.total_steps - 1)
                                                   for ph in schedule.phases})
    return ["", "", 'if __name__ == "__main__":',
            f"    for step in {show!r}:",
            "        print(f\"step {step:>10,}  lr {float(schedule(step))!r}\")"]
