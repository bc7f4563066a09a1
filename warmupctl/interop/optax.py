"""optax: a self-contained Python file defining ``schedule`` (an optax schedule).

optax schedules are pure functions of the update count; ``scale_by_schedule`` evaluates the
schedule at the current count and then increments it, so update k uses ``schedule(k)`` (no lag).

The file uses optax's own functions where they reproduce warmupctl: a linear warmup and a cosine
decay as ``optax.warmup_cosine_decay_schedule`` (whose ``decay_steps`` *includes* the warmup), or
one function per phase — ``linear_schedule``, ``cosine_decay_schedule``, ``polynomial_schedule``,
``exponential_decay``, ``piecewise_constant_schedule``, ``constant_schedule`` — joined with
``optax.join_schedules``. A phase that no optax function reproduces becomes a small ``jax.numpy``
function with the engine's formula. Each choice is checked against warmupctl at every step with a
float64 replica of the optax code (``_schedule.py``, optax 0.2.8), so the target never refuses a
schedule that fits in optax's int32 step counter, but restarts with more than 64 cycles whose
cycle index would need a float division under jit (``_codegen.xla_refusal``).

Precision: jax computes in float32 unless ``jax_enable_x64`` is on. With x64 the rates agree with
warmupctl's to 1e-12 relative (XLA's ``cos`` and its ``x · (1/c)`` for ``x / c`` differ from
NumPy by an ulp, which only shows where a cosine ends at 0: there the agreement is 1e-15 × the
peak, absolute). In float32 every rate is within 1e-6 × the peak (exponential decays drift
further, as gamma itself is rounded to float32). optax counts updates in int32, which would make
jax compute in float32 even with x64, so the file's ``schedule`` turns the count into a float
first. See docs/interop.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Phase, Schedule
from . import _codegen
from ._common import RTOL, Candidate, compare, describe_phase, num, parts, tidy

INT32_MAX = 2**31 - 1

PRECISION = [
    "Precision: by default jax computes in float32, and every rate is within 1e-6 x PEAK_LR of",
    "warmupctl's (an exponential decay drifts further: gamma itself is rounded to float32, about",
    "step x 6e-8 relative). With jax.config.update(\"jax_enable_x64\", True) the rates agree to",
    "1e-12 relative (1e-15 x PEAK_LR absolute where a cosine ends at 0).",
]


def refusal(schedule: Schedule) -> str | None:
    if schedule.total_steps > INT32_MAX:
        return (f"optax cannot run {schedule.total_steps:,} updates: its step count is an int32 "
                f"(optax.safe_int32_increment stops at {INT32_MAX:,}). Exact formats for this "
                "schedule: torch, keras and the json/csv/npy tables")
    return _codegen.restart_refusal(schedule) or _codegen.xla_refusal(schedule, "optax")


# --------------------------------------------------------------------------------------------
# float64 replicas of optax's schedules (optax/schedules/_schedule.py)
# --------------------------------------------------------------------------------------------


def linear(init: float, end: float, steps: int):
    def f(count: np.ndarray) -> np.ndarray:
        c = np.clip(count, 0, steps)
        frac = 1 - c / steps
        return (init - end) * (frac**1) + end
    return f


def polynomial(init: float, end: float, power: float, steps: int):
    def f(count: np.ndarray) -> np.ndarray:
        c = np.clip(count, 0, steps)
        frac = 1 - c / steps
        return (init - end) * (frac**power) + end
    return f


def cosine_decay(init: float, decay_steps: int, alpha: float):
    def f(count: np.ndarray) -> np.ndarray:
        c = np.minimum(count.astype(np.float64), float(decay_steps))
        cd = 0.5 * (1 + np.cos(np.pi * c / float(decay_steps)))
        decayed = (1 - alpha) * cd**1.0 + alpha
        return init * decayed
    return f


def exponential(init: float, steps: int, rate: float, end: float | None):
    def f(count: np.ndarray) -> np.ndarray:
        p = count / steps
        out = np.where(count <= 0, init, init * np.power(rate, p))
        if end is not None:
            out = (np.maximum if rate < 1.0 else np.minimum)(out, end)
        return out
    return f


def piecewise(init: float, scales: dict[int, float]):
    def f(count: np.ndarray) -> np.ndarray:
        v = np.full(np.shape(count), init, dtype=np.float64)
        for threshold, scale in sorted(scales.items()):
            ind = np.maximum(0.0, np.sign(threshold - count))
            v = v * ind + (1 - ind) * scale * v
        return v
    return f


def join(fns: list, boundaries: list[int]):
    def f(step: np.ndarray) -> np.ndarray:
        out = fns[0](step)
        for b, g in zip(boundaries, fns[1:], strict=True):
            out = np.where(step < b, out, g(step - b))
        return out
    return f


# --------------------------------------------------------------------------------------------
# Pieces: one optax call (or one jnp function) per phase / segment
# --------------------------------------------------------------------------------------------


class Piece:
    """Steps ``[start, stop)``: either an optax call (``call``) or closed-form segments."""

    def __init__(self, start: int, stop: int, call: str | None, sim: Any,
                 segs: list[_codegen.Segment] | None, comment: str) -> None:
        self.start, self.stop, self.call, self.sim, self.segs = start, stop, call, sim, segs
        self.comment = comment


def _builtin(ph: Phase) -> tuple[str, Any] | None:
    a, b, L = ph.a, ph.b, ph.length
    if ph.params.get("skip_zero"):
        return None
    if ph.shape == "constant":
        return f"optax.constant_schedule({num(a)})", (lambda c, v=a: np.full(np.shape(c), v))
    if ph.shape == "linear":
        return (f"optax.linear_schedule(init_value={num(a)}, end_value={num(b)}, "
                f"transition_steps={L})", linear(a, b, L))
    if ph.shape == "cosine" and b < a:
        alpha = tidy(b / a)
        return (f"optax.cosine_decay_schedule(init_value={num(a)}, decay_steps={L}, "
                f"alpha={num(alpha)})", cosine_decay(a, L, alpha))
    if ph.shape == "polynomial" and b < a:
        p = float(ph.params.get("power", 1.0))
        return (f"optax.polynomial_schedule(init_value={num(a)}, end_value={num(b)}, "
                f"power={num(p)}, transition_steps={L})", polynomial(a, b, p, L))
    if ph.shape == "exponential" and "gamma" in ph.params:
        every = int(ph.params.get("every", 1))
        g = float(ph.params["gamma"])
        end = b if ph.params.get("floor") and b < a else None
        tail = f", end_value={num(end)}" if end is not None else ""
        return (f"optax.exponential_decay(init_value={num(a)}, transition_steps={every}, "
                f"decay_rate={num(g)}{tail})", exponential(a, every, g, end))
    if ph.shape == "step":
        ms = [int(m) for m in ph.params.get("milestones", ())]
        gamma = float(ph.params.get("gamma", 0.1))
        before = sum(1 for m in ms if m <= ph.start)
        if before:
            return None
        scales: dict[int, float] = {}
        for m in ms:
            scales[m - ph.start] = scales.get(m - ph.start, 1.0) * gamma
        text = "{" + ", ".join(f"{k}: {num(v)}" for k, v in sorted(scales.items())) + "}"
        return (f"optax.piecewise_constant_schedule(init_value={num(a)}, "
                f"boundaries_and_scales={text})", piecewise(a, scales))
    return None


def pieces(schedule: Schedule) -> list[Piece]:
    """Per phase: the optax function when its replica is exact on the phase, else closed form."""
    n = schedule.total_steps
    out: list[Piece] = []
    for ph in schedule.phases:
        stop = min(ph.end, n)
        if stop <= ph.start:
            continue
        b = _builtin(ph)
        if b is not None:
            call, fn = b
            dev = compare(schedule, lambda s, fn=fn, s0=ph.start: fn(s - s0), ph.start, stop)
            if dev.rel <= RTOL:
                out.append(Piece(ph.start, stop, call, fn, None, describe_phase(ph)))
                continue
        segs = [s for s in _codegen.phase_segments(ph, n) if s.stop > s.start]
        for seg in segs:
            if seg.constant is not None:
                v = seg.constant
                out.append(Piece(seg.start, seg.stop, f"optax.constant_schedule({num(v)})",
                                 (lambda c, v=v: np.full(np.shape(c), v)), None, seg.comment))
            else:
                out.append(Piece(seg.start, seg.stop, None, None, [seg], seg.comment))
    return out


def _piece_sim(pc: Piece):
    if pc.segs is None:
        return pc.sim
    seg = pc.segs[0]
    f = _codegen.numpy_function(seg)
    last = pc.stop - pc.start - 1
    return lambda c: f(np.clip(c, 0, last) + seg.offset)


def candidates(schedule: Schedule) -> list[Candidate]:
    out: list[Candidate] = []
    p = parts(schedule)
    w, d = p.warmup, p.decay
    simple = (d is not None and d.shape == "cosine" and d.b < d.a and not p.extra
              and not d.params.get("skip_zero")
              and (w is None or (w.shape == "linear" and not w.params.get("skip_zero"))))
    if simple:
        assert d is not None
        alpha = tidy(d.b / d.a)
        if w is None:
            call = (f"optax.cosine_decay_schedule(init_value={num(d.a)}, decay_steps={d.length}, "
                    f"alpha={num(alpha)})")
            out.append(Candidate("cosine_decay_schedule", ("call", call),
                                 cosine_decay(d.a, d.length, alpha)))
        else:
            call = ("optax.warmup_cosine_decay_schedule(\n"
                    f"    init_value={num(w.a)},\n    peak_value={num(d.a)},\n"
                    f"    warmup_steps={w.length},\n"
                    f"    decay_steps={w.length + d.length},  # counts the warmup\n"
                    f"    end_value={num(d.b)},\n)")
            end_alpha = d.b / d.a
            sim = join([linear(w.a, d.a, w.length), cosine_decay(d.a, d.length, end_alpha)],
                       [w.length])
            out.append(Candidate("warmup_cosine_decay_schedule", ("call", call), sim))
    pcs = pieces(schedule)
    sims = [_piece_sim(pc) for pc in pcs]
    sim = join(sims, [pc.start for pc in pcs[1:]]) if len(pcs) > 1 else sims[0]
    label = ("join_schedules" if len(pcs) > 1 else "one schedule")
    closed = sum(pc.segs is not None for pc in pcs)
    if closed:
        label += f" ({closed} closed-form piece{'s' if closed > 1 else ''})"
    out.append(Candidate(label, ("pieces", pcs), sim))
    return out


def _header(schedule: Schedule) -> list[str]:
    lines = _codegen.spec_comments(schedule, "optax")
    lines += ['"""Learning-rate schedule for optax, generated by warmupctl.']
    lines += ["", "Usage:",
              "    optimizer = optax.adamw(learning_rate=schedule)",
              "",
              "Parameter groups at other rates (a backbone under a head, say) keep their",
              "ratio with optax.multi_transform and schedule_for(base_lr), which is",
              "base_lr x schedule / PEAK_LR:",
              "    optimizer = optax.multi_transform(",
              "        {\"head\": optax.adamw(schedule),",
              "         \"backbone\": optax.adamw(schedule_for(PEAK_LR / 10))}, param_labels)",
              "",
              "Update k (the k-th optimizer.update, counting from 0) uses schedule(k), which is",
              "warmupctl's lr(k) (no lag).",
              "", *PRECISION, '"""']
    return lines


