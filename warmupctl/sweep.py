"""Sweeps: one spec drawn several times with one key varied (``--sweep warmup=0.5%,1%,2%``).

Part of the I/O edge like :mod:`warmupctl.loading`: it reads the spec once and builds one
:class:`~warmupctl.engine.Schedule` per value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .engine import Schedule
from .errors import WarmupctlError, suggest
from .loading import load, load_data
from .spec import default_spec

#: what --sweep can vary, and how each value is written into the spec
SWEEP_KEYS = {
    "warmup": "the warmup length (its shape is kept)",
    "peak_lr": "the peak learning rate",
    "total": "the training length",
    "final_lr": "the final rate of the decay",
}
MAX_SWEEP = 12


def parse_sweep(text: str) -> tuple[str, list[str]]:
    """``warmup=0.5%,1%,2%`` → ("warmup", ["0.5%", "1%", "2%"])."""
    key, sep, rest = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise WarmupctlError(
            f"--sweep needs KEY=V1,V2,…, e.g. --sweep warmup=0.5%,1%,2%,5% (got {text!r})"
        )
    if key not in SWEEP_KEYS:
        hint = suggest(key, SWEEP_KEYS)
        raise WarmupctlError(
            f"--sweep cannot vary {key!r}" + (f" ({hint})" if hint else "")
            + f"; it varies {', '.join(SWEEP_KEYS)}"
        )
    values = [v.strip() for v in rest.split(",")]
    if not values or any(not v for v in values):
        raise WarmupctlError(f"--sweep {key}= needs a comma-separated list of values "
                             f"without gaps (got {rest!r})")
    if len(values) > MAX_SWEEP:
        raise WarmupctlError(f"--sweep draws at most {MAX_SWEEP} curves (got {len(values)})")
    return key, values


def _swept(base: Mapping[str, Any], key: str, value: str, notes: list[str]) -> dict[str, Any]:
    data = dict(base)
    if key in ("warmup", "final_lr") and data.get("phases") is not None:
        raise WarmupctlError(f"--sweep {key} needs a spec with warmup/decay blocks; this one "
                             "lists explicit phases (edit the phase lengths instead)")
    if key == "warmup" and value.strip().lower() in ("0", "0%", "none"):
        data["warmup"] = {"shape": "none"}  # the no-warmup baseline of a sweep
    elif key == "warmup":
        block = data.get("warmup")
        if not isinstance(block, Mapping) or block.get("shape") in (None, "none"):
            note = "the spec has no warmup: the sweep draws a linear warmup"
            if note not in notes:
                notes.append(note)
            block = {"shape": "linear"}
        data["warmup"] = {**block, "length": value}
    elif key == "peak_lr":
        data["peak_lr"] = value
        data.pop("noam", None)
    elif key == "total":
        data["total"] = value
    elif key == "final_lr":
        block = data.get("decay")
        block = dict(block) if isinstance(block, Mapping) else {"shape": "cosine"}
        block["final_lr"] = value
        data["decay"] = block
    return data


def sweep(spec: str | None, overrides: Mapping[str, tuple[str, Any]], key: str,
          values: list[str]) -> tuple[list[tuple[str, Schedule]], dict[str, Any], list[str]]:
    """``(label, schedule)`` for each value of ``key`` on one spec (``None``: the built-in
    default), the spec as read (with the overrides applied), and notices for the user."""
    notes: list[str] = []
    if spec is None:
        notes.append("no SPEC given: sweeping the built-in default schedule")
        data: Any = default_spec()
    else:
        data, _, _ = load_data(spec)
    if not isinstance(data, Mapping):
        load(data)  # the parser reports the bad top level
    base = dict(data)
    for k, (_flag, value) in overrides.items():
        if value is None:
            base.pop(k, None)
        else:
            base[k] = value
    out = []
    for value in values:
        try:
            schedule = load(_swept(base, key, value, notes))
        except WarmupctlError as exc:
            raise WarmupctlError(f"--sweep {key}={value}: {exc}") from None
        out.append((f"{key} {value}", schedule))
    return out, base, notes
