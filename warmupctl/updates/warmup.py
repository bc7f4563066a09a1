"""Judging a warmup by the update sizes it allows (Kosson et al. 2024, arXiv:2410.23922).

:func:`early_peak` is the predicted largest angular update of a schedule as a multiple of the
equilibrium at its peak rate, computed on an early window; :func:`shortest_warmup` finds the
shortest linear warmup that keeps that multiple within a bound. Pure NumPy.

The window: while the rate does not grow, the predicted angle relaxes towards the equilibrium
(from above when the row's norm is below its equilibrium norm, from below otherwise), so the
largest multiple falls inside the warmup or within momentum's memory after it. The window is
``2·warmup + 2000`` steps (all of a shorter run; at most 2^22 steps, so a warmup longer than
~2M steps is judged on its first 4M steps); tests/test_updates_warmup.py checks it against the
whole run for the presets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import Schedule
from .predict import Prediction, predict_rates, resolve

#: the default bound: the predicted angular update stays within 2× the equilibrium. Our choice,
#: not a published number; it is the same "within 2×" that `updates LOG` uses for settling.
DEFAULT_BOUND = 2.0
#: steps past twice the warmup that the early window keeps
TAIL = 2000
#: the longest early window (bounded time and memory for any run): 2^22 steps
WINDOW_CAP = 1 << 22


def window(warmup: int, total: int) -> int:
    """The early window's length for a warmup of ``warmup`` steps in a run of ``total``."""
    return int(min(total, 2 * max(0, int(warmup)) + TAIL, WINDOW_CAP))


def _schedule(schedule_or_params: Any) -> Schedule:
    if isinstance(schedule_or_params, Schedule):
        return schedule_or_params
    if isinstance(schedule_or_params, Mapping):
        from ..spec import parse

        return parse(schedule_or_params)
    raise TypeError("expected a Schedule or a spec mapping")


