"""The pieces every rule family shares: the rule and finding types, the facts a rule reads, and
number formatting for messages. Pure: no I/O, no printing."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..engine import Phase, Schedule
from ..units import format_percent

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: training regimes: from scratch, or from trained weights
REGIMES = ("pretrain", "finetune")
PRETRAIN = ("pretrain",)
FINETUNE = ("finetune",)
#: what the regimes are called in messages and docs
REGIME_WORDS = {"pretrain": "pretraining (from scratch)", "finetune": "fine-tuning"}


@dataclass(frozen=True)
class Finding:
    """What one rule says about one schedule (the `validate --json` finding, docs/advisor.md)."""

    rule: str
    severity: str
    message: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "source": self.source}


@dataclass(frozen=True)
class Rule:
    """A `validate` rule: a stable id, a severity, a citation, and a check.

    ``check`` reads the :class:`Facts` of a schedule and yields one message per problem, each with
    the user's own numbers in it. ``summary`` and ``evidence`` are for docs/rules.md: when the rule
    fires, and how strong the evidence behind it is (V-P paper, V-C code, V-S secondary source,
    U unverified).

    ``regimes`` are where the rule's evidence was measured; the rule runs only there (a rule
    measured training from scratch says nothing about a fine-tune). ``needs`` names the facts the
    rule is missing for a schedule (``training.beta2``…) when they keep it from deciding;
    ``validate`` lists those rules as not checked. ``cite`` is the short source its table shows.
    """

    id: str
    severity: str
    family: str
    summary: str
    source: str
    evidence: str
    check: Callable[[Facts], Iterable[str]] = field(repr=False, compare=False)
    regimes: tuple[str, ...] = REGIMES
    needs: Callable[[Facts], tuple[str, ...]] | None = field(default=None, repr=False,
                                                              compare=False)
    cite: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:  # pragma: no cover - caught by the registry test
            raise ValueError(f"{self.id}: unknown severity {self.severity!r}")
        if not self.regimes or set(self.regimes) - set(REGIMES):  # pragma: no cover
            raise ValueError(f"{self.id}: regimes must be among {REGIMES}")

    def applies(self, facts: Facts) -> bool:
        return facts.regime in self.regimes

    def run(self, facts: Facts) -> list[Finding]:
        if not self.applies(facts):
            return []
        return [Finding(self.id, self.severity, msg, self.source) for msg in self.check(facts)]

    def missing(self, facts: Facts) -> tuple[str, ...]:
        """The facts this rule lacks for this schedule (empty when it could decide)."""
        if self.needs is None or not self.applies(facts):
            return ()
        return self.needs(facts)


@dataclass(frozen=True)
class Basis:
    """A rule `recommend` applies when it builds a schedule (shown in its table of rules)."""

    id: str
    summary: str
    source: str
    evidence: str
    cite: str  # a short form of ``source`` for the table `recommend` prints
    regimes: tuple[str, ...] = REGIMES  # where its evidence was measured


# ---------------------------------------------------------------------------------------------
# Optimizer families
# ---------------------------------------------------------------------------------------------

#: adaptive optimizers that are not Adam variants
OTHER_ADAPTIVE = frozenset({"adafactor", "rmsprop", "adagrad", "adadelta", "lion", "sophia",
                            "shampoo", "soap"})


def is_radam(opt: str | None) -> bool:
    return bool(opt) and opt.replace("-", "").replace("_", "").startswith("radam")


def is_adam_family(opt: str | None) -> bool:
    """Adam and its variants that keep Adam's second-moment EMA with rate β2 (not RAdam, whose
    rectifier is its own warmup)."""
    if not opt or is_radam(opt):
        return False
    return "adam" in opt or opt in ("amsgrad", "lamb", "adabelief")


def is_adaptive(opt: str | None) -> bool:
    return bool(opt) and (is_adam_family(opt) or is_radam(opt) or opt in OTHER_ADAPTIVE)


def is_sgd(opt: str | None) -> bool:
    """Plain SGD, with or without momentum (LARS and LAMB are layer-wise and not included)."""
    return bool(opt) and ("sgd" in opt or opt in ("momentum", "nesterov"))


def untuned_warmup(beta2: float) -> int:
    """Ma & Yarats 2019: a linear warmup reaches the peak after ``2 / (1 − β2)`` steps, rounded up.

    β2 is read as the decimal it prints as, so float noise does not add a step: β2 = 0.999 gives
    exactly 2000 (in floats 2/(1 − 0.999) is 1999.999…, which pytorch_warmup truncates to 1999).
    """
    exact = Fraction(2) / (1 - Fraction(repr(float(beta2))))
    return max(1, math.ceil(exact))


# ---------------------------------------------------------------------------------------------
# Facts: what the rules read about a schedule
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    schedule: Schedule
    total: int
    warmup: int
    warmup_shape: str
    warmup_phase: Phase | None
    decay_phase: Phase | None
    decay_shape: str | None
    decay_end: int | None
    peak: float
    training: Mapping[str, Any]
    noam: Mapping[str, Any] | None

    @property
    def optimizer(self) -> str | None:
        return self.training.get("optimizer")

    ignored: frozenset[str] = frozenset()

    @property
    def regime(self) -> str:
        """The spec's ``training.regime``, or ``pretrain`` when it does not say (and
        :attr:`regime_assumed` is then true; `validate` reports the assumption)."""
        return self.training.get("regime") or "pretrain"

    @property
    def regime_assumed(self) -> bool:
        return not self.training.get("regime")

    @property
    def pretraining(self) -> bool:
        """True unless the spec says ``regime: finetune`` (the folk rules are about pretraining)."""
        return self.regime != "finetune"

    @property
    def lr_multiplier(self) -> bool:
        """The spec's peak is ``{multiplier: X}``: its rates are not absolute."""
        return bool(self.schedule.meta.get("lr_multiplier"))

    @property
    def transformer_pretraining(self) -> bool:
        """Pretraining of a transformer or of an unstated architecture (the seed article's folk
        rules are stated for transformer pretraining)."""
        return self.pretraining and self.architecture != "other"

    @property
    def architecture(self) -> str | None:
        return self.training.get("architecture")

    @property
    def beta2(self) -> float | None:
        return self.training.get("beta2")

    @property
    def batch_size(self) -> int | None:
        return self.training.get("batch_size")

    @property
    def fraction(self) -> float:
        return self.warmup / self.total

    @property
    def tokens_per_step(self) -> float | None:
        return self.schedule.meta.get("tokens_per_step")


