"""Judging a measured run: update sizes against the rotational equilibrium (pure NumPy).

For an angular metric (``angle``, ``neuron_angle``) the logged values are compared with the
equilibrium angular update of the log's optimizer (Kosson et al. 2023,
:mod:`warmupctl.updates.equilibrium`). The summary gives, per layer and for the median over
layers, the largest value as a multiple of the equilibrium at the largest logged rate (the level
the run settles at; the per-step equilibrium goes to 0 with the rate during a warmup, so a ratio to
it would call tiny early updates large) and its step, and the *settle step*: the first logged
step from which on the value stays at most 2× the equilibrium at that step's rate, counted from
where it first comes within 2× (at least half of it). The factor 2 is our choice of band, not a
published threshold; rates that fall during a decay take the angular update below half the
equilibrium (it follows η, the equilibrium √η), so only the upper side is held after settling.
The warmup's end is read from the logged rates: the first logged step at the largest rate, when
the run starts below it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import WarmupctlError
from ..textsafe import quote, visible
from ..updates import equilibrium as eq
from .log import UpdateLog

ANGULAR = ("angle", "neuron_angle")
BAND = 2.0
SEED = "Kosson, Messmer & Jaggi 2024, arXiv:2410.23922"


@dataclass(frozen=True)
class Judged:
    """What the figure and the summary need: the chosen layers' values and the comparison."""

    metric: str
    names: list[str]
    depth: np.ndarray           # each chosen layer's position in the log (0 = first)
    step: np.ndarray
    lr: np.ndarray
    values: np.ndarray          # (steps, chosen layers); NaN = null
    median: np.ndarray          # over the chosen layers, per step
    equilibrium: np.ndarray | None
    why_none: str | None
    training: dict[str, Any]
    warmup_end: int | None
    settle: int | None


def training_of(log: UpdateLog) -> dict[str, Any]:
    """The log's optimizer as a spec's ``training:`` block, for :mod:`..updates.equilibrium`.

    The weight decay is that of the parameter group most tracked layers belong to (group 0's
    when the header does not say)."""
    opt = log.optimizer
    name = str(opt.get("type", "")).lower()
    if name == "adam" and opt.get("decoupled_weight_decay"):
        name = "adamw"  # torch's Adam(decoupled_weight_decay=True) is AdamW
    out: dict[str, Any] = {"optimizer": name or None}
    groups = log.header.get("groups")
    layer_groups = [x.get("group") for x in log.header.get("layers", []) if isinstance(x, dict)]
    counts = {g: layer_groups.count(g) for g in set(layer_groups) if isinstance(g, int)}
    source = opt
    if isinstance(groups, list) and counts:
        best = max(counts, key=lambda g: (counts[g], -g))
        if 0 <= best < len(groups) and isinstance(groups[best], dict):
            source = groups[best]
    wd = source.get("weight_decay", opt.get("weight_decay"))
    if isinstance(wd, int | float) and not isinstance(wd, bool):
        out["weight_decay"] = float(wd)
    betas = source.get("betas", opt.get("betas"))
    if isinstance(betas, list) and len(betas) == 2:
        out["beta1"], out["beta2"] = float(betas[0]), float(betas[1])
    mom = source.get("momentum", opt.get("momentum"))
    if isinstance(mom, int | float) and not isinstance(mom, bool):
        out["momentum"] = float(mom)
    return out


def select(log: UpdateLog, pattern: str | None) -> list[int]:
    """Indices of the layers whose names match the glob ``pattern`` (all without one)."""
    if pattern is None:
        return list(range(len(log.names)))
    idx = [i for i, n in enumerate(log.names) if fnmatch.fnmatchcase(n, pattern)]
    if not idx:
        some = ", ".join(quote(n, 40) for n in log.names[:4])
        raise WarmupctlError(f"--layers {quote(pattern)} matches none of the log's "
                             f"{len(log.names)} layers (e.g. {some}); it is a glob: "
                             "'*attn*', 'blocks.0.*'")
    return idx


def _warmup_end(lr: np.ndarray, step: np.ndarray) -> int | None:
    finite = np.isfinite(lr)
    if not finite.any():
        return None
    peak = float(np.max(lr[finite]))
    if peak <= 0:
        return None
    at = np.nonzero(finite & (lr >= peak * (1 - 1e-9)))[0]
    if at.size == 0 or at[0] == 0:
        return None
    return int(step[at[0]])


def settle_index(ratio: np.ndarray) -> int | None:
    """The index from which ``ratio`` stays ≤ 2 (NaN ignored), counted from where it is first
    within [½, 2]; ``None`` when it never gets there."""
    ok = np.isfinite(ratio)
    above = np.nonzero(ok & (ratio > BAND))[0]
    start = int(above[-1]) + 1 if above.size else 0
    within = np.nonzero(ok[start:] & (ratio[start:] >= 1 / BAND))[0]
    return start + int(within[0]) if within.size else None


def judge(log: UpdateLog, metric: str = "angle", layers: str | None = None) -> Judged:
    if metric not in log.present:
        have = ", ".join(log.present)
        extra = " (run the monitor with rrc=True)" if metric == "rrc" else ""
        raise WarmupctlError(f"the log has no {metric!r} values{extra}; it has {have}")
    idx = select(log, layers)
    values = log.metrics[metric][:, idx]
    with np.errstate(all="ignore"):
        median = np.full(len(log.step), np.nan)
        rows = np.isfinite(values).any(axis=1)
        median[rows] = np.nanmedian(values[rows], axis=1)
    training = training_of(log)
    why = eq.why_none(training)
    curve = None
    settle = None
    if metric in ANGULAR and why is None:
        curve = eq.equilibrium(np.where(np.isfinite(log.lr), log.lr, np.nan), training)
        if curve is not None:
            with np.errstate(all="ignore"):
                i = settle_index(median / np.where(curve > 0, curve, np.nan))
            settle = int(log.step[i]) if i is not None else None
    elif metric not in ANGULAR:
        why = f"the equilibrium is an angular update; {metric!r} has none"
    return Judged(metric=metric, names=[log.names[i] for i in idx],
                  depth=np.asarray(idx, dtype=np.int64), step=log.step, lr=log.lr,
                  values=values, median=median, equilibrium=curve, why_none=why,
                  training=training, warmup_end=_warmup_end(log.lr, log.step), settle=settle)


