"""The shape of the curve: jumps, a constant warmup with a large jump, step 0 at rate 0, and the
peak a Noam schedule implies."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..engine import Phase
from ._core import PRETRAIN, Facts, Rule, lr, num, pct, steps

FAMILY = "shape"

#: a jump larger than this factor at the end of a constant warmup is flagged
JUMP = 2.0
#: a change at a phase boundary larger than this fraction of the peak is a discontinuity
TOLERANCE = 0.02


def _constant_warmup(f: Facts) -> Phase | None:
    ph = f.warmup_phase
    if ph is not None and ph.shape == "constant" and ph.b > ph.a:
        return ph
    return None


def _jump(f: Facts) -> Iterator[str]:
    ph = _constant_warmup(f)
    if ph is None:
        return
    ratio = math.inf if ph.a == 0 else ph.b / ph.a
    if ratio <= JUMP:
        return
    if ph.a == 0:
        yield (f"The constant warmup holds the rate at 0 for {steps(ph.length)} (they train "
               f"nothing), then jumps to {lr(ph.b)} at step {ph.end:,}. Use a linear warmup.")
        return
    yield (f"The constant warmup holds {lr(ph.a)} for {steps(ph.length)}, then jumps {ratio:.3g}× "
           f"to {lr(ph.b)} at step {ph.end:,}. Goyal et al. found that a constant low rate "
           f"followed by a large jump (32× for their 8k batch) spiked the training error, while "
           f"a gradual (linear) warmup from the same start did not.")


def _boundary_values(prev: Phase) -> float:
    """The rate the previous phase actually ends on (a constant phase ends on its own rate)."""
    if prev.shape == "constant":
        return prev.a
    return prev.end_value()


def _discontinuities(f: Facts) -> Iterator[str]:
    phases = f.schedule.phases
    skip_first = _constant_warmup(f) is not None
    for i in range(1, len(phases)):
        prev, nxt = phases[i - 1], phases[i]
        if nxt.start >= f.total or (i == 1 and skip_first):
            continue
        left, right = _boundary_values(prev), nxt.a
        if abs(right - left) <= TOLERANCE * f.peak:
            continue
        if prev.shape == "constant" and nxt.shape == "constant" and right < left:
            continue  # a step-decay milestone written as constant phases (DeepSeek LLM)
        ratio = f"{right / left:.3g}×" if left else "from 0"
        advice = ("A rise this abrupt is what Goyal et al. saw spike the training error; ramp "
                  "it with a linear phase instead." if right > left else
                  "Outside step-decay milestones a drop like this is usually a slip; if it is "
                  "deliberate, write it as a step decay.")
        yield (f"At step {nxt.start:,} ({pct(nxt.start / f.total)} of the run) the rate jumps from "
               f"{lr(left)} to {lr(right)} ({ratio}), between phase {i} ({prev.shape}) and phase "
               f"{i + 1} ({nxt.shape}). {advice}")


def _first_zero(f: Facts) -> Iterator[str]:
    if f.total > 1 and f.schedule.lr(0) == 0.0:
        # how many leading steps use 0 (an imported DeepSpeed schedule repeats its start: two)
        k = 1
        while k < min(f.total, 64) and f.schedule.lr(k) == 0.0:
            k += 1
        first = ("Step 0 uses rate 0, so the first update moves" if k == 1 else
                 f"Steps 0 to {k - 1} use rate 0, so the first {k} updates move")
        after = f" (step {k} uses {lr(f.schedule.lr(k))})" if k < f.total else ""
        yield (f"{first} no weights{after}. `skip_zero: true` on the warmup (the `warmup` "
               f"block, or the rising phase) starts one step further along the ramp, as HF "
               f"cosine_warmup_with_min_lr and pytorch_warmup do.")


def _noam(f: Facts) -> Iterator[str]:
    if not f.noam or not f.warmup:
        return
    d = f.noam["d_model"]
    scale = f.noam.get("scale", 1.0)
    s = "" if scale == 1.0 else f"{num(scale)}·"
    yield (f"Noam schedule: the peak is {s}d_model^-0.5·W^-0.5 = {s}{num(d)}^-0.5·"
           f"{f.warmup:,}^-0.5 = {lr(f.peak)} at step {f.warmup:,}, halving by step "
           f"{4 * f.warmup:,}. Many reimplementations multiply by an extra factor; check that "
           f"your trainer's scale matches.")


RULES = [
    Rule(
        id="constant-warmup-jump",
        severity="warning",
        family=FAMILY,
        summary="A constant warmup (a low rate, then a jump to the peak) whose jump is more than "
                "2×, or that holds the rate at 0.",
        source="Goyal et al. 2017, Accurate, Large Minibatch SGD, arXiv:1706.02677, §2.2 "
               "(constant vs gradual warmup) and §5",
        evidence="V-S (paper sentences quoted in a reference implementation). The 2× line is "
                 "warmupctl's; Goyal et al. report the spike for a 32× jump. T5's constant "
                 "0.01 (no jump) is not flagged.",
        check=_jump,
        regimes=PRETRAIN,
        cite="Goyal et al. 2017 §2.2, §5",
    ),
    Rule(
        id="rate-discontinuity",
        severity="warning",
        family=FAMILY,
        summary="The rate changes by more than 2% of the peak from one phase to the next, other "
                "than a drop between two constant phases (a step-decay milestone) or the end of "
                "a constant warmup (see `constant-warmup-jump`).",
        source="Goyal et al. 2017, arXiv:1706.02677, §2.2 (an abrupt low-to-high change spiked "
               "the training error); step decay: Goyal et al. §5.1, DeepSeek LLM "
               "arXiv:2401.02954 §2.3",
        evidence="V-S. The 2% tolerance is warmupctl's (an exponential warmup with the default "
                 "τ = L/5 ends 0.7% short of the peak and is not flagged).",
        check=_discontinuities,
        regimes=PRETRAIN,
        cite="Goyal et al. 2017 §2.2, §5.1; DeepSeek LLM §2.3",
    ),
    Rule(
        id="first-step-zero",
        severity="info",
        family=FAMILY,
        summary="The first optimizer step (t = 0) uses rate 0, as a linear warmup from 0 does "
                "under the HF/optax convention (the message counts the leading steps at 0); "
                "`skip_zero: true` on the warmup starts above 0.",
        source="warmupctl docs/spec.md (step convention, warmup.skip_zero); HF transformers "
               "cosine_warmup_with_min_lr; Tony-Y/pytorch_warmup "
               "(LinearWarmup: the first update gets 1/τ)",
        evidence="V-C (library code). One step of a long run; information only.",
        check=_first_zero,
        cite="step convention; HF, pytorch_warmup code",
    ),
    Rule(
        id="noam-implied-peak",
        severity="info",
        family=FAMILY,
        summary="A `noam:` schedule: the peak it implies and where the rate has halved.",
        source="Vaswani et al. 2017, Attention Is All You Need, arXiv:1706.03762, §5.3 Eq. 3",
        evidence="V-P.",
        check=_noam,
        cite="Vaswani et al. 2017 §5.3, Eq. 3",
    ),
]
