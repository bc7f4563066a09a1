"""The expected angular update of a scale-invariant weight row at every step of a schedule.

Model (docs/updates.md derives every line): one weight row ``w`` of fan-in ``n``, initialised
``N(0, σ²)`` per coordinate; at every step a gradient of iid Gaussian coordinates projected
orthogonal to the current row (the gradient of a scale-invariant loss is orthogonal to the weights;
Kosson et al. 2023, arXiv:2305.17212, §3's random walk); the optimizer in torch's form (AdamW and
Lion with decoupled decay ``w ← w·(1 − ηλ) − η·u``; SGD with the decay added to the gradient and
momentum ``b ← αb + g + λw``). The prediction is the angle between ``w_t`` and ``w_{t+1}`` built
from the expected second moments ``E‖w‖²``, ``E‖u‖²`` and ``E⟨w, u⟩`` (the cross term that
momentum carries between successive updates). These follow first-order linear recurrences, solved
here in O(steps) with cumulative products; nothing is sampled.

What makes early updates large is in the model: Adam's bias-corrected first update is
``sign(g)`` (norm √n), the initial norm σ√n is small, and momentum re-applies earlier gradients
that the row has already moved along. Late in a run the angle settles at the rotational
equilibrium of :mod:`.equilibrium`.

Approximations (checked against direct torch simulations in tests/test_updates_predict.py): Adam's
second-moment estimate is replaced by its expectation after the first step (ε ignored); Lion's
sign is treated through Gaussian correlations (Price's theorem); the angle of the expected moments
stands for the expected angle (rows are high-dimensional, so both concentrate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import equilibrium as eq

#: default fan-in and init when the spec gives none: GPT-2 small's width (n_embd 768) and init
#: N(0, 0.02²) (Radford et al. 2019; HF transformers GPT2Config: n_embd=768, initializer_range=0.02)
DEFAULT_FAN_IN = 768
DEFAULT_INIT_STD = 0.02
DEFAULTS_SOURCE = "GPT-2 small: fan-in 768, init N(0, 0.02²) (HF GPT2Config defaults)"
#: when no optimizer is named: torch.optim.AdamW's defaults (betas (0.9, 0.999), weight_decay 0.01)
DEFAULT_TRAINING: Mapping[str, Any] = {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.999,
                                       "weight_decay": 0.01}
#: the largest log-range of a cumulative product inside one block of the recurrence solver
_LOG_SPAN = 600.0
_SQRT_2_PI = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Prediction:
    """The predicted angular update (radians) per step, with the rate and the equilibrium."""

    step: np.ndarray
    lr: np.ndarray
    angle: np.ndarray
    equilibrium: np.ndarray | None
    model: str

    def to_json(self) -> dict[str, Any]:
        """CONTRACT §8's ``updates --predict --json``: step, lr, angle, equilibrium (or null),
        plus the one-line model."""
        return {
            "step": self.step.tolist(),
            "lr": self.lr.tolist(),
            "angle": self.angle.tolist(),
            "equilibrium": None if self.equilibrium is None else self.equilibrium.tolist(),
            "model": self.model,
        }

    def peak_ratio(self) -> tuple[float, int]:
        """The largest angular update as a multiple of the equilibrium at the schedule's largest
        rate (the level the run settles at), and its step.

        This is the reference's measure (shared reference: 45× without warmup, 1.9× with 1000
        steps, at η = 1e-2, λ = 0.1, σ = 0.02). The per-step equilibrium is not used as the
        denominator: during warmup it goes to 0 with the rate. ``(nan, step)`` without an
        equilibrium (the step of the largest angle)."""
        if self.angle.size == 0:
            return math.nan, 0
        k = int(np.argmax(self.angle))
        if self.equilibrium is None:
            return math.nan, k
        top = float(np.max(self.equilibrium))
        if not top > 0:
            return math.nan, k
        return float(self.angle[k]) / top, k


def resolve(training: Mapping[str, Any] | None) -> dict[str, Any]:
    """The optimizer settings the model uses: the block's, with defaults filled in."""
    block = dict(training or {})
    if not block.get("optimizer"):
        merged = dict(DEFAULT_TRAINING)
        merged.update({k: v for k, v in block.items() if v is not None})
        merged["optimizer"] = "adamw"
        return merged
    return block


