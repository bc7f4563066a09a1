"""What the optimizer implies about warmup: Adam's untuned floor 2/(1−β2) and RAdam's built-in
warmup (its variance rectifier r_t)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import suggest
from ._core import (
    FINETUNE,
    OTHER_ADAPTIVE,
    PRETRAIN,
    Facts,
    Rule,
    is_adam_family,
    is_adaptive,
    is_radam,
    is_sgd,
    num,
    steps,
    untuned_warmup,
)

FAMILY = "optimizer"

#: PyTorch's default betas for Adam, AdamW and RAdam
TORCH_DEFAULT_BETA2 = 0.999


# ---------------------------------------------------------------------------------------------
# RAdam (Liu et al. 2019, Algorithm 2). t counts updates from 1; warmupctl's step index is t − 1.
# ---------------------------------------------------------------------------------------------


def radam_rho(t: np.ndarray | int, beta2: float) -> np.ndarray:
    """ρ_t = ρ∞ − 2t·β2^t / (1 − β2^t), with ρ∞ = 2/(1 − β2) − 1."""
    t = np.asarray(t, dtype=np.float64)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    b = np.power(beta2, t)
    return rho_inf - 2.0 * t * b / (1.0 - b)


def radam_rectifier(t: np.ndarray | int, beta2: float, threshold: float = 4.0,
                    inclusive: bool = False) -> np.ndarray:
    """r_t = sqrt((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t)) where the adaptive step is taken,
    else 0 (the un-adapted fallback step, treated as no adaptive step).

    The adaptive step is taken when ρ_t > 4 (the paper), ρ_t ≥ 5 (the official code:
    ``threshold=5, inclusive=True``) or ρ_t > 5 (``torch.optim.RAdam``: ``threshold=5``).
    """
    rho = radam_rho(t, beta2)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    on = rho >= threshold if inclusive else rho > threshold
    if rho_inf <= 4.0:
        return np.zeros(np.shape(rho))
    safe = np.where(on, rho, 5.0)
    r = np.sqrt((safe - 4.0) * (safe - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * safe))
    return np.where(on, r, 0.0)


def radam_first_adaptive(beta2: float, threshold: float = 4.0, inclusive: bool = False
                         ) -> int | None:
    """The first update t (1-based) that takes the adaptive step; None if none ever does."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    if rho_inf < threshold or (rho_inf == threshold and not inclusive):
        return None
    t = np.arange(1, 10_001)
    rho = radam_rho(t, beta2)
    on = rho >= threshold if inclusive else rho > threshold
    idx = np.flatnonzero(on)
    return int(t[idx[0]]) if idx.size else None


def radam_crossing(beta2: float, level: float) -> int | None:
    """The first update t (1-based) with r_t ≥ ``level`` (paper threshold ρ_t > 4)."""
    if 2.0 / (1.0 - beta2) - 1.0 <= 4.0:
        return None
    horizon = int(60.0 / (1.0 - beta2)) + 100
    t = np.arange(1, horizon + 1)
    idx = np.flatnonzero(radam_rectifier(t, beta2) >= level)
    return int(t[idx[0]]) if idx.size else None


def radam_equivalent_warmup(beta2: float) -> float:
    """The linear warmup with the same total shortfall of the rate as RAdam's r_t:
    ``2·Σ_t (1 − r_t)`` over the updates (a linear warmup of length L falls short by about L/2
    peak-steps). Summed until β2^t < e^-60, where 1 − r_t is far below float precision."""
    if 2.0 / (1.0 - beta2) - 1.0 <= 4.0:
        return math.inf
    horizon = int(60.0 / (1.0 - beta2)) + 100
    t = np.arange(1, horizon + 1)
    return 2.0 * math.fsum((1.0 - radam_rectifier(t, beta2)).tolist())


@dataclass(frozen=True)
class RAdamWarmup:
    beta2: float
    first_paper: int | None  # ρ_t > 4
    first_code: int | None  # ρ_t ≥ 5
    first_torch: int | None  # ρ_t > 5
    r90: int | None
    r99: int | None
    equivalent: float


def radam_warmup(beta2: float) -> RAdamWarmup:
    return RAdamWarmup(
        beta2=beta2,
        first_paper=radam_first_adaptive(beta2, 4.0),
        first_code=radam_first_adaptive(beta2, 5.0, inclusive=True),
        first_torch=radam_first_adaptive(beta2, 5.0),
        r90=radam_crossing(beta2, 0.9),
        r99=radam_crossing(beta2, 0.99),
        equivalent=radam_equivalent_warmup(beta2),
    )


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def _below_floor(f: Facts) -> Iterator[str]:
    if not is_adam_family(f.optimizer) or f.beta2 is None:
        return
    floor = untuned_warmup(f.beta2)
    if f.warmup < floor:
        if f.warmup == 0:
            head = (f"There is no warmup; the untuned minimum for {f.optimizer} with "
                    f"β2={num(f.beta2)} is 2/(1−β2) = {floor} steps (Ma & Yarats 2019).")
        else:
            head = (f"The warmup ({steps(f.warmup)}) is shorter than 2/(1−β2) = {floor} steps, "
                    f"the untuned minimum for {f.optimizer} with β2={num(f.beta2)} "
                    f"(Ma & Yarats 2019).")
        yield (f"{head} Warm up linearly for at least {steps(floor)}, or lower β2 (β2=0.95 "
               f"needs 40 steps).")


