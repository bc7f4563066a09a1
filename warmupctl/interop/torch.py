"""PyTorch: a self-contained Python file defining ``make_scheduler(optimizer)``.

Two ways of writing a schedule, the first that is exact wins:

1. **Built-in classes** — one ``torch.optim.lr_scheduler`` class per phase (``LinearLR``,
   ``CosineAnnealingLR``, ``ConstantLR``, ``MultiStepLR``, ``ExponentialLR``, ``PolynomialLR``),
   joined by ``SequentialLR``. These classes step *recursively* (each step multiplies the current
   rate by a ratio), so rounding accumulates over a long phase; :func:`replica` re-runs that
   recursion in Python, operation for operation, and the file is only written this way when the
   replica stays within 1e-12 of warmupctl at every step.
2. **A closed form** — ``LambdaLR`` over ``lr_at(step)``, the engine's formulas in plain Python
   (``math`` only), checked at every step. Always possible, so this target never refuses (but
   a growing restart period with more cycles than a file tabulates, ``_codegen.TABLE_CYCLES``).

The rate is computed in Python floats (float64): torch's schedulers keep ``param_group["lr"]`` as a
Python float, so the torch export is exact to 1e-12 like the configs.

Step convention: the scheduler's constructor sets the rate for update 0 and ``scheduler.step()``
after each ``optimizer.step()`` moves to the next update (no lag). Every factor is relative to each
param group's own ``lr`` (its ``initial_lr``): a group created at the schedule's peak follows the
schedule, and groups at other rates keep their ratio to it, as with ``LambdaLR`` and HF's
schedulers. (So ``CosineAnnealingLR`` is used only with ``eta_min=0``: its ``eta_min`` is one
absolute rate for every group.)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Phase, Schedule
from . import _codegen
from ._common import (
    RTOL,
    Candidate,
    describe_phase,
    num,
    relative_error,
    tidy,
)

#: the scalar closed form is checked in full up to this many steps (above: every step with the
#: NumPy rendering of the same text, and the Python text at a stride)
SCALAR_CHECK_LIMIT = 2_000_000


def refusal(schedule: Schedule) -> str | None:
    # a closed-form LambdaLR reproduces every schedule, but a growing restart period with more
    # cycles than a file tabulates
    return _codegen.restart_refusal(schedule)


# --------------------------------------------------------------------------------------------
# Built-in classes
# --------------------------------------------------------------------------------------------


@dataclass
class Child:
    """One torch scheduler in the sequence: class name, keyword arguments, steps covered."""

    cls: str
    kwargs: dict[str, Any]
    start: int
    stop: int
    comment: str


def _factor(rate: float, base: float) -> float:
    return tidy(rate / base)


def _child(ph: Phase, base: float, total: int, last: bool,
           groups: bool = False) -> tuple[Child | None, str | None]:
    stop = min(ph.end, total)
    note = describe_phase(ph)
    if ph.params.get("skip_zero"):
        return None, f"{note}: torch's classes have no skip_zero (rate at (t + 1)/L)"
    if ph.shape == "constant":
        iters = total if last else ph.length
        return Child("ConstantLR", {"factor": _factor(ph.a, base), "total_iters": iters},
                     ph.start, stop, note), None
    if ph.shape == "linear":
        if ph.a <= 0:
            return None, (f"{note}: LinearLR cannot start at 0 (start_factor must be > 0, "
                          "pytorch/pytorch#86454)")
        return Child("LinearLR", {"start_factor": _factor(ph.a, base),
                                  "end_factor": _factor(ph.b, base), "total_iters": ph.length},
                     ph.start, stop, note), None
    if ph.shape == "cosine":
        if ph.b > ph.a:
            return None, f"{note}: torch has no cosine warmup class"
        if ph.a != base:
            return None, f"{note}: CosineAnnealingLR starts at the optimizer's lr (the peak)"
        if groups and ph.b != 0:
            return None, (f"{note}: CosineAnnealingLR's eta_min is one absolute rate for every "
                          "param group, so groups at other rates would lose their ratio")
        return Child("CosineAnnealingLR", {"T_max": ph.length, "eta_min": ph.b},
                     ph.start, stop, note), None
    if ph.shape == "polynomial" and ph.b == 0 and ph.a == base:
        return Child("PolynomialLR", {"total_iters": ph.length,
                                      "power": float(ph.params.get("power", 1.0))},
                     ph.start, stop, note), None
    if (ph.shape == "exponential" and "gamma" in ph.params and ph.a == base
            and float(ph.params.get("every", 1)) == 1.0 and not ph.params.get("floor")):
        return Child("ExponentialLR", {"gamma": float(ph.params["gamma"])},
                     ph.start, stop, note), None
    if ph.shape == "step" and ph.a == base:
        ms = [int(m) - ph.start for m in ph.params.get("milestones", ()) if m >= ph.start]
        if any(m < ph.start for m in ph.params.get("milestones", ())):
            return None, f"{note}: a milestone lies before the phase"
        return Child("MultiStepLR", {"milestones": ms, "gamma": float(ph.params.get("gamma", 0.1))},
                     ph.start, stop, note), None
    return None, f"{note}: no torch class has this shape"


#: classes that keep their last rate after their own length (so a hold can be folded in)
HOLDS = ("LinearLR", "PolynomialLR", "MultiStepLR")


def builtin_children(schedule: Schedule, groups: bool = False
                     ) -> tuple[list[Child], list[str]]:
    """The per-phase classes (merged with a following hold where the class holds by itself),
    or the reasons some phase has none. ``groups``: only classes that keep the ratios of param
    groups at other rates (the -f torch file; a DeepSpeed config block has one rate)."""
    base = max(max(ph.a, ph.b) for ph in schedule.phases)
    children: list[Child] = []
    problems: list[str] = []
    phases = list(schedule.phases)
    for i, ph in enumerate(phases):
        if (children and ph.shape == "constant" and children[-1].cls in HOLDS
                and children[-1].stop == ph.start and ph.a == phases[i - 1].end_value()):
            children[-1].stop = min(ph.end, schedule.total_steps)
            children[-1].comment += f", then holds {num(ph.a)}"
            continue
        child, why = _child(ph, base, schedule.total_steps, i == len(phases) - 1, groups)
        if child is None:
            problems.append(why or describe_phase(ph))
        else:
            children.append(child)
    return children, problems


class _Replica:
    """One torch scheduler on one param group, with the same float operations (torch 2.13)."""

    def __init__(self, child: Child, base: float) -> None:
        self.cls = child.cls
        self.kw = child.kwargs
        self.base = base
        self.last_epoch = -1
        self.step_count = 0
        if self.cls == "MultiStepLR":
            self.milestones = Counter(self.kw["milestones"])

    def get_lr(self, lr: float, initial: bool) -> float:  # noqa: C901 - mirrors torch
        e, kw = self.last_epoch, self.kw
        c = self.cls
        if c == "LinearLR":
            sf, ef, n = kw["start_factor"], kw["end_factor"], kw["total_iters"]
            if e == 0:
                return lr * sf
            if initial or e > n:
                return lr
            return lr * (1.0 + (ef - sf) / (n * sf + (e - 1) * (ef - sf)))
        if c == "CosineAnnealingLR":
            tm, em = kw["T_max"], kw["eta_min"]
            if initial:
                return lr
            if self.step_count == 1 and e > 0:
                return em + (self.base - em) * (1 + math.cos(e * math.pi / tm)) / 2
            if (e - 1 - tm) % (2 * tm) == 0:
                return lr + (self.base - em) * (1 - math.cos(math.pi / tm)) / 2
            return ((1 + math.cos(math.pi * e / tm)) / (1 + math.cos(math.pi * (e - 1) / tm))
                    * (lr - em) + em)
        if c == "ConstantLR":
            f, n = kw["factor"], kw["total_iters"]
            if e == 0:
                return lr * f
            if e != n:
                return lr
            return lr * (1.0 / f)
        if c == "MultiStepLR":
            if e not in self.milestones:
                return lr
            return lr * kw["gamma"] ** self.milestones[e]
        if c == "ExponentialLR":
            return lr if initial else lr * kw["gamma"]
        if c == "PolynomialLR":
            n, pw = kw["total_iters"], kw["power"]
            if initial or e > n:
                return lr
            return lr * ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** pw
        raise AssertionError(c)  # pragma: no cover

    def closed(self) -> float:
        e, kw, base, c = self.last_epoch, self.kw, self.base, self.cls
        if c == "LinearLR":
            sf, ef, n = kw["start_factor"], kw["end_factor"], kw["total_iters"]
            return base * (sf + (ef - sf) * min(n, e) / n)
        if c == "CosineAnnealingLR":
            em = kw["eta_min"]
            return em + (base - em) * (1 + math.cos(math.pi * e / kw["T_max"])) / 2
        if c == "ConstantLR":
            f = kw["factor"]
            return base * (f + (e >= kw["total_iters"]) * (1 - f))
        if c == "MultiStepLR":
            ms = sorted(self.milestones.elements())
            return base * kw["gamma"] ** bisect_right(ms, e)
        if c == "ExponentialLR":
            return base * kw["gamma"] ** e
        if c == "PolynomialLR":
            n = kw["total_iters"]
            return base * (1.0 - min(n, e) / n) ** kw["power"]
        raise AssertionError(c)  # pragma: no cover

    def initial_step(self, lr: float) -> float:
        self.step_count = 0
        self.step_count += 1
        self.last_epoch += 1
        return self.get_lr(lr, initial=True)

    def step(self, lr: float) -> float:
        self.step_count += 1
        self.last_epoch += 1
        return self.get_lr(lr, initial=False)


def replica(children: list[Child], base: float, n: int) -> np.ndarray:
    """The rate of updates 0 … n−1 under the classes (``SequentialLR`` when several), as torch
    computes it: constructors, SequentialLR's reset and undo, closed forms at milestones."""
    reps = [_Replica(c, base) for c in children]
    lr = base
    for r in reps:  # each constructor performs its initial step on the shared param group
        lr = r.initial_step(lr)
    out = np.empty(n, dtype=np.float64)
    if len(reps) == 1:
        r = reps[0]
        out[0] = lr
        for k in range(1, n):
            lr = r.step(lr)
            out[k] = lr
        return out
    milestones = [c.start for c in children[1:]]
    lr = base  # SequentialLR: reset to initial_lr, undo every child's step, redo the first
    for r in reps:
        r.last_epoch -= 1
    lr = reps[0].initial_step(lr)
    out[0] = lr
    for k in range(1, n):
        idx = bisect_right(milestones, k)
        r = reps[idx]
        if idx > 0 and milestones[idx - 1] == k:
            r.last_epoch = 0
            lr = r.closed()
        else:
            lr = r.step(lr)
        out[k] = lr
    return out


