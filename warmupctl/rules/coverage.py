"""What `validate` could not check: the regime it assumed, and the rules that lacked a fact.

A rule whose facts are missing (no `training.optimizer`, no `training.beta2`…) cannot decide; these
two rules say so instead of leaving the silence to read as "nothing wrong".
"""

from __future__ import annotations

from collections.abc import Iterator

from ._core import Facts, Rule

FAMILY = "coverage"

#: the command-line flag for each fact a rule may need (docs/cli.md, schedule flags)
FLAGS = {
    "training.regime": "--regime",
    "training.optimizer": "--optimizer",
    "training.beta1": "--beta1",
    "training.beta2": "--beta2",
    "training.batch_size": "--batch",
    "training.architecture": "--architecture",
    "peak_lr (absolute)": "--peak-lr",
}


def _regime(f: Facts) -> Iterator[str]:
    if f.regime_assumed:
        yield ("The spec has no training.regime, so the rules assume pretraining (training from "
               "scratch, where most of their evidence was measured). For a fine-tune from "
               "trained weights give --regime finetune (or training.regime: finetune): the "
               "rules measured from scratch then stand aside for the fine-tuning recipes.")


def not_checked(f: Facts) -> list[tuple[str, tuple[str, ...]]]:
    """(rule id, missing facts) for every rule that applies but lacked a fact, in rule order."""
    from . import RULES

    return [(r.id, need) for r in RULES
            if r.id not in f.ignored and (need := r.missing(f))]


def _not_checked(f: Facts) -> Iterator[str]:
    items = not_checked(f)
    if not items:
        return
    parts = []
    for rid, need in items:
        flags = ", ".join(FLAGS.get(n, n) for n in need)
        parts.append(f"{rid} needs {' and '.join(need)} ({flags})")
    yield ("Not checked for lack of facts: " + "; ".join(parts) + ". Add them to the spec's "
           "training: block, or give the flags.")


RULES = [
    Rule(
        id="regime-assumed",
        severity="info",
        family=FAMILY,
        summary="The spec does not say `training.regime`; the rules assume `pretrain` and say "
                "so (give `--regime finetune` for a fine-tune).",
        source="warmupctl's rules: each declares the regime its evidence was measured in "
               "(docs/rules.md)",
        evidence="A statement about what warmupctl assumed, not an empirical claim.",
        check=_regime,
        cite="warmupctl (docs/rules.md)",
    ),
    Rule(
        id="rules-not-checked",
        severity="info",
        family=FAMILY,
        summary="Rules that apply to the schedule but could not decide because a fact is "
                "missing (`training.optimizer`, `training.beta2`, `training.batch_size`, "
                "`training.architecture`, an absolute peak), each with the field and the flag "
                "that supplies it.",
        source="warmupctl's rules and the facts each reads (docs/rules.md)",
        evidence="A statement about what warmupctl checked, not an empirical claim.",
        check=_not_checked,
        cite="warmupctl (docs/rules.md)",
    ),
]