def _family(optimizer: str) -> str:
    name = optimizer.strip().lower()
    k = eq.kind(name)
    if k is not None:
        return k
    if name == "adam":
        return "adam"
    raise ValueError(
        f"no update-size model for optimizer {name[:40]!r} "
        "(known: adamw, adam, sgd, nesterov is not modelled, lion)"
    )


def predict(
    schedule: Any,
    *,
    fan_in: int | None = None,
    init_std: float | None = None,
    training: Mapping[str, Any] | None = None,
    grad_rms: float = 1.0,
) -> Prediction:
    """The expected angular update at every step of ``schedule`` (a :class:`~warmupctl.engine.
    Schedule`) for a scale-invariant row of fan-in ``fan_in`` initialised ``N(0, init_std²)``.

    ``training`` defaults to the schedule's ``training:`` block; ``fan_in`` and ``init_std`` to its
    ``fan_in``/``init_std`` fields, else :data:`DEFAULT_FAN_IN` and :data:`DEFAULT_INIT_STD`.
    ``grad_rms`` (the gradient's RMS per coordinate) matters for SGD only: Adam and Lion normalise
    it away. Raises ``ValueError`` for an optimizer without a model or a bad argument.
    """
    if training is None:
        training = schedule.meta.get("training", {}) if hasattr(schedule, "meta") else {}
    block = resolve(training)
    n = int(fan_in if fan_in is not None else block.get("fan_in", DEFAULT_FAN_IN))
    sigma = float(init_std if init_std is not None else block.get("init_std", DEFAULT_INIT_STD))
    if n < 2:
        raise ValueError(f"fan_in must be at least 2, got {n}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"init_std must be a positive number, got {sigma!r}")
    if not (math.isfinite(grad_rms) and grad_rms > 0):
        raise ValueError(f"grad_rms must be a positive number, got {grad_rms!r}")
    lr = np.asarray(schedule.curve(), dtype=np.float64)
    return predict_rates(lr, block, fan_in=n, init_std=sigma, grad_rms=grad_rms)


def predict_rates(
    lr: np.ndarray,
    training: Mapping[str, Any],
    *,
    fan_in: int = DEFAULT_FAN_IN,
    init_std: float = DEFAULT_INIT_STD,
    grad_rms: float = 1.0,
) -> Prediction:
    """:func:`predict` for an explicit array of rates (one per step) and a ``training`` block."""
    block = resolve(training)
    family = _family(str(block["optimizer"]))
    lam = float(block.get("weight_decay") or 0.0)
    lr = np.ascontiguousarray(lr, dtype=np.float64)
    if lr.size and (not np.all(np.isfinite(lr)) or lr.min() < 0):
        raise ValueError("rates must be finite and ≥ 0")
    if lr.size and lam and float(lr.max()) * lam >= 1.0:
        raise ValueError(f"η·λ reaches {float(lr.max()) * lam:g}: the decay factor 1 − ηλ must "
                         "stay above 0 for the model")
    g2 = grad_rms**2 * (fan_in - 1) / fan_in  # E g_i² after projecting out one direction
    w0 = init_std**2
    if family in ("adamw", "adam"):
        b1 = float(block.get("beta1", 0.9))
        decay = lam if family == "adamw" else 0.0
        angle = _adam(lr, w0, b1, decay)
        what = (f"AdamW β1={b1:g}, λ={decay:g}" if family == "adamw"
                else f"Adam β1={b1:g} (its L2 decay is not modelled)")
    elif family == "lion":
        b1, b2 = float(block.get("beta1", 0.9)), float(block.get("beta2", 0.99))
        angle = _lion(lr, w0, b1, b2, lam, g2)
        what = f"Lion β1={b1:g}, β2={b2:g}, λ={lam:g}"
    else:
        if str(block["optimizer"]).strip().lower() == "nesterov":
            raise ValueError("no update-size model for Nesterov momentum (known: sgd with "
                             "momentum, adamw, adam, lion)")
        mom = float(block.get("momentum", 0.0))
        angle = _sgd(lr, w0, mom, lam, g2)
        what = f"SGD momentum={mom:g}, λ={lam:g} (L2), gradient RMS {grad_rms:g}"
    equi = eq.equilibrium(lr, block) if family != "adam" else None
    model = (f"{what}; row fan-in {fan_in}, init N(0, {init_std:g}²); iid Gaussian gradients "
             "orthogonal to the row (random walk, Kosson et al. 2023)")
    return Prediction(np.arange(lr.size, dtype=np.int64), lr, angle, equi, model)


# ---------------------------------------------------------------------------------------------
# recurrences
# ---------------------------------------------------------------------------------------------

def linear_recurrence(p: np.ndarray, q: np.ndarray, x0: float, *,
                      logp: np.ndarray | None = None) -> np.ndarray:
    """``x[0] = x0``, ``x[t+1] = p[t]·x[t] + q[t]``: the ``len(q)`` values ``x[0] … x[N−1]``.

    Cumulative products in blocks whose log-range stays under :data:`_LOG_SPAN`, so nothing
    under- or overflows; needs ``0 < p ≤ 1`` (a plain loop otherwise). ``logp`` may be passed
    instead of computing ``log(p)``."""
    n = q.size
    out = np.empty(n, dtype=np.float64)
    if n == 0:
        return out
    if logp is None:
        if np.any(p <= 0) or np.any(p > 1):
            x = float(x0)
            for t in range(n):
                out[t] = x
                x = float(p[t]) * x + float(q[t])
            return out
        logp = np.log(p)
    neg = np.negative(logp)
    ends = np.cumsum(neg)  # −Σ_{k ≤ t} log p_k, non-decreasing: only to place the blocks
    start, x = 0, float(x0)
    while start < n:
        base = float(ends[start - 1]) if start else 0.0
        stop = int(np.searchsorted(ends, base + _LOG_SPAN, side="right"))
        stop = max(start + 1, min(n, stop))
        # e[j] = 1/Π_{start ≤ k ≤ start+j} p_k ≤ ~e^600, summed inside the block for precision
        e = np.exp(np.cumsum(neg[start:stop]))
        acc = np.cumsum(q[start:stop] * e)
        acc += x
        out[start] = x
        np.divide(acc[:-1], e[:-1], out=out[start + 1 : stop])
        x = float(acc[-1] / e[-1])
        start = stop
    return out


def _angle(w2: np.ndarray, lr: np.ndarray, shrink: np.ndarray, cross: np.ndarray,
           u2: np.ndarray) -> np.ndarray:
    """The angle between ``w`` and ``shrink·w − η·u`` from ``E‖w‖²``, ``E⟨w,u⟩``, ``E‖u‖²``
    (all per coordinate)."""
    norm = np.sqrt(w2)
    along = shrink * norm - lr * cross / norm
    across = lr * np.sqrt(np.maximum(u2 - cross * cross / w2, 0.0))
    return np.arctan2(across, along)


def _head(beta: float, n: int) -> int:
    """Steps after which ``beta^(t+1)`` no longer changes ``1 − beta^(t+1)`` in float64."""
    if beta <= 0.0:
        return min(n, 1)
    return min(n, int(math.ceil(-54.0 * math.log(2.0) / math.log(beta))) + 1)


def _adam(lr: np.ndarray, w0: float, b1: float, lam: float) -> np.ndarray:
    """AdamW (torch's form) with the second moment at its expectation after step 0.

    Per coordinate, with the gradient variance normalised to 1 by ``v̂``: ``u_t = m_t / k_t``,
    ``k_t = 1 − β1^(t+1)``; ``E m_t² = (1−β1)²(1 − β1^(2t+2))/(1 − β1²)``;
    ``Z_t = E⟨w_t, m_{t−1}⟩`` obeys ``Z_{t+1} = a_t β1 Z_t − η_t E m_t²/k_t``, except that step 0's
    update is ``sign(g)``, so ``⟨u_0, m_0⟩ = (1−β1)·E|g| = (1−β1)√(2/π)``. After the bias
    correction has died out (``1 − β1^(t+1) == 1`` in float64) every factor is a constant."""
    n = lr.size
    h = _head(b1, n)
    t = np.arange(h, dtype=np.float64)
    pw = b1 ** (t + 1.0)
    k_head = 1.0 - pw
    m2_head = (1.0 - b1) ** 2 * (1.0 - pw * pw) / (1.0 - b1 * b1)
    m2_tail = (1.0 - b1) / (1.0 + b1)
    u2 = np.full(n, m2_tail)
    u2[:h] = m2_head / (k_head * k_head)
    inv_k = np.ones(n)
    inv_k[:h] = 1.0 / k_head
    q = lr * -m2_tail
    q[:h] = -lr[:h] * m2_head / k_head
    if n:
        q[0] = -lr[0] * (1.0 - b1) * _SQRT_2_PI
    shrink = 1.0 - lr * lam
    log_s = np.log(shrink) if lam else np.zeros(n)
    if b1 > 0.0:
        z = linear_recurrence(None, q, 0.0, logp=log_s + math.log(b1))
        cross = z * inv_k
        cross *= b1
    else:
        cross = np.zeros(n)
    qw = lr * u2
    qw -= 2.0 * shrink * cross
    qw *= lr
    w2 = linear_recurrence(None, qw, w0, logp=2.0 * log_s)
    return _angle(w2, lr, shrink, cross, u2)


def _lion(lr: np.ndarray, w0: float, b1: float, b2: float, lam: float, g2: float) -> np.ndarray:
    """Lion (Chen et al. 2023, arXiv:2302.06675, Algorithm 2): ``c = β1 m + (1−β1) g``,
    ``u = sign(c)``, ``m ← β2 m + (1−β2) g``. ``E⟨x, sign(c)⟩ = √(2/π)·Cov(x, c)/σ_c`` for a
    Gaussian ``c``; ``‖u‖² = n``."""
    t = np.arange(lr.size, dtype=np.float64)
    shrink = 1.0 - lr * lam
    pw = b2 ** (2.0 * t)  # E m_{t−1}² ∝ 1 − β2^(2t)
    m_prev = (1.0 - b2) ** 2 * g2 * (1.0 - pw) / (1.0 - b2 * b2)
    sd_c = np.sqrt(b1 * b1 * m_prev + (1.0 - b1) ** 2 * g2)
    q = -lr * _SQRT_2_PI * (b1 * b2 * m_prev + (1.0 - b1) * (1.0 - b2) * g2) / sd_c
    log_s = np.log(shrink)
    z = linear_recurrence(None, q, 0.0, logp=log_s + math.log(b2))  # Z_t = E⟨w_t, m_{t−1}⟩
    cross = _SQRT_2_PI * b1 * z / sd_c
    u2 = np.ones_like(lr)
    w2 = linear_recurrence(None, lr * (lr - 2.0 * shrink * cross), w0, logp=2.0 * log_s)
    return _angle(w2, lr, shrink, cross, u2)


def _sgd(lr: np.ndarray, w0: float, mom: float, lam: float, g2: float) -> np.ndarray:
    """SGD in torch's form: ``b_t = α b_{t−1} + g_t + λ w_t`` (``b_{−1} = 0``), ``w ← w − η b``.

    The moments ``W = E‖w‖²``, ``X = E⟨w_t, b_{t−1}⟩``, ``B = E‖b_{t−1}‖²`` form a coupled linear
    system (the decay runs through the momentum), stepped here one step at a time."""
    n = lr.size
    out = np.empty(n, dtype=np.float64)
    w, x, b = float(w0), 0.0, 0.0
    a2, lam2, two_al = mom * mom, lam * lam, 2.0 * mom * lam
    for i, eta in enumerate(lr.tolist()):
        b = a2 * b + g2 + lam2 * w + two_al * x
        v = mom * x + lam * w
        norm = math.sqrt(w)
        along = norm - eta * v / norm
        across = eta * math.sqrt(max(b - v * v / w, 0.0))
        out[i] = math.atan2(across, along)
        w, x = w - 2.0 * eta * v + eta * eta * b, v - eta * b
    return out