# --------------------------------------------------------------------------------------------
# Candidates and rendering
# --------------------------------------------------------------------------------------------


def candidates(schedule: Schedule) -> list[Candidate]:
    out: list[Candidate] = []
    children, problems = builtin_children(schedule, groups=True)
    base = max(max(ph.a, ph.b) for ph in schedule.phases)
    if not problems:
        cache: dict[str, np.ndarray] = {}

        def sim(steps: np.ndarray) -> np.ndarray:
            if "curve" not in cache:
                cache["curve"] = replica(children, base, schedule.total_steps)
            return cache["curve"][steps]

        label = "SequentialLR" if len(children) > 1 else children[0].cls
        out.append(Candidate(label, ("builtin", children, base), sim, []))
    out.append(closed_form_candidate(schedule, builtin_problems=problems))
    return out


def closed_form_candidate(schedule: Schedule, builtin_problems: list[str] | None = None
                          ) -> Candidate:
    segs = _codegen.segments(schedule)
    src, fn = _codegen.scalar_function(segs, schedule.total_steps)
    n = schedule.total_steps

    def sim(steps: np.ndarray) -> np.ndarray:
        return _codegen.evaluate(segs, steps)

    cand = Candidate("LambdaLR (closed form)", ("lambda", segs, src), sim, [])
    # the Python text itself, at every step (or a stride and every segment edge for huge runs)
    if n <= SCALAR_CHECK_LIMIT:
        steps = np.arange(n, dtype=np.int64)
    else:
        edges = [s for seg in segs for s in (seg.start, seg.stop - 1)]
        steps = np.unique(np.concatenate([np.arange(0, n, max(1, n // 500_000)),
                                          np.asarray(edges, dtype=np.int64)]))
    ours = schedule.at(steps)
    theirs = np.fromiter((fn(int(k)) for k in steps), dtype=np.float64, count=len(steps))
    rel = relative_error(ours, theirs)
    if rel.size and rel.max() > RTOL:  # pragma: no cover - a bug in the generator
        i = int(np.argmax(rel))
        cand.problems.append(f"the generated lr_at differs at step {int(steps[i])} "
                             f"(relative error {rel[i]:.3g})")
    if builtin_problems:
        cand.notes.append("built-in classes cannot express: " + "; ".join(builtin_problems))
    return cand


def _header(schedule: Schedule, how: str) -> list[str]:
    lines = _codegen.spec_comments(schedule, "PyTorch")
    lines += [f'"""Learning-rate schedule for PyTorch, generated by warmupctl ({how}).', ""]
    lines += [
        "Usage:",
        "    optimizer = torch.optim.AdamW(model.parameters(), lr=PEAK_LR)",
        "    scheduler = make_scheduler(optimizer)",
        "    for batch in loader:",
        "        loss = model(batch).loss",
        "        loss.backward()",
        "        optimizer.step()",
        "        scheduler.step()   # after every optimizer.step()",
        "        optimizer.zero_grad()",
        "",
        "Update k (the k-th optimizer.step(), counting from 0) uses warmupctl's lr(k): the",
        "scheduler sets the rate of update 0 when it is created (no lag); after the last",
        "update the rate holds. The rates equal warmupctl's to 1e-12 (relative) at every step",
        "(checked when this file was written).",
        "",
        "Param groups keep their own rates, as with torch's and HF's schedulers: a group",
        "created with lr=PEAK_LR follows the schedule, and a group created with lr=r gets",
        "r x lr(k) / PEAK_LR (e.g. a backbone at a tenth of the head's rate stays at a tenth).",
        '"""',
    ]
    return lines


def _demo(schedule: Schedule, has_lr_at: bool) -> list[str]:
    show = sorted({0, schedule.total_steps - 1} | {min(ph.start, schedule.total_steps - 1)
                                                   for ph in schedule.phases})
    limit = 20_000
    lines = [
        "",
        "",
        'if __name__ == "__main__":',
        "    # The rates a real optimizer gets, read from optimizer.param_groups[0][\"lr\"].",
        "    param = torch.nn.Parameter(torch.zeros(1))",
        "    optimizer = torch.optim.SGD([param], lr=PEAK_LR)",
        "    scheduler = make_scheduler(optimizer)",
        f"    shown = {[s for s in show if s < limit]!r}",
        "    for step in range(max(shown) + 1):",
        "        if step in shown:",
        "            print(f\"step {step:>10,}  lr {optimizer.param_groups[0]['lr']!r}\")",
        "        optimizer.step()",
        "        scheduler.step()",
    ]
    later = [s for s in show if s >= limit]
    if later and has_lr_at:
        lines += [f"    for step in {later!r}:",
                  "        print(f\"step {step:>10,}  lr {lr_at(step)!r}  (lr_at)\")"]
    return lines


def render(candidate: Candidate, schedule: Schedule) -> str:
    kind = candidate.config[0]
    N = schedule.total_steps
    if kind == "builtin":
        _, children, base = candidate.config
        classes = sorted({c.cls for c in children} | ({"SequentialLR"} if len(children) > 1
                                                        else set()))
        lines = _header(schedule, "built-in torch.optim.lr_scheduler classes")
        lines += ["", "import torch", "from torch.optim.lr_scheduler import " + ", ".join(classes),
                  "", f"TOTAL_STEPS = {N}", f"PEAK_LR = {num(base)}", "", "",
                  "def make_scheduler(optimizer: torch.optim.Optimizer):",
                  '    """The schedule as torch classes. Every factor is relative to each param',
                  "    group's own lr: a group created with lr=PEAK_LR follows the schedule, the",
                  '    others keep their ratio to it."""']

        def call(c: Child, indent: str) -> list[str]:
            args = ", ".join(f"{k}={_py(v)}" for k, v in c.kwargs.items())
            last = c.stop - 1
            where = f"steps {c.start:,}–{last:,}" if last > c.start else f"step {c.start:,}"
            return [_codegen.comment(f"{where}: {c.comment}", indent),
                    f"{indent}{c.cls}(optimizer, {args}),"]

        if len(children) == 1:
            body = call(children[0], "    ")
            lines += [body[0], "    return " + body[1].strip().rstrip(",")]
        else:
            lines += ["    return SequentialLR(", "        optimizer,", "        ["]
            for c in children:
                lines += call(c, "            ")
            lines += ["        ],", f"        milestones={[c.start for c in children[1:]]!r},",
                      "    )"]
        lines += _demo(schedule, False)
        return _codegen.finish("\n".join(lines) + "\n", schedule)
    _, segs, src = candidate.config
    lines = _header(schedule, "closed form for LambdaLR")
    lines += ["", "import math", "", "import torch", "", f"TOTAL_STEPS = {N}",
              f"PEAK_LR = {num(_peak(schedule))}", "", ""]
    lines += src.rstrip("\n").split("\n")
    lines += [
        "", "",
        "def make_scheduler(optimizer: torch.optim.Optimizer):",
        '    """A LambdaLR multiplying each param group\'s own lr by lr_at(k) / PEAK_LR: a',
        "    group created with lr=PEAK_LR gets lr_at(k), the others keep their ratio to it",
        '    (as with any LambdaLR and HF\'s schedulers)."""',
        "    return torch.optim.lr_scheduler.LambdaLR(",
        "        optimizer, lambda step: lr_at(step) / PEAK_LR)",
    ]
    lines += _demo(schedule, True)
    return _codegen.finish("\n".join(lines) + "\n", schedule)


def _peak(schedule: Schedule) -> float:
    return max(max(ph.a, ph.b) for ph in schedule.phases)


def _py(v: Any) -> str:
    if isinstance(v, float):
        return num(v)
    return repr(v)