def _largest(v: np.ndarray, step: np.ndarray) -> tuple[float | None, int | None]:
    ok = np.isfinite(v)
    if not ok.any():
        return None, None
    i = int(np.nanargmax(np.where(ok, v, -np.inf)))
    return float(v[i]), int(step[i])


def peak_equilibrium(j: Judged) -> float | None:
    """The equilibrium at the largest logged rate: the level a run settles at, and the
    denominator of the largest ratio (the reference's measure: during a warmup the per-step
    equilibrium goes to 0 with the rate, so a ratio to it says little about size)."""
    if j.equilibrium is None:
        return None
    ok = np.isfinite(j.equilibrium)
    top = float(np.max(j.equilibrium[ok])) if ok.any() else 0.0
    return top if top > 0 else None


def summary(j: Judged) -> dict[str, Any]:
    """The ``--json`` summary: per layer and overall, the largest value and its ratio to the
    equilibrium at the peak rate, their steps, the settle steps (per-step equilibrium), and
    findings."""
    top = peak_equilibrium(j)
    with np.errstate(all="ignore"):
        den = np.where(j.equilibrium > 0, j.equilibrium, np.nan) if top is not None else None
    layers = []
    for k, name in enumerate(j.names):
        v = j.values[:, k]
        big, big_step = _largest(v, j.step)
        entry: dict[str, Any] = {"name": name, "max": big, "max_step": big_step}
        if top is not None and den is not None:
            entry["max_ratio"] = big / top if big is not None else None
            entry["ratio_step"] = big_step
            with np.errstate(all="ignore"):
                i = settle_index(v / den)
            entry["settle_step"] = int(j.step[i]) if i is not None else None
        layers.append(entry)
    out: dict[str, Any] = {
        "metric": j.metric, "steps_logged": int(len(j.step)),
        "first_step": int(j.step[0]), "last_step": int(j.step[-1]),
        "equilibrium": None, "warmup_end": j.warmup_end, "settle_step": j.settle,
        "median": {}, "overall": {}, "layers": layers, "findings": [],
    }
    out["median"]["max"], out["median"]["max_step"] = _largest(j.median, j.step)
    if top is not None:
        out["equilibrium"] = {**{k: v for k, v in j.training.items() if v is not None},
                              "at_peak_lr": top, "band": BAND, "source": eq.SOURCE}
        m = out["median"]["max"]
        out["median"]["max_ratio"] = m / top if m is not None else None
        out["median"]["ratio_step"] = out["median"]["max_step"]
        ratios = [(x["max_ratio"], x["ratio_step"], x["name"]) for x in layers
                  if x["max_ratio"] is not None]
        if ratios:
            r, s, n = max(ratios, key=lambda x: x[0])
            out["overall"] = {"max_ratio": r, "ratio_step": s, "layer": n}
    big = [(x["max"], x["max_step"], x["name"]) for x in layers if x["max"] is not None]
    if big:
        m, s, n = max(big, key=lambda x: x[0])
        out["overall"].update({"max": m, "max_step": s, "max_layer": n})
    out["findings"] = findings(j, out)
    return out


def _finding(rule: str, severity: str, message: str, source: str) -> dict[str, str]:
    return {"rule": rule, "severity": severity, "message": message, "source": source}


def findings(j: Judged, s: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    med = s["median"]
    if j.equilibrium is None:
        out.append(_finding("updates-no-equilibrium", "info",
                            f"no equilibrium line: {j.why_none}", eq.SOURCE))
    else:
        r, at = med.get("max_ratio"), med.get("ratio_step")
        if r is not None and r > BAND:
            where = (f"before the warmup's end (step {j.warmup_end:,})"
                     if j.warmup_end is not None and at is not None and at < j.warmup_end
                     else "with no warmup in the logged rates" if j.warmup_end is None
                     else "after the warmup")
            worst = s["overall"]
            out.append(_finding(
                "updates-above-equilibrium", "warning",
                f"the median {j.metric} reached {r:.3g}× the equilibrium at the peak rate at step "
                f"{at:,}, "
                f"{where}; the largest layer: {visible(worst['layer'], 80)} at "
                f"{worst['max_ratio']:.3g}× "
                f"(step {worst['ratio_step']:,}). Oversized early updates are what warmup "
                "limits", f"{SEED}; {eq.SOURCE}"))
        if j.settle is None:
            out.append(_finding(
                "updates-not-settled", "info",
                f"the median {j.metric} does not settle within {BAND:g}× of the equilibrium "
                f"in the logged steps (to {int(j.step[-1]):,}); it takes on the order of "
                "1/(ηλ) steps", eq.SOURCE))
    nulls = int(np.sum(~np.isfinite(j.values)))
    if nulls:
        out.append(_finding("updates-missing-values", "info",
                            f"{nulls:,} of {j.values.size:,} values are null (a norm of 0 or a "
                            "non-finite parameter)", "CONTRACT §8"))
    return out


__all__ = ["Judged", "judge", "summary", "peak_equilibrium", "training_of", "settle_index",
           "select"]
