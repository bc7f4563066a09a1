"""Megatron-LM / megatron-core: command-line arguments of ``OptimizerParamScheduler`` (export and
import).

Megatron counts samples: iteration k trains with ``get_lr(n = k × global_batch_size)`` and the
warmup/decay lengths are the ``--lr-*-iters`` values times the same batch size, so every ratio in
its formulas is the same in iterations (up to float rounding of the products). The scheduler is
stepped after every iteration and built with ``step(0)``: iteration 0 trains at
``--lr-warmup-init`` (no lag). :func:`simulate` replicates ``get_lr`` of
``megatron/core/optimizer_param_scheduler.py`` (megatron-core 0.16) in iterations:

1. ``W > 0 and n ≤ W``: ``init + (max − init)·n / W``;
2. ``constant``: ``max``;  3. ``n > D``: ``min`` (D = ``--lr-decay-iters``, the *absolute* end);
4. ``inverse-square-root``: ``max(min, max·√max(W, 1) / √max(n, 1))``;
5. otherwise ``min + c·(max − min)`` with ``r = (n − W)/(D − W)``: linear ``1 − r``, cosine
   ``½(cos πr + 1)``, or WSD: 1 until ``D − wsd``, then with ``q`` the cooldown progress: linear
   ``1 − q``, cosine ``½(cos πq + 1)``, exponential ``2·0.5^q − 1``, minus_sqrt ``1 − √q``.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import Schedule
from ..textsafe import quote
from ..yamltext import MAX_BYTES
from ._common import (
    Candidate,
    config_number,
    describe_phase,
    near_misses,
    num,
    parts,
    read_config,
    tidy,
)
from ._specgen import Imported, UnsupportedConfig

STYLES = ("constant", "linear", "cosine", "inverse-square-root", "WSD")
WSD_STYLES = ("exponential", "linear", "cosine", "minus_sqrt")
#: warmupctl wsd cooldown shape -> Megatron --lr-wsd-decay-style
COOLDOWN = {"linear": "linear", "cosine": "cosine", "1-sqrt": "minus_sqrt"}


def simulate_cfg(cfg: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    """``get_lr`` at iterations ``k`` (global batch size 1)."""
    n = np.asarray(k, dtype=np.int64)
    mx, mn = float(cfg["lr"]), float(cfg.get("min_lr", 0.0))
    init = float(cfg.get("lr_warmup_init", 0.0))
    W = int(cfg.get("lr_warmup_iters", 0))
    D = int(cfg["lr_decay_iters"])
    style = cfg["lr_decay_style"]
    out = np.empty(n.shape, dtype=np.float64)
    done = np.zeros(n.shape, dtype=bool)

    def put(sel: np.ndarray, values: Any) -> None:
        sel = sel & ~done
        out[sel] = values[sel] if isinstance(values, np.ndarray) else values
        done[:] |= sel

    if W > 0:
        put(n <= W, init + (mx - init) * n.astype(np.float64) / float(W))
    if style == "constant":
        put(np.ones(n.shape, dtype=bool), mx)
        return out
    put(n > D, mn)
    if style == "inverse-square-root":
        ws = max(W, 1)
        lr = mx * np.power(float(ws), 0.5) / np.power(np.maximum(n, 1).astype(np.float64), 0.5)
        put(np.ones(n.shape, dtype=bool), np.maximum(mn, lr))
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (n - W).astype(np.float64) / float(D - W)
        delta = mx - mn
        if style == "linear":
            coeff = 1.0 - ratio
        elif style == "cosine":
            coeff = 0.5 * (np.cos(math.pi * ratio) + 1.0)
        elif style == "WSD":
            wsd = int(cfg["lr_wsd_decay_iters"])
            start = D - wsd
            q = (n - start).astype(np.float64) / float(wsd)
            kind = cfg.get("lr_wsd_decay_style", "exponential")
            if kind == "linear":
                c = 1.0 - q
            elif kind == "cosine":
                c = 0.5 * (np.cos(math.pi * q) + 1.0)
            elif kind == "exponential":
                c = (2.0 * np.power(0.5, q)) - 1.0
            else:
                c = 1.0 - np.sqrt(q)
            coeff = np.where(n <= start, 1.0, c)
        else:  # pragma: no cover - validated before
            raise UnsupportedConfig(f"unknown --lr-decay-style {quote(style)}")
        put(np.ones(n.shape, dtype=bool), mn + coeff * delta)
    return out


def simulator(cfg: Mapping[str, Any]):
    return lambda steps: simulate_cfg(cfg, steps)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def candidates(schedule: Schedule) -> list[Candidate]:
    p = parts(schedule)
    N, W, P = p.total, p.W, p.peak
    problems: list[str] = []
    cfg: dict[str, Any] = {"lr": tidy(P), "min_lr": 0.0, "lr_decay_style": "constant",
                           "lr_warmup_iters": W, "lr_warmup_init": 0.0,
                           "lr_decay_iters": max(N, W + 1), "train_iters": N}
    w = p.warmup
    if w is not None:
        cfg["lr_warmup_init"] = tidy(w.a)
        if w.shape != "linear" or w.params.get("skip_zero"):
            problems.append(f"its warmup is: {describe_phase(w)}: Megatron warms up linearly "
                            "from --lr-warmup-init, reaching --lr at iteration W")
    d = p.decay
    if p.extra:
        problems.append(f"it has {len(p.extra) + 1} phases after the first decay; Megatron has "
                        "a warmup, one decay and a hold at --min-lr")
    if d is not None:
        if d.params.get("skip_zero"):
            problems.append(f"the decay uses skip_zero ({describe_phase(d)})")
        if d.b > d.a and d.shape != "step":
            problems.append(f"the phase after the warmup rises ({describe_phase(d)})")
        if d.shape == "constant":
            if d.a != P:  # pragma: no cover - parts() takes the peak from the decay
                problems.append("the rate after the warmup is not the peak")
        elif d.shape in ("linear", "cosine"):
            cfg.update(lr_decay_style=d.shape, min_lr=tidy(d.b), lr_decay_iters=W + d.length)
        elif d.shape == "wsd":
            cfg.update(lr_decay_style="WSD", min_lr=tidy(d.b), lr_decay_iters=W + d.length,
                       lr_wsd_decay_style=COOLDOWN[str(d.params["cooldown_shape"])],
                       lr_wsd_decay_iters=int(d.params["cooldown"]))
        elif d.shape == "inverse_sqrt":
            cfg.update(lr_decay_style="inverse-square-root", min_lr=tidy(d.b))
            c = int(d.params["timescale"])
            if W == 0:
                problems.append("Megatron's inverse-square-root decay needs a warmup (its "
                                "timescale is the warmup length, and without one iterations 0 "
                                "and 1 both train at --lr)")
            elif c != W:
                problems.append(f"the inverse-sqrt timescale is {c:,} steps; Megatron's is the "
                                f"warmup length ({W:,})")
            if d.end < N:
                problems.append(f"the inverse-sqrt decay stops at step {d.end:,} and then holds; "
                                "Megatron's runs to --lr-decay-iters and then drops to --min-lr")
        else:
            cfg.update(lr_decay_style="cosine", min_lr=min(d.end_value(), P),
                       lr_decay_iters=W + max(1, min(d.length, N - W)))
            problems.append(f"Megatron has no such decay ({describe_phase(d)}): it decays "
                            "linearly, along a cosine, as an inverse square root, or "
                            "warmup-stable-decay (exponential, linear, cosine or 1 − √q cooldown)")
    cand = Candidate(f"--lr-decay-style {cfg['lr_decay_style']}", cfg, simulator(cfg), problems)
    return [cand]


def args(cfg: Mapping[str, Any]) -> list[str]:
    out = ["--lr", num(cfg["lr"]), "--min-lr", num(cfg["min_lr"]),
           "--lr-decay-style", str(cfg["lr_decay_style"])]
    if cfg["lr_decay_style"] == "WSD":
        out += ["--lr-wsd-decay-style", str(cfg["lr_wsd_decay_style"]),
                "--lr-wsd-decay-iters", str(cfg["lr_wsd_decay_iters"])]
    out += ["--lr-warmup-iters", str(cfg["lr_warmup_iters"]),
            "--lr-warmup-init", num(cfg["lr_warmup_init"]),
            "--lr-decay-iters", str(cfg["lr_decay_iters"]),
            "--train-iters", str(cfg["train_iters"])]
    return out


def render(candidate: Candidate, schedule: Schedule) -> str:
    return " ".join(args(candidate.config)) + "\n"


# --------------------------------------------------------------------------------------------
# Import: a line (or script) of arguments, or a YAML/JSON mapping of the same names
# --------------------------------------------------------------------------------------------

KNOWN = {
    "lr", "min_lr", "lr_decay_style", "lr_decay_iters", "lr_decay_samples", "lr_warmup_iters",
    "lr_warmup_samples", "lr_warmup_fraction", "lr_warmup_init", "train_iters", "train_samples",
    "global_batch_size", "lr_wsd_decay_style", "lr_wsd_decay_iters", "lr_wsd_decay_samples",
    "rampup_batch_size",
}


def _tokens(text: str) -> dict[str, Any]:
    text = text.replace("\\\r\n", " ").replace("\\\n", " ")
    lines = [ln.split("#", 1)[0] if ln.lstrip().startswith("#") else ln for ln in text.splitlines()]
    try:
        toks = shlex.split(" ".join(lines), comments=True)
    except ValueError as exc:
        raise UnsupportedConfig(f"cannot read the arguments: {exc}") from None
    out: dict[str, Any] = {}
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok.startswith("--"):
            key, eq, val = tok[2:].partition("=")
            key = key.replace("-", "_")
            if eq:
                out[key] = val
            elif i + 1 < len(toks) and not toks[i + 1].startswith("--"):
                out[key] = toks[i + 1]
                i += 1
            else:
                out[key] = True
        i += 1
    return out


def _config(text: str, origin: str) -> dict[str, Any]:
    if len(text) > MAX_BYTES:
        raise UnsupportedConfig(f"{origin} is {len(text):,} characters long; configs are limited "
                                f"to {MAX_BYTES:,}")
    if "--" not in text:  # a YAML or JSON mapping of the argument names
        data = read_config(text, origin, "Megatron arguments")
        return {str(k).replace("-", "_").lstrip("_"): v for k, v in data.items()}
    return _tokens(text)


def parse(text: str, origin: str, total: int | None = None) -> Imported:
    raw = _config(text, origin)
    cfg = {k: v for k, v in raw.items() if k in KNOWN}
    if "rampup_batch_size" in cfg:
        raise UnsupportedConfig(f"{origin}: --rampup-batch-size makes iterations and samples "
                                "non-proportional; warmupctl cannot import a ramped schedule")
    notes: list[str] = near_misses(raw, KNOWN, spell=lambda k: "--" + k.replace("_", "-"))
    lr = config_number(cfg, "lr", origin)
    if lr is None:
        raise UnsupportedConfig(f"{origin}: --lr is missing")
    mn = config_number(cfg, "min_lr", origin, 0.0)
    init = config_number(cfg, "lr_warmup_init", origin, 0.0)
    style = str(cfg.get("lr_decay_style", "linear"))
    if style not in STYLES:
        from ..errors import suggest

        hint = suggest(style, STYLES)
        raise UnsupportedConfig(f"{origin}: unknown --lr-decay-style {quote(style)}"
                                + (f" ({hint})" if hint else ""))
    gbs = config_number(cfg, "global_batch_size", origin, None, integer=True)

    def iters(name: str) -> int | None:
        it = config_number(cfg, f"{name}_iters", origin, None, integer=True)
        samples = config_number(cfg, f"{name}_samples", origin, None, integer=True)
        if samples is None:
            return it
        if not gbs:
            raise UnsupportedConfig(f"{origin}: --{name.replace('_', '-')}-samples needs "
                                    "--global-batch-size to count iterations")
        if samples % gbs:
            raise UnsupportedConfig(
                f"{origin}: --{name.replace('_', '-')}-samples {samples:,} is not a whole number "
                f"of iterations of {gbs:,} samples; warmupctl lengths are whole steps")
        return samples // gbs

    N = iters("train")
    if total is not None:
        if N is not None and N != total:
            notes.append(f"--total {total:,} replaces --train-iters {N:,}")
        N = total
    if not N or N < 1:
        raise UnsupportedConfig(f"{origin}: --train-iters (or --train-samples with "
                                "--global-batch-size) is missing; or give --total")
    D = iters("lr_decay") or N
    W = iters("lr_warmup") or 0
    frac = config_number(cfg, "lr_warmup_fraction", origin, None)
    if frac is not None:
        w = frac * D
        if w != int(w):
            raise UnsupportedConfig(
                f"{origin}: --lr-warmup-fraction {frac!r} × {D:,} decay iterations = {w!r}: "
                "Megatron keeps the fraction unrounded, and warmupctl lengths are whole steps; "
                f"use --lr-warmup-iters {math.ceil(w)}")
        W = int(w)
    if not (0 <= mn <= lr and init <= lr):
        raise UnsupportedConfig(f"{origin}: Megatron requires 0 ≤ --min-lr ≤ --lr and "
                                "--lr-warmup-init ≤ --lr")
    if not W < D:
        raise UnsupportedConfig(f"{origin}: the warmup ({W:,}) must be shorter than "
                                f"--lr-decay-iters ({D:,}), as Megatron asserts")
    if W >= N:
        raise UnsupportedConfig(f"{origin}: the warmup ({W:,}) does not fit in the run "
                                f"({N:,} iterations)")
    sim_cfg: dict[str, Any] = {"lr": lr, "min_lr": mn, "lr_warmup_init": init,
                               "lr_warmup_iters": W, "lr_decay_iters": D,
                               "lr_decay_style": style, "train_iters": N}
    spec: dict[str, Any] = {"total": N, "peak_lr": lr}
    if W:
        spec["warmup"] = {"shape": "linear", "length": W, "start_lr": init}
    rest = N - W
    if style == "constant":
        spec["decay"] = {"shape": "constant"}
    elif style in ("linear", "cosine"):
        decay: dict[str, Any] = {"shape": style, "final_lr": mn}
        if D - W != rest:
            decay["length"] = D - W
        spec["decay"] = decay
    elif style == "WSD":
        kind = str(cfg.get("lr_wsd_decay_style", "exponential"))
        wsd = iters("lr_wsd_decay")
        if wsd is None:
            raise UnsupportedConfig(f"{origin}: WSD needs --lr-wsd-decay-iters")
        if kind not in WSD_STYLES:
            raise UnsupportedConfig(f"{origin}: unknown --lr-wsd-decay-style {quote(kind)}")
        if kind == "exponential":
            raise UnsupportedConfig(
                f"{origin}: --lr-wsd-decay-style exponential (Megatron's default) cools down as "
                "2·0.5^q − 1; warmupctl's wsd cooldowns are linear, cosine and 1-sqrt "
                "(minus_sqrt)")
        if not 1 <= wsd <= D - W:
            raise UnsupportedConfig(f"{origin}: --lr-wsd-decay-iters must lie in 1 … "
                                    f"{D - W:,} (the decay after the warmup)")
        sim_cfg.update(lr_wsd_decay_style=kind, lr_wsd_decay_iters=wsd)
        shape = {v: k for k, v in COOLDOWN.items()}[kind]
        decay = {"shape": "wsd", "final_lr": mn, "cooldown": wsd, "cooldown_shape": shape}
        if D - W != rest:
            decay["length"] = D - W
        spec["decay"] = decay
    else:  # inverse-square-root
        if W == 0:
            spec["phases"] = [{"shape": "constant", "length": 1, "from": lr},
                              {"shape": "inverse_sqrt", "length": min(D, N - 1),
                               "timescale": 1, "to": mn}]
            if D < N - 1:
                spec["phases"].append({"shape": "constant", "length": "rest", "from": mn})
        elif D < N - 1:
            spec.pop("warmup")
            spec["phases"] = [{"shape": "linear", "length": W, "from": init, "to": lr},
                              {"shape": "inverse_sqrt", "length": D - W + 1, "timescale": W,
                               "to": mn},
                              {"shape": "constant", "length": "rest", "from": mn}]
        else:
            decay = {"shape": "inverse_sqrt", "timescale": W}
            if mn > 0:
                decay["final_lr"] = mn
            spec["decay"] = decay
    header = [f"imported from {origin} (Megatron-LM --lr-decay-style {style})",
              "rates of iteration k = 0 … train-iters−1"]
    return Imported(spec, simulator(sim_cfg), notes, header)
