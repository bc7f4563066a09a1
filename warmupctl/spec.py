"""The spec model: a YAML mapping (or the same mapping from flags) → a validated :class:`Schedule`.

Pure: takes plain data (and the YAML positions of its keys), never reads files. The ``warmup`` /
``decay`` sugar and an explicit ``phases`` list both compile to one list of engine phases.
Every problem raises :class:`~warmupctl.errors.SpecError` naming the key path, the YAML line and,
where it helps, the closest valid key or shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from .engine import Phase, Schedule
from .errors import SpecError, suggest
from .errors import path_text as _path_text
from .textsafe import visible
from .units import (
    Length,
    UnitError,
    Units,
    parse_count,
    parse_length,
    parse_rate,
    to_steps,
)
from .yamltext import Positions

TOP_KEYS = (
    "name", "description", "source", "note", "total", "tokens_per_step", "steps_per_epoch",
    "peak_lr", "noam", "warmup", "decay", "phases", "training",
)
WARMUP_SHAPES = ("linear", "constant", "cosine", "exponential", "polynomial", "none")
DECAY_SHAPES = (
    "constant", "cosine", "linear", "polynomial", "inverse_sqrt", "step", "exponential", "wsd",
    "cosine_restarts",
)
PHASE_SHAPES = (
    "linear", "constant", "cosine", "polynomial", "exponential", "inverse_sqrt", "step", "wsd",
    "cosine_restarts",
)
COOLDOWN_SHAPES = ("linear", "cosine", "1-sqrt")

WARMUP_KEYS: dict[str, tuple[str, ...]] = {
    "linear": ("start_lr", "skip_zero"),
    "constant": ("start_lr",),
    "cosine": ("start_lr", "skip_zero"),
    "exponential": ("start_lr", "tau", "skip_zero"),
    "polynomial": ("start_lr", "power", "skip_zero"),
    "none": (),
}
DECAY_KEYS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "cosine": ("final_lr", "length"),
    "linear": ("final_lr", "length"),
    "polynomial": ("final_lr", "length", "power"),
    "inverse_sqrt": ("timescale", "final_lr", "length"),
    "step": ("milestones", "gamma"),
    "exponential": ("gamma", "every", "final_lr", "length"),
    "wsd": ("final_lr", "length", "cooldown", "cooldown_shape"),
    "cosine_restarts": ("final_lr", "length", "period", "period_mult", "cycle_decay", "cycles"),
}
PHASE_KEYS: dict[str, tuple[str, ...]] = {
    "linear": ("skip_zero",),
    "constant": (),
    "cosine": ("skip_zero",),
    "polynomial": ("power", "skip_zero"),
    "exponential": ("tau", "gamma", "every", "skip_zero"),
    "inverse_sqrt": ("timescale",),
    "step": ("milestones", "gamma"),
    "wsd": ("cooldown", "cooldown_shape"),
    "cosine_restarts": ("period", "period_mult", "cycle_decay", "cycles"),
}
TRAINING_KEYS = (
    "regime", "optimizer", "beta1", "beta2", "eps", "momentum", "weight_decay", "grad_clip",
    "batch_size", "seq_len", "architecture", "init_std", "fan_in",
)
REGIMES = ("pretrain", "finetune")
ARCHITECTURES = ("pre-ln", "post-ln", "other")
#: keys of the noam block, and the keys every explicit phase takes besides PHASE_KEYS[shape]
NOAM_KEYS = ("d_model", "scale")
PHASE_COMMON_KEYS = ("shape", "length", "from", "to", "horizon")

#: the longest run: step numbers stay exact in float64 and int64
MAX_STEPS = 2**53

#: docs/spec.md default for inverse_sqrt without warmup, as HF ``get_inverse_sqrt_schedule``
DEFAULT_TIMESCALE = 10_000
#: wsd defaults: a 20% cooldown with the 1-sqrt shape (Hägele et al. 2024, arXiv:2405.18392, §3)
DEFAULT_COOLDOWN = "20%"
DEFAULT_COOLDOWN_SHAPE = "1-sqrt"

#: The built-in default schedule: the LLaMA shape (2000-step linear warmup, cosine to 10% of a
#: 3e-4 peak; Touvron et al. 2023, arXiv:2302.13971, §2.3) on a 100k-step run.
DEFAULT_SPEC: dict[str, Any] = {
    "name": "default",
    "description": "built-in default: 2000-step linear warmup, cosine to 10% (LLaMA shape)",
    "source": "Touvron et al. 2023, LLaMA, arXiv:2302.13971, §2.3 (warmup, peak, cosine to 10%)",
    "total": "100k",
    "peak_lr": 3.0e-4,
    "warmup": {"shape": "linear", "length": 2000},
    "decay": {"shape": "cosine", "final_lr": "10%"},
}


@dataclass
class _Ctx:
    positions: Positions = field(default_factory=dict)
    origin: str | None = None
    flags: Mapping[str, str] = field(default_factory=dict)  # top-level key -> flag that set it

    def error(self, path: tuple[Any, ...], message: str, hint: str | None = None) -> SpecError:
        text_path = _path_text(path)
        field_key = ".".join(str(p) for p in path[:2])
        if len(path) >= 2 and field_key in self.flags:  # training.beta2 from --beta2
            return SpecError(message, path=self.flags[field_key], hint=hint,
                             origin="command line")
        if path and path[0] in self.flags:
            return SpecError(message, path=self.flags[path[0]], hint=hint, origin="command line")
        pos = None
        p = path
        while p and pos is None:
            pos = self.positions.get(p)
            p = p[:-1]
        if pos is None:
            pos = self.positions.get(())
        line, col = pos if pos else (None, None)
        return SpecError(message, path=text_path or None, line=line, column=col, hint=hint,
                         origin=self.origin)


def _mapping(ctx: _Ctx, value: Any, path: tuple[Any, ...], what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ctx.error(path, f"expected {what} (a mapping of keys), got {_kind(value)}")
    for k in value:
        if not isinstance(k, str):
            raise _key_error(ctx, path, k)
    return value


def _check_surrogates(ctx: _Ctx, value: Any, path: tuple[Any, ...], depth: int = 0) -> None:
    """Text with a lone surrogate (``"\\ud800"``, half a UTF-16 pair) is refused: it cannot be
    printed or written as UTF-8. YAML text is checked when read (warmupctl.yamltext); this
    covers mappings from Python and command-line flags."""
    if depth > 64:
        return  # deeper than any spec; the parser refuses the shape
    if isinstance(value, str):
        bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:
            raise ctx.error(path, f"{visible(repr(value), 80)} contains \\u{ord(bad):04x}, "
                            "which is not a character (half of a UTF-16 pair, or a byte that "
                            "is not UTF-8)", "write the character itself")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _check_surrogates(ctx, k, path, depth + 1)
            _check_surrogates(ctx, v, path + (k,), depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_surrogates(ctx, v, path + (i,), depth + 1)


def _key_error(ctx: _Ctx, path: tuple[Any, ...], key: Any) -> SpecError:
    """``keys must be names`` at the key's own line: the positions know keys by their YAML text
    (``1``, ``true``, ``null``), not by the value PyYAML made of it."""
    texts = [str(key), str(key).lower()] + (["null", "~", ""] if key is None else [])
    line = next((ctx.positions[path + (t,)] for t in texts if path + (t,) in ctx.positions),
                None)
    error = ctx.error(path, f"keys must be names, got {visible(repr(key), 80)}",
                      "write the key as text, e.g. 'total' or \"1\"")
    if line is not None and not (path and path[0] in ctx.flags):
        error.line, error.column = line
    return error


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "…"
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def _check_keys(
    ctx: _Ctx, mapping: Mapping[str, Any], allowed: tuple[str, ...] | list[str],
    path: tuple[Any, ...], context: str = "",
) -> None:
    for key in mapping:
        if key not in allowed:
            hint = suggest(key, allowed)
            if hint is None:
                hint = "valid keys here: " + ", ".join(allowed) if allowed else "no keys allowed"
            raise ctx.error(path + (key,), f"unknown key{context}", hint)


def _shape(ctx: _Ctx, m: Mapping[str, Any], path: tuple[Any, ...], shapes: tuple[str, ...]) -> str:
    if "shape" not in m:
        raise ctx.error(path, "missing key 'shape'", "one of: " + ", ".join(shapes))
    shape = m["shape"]
    if not isinstance(shape, str) or shape not in shapes:
        alias = {"cos": "cosine", "inverse-sqrt": "inverse_sqrt", "rsqrt": "inverse_sqrt",
                 "noam": "inverse_sqrt", "multistep": "step", "exp": "exponential",
                 "poly": "polynomial", "sgdr": "cosine_restarts", "restarts": "cosine_restarts",
                 "cosine-restarts": "cosine_restarts", "warmup_stable_decay": "wsd"}.get(str(shape))
        hint = f"did you mean '{alias}'?" if alias in shapes else suggest(str(shape), shapes)
        raise ctx.error(path + ("shape",), f"unknown shape {shape!r}",
                        hint or "one of: " + ", ".join(shapes))
    return shape


class _Resolver:
    """Turns lengths and rates into steps and floats, with errors that point at the key."""

    def __init__(self, ctx: _Ctx, units: Units, peak: float | None) -> None:
        self.ctx = ctx
        self.units = units
        self.peak = peak

    def length(self, value: Any, path: tuple[Any, ...], *, allow_zero: bool = False) -> int:
        try:
            steps = to_steps(parse_length(value), self.units)
        except UnitError as exc:
            raise self.ctx.error(path, str(exc), exc.hint) from None
        if steps < 0 or (steps == 0 and not allow_zero):
            raise self.ctx.error(path, f"a length must be greater than 0, got {value!r}")
        return steps

    def rate(self, value: Any, path: tuple[Any, ...]) -> float:
        try:
            rate = parse_rate(value).resolve(self.peak)
        except UnitError as exc:
            raise self.ctx.error(path, str(exc), exc.hint) from None
        if not math.isfinite(rate):
            raise self.ctx.error(path, f"the rate {value!r} is not finite")
        return rate

    def positive(self, value: Any, path: tuple[Any, ...], what: str, *,
                 upper: float | None = None, inclusive_upper: bool = True) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.ctx.error(path, f"expected {what}, got {_kind(value)}")
        try:
            x = float(value)
        except ValueError:
            raise self.ctx.error(path, f"expected {what}, got {_kind(value)}") from None
        if not math.isfinite(x) or x <= 0:
            raise self.ctx.error(path, f"expected {what} greater than 0, got {value!r}")
        if upper is not None and (x > upper or (not inclusive_upper and x == upper)):
            limit = f"at most {upper:g}" if inclusive_upper else f"below {upper:g}"
            raise self.ctx.error(path, f"expected {what} {limit}, got {value!r}")
        return x

    def flag(self, value: Any, path: tuple[Any, ...]) -> bool:
        if not isinstance(value, bool):
            raise self.ctx.error(path, f"expected true or false, got {_kind(value)}")
        return value


def _text(ctx: _Ctx, data: Mapping[str, Any], key: str) -> str | None:
    if key not in data or data[key] is None:
        return None
    value = data[key]
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ctx.error((key,), f"expected text, got {_kind(value)}")
    return str(value)


def _whole(ctx: _Ctx, kp: tuple, value: Any, quiet: bool = False) -> int | None:
    """A whole count from a number or text (``512``, ``'512'`` from a flag, ``4k``); ``quiet``:
    ``None`` instead of an error, for a caller that words its own."""
    try:
        count = parse_count(value, "a positive count")
    except UnitError as exc:
        if quiet:
            return None
        raise ctx.error(kp, str(exc), exc.hint) from None
    if count.denominator != 1:
        if quiet:
            return None
        raise ctx.error(kp, f"expected a whole number, got {value!r}")
    return int(count)


def _training(ctx: _Ctx, data: Mapping[str, Any]) -> dict[str, Any]:
    if "training" not in data or data["training"] is None:
        return {}
    path = ("training",)
    block = _mapping(ctx, data["training"], path, "the training block")
    _check_keys(ctx, block, TRAINING_KEYS, path)
    out: dict[str, Any] = {}
    for key, value in block.items():
        kp = path + (key,)
        if key in ("regime", "architecture"):
            choices = REGIMES if key == "regime" else ARCHITECTURES
            if value not in choices:
                raise ctx.error(kp, f"unknown {key} {value!r}",
                                suggest(str(value), choices) or "one of: " + ", ".join(choices))
            out[key] = value
        elif key == "optimizer":
            if not isinstance(value, str) or not value.strip():
                raise ctx.error(kp, f"expected an optimizer name, got {_kind(value)}")
            out[key] = value.strip().lower()
        elif key in ("batch_size", "seq_len"):
            out[key] = _whole(ctx, kp, value)
        elif key == "fan_in":  # a weight row's fan-in (docs/updates.md)
            n = None if isinstance(value, bool) else _whole(ctx, kp, value, quiet=True)
            if n is None or n < 2:
                raise ctx.error(kp, f"expected a whole number ≥ 2, got {value!r}",
                                "the width a weight row reads, e.g. fan_in: 768")
            out[key] = n
        elif key == "init_std":  # the init's standard deviation (docs/updates.md)
            out[key] = _Resolver(ctx, Units(), None).positive(value, kp, "a standard deviation")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                try:
                    value = float(value) if isinstance(value, str) else None
                except ValueError:
                    value = None
                if value is None:
                    raise ctx.error(kp, f"expected a number, got {_kind(block[key])}")
            x = float(value)
            if not math.isfinite(x) or x < 0:
                raise ctx.error(kp, f"expected a finite number ≥ 0, got {block[key]!r}")
            if key in ("beta1", "beta2", "momentum") and x >= 1:
                raise ctx.error(kp, f"{key} must be below 1, got {block[key]!r}")
            out[key] = x
    return out


def _units(ctx: _Ctx, data: Mapping[str, Any], training: Mapping[str, Any]) -> Units:
    tps: Fraction | None = None
    spe: Fraction | None = None
    if data.get("tokens_per_step") is not None:
        try:
            tps = parse_count(data["tokens_per_step"], "tokens per step")
        except UnitError as exc:
            raise ctx.error(("tokens_per_step",), str(exc), exc.hint) from None
    elif "batch_size" in training and "seq_len" in training:
        tps = Fraction(training["batch_size"] * training["seq_len"])
    if data.get("steps_per_epoch") is not None:
        try:
            spe = parse_count(data["steps_per_epoch"], "steps per epoch")
        except UnitError as exc:
            raise ctx.error(("steps_per_epoch",), str(exc), exc.hint) from None
    batch = Fraction(training["batch_size"]) if "batch_size" in training else None
    return Units(tokens_per_step=tps, steps_per_epoch=spe, batch_size=batch)


def _total(ctx: _Ctx, data: Mapping[str, Any], units: Units) -> int:
    if "total" not in data or data["total"] is None:
        raise ctx.error((), "missing key 'total' (the length of training, warmup included)",
                        "e.g. total: 100k, total: 90ep or total: 300B tokens")
    try:
        length = parse_length(data["total"])
        if length.unit == "percent":
            raise UnitError("the total cannot be a percentage of itself")
        total = to_steps(length, units)
    except UnitError as exc:
        raise ctx.error(("total",), str(exc), exc.hint) from None
    if total < 1:
        raise ctx.error(("total",), f"the run must have at least one step, got {data['total']!r}")
    if total > MAX_STEPS:
        mant, exp = f"{Decimal(total):.1e}".split("e")  # exact for ints past float range
        size = (f"has {total:,} steps" if total < 10**17
                else f"is about {mant}e{int(exp)} steps long")
        raise ctx.error(("total",), f"the run {size}; warmupctl handles up to "
                        f"2^53 = {MAX_STEPS:,} steps", "is the unit right?")
    return total


def _peak(ctx: _Ctx, data: Mapping[str, Any], *,
          required: bool) -> tuple[float | None, dict | None]:
    has_peak = data.get("peak_lr") is not None
    has_noam = data.get("noam") is not None
    if has_peak and has_noam:
        raise ctx.error(("noam",), "give peak_lr or noam, not both",
                        "noam sets the peak to scale·d_model^-0.5·warmup^-0.5")
    if has_noam:
        block = _mapping(ctx, data["noam"], ("noam",), "the noam block")
        _check_keys(ctx, block, NOAM_KEYS, ("noam",))
        res = _Resolver(ctx, Units(), None)
        if "d_model" not in block:
            raise ctx.error(("noam",), "missing key 'd_model'", "e.g. noam: {d_model: 512}")
        d_model = res.positive(block["d_model"], ("noam", "d_model"), "a model width")
        scale = res.positive(block.get("scale", 1.0), ("noam", "scale"), "a scale factor")
        return None, {"d_model": d_model, "scale": scale}
    if has_peak:
        value = data["peak_lr"]
        if isinstance(value, Mapping):
            return _multiplier(ctx, value), None
        try:
            rate = parse_rate(value)
        except UnitError as exc:
            raise ctx.error(("peak_lr",), str(exc), exc.hint) from None
        if rate.percent:
            raise ctx.error(("peak_lr",), "the peak cannot be a percentage of itself")
        if rate.value <= 0:
            raise ctx.error(("peak_lr",), f"the peak rate must be greater than 0, got {value!r}")
        return rate.value, None
    if required:
        raise ctx.error((), "missing key 'peak_lr'",
                        "e.g. peak_lr: 3.0e-4, or noam: {d_model: 512}")
    return None, None


def _fold_fields(ctx: _Ctx, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Flags that set one field of a block (``training.beta2`` from ``--beta2``) merged into the
    block; the rest of the spec's block is kept. Only keys that came from flags are folded: a
    dotted key written in a YAML file stays an unknown key."""
    dotted = [k for k in data if isinstance(k, str) and "." in k and k in ctx.flags]
    if not dotted:
        return data
    out = {k: v for k, v in data.items() if k not in dotted}
    for key in dotted:
        block, name = key.split(".", 1)
        current = out.get(block)
        if current is None:
            current = {}
        out[block] = {**_mapping(ctx, current, (block,), f"the {block} block"), name: data[key]}
    return out


