"""Rotational equilibrium: the angular update a scale-invariant weight row settles at.

Kosson, Messmer & Jaggi 2023, "Rotational Equilibrium: How Weight Decay Balances Learning Across
Neural Networks", arXiv:2305.17212 (Table 1; code epfml/REQ). Under their random-walk model, weight
decay and updates balance and the expected angular update per step of a scale-invariant weight
vector settles at (η the learning rate, λ the weight decay):

* AdamW (decoupled decay, ``p ← p·(1 − ηλ)``):  √(2ηλ · (1 − β1)/(1 + β1))
* SGD with momentum α (L2 decay in the gradient, torch's form):  √(2ηλ / (1 + α))
* Lion (decoupled decay):  √(π/2) · √(2ηλ) · √((1 − β1)² + β1²(1 − β2)/(1 + β2))

The rates may be arrays (one per step); the result has the same shape. Optimizers without a
published form (Adam with L2 decay, Adafactor, …) and zero weight decay have no equilibrium:
:func:`equilibrium` returns ``None`` and :func:`why_none` says why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

SOURCE = "Kosson et al. 2023, arXiv:2305.17212, Table 1"

#: optimizer names (lower case) that share a form
ADAMW = frozenset({"adamw", "adamw_torch", "adamw_torch_fused", "adamw_hf", "fusedadam"})
SGD = frozenset({"sgd", "sgd_momentum", "nesterov"})
LION = frozenset({"lion"})


def adamw(lr: Any, weight_decay: float, beta1: float = 0.9) -> np.ndarray:
    """√(2ηλ(1−β1)/(1+β1)) for AdamW."""
    lr = np.asarray(lr, dtype=np.float64)
    return np.sqrt(2.0 * lr * weight_decay * (1.0 - beta1) / (1.0 + beta1))


def sgd(lr: Any, weight_decay: float, momentum: float = 0.0) -> np.ndarray:
    """√(2ηλ/(1+α)) for SGD with momentum α (torch's form: decay added to the gradient)."""
    lr = np.asarray(lr, dtype=np.float64)
    return np.sqrt(2.0 * lr * weight_decay / (1.0 + momentum))


def lion(lr: Any, weight_decay: float, beta1: float = 0.9, beta2: float = 0.99) -> np.ndarray:
    """√(π/2)·√(2ηλ)·√((1−β1)² + β1²(1−β2)/(1+β2)) for Lion."""
    lr = np.asarray(lr, dtype=np.float64)
    spread = (1.0 - beta1) ** 2 + beta1**2 * (1.0 - beta2) / (1.0 + beta2)
    return math.sqrt(math.pi / 2.0) * np.sqrt(2.0 * lr * weight_decay) * math.sqrt(spread)


def kind(optimizer: str | None) -> str | None:
    """``"adamw"``, ``"sgd"`` or ``"lion"`` for an optimizer name with a published form."""
    name = (optimizer or "").strip().lower()
    if name in ADAMW:
        return "adamw"
    if name in SGD:
        return "sgd"
    if name in LION:
        return "lion"
    return None


def why_none(training: Mapping[str, Any]) -> str | None:
    """Why ``training`` (a spec's ``training:`` block) has no equilibrium, or ``None`` if it has."""
    opt = training.get("optimizer")
    if opt is None:
        return "no optimizer is given (training.optimizer)"
    if kind(opt) is None:
        return (f"no published equilibrium for optimizer {str(opt)[:40]!r} "
                f"(known: AdamW, SGD with momentum, Lion; {SOURCE})")
    if not training.get("weight_decay"):
        return "weight decay is 0 or not given (training.weight_decay): without it there is none"
    return None


def equilibrium(lr: Any, training: Mapping[str, Any]) -> np.ndarray | None:
    """The equilibrium angular update at each rate in ``lr`` for a ``training:`` block.

    Defaults when a field is absent: β1 0.9 and β2 0.999 for AdamW (torch's), β1 0.9 and β2 0.99
    for Lion (Chen et al. 2023), momentum 0 for SGD. ``None`` when :func:`why_none` gives a reason.
    """
    if why_none(training) is not None:
        return None
    wd = float(training["weight_decay"])
    k = kind(training.get("optimizer"))
    if k == "adamw":
        return adamw(lr, wd, float(training.get("beta1", 0.9)))
    if k == "sgd":
        return sgd(lr, wd, float(training.get("momentum", 0.0)))
    return lion(lr, wd, float(training.get("beta1", 0.9)), float(training.get("beta2", 0.99)))