def _row(schedule: Schedule, training: Mapping[str, Any] | None,
         fan_in: int | None, init_std: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
    from .predict import DEFAULT_FAN_IN, DEFAULT_INIT_STD

    block = resolve(training if training is not None else schedule.meta.get("training", {}))
    row = {"fan_in": int(fan_in if fan_in is not None else block.get("fan_in", DEFAULT_FAN_IN)),
           "init_std": float(init_std if init_std is not None
                             else block.get("init_std", DEFAULT_INIT_STD))}
    return block, row


def early_peak(schedule: Schedule, *, fan_in: int | None = None, init_std: float | None = None,
               training: Mapping[str, Any] | None = None) -> tuple[float, int, Prediction]:
    """(largest angle ÷ equilibrium at the peak rate, its step, the early window's prediction).

    The ratio is ``nan`` when the optimizer has no equilibrium (no weight decay, Adam with L2
    decay). Raises ``ValueError`` for an optimizer without a model."""
    block, row = _row(schedule, training, fan_in, init_std)
    lr = schedule.window(0, window(schedule.warmup_steps, schedule.total_steps))
    pred = predict_rates(lr, block, **row)
    ratio, step = pred.peak_ratio()
    return ratio, step, pred


def _ratio_for(length: int, peak: float, body: np.ndarray, block: Mapping[str, Any],
               row: Mapping[str, Any], total: int) -> float:
    span = window(length, total)
    ramp = peak * np.arange(length, dtype=np.float64) / max(length, 1)
    lr = np.concatenate([ramp, body[: max(0, span - length)]])
    return predict_rates(lr, block, **row).peak_ratio()[0]


def shortest_warmup(schedule_or_params: Any, bound: float = DEFAULT_BOUND, *,
                    fan_in: int | None = None, init_std: float | None = None,
                    training: Mapping[str, Any] | None = None) -> int:
    """The shortest linear warmup (from 0, the engine's step convention) after which the predicted
    angular update stays within ``bound`` × the equilibrium at the peak rate.

    ``schedule_or_params`` is a :class:`Schedule` or a spec mapping. Its own warmup is replaced:
    the rates after it (its decay) follow the new warmup unchanged. Doubling, then bisection over
    the length (the multiple shrinks as the warmup grows), each trial on the early window
    (:func:`window`), so the cost grows with the answer, not with the run. Raises ``ValueError``
    when there is no equilibrium, or when no warmup shorter than the run keeps within the bound.
    """
    if not (math.isfinite(bound) and bound > 0):
        raise ValueError(f"the bound must be a positive number, got {bound!r}")
    schedule = _schedule(schedule_or_params)
    block, row = _row(schedule, training, fan_in, init_std)
    total = schedule.total_steps
    start = schedule.warmup_steps
    peak = float(schedule.lr(start)) if start < total else schedule.peak_lr
    body = schedule.window(start, start + window(total, total))
    if peak <= 0:
        raise ValueError("the schedule's rate after its warmup is 0")

    def ratio(length: int) -> float:
        return _ratio_for(length, peak, body, block, row, total)

    first = ratio(0)
    if math.isnan(first):
        from .equilibrium import why_none

        raise ValueError(f"no equilibrium to bound the updates by: {why_none(block) or 'none'}")
    if first <= bound:
        return 0
    longest = min(total - 1, (WINDOW_CAP - TAIL) // 2)  # its window still holds its end
    lo, hi = 0, 1  # ratio(lo) > bound; double hi until ratio(hi) ≤ bound
    while ratio(hi) > bound:
        lo = hi
        if hi >= longest:
            what = (f"shorter than the run ({total:,} steps)" if longest == total - 1
                    else f"of up to {longest:,} steps")
            raise ValueError(f"no linear warmup {what} keeps the predicted angular update "
                             f"within {bound:g}× equilibrium")
        hi = min(2 * hi, longest)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ratio(mid) > bound:
            lo = mid
        else:
            hi = mid
    return hi


ANSWER_SOURCE = ("Kosson et al. 2024, arXiv:2410.23922 (early angular updates); Kosson et al. "
                 "2023, arXiv:2305.17212, Table 1 (equilibrium); model: docs/updates.md")


def recommend_answer(spec: Mapping[str, Any], bound: float = DEFAULT_BOUND, *,
                     peak_known: bool = True) -> dict[str, Any]:
    """`recommend`'s update-size answer for a recommended spec (its ``training:`` block holds the
    optimizer, β's, weight decay and optional row fields): the shortest linear warmup within
    ``bound`` × equilibrium, next to the predicted multiple of the spec's own warmup. When it
    cannot be computed, ``warmup_steps`` is ``None`` and ``reason`` says why (``peak_known``
    false: the spec's peak is a multiplier, not a rate)."""
    from .equilibrium import kind, why_none

    schedule = _schedule(spec)
    block, row = _row(schedule, None, None, None)
    out: dict[str, Any] = {"warmup_steps": None, "bound": bound, "rule_warmup_steps":
                           schedule.warmup_steps, "peak_ratio": None, "peak_step": None, **row,
                           "reason": None, "source": ANSWER_SOURCE,
                           "note": f"the {bound:g}× bound is warmupctl's choice"}
    reason = why_none(block)
    if reason is None and kind(block.get("optimizer")) not in ("adamw", "lion"):
        reason = "only AdamW and Lion are predicted without knowing the gradient's scale"
    if reason is None and not peak_known:
        reason = "needs an absolute peak rate (--peak-lr, or --base-lr with --base-batch)"
    if reason is not None:
        out["reason"] = reason
        return out
    try:
        ratio, step, _ = early_peak(schedule)
        out.update(peak_ratio=ratio, peak_step=step)
        out["warmup_steps"] = shortest_warmup(schedule, bound)
    except ValueError as exc:
        out["reason"] = str(exc)
    return out