def _multiplier(ctx: _Ctx, block: Mapping[str, Any]) -> float:
    """``peak_lr: {multiplier: 1.0}``: the rates are multiples of a peak given elsewhere (a LambdaLR
    factor), not rates; trainer exports refuse such a spec (docs/spec.md)."""
    path = ("peak_lr",)
    _mapping(ctx, block, path, "a peak rate or {multiplier: X}")
    _check_keys(ctx, block, ("multiplier",), path)
    if "multiplier" not in block:
        raise ctx.error(path, "missing key 'multiplier'",
                        "write peak_lr: 3.0e-4, or peak_lr: {multiplier: 1.0} for a curve of "
                        "multipliers")
    return _Resolver(ctx, Units(), None).positive(block["multiplier"], path + ("multiplier",),
                                                  "a multiplier")


def parse(
    data: Any,
    positions: Positions | None = None,
    origin: str | None = None,
    flags: Mapping[str, str] | None = None,
) -> Schedule:
    """Validate a spec mapping and compile it to a :class:`Schedule`.

    ``positions`` (from :func:`warmupctl.yamltext.load`) and ``origin`` (a file name) only make
    error messages point at the right line; ``flags`` maps top-level keys that came from command
    line flags to the flag's name.
    """
    ctx = _Ctx(positions or {}, origin, flags or {})
    if not isinstance(data, Mapping):
        raise ctx.error((), f"the top level of a spec must be a mapping of keys, got {_kind(data)}",
                        "start with e.g. 'total: 100k' and 'peak_lr: 3.0e-4'")
    for k in data:
        if not isinstance(k, str):
            raise _key_error(ctx, (), k)
    _check_surrogates(ctx, data, ())
    data = _fold_fields(ctx, data)
    _check_keys(ctx, data, TOP_KEYS, ())
    name = _text(ctx, data, "name")
    meta: dict[str, Any] = {
        "description": _text(ctx, data, "description"),
        "source": _text(ctx, data, "source"),
        "note": _text(ctx, data, "note"),
    }
    training = _training(ctx, data)
    units = _units(ctx, data, training)
    total = _total(ctx, data, units)
    units = Units(total, units.tokens_per_step, units.steps_per_epoch, units.batch_size)
    uses_phases = data.get("phases") is not None
    if uses_phases:
        for key in ("warmup", "decay", "noam"):
            if data.get(key) is not None:
                raise ctx.error((key,), f"a spec with 'phases' cannot also have '{key}'",
                                "put the whole schedule in phases, or drop phases")
    peak, noam = _peak(ctx, data, required=not uses_phases)
    if uses_phases:
        phases, info = _compile_phases(ctx, data["phases"], total, units, peak)
    else:
        phases, info = _compile_sugar(ctx, data, total, units, peak, noam)
    _check_finite(ctx, phases, total, uses_phases)
    peak_value = info["peak_lr"]
    meta.update(info)
    meta.update(
        total_steps=total,
        tokens_per_step=float(units.tokens_per_step) if units.tokens_per_step else None,
        steps_per_epoch=float(units.steps_per_epoch) if units.steps_per_epoch else None,
        training=MappingProxyType(training),
        units=units,
    )
    meta["lr_multiplier"] = isinstance(data.get("peak_lr"), Mapping)
    meta["resolved"] = _resolved(name, meta, total, peak_value, phases, training)
    return Schedule(total, phases, name=name, meta=meta)


