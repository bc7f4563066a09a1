"""Exports to (and imports from) trainers and frameworks, exact at every step or refused.

One module per target, each a set of pure functions of a :class:`~warmupctl.engine.Schedule`:

* ``hf`` — ``TrainingArguments`` fields for transformers 5.x (JSON);
* ``deepspeed`` — the ``scheduler`` block of a ds_config and ``optimizer.params.lr`` (JSON);
* ``megatron`` — Megatron-LM command-line arguments (one line);
* ``torch`` — a Python file defining ``make_scheduler(optimizer)``;
* ``optax`` — a Python file defining ``schedule``;
* ``keras`` — a Python file defining ``schedule`` (a ``LearningRateSchedule``).

A target module offers ``candidates(schedule)`` (the ways it could write the schedule, each with a
simulator of the library's own formula and the list of what it cannot express) and
``render(candidate, schedule)``. :func:`export` takes the first candidate that reproduces the
schedule at every step (``RTOL`` = 1e-12 relative, checked by running the simulator at every
step up to 2^20 steps and at a fixed sample beyond: :func:`~._common.compare`, so the cost is
bounded for any run length); :func:`why_not` says why none does and which targets can. The
config targets also offer ``parse(text, origin, total)`` for :func:`import_config`.

Nothing here imports torch, jax or keras: the exports are text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType

from ..engine import Schedule
from ..errors import WarmupctlError
from ..textsafe import quote
from ._common import (
    REPLAY_STEPS,
    RTOL,
    Candidate,
    Deviation,
    NotExpressible,
    compare,
    join_words,
)
from ._specgen import Imported, UnsupportedConfig, to_yaml

TARGETS = ("hf", "deepspeed", "megatron", "torch", "optax", "keras")
IMPORTS = ("hf", "deepspeed", "megatron")
#: targets that always have an exact closed form to fall back on
CODE_TARGETS = ("torch", "optax", "keras")
TITLES = {"hf": "HF transformers", "deepspeed": "DeepSpeed", "megatron": "Megatron-LM",
          "torch": "PyTorch", "optax": "optax", "keras": "Keras"}


def target_module(name: str) -> ModuleType:
    if name not in TARGETS:
        raise WarmupctlError(f"unknown target {quote(name)}: one of {', '.join(TARGETS)}")
    return import_module(f"{__name__}.{name}")


@dataclass
class Exported:
    """The text of an export and how it was chosen."""

    target: str
    text: str
    candidate: Candidate
    exact: bool
    deviation: Deviation
    notes: list[str] = field(default_factory=list)


def _candidates(mod: ModuleType, schedule: Schedule) -> list[Candidate]:
    """The target's candidates that can be checked in bounded time: one that replays the library
    update by update (torch's built-in classes, alone or inside a ds_config) only for runs of up
    to ``REPLAY_STEPS``; the closed forms cover longer runs."""
    cands = mod.candidates(schedule)
    if schedule.total_steps <= REPLAY_STEPS:
        return cands
    return [c for c in cands if not (c.replayed or _torch_builtin(c))]


def _torch_builtin(cand: Candidate) -> bool:
    # torch.py's built-in-class candidates (config ("builtin", children, base)) replay the
    # classes step by step; they do not set ``replayed`` themselves
    cfg = cand.config
    return isinstance(cfg, tuple) and bool(cfg) and cfg[0] == "builtin"


def _evaluate(schedule: Schedule, cands: list[Candidate]) -> Candidate | None:
    """The first candidate that fits and passes the check at every step."""
    for cand in cands:
        if cand.problems:
            continue
        dev = cand.check(schedule)
        if dev.exact:
            return cand
        cand.problems.append(
            f"only floating-point rounding in the library's own formula separates them "
            f"({cand.label}; worst at {dev.describe(cand.label)}), so --approximate is "
            "safe here")
    return None


def _closest(schedule: Schedule, cands: list[Candidate]) -> Candidate:
    for cand in cands:
        cand.check(schedule)
    return min(cands, key=lambda c: (c.deviation.rel, len(c.problems)))  # type: ignore[union-attr]


def _explain(schedule: Schedule, target: str, cands: list[Candidate]) -> tuple[str, Candidate]:
    closest = _closest(schedule, cands)
    # the reasons to show: those of the candidate with the fewest problems (ties: the target's
    # own form of the decay shape, then the closest)
    best = min(cands, key=lambda c: (len(c.problems), not c.natural,
                                     c.deviation.rel))  # type: ignore[union-attr]
    reasons = "; ".join(dict.fromkeys(best.problems))
    can = [t for t in able_targets(schedule) if t != target]
    dev = closest.deviation
    assert dev is not None
    text = (f"{TITLES[target]} cannot express this schedule exactly. Fix: {_fix(target, can)}, "
            f"or pass --approximate for the closest {target} config ({closest.label}), off by "
            f"{dev.rel:.3g} relative at worst ({dev.describe(target).split(' (')[0]}). "
            f"Why: {reasons}. Exact formats: {join_words(can + ['json/csv/npy tables'])}")
    return text, closest


def _fix(target: str, can: list[str]) -> str:
    """The first thing to try when ``target`` refuses: the way to run the exact schedule under
    the same trainer, else the first exact format."""
    if target == "deepspeed" and "torch" in can:
        return ("export -f torch and pass make_scheduler(optimizer) to "
                "deepspeed.initialize(lr_scheduler=...) instead of a scheduler block")
    if target == "hf" and "torch" in can:
        return ("export -f torch and pass make_scheduler(optimizer) to the Trainer "
                "(optimizers=(optimizer, scheduler))")
    trainers = [t for t in can if t in TARGETS]
    return f"use -f {trainers[0]} (exact)" if trainers else "use a json/csv/npy table (exact)"


def able_targets(schedule: Schedule) -> list[str]:
    """The targets that reproduce ``schedule`` exactly (code targets always can)."""
    out = []
    for name in TARGETS:
        if name in CODE_TARGETS:
            if target_module(name).refusal(schedule) is None:
                out.append(name)
            continue
        cands = _candidates(target_module(name), schedule)
        if _evaluate(schedule, cands) is not None:
            out.append(name)
    return out


def why_not(schedule: Schedule, target: str) -> str | None:
    """Why ``target`` cannot reproduce ``schedule`` exactly, or None when it can."""
    mod = target_module(target)
    hard = getattr(mod, "refusal", lambda s: None)(schedule)
    if hard:
        return hard
    cands = _candidates(mod, schedule)
    if _evaluate(schedule, cands) is not None:
        return None
    return _explain(schedule, target, cands)[0]


def export(schedule: Schedule, target: str, *, approximate: bool = False) -> Exported:
    """The target's text for ``schedule``; raises :class:`NotExpressible` (exit 2) unless it is
    exact at every step or ``approximate`` is set (then the closest config is returned)."""
    if schedule.meta.get("lr_multiplier"):  # `peak_lr: {multiplier: X}`: the rates are factors
        raise NotExpressible(
            f"the spec's rates are multipliers (peak_lr: {{multiplier: {schedule.peak_lr!r}}}), "
            f"not rates, and {TITLES.get(target, target)} needs the real peak: pass --peak-lr "
            "(e.g. --peak-lr 3e-4), or write peak_lr: 3.0e-4 in the spec")
    mod = target_module(target)
    hard = getattr(mod, "refusal", lambda s: None)(schedule)
    if hard:
        raise NotExpressible(hard)
    cands = _candidates(mod, schedule)
    chosen = _evaluate(schedule, cands)
    if chosen is not None:
        assert chosen.deviation is not None
        return Exported(target, mod.render(chosen, schedule), chosen, True, chosen.deviation,
                        list(chosen.notes))
    message, closest = _explain(schedule, target, cands)
    if not approximate:
        raise NotExpressible(message)
    assert closest.deviation is not None
    return Exported(target, mod.render(closest, schedule), closest, False, closest.deviation,
                    list(closest.notes))


def import_config(target: str, text: str, origin: str, total: int | None = None) -> Imported:
    """A spec (mapping) for a trainer config, checked against the trainer's own formula."""
    if target not in IMPORTS:
        raise WarmupctlError(f"cannot import {quote(target)}: one of {', '.join(IMPORTS)}")
    from ..loading import load

    imported: Imported = target_module(target).parse(text, origin, total)
    schedule = load(dict(imported.spec))
    imported.deviation = compare(schedule, imported.simulate)
    return imported


__all__ = [
    "CODE_TARGETS", "IMPORTS", "RTOL", "TARGETS", "Exported", "Imported", "NotExpressible",
    "UnsupportedConfig", "able_targets", "export", "import_config", "target_module", "to_yaml",
    "why_not",
]
