"""Hugging Face transformers 5.x: ``TrainingArguments`` fields (export and import).

The Trainer builds its scheduler with ``get_scheduler(lr_scheduler_type, optimizer,
num_warmup_steps=args.get_warmup_steps(max_steps), num_training_steps=max_steps,
scheduler_specific_kwargs=lr_scheduler_kwargs)``: a ``LambdaLR`` whose rate at update k is
``learning_rate · λ(k)``, stepped after every optimizer update (no lag). :func:`lam` replicates
each ``λ`` of ``transformers/optimization.py`` (5.23) in NumPy, operation for operation.

Export writes ``learning_rate``, ``lr_scheduler_type`` (the exact ``SchedulerType`` string),
``warmup_steps`` (whole steps: 5.x reads a value ≥ 1 as a count), ``max_steps`` and
``lr_scheduler_kwargs``. ``warmup_ratio`` is never written — transformers 5.23 removed it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import Schedule
from ..errors import SpecError
from ..spec import MAX_STEPS
from ..textsafe import quote
from ._common import (
    Candidate,
    Parts,
    config_number,
    describe_phase,
    near_misses,
    parts,
    read_config,
    short,
    tidy,
)
from ._specgen import Imported, UnsupportedConfig, rate_value

TYPES = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
    "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
    "warmup_stable_decay", "greedy",
)


# --------------------------------------------------------------------------------------------
# The HF lambdas, vectorised (transformers/optimization.py, 5.23)
# --------------------------------------------------------------------------------------------


def _warm(k: np.ndarray, W: int) -> np.ndarray:
    return k / max(1, W)


def lam(cfg: Mapping[str, Any], k: np.ndarray) -> np.ndarray:
    """λ(k) of ``cfg`` (a dict of the exported fields) at the int64 steps ``k``."""
    typ = cfg["lr_scheduler_type"]
    W = int(cfg["warmup_steps"])
    T = int(cfg["max_steps"])
    kw = dict(cfg.get("lr_scheduler_kwargs") or {})
    lr = float(cfg["learning_rate"])
    k = np.asarray(k, dtype=np.int64)
    if typ == "constant":
        return np.ones(k.shape)
    if typ == "constant_with_warmup":
        return np.where(k < W, k / float(max(1.0, W)), 1.0)
    if typ == "linear":
        return np.where(k < W, _warm(k, W), np.maximum(0.0, (T - k) / max(1, T - W)))
    if typ in ("cosine", "cosine_with_min_lr"):
        nc = float(kw.get("num_cycles", 0.5))
        c = math.pi * nc * 2.0
        progress = (k - W) / max(1, T - W)
        factor = 0.5 * (1.0 + np.cos(c * progress))
        if typ == "cosine_with_min_lr":
            m = _min_rate(kw, lr)
            factor = factor * (1 - m) + m
        return np.where(k < W, _warm(k, W), np.maximum(0.0, factor))
    if typ == "cosine_with_restarts":
        nc = kw.get("num_cycles", 1)
        progress = (k - W) / max(1, T - W)
        f = np.maximum(0.0, 0.5 * (1.0 + np.cos(math.pi * ((float(nc) * progress) % 1.0))))
        return np.where(k < W, _warm(k, W), np.where(progress >= 1.0, 0.0, f))
    if typ == "polynomial":
        lr_end = float(kw.get("lr_end", 1e-7))
        power = float(kw.get("power", 1.0))
        decay_steps = T - W
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 1 - (k - W) / decay_steps
            decay = ((lr - lr_end) * pct**power + lr_end) / lr
        return np.where(k < W, _warm(k, W), np.where(k > T, lr_end / lr, decay))
    if typ == "inverse_sqrt":
        ts = kw.get("timescale")
        ts = int(ts) if ts is not None else (W or 10_000)
        shift = ts - W
        with np.errstate(divide="ignore", invalid="ignore"):
            decay = 1.0 / np.sqrt((k + shift) / ts)
        return np.where(k < W, _warm(k, W), decay)
    if typ == "cosine_warmup_with_min_lr":
        nc = float(kw.get("num_cycles", 0.5))
        m = _min_rate(kw, lr)
        r = kw.get("warmup_lr_rate")
        kf, Wf, Tf = k.astype(np.float64), float(W), float(T)
        if r is None:
            warm = (kf + 1.0) / max(1.0, Wf)
        else:
            r = float(r)
            warm = r + (1.0 - r) * kf / max(1, Wf - 1)
        progress = (kf - Wf + 1.0) / max(1.0, Tf - Wf)
        factor = 0.5 * (1.0 + np.cos(math.pi * nc * 2.0 * progress))
        factor = factor * (1 - m) + m
        return np.where(kf < Wf, warm, np.maximum(0, factor))
    if typ == "warmup_stable_decay":
        D = int(kw["num_decay_steps"])
        S = kw.get("num_stable_steps")
        S = int(S) if S is not None else T - W - D
        m = float(kw.get("min_lr_ratio", 0.0))
        wt = kw.get("warmup_type", "linear")
        dt = kw.get("decay_type", "cosine")
        nc = float(kw.get("num_cycles", 0.5))
        p = k / float(max(1, W))
        with np.errstate(invalid="ignore"):
            f_w = {"linear": p, "cosine": 0.5 * (1.0 - np.cos(math.pi * p)),
                   "1-sqrt": 1.0 - np.sqrt(1.0 - p)}[wt]
        f_w = np.maximum(0.0, f_w * (1.0 - m) + m)
        q = (k - W - S) / float(max(1, D))
        with np.errstate(invalid="ignore"):
            f_d = {"linear": 1.0 - q,
                   "cosine": 0.5 * (1.0 + np.cos(math.pi * nc * 2.0 * q)),
                   "1-sqrt": 1.0 - np.sqrt(q)}[dt]
        f_d = np.maximum(0.0, f_d * (1.0 - m) + m)
        return np.where(k < W, f_w, np.where(k < W + S, 1.0, np.where(k < W + S + D, f_d, m)))
    raise UnsupportedConfig(f"lr_scheduler_type {quote(typ)} has no fixed curve")


def _min_rate(kw: Mapping[str, Any], lr: float) -> float:
    if kw.get("min_lr") is not None:
        return float(kw["min_lr"]) / lr
    return float(kw.get("min_lr_rate", 0.0))


def simulator(cfg: Mapping[str, Any]):
    lr = float(cfg["learning_rate"])
    if lr == 0.0:  # a candidate read off a spec that starts flat at 0: every rate is 0
        return lambda steps: np.zeros(np.shape(steps), dtype=np.float64)
    return lambda steps: lr * lam(cfg, steps)


# --------------------------------------------------------------------------------------------
# Export: one candidate per scheduler type
# --------------------------------------------------------------------------------------------

WARMUP_RULE = ("HF warms up linearly from 0 (λ = k/W) — only warmup_stable_decay starts at "
               "min_lr_ratio × the peak (linearly or along a cosine), and "
               "cosine_warmup_with_min_lr at 1/W")


def _cfg(p: Parts, typ: str, W: int | None = None, **kwargs: Any) -> dict[str, Any]:
    return {
        "learning_rate": tidy(p.peak),
        "lr_scheduler_type": typ,
        "warmup_steps": p.W if W is None else W,
        "max_steps": p.total,
        "lr_scheduler_kwargs": kwargs,
    }


def _warmup_problems(p: Parts) -> list[str]:
    w = p.warmup
    if w is None:
        return []
    if w.shape == "linear" and w.a == 0 and not w.params.get("skip_zero"):
        return []
    return [f"its warmup is: {describe_phase(w)}: {WARMUP_RULE}"]


def _tail_problems(p: Parts, *, allow_hold: bool = False) -> list[str]:
    out = []
    if p.extra:
        after = [x for x in (p.decay, p.hold, *p.extra) if x is not None]
        where = "after the warmup" if p.warmup is not None else "and no warmup HF can read"
        out.append(f"it has {len(after)} phases {where} "
                   f"({'; '.join(describe_phase(x) for x in after)}); "
                   "HF schedules are a warmup and one decay")
    elif p.hold is not None and not allow_hold:
        d = p.decay
        assert d is not None
        out.append(f"its {d.shape} decay ends at step {d.end:,} and the rate then holds "
                   f"{short(p.hold.a)} for the last {p.hold.length:,} steps; HF decays run to "
                   "max_steps (only warmup_stable_decay holds its final rate)")
    return out


def _decay_is(p: Parts, shape: str, *, rising_ok: bool = False) -> list[str]:
    d = p.decay
    if d is None:
        return ["it has no decay phase"]
    if d.shape != shape:
        return [f"the decay is not {shape} ({describe_phase(d)})"]
    if d.b > d.a and not rising_ok:
        return [f"the phase after the warmup rises ({describe_phase(d)})"]
    if d.params.get("skip_zero"):
        return [f"the decay uses skip_zero ({describe_phase(d)})"]
    return []


def _length_problems(p: Parts, *, longer_ok: bool) -> list[str]:
    d = p.decay
    assert d is not None
    if d.length == p.rest or (longer_ok and d.length > p.rest):
        return []
    if d.length > p.rest:
        return [f"the {d.shape} decay is {d.length:,} steps long but only {p.rest:,} fit in "
                "the run; HF's decay ends exactly at max_steps"]
    return []  # shorter: reported by _tail_problems as a hold


def candidates(schedule: Schedule) -> list[Candidate]:
    p = parts(schedule)
    W, P = p.W, p.peak
    d = p.decay
    out: list[Candidate] = []
    warm = _warmup_problems(p)
    tail = _tail_problems(p)

    def add(cfg: dict[str, Any], problems: list[str]) -> None:
        out.append(Candidate(f"lr_scheduler_type={cfg['lr_scheduler_type']}", cfg,
                             simulator(cfg), problems))

    # constant / constant_with_warmup
    flat = [] if d is None or (d.shape == "constant" and d.a == P) else [
        f"the rate changes after the warmup ({describe_phase(d)})"]
    if p.warmup is None:
        add(_cfg(p, "constant", 0), flat + tail)
    else:
        add(_cfg(p, "constant_with_warmup"), warm + flat + tail)
    if d is None:
        return out

    final = d.end_value()
    # linear (to 0) / polynomial (any power, to lr_end)
    lin = _decay_is(p, "linear") if d.shape != "polynomial" else _decay_is(p, "polynomial")
    add(_cfg(p, "linear"), warm + _decay_is(p, "linear") + _length_problems(p, longer_ok=False)
        + ([f"the linear decay ends at {short(d.b)}, not 0 (HF linear decays to 0; "
            "polynomial with power 1 has an end value)"] if d.shape == "linear" and d.b else [])
        + tail)
    power = float(d.params.get("power", 1.0)) if d.shape == "polynomial" else 1.0
    lr_end = d.b if d.shape in ("linear", "polynomial") else final
    poly_problems = list(lin)
    if lr_end >= P:
        poly_problems.append("HF polynomial needs an end rate below learning_rate")
    add(_cfg(p, "polynomial", lr_end=tidy(lr_end), power=power),
        warm + poly_problems + _length_problems(p, longer_ok=False) + tail)

    # cosine / cosine_with_min_lr, with num_cycles for a decay horizon longer than the run
    cos = _decay_is(p, "cosine")
    nc = 0.5 if d.length <= p.rest else tidy(0.5 * p.rest / d.length)
    typ = "cosine" if d.b == 0 else "cosine_with_min_lr"
    kw: dict[str, Any] = {} if typ == "cosine" else {"min_lr_rate": tidy(d.b / P)}
    if nc != 0.5:
        kw["num_cycles"] = nc
    add(_cfg(p, typ, **kw), warm + cos + _length_problems(p, longer_ok=True) + tail)
    if p.hold is not None and d.shape == "cosine":
        # stretched to max_steps instead (for --approximate: sometimes closer)
        kw2 = {} if typ == "cosine" else {"min_lr_rate": tidy(d.b / P)}
        add(_cfg(p, typ, **kw2), warm + cos + tail)

    # inverse_sqrt
    isq = _decay_is(p, "inverse_sqrt")
    if d.shape == "inverse_sqrt" and d.b > 0:
        isq.append(f"the inverse-sqrt decay has a floor ({short(d.b)}); HF's has none")
    ts = int(d.params.get("timescale", W or 10_000))
    add(_cfg(p, "inverse_sqrt", timescale=ts), warm + isq + tail)

    # cosine_with_restarts: equal cycles to 0
    rs = _decay_is(p, "cosine_restarts")
    if d.shape == "cosine_restarts":
        if "cycles" not in d.params:
            rs.append("its restart cycles are given by period; HF's cosine_with_restarts "
                      "splits the decay into num_cycles equal cycles")
        if float(d.params.get("cycle_decay", 1.0)) != 1.0:
            rs.append("its cycles shrink (cycle_decay); HF's restart at the peak")
        if d.b:
            rs.append(f"its cycles end at {short(d.b)}; HF's cosine_with_restarts ends at 0")
    add(_cfg(p, "cosine_with_restarts", num_cycles=int(d.params.get("cycles", 1))),
        warm + rs + _length_problems(p, longer_ok=False) + tail)

    # warmup_stable_decay
    out.append(_wsd_candidate(p))

    # cosine_warmup_with_min_lr (the "1-based" variant), skip_zero form and warmup_lr_rate form
    out.append(_cwm_candidate(p))
    own = NATURAL.get(d.shape, ())
    for cand in out:
        cand.natural = cand.config["lr_scheduler_type"] in own
    return out


#: the HF scheduler types that are the natural form of each warmupctl decay shape
NATURAL = {
    "linear": ("linear", "polynomial"), "polynomial": ("polynomial",),
    "cosine": ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"),
    "cosine_restarts": ("cosine_with_restarts",), "inverse_sqrt": ("inverse_sqrt",),
    "wsd": ("warmup_stable_decay",), "constant": ("constant", "constant_with_warmup"),
}


def _wsd_candidate(p: Parts) -> Candidate:
    d = p.decay
    assert d is not None
    P = p.peak
    problems: list[str] = []
    final = d.end_value() if d.shape != "constant" else d.a
    m = tidy(final / P) if P else 0.0
    kw: dict[str, Any] = {}
    warmup_type = "linear"
    w = p.warmup
    if w is not None:
        if w.shape in ("linear", "cosine") and not w.params.get("skip_zero"):
            warmup_type = w.shape
            if abs(w.a - m * P) > 1e-12 * P:
                problems.append(
                    f"warmup_stable_decay warms up from min_lr_ratio × the peak (here "
                    f"{short(final)}, where the decay ends), but this warmup starts at "
                    f"{short(w.a)}")
        else:
            problems.append(f"its warmup is: {describe_phase(w)}: warmup_stable_decay warms up "
                            "linearly or along a cosine, from min_lr_ratio × the peak")
    if d.shape == "wsd":
        D = int(d.params["cooldown"])
        decay_type = str(d.params["cooldown_shape"])
        S = d.length - D
    elif d.shape in ("linear", "cosine") and d.b < d.a and not d.params.get("skip_zero"):
        D, S, decay_type = d.length, 0, d.shape
    else:
        D, S, decay_type = max(1, d.length), 0, "linear"
        problems.append(f"HF has no such decay ({describe_phase(d)}): warmup_stable_decay "
                        "cools down linearly, along a cosine or as 1 − √q")
    if d.length > p.rest:
        problems.append(f"the decay is {d.length:,} steps long but only {p.rest:,} fit in the run")
    if p.extra:
        problems.extend(_tail_problems(p))
    kw["num_decay_steps"] = D
    if p.W + S + D != p.total:
        kw["num_stable_steps"] = S
    kw["warmup_type"] = warmup_type
    kw["decay_type"] = decay_type
    kw["min_lr_ratio"] = m
    cfg = _cfg(p, "warmup_stable_decay", **kw)
    return Candidate("lr_scheduler_type=warmup_stable_decay", cfg, simulator(cfg), problems)


def _cwm_candidate(p: Parts) -> Candidate:
    """cosine_warmup_with_min_lr: rate (k + 1)/W in the warmup, floor exactly at the last step.

    In warmupctl terms: a skip_zero linear warmup from 0 and a skip_zero cosine over the rest;
    or (with warmup_lr_rate r) a linear warmup of W − 1 steps from r × the peak, a cosine over
    N − W steps and one last step at the floor."""
    d = p.decay
    assert d is not None
    P = p.peak
    w = p.warmup
    problems: list[str] = []
    m = tidy(d.b / P) if d.shape == "cosine" else 0.0
    kw: dict[str, Any] = {"min_lr_rate": m}
    W = p.W
    r_form = (w is not None and w.shape == "linear" and not w.params.get("skip_zero")
              and d.shape == "cosine" and not d.params.get("skip_zero") and p.hold is not None
              and p.hold.length == 1 and d.length == p.rest - 1 and not p.extra)
    if r_form:
        assert w is not None
        W = w.length + 1
        kw["warmup_lr_rate"] = tidy(w.a / P)
    else:
        if w is not None and not (w.shape == "linear" and w.a == 0 and w.params.get("skip_zero")):
            problems.append(f"its warmup is: {describe_phase(w)}: cosine_warmup_with_min_lr "
                            "warms up as (k + 1)/W (skip_zero) or from warmup_lr_rate")
        if d.shape != "cosine" or not d.params.get("skip_zero") or d.b > d.a:
            problems.append(f"cosine_warmup_with_min_lr decays along a cosine that reaches its "
                            f"floor at the last step (skip_zero), not this ({describe_phase(d)})")
        if d.length != p.rest:
            problems.append(f"the decay is {d.length:,} steps long, not the {p.rest:,} left "
                            "after the warmup")
        problems.extend(_tail_problems(p))
    cfg = _cfg(p, "cosine_warmup_with_min_lr", W, **kw)
    return Candidate("lr_scheduler_type=cosine_warmup_with_min_lr", cfg, simulator(cfg),
                     problems)


def render(candidate: Candidate, schedule: Schedule) -> str:
    cfg = dict(candidate.config)
    cfg["lr_scheduler_kwargs"] = dict(cfg.get("lr_scheduler_kwargs") or {})
    return json.dumps(cfg, indent=2) + "\n"


# --------------------------------------------------------------------------------------------
# Import: TrainingArguments JSON/YAML (or a Trainer config that carries those fields)
# --------------------------------------------------------------------------------------------


#: the TrainingArguments fields the import reads (any other field is left to the Trainer)
READ_FIELDS = ("learning_rate", "lr_scheduler_type", "max_steps", "warmup_steps", "warmup_ratio",
               "lr_scheduler_kwargs")


#: the lr_scheduler_kwargs the import reads, over all scheduler types
KWARGS = ("num_cycles", "lr_end", "power", "timescale", "min_lr", "min_lr_rate", "min_lr_ratio",
          "num_stable_steps", "num_decay_steps", "warmup_type", "decay_type", "warmup_lr_rate")


def parse(text: str, origin: str, total: int | None = None) -> Imported:
    cfg = read_config(text, origin, "TrainingArguments fields")
    lr = config_number(cfg, "learning_rate", origin, 5e-5)
    if lr <= 0:
        raise UnsupportedConfig(f"learning_rate must be > 0, got {lr!r}")
    typ = str(cfg.get("lr_scheduler_type", "linear"))
    if typ.startswith("SchedulerType."):
        typ = typ.split(".", 1)[1].lower()
    if typ not in TYPES:
        from ..errors import suggest

        hint = suggest(typ, TYPES)
        raise UnsupportedConfig(f"{origin}: unknown lr_scheduler_type {quote(typ)}"
                                + (f" ({hint})" if hint else ""))
    if typ in ("reduce_lr_on_plateau", "greedy"):
        raise UnsupportedConfig(f"{origin}: lr_scheduler_type {quote(typ)} reacts to the loss "
                                "during training; it has no fixed curve to import")
    T = config_number(cfg, "max_steps", origin, -1, integer=True)
    notes: list[str] = near_misses(cfg, READ_FIELDS)
    if total is not None:
        if T > 0 and T != total:
            notes.append(f"--total {total:,} replaces max_steps {T:,}")
        T = total
    if T is None or T <= 0:
        raise UnsupportedConfig(
            f"{origin}: max_steps is not set, so the run length depends on num_train_epochs and "
            "the size of the data; give --total STEPS (the Trainer's max_steps)")
    ws = config_number(cfg, "warmup_steps", origin, 0.0, maximum=MAX_STEPS)
    ratio = config_number(cfg, "warmup_ratio", origin, None)
    if ratio is not None and not 0 <= ratio <= 1:
        raise UnsupportedConfig(f"{origin}: warmup_ratio must lie in [0, 1] (transformers "
                                f"checks the same), got {ratio!r}")
    if ws < 0:
        raise UnsupportedConfig(f"{origin}: warmup_steps must be ≥ 0, got {ws!r}")
    if ratio and not ws:
        W = math.ceil(T * ratio)  # transformers 4.x, float product
        notes.append(f"warmup_ratio {ratio!r} is a transformers 4.x field (5.23 rejects it); "
                     f"read as 4.x did: ceil({T} × {ratio!r}) = {W} steps")
    else:
        W = int(ws) if ws >= 1 else math.ceil(T * ws)  # TrainingArguments 5.x
        if 0 < ws < 1:
            notes.append(f"warmup_steps {ws!r} < 1 is a fraction of max_steps: "
                         f"ceil({T} × {ws!r}) = {W} steps, as transformers computes it")
        elif ws != int(ws):
            notes.append(f"warmup_steps {ws!r} is truncated to {W} by transformers")
    kw = cfg.get("lr_scheduler_kwargs") or {}
    if isinstance(kw, str):
        from ..jsontext import check_values, load

        try:
            kw = load(kw, f"{origin}: lr_scheduler_kwargs")
        except SpecError as exc:
            raise UnsupportedConfig(f"{exc}: lr_scheduler_kwargs is not a JSON object") from None
        check_values(kw, f"{origin}: lr_scheduler_kwargs")
    if not isinstance(kw, Mapping):
        raise UnsupportedConfig(f"{origin}: lr_scheduler_kwargs must be a mapping")
    kw = _typed_kwargs(kw, origin)
    notes += near_misses(kw, KWARGS, "lr_scheduler_kwargs ")
    if typ == "constant":
        W = 0  # get_scheduler ignores the warmup for 'constant'
    hf_cfg = {"learning_rate": lr, "lr_scheduler_type": typ, "warmup_steps": W, "max_steps": T,
              "lr_scheduler_kwargs": kw}
    if W >= T and typ not in ("constant",):
        raise UnsupportedConfig(f"{origin}: the warmup ({W} steps) does not fit in max_steps "
                                f"({T}); warmupctl counts the warmup inside the run")
    spec = _spec_for(typ, W, T, lr, kw, origin)
    header = [f"imported from {origin} (HF transformers {typ})",
              "rates of update k = 0 … max_steps−1, as the Trainer steps them"]
    return Imported(spec, simulator(hf_cfg), notes, header)


#: the lr_scheduler_kwargs that are numbers (whole numbers: True), checked before any is used
NUMERIC_KWARGS = {"num_cycles": False, "lr_end": False, "power": False, "timescale": True,
                  "min_lr": False, "min_lr_rate": False, "min_lr_ratio": False,
                  "num_stable_steps": True, "num_decay_steps": True, "warmup_lr_rate": False}


def _typed_kwargs(kw: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """``kw`` with every numeric field read as a finite number (one error line naming the field
    otherwise: a list, NaN or text where transformers expects a number)."""
    out = {str(k): v for k, v in kw.items()}
    for key, integer in NUMERIC_KWARGS.items():
        if out.get(key) is not None:
            out[key] = config_number(out, key, origin, integer=integer,
                                     label=f"lr_scheduler_kwargs.{key}")
    for key in ("warmup_type", "decay_type"):
        if out.get(key) is not None and not isinstance(out[key], str):
            raise UnsupportedConfig(f"{origin}: lr_scheduler_kwargs.{key}: expected a name, "
                                    f"got {quote(out[key])}")
    return out


def _base(T: int, lr: float) -> dict[str, Any]:
    return {"total": T, "peak_lr": lr}


def _linear_warmup(W: int) -> dict[str, Any]:
    return {"shape": "linear", "length": W}


def _spec_for(typ: str, W: int, T: int, lr: float, kw: Mapping[str, Any],
              origin: str) -> dict[str, Any]:
    spec = _base(T, lr)
    if W:
        spec["warmup"] = _linear_warmup(W)
    rest = T - W
    if typ == "constant":
        return spec
    if typ == "constant_with_warmup":
        spec["decay"] = {"shape": "constant"}
        return spec
    if typ == "linear":
        spec["decay"] = {"shape": "linear"}
        return spec
    if typ in ("cosine", "cosine_with_min_lr"):
        nc = float(kw.get("num_cycles", 0.5))
        decay: dict[str, Any] = {"shape": "cosine"}
        if typ == "cosine_with_min_lr":
            if kw.get("min_lr") is None and kw.get("min_lr_rate") is None:
                raise UnsupportedConfig(f"{origin}: cosine_with_min_lr needs min_lr or "
                                        "min_lr_rate in lr_scheduler_kwargs")
            decay["final_lr"] = (float(kw["min_lr"]) if kw.get("min_lr") is not None
                                 else rate_value(float(kw["min_lr_rate"]), lr))
        if nc != 0.5:
            if nc > 0.5:
                raise UnsupportedConfig(
                    f"{origin}: num_cycles {nc!r} > 0.5 makes the cosine climb back up before "
                    "max_steps; warmupctl has no such shape (use cosine_with_restarts)")
            horizon = 0.5 * rest / nc
            if abs(horizon - round(horizon)) > 1e-9 * horizon:
                raise UnsupportedConfig(
                    f"{origin}: num_cycles {nc!r} puts the end of the cosine at "
                    f"{horizon + W:.3f} steps, between two steps; warmupctl lengths are whole "
                    "steps")
            decay["length"] = int(round(horizon))
        spec["decay"] = decay
        return spec
    if typ == "cosine_with_restarts":
        n = kw.get("num_cycles", 1)
        if n != int(n) or n < 1:
            raise UnsupportedConfig(f"{origin}: num_cycles {n!r} must be a whole number ≥ 1")
        spec["decay"] = {"shape": "cosine_restarts", "cycles": int(n)}
        return spec
    if typ == "polynomial":
        lr_end = float(kw.get("lr_end", 1e-7))
        if not lr_end < lr:
            raise UnsupportedConfig(f"{origin}: lr_end ({lr_end!r}) must be below learning_rate "
                                    f"({lr!r}); transformers raises the same error")
        spec["decay"] = {"shape": "polynomial", "final_lr": lr_end,
                         "power": float(kw.get("power", 1.0))}
        return spec
    if typ == "inverse_sqrt":
        ts = kw.get("timescale")
        ts = int(ts) if ts is not None else (W or 10_000)
        spec["decay"] = {"shape": "inverse_sqrt", "timescale": ts}
        return spec
    if typ == "cosine_warmup_with_min_lr":
        if kw.get("min_lr") is None and kw.get("min_lr_rate") is None:
            raise UnsupportedConfig(f"{origin}: cosine_warmup_with_min_lr needs min_lr or "
                                    "min_lr_rate in lr_scheduler_kwargs")
        if float(kw.get("num_cycles", 0.5)) != 0.5:
            raise UnsupportedConfig(f"{origin}: num_cycles other than 0.5 is not supported here")
        floor = (float(kw["min_lr"]) if kw.get("min_lr") is not None
                 else rate_value(float(kw["min_lr_rate"]), lr))
        spec.pop("warmup", None)
        r = kw.get("warmup_lr_rate")
        if r is None:
            phases: list[dict[str, Any]] = []
            if W:
                phases.append({"shape": "linear", "length": W, "from": 0.0, "to": lr,
                               "skip_zero": True})
            phases.append({"shape": "cosine", "length": "rest", "from": lr, "to": floor,
                           "skip_zero": True})
        else:
            if W < 2:
                raise UnsupportedConfig(f"{origin}: warmup_lr_rate needs warmup_steps ≥ 2")
            phases = [{"shape": "linear", "length": W - 1, "from": rate_value(float(r), lr),
                       "to": lr},
                      {"shape": "cosine", "length": T - W, "to": floor},
                      {"shape": "constant", "length": 1}]
        spec["phases"] = phases
        return spec
    if typ == "warmup_stable_decay":
        if kw.get("num_decay_steps") is None:
            raise UnsupportedConfig(f"{origin}: warmup_stable_decay needs num_decay_steps")
        D = int(kw["num_decay_steps"])
        S = kw.get("num_stable_steps")
        S = int(S) if S is not None else T - W - D
        if D < 1 or S < 0:
            raise UnsupportedConfig(f"{origin}: num_decay_steps must be ≥ 1 and the stable "
                                    f"phase ≥ 0 (got {D} and {S})")
        m = float(kw.get("min_lr_ratio", 0.0))
        wt = kw.get("warmup_type", "linear")
        dt = kw.get("decay_type", "cosine")
        if wt not in ("linear", "cosine"):
            raise UnsupportedConfig(f"{origin}: warmup_type {quote(wt)}: warmupctl has linear and "
                                    "cosine warmups but not 1-sqrt")
        if dt not in ("linear", "cosine", "1-sqrt"):
            raise UnsupportedConfig(f"{origin}: unknown decay_type {quote(dt)}")
        if float(kw.get("num_cycles", 0.5)) != 0.5:
            raise UnsupportedConfig(f"{origin}: num_cycles other than 0.5 is not supported here")
        floor = rate_value(m, lr)
        if W:
            spec["warmup"] = {"shape": wt, "length": W, "start_lr": floor}
        decay = {"shape": "wsd", "final_lr": floor, "cooldown": D, "cooldown_shape": dt}
        if S + D != rest:
            decay["length"] = S + D
        spec["decay"] = decay
        return spec
    raise UnsupportedConfig(  # pragma: no cover - every type is handled above
        f"{origin}: cannot import lr_scheduler_type {quote(typ)}")