def _check_finite(ctx: _Ctx, phases: list[Phase], total: int, uses_phases: bool) -> None:
    """Every shape is monotone inside its phase, so finite rates at both ends of each phase mean
    finite rates everywhere (e.g. an exponential with gamma > 1 can overflow)."""
    import numpy as np

    for i, ph in enumerate(phases):
        last = min(ph.end, total) - 1
        values = ph.evaluate(np.array([ph.start, last], dtype=np.int64))
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            if uses_phases:
                path: tuple[Any, ...] = ("phases", min(i, len(phases) - 1))
            else:
                path = ("warmup",) if ph.role == "warmup" else ("decay",)
            bad = next(float(v) for v in values if not (math.isfinite(v) and v >= 0))
            what = "overflows to infinity" if bad == math.inf else f"reaches {bad!r}"
            raise ctx.error(path, f"the {ph.shape} rate {what} by step {last:,}",
                            "check gamma, power or tau")


def _bare_shape(raw: Any) -> Any:
    """``warmup: none`` or ``decay: cosine``: a bare shape name is the block with only that shape
    (as ``--warmup none`` and ``--decay cosine`` are); the shape's defaults fill the rest, and a
    shape that needs more (a warmup length, step milestones) is refused as a block would be."""
    return {"shape": raw} if isinstance(raw, str) else raw


