"""A JSON Schema (draft 2020-12) of the spec, for editors and CI.

Pure: builds a dict, never reads or writes files. The keys, shapes and which keys each shape takes
come from the parser's own tables in :mod:`warmupctl.spec` (``TOP_KEYS``, ``WARMUP_KEYS``,
``DECAY_KEYS``, ``PHASE_KEYS``, ``PHASE_COMMON_KEYS``, ``NOAM_KEYS``, ``TRAINING_KEYS``, the shape
lists, ``REGIMES``, ``ARCHITECTURES``, ``COOLDOWN_SHAPES``); the patterns of lengths, counts and
rates from the units of :mod:`warmupctl.units`. So a key or shape the parser learns is in the
schema too; one without a description here gets a placeholder, and ``schema(strict=True)`` —
what the tests call — raises for it.

What the schema checks is structure: unknown keys (per shape), wrong types, unknown shapes,
missing required keys, keys that exclude each other. What it cannot see — a warmup longer than
the run, a final rate above the peak, a length in epochs without ``steps_per_epoch`` — is left to
``warmupctl validate`` / the parser, which name the line and the fix.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import spec as S
from .units import SUFFIXES, UNIT_ALIASES

SCHEMA_ID = "urn:warmupctl:schema:spec:v1"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# --------------------------------------------------------------------------------------------
# Value patterns (ECMA 262 regexes, as JSON Schema uses; no inline flags)
# --------------------------------------------------------------------------------------------

_NUM = (r"(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?"
        r"|\.[0-9][0-9_]*(?:[eE][+-]?[0-9]+)?)")
_SUFFIX = "[" + "".join(k for k in SUFFIXES if k) + "]"


def _nocase(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_UNITS = "|".join(_nocase(u) for u in sorted(UNIT_ALIASES, key=len, reverse=True)
                  if u and u != "%")
#: a length: steps, k/M/B/T, %, epochs, tokens, samples (warmupctl.units.parse_length)
LENGTH_PATTERN = (rf"^\s*(?:{_NUM}\s*%|{_NUM}\s*{_SUFFIX}?\s*(?:{_UNITS})?)\s*$")
#: a count with an optional k/M/B/T suffix (warmupctl.units.parse_count)
COUNT_PATTERN = rf"^\s*{_NUM}\s*{_SUFFIX}?\s*(?:tokens|tok|samples)?\s*$"
#: a rate: a number or N% of the peak (warmupctl.units.parse_rate)
RATE_PATTERN = (r"^\s*[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
                r"\s*%?\s*$")
#: a number written as text (what Python's float() reads, without inf/nan)
NUMBER_PATTERN = r"^\s*[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?\s*$"

LENGTH = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": LENGTH_PATTERN}]}
COUNT = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": COUNT_PATTERN}]}
RATE = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": RATE_PATTERN}]}
NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": NUMBER_PATTERN}]}
FLAG = {"type": "boolean"}
TEXT = {"type": ["string", "number", "null"]}

# --------------------------------------------------------------------------------------------
# What each key means: (description, example, value schema). Context-specific entries
# ("decay.length") win over plain ones ("length").
# --------------------------------------------------------------------------------------------

KEYS: dict[str, tuple[str, Any, dict[str, Any]]] = {
    "name": ("A short name for the schedule (labels plots and JSON).", "gpt3-small", TEXT),
    "description": ("One line describing the run.", "GPT-3 Small (125M) pretraining", TEXT),
    "source": ("Where the recipe comes from: paper, section, table (required for presets).",
               "Brown et al. 2020, arXiv:2005.14165, Table 2.1", TEXT),
    "note": ("Remarks: numbers the source does not state, choices made.",
             "the source gives no warmup shape; linear assumed", TEXT),
    "total": ("Training length, warmup included: steps (100k), epochs (90ep), tokens "
              "(300B tokens) or samples; never a percentage.", "100k", LENGTH),
    "tokens_per_step": ("Tokens per optimizer step (after gradient accumulation, over all "
                        "devices); needed for lengths in tokens.", "0.5M", COUNT),
    "steps_per_epoch": ("Optimizer steps per epoch; needed for lengths in epochs.", 5005, COUNT),
    "peak_lr": ("The peak learning rate (required unless noam or phases is given), or "
                "{multiplier: X} for a curve of multiples of a rate set elsewhere (trainer "
                "exports refuse it).", 3.0e-4,
                {"anyOf": [RATE, {"type": "object", "properties": {"multiplier": NUMBER},
                                  "required": ["multiplier"], "additionalProperties": False}]}),
    "noam": ("The Transformer schedule's peak: scale·d_model^-0.5·warmup^-0.5 (Vaswani et al. "
             "2017, Eq. 3); instead of peak_lr, needs a warmup.", {"d_model": 512}, {}),
    "warmup": ("The warmup block (or `none`); absent: the run starts at the peak.",
               {"shape": "linear", "length": "2%"}, {}),
    "decay": ("The decay block after the warmup, or a bare shape name whose defaults complete "
              "it (`cosine`); absent: constant at the peak.",
              {"shape": "cosine", "final_lr": "10%"}, {}),
    "phases": ("An explicit list of phases instead of warmup/decay (full control: re-warmup, "
               "one-cycle, multi-step).",
               [{"shape": "linear", "length": 2000, "from": 0, "to": 3.0e-4},
                {"shape": "cosine", "length": "rest", "to": "10%"}], {}),
    "training": ("Context for validate and recommend: optimizer, betas, batch size…",
                 {"optimizer": "adamw", "beta2": 0.95, "batch_size": 512}, {}),
    # noam
    "d_model": ("The model width d_model of the Noam schedule.", 512, NUMBER),
    "scale": ("A factor on the Noam peak (default 1.0).", 2.0, NUMBER),
    # shared by blocks and phases
    "shape": ("The shape of this part of the schedule.", "linear", {}),
    "length": ("How long this part lasts: steps, % of total, epochs, tokens or samples.",
               2000, LENGTH),
    "warmup.length": ("The warmup length, counted inside total.", "2%", LENGTH),
    "decay.length": ("The decay horizon; default: the rest of the run. After it the rate holds "
                     "final_lr; longer than the rest gives a truncated curve.", "260B tokens",
                     LENGTH),
    "phases.length": ("The phase length, or 'rest' for what is left of the run (one phase).",
                      "rest", {"anyOf": [{"const": "rest"}, LENGTH]}),
    "start_lr": ("The rate the warmup starts from (default 0); for a constant warmup, the low "
                 "rate held during it.", 0, RATE),
    "skip_zero": ("true: the first step already gets a non-zero rate (progress (t+1−s)/L; the "
                  "peak is first used at T_w − 1, as HF cosine_warmup_with_min_lr).", True, FLAG),
    "tau": ("Exponential warmup time constant in steps (default length/5): "
            "a + (b − a)(1 − e^(−t/τ)).", 100, NUMBER),
    "power": ("The exponent of a polynomial shape.", 2.0, NUMBER),
    "final_lr": ("Where the decay ends: an absolute rate or % of the peak.", "10%", RATE),
    "timescale": ("inverse_sqrt: the timescale c of peak·sqrt(c/(t − s + c)) (default: the "
                  "warmup length, or 10,000 without one, as HF).", 4000, LENGTH),
    "milestones": ("step: positions in the whole run where the rate is multiplied by gamma.",
                   ["30ep", "60ep", "80ep"],
                   {"type": "array", "minItems": 1, "items": LENGTH}),
    "gamma": ("The factor per milestone (step) or per step / per `every` steps (exponential).",
              0.1, NUMBER),
    "every": ("exponential: apply gamma once per this many steps (default 1).", 1000, LENGTH),
    "cooldown": ("wsd: the cooldown length at the end (default 20%); the rest is stable at the "
                 "peak.", "20%", LENGTH),
    "cooldown_shape": ("wsd: the shape of the cooldown (default 1-sqrt, Hägele et al. 2024).",
                       "1-sqrt", {"enum": list(S.COOLDOWN_SHAPES)}),
    "period": ("cosine_restarts: the length of the first cycle.", "10k", LENGTH),
    "period_mult": ("cosine_restarts: each cycle is this many times longer than the last "
                    "(≥ 1).", 2.0, NUMBER),
    "cycle_decay": ("cosine_restarts: each cycle's top is this factor (≤ 1) of the last one's.",
                    0.5, NUMBER),
    "cycles": ("cosine_restarts: this many equal cycles over the decay (as HF "
               "cosine_with_restarts); instead of period.", 4, {"type": "integer", "minimum": 1}),
    "from": ("The rate at the start of the phase (default: where the previous phase ended).",
             0, RATE),
    "to": ("The rate the phase heads to (default: its start rate).", 3.0e-4, RATE),
    "horizon": ("Last phase only: the formula's length when it runs past the end of the run "
                "(the curve is cut off).", "120k", LENGTH),
    # training
    "regime": ("pretrain or finetune.", "pretrain", {"enum": list(S.REGIMES)}),
    "optimizer": ("The optimizer's name (any spelling; validate names the closest known).",
                  "adamw", {"type": "string", "pattern": r"\S"}),
    "beta1": ("Adam's β1 (or Lion's).", 0.9, NUMBER),
    "beta2": ("Adam's β2.", 0.95, NUMBER),
    "eps": ("Adam's ε.", 1e-8, NUMBER),
    "momentum": ("SGD momentum.", 0.9, NUMBER),
    "weight_decay": ("Weight decay.", 0.1, NUMBER),
    "grad_clip": ("Gradient clipping norm.", 1.0, NUMBER),
    "batch_size": ("Sequences or images per optimizer step (after accumulation, all devices).",
                   512, COUNT),
    "seq_len": ("Tokens per sequence; tokens_per_step = batch_size × seq_len when not given.",
                2048, COUNT),
    "fan_in": ("Inputs per weight row, for the predicted update sizes (default 768, GPT-2 "
               "small).", 768, {"type": "integer", "minimum": 2}),
    "init_std": ("The initial weights' standard deviation, for the predicted update sizes "
                 "(default 0.02, GPT-2 small).", 0.02, NUMBER),
    "architecture": ("pre-ln, post-ln or other (post-LN Transformers need a warmup).",
                     "pre-ln", {"enum": list(S.ARCHITECTURES)}),
}

SHAPES: dict[str, str] = {
    "linear": "linear: a + (b − a)·p",
    "constant": "constant: the start rate for the whole phase",
    "cosine": "cosine: half a cosine from a to b",
    "exponential": "exponential: 1 − e^(−t/τ) rising (tau), or a·gamma^t falling (gamma)",
    "polynomial": "polynomial: p^power rising, (1 − p)^power falling",
    "none": "none: no warmup, start at the peak",
    "inverse_sqrt": "inverse_sqrt: peak·sqrt(c / (t − s + c)), the Noam tail",
    "step": "step: ×gamma at each milestone",
    "wsd": "wsd: stable at the peak, then a cooldown to final_lr",
    "cosine_restarts": "cosine_restarts: cosine cycles with warm restarts (SGDR)",
}


#: the description given to a key or shape of the parser's tables that has none here
UNDESCRIBED = "(not described yet; see docs/spec.md)"


def _entry(context: str, key: str) -> tuple[str, Any, dict[str, Any]]:
    found = KEYS.get(f"{context}.{key}") or KEYS.get(key)
    if found is None:
        return (f"{context}.{key} {UNDESCRIBED}", None, {})
    return found


def _prop(context: str, key: str, override: dict[str, Any] | None = None) -> dict[str, Any]:
    text, example, value = _entry(context, key)
    out = dict(override if override is not None else value)
    out["description"] = text
    out["examples"] = [example]
    return out


def _shape_prop(context: str, shapes: tuple[str, ...]) -> dict[str, Any]:
    text = (f"The {context} shape: "
            + "; ".join(SHAPES.get(s, f"{s} {UNDESCRIBED}") for s in shapes) + ".")
    return {"enum": list(shapes), "description": text, "examples": [shapes[0]]}


def _shaped_block(context: str, shapes: tuple[str, ...], per_shape: dict[str, tuple[str, ...]],
                  common: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
    """An object whose allowed keys depend on its ``shape`` (``common`` + ``per_shape``)."""
    keys = list(dict.fromkeys(common + tuple(k for s in shapes for k in per_shape[s])))
    props: dict[str, Any] = {}
    for key in keys:
        props[key] = _shape_prop(context, shapes) if key == "shape" else _prop(context, key)
    rules = []
    for shape in shapes:
        allowed = list(dict.fromkeys(common + per_shape[shape]))
        rules.append({"if": {"properties": {"shape": {"const": shape}}, "required": ["shape"]},
                      "then": {"propertyNames": {"enum": allowed}}})
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False, "allOf": rules}


def _warmup() -> dict[str, Any]:
    block = _shaped_block("warmup", S.WARMUP_SHAPES, S.WARMUP_KEYS, ("shape", "length"),
                          ("shape",))
    # the parser reads a null skip_zero in a warmup as absent
    block["properties"]["skip_zero"]["type"] = ["boolean", "null"]
    # a 'none' warmup may only spell its length as nothing or 0
    block["allOf"].append({
        "if": {"properties": {"shape": {"const": "none"}}, "required": ["shape"]},
        "then": {"properties": {"length": {"enum": [None, 0, "0"]}}},
        "else": {"required": ["length"]},
    })
    return block


def _decay() -> dict[str, Any]:
    block = _shaped_block("decay", S.DECAY_SHAPES, S.DECAY_KEYS, ("shape",), ("shape",))
    _restarts_rules(block)
    return block


def _restarts_rules(block: dict[str, Any]) -> None:
    """cosine_restarts takes period or cycles, not both; period_mult needs period; step needs
    milestones; a decaying exponential needs gamma (decay block only: a phase may use tau)."""
    block["allOf"] += [
        {"not": {"required": ["period", "cycles"]}},
        {"if": {"required": ["cycles"]}, "then": {"not": {"required": ["period_mult"]}}},
        {"if": {"properties": {"shape": {"const": "cosine_restarts"}}, "required": ["shape"]},
         "then": {"anyOf": [{"required": ["period"]}, {"required": ["cycles"]}]}},
        {"if": {"properties": {"shape": {"const": "step"}}, "required": ["shape"]},
         "then": {"required": ["milestones"]}},
    ]


def _phase() -> dict[str, Any]:
    block = _shaped_block("phases", S.PHASE_SHAPES, S.PHASE_KEYS, S.PHASE_COMMON_KEYS,
                          ("shape", "length"))
    _restarts_rules(block)
    return block


def _simple_block(context: str, keys: tuple[str, ...], required: tuple[str, ...] = ()
                  ) -> dict[str, Any]:
    return {"type": "object", "properties": {k: _prop(context, k) for k in keys},
            "required": list(required), "additionalProperties": False}


def _nullable(block: dict[str, Any], context: str, *bare: str) -> dict[str, Any]:
    """``block`` or null; ``bare`` shape names may also stand alone (``warmup: none``)."""
    text, example, _ = _entry("", context)
    options = [block, {"type": "null"}] + ([{"enum": list(bare)}] if bare else [])
    return {"anyOf": options, "description": text, "examples": [example]}


#: decay shapes that need a key besides ``shape`` (so are not complete as a bare name)
_DECAY_NEEDS_MORE = ("exponential", "step", "cosine_restarts")


def schema(strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of a spec (draft 2020-12). ``strict``: raise :class:`KeyError` for a key
    or shape of the parser's tables that has no description here (the tests use it; without it
    such a key gets a placeholder description and accepts any value)."""
    out = _schema()
    text = json.dumps(out, ensure_ascii=False)
    if strict and UNDESCRIBED in text:
        names = sorted(set(re.findall(r"([\w.'-]+) " + re.escape(UNDESCRIBED), text)))
        raise KeyError(f"warmupctl.schema has no description of {', '.join(names)}: add one to "
                       "KEYS or SHAPES")
    return out