def render(candidate: Candidate, schedule: Schedule) -> str:
    kind, payload = candidate.config
    lines = _header(schedule)
    head = ["", "import jax.numpy as jnp", "import optax", "",
            f"TOTAL_STEPS = {schedule.total_steps}", f"PEAK_LR = {num(_peak(schedule))}"]
    if kind == "call":
        lines += head + ["", f"_schedule = {payload}"] + _as_float(schedule.total_steps)
        lines += _codegen.demo_lines(schedule)
        return _codegen.finish("\n".join(lines) + "\n", schedule)
    pcs: list[Piece] = payload
    lines += head
    names: list[str] = []
    for i, pc in enumerate(pcs):
        if pc.segs is None:
            names.append(pc.call or "")
            continue
        seg = pc.segs[0]
        name = f"_piece_{i}"
        names.append(name)
        last = pc.stop - pc.start - 1
        x = f"jnp.clip(count, 0, {last})" + (f" + {seg.offset}" if seg.offset else "")
        lines += ["", "", f"def {name}(count):",
                  _codegen.comment(f"{_codegen.segment_range(seg)}: {seg.comment} (count from "
                                   "the start of the piece)", "    "),
                  f"    x = {x}"]
        lines += _codegen.render_body(seg, "jnp", "    ")
    lines += [""]
    if len(pcs) == 1:
        lines += ["", f"_schedule = {names[0]}"]
    else:
        lines += ["", "_schedule = optax.join_schedules(", "    schedules=["]
        for pc, name in zip(pcs, names, strict=True):
            last = pc.stop - 1
            where = f"steps {pc.start:,}–{last:,}" if last > pc.start else f"step {pc.start:,}"
            lines += [_codegen.comment(f"{where}: {pc.comment}", "        "), f"        {name},"]
        lines += ["    ],", f"    boundaries={[pc.start for pc in pcs[1:]]!r},", ")"]
    lines += _as_float(schedule.total_steps)
    lines += _codegen.demo_lines(schedule)
    return _codegen.finish("\n".join(lines) + "\n", schedule)


def _as_float(total: int) -> list[str]:
    return [*_codegen.check_lines(total), "", "",
            "def schedule(count):",
            '    """The rate of update ``count`` (from 0); after the last update, the last rate.',
            "    optax counts in int32, and an int32 count would make jax compute in float32",
            '    even with jax_enable_x64; as a float (float64 under x64) the rates keep their',
            '    precision."""',
            "    _check_step(count)",
            "    count = jnp.asarray(count, dtype=jnp.result_type(float))",
            "    return _schedule(jnp.minimum(count, TOTAL_STEPS - 1))", "", "",
            "def schedule_for(base_lr):",
            '    """The schedule of a parameter group trained at base_lr instead of PEAK_LR',
            "    (base_lr x schedule(k) / PEAK_LR), for optax.multi_transform; at PEAK_LR it is",
            '    schedule itself."""',
            "    if base_lr == PEAK_LR:",
            "        return schedule",
            "    ratio = base_lr / PEAK_LR",
            "    return lambda count: schedule(count) * ratio"]


def _peak(schedule: Schedule) -> float:
    return max(max(ph.a, ph.b) for ph in schedule.phases)