def _warmup(ctx: _Ctx, data: Mapping[str, Any], res: _Resolver, total: int
            ) -> tuple[str, int, Mapping[str, Any]]:
    raw = data.get("warmup")
    if raw is None:
        return "none", 0, {}
    path = ("warmup",)
    block = _mapping(ctx, _bare_shape(raw), path, "the warmup block")
    shape = _shape(ctx, block, path, WARMUP_SHAPES)
    allowed = ("shape", "length") + WARMUP_KEYS[shape]
    for key in block:
        if key not in allowed and key in {k for v in WARMUP_KEYS.values() for k in v}:
            raise ctx.error(path + (key,), f"'{key}' does not apply to a {shape} warmup",
                            "it is used by: " + ", ".join(
                                s for s, ks in WARMUP_KEYS.items() if key in ks))
    _check_keys(ctx, block, allowed, path)
    if shape == "none":
        if block.get("length") not in (None, 0, "0"):
            raise ctx.error(path + ("length",), "a warmup of shape 'none' has no length",
                            "remove the length, or pick a shape such as linear")
        return "none", 0, block
    if "length" not in block:
        hint = (f"write warmup: {{shape: {shape}, length: 2%}}" if isinstance(raw, str)
                else "e.g. length: 2000, 2% or 375M tokens")
        raise ctx.error(path, "missing key 'length'", hint)
    steps = res.length(block["length"], path + ("length",))
    if steps >= total:
        raise ctx.error(path + ("length",),
                        f"the warmup ({steps:,} steps) does not fit in the run ({total:,} steps)",
                        "warmup is counted inside total; shorten it or raise total")
    return shape, steps, block


