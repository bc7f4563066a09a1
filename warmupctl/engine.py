"""The schedule engine: phases of closed-form shapes, evaluated with NumPy.

Pure: no I/O, no printing. A :class:`Schedule` is an ordered list of :class:`Phase` objects that
tile the steps ``0 … N−1``. Step convention (docs/spec.md, step convention): ``lr(t)`` is the rate
used
by optimizer step ``t``; a phase starting at ``s`` with length ``L`` has progress
``p = (t − s) / L`` in ``[0, 1)``. Every evaluation — one step, a window ``[a, b)`` or the whole
curve — runs the same vectorised code, so all three give identical floats.

Where a reference library computes the same curve, each shape follows its order of floating-point
operations (named in the shape's docstring), so the two agree to the last bit or within a few ulps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

FloatArray = np.ndarray
IntArray = np.ndarray

#: steps evaluated per chunk when walking long schedules
CHUNK = 1 << 20
#: runs up to this many steps are summed step by step (about 1 s of NumPy); longer ones are summed
#: by :func:`approximate_sum`
EXACT_SUM_LIMIT = 1 << 25
#: evaluation points spent on the smooth stretches of one run by :func:`approximate_sum`
SUM_NODES = 1 << 18
#: a run cut into more smooth stretches than this is summed step by step
MAX_STRETCHES = 4096


@dataclass(frozen=True)
class Phase:
    """One piece of a schedule: ``shape`` from rate ``a`` to rate ``b`` over
    ``[start, start+length)``.

    ``length`` is the length of the formula; the phase may be cut short by the end of the run
    (a decay horizon longer than the run gives a truncated curve).
    """

    shape: str
    start: int
    length: int
    a: float
    b: float
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    role: str = "phase"  # warmup | decay | hold | phase

    @property
    def end(self) -> int:
        return self.start + self.length

    def evaluate(self, t: IntArray) -> FloatArray:
        # intermediate overflow/underflow is legitimate (e^(-x/tau) with a tiny tau is 0); the
        # spec checks that every phase's rates are finite (see warmupctl.spec)
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            return SHAPES[self.shape](t, self)

    def end_value(self) -> float:
        """The rate this phase hands on to the next one (the value at p = 1)."""
        if self.shape in TARGETED:
            return self.b
        return float(self.evaluate(np.array([self.end], dtype=np.int64))[0])


def _progress(t: IntArray, ph: Phase) -> IntArray:
    x = t - ph.start
    if ph.params.get("skip_zero"):
        x = x + 1
    return x


# --------------------------------------------------------------------------------------------
# Shapes. Each takes the int64 steps and the phase and returns float64 rates.
# --------------------------------------------------------------------------------------------


def _mix(a: float, b: float, wa: FloatArray) -> FloatArray:
    """``a·wa + b·(1 − wa)``: exact at both ends (``wa = 1`` gives ``a``, ``wa = 0`` gives ``b``),
    and the same operations as the reference libraries when one end is 0 (``peak·λ``)."""
    if a == b:
        return np.full(np.shape(wa), a, dtype=np.float64)
    return a * wa + b * (1.0 - wa)


def linear(t: IntArray, ph: Phase) -> FloatArray:
    """Linear: ``a + (b − a)·p``.

    Rising, the weight of the target is ``x/L`` (HF ``get_linear_schedule_with_warmup`` warmup:
    ``base·k/W``). Falling, the weight of the start is the remaining fraction ``(L − x)/L``, counted
    exactly in steps (HF ``linear`` decay: ``base·(T − k)/(T − W)``), so the last steps keep their
    relative precision. With ``skip_zero`` the progress is ``(t + 1 − s)/L``.
    Sources: seed formula ``peak·min(1, t/T_w)``; Goyal et al. 2017 §2.2 (gradual warmup).
    """
    x = _progress(t, ph)
    L = ph.length
    if ph.b >= ph.a:
        return _mix(ph.b, ph.a, x / L)
    return _mix(ph.a, ph.b, (L - x) / L)


def constant(t: IntArray, ph: Phase) -> FloatArray:
    """Constant: ``a`` for every step of the phase; the next phase starts from ``b``.

    As a warmup this is Goyal et al. 2017 §2.2 "constant warmup" (a low rate, then a jump to the
    peak) and T5's constant 0.01 for the first 10^4 steps (Raffel et al. 2020 §3.1.2).
    """
    return np.full(t.shape, ph.a, dtype=np.float64)


def cosine(t: IntArray, ph: Phase) -> FloatArray:
    """Half cosine from ``a`` to ``b``: ``b + (a − b)·½(1 + cos πp)``
    = ``a + (b − a)·½(1 − cos πp)``.

    Falling, the weight of the start is ``0.5·(1 + cos(π·p))`` — HF ``cosine`` /
    ``cosine_with_min_lr`` (Loshchilov & Hutter 2017, SGDR, Eq. 5). Rising (cosine warmup), the
    weight of the target is ``0.5·(1 − cos(π·p))`` — HF WSD ``warmup_type="cosine"``.
    """
    x = _progress(t, ph)
    p = x / ph.length
    if ph.b >= ph.a:
        return _mix(ph.b, ph.a, 0.5 * (1.0 - np.cos(np.pi * p)))
    return _mix(ph.a, ph.b, 0.5 * (1.0 + np.cos(np.pi * p)))


def polynomial(t: IntArray, ph: Phase) -> FloatArray:
    """Polynomial. Rising (warmup): ``a + (b − a)·p^power``. Falling (decay):
    ``b + (a − b)·(1 − p)^power``, with ``1 − p`` evaluated as ``1 − x/L`` like HF
    ``get_polynomial_decay_schedule_with_warmup``
    (``(lr_init − lr_end)·pct_remaining^power + lr_end``).
    """
    x = _progress(t, ph)
    power = float(ph.params.get("power", 1.0))
    if ph.b >= ph.a:
        return _mix(ph.b, ph.a, (x / ph.length) ** power)
    return (ph.a - ph.b) * (1 - x / ph.length) ** power + ph.b


def exponential(t: IntArray, ph: Phase) -> FloatArray:
    """Exponential. With ``gamma`` (decay): ``a·gamma^((t − s)/every)`` (``every`` default 1, as
    ``torch.optim.lr_scheduler.ExponentialLR`` and optax ``exponential_decay``), never below ``b``
    when ``b < a`` is given as a floor. With ``tau`` (warmup): ``a + (b − a)·(1 − e^{−(t−s)/τ})``,
    the ``ExponentialWarmup`` of pytorch_warmup (Ma & Yarats 2019); τ defaults to L/5, so the rate
    is ≈99.3% of the way at the end of the phase and the next phase starts at its own value.
    """
    x = _progress(t, ph)
    if "gamma" in ph.params:
        every = float(ph.params.get("every", 1))
        out = ph.a * np.power(float(ph.params["gamma"]), x / every)
        if ph.b < ph.a and ph.params.get("floor", False):
            out = np.maximum(out, ph.b)
        return out
    tau = float(ph.params.get("tau") or ph.length / 5.0)
    return _mix(ph.b, ph.a, 1.0 - np.exp(-x / tau))


def inverse_sqrt(t: IntArray, ph: Phase) -> FloatArray:
    """Inverse square root: ``a·sqrt(c / (t − s + c))`` with timescale ``c``.

    Evaluated as ``a·(1/sqrt((t − s + c)/c))``, HF ``get_inverse_sqrt_schedule``. With ``c`` equal
    to the warmup length and ``a`` the peak this is the Noam tail ``d^-0.5·t^-0.5`` (Vaswani et al.
    2017, Eq. 3); fairseq ``inverse_sqrt`` and Megatron ``inverse-square-root`` are the same curve.
    A floor ``b`` (Megatron ``min_lr``) is applied when ``b > 0``.
    """
    x = t - ph.start
    c = int(ph.params["timescale"])
    out = ph.a * (1.0 / np.sqrt((x + c) / c))
    if ph.b > 0:
        out = np.maximum(out, ph.b)
    return out


def step(t: IntArray, ph: Phase) -> FloatArray:
    """Step: ``a·gamma^(number of milestones ≤ t)``; milestones are absolute steps of the run.

    ``torch.optim.lr_scheduler.MultiStepLR`` (the rate changes *at* the milestone); Goyal et al.
    2017 §5.1 (÷10 at epochs 30, 60, 80); He et al. 2016.
    """
    milestones = np.asarray(ph.params.get("milestones", ()), dtype=np.int64)
    passed = np.searchsorted(milestones, t, side="right")
    return ph.a * np.power(float(ph.params.get("gamma", 0.1)), passed)


def _cooldown(q: FloatArray, kind: str) -> FloatArray:
    if kind == "linear":
        return 1.0 - q
    if kind == "cosine":
        return 0.5 * (1.0 + np.cos(np.pi * q))
    if kind == "1-sqrt":
        return 1.0 - np.sqrt(q)
    raise ValueError(kind)  # pragma: no cover - validated by the spec


def wsd(t: IntArray, ph: Phase) -> FloatArray:
    """Warmup-stable-decay tail: ``a`` until the cooldown, then ``b + (a − b)·g(q)`` over the last
    ``cooldown`` steps, ``q = (t − s_c)/C``, with ``g`` = linear ``1 − q``, cosine ``½(1 + cos πq)``
    or 1-sqrt ``1 − √q``.

    HF ``get_wsd_schedule`` (``factor·(1 − m) + m``), Hägele et al. 2024 §3 (1-sqrt cooldown),
    Hu et al. 2024 (MiniCPM) §4.
    """
    x = t - ph.start
    cool = int(ph.params["cooldown"])
    stable = ph.length - cool
    q = (x - stable) / max(1, cool)
    g = _cooldown(np.clip(q, 0.0, None), str(ph.params.get("cooldown_shape", "linear")))
    return np.where(x < stable, ph.a, _mix(ph.a, ph.b, g))


def cosine_restarts(t: IntArray, ph: Phase) -> FloatArray:
    """Cosine with warm restarts (SGDR, Loshchilov & Hutter 2017): in cycle ``i`` of length
    ``P·m^i`` the rate falls from ``a·d^i`` to ``b`` as ``b + (a·d^i − b)·½(1 + cos(π·t_cur/T_i))``.

    With ``cycles: n`` the horizon holds n equal cycles and the phase is evaluated as HF
    ``cosine_with_restarts``: ``½(1 + cos(π·((n·p) mod 1)))``. ``period_mult`` (m) and
    ``cycle_decay`` (d) follow timm ``CosineLRScheduler`` (``cycle_mul``, ``cycle_decay``).
    """
    i, frac = _cycle(t - ph.start, ph)
    decay = float(ph.params.get("cycle_decay", 1.0))
    top = ph.a * decay**i if decay != 1.0 else ph.a
    w = 0.5 * (1.0 + np.cos(np.pi * frac))
    return top * w + ph.b * (1.0 - w)


def _cycle(offset: IntArray, ph: Phase) -> tuple[FloatArray, FloatArray]:
    """The cycle index ``i`` (as a float) and the progress in it of each step ``offset`` steps
    into a ``cosine_restarts`` phase, in closed form: O(1) per step whatever the cycle count."""
    x = np.asarray(offset).astype(np.float64)
    if "cycles" in ph.params:
        n = float(ph.params["cycles"])
        y = n * (x / ph.length)
        frac = y % 1.0
        i = np.floor(y)
    else:
        period = float(ph.params["period"])
        mult = float(ph.params.get("period_mult", 1.0))
        if mult == 1.0:
            i = np.floor(x / period)
            frac = (x - i * period) / period
        else:
            i = np.floor(np.log(1.0 - x / period * (1.0 - mult)) / math.log(mult))
            # guard the float log against landing one cycle off at a boundary
            start_i = period * (mult**i - 1.0) / (mult - 1.0)
            i = np.where(start_i > x, i - 1, i)
            start_i = period * (mult**i - 1.0) / (mult - 1.0)
            nxt = period * (mult ** (i + 1) - 1.0) / (mult - 1.0)
            i = np.where(nxt <= x, i + 1, i)
            start_i = period * (mult**i - 1.0) / (mult - 1.0)
            frac = (x - start_i) / (period * mult**i)
    return i, frac


def _cycle_geometry(ph: Phase, i: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Where cycle ``i`` of a ``cosine_restarts`` phase starts (a real offset into the phase; its
    first step is the ceiling) and how long it is, in steps."""
    if "cycles" in ph.params:
        length = ph.length / float(ph.params["cycles"])
        return i * length, np.full(np.shape(i), length)
    period = float(ph.params["period"])
    mult = float(ph.params.get("period_mult", 1.0))
    if mult == 1.0:
        return i * period, np.full(np.shape(i), period)
    return period * (mult**i - 1.0) / (mult - 1.0), period * mult**i


