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
#: SGD runs at least this long are solved in blocks side by side (shorter: a plain loop)
_SGD_BLOCKED = 1 << 14
#: the longest prediction :func:`predict` makes at once (~1 GiB of arrays)
MAX_STEPS = 2**25
#: the largest log-range of a cumulative product inside one block of the recurrence solver
_LOG_SPAN = 600.0
_SQRT_2_PI = math.sqrt(2.0 / math.pi)
#: steps per chunk of the vectorised model: a few arrays of this length fit in a CPU's L2 cache
_CHUNK = 1 << 15


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
    if k is not None and name != "nesterov":
        return k
    if name == "adam":
        return "adam"
    raise ValueError(
        f"no update-size model for optimizer {name[:40]!r} "
        "(known: adamw, adam, sgd with momentum, lion; Nesterov momentum is not modelled)"
    )


def predict(
    schedule: Any,
    *,
    fan_in: int | None = None,
    init_std: float | None = None,
    training: Mapping[str, Any] | None = None,
    grad_rms: float = 1.0,
    steps: int | None = None,
) -> Prediction:
    """The expected angular update at every step of ``schedule`` (a :class:`~warmupctl.engine.
    Schedule`) for a scale-invariant row of fan-in ``fan_in`` initialised ``N(0, init_std²)``.

    ``training`` defaults to the schedule's ``training:`` block; ``fan_in`` and ``init_std`` to its
    ``fan_in``/``init_std`` fields, else :data:`DEFAULT_FAN_IN` and :data:`DEFAULT_INIT_STD`.
    ``grad_rms`` (the gradient's RMS per coordinate) matters for SGD only: Adam and Lion normalise
    it away. ``steps`` predicts only the first ``steps`` steps (the recurrence starts at step 0);
    a run longer than :data:`MAX_STEPS` needs it (memory: four float64 arrays of the run's length).
    Raises ``ValueError`` for an optimizer without a model or a bad argument.
    """
    if training is None:
        training = schedule.meta.get("training", {}) if hasattr(schedule, "meta") else {}
    block = resolve(training)
    n = int(fan_in if fan_in is not None else block.get("fan_in", DEFAULT_FAN_IN))
    sigma = float(init_std if init_std is not None else block.get("init_std", DEFAULT_INIT_STD))
    total = int(schedule.total_steps)
    stop = total if steps is None else min(total, int(steps))
    if stop < 1:
        raise ValueError(f"steps must be at least 1, got {steps!r}")
    if stop > MAX_STEPS:
        raise ValueError(f"the run has {total:,} steps: predict at most {MAX_STEPS:,} at a time "
                         f"(pass steps=N for the first N)")
    lr = np.asarray(schedule.window(0, stop), dtype=np.float64)
    return predict_rates(lr, training, fan_in=n, init_std=sigma, grad_rms=grad_rms)


