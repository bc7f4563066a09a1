"""`recommend`: a schedule from a few facts about the run, with the rules that shaped it.

Pure: takes numbers, returns a :class:`Recommendation` (the spec as a mapping, the rules with their
values and whether they decided the result, and a short explanation in the user's numbers).
Nothing here prints or writes files. The rules are listed in :mod:`warmupctl.rules.basis` and in
docs/rules.md; how they combine:

* every rule applies only in the regime where its evidence was measured; the regime is
  ``--regime``, or pretraining, assumed and said so (``Recommendation.regime``);
* pretraining: warmup fraction ``f(B) = 1% + 4%·log2(B/256)/5`` clipped to the 1–5% band, so it
  never shrinks as the batch grows; Adam family and RAdam: at least ``2/(1−β2)`` steps (Ma &
  Yarats), even above the band;
* fine-tuning: 6% (RoBERTa GLUE), never above BERT's 10%; the ``2/(1−β2)`` floor, measured from
  scratch, is not applied, and when it would ask for more the conflict is reported;
* when two rules disagree, ``Recommendation.conflicts`` has one entry naming both, their sources
  and the choice made;
* peak: ``--peak-lr``, or ``--base-lr`` scaled from ``--base-batch`` linearly (SGD, Goyal et al.)
  or by the square root (adaptive optimizers, Malladi et al.); both are shown;
* decay: cosine (pretraining) or linear (fine-tuning) over the rest of the run, to 10% of the peak
  when pretraining and to 0 when fine-tuning; or (pretraining) WSD with a 20% (1−sqrt) cooldown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import WarmupctlError, suggest
from .rules import BASIS_BY_ID
from .rules._core import (
    REGIME_WORDS,
    is_adam_family,
    is_radam,
    is_sgd,
    lr,
    num,
    pct,
    untuned_warmup,
)
from .rules.basis import (
    BAND_BATCHES,
    DEFAULT_BETA1,
    DEFAULT_BETA2,
    DEFAULT_EPS,
    FINAL_FRACTION,
    FINETUNE_BAND,
    FINETUNE_FRACTION,
    PRETRAIN_BAND,
    WSD_COOLDOWN,
)
from .rules.batch import linear_scaling, sqrt_scaling

REGIMES = ("pretrain", "finetune")
DECAYS = ("cosine", "linear", "wsd")
OPTIMIZERS = ("adamw", "adam", "nadam", "adamax", "amsgrad", "lamb", "radam", "adafactor",
              "lion", "rmsprop", "sgd", "sgdm")
#: the shortest run recommend plans (below it the 1–5% band holds no whole step)
MIN_STEPS = 20
#: the optimizer floor may take at most this share of the run
MAX_FLOOR_SHARE = 0.8


@dataclass(frozen=True)
class Recommendation:
    total_steps: int
    warmup_steps: int
    peak_lr: float | None
    spec: dict[str, Any]
    rules: list[dict[str, Any]] = field(default_factory=list)
    explanation: str = ""
    #: {"value": "pretrain", "assumed": True, "why": "..."}: the regime, and whether it was given
    regime: dict[str, Any] = field(default_factory=dict)
    #: one entry per pair of rules that disagreed: {"rules", "sources", "chosen", "message"}
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `recommend --json` object (docs/advisor.md): CONTRACT §7's keys, with the regime
        first and the conflicts last."""
        return {
            "regime": self.regime,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "peak_lr": self.peak_lr,
            "spec": self.spec,
            "rules": self.rules,
            "explanation": self.explanation,
            "conflicts": self.conflicts,
        }


def batch_fraction(batch: int) -> tuple[float, float]:
    """The pretraining warmup fraction for a batch, before and after clipping to the band:
    1% at 256 rising log-linearly to 5% at 8192 (rule ``warmup-grows-with-batch``)."""
    lo_b, hi_b = BAND_BATCHES
    lo_f, hi_f = PRETRAIN_BAND
    raw = lo_f + (hi_f - lo_f) * math.log2(batch / lo_b) / math.log2(hi_b / lo_b)
    return raw, min(hi_f, max(lo_f, raw))


def _entry(rule: str, value: Any, bound: bool) -> dict[str, Any]:
    return {"rule": rule, "value": value, "bound": bool(bound), "source": BASIS_BY_ID[rule].source}


