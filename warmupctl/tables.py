"""Tables of rates as ``warmupctl diff`` reads them: the ``json``/``csv``/``npy`` exports
(docs/cli.md, export), or the rates a trainer logged — one rate per step ``0 … N−1``.

Pure: bytes in, a float64 array out; sizes are bounded before anything is parsed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import WarmupctlError

TABLE_FORMATS = ("json", "csv", "npy")
#: the largest table read (bytes): 2^26 float64 rates as npy are 512 MiB
MAX_TABLE_BYTES = 1 << 30
#: the largest json or csv table read (bytes; about 3 million rows; use npy for more)
MAX_TEXT_TABLE_BYTES = 1 << 26
#: the most rates a table may hold
MAX_TABLE_STEPS = 1 << 26


def _rates(values: Any, origin: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise WarmupctlError(f"{origin}: the rates must be numbers") from None
    if arr.ndim != 1 or arr.size == 0:
        raise WarmupctlError(f"{origin}: expected one rate per step (a list of numbers), "
                             f"got {'nothing' if arr.size == 0 else f'{arr.ndim} dimensions'}")
    if arr.size > MAX_TABLE_STEPS:
        raise WarmupctlError(f"{origin}: {arr.size:,} rates; tables are limited to "
                             f"{MAX_TABLE_STEPS:,} steps")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise WarmupctlError(f"{origin}: the rate of step {int(bad[0]):,} is {arr[bad[0]]!r}, "
                             "not a finite number")
    return arr


def _steps_ok(steps: Any, count: int, origin: str) -> None:
    arr = np.asarray(steps)
    if arr.shape != (count,):
        raise WarmupctlError(f"{origin}: 'step' and 'lr' must have the same length")
    if not np.array_equal(arr, np.arange(count)):
        raise WarmupctlError(f"{origin}: the steps must be 0, 1, 2, … with none left out "
                             "(an export written with --every K has gaps; write it with "
                             "--every 1)")


def read_table(fmt: str, raw: bytes, origin: str) -> np.ndarray:
    """The rate of every step from a ``json`` (``warmupctl.schedule/v1``, or a bare list of
    rates), ``csv`` (``step,lr`` rows, or one rate per line) or ``npy`` (a 1-D float array)
    table. Raises :class:`~warmupctl.errors.WarmupctlError` for anything else."""
    import io
    import json

    if len(raw) > MAX_TABLE_BYTES:
        raise WarmupctlError(f"{origin}: tables are limited to {MAX_TABLE_BYTES:,} bytes")
    if fmt == "npy":
        if not raw.startswith(b"\x93NUMPY"):
            raise WarmupctlError(f"{origin}: not a NumPy .npy file (it does not start with the "
                                 "\\x93NUMPY header)")
        try:
            arr = np.load(io.BytesIO(raw), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise WarmupctlError(f"{origin}: not a NumPy .npy array ({exc})") from None
        if arr.dtype.kind not in "fiu":
            raise WarmupctlError(f"{origin}: expected an array of numbers, got dtype {arr.dtype}")
        return _rates(arr, origin)
    if len(raw) > MAX_TEXT_TABLE_BYTES:
        raise WarmupctlError(f"{origin}: {fmt} tables are limited to {MAX_TEXT_TABLE_BYTES:,} "
                             "bytes (write longer runs with -f npy)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WarmupctlError(f"{origin}: not UTF-8 text") from None
    if fmt == "json":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise WarmupctlError(f"{origin}: not JSON ({exc})") from None
        if isinstance(data, dict):
            if "lr" not in data:
                raise WarmupctlError(f"{origin}: expected a warmupctl JSON export "
                                     "(with 'step' and 'lr') or a list of rates")
            rates = _rates(data["lr"], origin)
            if "step" in data:
                _steps_ok(data["step"], rates.size, origin)
            return rates
        return _rates(data, origin)
    if fmt == "csv":
        first = next((ln for ln in text.splitlines() if ln.strip()), None)
        if first is None:
            raise WarmupctlError(f"{origin}: the table is empty")
        header = [c.strip().lower() for c in first.split(",")]
        has_header = not _is_number(header[0])
        col = header.index("lr") if has_header and "lr" in header else len(header) - 1
        try:
            table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=int(has_header),
                               dtype=np.float64, ndmin=2)
        except ValueError as exc:
            raise WarmupctlError(f"{origin}: expected rows of numbers, step,lr or one rate per "
                                 f"line ({exc})") from None
        if table.shape[0] == 0 or table.shape[1] != len(header):
            raise WarmupctlError(f"{origin}: the table has no rows, or rows of another width "
                                 "than its header")
        if table.shape[1] > 1 and has_header and "step" in header:
            _steps_ok(table[:, header.index("step")], table.shape[0], origin)
        return _rates(table[:, col], origin)
    raise WarmupctlError(f"unknown table format {fmt!r}: one of {', '.join(TABLE_FORMATS)}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