def _compile_sugar(
    ctx: _Ctx, data: Mapping[str, Any], total: int, units: Units, peak: float | None,
    noam: dict | None,
) -> tuple[list[Phase], dict[str, Any]]:
    res = _Resolver(ctx, units, peak)
    wshape, W, wblock = _warmup(ctx, data, res, total)
    if noam is not None:
        if W == 0:
            raise ctx.error(("noam",), "the noam schedule needs a warmup length",
                            "add warmup: {shape: linear, length: 4000}")
        peak = noam["scale"] * noam["d_model"] ** -0.5 * W ** -0.5
        res.peak = peak
    assert peak is not None
    phases: list[Phase] = []
    if W:
        params: dict[str, Any] = {}
        start = (res.rate(wblock["start_lr"], ("warmup", "start_lr"))
                 if "start_lr" in wblock else 0.0)
        if start > peak:
            raise ctx.error(("warmup", "start_lr"),
                            f"the warmup starts at {start:g}, above the peak {peak:g}")
        if wblock.get("skip_zero") is not None:
            params["skip_zero"] = res.flag(wblock["skip_zero"], ("warmup", "skip_zero"))
        if wshape == "exponential":
            params["tau"] = (res.positive(wblock["tau"], ("warmup", "tau"), "a time constant")
                             if "tau" in wblock else W / 5.0)
        if wshape == "polynomial":
            params["power"] = (res.positive(wblock["power"], ("warmup", "power"), "a power")
                               if "power" in wblock else 2.0)
        phases.append(Phase(wshape, 0, W, start, peak, MappingProxyType(params), "warmup"))
    rest = total - W
    raw = data.get("decay")
    if raw is None:
        raw = {"shape": "inverse_sqrt"} if noam is not None else {"shape": "constant"}
    path = ("decay",)
    block = _mapping(ctx, _bare_shape(raw), path, "the decay block")
    shape = _shape(ctx, block, path, DECAY_SHAPES)
    allowed = ("shape",) + DECAY_KEYS[shape]
    all_decay_keys = {k for v in DECAY_KEYS.values() for k in v}
    for key in block:
        if key not in allowed and key in all_decay_keys:
            raise ctx.error(path + (key,), f"'{key}' does not apply to a {shape} decay",
                            "it is used by: " + ", ".join(
                                s for s, ks in DECAY_KEYS.items() if key in ks))
    _check_keys(ctx, block, allowed, path)
    horizon = res.length(block["length"], path + ("length",)) if "length" in block else rest
    final = res.rate(block["final_lr"], path + ("final_lr",)) if "final_lr" in block else 0.0
    if final > peak:
        raise ctx.error(path + ("final_lr",),
                        f"the final rate {final:g} is above the peak {peak:g}",
                        "final_lr is where the decay ends; write e.g. 10% of the peak")
    params = _shape_params(ctx, res, shape, block, path, horizon, total, W)
    if shape == "constant":
        phase = Phase("constant", W, rest, peak, peak, MappingProxyType({}), "decay")
    elif shape in ("step",):
        phase = Phase(shape, W, rest, peak, peak, params, "decay")
    else:
        b = final
        if shape == "exponential":
            params = MappingProxyType({**params, "floor": "final_lr" in block})
        phase = Phase(shape, W, horizon, peak, b, params, "decay")
    phases.append(phase)
    if phase.end < total:
        hold = phase.end_value()
        phases.append(Phase("constant", phase.end, total - phase.end, hold, hold,
                            MappingProxyType({}), "hold"))
    info = {
        "peak_lr": peak,
        "warmup_steps": W,
        "warmup_shape": wshape,
        "decay_shape": shape,
        "decay_end": phase.end if shape not in ("constant", "step") else None,
        "noam": noam,
    }
    return phases, info


