"""PyTorch adapter: a ``LambdaLR`` that follows a warmupctl schedule.

>>> sched = warmupctl.integrations.torch.scheduler(warmupctl.load("gpt3-small"), optimizer)
>>> for batch in loader:
...     loss.backward(); optimizer.step(); sched.step()

Update k (the k-th ``optimizer.step()``, from 0) uses ``schedule.lr(k)``: ``LambdaLR`` sets the
rate of update 0 when it is built and ``sched.step()`` moves to the next (no lag).

**Per-step cost — a block lookup.** The lambda keeps one block of 65,536 consecutive rates,
computed by a single vectorised engine call; a step inside the block is a list index, a step
outside it computes the block that holds it (so resuming at any step costs one block). The cost
of a step is the same for a one-phase and a fifty-phase schedule, and memory stays at one block
whatever the run length. ``benchmarks/bench_adapters.py`` compares it with HF's schedulers.

**Param groups keep their own rates** (as with any ``LambdaLR`` and HF's schedulers): the lambda
returns ``lr(k) / peak``, and LambdaLR multiplies each group's own initial ``lr`` by it. A group
created with ``lr`` equal to the schedule's peak follows ``schedule.lr(k)``; a group at a tenth of
it (a backbone under a head, say) gets a tenth of every rate. ``relative=False`` sets every
group to the peak first (every group then follows the schedule itself).

Out of range (docs/spec.md): a step after the last holds the last rate; a negative step raises
ValueError.

The lambda is a plain function, so ``LambdaLR.state_dict()`` does not pickle the schedule: a
checkpoint holds only the step counter, and ``load_state_dict`` on a scheduler built the same way
resumes exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import Schedule

BLOCK = 1 << 16


def lambda_of(schedule: Schedule, base: float):
    """``step → schedule.lr(step) / base`` (steps past the end: the last rate), block-cached."""
    n = schedule.total_steps
    state: list[Any] = [-1, []]  # block start, block factors (Python floats)

    def factor(step: int) -> float:
        if step < 0:
            raise ValueError(f"a step is a whole number from 0 to {n - 1:,} (steps after "
                             f"{n - 1:,} hold the last rate), got {step!r}")
        t = step if step < n else n - 1
        start = state[0]
        if not (0 <= t - start < BLOCK) or start < 0:
            start = (t // BLOCK) * BLOCK
            rates = schedule.window(start, min(n, start + BLOCK))
            state[0] = start
            state[1] = (rates / base).tolist() if base != 1.0 else rates.tolist()
        return state[1][t - start]

    return factor


def scheduler(schedule: Schedule, optimizer: Any, *, relative: bool = True,
              last_epoch: int = -1):
    """A ``torch.optim.lr_scheduler.LambdaLR`` giving ``optimizer`` the schedule's rates.

    By default (``relative=True``) every param group keeps its own ``lr`` as its base and gets
    ``base × lr(k) / peak``: a group whose ``lr`` is the schedule's peak follows ``lr(k)``
    (within one rounding), and groups at other rates keep their ratios to it, as with torch's
    ``LambdaLR`` and HF's schedulers. With ``relative=False`` each group's ``lr`` (and
    ``initial_lr``) is first set to the peak, so every group follows ``lr(k)``.
    ``last_epoch`` is LambdaLR's, for resuming without a state dict.
    """
    import torch  # noqa: F401 - the optional dependency, only here
    from torch.optim.lr_scheduler import LambdaLR

    peak = max(max(ph.a, ph.b) for ph in schedule.phases)
    if peak <= 0:  # pragma: no cover - the spec requires a positive peak
        raise ValueError("the schedule's rates are all 0")
    if not relative:
        for group in optimizer.param_groups:
            group["lr"] = peak
            group["initial_lr"] = peak
    return LambdaLR(optimizer, lambda_of(schedule, peak), last_epoch=last_epoch)


def rates(schedule: Schedule, steps: np.ndarray) -> np.ndarray:
    """What :func:`scheduler` gives a group whose ``lr`` is the peak (for tests)."""
    peak = max(max(ph.a, ph.b) for ph in schedule.phases)
    f = lambda_of(schedule, peak)
    return np.array([peak * f(int(k)) for k in steps], dtype=np.float64)
