"""What every interop target shares: the exactness check, candidates, and a canonical view.

Exactness (docs/interop.md): a target may only be emitted when its own formula
reproduces warmupctl's rate at **every** step ``0 … N−1`` to a relative ``1e-12``. The check never
trusts reasoning about formulas: each target has a *simulator* — a NumPy/Python replica of the
library's code, in the library's order of floating-point operations — and :func:`compare` runs it
against the schedule at every step of runs up to :data:`FULL_CHECK_STEPS`, and at the bounded
sample of :func:`check_steps` beyond (docs/interop.md, "Checking long runs"). The replicas are
tested against the real libraries (tests/test_interop_*.py).

Relative error here is ``|ours − theirs| / max(|ours|, |theirs|)`` (0 when both are 0), so it is
symmetric, never infinite, and 1.0 when exactly one of the two is 0.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import Phase, Schedule, unique_steps
from ..errors import SpecError, WarmupctlError
from ..spec import MAX_STEPS
from ..textsafe import quote

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


def read_config(text: str, origin: str, what: str) -> Any:
    """A JSON or YAML mapping from a trainer config file, read within the limits of
    :func:`warmupctl.jsontext.load_config` (size, depth, node count, number length)."""
    from collections.abc import Mapping

    from ..jsontext import load_config

    data = load_config(text, origin)
    if not isinstance(data, Mapping):
        raise SpecError(f"expected {what} (a mapping of keys)", origin=origin)
    return data


def config_number(cfg: Any, key: str, origin: str, default: Any = None, *,
                  integer: bool = False, what: str | None = None, label: str | None = None,
                  maximum: float | None = None) -> Any:
    """``cfg[key]`` as a finite number (strings such as ``"3e-4"`` are accepted), or ``default``;
    a value of another type is one error line naming ``label`` (default ``key``) and quoting at
    most 80 characters of the value. Whole numbers (step counts, batch sizes) and values with a
    ``maximum`` are limited to 2^53 (or ``maximum``) in size."""
    label = label or key
    if key not in cfg or cfg[key] is None:
        return default
    value = cfg[key]
    if value == "auto":
        raise SpecError(f"{label} is 'auto' (filled in by the HF Trainer at run time); "
                        "write the number it stands for", origin=origin)
    expected = what or ("a whole number" if integer else "a number")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"{label}: expected {expected}, got {quote(value)}", origin=origin)
    if isinstance(value, str) and len(value) > 100:
        raise SpecError(f"{label}: expected {expected}, got {quote(value)}", origin=origin)
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise SpecError(f"{label}: expected {expected}, got {quote(value)}",
                        origin=origin) from None
    if not math.isfinite(x):
        raise SpecError(f"{label}: expected a finite number, got {quote(value)}", origin=origin)
    limit = maximum if maximum is not None else (MAX_STEPS if integer else None)
    if limit is not None and abs(x) > limit:
        raise SpecError(f"{label}: {quote(value)} is larger than {limit:,.0f}"
                        + (" (2^53, the longest run warmupctl handles)" if limit == MAX_STEPS
                           else ""), origin=origin)
    if integer:
        if x != int(x):
            raise SpecError(f"{label}: expected a whole number, got {quote(value)}",
                            origin=origin)
        if isinstance(value, int):
            return value
        return int(x)
    return x


class NotExpressible(WarmupctlError):
    """A target cannot reproduce the schedule exactly (exit code 2)."""


@dataclass(frozen=True)
class Deviation:
    """The worst step of a comparison: where, our rate, theirs, and the relative error; and how
    many of the ``span`` steps were compared (all of them up to :data:`FULL_CHECK_STEPS`)."""

    step: int
    ours: float
    theirs: float
    rel: float
    checked: int = 0
    span: int = 0

    @property
    def exact(self) -> bool:
        return self.rel <= RTOL

    @property
    def full(self) -> bool:
        """Every step was compared."""
        return self.checked >= self.span

    def coverage(self) -> str:
        """``all 1,000 steps``, or how many steps of a long run were compared, and which."""
        if self.full:
            return f"all {self.span:,} steps"
        return (f"{self.checked:,} of {self.span:,} steps (every step near each phase boundary "
                f"and kink, and {SPREAD:,} spread over the run; see docs/interop.md)")

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


#: candidates whose simulator replays every update are tried only for runs up to this length
REPLAY_STEPS = 1_000_000
#: runs up to this many steps are compared at every step; longer ones at :func:`check_steps`
FULL_CHECK_STEPS = 1 << 20
#: every step within this many of a phase boundary, milestone, restart or kink is compared
EDGE = 1 << 11
#: at most this many boundaries get a dense window (the first and last ones, evenly thinned)
MAX_EDGES = 128
#: steps spread over the run: an even grid, and as many pseudo-random ones (a fixed seed)
SPREAD = 1 << 18


_SAMPLES: weakref.WeakKeyDictionary[Schedule, tuple[tuple[int, int], np.ndarray]] = (
    weakref.WeakKeyDictionary())


def _edges(schedule: Schedule, start: int, stop: int) -> np.ndarray:
    """Where either curve may change formula or bend: phase starts and ends, milestones, WSD
    cooldowns, restarts (:func:`warmupctl.engine.breakpoints`) and floors taking over."""
    from ..engine import _kinks, breakpoints

    points = [start, stop - 1]
    for ph in schedule.phases:
        points += [ph.start, ph.end, *_kinks(ph)]
    arr = np.concatenate([np.asarray(points, dtype=np.int64),
                          breakpoints(schedule, start, stop).astype(np.int64)])
    arr = unique_steps(arr[(arr >= start) & (arr < stop)])
    if arr.size > MAX_EDGES:
        arr = arr[unique_steps(np.linspace(0, arr.size - 1, MAX_EDGES).round())]
    return arr


def check_steps(schedule: Schedule, start: int, stop: int) -> np.ndarray:
    """The steps of ``[start, stop)`` a comparison looks at: all of them for a run of at most
    :data:`FULL_CHECK_STEPS`; else every step within :data:`EDGE` of each boundary or kink, the
    steps at powers of two after each boundary (where warmups and inverse-sqrt decays bend
    most), an even grid and a pseudo-random sample of :data:`SPREAD` steps each — about 1.1
    million steps for any run length (docs/interop.md, "Checking long runs")."""
    if stop - start <= FULL_CHECK_STEPS:
        return np.arange(start, stop, dtype=np.int64)
    key = (start, stop)
    cached = _SAMPLES.get(schedule)
    if cached is not None and cached[0] == key:
        return cached[1]
    edges = _edges(schedule, start, stop)
    window = np.arange(-EDGE, EDGE, dtype=np.int64)
    powers = np.int64(1) << np.arange(0, 63, dtype=np.int64)
    parts_ = [(edges[:, None] + window[None, :]).ravel(),
              (edges[:, None] + powers[None, :]).ravel(),
              np.linspace(start, stop - 1, SPREAD).round().astype(np.int64),
              np.random.default_rng(20260).integers(start, stop, SPREAD, dtype=np.int64)]
    steps = np.concatenate(parts_)
    steps = unique_steps(steps[(steps >= start) & (steps < stop)])
    _SAMPLES[schedule] = (key, steps)  # the candidates of one export share the sample
    return steps


def compare(schedule: Schedule, simulate: Simulator, start: int = 0,
            stop: int | None = None) -> Deviation:
    """Run ``simulate`` on the steps of ``[start, stop)`` that :func:`check_steps` picks (every
    step up to :data:`FULL_CHECK_STEPS`) and return the worst deviation: the cost is bounded
    for any run length."""
    stop = schedule.total_steps if stop is None else min(stop, schedule.total_steps)
    span = max(0, stop - start)
    worst = Deviation(start, 0.0, 0.0, -1.0)
    chunk = 1 << 20
    full = span <= FULL_CHECK_STEPS
    sample = None if full else check_steps(schedule, start, stop)
    count = span if sample is None else int(sample.size)
    for a in range(0, count, chunk):
        b = min(count, a + chunk)
        if sample is None:
            steps = np.arange(start + a, start + b, dtype=np.int64)
            ours = schedule.window(start + a, start + b)
        else:
            steps = sample[a:b]
            ours = schedule.at(steps)
        theirs = np.asarray(simulate(steps), dtype=np.float64).reshape(-1)
        rel = relative_error(ours, theirs)
        i = int(np.argmax(rel))
        if rel[i] > worst.rel:
            worst = Deviation(int(steps[i]), float(ours[i]), float(theirs[i]), float(rel[i]))
    if worst.rel < 0:
        worst = Deviation(start, 0.0, 0.0, 0.0)
    return Deviation(worst.step, worst.ours, worst.theirs, worst.rel, count, span)


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
    #: the simulator replays the library update by update (torch's chainable schedulers): its
    #: cost grows with the run, so it is only tried up to :data:`REPLAY_STEPS`
    replayed: bool = False

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