SHAPES: dict[str, Callable[[IntArray, Phase], FloatArray]] = {
    "linear": linear,
    "constant": constant,
    "cosine": cosine,
    "polynomial": polynomial,
    "exponential": exponential,
    "inverse_sqrt": inverse_sqrt,
    "step": step,
    "wsd": wsd,
    "cosine_restarts": cosine_restarts,
}

#: shapes whose end value is their target ``b`` (the others hand on the value the formula reaches)
TARGETED = {"linear", "constant", "cosine", "polynomial", "wsd", "cosine_restarts"}


# --------------------------------------------------------------------------------------------
# Breakpoints: where a curve may jump or change formula (used by the plot reduction and the sum)
# --------------------------------------------------------------------------------------------

#: cosine_restarts is monotone within each cycle; with more cycles than this its restarts are not
#: listed (a plot scans such a phase; its sum is taken step by step)
MAX_RESTARTS = 100_000


def restart_steps(ph: Phase) -> np.ndarray | None:
    """The first steps of the cycles of a ``cosine_restarts`` phase after its first (each with
    the steps either side, since the engine finds the cycle in floating point), or None when
    there are more than :data:`MAX_RESTARTS` cycles."""
    p = ph.params
    if "cycles" in p:
        n = float(p["cycles"])
        if n > MAX_RESTARTS:
            return None
        starts = np.arange(1, math.ceil(n)) * (ph.length / n)
    else:
        period = float(p["period"])
        mult = float(p.get("period_mult", 1.0))
        if mult == 1.0:
            if ph.length / period > MAX_RESTARTS:
                return None
            starts = np.arange(1, math.ceil(ph.length / period) + 1) * period
        else:
            count = math.log(1.0 + ph.length / period * (mult - 1.0)) / math.log(mult)
            if not math.isfinite(count) or count > MAX_RESTARTS:
                return None
            i = np.arange(1, math.ceil(count) + 2, dtype=np.float64)
            starts = period * (mult**i - 1.0) / (mult - 1.0)
    first = ph.start + np.ceil(starts).astype(np.int64)
    first = first[first < ph.end]
    return np.concatenate([first - 1, first, first + 1])


