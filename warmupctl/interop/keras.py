"""Keras 3: a self-contained Python file defining ``schedule`` (a ``LearningRateSchedule``).

Keras optimizers call the schedule with their iteration counter, which starts at 0 and grows
after every update: update k uses ``schedule(k)`` (no lag).

Keras has no way to join schedules, so the file uses one built-in class when one reproduces the
whole curve — ``CosineDecay`` (with ``warmup_target``/``warmup_steps`` for a linear warmup; its
``decay_steps`` *excludes* the warmup, and it holds ``alpha × target`` afterwards),
``PolynomialDecay``, ``ExponentialDecay`` or ``PiecewiseConstantDecay`` (which changes value one
step *after* each boundary, so the boundaries are written one step early) — and otherwise a small
``LearningRateSchedule`` subclass with the engine's closed form in ``keras.ops``. Each choice is
checked at every step against a float64 replica of the Keras code
(``keras/src/optimizers/schedules/learning_rate_schedule.py``, Keras 3.15); the closed form always
fits, so this target refuses only restarts with more than 64 cycles whose cycle index would need a
float division under jit (``_codegen.xla_refusal``).

Precision: Keras computes schedules in ``keras.config.floatx()`` — float32 by default, where the
rates agree with warmupctl's to within 1e-6 × the peak; with ``keras.config.set_floatx("float64")``
to 1e-12 relative (1e-15 × the peak where a cosine ends at 0). See docs/interop.md.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..engine import Schedule
from . import _codegen
from ._common import Candidate, num, parts, tidy

PRECISION = [
    "Precision: Keras computes the schedule in keras.config.floatx(), float32 by default: every",
    "rate is then within 1e-6 x PEAK_LR of warmupctl's (an exponential decay drifts further:",
    "gamma itself is rounded to float32). With keras.config.set_floatx(\"float64\") (torch",
    "backend, or jax with x64) they agree to 1e-12 relative (1e-15 x PEAK_LR absolute where a",
    "cosine ends at 0).",
]


def refusal(schedule: Schedule) -> str | None:
    return _codegen.restart_refusal(schedule) or _codegen.xla_refusal(schedule, "keras")


# --------------------------------------------------------------------------------------------
# float64 replicas of the Keras classes
# --------------------------------------------------------------------------------------------


def cosine_decay(init: float, decay_steps: int, alpha: float, target: float | None = None,
                 warmup: int = 0):
    def decay(step: np.ndarray, frm: float) -> np.ndarray:
        completed = step / float(decay_steps)
        cd = 0.5 * (1.0 + np.cos(np.pi * completed))
        decayed = (1 - alpha) * cd + alpha
        return frm * decayed

    def f(k: np.ndarray) -> np.ndarray:
        s = np.asarray(k, dtype=np.float64)
        if target is None:
            return decay(np.minimum(s, float(decay_steps)), init)
        s = np.minimum(s, float(decay_steps) + float(warmup))
        warm = (target - init) * (s / float(warmup)) + init
        return np.where(s < warmup, warm, decay(s - float(warmup), target))
    return f


def polynomial_decay(init: float, decay_steps: int, end: float, power: float):
    def f(k: np.ndarray) -> np.ndarray:
        s = np.minimum(np.asarray(k, dtype=np.float64), float(decay_steps))
        p = s / float(decay_steps)
        return (init - end) * np.power(1 - p, power) + end
    return f


def exponential_decay(init: float, decay_steps: int, rate: float):
    def f(k: np.ndarray) -> np.ndarray:
        p = np.asarray(k, dtype=np.float64) / float(decay_steps)
        return init * np.power(rate, p)
    return f


def piecewise_constant(boundaries: list[int], values: list[float]):
    def f(k: np.ndarray) -> np.ndarray:
        k = np.asarray(k)
        out = np.zeros(k.shape, dtype=np.float64)
        out += (k <= boundaries[0]) * values[0]
        out += (k > boundaries[-1]) * values[-1]
        for lo, hi, v in zip(boundaries[:-1], boundaries[1:], values[1:-1], strict=True):
            out += ((k > lo) & (k <= hi)) * v
        return out
    return f


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _call(cls: str, **kwargs: Any) -> str:
    args = ",\n".join(f"    {k}={num(v) if isinstance(v, float) else repr(v)}"
                      for k, v in kwargs.items())
    return f"keras.optimizers.schedules.{cls}(\n{args},\n)"


def candidates(schedule: Schedule) -> list[Candidate]:
    out: list[Candidate] = []
    p = parts(schedule)
    w, d = p.warmup, p.decay
    warm_ok = w is None or (w.shape == "linear" and not w.params.get("skip_zero"))
    if d is not None and not p.extra and warm_ok:
        # CosineDecay: a cosine decay (or, with alpha = 1, a constant) after a linear warmup
        if (d.shape == "cosine" and d.b < d.a and not d.params.get("skip_zero")) or \
                d.shape == "constant":
            if d.shape == "constant":
                steps, alpha = 1, 1.0
            else:
                steps, alpha = d.length, tidy(d.b / d.a)
            if w is None:
                call = _call("CosineDecay", initial_learning_rate=d.a, decay_steps=steps,
                             alpha=alpha)
                sim = cosine_decay(d.a, steps, alpha)
            else:
                call = _call("CosineDecay", initial_learning_rate=w.a, decay_steps=steps,
                             alpha=alpha, warmup_target=d.a, warmup_steps=w.length)
                sim = cosine_decay(w.a, steps, alpha, d.a, w.length)
            out.append(Candidate("CosineDecay", ("call", call), sim))
        if w is None and d.shape in ("linear", "polynomial") and d.b < d.a and \
                not d.params.get("skip_zero"):
            power = float(d.params.get("power", 1.0))
            call = _call("PolynomialDecay", initial_learning_rate=d.a, decay_steps=d.length,
                         end_learning_rate=d.b, power=power)
            out.append(Candidate("PolynomialDecay", ("call", call),
                                 polynomial_decay(d.a, d.length, d.b, power)))
        if (w is None and d.shape == "exponential" and "gamma" in d.params
                and not d.params.get("floor") and not d.params.get("skip_zero")):
            every = int(d.params.get("every", 1))
            g = float(d.params["gamma"])
            call = _call("ExponentialDecay", initial_learning_rate=d.a, decay_steps=every,
                         decay_rate=g)
            out.append(Candidate("ExponentialDecay", ("call", call),
                                 exponential_decay(d.a, every, g)))
    segs = _codegen.segments(schedule)
    if len(segs) > 1 and all(s.constant is not None for s in segs):
        bounds = [s.start - 1 for s in segs[1:]]
        values = [float(s.constant) for s in segs]  # type: ignore[arg-type]
        call = ("keras.optimizers.schedules.PiecewiseConstantDecay(\n"
                f"    boundaries={bounds!r},  # the value changes one step after each boundary\n"
                f"    values=[{', '.join(num(v) for v in values)}],\n)")
        out.append(Candidate("PiecewiseConstantDecay", ("call", call),
                             piecewise_constant(bounds, values)))
    last = schedule.total_steps - 1
    out.append(Candidate("LearningRateSchedule (closed form)", ("closed", segs),
                         lambda k: _codegen.evaluate(segs, np.minimum(k, last))))
    return out


def _class_name(schedule: Schedule) -> str:
    words = re.findall(r"[A-Za-z0-9]+", schedule.name or "exported")
    name = "".join(w[:1].upper() + w[1:] for w in words)[:60] or "Warmupctl"
    if name[0].isdigit():
        name = "S" + name
    return name + "Schedule"


def _header(schedule: Schedule) -> list[str]:
    lines = _codegen.spec_comments(schedule, "Keras 3")
    lines += ['"""Learning-rate schedule for Keras 3, generated by warmupctl.']
    lines += ["", "Usage (any Keras 3 backend; e.g. KERAS_BACKEND=jax or torch):",
              "    optimizer = keras.optimizers.AdamW(learning_rate=schedule)", "",
              "Variables trained at another rate r (a backbone under a head, say) get their own",
              "optimizer with the schedule scaled to r: learning_rate=type(schedule)(base_lr=r),",
              "which gives r x lr(k) / PEAK_LR.", "",
              "Update k (optimizer.iterations == k, counting from 0) uses schedule(k), which is",
              "warmupctl's lr(k) (no lag). With gradient_accumulation_steps the schedule sees",
              "micro-steps: export the schedule in micro-steps then.", "", *PRECISION, '"""']
    return lines


