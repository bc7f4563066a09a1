"""What every interop target shares: the exactness check, candidates, and a canonical view.

Exactness (docs/interop.md): a target may only be emitted when its own formula
reproduces warmupctl's rate at **every** step ``0 … N−1`` to a relative ``1e-12``. The check never
trusts reasoning about formulas: each target has a *simulator* — a NumPy/Python replica of the
library's code, in the library's order of floating-point operations — and :func:`compare` runs it
against :meth:`Schedule.chunks` at every step. The replicas are tested against the real libraries
(tests/test_interop_*.py).

Relative error here is ``|ours − theirs| / max(|ours|, |theirs|)`` (0 when both are 0), so it is
symmetric, never infinite, and 1.0 when exactly one of the two is 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Phase, Schedule
from ..errors import WarmupctlError

#: the exactness bound (relative, at every step)
RTOL = 1e-12

Simulator = Callable[[np.ndarray], np.ndarray]


def near_misses(keys: Any, known: Any, what: str = "",
                spell: Callable[[str], str] = repr) -> list[str]:
    """Notes for the keys that are not read but are one slip away from a field that is
    (``warmup_step`` for ``warmup_steps``): the trainer would ignore or reject them, and the
    import would silently go without the value the user meant to give."""
    import difflib

    known = sorted(known)
    out = []
    for key in keys:
        key = str(key)
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if close:
            out.append(f"{what}{spell(key)} is not read: did you mean {spell(close[0])}?")
    return out


class NotExpressible(WarmupctlError):
    """A target cannot reproduce the schedule exactly (exit code 2)."""


@dataclass(frozen=True)
class Deviation:
    """The worst step of a comparison: where, our rate, theirs, and the relative error."""

    step: int
    ours: float
    theirs: float
    rel: float

    @property
    def exact(self) -> bool:
        return self.rel <= RTOL

    def describe(self, target: str) -> str:
        return (f"step {self.step:,}: warmupctl {self.ours!r}, {target} {self.theirs!r} "
                f"(relative error {self.rel:.3g})")


def relative_error(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """``|a − b| / max(|a|, |b|)``, 0 where both are 0, 1 where either is not finite."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    diff = np.abs(ours - theirs)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
    bad = ~(np.isfinite(theirs) & np.isfinite(ours))
    return np.where(bad, 1.0, rel)


def compare(schedule: Schedule, simulate: Simulator, start: int = 0,
            stop: int | None = None) -> Deviation:
    """Run ``simulate`` on every step of ``[start, stop)`` and return the worst deviation."""
    stop = schedule.total_steps if stop is None else min(stop, schedule.total_steps)
    worst = Deviation(start, 0.0, 0.0, -1.0)
    chunk = 1 << 20
    for a in range(start, stop, chunk):
        b = min(stop, a + chunk)
        steps = np.arange(a, b, dtype=np.int64)
        ours = schedule.window(a, b)
        theirs = np.asarray(simulate(steps), dtype=np.float64).reshape(-1)
        rel = relative_error(ours, theirs)
        i = int(np.argmax(rel))
        if rel[i] > worst.rel:
            worst = Deviation(int(steps[i]), float(ours[i]), float(theirs[i]), float(rel[i]))
    if worst.rel < 0:
        worst = Deviation(start, 0.0, 0.0, 0.0)
    return worst


@dataclass
class Candidate:
    """One way of writing the schedule for a target.

    ``problems`` lists what the target cannot express (empty: it fits structurally, and only the
    numeric check remains). ``config`` is whatever the target's renderer needs.
    """

    label: str
    config: Any
    simulate: Simulator | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deviation: Deviation | None = None
    #: the target's own form of the schedule's decay shape (HF ``warmup_stable_decay`` for a
    #: WSD): when several candidates fail, a refusal gives this one's reasons
    natural: bool = False

    def check(self, schedule: Schedule) -> Deviation:
        if self.deviation is None:
            if self.simulate is None:
                raise AssertionError("a candidate without a simulator")  # pragma: no cover
            self.deviation = compare(schedule, self.simulate)
        return self.deviation


# --------------------------------------------------------------------------------------------
# A canonical view of a schedule: warmup, main phase, hold
# --------------------------------------------------------------------------------------------

RISING_SHAPES = ("linear", "cosine", "polynomial", "exponential")


@dataclass(frozen=True)
class Parts:
    """``warmup`` (a first phase that rises to the peak, or a constant warmup below it), the main
    phase ``decay`` that follows, an optional constant ``hold`` at the decay's end value, and
    ``extra`` phases beyond that pattern (most configs cannot express any)."""

    total: int
    peak: float
    warmup: Phase | None
    decay: Phase | None
    hold: Phase | None
    extra: tuple[Phase, ...]

    @property
    def W(self) -> int:  # noqa: N802 - the usual name
        return self.warmup.length if self.warmup is not None else 0

    @property
    def rest(self) -> int:
        return self.total - self.W