def _needs_floor(f: Facts) -> tuple[str, ...]:
    beta2 = ("training.beta2",) if f.beta2 is None else ()
    if f.optimizer is None:
        return ("training.optimizer",) + beta2
    return beta2 if is_adam_family(f.optimizer) else ()


def _needs_optimizer_any(f: Facts) -> tuple[str, ...]:
    return ("training.optimizer",) if f.optimizer is None else ()


#: published fine-tuning warmups, as fractions of the run (recipes-and-rules §1.5, §1.7)
FINETUNE_PRACTICE = "BERT's GLUE recipe 10%, RoBERTa's 6%, the HF Trainer default 0"
FINETUNE_MAX = 0.10


def _floor_vs_finetune(f: Facts) -> Iterator[str]:
    if not is_adam_family(f.optimizer) or f.beta2 is None:
        return
    floor = untuned_warmup(f.beta2)
    if floor <= f.warmup:
        return
    cap = int(FINETUNE_MAX * f.total)
    yield (f"Two rules disagree for this fine-tune: Ma & Yarats 2019's untuned floor 2/(1−β2) = "
           f"{floor:,} steps for β2={num(f.beta2)} ({floor / f.total:.1%} of the run) against "
           f"published fine-tuning practice ({FINETUNE_PRACTICE}; at most {cap:,} steps here). "
           f"The floor was measured training from scratch, so warmupctl follows the fine-tuning "
           f"practice and does not apply the floor; your warmup is {steps(f.warmup)}.")


def _radam(f: Facts) -> Iterator[str]:
    if not is_radam(f.optimizer):
        return
    assumed = f.beta2 is None
    beta2 = TORCH_DEFAULT_BETA2 if assumed else f.beta2
    info = radam_warmup(beta2)
    b2 = f"β2={num(beta2)}" + (" (PyTorch's default; not in the spec)" if assumed else "")
    if info.first_paper is None:
        yield (f"RAdam with {b2}: ρ∞ = 2/(1−β2) − 1 ≤ 4, so the variance rectifier never "
               f"switches on and every update is the un-adapted momentum step.")
        return
    extra = (f" Your explicit {f.warmup:,}-step warmup comes on top of it; Ma & Yarats 2019 found "
             f"the two equivalent, so one of them is usually redundant."
             if f.warmup else "")
    yield (f"RAdam already implies a warmup of about {steps(round(info.equivalent))} for {b2}: "
           f"its rectifier r_t gives the same total shortfall as a linear warmup of that length "
           f"(the untuned 2/(1−β2) = {untuned_warmup(beta2)} steps). Counting updates from 1, "
           f"the first adaptive update is t={info.first_paper} (paper, ρ_t > 4) or "
           f"t={info.first_code} (official code ρ_t ≥ 5; PyTorch ρ_t > 5: t={info.first_torch}); "
           f"r_t reaches 0.9 at t={info.r90:,} "
           f"and 0.99 at t={info.r99:,}.{extra}")


#: names the optimizer rules recognise, for "did you mean" (the families also take variants:
#: anything containing "adam" or "sgd", e.g. adamw_torch_fused or paged_adamw_8bit)
KNOWN_NAMES = ("adam", "adamw", "nadam", "adamax", "amsgrad", "lamb", "radam", "adabelief",
               "sgd", "sgdm", "momentum", "nesterov", *sorted(OTHER_ADAPTIVE))


def _unknown(f: Facts) -> Iterator[str]:
    opt = f.optimizer
    if not opt or is_adaptive(opt) or is_sgd(opt):
        return
    # a swap of letters (adma, agd) first, then the closest spelling
    same_letters = [k for k in KNOWN_NAMES if sorted(k) == sorted(opt)]
    hint = f"did you mean '{same_letters[0]}'?" if same_letters else suggest(opt, KNOWN_NAMES)
    yield (f"training.optimizer '{opt}' is not a name warmupctl recognises, so the rules about "
           f"optimizers (the Adam floor 2/(1−β2), RAdam's implied warmup, SGD batch scaling) "
           f"were not checked" + (f"; {hint}" if hint else "."))


