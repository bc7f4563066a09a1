"""Shared pieces of the adapters: the whole curve as an array, and (de)serialising a schedule."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from ..engine import Phase, Schedule

#: refuse to precompute tables larger than this many steps (4 GB in float64)
MAX_TABLE = 1 << 29


def table(schedule: Schedule) -> np.ndarray:
    """Every rate of the run, float64 (chunked evaluation)."""
    if schedule.total_steps > MAX_TABLE:
        from ..errors import WarmupctlError

        raise WarmupctlError(f"{schedule.total_steps:,} steps is too long to precompute a table "
                             f"(limit {MAX_TABLE:,}); use warmupctl.integrations.torch, or "
                             "`warmupctl export -f optax|keras` for a closed form")
    out = np.empty(schedule.total_steps, dtype=np.float64)
    for steps, rates in schedule.chunks():
        out[steps] = rates
    return out


def to_dict(schedule: Schedule) -> dict[str, Any]:
    """The engine phases as plain data (reloads exactly, even a decay cut by the end of the run,
    which the spec format cannot express in ``phases`` form)."""
    return {
        "total_steps": schedule.total_steps,
        "name": schedule.name,
        "phases": [
            {"shape": ph.shape, "start": ph.start, "length": ph.length, "a": ph.a, "b": ph.b,
             "role": ph.role,
             "params": {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in ph.params.items()}}
            for ph in schedule.phases
        ],
    }


def from_dict(data: Mapping[str, Any]) -> Schedule:
    phases = []
    for item in data["phases"]:
        params = {k: (tuple(v) if isinstance(v, list) else v)
                  for k, v in dict(item.get("params") or {}).items()}
        phases.append(Phase(str(item["shape"]), int(item["start"]), int(item["length"]),
                            float(item["a"]), float(item["b"]), MappingProxyType(params),
                            str(item.get("role", "phase"))))
    return Schedule(int(data["total_steps"]), phases, name=data.get("name"))


def peak(schedule: Schedule) -> float:
    """The highest rate of the schedule's formulas: the base every ratio refers to."""
    return max(max(ph.a, ph.b) for ph in schedule.phases)


def check_step(step: Any, total: int) -> None:
    """The out-of-range rule (docs/spec.md) for a step given as a Python or NumPy number: a
    negative or fractional step raises ValueError. Tensors and traced values are not inspected
    (that would stall the device); the adapters clip them to the run."""
    if not (isinstance(step, (int, float)) or type(step).__module__ == "numpy"):
        return
    try:
        arr = np.asarray(step, dtype=np.float64)
        bad = bool(np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.floor(arr)))
    except (TypeError, ValueError):
        bad = True
    if bad:
        shown = repr(step)
        shown = shown if len(shown) <= 80 else shown[:79] + "…"
        raise ValueError(f"a step is a whole number from 0 to {total - 1:,} (steps after "
                         f"{total - 1:,} hold the last rate), got {shown}")