def is_rising(ph: Phase) -> bool:
    if ph.shape == "exponential" and "gamma" in ph.params:
        return False
    return ph.shape in RISING_SHAPES and ph.b > ph.a


def parts(schedule: Schedule) -> Parts:
    phases = list(schedule.phases)
    warmup: Phase | None = None
    i = 0
    first = phases[0]
    if is_rising(first):
        warmup = first
        i = 1
    elif (first.shape == "constant" and len(phases) > 1 and first.a < phases[1].a
          and first.role in ("warmup", "phase")):
        warmup = first  # a constant warmup (Goyal et al.; T5): low, then a jump to the peak
        i = 1
    decay = phases[i] if i < len(phases) else None
    hold = None
    extra: list[Phase] = []
    if decay is not None and i + 1 < len(phases):
        nxt = phases[i + 1]
        if nxt.shape == "constant" and nxt.a == decay.end_value() and i + 2 == len(phases):
            hold = nxt
        else:
            extra = phases[i + 1:]
    if decay is not None:
        peak = decay.a
    elif warmup is not None:
        peak = warmup.b
    else:  # pragma: no cover - a schedule has at least one phase
        peak = schedule.peak_lr
    return Parts(schedule.total_steps, peak, warmup, decay, hold, tuple(extra))


# --------------------------------------------------------------------------------------------
# Describing things to people
# --------------------------------------------------------------------------------------------


def num(x: float) -> str:
    """A float as the shortest text that reads back as the same float."""
    if x == 0:
        return "0.0"
    return repr(float(x))


def short(x: float) -> str:
    """A rate for messages: ``6e-05`` (six significant digits at most)."""
    return f"{float(x):.6g}"


def tidy(x: float, rtol: float = 4e-16) -> float:
    """The float with the fewest significant digits within ``rtol`` of ``x`` (so 0.09999999999999999
    becomes 0.1); the caller re-checks exactness with the tidy value."""
    if x == 0 or not math.isfinite(x):
        return x
    for digits in range(1, 18):
        y = float(f"{x:.{digits}g}")
        if abs(y - x) <= rtol * abs(x):
            return y
    return x


def describe_phase(ph: Phase) -> str:
    """``linear rise from 0 to 0.0006`` and the like (rates to six digits)."""
    a, b = short(ph.a), short(ph.b)
    shape = ph.shape
    if shape == "constant":
        return f"constant {a}"
    if shape == "step":
        ms = ", ".join(f"{m:,}" for m in ph.params.get("milestones", ()))
        return f"step decay from {a} (×{ph.params.get('gamma', 0.1)} at steps {ms})"
    if shape == "exponential" and "gamma" in ph.params:
        every = ph.params.get("every", 1)
        tail = f" every {every:,} steps" if every != 1 else " per step"
        floor = f", floor {b}" if ph.params.get("floor") else ""
        return f"exponential decay from {a}, ×{ph.params['gamma']}{tail}{floor}"
    if shape == "inverse_sqrt":
        floor = f", floor {b}" if ph.b > 0 else ""
        return f"inverse-sqrt decay from {a} (timescale {ph.params['timescale']:,}){floor}"
    if shape == "wsd":
        return (f"stable {a}, then a {ph.params['cooldown_shape']} cooldown to {b} over the last "
                f"{ph.params['cooldown']:,} steps")
    if shape == "cosine_restarts":
        return f"cosine with restarts from {a} to {b}"
    kind = "rise" if ph.b > ph.a else "decay"
    extra = ""
    if ph.params.get("skip_zero"):
        extra = " (skip_zero)"
    if shape == "exponential":
        extra += f" (tau {ph.params.get('tau')})"
    if shape == "polynomial":
        extra += f" (power {ph.params.get('power', 1.0)})"
    return f"{shape} {kind} from {a} to {b}{extra}"


def step_range(ph: Phase, total: int) -> str:
    last = min(ph.end, total) - 1
    return f"steps {ph.start:,}–{last:,}" if last > ph.start else f"step {ph.start:,}"


def outline(schedule: Schedule) -> list[str]:
    """One line per phase, for the header of generated files."""
    return [f"{step_range(ph, schedule.total_steps)}: {describe_phase(ph)}"
            + (f" (formula length {ph.length:,}, cut by the end of the run)"
               if ph.end > schedule.total_steps else "")
            for ph in schedule.phases]


def title(schedule: Schedule) -> str:
    return schedule.name or "a warmupctl schedule"


def join_words(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
