"""Update sizes: the predicted largest early angular update as a multiple of the equilibrium.

Kosson et al. 2024 (arXiv:2410.23922) find that warmup helps by keeping early updates small —
among their measures, the angular update of weight rows; Kosson et al. 2023 (arXiv:2305.17212)
give the equilibrium angular update those rows settle at. The prediction (warmupctl.updates,
docs/updates.md) needs the optimizer and its weight decay from the spec's ``training:`` block;
the row's ``fan_in`` and ``init_std`` default to GPT-2 small's. Only AdamW and Lion are judged:
their prediction does not depend on the gradient's scale (SGD's does, and a spec does not say it).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator

from ._core import Facts, Rule, lr, num

FAMILY = "update size"

#: warn above this multiple of the equilibrium. Our choice, not a published threshold: twice the
#: 2× band that `recommend`'s shortest warmup keeps within (warmupctl.updates.warmup).
WARN_RATIO = 4.0

SOURCE = ("Kosson, Messmer & Jaggi 2024, Analyzing & Reducing the Need for Learning Rate Warmup "
          "in GPT Training, arXiv:2410.23922 (early angular updates; what warmup limits); "
          "Kosson, Messmer & Jaggi 2023, Rotational Equilibrium, arXiv:2305.17212, Table 1 "
          "(the equilibrium); the prediction: docs/updates.md")
EVIDENCE = ("*derived*: a random-walk model of a scale-invariant row, checked against torch "
            "simulations of AdamW and Lion within 10% per step (tests/test_updates_predict.py); "
            "the 4× line is warmupctl's choice.")


#: the two rules share one prediction per schedule
_SEEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _peak(f: Facts) -> tuple[float, int, float, float, str] | None:
    """(ratio, step, angle, equilibrium at the peak rate, row description), or None."""
    if f.schedule not in _SEEN:
        _SEEN[f.schedule] = _predict_peak(f)
    return _SEEN[f.schedule]


def _predict_peak(f: Facts) -> tuple[float, int, float, float, str] | None:
    from ..updates import equilibrium as eq
    from ..updates.predict import DEFAULT_FAN_IN, DEFAULT_INIT_STD
    from ..updates.warmup import early_peak

    if eq.kind(f.optimizer) not in ("adamw", "lion") or eq.why_none(f.training) is not None:
        return None
    try:
        ratio, step, pred = early_peak(f.schedule)
    except ValueError:  # e.g. η·λ ≥ 1: outside the model
        return None
    if not math.isfinite(ratio):
        return None
    n = f.training.get("fan_in")
    s = f.training.get("init_std")
    row = (f"a row of fan-in {n if n else DEFAULT_FAN_IN} initialised "
           f"N(0, {num(s if s else DEFAULT_INIT_STD)}²)")
    if not n or not s:
        row += " (unset fields default to GPT-2 small's: set training.fan_in and init_std)"
    top = float(pred.equilibrium.max()) if pred.equilibrium is not None else math.nan
    return ratio, step, float(pred.angle[step]), top, row


def _where(f: Facts, step: int) -> str:
    if f.warmup and step < f.warmup:
        return f"at step {step:,}, inside the {f.warmup:,}-step warmup"
    return f"at step {step:,}" + (", the first update" if step == 0 else "")


def _large(f: Facts) -> Iterator[str]:
    got = _peak(f)
    if got is None or got[0] <= WARN_RATIO:
        return
    ratio, step, angle, top, row = got
    yield (f"Predicted largest angular update: {ratio:.3g}× the equilibrium ({angle:.3g} rad "
           f"{_where(f, step)}, against {top:.3g} rad at the peak rate {lr(f.peak)}), for {row}. "
           f"Kosson et al. 2024 trace the need for warmup to such oversized early updates. "
           f"{_shortest(f)}The {WARN_RATIO:g}× line is warmupctl's choice; `warmupctl plot "
           f"--updates` draws the prediction.")


def _shortest(f: Facts) -> str:
    from ..updates.warmup import DEFAULT_BOUND, shortest_warmup

    try:
        n = shortest_warmup(f.schedule)
    except ValueError:
        return ""
    return (f"A linear warmup of {n:,} steps keeps it within {DEFAULT_BOUND:g}× (predicted; "
            f"`warmupctl recommend --weight-decay` shows the same). ")


def _report(f: Facts) -> Iterator[str]:
    got = _peak(f)
    if got is None or got[0] > WARN_RATIO:
        return
    ratio, step, angle, top, row = got
    yield (f"Predicted largest angular update: {ratio:.3g}× the equilibrium ({angle:.3g} rad "
           f"{_where(f, step)}, against {top:.3g} rad at the peak rate {lr(f.peak)}), for {row}; "
           f"within warmupctl's {WARN_RATIO:g}× line.")


RULES = [
    Rule(
        id="large-early-updates",
        severity="warning",
        family=FAMILY,
        summary=f"With an AdamW or Lion `training:` block with weight decay: the predicted "
                f"largest angular update of a weight row is more than {WARN_RATIO:g}× the "
                f"equilibrium at the peak rate (a threshold warmupctl chose; docs/updates.md).",
        source=SOURCE,
        evidence=EVIDENCE,
        check=_large,
    ),
    Rule(
        id="early-update-size",
        severity="info",
        family=FAMILY,
        summary=f"With an AdamW or Lion `training:` block with weight decay: the predicted "
                f"largest angular update as a multiple of the equilibrium, when it is within "
                f"{WARN_RATIO:g}×.",
        source=SOURCE,
        evidence=EVIDENCE,
        check=_report,
    ),
]