def render(candidate: Candidate, schedule: Schedule) -> str:
    kind, payload = candidate.config
    N = schedule.total_steps
    peak = max(max(ph.a, ph.b) for ph in schedule.phases)
    lines = _header(schedule)
    cls = _class_name(schedule)
    if kind == "call":
        lines += ["", "import keras", "from keras import ops", "", f"TOTAL_STEPS = {N}",
                  f"PEAK_LR = {num(peak)}", "", f"_schedule = {payload}"]
        lines += _codegen.check_lines(N)
        lines += [
            "", "",
            '@keras.saving.register_keras_serializable(package="warmupctl")',
            f"class {cls}(keras.optimizers.schedules.LearningRateSchedule):",
            '    """The schedule above; after the last step, the last rate. base_lr: the rate',
            '    of the variables this optimizer trains (base_lr x lr(k) / PEAK_LR)."""',
            "",
            "    def __init__(self, base_lr=PEAK_LR):",
            "        super().__init__()",
            "        self.base_lr = base_lr",
            "",
            "    def __call__(self, step):",
            "        _check_step(step)",
            f"        rate = _schedule(ops.minimum(step, {N - 1}))",
            "        if self.base_lr != PEAK_LR:",
            "            rate = rate * (self.base_lr / PEAK_LR)",
            "        return rate",
            "", "    def get_config(self):", "        return {\"base_lr\": self.base_lr}", "", "",
            f"schedule = {cls}()"]
        lines += _codegen.demo_lines(schedule)
        return _codegen.finish("\n".join(lines) + "\n", schedule)
    segs: list[_codegen.Segment] = payload
    lines += ["", "import math", "", "import keras", "from keras import ops", "",
              f"TOTAL_STEPS = {N}", f"PEAK_LR = {num(peak)}"]
    if any("MAX(" in line for seg in segs for line in seg.body):
        lines += ["", "", "def _max(value, floor):",
                  '    """max(value, floor), keeping value\'s dtype (ops.maximum can fall back',
                  '    to float32)."""',
                  "    return ops.where(value > floor, value, ops.cast(floor, value.dtype))"]
    if any("FLOORDIV(" in line for seg in segs for line in seg.body):
        lines += ["", "", "def _floordiv(x, c):",
                  '    """floor(x / c) as the tensor\'s own // (keeps float64; ops.floor_divide',
                  '    can fall back to float32)."""',
                  "    return x // c"]
    lines += _codegen.check_lines(N)
    names: list[str | None] = []
    for i, seg in enumerate(segs):
        if seg.constant is not None:
            names.append(None)
            continue
        name = f"_piece_{i}"
        names.append(name)
        lines += ["", "", f"def {name}(x):",
                  _codegen.comment(f"{_codegen.segment_range(seg)}: {seg.comment}", "    ")]
        lines += _codegen.render_body(seg, "keras", "    ")
    lines += [
        "", "",
        '@keras.saving.register_keras_serializable(package="warmupctl")',
        f"class {cls}(keras.optimizers.schedules.LearningRateSchedule):",
        '    """warmupctl\'s rate at each step; after the last step, the last rate. base_lr:',
        '    the rate of the variables this optimizer trains (base_lr x lr(k) / PEAK_LR)."""',
        "",
    "    def __init__(self, base_lr=PEAK_LR):",
        "        super().__init__()",
        "        self.base_lr = base_lr",
        "",
        "    def __call__(self, step):",
        "        _check_step(step)",
        "        dtype = keras.config.floatx()",
        f"        t = ops.minimum(ops.cast(step, \"int32\"), {N - 1})",
    ]

    def value(i: int) -> str:
        seg = segs[i]
        if seg.constant is not None:
            return f"ops.cast({num(seg.constant)}, dtype)"
        last = seg.stop - seg.start - 1
        x = f"ops.clip(t - {seg.start}, 0, {last})" + (f" + {seg.offset}" if seg.offset else "")
        return f"{names[i]}(ops.cast({x}, dtype))"

    lines.append(f"        rate = {value(len(segs) - 1)}")
    for i in range(len(segs) - 2, -1, -1):
        lines.append(f"        rate = ops.where(t < {segs[i].stop}, {value(i)}, rate)")
    lines += ["        if self.base_lr != PEAK_LR:",
              "            rate = rate * (self.base_lr / PEAK_LR)",
              "        return rate", "", "    def get_config(self):",
              "        return {\"base_lr\": self.base_lr}", "", "",
              f"schedule = {cls}()"]
    lines += _codegen.demo_lines(schedule)
    return _codegen.finish("\n".join(lines) + "\n", schedule)
