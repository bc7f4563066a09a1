"""Batch size and the peak rate: Goyal et al.'s linear rule for SGD and its ~8k limit, and
Malladi et al.'s square-root rule for Adam (used by `recommend`, see :mod:`.basis`)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ._core import PRETRAIN, Facts, Rule, is_sgd, lr, num

FAMILY = "batch size"

#: Goyal et al.: ResNet-50 accuracy held up to a minibatch of ~8k images
SGD_BATCH_LIMIT = 8192
#: Goyal et al.'s reference: 0.1 per 256 images
GOYAL_LR_PER_256 = 0.1


def linear_scaling(base_lr: float, kappa: float) -> float:
    """Goyal et al. 2017 §2.1: batch ×κ → rate ×κ (SGD)."""
    return base_lr * kappa


@dataclass(frozen=True)
class SqrtScaling:
    """Malladi et al. 2022: batch ×κ → rate ×√κ, 1−β1 → κ(1−β1), 1−β2 → κ(1−β2), ε → ε/√κ."""

    lr: float
    beta1: float | None  # None when κ(1−β1) ≥ 1 (no valid β1)
    beta2: float | None
    eps: float


def sqrt_scaling(base_lr: float, kappa: float, beta1: float, beta2: float,
                 eps: float) -> SqrtScaling:
    b1 = 1.0 - kappa * (1.0 - beta1)
    b2 = 1.0 - kappa * (1.0 - beta2)
    return SqrtScaling(
        lr=base_lr * math.sqrt(kappa),
        beta1=b1 if 0.0 < b1 < 1.0 else None,
        beta2=b2 if 0.0 < b2 < 1.0 else None,
        eps=eps / math.sqrt(kappa),
    )


def _needs_sgd_batch(f: Facts) -> tuple[str, ...]:
    batch = ("training.batch_size",) if f.batch_size is None else ()
    if f.optimizer is None:
        return ("training.optimizer",) + batch
    return batch if is_sgd(f.optimizer) else ()


def _needs_sgd_reference(f: Facts) -> tuple[str, ...]:
    missing = _needs_sgd_batch(f)
    if f.lr_multiplier and (f.optimizer is None or is_sgd(f.optimizer)):
        missing += ("peak_lr (absolute)",)
    return missing


def _sgd_large(f: Facts) -> Iterator[str]:
    b = f.batch_size
    if is_sgd(f.optimizer) and b is not None and b > SGD_BATCH_LIMIT:
        yield (f"Batch {num(b)} with {f.optimizer} is above the ~8k images up to which Goyal et "
               f"al.'s linear scaling rule held for ResNet-50 on ImageNet ({b / 8192:.3g}× that); "
               f"expect lower accuracy, or use a layer-wise optimizer such as LARS.")


def _sgd_reference(f: Facts) -> Iterator[str]:
    b = f.batch_size
    if not is_sgd(f.optimizer) or b is None or f.peak <= 0 or f.lr_multiplier:
        return
    ref = GOYAL_LR_PER_256 * b / 256
    ratio = f.peak / ref
    if 0.5 <= ratio <= 2.0:
        return
    yield (f"Peak {lr(f.peak)} at batch {num(b)}: Goyal et al.'s linear rule gives 0.1·B/256 = "
           f"{lr(ref)} for ResNet-50 on ImageNet, {ratio:.3g}× what you use. That reference is "
           f"for that model and data; if your rate was tuned at batch B0, the linear rule for SGD "
           f"is peak·B/B0 (`warmupctl recommend --base-lr X --base-batch B0`).")


RULES = [
    Rule(
        id="sgd-large-batch",
        severity="warning",
        family=FAMILY,
        summary="SGD (with or without momentum) with `training.batch_size` above 8192.",
        source="Goyal et al. 2017, Accurate, Large Minibatch SGD, arXiv:1706.02677, §5.1 "
               "(accuracy held up to kn ≈ 8k, degraded beyond)",
        evidence="V-S. The limit is for ResNet-50/ImageNet; other models differ.",
        check=_sgd_large,
        regimes=PRETRAIN,
        needs=_needs_sgd_batch,
        cite="Goyal et al. 2017 §5.1",
    ),
    Rule(
        id="sgd-linear-scaling",
        severity="info",
        family=FAMILY,
        summary="SGD whose peak is more than 2× away from Goyal et al.'s reference 0.1·B/256 for "
                "the batch in `training.batch_size`.",
        source="Goyal et al. 2017, arXiv:1706.02677, §2.1 (linear scaling rule) and §5.1 "
               "(η = 0.1·kn/256)",
        evidence="V-S. The reference is specific to ResNet-50 on ImageNet; information only. "
                 "The Adam counterpart (square-root scaling, Malladi et al. 2022) needs the "
                 "batch the rate was tuned at, so it lives in `recommend`.",
        check=_sgd_reference,
        regimes=PRETRAIN,
        needs=_needs_sgd_reference,
        cite="Goyal et al. 2017 §2.1, §5.1",
    ),
]