def _check_inputs(steps: int, batch: int, regime: str, optimizer: str, decay: str,
                  beta2: float | None, peak_lr: float | None, base_lr: float | None,
                  base_batch: int | None, seq_len: int | None) -> None:
    if regime not in REGIMES:
        raise WarmupctlError(f"--regime must be pretrain or finetune, got {regime!r}"
                             + _hint(regime, REGIMES))
    if optimizer not in OPTIMIZERS:
        raise WarmupctlError(f"unknown optimizer {optimizer!r}" + _hint(optimizer, OPTIMIZERS)
                             + "; known: " + ", ".join(OPTIMIZERS))
    if decay not in DECAYS:
        raise WarmupctlError(f"--decay must be cosine, linear or wsd, got {decay!r}"
                             + _hint(decay, DECAYS))
    if steps < MIN_STEPS:
        raise WarmupctlError(f"--steps must be at least {MIN_STEPS}, got {steps}")
    if batch < 1:
        raise WarmupctlError(f"--batch must be at least 1, got {batch}")
    if seq_len is not None and seq_len < 1:
        raise WarmupctlError(f"--seq-len must be at least 1, got {seq_len}")
    if beta2 is not None:
        if not 0 < beta2 < 1:
            raise WarmupctlError(f"--beta2 must lie between 0 and 1, got {beta2:g}")
        if is_sgd(optimizer):
            raise WarmupctlError("--beta2 does not apply to SGD (it is Adam's second-moment rate)")
    if peak_lr is not None and base_lr is not None:
        raise WarmupctlError("give --peak-lr or --base-lr with --base-batch, not both")
    if (base_lr is None) != (base_batch is None):
        raise WarmupctlError("--base-lr and --base-batch go together: the rate and the batch it "
                             "was tuned at")
    for name, value in (("--peak-lr", peak_lr), ("--base-lr", base_lr)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise WarmupctlError(f"{name} must be a positive rate, got {value!r}")
    if base_batch is not None and base_batch < 1:
        raise WarmupctlError(f"--base-batch must be at least 1, got {base_batch}")
    if regime == "finetune" and base_lr is not None:
        raise WarmupctlError("--base-lr scales a rate by the batch rules of Goyal et al. and "
                             "Malladi et al., measured training from scratch; for a fine-tune "
                             "give --peak-lr (the recipes' own rates: BERT 2e-5 to 5e-5)")
    if regime == "finetune" and decay == "wsd":
        raise WarmupctlError("--decay wsd rests on pretraining evidence (Hägele et al. 2024, "
                             "MiniCPM); for a fine-tune use --decay linear (BERT, RoBERTa, the "
                             "HF default) or cosine")


def _round(x: float | None) -> float | None:
    """12 significant digits: 1 − 16·0.05 is 0.2, not 0.1999999999999993."""
    return None if x is None else float(f"{x:.12g}")


def _ceil(x: float) -> int:
    """Whole steps, rounded up, without float noise adding a step (0.018·100000 is 1800)."""
    return math.ceil(round(x, 6))


def _floor(x: float) -> int:
    return math.floor(round(x, 6))


def _hint(word: str, choices: tuple[str, ...]) -> str:
    h = suggest(word, choices)
    return f" ({h})" if h else ""


def recommend(
    steps: int,
    batch: int,
    *,
    regime: str | None = None,
    optimizer: str = "adamw",
    beta2: float | None = None,
    peak_lr: float | None = None,
    base_lr: float | None = None,
    base_batch: int | None = None,
    seq_len: int | None = None,
    decay: str | None = None,
) -> Recommendation:
    """A warmup schedule for ``steps`` optimizer steps at ``batch`` sequences (or images) per step.

    ``regime`` None means pretraining, assumed (and said so in the result's ``regime``).
    Raises :class:`~warmupctl.errors.WarmupctlError` for inputs it cannot plan for.
    """
    optimizer = optimizer.strip().lower()
    regime_info = _regime(regime)
    regime = regime_info["value"]
    decay = decay or ("cosine" if regime == "pretrain" else "linear")
    _check_inputs(steps, batch, regime, optimizer, decay, beta2, peak_lr, base_lr, base_batch,
                  seq_len)
    N, B = int(steps), int(batch)
    pretrain = regime == "pretrain"
    rules: list[dict[str, Any]] = []

    # -- β2 and the optimizer floor -----------------------------------------------------------
    uses_floor = is_adam_family(optimizer) or is_radam(optimizer)
    b2_default = uses_floor and beta2 is None
    b2 = DEFAULT_BETA2[regime] if b2_default else beta2
    floor = untuned_warmup(b2) if uses_floor and b2 is not None else 0
    if pretrain and floor > MAX_FLOOR_SHARE * N:
        raise WarmupctlError(
            f"{optimizer} with β2={num(b2)} needs at least 2/(1−β2) = {floor} warmup steps "
            f"(Ma & Yarats 2019), which would leave less than 20% of the {N:,}-step run for the "
            f"decay; train longer or lower β2 (0.98 → 100 steps, 0.95 → 40)")

    # -- warmup length -------------------------------------------------------------------------
    if pretrain:
        lo = _ceil(PRETRAIN_BAND[0] * N)
        hi = _floor(PRETRAIN_BAND[1] * N)
        raw, frac = batch_fraction(B)
        base_w = min(hi, max(lo, _ceil(frac * N)))
    else:
        lo = _ceil(FINETUNE_BAND[0] * N)
        hi = _floor(FINETUNE_BAND[1] * N)
        raw = frac = FINETUNE_FRACTION
        base_w = min(hi, max(lo, _ceil(frac * N)))
    # the optimizer floor was measured from scratch: it binds only when pretraining
    W = max(base_w, floor) if pretrain else base_w
    floor_bound = pretrain and floor > base_w

    if b2_default:
        rules.append(_entry("default-beta2", b2, floor_bound))
    if pretrain:
        rules.append(_entry("pretrain-warmup-band", {"min_steps": lo, "max_steps": hi},
                            raw != frac and not floor_bound))
        rules.append(_entry("warmup-grows-with-batch", base_w, not floor_bound))
        if uses_floor:
            rules.append(_entry("untuned-warmup-floor", floor, floor_bound))
    else:
        rules.append(_entry("finetune-warmup-band", base_w, True))
    conflicts = _conflicts(N, W, base_w, hi, floor, b2, optimizer, pretrain)

    # -- peak ----------------------------------------------------------------------------------
    start_lr = None
    peak = peak_lr
    scaling = None
    if base_lr is not None:
        assert base_batch is not None
        kappa = B / base_batch
        lin = linear_scaling(base_lr, kappa)
        scaling = sqrt_scaling(base_lr, kappa, DEFAULT_BETA1, b2 if b2 is not None else 0.999,
                               DEFAULT_EPS)
        sgd = is_sgd(optimizer)
        peak = lin if sgd else scaling.lr
        rules.append(_entry("linear-scaling-sgd", lin, sgd))
        value: dict[str, Any] = {"peak_lr": scaling.lr}
        if not sgd:
            value.update(beta1=_round(scaling.beta1), beta2=_round(scaling.beta2),
                         eps=_round(scaling.eps))
        rules.append(_entry("sqrt-scaling-adam", value, not sgd))
        if sgd and kappa > 1:
            start_lr = base_lr
            rules.append(_entry("gradual-warmup-from-base", base_lr, True))
    else:
        rules.append(_entry("peak-lr", peak_lr, True))

    # -- decay ---------------------------------------------------------------------------------
    rest = N - W
    if decay == "wsd":
        final = 0.0
        cool = min(_ceil(WSD_COOLDOWN * N), rest)
        decay_block: dict[str, Any] = {"shape": "wsd", "final_lr": 0, "cooldown": cool,
                                       "cooldown_shape": "1-sqrt"}
    else:
        final = FINAL_FRACTION if pretrain else 0.0
        decay_block = {"shape": decay, "final_lr": "10%" if final else 0}
    rules.append(_entry("final-lr" if pretrain else "finetune-final-lr", final, True))
    rules.append(_entry("decay-horizon-is-run", rest, True))
    if decay == "wsd":
        rules.append(_entry("wsd-cooldown", cool, True))

    # -- the spec ------------------------------------------------------------------------------
    warm: dict[str, Any] = {"shape": "linear", "length": W}
    if start_lr is not None:
        warm["start_lr"] = start_lr
    training: dict[str, Any] = {"regime": regime, "optimizer": optimizer}
    if b2 is not None:
        training["beta2"] = b2
    training["batch_size"] = B
    if seq_len is not None:
        training["seq_len"] = int(seq_len)
    explanation = _explain(
        N=N, B=B, W=W, regime=regime, optimizer=optimizer, b2=b2, b2_default=b2_default,
        floor=floor, base_w=base_w, frac=frac, decay=decay, final=final, peak=peak,
        peak_given=peak_lr is not None, base_lr=base_lr, base_batch=base_batch, scaling=scaling,
        start_lr=start_lr, tokens=B * seq_len if seq_len else None,
        cool=decay_block.get("cooldown"), conflicts=conflicts,
    )
    spec: dict[str, Any] = {
        "name": "recommended",
        "description": f"warmupctl recommend: {regime}, {N:,} steps, batch {B:,}, {optimizer}",
        "source": "warmupctl recommend (the recommend rules in docs/rules.md)",
        "note": explanation,
        "total": N,
        "peak_lr": peak if peak is not None else {"multiplier": 1.0},
        "warmup": warm,
        "decay": decay_block,
        "training": training,
    }
    return Recommendation(N, W, peak, spec, rules, explanation, regime_info, conflicts)


def _regime(regime: str | None) -> dict[str, Any]:
    """The regime and why: given with --regime, or pretraining, assumed."""
    if regime is None:
        return {"value": "pretrain", "assumed": True,
                "why": "no --regime given; pretraining from scratch is where most warmup "
                       "evidence was measured; pass --regime finetune when the run starts from "
                       "trained weights"}
    return {"value": regime, "assumed": False,
            "why": f"given with --regime: {REGIME_WORDS.get(regime, regime)}"}


def _conflict(rules: tuple[str, str], chosen: str, message: str) -> dict[str, Any]:
    return {"rules": list(rules), "sources": [BASIS_BY_ID[r].source for r in rules],
            "chosen": chosen, "message": message}


def _conflicts(N: int, W: int, base_w: int, hi: int, floor: int, b2: float | None,
               optimizer: str, pretrain: bool) -> list[dict[str, Any]]:
    """One entry per pair of rules that disagreed about the warmup, with the choice made."""
    if not floor or floor <= base_w:
        return []
    floor_text = (f"Ma & Yarats 2019's untuned floor for {optimizer} with β2={num(b2)} is "
                  f"2/(1−β2) = {floor:,} steps ({pct(floor / N)} of the run)")
    if pretrain:
        other = "pretrain-warmup-band" if W > hi else "warmup-grows-with-batch"
        said = (f"the 1–5% band allows at most {hi:,} steps (BERT 1%, Goyal et al. 5.6%)"
                if W > hi else f"the batch-size rule gives {base_w:,} steps")
        return [_conflict((other, "untuned-warmup-floor"), "untuned-warmup-floor",
                          f"{floor_text}, while {said}: the floor wins, as the optimizer's "
                          f"minimum, so the warmup is {W:,} steps; a lower β2 (0.95 → 40 "
                          f"steps) would resolve it.")]
    return [_conflict(("untuned-warmup-floor", "finetune-warmup-band"), "finetune-warmup-band",
                      f"{floor_text}, while fine-tuning recipes warm up for RoBERTa's 6% "
                      f"(Liu et al. 2019) and at most BERT's 10% (Devlin et al. 2019): the floor "
                      f"was measured training from scratch, so the fine-tuning practice wins "
                      f"and the warmup is {W:,} steps ({pct(W / N)}).")]


def _explain(*, N: int, B: int, W: int, regime: str, optimizer: str, b2: float | None,
             b2_default: bool, floor: int, base_w: int, frac: float, decay: str, final: float,
             peak: float | None, peak_given: bool, base_lr: float | None,
             base_batch: int | None, scaling: Any, start_lr: float | None,
             tokens: int | None, cool: int | None, conflicts: list[dict[str, Any]]) -> str:
    """One paragraph, in the user's numbers: why this warmup, this decay and this peak."""
    from .units import format_count

    out: list[str] = []
    pretrain = regime == "pretrain"
    tok = f", {format_count(W * tokens)} tokens" if tokens else ""
    out.append(f"For {N:,} {'pretraining' if pretrain else 'fine-tuning'} steps at batch {B:,}, "
               f"warm up linearly for {W:,} steps ({pct(W / N)}{tok})")
    if pretrain:
        why = (f"{pct(frac)} for batch {B:,} in the 1–5% band, which grows with the batch (1% at "
               f"≤256 up to 5% at ≥8,192; Goyal et al. needed a gradual warmup at 8k)")
    else:
        why = ("RoBERTa's 6% of updates for GLUE (Liu et al. 2019), within published fine-tuning "
               "practice: never above BERT's 10%, and the HF Trainer default is 0")
    assumed = ""
    if b2_default:
        norm = "the LLM pretraining norm" if pretrain else "RoBERTa's fine-tuning value"
        assumed = (f", assumed as {norm}; PyTorch's default 0.999 would need 2,000 steps, so "
                   f"pass --beta2 if you keep it")
    floor_text = (f"{optimizer}'s floor of 2/(1−β2) = {floor} steps for β2={num(b2)} "
                  f"(Ma & Yarats 2019){assumed}") if floor else ""
    if not pretrain:
        out[-1] += f": {why}."
        if conflicts:
            out.append(f"The untuned floor 2/(1−β2) = {floor:,} steps (Ma & Yarats 2019) was "
                       f"measured training from scratch and is not applied to a fine-tune.")
    elif W == base_w:
        out[-1] += f": {why}."
        if floor:
            out.append(f"That clears {floor_text}.")
    else:
        short = ("the batch-size rule gives in the 1–5% band" if pretrain
                 else "RoBERTa's 6% gives")
        out[-1] += (f", more than the {base_w:,} ({pct(base_w / N)}) {short}: {floor_text} is "
                    f"the stronger rule.")
        if pretrain and W > _floor(PRETRAIN_BAND[1] * N):
            out.append("That puts the warmup above the 5% band; a lower β2 (0.95 → 40 steps) "
                       "would bring it back.")
    if decay == "wsd":
        out.append(f"The rate then holds the peak and cools down to 0 over the last {cool:,} "
                   f"steps (20%, 1−sqrt shape; Hägele et al. 2024, whose best stable rate was "
                   f"about half the best cosine peak).")
    else:
        to = "10% of the peak" if final else "0"
        why_end = ("Chinchilla: match the horizon to the run" if pretrain else
                   "as the BERT and RoBERTa recipes and the HF Trainer's schedules do")
        out.append(f"A {decay} decay to {to} then ends exactly at the last step, {N - W:,} steps "
                   f"later ({why_end}).")
    if base_lr is not None:
        assert base_batch is not None
        kappa = B / base_batch
        scaled = f"Scaling {lr(base_lr)} from batch {base_batch:,} to {B:,} (×{kappa:.4g}) gives"
        if is_sgd(optimizer):
            out.append(f"{scaled} {lr(peak)} by Goyal et al.'s linear rule for SGD (the "
                       f"square-root rule would give {lr(scaling.lr)})"
                       + (f"; the warmup starts from {lr(start_lr)}, as in their gradual "
                          f"warmup." if start_lr is not None else "."))
        else:
            if scaling.beta2 is not None and scaling.beta1 is not None:
                betas = (f"; for an exact match also set β1={scaling.beta1:.4g}, "
                         f"β2={scaling.beta2:.6g}, ε={scaling.eps:.3g} (not applied)")
            else:
                betas = (f"; its β adjustment needs κ(1−β1) < 1 and κ(1−β2) < 1, which fails at "
                         f"×{kappa:.4g}, so only the rate is scaled")
            out.append(f"{scaled} {lr(peak)} by Malladi et al.'s square-root rule for adaptive "
                       f"optimizers (linear would give {lr(base_lr * kappa)}){betas}.")
    elif peak_given:
        out.append(f"The peak is your {lr(peak)}.")
    else:
        out.append("No peak was given, so the spec's rates are multipliers of your peak "
                   "(peak_lr: {multiplier: 1.0}); trainer exports need --peak-lr.")
    if pretrain:
        out.append("The 1–5% band runs from BERT's 1% at batch 256 to Goyal et al.'s 5.6% at "
                   "8k; a folk rule quotes the same band, but it is a convention, not a measured "
                   "threshold: GPT-3 (0.125% of tokens), OLMo 2 7B (0.22%), nanoGPT (0.33%) and "
                   "Llama 2 (0.4%) trained stably with less.")
    else:
        out.append("Zero warmup is often fine from a strong checkpoint (the HF Trainer "
                   "default; an SFT study saw no difference for 0–100 steps).")
    return " ".join(out)