def _schema() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for key in S.TOP_KEYS:
        if key == "warmup":
            props[key] = _nullable(_warmup(), key, "none")
        elif key == "decay":
            decay = _decay()
            decay["allOf"].append({
                "if": {"properties": {"shape": {"const": "exponential"}},
                       "required": ["shape"]},
                "then": {"required": ["gamma"]}})
            props[key] = _nullable(decay, key, *(shape for shape in S.DECAY_SHAPES
                                                 if shape not in _DECAY_NEEDS_MORE))
        elif key == "phases":
            text, example, _ = _entry("", key)
            props[key] = {"anyOf": [{"type": "array", "minItems": 1, "items": _phase()},
                                    {"type": "null"}],
                          "description": text, "examples": [example]}
        elif key == "noam":
            props[key] = _nullable(_simple_block("noam", S.NOAM_KEYS, ("d_model",)), key)
        elif key == "training":
            props[key] = _nullable(_simple_block("training", S.TRAINING_KEYS), key)
        elif key == "total":
            props[key] = _prop("", key)
        else:
            text, example, value = _entry("", key)
            nullable = dict(value)
            if "anyOf" in nullable:
                nullable = {"anyOf": [*nullable["anyOf"], {"type": "null"}]}
            props[key] = {**nullable, "description": text, "examples": [example]}

    def present(key: str, kind: str | list[str]) -> dict[str, Any]:
        return {"properties": {key: {"type": kind}}, "required": [key]}

    not_null = ["object", "array", "string", "number", "boolean"]
    return {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "warmupctl schedule spec",
        "description": "A learning-rate schedule with warmup for warmupctl (docs/spec.md). "
                       "Steps are numbered 0 … N−1; lr(t) is the rate of optimizer step t.",
        "type": "object",
        "properties": props,
        "required": ["total"],
        "additionalProperties": False,
        "allOf": [
            # total must be given (null is 'missing')
            {"properties": {"total": {"not": {"type": "null"}}}},
            # peak_lr or noam, not both
            {"not": {"allOf": [present("peak_lr", not_null), present("noam", not_null)]}},
            # phases replace warmup, decay and noam
            {"if": present("phases", "array"),
             "then": {"properties": {"warmup": {"type": "null"}, "decay": {"type": "null"},
                                     "noam": {"type": "null"}}}},
            # phases without a peak: the first phase says where it starts
            {"if": {"allOf": [present("phases", "array"),
                              {"not": present("peak_lr", not_null)}]},
             "then": {"properties": {"phases": {"prefixItems": [{"required": ["from"]}]}}}},
            # without phases, a peak is needed
            {"anyOf": [present("phases", "array"), present("peak_lr", not_null),
                       present("noam", "object")]},
        ],
        "examples": [dict(S.DEFAULT_SPEC)],
    }


__all__ = ["schema", "LENGTH_PATTERN", "COUNT_PATTERN", "RATE_PATTERN", "KEYS", "SHAPES"]