def unique_steps(values: np.ndarray | list) -> np.ndarray:
    """Sorted distinct int64 steps (``np.unique`` without its lazy import of numpy.ma, ~20 ms)."""
    arr = np.sort(np.asarray(values, dtype=np.int64).ravel())
    if arr.size == 0:
        return arr
    return arr[np.concatenate(([True], arr[1:] != arr[:-1]))]


def breakpoints(schedule: Schedule, a: int, b: int) -> np.ndarray:
    """Steps in ``(a, b)`` where the curve may jump or change formula: phase starts, step-decay
    milestones, WSD cooldown starts and the restarts of ``cosine_restarts``. Between two
    breakpoints every shape in :data:`MONOTONE_SHAPES` is monotone, and so is each cycle of a
    ``cosine_restarts`` phase."""
    points: list[np.ndarray] = [np.array([ph.start for ph in schedule.phases], dtype=np.int64)]
    for ph in schedule.phases:
        if ph.end <= a or ph.start >= b:
            continue
        if ph.shape == "step":
            points.append(np.asarray(ph.params.get("milestones", ()), dtype=np.int64))
        elif ph.shape == "wsd":
            points.append(np.array([ph.start + ph.length - int(ph.params["cooldown"])]))
        elif ph.shape == "cosine_restarts":
            restarts = restart_steps(ph)
            if restarts is not None:
                points.append(restarts)
    arr = unique_steps(np.concatenate(points).astype(np.int64))
    return arr[(arr > a) & (arr < b)]