def _shape_params(
    ctx: _Ctx, res: _Resolver, shape: str, block: Mapping[str, Any], path: tuple[Any, ...],
    horizon: int, total: int, phase_start: int,
) -> Mapping[str, Any]:
    """Validated shape parameters shared by the decay block and explicit phases."""
    params: dict[str, Any] = {}
    if "skip_zero" in block:
        params["skip_zero"] = res.flag(block["skip_zero"], path + ("skip_zero",))
    if shape == "polynomial":
        params["power"] = (res.positive(block["power"], path + ("power",), "a power")
                           if "power" in block else 1.0)
    elif shape == "inverse_sqrt":
        if "timescale" in block:
            params["timescale"] = res.length(block["timescale"], path + ("timescale",))
        else:
            params["timescale"] = phase_start if phase_start > 0 else DEFAULT_TIMESCALE
    elif shape == "step":
        ms = block.get("milestones")
        if ms is None:
            raise ctx.error(path, "missing key 'milestones'",
                            "e.g. milestones: [30ep, 60ep, 80ep] or [80%, 90%]")
        if not isinstance(ms, list) or not ms:
            raise ctx.error(path + ("milestones",),
                            f"expected a list of positions, got {_kind(ms)}")
        steps = []
        for i, m in enumerate(ms):
            s = res.length(m, path + ("milestones", i))
            if s >= total:
                raise ctx.error(path + ("milestones", i),
                                f"milestone {m!r} is step {s:,}, past the end of the run "
                                f"({total:,} steps)", "milestones are positions in the whole run")
            steps.append(s)
        params["milestones"] = tuple(sorted(steps))
        params["gamma"] = (res.positive(block["gamma"], path + ("gamma",), "a factor")
                           if "gamma" in block else 0.1)
    elif shape == "exponential":
        if "gamma" in block:
            params["gamma"] = res.positive(block["gamma"], path + ("gamma",), "a factor per step")
            params["every"] = (res.length(block["every"], path + ("every",))
                               if "every" in block else 1)
        elif "tau" in block:
            params["tau"] = res.positive(block["tau"], path + ("tau",), "a time constant")
        elif path[0] == "decay":
            raise ctx.error(path, "missing key 'gamma'",
                            "the factor per step, e.g. gamma: 0.9999 (or gamma and every)")
    elif shape == "wsd":
        cool_raw = block.get("cooldown", DEFAULT_COOLDOWN)
        cool = res.length(cool_raw, path + ("cooldown",))
        if cool > horizon:
            raise ctx.error(path + ("cooldown",),
                            f"the cooldown ({cool:,} steps) is longer than the phase "
                            f"({horizon:,} steps)")
        params["cooldown"] = cool
        cs = block.get("cooldown_shape", DEFAULT_COOLDOWN_SHAPE)
        if cs not in COOLDOWN_SHAPES:
            raise ctx.error(path + ("cooldown_shape",), f"unknown cooldown shape {cs!r}",
                            suggest(str(cs), COOLDOWN_SHAPES) or "one of: linear, cosine, 1-sqrt")
        params["cooldown_shape"] = cs
    elif shape == "cosine_restarts":
        if "cycles" in block and "period" in block:
            raise ctx.error(path + ("cycles",), "give period or cycles, not both")
        if "cycles" in block:
            c = block["cycles"]
            if isinstance(c, bool) or not isinstance(c, int) or c < 1:
                raise ctx.error(path + ("cycles",), f"expected a whole number ≥ 1, got {c!r}")
            params["cycles"] = c
            if "period_mult" in block:
                raise ctx.error(path + ("period_mult",), "period_mult needs period, not cycles")
        else:
            if "period" not in block:
                raise ctx.error(path, "missing key 'period' (or 'cycles')",
                                "e.g. period: 10k, or cycles: 4")
            params["period"] = res.length(block["period"], path + ("period",))
            mult = block.get("period_mult", 1.0)
            params["period_mult"] = res.positive(mult, path + ("period_mult",), "a multiplier")
            if params["period_mult"] < 1:
                raise ctx.error(path + ("period_mult",), f"expected a multiplier ≥ 1, got {mult!r}")
        if "cycle_decay" in block:
            params["cycle_decay"] = res.positive(block["cycle_decay"], path + ("cycle_decay",),
                                                 "a factor per cycle", upper=1.0)
    return MappingProxyType(params)


