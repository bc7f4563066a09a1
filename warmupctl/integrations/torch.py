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
        t = step if step < n else n - 1
        if t < 0:
            t = 0
        start = state[0]
        if not (0 <= t - start < BLOCK) or start < 0:
            start = (t // BLOCK) * BLOCK
            rates = schedule.window(start, min(n, start + BLOCK))
            state[0] = start
            state[1] = (rates / base).tolist() if base != 1.0 else rates.tolist()
        return state[1][t - start]

    return factor


def scheduler(schedule: Schedule, optimizer: Any, *, relative: bool = False,
              last_epoch: int = -1):
    """A ``torch.optim.lr_scheduler.LambdaLR`` giving ``optimizer`` the schedule's rates.

    By default every param group gets exactly ``schedule.lr(k)``: each group's ``lr`` (and
    ``initial_lr``) is set to the schedule's peak and the lambda returns ``lr(k) / peak``
    (equal to ``lr(k)`` within one rounding). With ``relative=True`` the groups keep their own
    ``lr`` and each is multiplied by ``lr(k) / peak`` (per-group learning-rate ratios).
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