class Schedule:
    """A learning-rate schedule over ``total_steps`` optimizer steps.

    >>> from warmupctl.engine import Phase, Schedule
    >>> s = Schedule(10, [Phase("linear", 0, 3, 0.0, 1.0, role="warmup"),
    ...                   Phase("cosine", 3, 7, 1.0, 0.0, role="decay")])
    >>> [round(v, 4) for v in s.curve()]
    [0.0, 0.3333, 0.6667, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495]
    """

    def __init__(
        self,
        total_steps: int,
        phases: list[Phase],
        *,
        name: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if total_steps < 1:
            raise ValueError("a schedule needs at least one step")
        if not phases or phases[0].start != 0:
            raise ValueError("phases must start at step 0")
        for prev, nxt in zip(phases, phases[1:], strict=False):
            if nxt.start != prev.end:
                raise ValueError("phases must be contiguous")
        if phases[-1].end < total_steps:
            raise ValueError("phases must cover the run")
        self.total_steps = int(total_steps)
        self.phases = tuple(p for p in phases if p.start < total_steps)
        self._starts = np.array([p.start for p in self.phases], dtype=np.int64)
        self.name = name
        self.meta: Mapping[str, Any] = MappingProxyType(dict(meta or {}))

    # -- evaluation ----------------------------------------------------------------------------

    def at(self, steps: IntArray) -> FloatArray:
        """Rates at an array of steps (any order); every step must be in ``0 … N−1``."""
        t = np.asarray(steps, dtype=np.int64)
        if t.size and (t.min() < 0 or t.max() >= self.total_steps):
            raise IndexError(f"steps must lie in 0 … {self.total_steps - 1}")
        flat = t.reshape(-1)
        out = np.empty(flat.shape, dtype=np.float64)
        if flat.size == 1:
            k = int(np.searchsorted(self._starts, flat[0], side="right")) - 1
            out[:] = self.phases[k].evaluate(flat)
            return out.reshape(t.shape)
        which = np.searchsorted(self._starts, flat, side="right") - 1
        for k, phase in enumerate(self.phases):
            sel = which == k
            if sel.any():
                out[sel] = phase.evaluate(flat[sel])
        return out.reshape(t.shape)

    def window(self, a: int, b: int) -> FloatArray:
        """Rates for the steps ``[a, b)``, contiguous, clipped to the run."""
        a = max(0, int(a))
        b = min(self.total_steps, int(b))
        if b <= a:
            return np.empty(0, dtype=np.float64)
        out = np.empty(b - a, dtype=np.float64)
        for ph in self.phases:
            lo = max(a, ph.start)
            hi = min(b, ph.end, self.total_steps)
            if lo < hi:
                out[lo - a : hi - a] = ph.evaluate(np.arange(lo, hi, dtype=np.int64))
        return out

    def curve(self) -> FloatArray:
        """The rate at every step ``0 … N−1`` (for long runs prefer :meth:`chunks`)."""
        return self.window(0, self.total_steps)

    def lr(self, step: Any) -> Any:
        """The rate at ``step`` (an int gives a float; an array gives an array).

        Out of range (docs/spec.md, step convention): a step ≥ N holds the last rate,
        ``lr(N − 1)`` — a training loop calls ``scheduler.step()`` once more after its last
        update; a negative or non-integer step raises ValueError naming the valid range."""
        t = self._steps(step)
        if np.ndim(t) == 0:
            return float(self.at(np.array([int(t)]))[0])
        return self.at(t)

    def _steps(self, step: Any) -> Any:
        """``step`` as int64 step(s) clipped to ``N − 1`` (the rule of :meth:`lr`)."""
        last = self.total_steps - 1
        if np.ndim(step) == 0:
            if isinstance(step, np.ndarray):
                step = step.item()
            if isinstance(step, (int, np.integer)) and not isinstance(step, (bool, np.bool_)):
                if step >= 0:
                    return np.int64(min(int(step), last))
            elif isinstance(step, (float, np.floating)) and math.isfinite(step) \
                    and step >= 0 and float(step).is_integer():
                return np.int64(min(float(step), float(last)))
            shown = repr(step)
            shown = shown if len(shown) <= 80 else shown[:79] + "…"
            raise ValueError(f"a step is a whole number from 0 to {last:,} (steps after "
                             f"{last:,} hold the last rate), got {shown}")
        try:
            arr = np.asarray(step)
            ok = arr.dtype.kind in "iu" or (arr.dtype.kind == "f" and bool(
                np.all(np.isfinite(arr)) and np.all(arr == np.floor(arr))))
            ok = ok and not (arr.size and (arr < 0).any())
        except (TypeError, ValueError):  # pragma: no cover - np.asarray of an odd object
            ok = False
        if not ok:
            raise ValueError(f"steps are whole numbers from 0 to {last:,} (steps after "
                             f"{last:,} hold the last rate): got a negative, fractional or "
                             "non-numeric step")
        if arr.dtype.kind == "f":
            arr = np.minimum(arr, float(last))
        elif arr.dtype.kind == "u":
            arr = np.minimum(arr, np.uint64(last))
        return np.minimum(arr.astype(np.int64), last)

    def sampled_steps(self, every: int = 1) -> Iterator[IntArray]:
        """Chunks of the steps ``0, K, 2K, …`` below N, then ``N − 1`` if the stride misses it,
        so a sampled export always ends on the last step (docs/cli.md, export)."""
        every = max(1, int(every))
        n = self.total_steps
        count = (n - 1) // every + 1
        for j0 in range(0, count, CHUNK):
            yield np.arange(j0, min(count, j0 + CHUNK), dtype=np.int64) * every
        if (n - 1) % every:
            yield np.array([n - 1], dtype=np.int64)

    def chunks(self, every: int = 1) -> Iterator[tuple[IntArray, FloatArray]]:
        """(steps, rates) in chunks of at most ~10^6 points: bounded memory for any run length."""
        for steps in self.sampled_steps(every):
            if every == 1 and steps.size > 1:
                yield steps, self.window(int(steps[0]), int(steps[-1]) + 1)
            else:
                yield steps, self.at(steps)

    # -- what the spec said (empty for a Schedule built by hand) --------------------------------

    @property
    def warmup_steps(self) -> int:
        return int(self.meta.get("warmup_steps", 0))

    @property
    def peak_lr(self) -> float:
        """The declared peak (``peak_lr``, or the Noam peak), else the largest phase rate."""
        if self.meta.get("peak_lr") is not None:
            return float(self.meta["peak_lr"])
        return max(max(p.a, p.b) for p in self.phases)

    @property
    def source(self) -> str | None:
        return self.meta.get("source")

    @property
    def description(self) -> str | None:
        return self.meta.get("description")

    @property
    def spec(self) -> dict[str, Any]:
        """The schedule as an explicit-phases spec with every length in steps."""
        return dict(self.meta.get("resolved", {}))

    # -- summaries -----------------------------------------------------------------------------

    def peak(self) -> tuple[float, int]:
        """The largest rate and the first step that uses it.

        Every shape is monotone inside its phase (restarts: inside each cycle, with tops that never
        grow), so the maximum is at the first or last step a phase covers; for restarts the first
        step is the top of the first cycle."""
        best, best_step = -math.inf, 0
        for ph in self.phases:
            last = min(ph.end, self.total_steps) - 1
            candidates = [ph.start, last] if last > ph.start else [ph.start]
            values = self.at(np.array(candidates, dtype=np.int64))
            for step, value in zip(candidates, values.tolist(), strict=True):
                if value > best:
                    best, best_step = value, step
        return best, best_step

    def stats(self, exact_limit: int = EXACT_SUM_LIMIT) -> dict[str, Any]:
        """Peak and where it is first reached, final rate and the sum of all rates.

        Runs of up to ``exact_limit`` steps are summed step by step (chunked); longer ones with
        :func:`approximate_sum`, and ``sum_lr_exact`` says which."""
        peak, peak_step = self.peak()
        # rates near the largest float64 (1e308) sum to infinity: ``sum_lr`` is then inf, and NaN
        # when it is not computed (see :func:`warmupctl.cycles.restarts_sum`); callers say so
        with np.errstate(over="ignore", invalid="ignore"):
            if self.total_steps <= exact_limit:
                total, exact = _fsum(float(np.sum(r)) for _, r in self.chunks()), True
            else:
                total, exact = approximate_sum(self), False
        return {
            "peak_lr": peak,
            "peak_step": peak_step,
            "final_lr": self.lr(self.total_steps - 1),
            "sum_lr": total,
            "sum_lr_exact": exact,
        }

    def __repr__(self) -> str:
        return (f"Schedule(name={self.name!r}, total_steps={self.total_steps}, "
                f"phases={len(self.phases)})")


# --------------------------------------------------------------------------------------------
# The sum of the rates of a long run
# --------------------------------------------------------------------------------------------

def _fsum(values: Any) -> float:
    """:func:`math.fsum`, with infinity for rates whose sum passes the largest float64 (fsum
    raises OverflowError there; rates are never negative)."""
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def _exact_sum(ph: Phase, u: int, m: int) -> float:
    """``lr(u) + … + lr(m)`` for steps of one phase, step by step in chunks."""
    return _fsum(
        float(np.sum(ph.evaluate(np.arange(c, min(m + 1, c + CHUNK), dtype=np.int64))))
        for c in range(u, m + 1, CHUNK)
    )


def _stretch_sum(ph: Phase, u: int, m: int, nodes: int) -> float:
    """``lr(u) + … + lr(m)`` where the phase's formula is smooth on ``[u, m]``.

    The summation form of the Euler–Maclaurin formula on the integer nodes ``u = n_0 < … < n_k =
    m``: ``Σ f(x) = Σ_j h_j·(f_j + f_{j+1})/2 + (f_0 + f_k)/2 + Σ_j (1 − h_j²)/12·(f'_{j+1} − f'_j)
    + O(h⁴f⁗)``, with ``f'`` from second-order differences. Nodes are every step near both ends
    (so a steep start, like a warmup or the first steps of a 1-sqrt cooldown, is summed exactly),
    a geometric grid from each end and a uniform grid across; a block of width 1 is summed
    exactly, and linear and constant stretches are exact whatever the width."""
    d = m - u
    if d < 4 * nodes:
        return _exact_sum(ph, u, m)
    ends = np.arange(0, 1025, dtype=np.int64)
    geo = np.rint(np.geomspace(1.0, float(d), nodes)).astype(np.int64)
    uniform = (np.arange(nodes + 1, dtype=np.int64) * d) // nodes
    off = unique_steps(np.concatenate([ends, d - ends, geo, d - geo, uniform]))
    f = ph.evaluate(u + off)
    x = off.astype(np.float64)
    h = np.diff(x)
    slope = np.gradient(f, x)
    trapezoid = float(np.sum(h * (f[:-1] + f[1:]))) * 0.5 + (f[0] + f[-1]) * 0.5
    correction = float(np.sum((1.0 - h * h) * np.diff(slope))) / 12.0
    return trapezoid + correction


def _kinks(ph: Phase) -> list[int]:
    """Steps around where a floor (``final_lr`` of an exponential or inverse-sqrt decay) takes
    over: the curve has a corner there, which the sum treats as a breakpoint."""
    if ph.b <= 0 or ph.b >= ph.a:
        return []
    ratio = ph.a / ph.b
    if ph.shape == "exponential" and "gamma" in ph.params and ph.params.get("floor", False):
        gamma = float(ph.params["gamma"])
        if not 0.0 < gamma < 1.0:
            return []
        x = float(ph.params.get("every", 1)) * math.log(ratio) / -math.log(gamma)
    elif ph.shape == "inverse_sqrt":
        c = float(ph.params["timescale"])
        x = c * ratio * ratio - c
    else:
        return []
    if not math.isfinite(x) or x >= ph.length:
        return []
    k = ph.start + math.ceil(x)
    return [k - 1, k, k + 1]


def approximate_sum(schedule: Schedule, nodes: int = SUM_NODES) -> float:
    """The sum of the rates of every step, without evaluating every step.

    The run is cut at its :func:`breakpoints` (phase starts, step-decay milestones, the start of a
    WSD cooldown, the restarts of ``cosine_restarts`` with the steps either side) and where a
    floor takes over, so the formula
    is smooth on each stretch, and each stretch is summed by :func:`_stretch_sum`. Short
    stretches are summed exactly. The relative error is below 1e-9 on every built-in shape even
    on a grid far coarser than the default (tests/test_sums.py compares with step-by-step sums).
    A ``cosine_restarts`` phase with more than :data:`MAX_STRETCHES` stretches or
    :data:`MAX_RESTARTS` cycles is summed by :func:`warmupctl.cycles.restarts_sum` (cycle by cycle
    in closed form);
    NaN when that is not computed and the phase is too long to sum step by step. Another phase
    with more than :data:`MAX_STRETCHES` stretches is summed step by step.
    """
    n = schedule.total_steps
    cuts = breakpoints(schedule, 0, n)
    kinks = [k for ph in schedule.phases for k in _kinks(ph)]
    if kinks:
        cuts = unique_steps(np.concatenate([cuts, kinks]))
    stretches: list[tuple[Phase, int, int]] = []
    parts = []
    for ph in schedule.phases:
        lo, hi = ph.start, min(ph.end, n)
        inside = cuts[(cuts > lo) & (cuts < hi)]
        if ph.shape == "cosine_restarts" and (restart_steps(ph) is None
                                              or inside.size > MAX_STRETCHES):
            from .cycles import restarts_sum  # imports this module

            total = restarts_sum(ph, hi - lo)  # cycle by cycle, in closed form
            if math.isnan(total) and hi - lo <= 4 * EXACT_SUM_LIMIT:
                total = _exact_sum(ph, lo, hi - 1)  # a few seconds at most
            parts.append(total)
            continue
        if inside.size > MAX_STRETCHES:
            stretches.append((ph, lo, -(hi - 1)))  # negative end: sum step by step
            continue
        firsts = [lo, *inside.tolist()]
        lasts = [*(inside - 1).tolist(), hi - 1]
        stretches += [(ph, u, m) for u, m in zip(firsts, lasts, strict=True)]
    smooth = [s for s in stretches if s[2] >= 0]
    per = max(1024, nodes // max(1, len(smooth)))
    for ph, u, m in stretches:
        if m < 0:
            parts.append(_exact_sum(ph, u, -m))
        else:
            parts.append(_stretch_sum(ph, u, m, per))
    return _fsum(parts)