def _compile_phases(
    ctx: _Ctx, raw: Any, total: int, units: Units, peak: float | None,
) -> tuple[list[Phase], dict[str, Any]]:
    path = ("phases",)
    if not isinstance(raw, list) or not raw:
        got = "an empty list" if isinstance(raw, list) else _kind(raw)
        raise ctx.error(path, f"expected a list of phases, got {got}",
                        "e.g. phases: [{shape: linear, length: 2000, from: 0, to: 3.0e-4}, ...]")
    res = _Resolver(ctx, units, peak)
    blocks: list[Mapping[str, Any]] = []
    shapes: list[str] = []
    lengths: list[int | None] = []
    for i, item in enumerate(raw):
        ip = path + (i,)
        block = _mapping(ctx, item, ip, "a phase")
        shape = _shape(ctx, block, ip, PHASE_SHAPES)
        _check_keys(ctx, block, PHASE_COMMON_KEYS + PHASE_KEYS[shape],
                    ip, f" for a {shape} phase")
        if "length" not in block:
            raise ctx.error(ip, "missing key 'length'", "e.g. length: 2000, 10% or rest")
        if block["length"] == "rest":
            if None in lengths:
                raise ctx.error(ip + ("length",), "only one phase can have length 'rest'")
            lengths.append(None)
        else:
            lengths.append(res.length(block["length"], ip + ("length",)))
        blocks.append(block)
        shapes.append(shape)
    used = sum(n for n in lengths if n is not None)
    if used > total or (used == total and None in lengths):
        raise ctx.error(path, f"the phases add up to {used:,} steps, more than the run "
                        f"({total:,} steps)" if used > total else
                        "the phases leave nothing for the 'rest' phase",
                        "lengths are counted inside total")
    lengths = [n if n is not None else total - used for n in lengths]
    horizon = _horizon(ctx, res, blocks, lengths, total)
    phases: list[Phase] = []
    start = 0
    prev_end: float | None = peak
    for i, (block, shape, n) in enumerate(zip(blocks, shapes, lengths, strict=True)):
        ip = path + (i,)
        assert n is not None
        if "from" in block:
            a = res.rate(block["from"], ip + ("from",))
        elif prev_end is None:
            raise ctx.error(ip, "the first phase needs 'from' (or give peak_lr)",
                            "e.g. from: 0")
        else:
            a = prev_end
        b = res.rate(block["to"], ip + ("to",)) if "to" in block else a
        params = _shape_params(ctx, res, shape, block, ip, n, total, start)
        if shape == "exponential":
            if "gamma" not in params and "tau" not in params:
                params = MappingProxyType({**params, "tau": n / 5.0})
            if "gamma" in params:
                params = MappingProxyType({**params, "floor": "to" in block})
        if shape == "step":
            b = a
        formula_length = horizon if (horizon and i == len(blocks) - 1) else n
        ph = Phase(shape, start, formula_length, a, b, params, "phase")
        phases.append(ph)
        prev_end = ph.end_value()
        start += n
    if start < total:
        phases.append(Phase("constant", start, total - start, prev_end or 0.0, prev_end or 0.0,
                            MappingProxyType({}), "hold"))
    # The warmup is the leading run of phases that never fall (a flat start, such as DeepSpeed's
    # one-update lag, then one or more rises); it ends where the last of those rises ends.
    warm, wshape = 0, "none"
    for ph in phases:
        if ph.shape == "step" or ph.b < ph.a or ph.role == "hold":
            break
        if ph.b > ph.a:
            warm, wshape = min(ph.end, total), ph.shape
    declared = peak if peak is not None else max(max(p.a, p.b) for p in phases)
    info = {
        "peak_lr": declared,
        "warmup_steps": warm,
        "warmup_shape": wshape,
        "decay_shape": None,
        "decay_end": None,
        "noam": None,
    }
    return phases, info