def facts(schedule: Schedule, ignored: Iterable[str] = ()) -> Facts:
    meta = schedule.meta
    phases = schedule.phases
    W = schedule.warmup_steps
    if "warmup_steps" not in meta and phases and phases[0].role == "warmup":
        W = phases[0].end  # a Schedule built in code: its warmup phase says how long
    warm = None
    if W:
        warm = next((p for p in phases if p.end == W and p.b > p.a), None)
    decay = next((p for p in phases if p.role == "decay"), None)
    return Facts(
        schedule=schedule,
        total=schedule.total_steps,
        warmup=W,
        warmup_shape=str(meta.get("warmup_shape") or ("none" if not W else "linear")),
        warmup_phase=warm,
        decay_phase=decay,
        decay_shape=meta.get("decay_shape"),
        decay_end=meta.get("decay_end"),
        peak=schedule.peak_lr,
        training=dict(meta.get("training") or {}),
        noam=meta.get("noam"),
        ignored=frozenset(ignored),
    )


# ---------------------------------------------------------------------------------------------
# Formatting numbers for messages
# ---------------------------------------------------------------------------------------------


def steps(n: float) -> str:
    n = int(n)
    return f"{n:,} step" + ("" if n == 1 else "s")


def pct(x: float) -> str:
    """A fraction as a percent with three significant digits: 0.00125 → '0.125%'."""
    return format_percent(x)


def lr(x: float) -> str:
    """A rate: 6e-04, 2.9985e-04, 0, 3.2."""
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e3:
        return f"{x:.4g}"
    mantissa, exponent = f"{x:.4e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def num(x: float) -> str:
    """A plain number: 0.999, 8,192, 2.5."""
    if float(x).is_integer() and abs(x) >= 1000:
        return f"{int(x):,}"
    return f"{x:g}"


def tokens_note(f: Facts, n: int) -> str:
    """' (375M tokens)' when the schedule knows its tokens per step."""
    tps = f.tokens_per_step
    if not tps:
        return ""
    from ..units import format_count

    return f" ({format_count(n * tps)} tokens)"