RULES = [
    Rule(
        id="unknown-optimizer",
        severity="info",
        family=FAMILY,
        summary="`training.optimizer` is set to a name no optimizer rule recognises (a typo such "
                "as `adma`, or an optimizer warmupctl has no evidence for), so those rules stay "
                "silent; the message suggests the closest known name. Recognised: names "
                "containing `adam` or `sgd`, amsgrad, lamb, adabelief, radam, momentum, nesterov, "
                + ", ".join(sorted(OTHER_ADAPTIVE)) + ".",
        source="warmupctl's optimizer families (warmupctl/rules/_core.py), listed in this file",
        evidence="A statement about what warmupctl checked, not an empirical claim.",
        check=_unknown,
        cite="warmupctl's optimizer families",
    ),
    Rule(
        id="warmup-below-untuned-floor",
        severity="warning",
        family=FAMILY,
        summary="An Adam-family optimizer (`adam`, `adamw`, `nadam`, `lamb`, …) with "
                "`training.beta2` set and a warmup shorter than 2/(1−β2) steps "
                "(β2=0.95 → 40, 0.98 → 100, 0.99 → 200, 0.999 → 2000).",
        source="Ma & Yarats 2019, On the Adequacy of Untuned Warmup for Adaptive Optimization, "
               "AAAI 2021, arXiv:1910.04209, §5 (linear warmup over 2/(1−β2) steps)",
        evidence="V-P (abstract), formula V-S. Measured training from scratch, so applied only "
                 "to pretraining (see `untuned-floor-vs-finetune`). Used as a floor, not a "
                 "target. Silent when β2 is not in the spec. pytorch_warmup's "
                 "UntunedLinearWarmup truncates 2/(1−β2) with int() (1999 for β2=0.999); "
                 "warmupctl rounds first, so 0.999 gives 2000.",
        check=_below_floor,
        regimes=PRETRAIN,
        needs=_needs_floor,
        cite="Ma & Yarats 2019 §5",
    ),
    Rule(
        id="untuned-floor-vs-finetune",
        severity="info",
        family=FAMILY,
        summary="Fine-tuning (`regime: finetune`) with an Adam-family optimizer whose untuned "
                "floor 2/(1−β2) is longer than the warmup: the conflict between that floor "
                "(measured from scratch) and fine-tuning practice, and the choice warmupctl "
                "makes (the practice).",
        source="Ma & Yarats 2019, arXiv:1910.04209, §5 (floor; training from scratch) vs "
               "google-research/bert run_classifier.py (warmup_proportion=0.1; Devlin et al. "
               "2019, arXiv:1810.04805), fairseq examples/roberta/README.glue.md (6% of updates; "
               "Liu et al. 2019, arXiv:1907.11692), huggingface/transformers TrainingArguments "
               "(warmup_steps=0)",
        evidence="V-P/V-S for the floor, V-C for the recipes. Ma & Yarats measured image "
                 "classification, language modelling and translation trained from scratch; a "
                 "fine-tune starts from trained weights. Replaces `warmup-below-untuned-floor` "
                 "for fine-tuning, which would ask for 2,000 steps at β2=0.999.",
        check=_floor_vs_finetune,
        regimes=FINETUNE,
        cite="Ma & Yarats 2019 §5 vs BERT 10%, RoBERTa 6%, HF 0",
    ),
    Rule(
        id="radam-implied-warmup",
        severity="info",
        family=FAMILY,
        summary="`optimizer: radam`: how long the warmup built into RAdam's rectifier r_t is "
                "(its linear-equivalent length, where r_t reaches 0.9 and 0.99, and the first "
                "adaptive update under each threshold convention).",
        source="Liu et al. 2019, On the Variance of the Adaptive Learning Rate and Beyond (RAdam), "
               "ICLR 2020, arXiv:1908.03265, Algorithm 2; LiyuanLucasLiu/RAdam (ρ_t ≥ 5); "
               "torch.optim.RAdam (ρ_t > 5); Ma & Yarats 2019, arXiv:1910.04209",
        evidence="V-S for Algorithm 2 (reproduced by several implementations), V-C for the code "
                 "thresholds. The paper switches on at ρ_t > 4 (update 5), the official code at "
                 "ρ_t ≥ 5 and PyTorch at ρ_t > 5 (update 6). The linear-equivalent length "
                 "2·Σ(1−r_t) is derived here; it comes out within a few percent of 2/(1−β2) "
                 "(2,067 vs 2,000 steps at β2=0.999), which is Ma & Yarats' point. With β2 "
                 "missing, PyTorch's default 0.999 is assumed and the message says so.",
        check=_radam,
        needs=_needs_optimizer_any,
        cite="Liu et al. 2019 Alg. 2; RAdam, PyTorch code",
    ),
]