def _horizon(ctx: _Ctx, res: _Resolver, blocks: list[Mapping[str, Any]],
             lengths: list[int | None], total: int) -> int | None:
    """``horizon`` on the last phase: its formula runs over more steps than the run has left, and
    the end of the run cuts it (a decay horizon longer than the run, in phases form)."""
    for i, block in enumerate(blocks):
        if "horizon" not in block:
            continue
        kp = ("phases", i, "horizon")
        if i != len(blocks) - 1:
            raise ctx.error(kp, "only the last phase can have a horizon",
                            "horizon is for a curve cut off by the end of the run")
        n = lengths[i]
        assert n is not None
        if sum(x or 0 for x in lengths) != total:
            raise ctx.error(kp, "a phase with a horizon must run to the end of the run",
                            "give it length: rest")
        h = res.length(block["horizon"], kp)
        if h < n:
            raise ctx.error(kp, f"the horizon ({h:,} steps) is shorter than the phase "
                            f"({n:,} steps)", "a horizon can only extend a phase past the run")
        return h
    return None


def _resolved(
    name: str | None, meta: Mapping[str, Any], total: int, peak: float, phases: list[Phase],
    training: Mapping[str, Any],
) -> dict[str, Any]:
    """The same schedule as an explicit-phases spec with every length in steps."""
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    for key in ("description", "source", "note"):
        if meta.get(key):
            out[key] = meta[key]
    out["total"] = total
    out["peak_lr"] = {"multiplier": peak} if meta.get("lr_multiplier") else peak
    items = []
    for ph in phases:
        item: dict[str, Any] = {"shape": ph.shape, "length": ph.length, "from": ph.a, "to": ph.b}
        for k, v in ph.params.items():
            if k == "floor":
                continue
            item[k] = list(v) if isinstance(v, tuple) else v
        if ph.shape in ("step",) or (ph.shape == "exponential" and "gamma" in ph.params
                                     and not ph.params.get("floor")):
            item.pop("to")
        items.append(item)
    if phases[-1].end > total:  # a curve cut off by the end of the run
        items[-1]["horizon"] = phases[-1].length
        items[-1]["length"] = total - phases[-1].start
    out["phases"] = items
    if training:
        out["training"] = dict(training)
    return out


def position(schedule: Schedule, text: str) -> int:
    """A step given as a length (``1000``, ``2k``, ``50%``, ``3ep``, ``375Mtok``) in a schedule's
    units, rounded up like every length. Raises UnitError."""
    length = parse_length(text)
    units = schedule.meta.get("units") or Units(total_steps=schedule.total_steps)
    return to_steps(length, units)


def default_spec() -> dict[str, Any]:
    """A copy of the built-in default spec (see :data:`DEFAULT_SPEC`)."""
    import copy

    return copy.deepcopy(DEFAULT_SPEC)


__all__ = ["parse", "position", "default_spec", "DEFAULT_SPEC", "Length"]
