"""DeepSpeed: the ``scheduler`` block of a ds_config and the ``optimizer.params.lr`` it relies on
(export and import).

DeepSpeed's own schedulers (``deepspeed/runtime/lr_schedules.py``) **lag one update**: the
constructor sets the start rate (``warmup_min_lr``; ``WarmupCosineLR``: 0) and the engine calls
``step()`` after each applied update, so update 0 uses the start rate and update k ≥ 1 uses the
formula at ``it = k − 1``. A warmupctl schedule can only be written for them when it has that lag
built in: a first step at the start rate, then the warmup — exactly what
``warmupctl import -f deepspeed`` produces. Ordinary specs (warmup from step 0) are refused, with
the lag named.

DeepSpeed also accepts any ``torch.optim.lr_scheduler`` class by name (``"type":
"CosineAnnealingLR"``, ``"params"`` its keyword arguments). Those do not lag, so a schedule that a
single torch class reproduces (see :mod:`warmupctl.interop.torch`) is exported that way.

:func:`simulate_cfg` replicates the three schedulers with their float operations
(``warmup_type: linear``; the default ``log`` warmup has no warmupctl shape):

* WarmupLR: ``min + (max − min)·γ``, ``γ = it/W'`` for ``it < W'`` else 1, ``W' = max(2, W)``;
* WarmupDecayLR: after the warmup ``γ = max(0, (T − it)/max(1, T − W'))`` — back down to min;
* WarmupCosineLR: ratio ``m + (1 − m)·it/W'`` in the warmup, then
  ``max(0, c + (1 − c)·(1 + cos(π·min(1, (it − W' + 1)/max(1, T − W'))))/2)``, times the
  optimizer's lr; the rate before the first step is 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import Schedule
from ..textsafe import quote
from . import torch as torch_target
from ._common import (
    REPLAY_STEPS,
    Candidate,
    config_number,
    describe_phase,
    near_misses,
    num,
    parts,
    read_config,
    short,
    tidy,
)
from ._specgen import Imported, UnsupportedConfig, rate_value

DS_TYPES = ("WarmupLR", "WarmupDecayLR", "WarmupCosineLR")
#: the keyword arguments of DeepSpeed's schedulers (deepspeed/runtime/lr_schedules.py), which
#: DeepSpeed calls with scheduler.params as **kwargs
_WARMUP_ARGS = ("warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type",
                "last_batch_iteration")
DS_ARGS = {
    "WarmupLR": _WARMUP_ARGS,
    "WarmupDecayLR": (*_WARMUP_ARGS, "total_num_steps"),
    "WarmupCosineLR": ("total_num_steps", "warmup_min_ratio", "warmup_num_steps", "cos_min_ratio",
                       "warmup_type", "last_batch_iteration"),
}
#: the keyword arguments of the torch.optim.lr_scheduler classes DeepSpeed can build
TORCH_ARGS = {
    "LinearLR": ("start_factor", "end_factor", "total_iters", "last_epoch"),
    "CosineAnnealingLR": ("T_max", "eta_min", "last_epoch"),
    "ConstantLR": ("factor", "total_iters", "last_epoch"),
    "MultiStepLR": ("milestones", "gamma", "last_epoch"),
    "ExponentialLR": ("gamma", "last_epoch"),
    "PolynomialLR": ("total_iters", "power", "last_epoch"),
}
#: their defaults (torch 2.13)
TORCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "LinearLR": {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5},
    "CosineAnnealingLR": {"eta_min": 0.0},
    "ConstantLR": {"factor": 1.0 / 3, "total_iters": 5},
    "MultiStepLR": {"gamma": 0.1},
    "ExponentialLR": {},
    "PolynomialLR": {"total_iters": 5, "power": 1.0},
}
TORCH_TYPES = ("LinearLR", "CosineAnnealingLR", "ConstantLR", "MultiStepLR", "ExponentialLR",
               "PolynomialLR")

LAG = ("DeepSpeed's schedulers lag one update: update k uses their formula at k − 1, so updates "
       "0 and 1 both get the start rate (WarmupCosineLR: 0, then warmup_min_ratio) and the warmup "
       "ends one step late")


def _lagged(first: float, formula, k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, dtype=np.int64)
    it = np.maximum(k - 1, 0)
    return np.where(k == 0, first, formula(it))


def simulate_cfg(cfg: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    sched = cfg["scheduler"]
    typ, prm = sched["type"], sched.get("params", {})
    lr = float(cfg["optimizer"]["params"]["lr"])
    if typ in TORCH_TYPES:
        child = torch_target.Child(typ, dict(prm), 0, 0, "")
        n = int(np.max(k)) + 1 if np.size(k) else 0
        return torch_target.replica([child], lr, max(n, 1))[np.asarray(k, dtype=np.int64)]
    W = max(2, int(prm.get("warmup_num_steps", 1000)))
    wtype = prm.get("warmup_type", "log")
    inv_log = 1.0 / math.log(W)

    def warm_gamma(it: np.ndarray) -> np.ndarray:
        if wtype == "linear":
            return it / W
        return inv_log * np.log(it + 1)

    if typ in ("WarmupLR", "WarmupDecayLR"):
        mn = float(prm.get("warmup_min_lr", 0.0))
        mx = prm.get("warmup_max_lr")
        mx = lr if mx is None else float(mx)
        delta = mx - mn
        T = int(prm.get("total_num_steps", 0))

        def f(it: np.ndarray) -> np.ndarray:
            g = np.where(it < W, warm_gamma(it), 1.0)
            if typ == "WarmupDecayLR":
                decay = np.maximum(0.0, (T - it).astype(np.float64) / float(max(1.0, T - W)))
                g = np.where(it < W, g, decay)
            return mn + (delta * g)

        return _lagged(mn, f, k)
    if typ == "WarmupCosineLR":
        T = int(prm["total_num_steps"])
        m = float(prm.get("warmup_min_ratio", 0.0))
        c = float(prm.get("cos_min_ratio", 0.0001))

        def g(it: np.ndarray) -> np.ndarray:
            warm = m + warm_gamma(it) * (1.0 - m)
            progress = np.minimum(1.0, (it - W + 1) / max(1, T - W))
            ratio = (1 + np.cos(math.pi * progress)) / 2
            ratio = np.maximum(0.0, c + (1.0 - c) * ratio)
            return lr * np.where(it < W, warm, ratio)

        return _lagged(0.0, g, k)
    raise UnsupportedConfig(f"scheduler type {quote(typ)} is not supported")


def simulator(cfg: Mapping[str, Any]):
    return lambda steps: simulate_cfg(cfg, steps)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _ds(lr: float, typ: str, **params: Any) -> dict[str, Any]:
    return {"optimizer": {"params": {"lr": lr}}, "scheduler": {"type": typ, "params": params}}


def _lagged_pattern(schedule: Schedule) -> Candidate | None:
    """A schedule with the lag built in: [start ×1][linear start→peak ×W'][decay][hold]."""
    ph = list(schedule.phases)
    if len(ph) == 1 and ph[0].shape == "constant":
        P = ph[0].a
        cfg = _ds(P, "WarmupLR", warmup_min_lr=P, warmup_max_lr=P, warmup_num_steps=2,
                  warmup_type="linear")
        return Candidate("WarmupLR (constant)", cfg, simulator(cfg))
    if len(ph) < 2 or ph[0].shape != "constant" or ph[0].length != 1:
        return None
    w = ph[1]
    if w.shape != "linear" or w.params.get("skip_zero") or w.b <= w.a or w.length < 2:
        return None
    a, P, Wp = ph[0].a, w.b, w.length
    tail = ph[2:]
    if tail and tail[-1].shape == "constant":
        hold = tail[-1]
        body = tail[:-1]
    else:
        hold, body = None, tail
    if not body:
        if w.a != a or (hold is not None and hold.a != P):
            return None
        cfg = _ds(P, "WarmupLR", warmup_min_lr=a, warmup_max_lr=P, warmup_num_steps=Wp,
                  warmup_type="linear")
        return Candidate("WarmupLR", cfg, simulator(cfg))
    if len(body) != 1:
        return None
    d = body[0]
    T = Wp + d.length
    if (d.shape == "linear" and not d.params.get("skip_zero") and w.a == a and d.a == P
            and d.b != a and d.end >= schedule.total_steps and P > d.b > a):
        # a WarmupDecayLR cut by the end of the run, written (as the importer does) as the same
        # straight line over the steps that remain: recover the full length from the slope
        T = Wp + round(d.length * (P - a) / (P - d.b))
        cfg = _ds(P, "WarmupDecayLR", total_num_steps=T, warmup_min_lr=a, warmup_max_lr=P,
                  warmup_num_steps=Wp, warmup_type="linear")
        return Candidate("WarmupDecayLR", cfg, simulator(cfg))
    if (d.shape == "linear" and not d.params.get("skip_zero") and w.a == a and d.b == a
            and d.a == P):
        cfg = _ds(P, "WarmupDecayLR", total_num_steps=T, warmup_min_lr=a, warmup_max_lr=P,
                  warmup_num_steps=Wp, warmup_type="linear")
        return Candidate("WarmupDecayLR", cfg, simulator(cfg))
    if d.shape == "cosine" and d.params.get("skip_zero") and a == 0 and d.a == P:
        cfg = _ds(P, "WarmupCosineLR", total_num_steps=T, warmup_min_ratio=tidy(w.a / P),
                  warmup_num_steps=Wp, cos_min_ratio=tidy(d.b / P), warmup_type="linear")
        return Candidate("WarmupCosineLR", cfg, simulator(cfg))
    return None


def candidates(schedule: Schedule) -> list[Candidate]:
    out: list[Candidate] = []
    lagged = _lagged_pattern(schedule)
    if lagged is not None:
        out.append(lagged)
    children, problems = torch_target.builtin_children(schedule)
    if not problems and len(children) == 1:
        c = children[0]
        base = max(max(ph.a, ph.b) for ph in schedule.phases)
        cfg = {"optimizer": {"params": {"lr": base}},
               "scheduler": {"type": c.cls, "params": dict(c.kwargs)}}
        out.append(Candidate(f"torch {c.cls} (no lag)", cfg, simulator(cfg), replayed=True))
    out.extend(_closest_guesses(schedule))
    return out


def _closest_guesses(schedule: Schedule) -> list[Candidate]:
    """DeepSpeed's schedulers set up the obvious way for an ordinary spec (for --approximate and
    for naming what does not fit)."""
    p = parts(schedule)
    P, W, N = p.peak, p.W, p.total
    d = p.decay
    problems = [_lag_problem()]
    w = p.warmup
    if w is not None and (w.shape != "linear" or w.params.get("skip_zero")):
        problems.append(f"its warmup is: {describe_phase(w)}; DeepSpeed warms up linearly or "
                        "logarithmically (warmup_type)")
    start = w.a if w is not None else P
    Wp = max(2, W)
    out = []
    if d is None or d.shape == "constant":
        cfg = _ds(P, "WarmupLR", warmup_min_lr=start, warmup_max_lr=P, warmup_num_steps=Wp,
                  warmup_type="linear")
        out.append(Candidate("WarmupLR", cfg, simulator(cfg), list(problems)))
        return out
    T = min(N, W + d.length)
    if d.shape == "linear":
        probs = list(problems)
        if d.b != start:
            probs.append(f"the linear decay ends at {short(d.b)}, but WarmupDecayLR decays back to "
                         f"warmup_min_lr ({short(start)})")
        cfg = _ds(P, "WarmupDecayLR", total_num_steps=T, warmup_min_lr=start, warmup_max_lr=P,
                  warmup_num_steps=Wp, warmup_type="linear")
        out.append(Candidate("WarmupDecayLR", cfg, simulator(cfg), probs))
    probs = list(problems)
    if d.shape != "cosine":
        probs.append(f"DeepSpeed has no such decay ({describe_phase(d)}): it decays "
                     "linearly (WarmupDecayLR) or along a cosine (WarmupCosineLR)")
    final = d.end_value() if d.shape != "step" else d.a
    cfg = _ds(P, "WarmupCosineLR", total_num_steps=max(T, Wp + 1),
              warmup_min_ratio=tidy(start / P), warmup_num_steps=Wp,
              cos_min_ratio=tidy(min(final, P) / P), warmup_type="linear")
    out.append(Candidate("WarmupCosineLR", cfg, simulator(cfg), probs))
    return out


def _lag_problem() -> str:
    return LAG


def render(candidate: Candidate, schedule: Schedule) -> str:
    return json.dumps(candidate.config, indent=2) + "\n"


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def parse(text: str, origin: str, total: int | None = None) -> Imported:  # noqa: C901
    cfg = read_config(text, origin, "a ds_config")
    sched = cfg.get("scheduler")
    if not isinstance(sched, Mapping) or "type" not in sched:
        raise UnsupportedConfig(f"{origin}: no \"scheduler\": {{\"type\": ...}} block (without "
                                "one, DeepSpeed keeps the optimizer's lr, or the HF Trainer uses "
                                "its own lr_scheduler_type)")
    typ = str(sched["type"])
    prm = sched.get("params") or {}
    if not isinstance(prm, Mapping):
        raise UnsupportedConfig(f"{origin}: scheduler.params must be a mapping")
    opt = cfg.get("optimizer") or {}
    opt_params = (opt.get("params") or {}) if isinstance(opt, Mapping) else {}
    if not isinstance(opt_params, Mapping):
        raise UnsupportedConfig(f"{origin}: optimizer.params must be a mapping, got "
                                f"{quote(opt_params)}")
    opt_lr = config_number(opt_params, "lr", origin, label="optimizer.params.lr")
    notes: list[str] = []
    if typ in TORCH_TYPES:
        imported = _import_torch(typ, prm, opt_lr, origin, total)
        imported.notes[:0] = near_misses(prm, TORCH_ARGS[typ], f"{typ} argument ")
        return imported
    if typ not in DS_TYPES:
        raise UnsupportedConfig(f"{origin}: scheduler type {quote(typ)} is not imported "
                                f"(supported: {', '.join(DS_TYPES + TORCH_TYPES)})")
    unknown = sorted(str(k) for k in prm if k not in DS_ARGS[typ])
    if unknown:
        from ..errors import suggest

        hint = suggest(unknown[0], DS_ARGS[typ])
        raise UnsupportedConfig(
            f"{origin}: scheduler.params {quote(unknown[0])} is not an argument of DeepSpeed's "
            f"{typ} "
            f"({', '.join(DS_ARGS[typ])}), so DeepSpeed would stop with a TypeError"
            + (f"; {hint}" if hint else ""))
    wtype = prm.get("warmup_type", "log")
    if wtype != "linear":
        raise UnsupportedConfig(
            f"{origin}: warmup_type {quote(wtype)}"
            f"{' (the default)' if 'warmup_type' not in prm else ''}"
            " warms up as log(it + 1)/log(W); warmupctl has no logarithmic warmup — set "
            "\"warmup_type\": \"linear\" to import")
    Wn = config_number(prm, "warmup_num_steps", origin, 1000, integer=True)
    if Wn <= 0:
        raise UnsupportedConfig(f"{origin}: warmup_num_steps must be > 0")
    Wp = max(2, Wn)
    if Wp != Wn:
        notes.append(f"warmup_num_steps {Wn} is raised to 2 by DeepSpeed")
    T = config_number(prm, "total_num_steps", origin, None, integer=True)
    N = total if total is not None else T
    if N is None:
        raise UnsupportedConfig(f"{origin}: {typ} has no run length; give --total STEPS")
    if typ == "WarmupCosineLR":
        lr = opt_lr
        if lr is None:
            raise UnsupportedConfig(f"{origin}: WarmupCosineLR scales optimizer.params.lr, "
                                    "which is missing")
        if T is None:  # a required argument of WarmupCosineLR: DeepSpeed stops without it
            raise UnsupportedConfig(f"{origin}: WarmupCosineLR needs total_num_steps (its cosine "
                                    "ends there; --total alone does not give it)")
        m = config_number(prm, "warmup_min_ratio", origin, 0.0)
        c = config_number(prm, "cos_min_ratio", origin, 0.0001)
        if "cos_min_ratio" not in prm:
            notes.append("cos_min_ratio is not set: DeepSpeed's default 0.0001 is used")
        ds_cfg = _ds(lr, typ, total_num_steps=T, warmup_min_ratio=m, warmup_num_steps=Wn,
                     cos_min_ratio=c, warmup_type="linear")
        L = T - Wp
        if L < 1:
            raise UnsupportedConfig(f"{origin}: total_num_steps must exceed the warmup")
        phases = [{"shape": "constant", "length": 1, "from": 0.0},
                  {"shape": "linear", "length": min(Wp, N - 1), "from": rate_value(m, lr),
                   "to": lr}]
        left = N - 1 - Wp
        cosine = {"shape": "cosine", "length": L, "to": rate_value(c, lr), "skip_zero": True}
        if 0 < left < L:
            # DeepSpeed's lag pushes the floor past the end of the run: the run cuts the cosine
            cosine.update(length=left, horizon=L)
            notes.append(f"with DeepSpeed's one-update lag the cosine would reach its floor at "
                         f"update {Wp + L:,}; this {N:,}-update run ends before it")
        if left > 0:
            phases.append(cosine)
        spec = {"total": N, "peak_lr": lr, "phases": phases}
    else:
        mn = config_number(prm, "warmup_min_lr", origin, 0.0)
        mx = config_number(prm, "warmup_max_lr", origin, None)
        if mx is None:
            mx = opt_lr if typ == "WarmupLR" else 0.001
            if mx is None:
                raise UnsupportedConfig(f"{origin}: warmup_max_lr is not set and the optimizer "
                                        "has no lr")
            notes.append(f"warmup_max_lr is not set: {num(mx)} "
                         + ("(the optimizer's lr)" if typ == "WarmupLR" else "(the default)"))
        if mx < mn or mx <= 0:
            raise UnsupportedConfig(f"{origin}: warmup_max_lr must be positive and at least "
                                    "warmup_min_lr")
        params = {"warmup_min_lr": mn, "warmup_max_lr": mx, "warmup_num_steps": Wn,
                  "warmup_type": "linear"}
        if typ == "WarmupDecayLR":
            if T is None:
                raise UnsupportedConfig(f"{origin}: WarmupDecayLR needs total_num_steps")
            params["total_num_steps"] = T
        ds_cfg = _ds(mx, typ, **params)
        phases = [{"shape": "constant", "length": 1, "from": mn},
                  {"shape": "linear", "length": min(Wp, N - 1), "from": mn, "to": mx}]
        if typ == "WarmupDecayLR":
            L = T - Wp
            left = N - 1 - Wp
            if L >= 1 and left > 0:
                if L <= left:
                    phases.append({"shape": "linear", "length": L, "to": mn})
                else:
                    # the decay is cut by the end of the run: the same straight line, written
                    # over the steps that remain (a phase cannot be longer than the run)
                    phases.append({"shape": "linear", "length": left,
                                   "to": mx + (mn - mx) * left / L})
        spec = {"total": N, "peak_lr": mx, "phases": phases}
        if mx == mn:  # no warmup and no decay: a constant rate
            spec = {"total": N, "peak_lr": mx}
        if Wp >= N - 1:
            notes.append("the run ends inside the warmup")
    if total is not None and T is not None and total != T:
        notes.append(f"--total {total:,} is the run length; total_num_steps {T:,} stays the "
                     "scheduler's horizon")
    header = [f"imported from {origin} (DeepSpeed {typ}, warmup_type linear)",
              "DeepSpeed lags one update: the first step repeats the start rate"]
    return Imported(spec, simulator(ds_cfg), notes, header)


#: torch schedulers inside a ds_config are replayed step by step (their chainable form rounds
#: differently from any closed form): runs longer than this are refused, to bound the time
REPLICA_LIMIT = REPLAY_STEPS


def _import_torch(typ: str, prm: Mapping[str, Any], lr: float | None, origin: str,
                  total: int | None) -> Imported:
    if lr is None:
        raise UnsupportedConfig(f"{origin}: a torch scheduler scales optimizer.params.lr, which "
                                "is missing")
    if total is None:
        raise UnsupportedConfig(f"{origin}: {typ} has no run length; give --total STEPS")
    N = total
    kw = {**TORCH_DEFAULTS[typ], **prm}  # the replica reads every argument, as torch has them
    spec: dict[str, Any] = {"total": N, "peak_lr": lr}
    try:
        if typ == "CosineAnnealingLR":
            tm = int(kw["T_max"])
            em = float(kw.get("eta_min", 0.0))
            if tm < N:
                raise UnsupportedConfig(f"{origin}: CosineAnnealingLR climbs back up after T_max "
                                        f"({tm:,} < {N:,} steps); warmupctl has no such shape")
            decay: dict[str, Any] = {"shape": "cosine", "final_lr": em}
            if tm != N:
                decay["length"] = tm
            spec["decay"] = decay
        elif typ == "LinearLR":
            sf = float(kw.get("start_factor", 1 / 3))
            ef = float(kw.get("end_factor", 1.0))
            n = int(kw.get("total_iters", 5))
            spec["phases"] = [{"shape": "linear", "length": min(n, N), "from": sf * lr,
                               "to": ef * lr if n <= N else sf * lr + (ef - sf) * lr * N / n}]
        elif typ == "ConstantLR":
            f = float(kw.get("factor", 1 / 3))
            n = int(kw.get("total_iters", 5))
            spec["phases"] = ([{"shape": "constant", "length": min(n, N), "from": f * lr,
                                "to": lr}] + ([{"shape": "constant", "length": "rest",
                                                "from": lr}] if n < N else []))
        elif typ == "MultiStepLR":
            spec["decay"] = {"shape": "step", "milestones": [int(m) for m in kw["milestones"]
                                                             if int(m) < N],
                             "gamma": float(kw.get("gamma", 0.1))}
        elif typ == "ExponentialLR":
            spec["decay"] = {"shape": "exponential", "gamma": float(kw["gamma"])}
        else:  # PolynomialLR
            n = int(kw.get("total_iters", 5))
            if n > N:
                raise UnsupportedConfig(f"{origin}: PolynomialLR longer than the run")
            spec["decay"] = {"shape": "polynomial", "power": float(kw.get("power", 1.0)),
                             "length": n}
    except KeyError as exc:
        raise UnsupportedConfig(f"{origin}: {typ} needs {exc.args[0]}") from None
    except (TypeError, ValueError, OverflowError):
        raise UnsupportedConfig(f"{origin}: scheduler.params of {typ} must be numbers (and "
                                "milestones a list of whole numbers)") from None
    if N > REPLICA_LIMIT:
        raise UnsupportedConfig(
            f"{origin}: torch's {typ} steps its rate recursively (each rate from the last), so "
            f"its curve is checked update by update, up to {REPLICA_LIMIT:,} steps; this run has "
            f"{N:,} (import a DeepSpeed scheduler, or a shorter --total)")
    cfg = {"optimizer": {"params": {"lr": lr}}, "scheduler": {"type": typ, "params": kw}}
    header = [f"imported from {origin} (DeepSpeed with torch {typ}; no lag)"]
    return Imported(spec, simulator(cfg), [], header)
