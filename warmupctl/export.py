"""Step→rate exports: JSON, CSV and NPY, streamed chunk by chunk (docs/cli.md, export); and the
trainer exports (``hf``, ``deepspeed``, ``megatron``, ``torch``, ``optax``, ``keras``), whose
per-target logic lives in :mod:`warmupctl.interop`.

Rates are written as the shortest text that reads back as the same float64 (orjson's float
formatting, the same digits as Python's ``repr``), so ``float(text) == rate`` bit for bit. The
writers take a binary stream; opening files (atomically) is the caller's job.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
import orjson

from .engine import Schedule

FORMAT_ID = "warmupctl.schedule/v1"
#: step→rate tables
FORMATS = ("json", "csv", "npy")
#: configs and code for trainers (warmupctl.interop): exact at every step or refused
TRAINER_FORMATS = ("hf", "deepspeed", "megatron", "torch", "optax", "keras")
ALL_FORMATS = FORMATS + TRAINER_FORMATS


Progress = Callable[[int], None]

#: CSV rows formatted at once (each row is a Python object while it is built)
CSV_ROWS = 1 << 16


def _json_array(values: np.ndarray) -> bytes:
    """``a,b,c`` (no brackets): orjson writes each float64 as its shortest round-trip text."""
    return orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1]


def _contiguous(arr: np.ndarray, dtype: str) -> np.ndarray:
    return np.ascontiguousarray(arr, dtype=dtype)


def rows(schedule: Schedule, every: int = 1) -> int:
    """How many steps an export with ``--every`` writes (the last step is always included)."""
    n = schedule.total_steps
    count = (n - 1) // every + 1
    return count + (1 if (n - 1) % every else 0)


def write_json(schedule: Schedule, out: BinaryIO, every: int = 1,
               progress: Progress | None = None) -> None:
    """``{"format", "name", "total_steps", "every", "spec", "step": [...], "lr": [...]}``."""
    head = {
        "format": FORMAT_ID,
        "name": schedule.name,
        "total_steps": schedule.total_steps,
        "every": every,
        "spec": schedule.spec,
    }
    if schedule.meta.get("lr_multiplier"):  # `peak_lr: {multiplier: X}` (docs/spec.md)
        head["lr_is_multiplier"] = True
    text = json.dumps(head, ensure_ascii=False)
    out.write(text[:-1].encode() + b', "step": [')
    sep = b""
    for steps in schedule.sampled_steps(every):
        out.write(sep + _json_array(_contiguous(steps, "<i8")))
        sep = b","
    out.write(b'], "lr": [')
    sep = b""
    for steps, rates in schedule.chunks(every):
        out.write(sep + _json_array(_contiguous(rates, "<f8")))
        sep = b","
        if progress:
            progress(steps.size)
    out.write(b"]}\n")


def write_csv(schedule: Schedule, out: BinaryIO, every: int = 1,
              progress: Progress | None = None) -> None:
    """A ``step,lr`` header (``step,lr_multiplier`` when the spec's rates are multipliers), then
    one row per exported step."""
    out.write(b"step,lr_multiplier\n" if schedule.meta.get("lr_multiplier") else b"step,lr\n")
    for steps, rates in schedule.chunks(every):
        # rows are built as Python bytes objects: a few at a time keeps memory flat
        for i in range(0, steps.size, CSV_ROWS):
            left = _json_array(_contiguous(steps[i : i + CSV_ROWS], "<i8")).split(b",")
            right = _json_array(_contiguous(rates[i : i + CSV_ROWS], "<f8")).split(b",")
            out.write(b"\n".join(map(b",".join, zip(left, right, strict=True))) + b"\n")
        if progress:
            progress(steps.size)


def write_npy(schedule: Schedule, out: BinaryIO, every: int = 1,
              progress: Progress | None = None) -> None:
    """A little-endian float64 ``.npy`` array of the exported rates (every step by default)."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (rows(schedule, every),)}
    np.lib.format.write_array_header_1_0(out, header)
    for steps, rates in schedule.chunks(every):
        out.write(rates.astype("<f8", copy=False).tobytes())
        if progress:
            progress(steps.size)


#: rough bytes per row, to warn before writing something absurd: npy 8; the text formats carry
#: the step number (up to 16 digits) and a shortest-round-trip float (up to 24 characters)
def estimated_bytes(schedule: Schedule, fmt: str, every: int = 1) -> int:
    n_rows = rows(schedule, every)
    if fmt == "npy":
        return 128 + 8 * n_rows
    step_digits = len(str(schedule.total_steps))
    return 200 + n_rows * (step_digits + 23)


WRITERS: dict[str, Callable[..., None]] = {
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