def predict_rates(
    lr: np.ndarray,
    training: Mapping[str, Any],
    *,
    fan_in: int = DEFAULT_FAN_IN,
    init_std: float = DEFAULT_INIT_STD,
    grad_rms: float = 1.0,
) -> Prediction:
    """:func:`predict` for an explicit array of rates (one per step) and a ``training`` block."""
    if int(fan_in) < 2:
        raise ValueError(f"fan_in must be at least 2, got {fan_in}")
    if not (math.isfinite(init_std) and init_std > 0):
        raise ValueError(f"init_std must be a positive number, got {init_std!r}")
    if not (math.isfinite(grad_rms) and grad_rms > 0):
        raise ValueError(f"grad_rms must be a positive number, got {grad_rms!r}")
    block = resolve(training)
    family = _family(str(block["optimizer"]))
    lam = float(block.get("weight_decay") or 0.0)
    lr = np.ascontiguousarray(lr, dtype=np.float64)
    lo, hi = (float(lr.min()), float(lr.max())) if lr.size else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0:
        raise ValueError("rates must be finite and ≥ 0")
    if lam and hi * lam >= 1.0:
        raise ValueError(f"η·λ reaches {hi * lam:g}: the decay factor 1 − ηλ must "
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
        mom = float(block.get("momentum", 0.0))
        angle = _sgd(lr, w0, mom, lam, g2)
        what = f"SGD momentum={mom:g}, λ={lam:g} (L2), gradient RMS {grad_rms:g}"
    if not (training or {}).get("optimizer"):
        what += " (no training.optimizer: torch's AdamW defaults)"
    equi = eq.equilibrium(lr, block) if family != "adam" else None
    model = (f"{what}; row fan-in {fan_in}, init N(0, {init_std:g}²); iid Gaussian gradients "
             "orthogonal to the row (random walk, Kosson et al. 2023)")
    return Prediction(np.arange(lr.size, dtype=np.int64), lr, angle, equi, model)


# ---------------------------------------------------------------------------------------------
# recurrences
# ---------------------------------------------------------------------------------------------

def linear_recurrence(p: np.ndarray, q: np.ndarray, x0: float) -> np.ndarray:
    """``x[0] = x0``, ``x[t+1] = p[t]·x[t] + q[t]``: the ``len(q)`` values ``x[0] … x[N−1]``.

    Needs ``0 < p ≤ 1`` for the vectorised solver (:func:`_solve`); a plain loop otherwise."""
    n = q.size
    if n and (np.any(p <= 0) or np.any(p > 1)):
        out = np.empty(n, dtype=np.float64)
        x = float(x0)
        for t in range(n):
            out[t] = x
            x = float(p[t]) * x + float(q[t])
        return out
    return _solve(q, x0, -np.log(p))[0]


def _solve(q: np.ndarray, x0: float, neg: np.ndarray) -> tuple[np.ndarray, float]:
    """:func:`linear_recurrence` with ``neg = −log p ≥ 0`` given.

    In blocks short enough that the product of ``p`` over a block stays above e^−600:
    ``x[t] = P_t·(x[a] + Σ_{a ≤ k < t} q_k / P_{k+1})`` with ``P`` the product from the block's
    start ``a``, from a cumulative sum of ``neg`` inside the block (so the precision does not
    depend on the length of the run). O(N), six passes over the data. Returns the values and
    ``x[N]``, the state after the last step."""
    n = q.size
    out = np.empty(n, dtype=np.float64)
    if n == 0:
        return out, float(x0)
    top = float(neg.max())
    size = n if top * n <= _LOG_SPAN else max(1, int(_LOG_SPAN / top))
    x = float(x0)
    for start in range(0, n, size):
        stop = min(n, start + size)
        e = np.cumsum(neg[start:stop])
        np.exp(e, out=e)  # e[j] = 1/Π_{start ≤ k ≤ start+j} p_k ≤ e^600
        acc = q[start:stop] * e
        np.cumsum(acc, out=acc)
        acc += x
        out[start] = x
        np.divide(acc[:-1], e[:-1], out=out[start + 1 : stop])
        x = float(acc[-1] / e[-1])
    return out, x


def _solve_scaled(q: np.ndarray, x0: float, e: np.ndarray) -> tuple[np.ndarray, float]:
    """One block of :func:`_solve` with ``e[j] = 1/Π_{k ≤ j} p_k`` given (≤ e^600)."""
    out = np.empty(q.size, dtype=np.float64)
    acc = q * e
    np.cumsum(acc, out=acc)
    acc += x0
    out[0] = x0
    np.divide(acc[:-1], e[:-1], out=out[1:])
    return out, float(acc[-1] / e[-1])


def _decayed(q: np.ndarray, x0: float, e_s: np.ndarray, beta: float,
             ramp: np.ndarray) -> tuple[np.ndarray, float]:
    """:func:`_solve` for ``p = β·s`` given ``e_s[j] = 1/Π_{k ≤ j} s_k`` and
    ``ramp[j] = β^−(j+1)``: in sub-blocks of ``len(ramp)`` steps, reusing ``e_s``."""
    n = q.size
    out = np.empty(n, dtype=np.float64)
    x = x0
    for a in range(0, n, ramp.size):
        b = min(n, a + ramp.size)
        e = e_s[a:b] * ramp[: b - a]
        if a:
            e /= e_s[a - 1]
        out[a:b], x = _solve_scaled(q[a:b], x, e)
    return out, x


def _angle(w2: np.ndarray, lr: np.ndarray, shrink: np.ndarray, cross: np.ndarray,
           u2: np.ndarray | float) -> np.ndarray:
    """The angle between ``w`` and ``shrink·w − η·u`` from ``W = E‖w‖²``, ``C = E⟨w,u⟩`` and
    ``U = E‖u‖²`` (per coordinate): ``atan2(η·√(UW − C²), shrink·W − η·C)`` (both sides of the
    angle's tangent multiplied by √W)."""
    across = u2 * w2
    c2 = cross * cross
    across -= c2
    np.maximum(across, 0.0, out=across)
    np.sqrt(across, out=across)
    across *= lr
    along = shrink * w2
    np.multiply(lr, cross, out=c2)
    along -= c2
    return np.arctan2(across, along, out=along)


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
    u2 = np.full(h, m2_tail)
    u2[:h] = m2_head / (k_head * k_head)
    q_head = -m2_head / k_head
    if h:
        q_head[0] = -(1.0 - b1) * _SQRT_2_PI
    return _chunks(lr, w0, b1, lam, cross_scale=b1, u2_tail=m2_tail, u2_head=u2,
                   q_tail=-m2_tail, q_head=q_head, k_head=k_head)


def _chunks(lr: np.ndarray, w0: float, beta: float, lam: float, *, cross_scale: float,
            u2_tail: float, u2_head: np.ndarray, q_tail: float, q_head: np.ndarray,
            k_head: np.ndarray | None = None) -> np.ndarray:
    """The shared solver of AdamW and Lion, in chunks of :data:`_CHUNK` steps that stay in the
    CPU's cache, carrying ``Z`` and ``W = E‖w‖²`` from chunk to chunk.

    ``Z_{t+1} = β·s_t·Z_t + η_t·q_t`` (``s = 1 − ηλ``), ``C_t = cross_scale·Z_t / k_t``,
    ``W_{t+1} = s_t²·W_t + η_t(η_t·U_t − 2·s_t·C_t)``; ``q``, ``U`` and ``k`` are constants after
    the first ``len(q_head)`` steps. One cumulative sum of ``−log s`` per chunk serves both
    recurrences (``W``'s factor is its square, ``Z``'s its product with powers of 1/β)."""
    n = lr.size
    h = q_head.size
    out = np.empty(n, dtype=np.float64)
    z, w = 0.0, float(w0)
    # Z's sub-blocks: β^−j up to e^600, times the sub-block's 1/Π s up to e^50 (checked below)
    span = max(1, int(_LOG_SPAN / -math.log(beta))) if 0.0 < beta < 1.0 else 0
    ramp = np.exp(-math.log(beta) * np.arange(1, min(span, _CHUNK) + 1)) if span else None
    if ramp is not None and span < 64:  # β near 0: sub-blocks too short to pay off
        ramp = np.ones(0)
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        eta = lr[a:b]
        hh = max(0, min(h, b) - a)  # steps of this chunk inside the head
        u2: np.ndarray | float = u2_tail
        if hh:
            u2 = np.full(b - a, u2_tail)
            u2[:hh] = u2_head[a : a + hh]
        decay = eta * lam
        shrink = 1.0 - decay
        neg = np.log1p(-decay, out=decay)
        np.negative(neg, out=neg)  # −log(1 − ηλ) ≥ 0
        e_s = None
        if float(neg.max()) * (b - a) <= _LOG_SPAN / 2:
            e_s = np.cumsum(neg)
            np.exp(e_s, out=e_s)  # 1/Π s ≤ e^300
        if ramp is not None:
            q = eta * q_tail
            if hh:
                q[:hh] = eta[:hh] * q_head[a : a + hh]
            if e_s is not None and ramp.size and float(neg.max()) * ramp.size <= 50.0:
                cross, z = _decayed(q, z, e_s, beta, ramp)
            else:
                cross, z = _solve(q, z, neg - math.log(beta))
            cross *= cross_scale
            if hh and k_head is not None:
                cross[:hh] /= k_head[a : a + hh]
        else:
            cross = np.zeros(b - a)
        qw = shrink * cross
        qw *= -2.0
        qw += eta * u2
        qw *= eta
        if e_s is not None:
            w2, w = _solve_scaled(qw, w, e_s * e_s)
        else:
            w2, w = _solve(qw, w, 2.0 * neg)
        out[a:b] = _angle(w2, eta, shrink, cross, u2)
    return out


def _lion(lr: np.ndarray, w0: float, b1: float, b2: float, lam: float, g2: float) -> np.ndarray:
    """Lion (Chen et al. 2023, arXiv:2302.06675, Algorithm 2): ``c = β1 m + (1−β1) g``,
    ``u = sign(c)``, ``m ← β2 m + (1−β2) g``. ``E⟨x, sign(c)⟩ = √(2/π)·Cov(x, c)/σ_c`` for a
    Gaussian ``c``; ``‖u‖² = n``. ``Z_t = E⟨w_t, m_{t−1}⟩`` obeys
    ``Z_{t+1} = β2·s_t·Z_t − η_t√(2/π)(β1β2·E m_{t−1}² + (1−β1)(1−β2)g²)/σ_c``, and
    ``E⟨w_t, u_t⟩ = √(2/π)·β1·Z_t/σ_c``; ``E m_{t−1}² ∝ 1 − β2^(2t)`` settles after a head."""
    n = lr.size
    h = _head(b2 * b2, n)
    t = np.arange(max(h, 1), dtype=np.float64)
    pw = b2 ** (2.0 * t)  # E m_{t−1}² ∝ 1 − β2^(2t)
    m_prev = (1.0 - b2) ** 2 * g2 * (1.0 - pw) / (1.0 - b2 * b2)
    sd_c = np.sqrt(b1 * b1 * m_prev + (1.0 - b1) ** 2 * g2)
    m_inf = (1.0 - b2) ** 2 * g2 / (1.0 - b2 * b2)
    sd_inf = math.sqrt(b1 * b1 * m_inf + (1.0 - b1) ** 2 * g2)

    def q_of(m: Any, sd: Any) -> Any:
        return -_SQRT_2_PI * (b1 * b2 * m + (1.0 - b1) * (1.0 - b2) * g2) / sd

    return _chunks(lr, w0, b2, lam, cross_scale=_SQRT_2_PI * b1 / sd_inf, u2_tail=1.0,
                   u2_head=np.ones(h), q_tail=q_of(m_inf, sd_inf), q_head=q_of(m_prev, sd_c)[:h],
                   k_head=(sd_c / sd_inf)[:h])


def _sgd(lr: np.ndarray, w0: float, mom: float, lam: float, g2: float) -> np.ndarray:
    """SGD in torch's form: ``b_t = α b_{t−1} + g_t + λ w_t`` (``b_{−1} = 0``), ``w ← w − η b``.

    The moments ``W = E‖w‖²``, ``X = E⟨w_t, b_{t−1}⟩``, ``B = E‖b_{t−1}‖²`` form a coupled linear
    system (the decay runs through the momentum): each step is an affine map of ``(W, X, B)``.
    Short runs are stepped one step at a time (:func:`_sgd_loop`); longer ones in ~√N blocks
    run side by side: the blocks' composed maps first, then the state at each block's start
    (a short loop over blocks), then every block's steps at once."""
    n = lr.size
    if n < _SGD_BLOCKED:
        return _sgd_loop(lr, w0, mom, lam, g2)
    size = 1 << max(6, (math.isqrt(n) - 1).bit_length())
    blocks = -(-n // size)
    eta = np.zeros(blocks * size)
    eta[:n] = lr
    grid = eta.reshape(blocks, size)
    # 1. each block's composed map of (W, X, B, 1): its rows, all blocks at once (rows of the
    #    homogeneous 4×4 matrix; the constant row (0, 0, 0, 1) needs no update)
    mw, mx, mb = (np.zeros((blocks, 4)) for _ in range(3))
    mw[:, 0], mx[:, 1], mb[:, 2] = 1.0, 1.0, 1.0
    one = np.zeros(4)
    one[3] = g2
    a2, lam2, two_al = mom * mom, lam * lam, 2.0 * mom * lam
    for j in range(size):
        e = grid[:, j : j + 1]
        mb = a2 * mb + lam2 * mw + two_al * mx + one
        v = mom * mx + lam * mw
        mw, mx = mw - 2.0 * e * v + (e * e) * mb, v - e * mb
    maps = np.zeros((blocks, 4, 4))
    maps[:, 0], maps[:, 1], maps[:, 2], maps[:, 3, 3] = mw, mx, mb, 1.0
    # 2. the state at each block's start
    starts = np.empty((blocks, 4))
    y = np.array([float(w0), 0.0, 0.0, 1.0])
    for k in range(blocks):
        starts[k] = y
        y = maps[k] @ y
    # 3. every block's steps, side by side
    out = np.empty((blocks, size))
    w, x, b = starts[:, 0].copy(), starts[:, 1].copy(), starts[:, 2].copy()
    for j in range(size):
        e = grid[:, j]
        b = a2 * b + g2 + lam2 * w + two_al * x
        v = mom * x + lam * w
        across = b * w - v * v
        np.maximum(across, 0.0, out=across)
        out[:, j] = np.arctan2(e * np.sqrt(across), w - e * v)
        w, x = w - 2.0 * e * v + e * e * b, v - e * b
    return out.reshape(-1)[:n]


def _sgd_loop(lr: np.ndarray, w0: float, mom: float, lam: float, g2: float) -> np.ndarray:
    """:func:`_sgd` one step at a time."""
    n = lr.size
    out = np.empty(n, dtype=np.float64)
    w, x, b = float(w0), 0.0, 0.0
    a2, lam2, two_al = mom * mom, lam * lam, 2.0 * mom * lam
    for i, eta in enumerate(lr.tolist()):
        b = a2 * b + g2 + lam2 * w + two_al * x
        v = mom * x + lam * w
        out[i] = math.atan2(eta * math.sqrt(max(b * w - v * v, 0.0)), w - eta * v)
        w, x = w - 2.0 * eta * v + eta * eta * b, v - eta * b
    return out
