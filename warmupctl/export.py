"""Step→rate exports: JSON, CSV and NPY, streamed chunk by chunk (CONTRACT §5); and the
trainer exports (``hf``, ``deepspeed``, ``megatron``, ``torch``, ``optax``, ``keras``), whose
per-target logic lives in :mod:`warmupctl.interop`.

Rates are written as the shortest text that reads back as the same float64 (Python's ``repr``),
so ``float(text) == rate`` bit for bit. The writers take a binary stream; opening files (atomically)
is the caller's job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import BinaryIO

import numpy as np

from .engine import Schedule

FORMAT_ID = "warmupctl.schedule/v1"
#: step→rate tables
FORMATS = ("json", "csv", "npy")
#: configs and code for trainers (warmupctl.interop): exact at every step or refused
TRAINER_FORMATS = ("hf", "deepspeed", "megatron", "torch", "optax", "keras")
ALL_FORMATS = FORMATS + TRAINER_FORMATS


def _floats(values: np.ndarray) -> str:
    return ",".join(map(repr, values.tolist()))


def _ints(values: np.ndarray) -> str:
    return ",".join(map(str, values.tolist()))


def write_json(schedule: Schedule, out: BinaryIO, every: int = 1) -> None:
    """``{"format", "name", "total_steps", "every", "spec", "step": [...], "lr": [...]}``."""
    head = {
        "format": FORMAT_ID,
        "name": schedule.name,
        "total_steps": schedule.total_steps,
        "every": every,
        "spec": schedule.spec,
    }
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1].encode() + b', "step": [')
    first = True
    for steps in schedule.sampled_steps(every):
        if not first:
            out.write(b",")
        out.write(_ints(steps).encode())
        first = False
    out.write(b'], "lr": [')
    first = True
    for _, rates in schedule.chunks(every):
        if not first:
            out.write(b",")
        out.write(_floats(rates).encode())
        first = False
    out.write(b"]}\n")


def write_csv(schedule: Schedule, out: BinaryIO, every: int = 1) -> None:
    """A ``step,lr`` header, then one row per exported step."""
    out.write(b"step,lr\n")
    for steps, rates in schedule.chunks(every):
        rows = "\n".join(f"{s},{r!r}" for s, r in zip(steps.tolist(), rates.tolist(), strict=True))
        out.write(rows.encode() + b"\n")


def npy_length(schedule: Schedule, every: int = 1) -> int:
    n = schedule.total_steps
    count = (n - 1) // every + 1
    return count + (1 if (n - 1) % every else 0)


def write_npy(schedule: Schedule, out: BinaryIO, every: int = 1) -> None:
    """A little-endian float64 ``.npy`` array of the exported rates (every step by default)."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (npy_length(schedule, every),)}
    np.lib.format.write_array_header_1_0(out, header)
    for _, rates in schedule.chunks(every):
        out.write(rates.astype("<f8", copy=False).tobytes())


WRITERS: dict[str, Callable[[Schedule, BinaryIO, int], None]] = {
    "json": write_json,
    "csv": write_csv,
    "npy": write_npy,
}


def write_target(schedule: Schedule, out: BinaryIO, target: str, approximate: bool = False):
    """Write the trainer export for ``target``; returns the :class:`warmupctl.interop.Exported`
    (raises ``NotExpressible`` — exit code 2 — when the target is not exact and ``approximate``
    is not set; nothing is written then)."""
    from . import interop

    exported = interop.export(schedule, target, approximate=approximate)
    out.write(exported.text.encode())
    return exported
