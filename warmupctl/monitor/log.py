"""Reading an update-size log (``warmupctl.updates/v1``, CONTRACT §8), bounded.

The log is JSON Lines: a header, then one line per logged step. It is written while training
runs, so its last line may be cut short: a last line without its newline that does not parse is
ignored. Any other line that does not parse, or that does not fit the header (array lengths,
steps going backwards), is an error naming its line number. The reader is bounded: at most
``max_bytes`` are read, at most ``max_lines`` step lines and ``max_layers`` layers are accepted,
and at most ``max_cells`` numbers per metric are kept. Pure: NumPy and the standard library.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from ..errors import WarmupctlError
from ..textsafe import quote, visible
from . import FORMAT, METRICS

MAX_BYTES = 1 << 30
MAX_LINES = 10_000_000
MAX_LAYERS = 100_000
MAX_CELLS = 50_000_000
#: longest header or step line accepted (a 100,000-layer line is about 10 MB)
MAX_LINE_BYTES = 64 << 20


class LogError(WarmupctlError):
    """An update log that cannot be read (exit 2)."""


@dataclass(frozen=True)
class UpdateLog:
    """A read log: the header, and per metric a (steps × layers) float64 array (NaN = null)."""

    header: dict[str, Any]
    names: list[str]
    step: np.ndarray
    lr: np.ndarray
    metrics: dict[str, np.ndarray]
    #: metrics the log has (``rrc`` only when the run logged it)
    present: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    @property
    def optimizer(self) -> dict[str, Any]:
        opt = self.header.get("optimizer")
        return opt if isinstance(opt, dict) else {}


def _number(v: Any) -> float:
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"expected a number or null, got {type(v).__name__}")
    return float(v)


def _check_header(header: Any, where: str) -> list[str]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        got = header.get("format") if isinstance(header, dict) else None
        raise LogError(f"{where}: not a {FORMAT} log (line 1 has format "
                       f"{quote(got) if got is not None else 'none'}); it is written by "
                       "warmupctl.monitor.torch.UpdateMonitor")
    layers = header.get("layers")
    if not isinstance(layers, list) or not layers:
        raise LogError(f"{where}: line 1: 'layers' must be a non-empty list")
    if len(layers) > MAX_LAYERS:
        raise LogError(f"{where}: line 1: {len(layers):,} layers, more than the "
                       f"{MAX_LAYERS:,} this reader accepts")
    names = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("name"), str):
            raise LogError(f"{where}: line 1: layers[{i}] needs a 'name' (a string)")
        names.append(layer["name"])
    every = header.get("every", 1)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise LogError(f"{where}: line 1: 'every' must be a whole number ≥ 1")
    return names


def _lines(stream: IO[bytes], max_bytes: int) -> tuple[list[bytes], bool]:
    """The lines of the first ``max_bytes`` bytes; whether the data ended there (not cut)."""
    data = stream.read(max_bytes + 1)
    cut = len(data) > max_bytes
    if cut:
        data = data[:max_bytes]
        # a partial last line is dropped below like a torn one
    return data.split(b"\n"), not cut


def read_log(source: str | IO[bytes], *, max_bytes: int = MAX_BYTES,
             max_lines: int = MAX_LINES, max_cells: int = MAX_CELLS) -> UpdateLog:
    """Read a log from a path (``-`` is stdin) or a binary stream."""
    where = "stdin" if source == "-" else (visible(source, 120) if isinstance(source, str)
                                           else "the log")
    if isinstance(source, str):
        import sys

        if source == "-":
            parts, whole = _lines(sys.stdin.buffer, max_bytes)
        else:
            try:
                with open(source, "rb") as f:
                    parts, whole = _lines(f, max_bytes)
            except OSError as exc:
                raise LogError(f"cannot read {where}: {exc.strerror or exc}") from None
    else:
        parts, whole = _lines(source, max_bytes)
    notes: list[str] = []
    if not whole:
        notes.append(f"{where} is longer than {max_bytes:,} bytes: read the first "
                     f"{max_bytes:,} only")
    # the text after the last newline: empty for a complete log, else a torn (or cut) line
    tail = parts.pop()
    if not parts and not tail:
        raise LogError(f"{where} is empty")
    if not parts:
        parts, tail = [tail], b""
    header = _parse(parts[0], 1, where)
    names = _check_header(header, where)
    n = len(names)
    if n * min(len(parts), max_lines) > max_cells:
        max_lines = max(1, max_cells // n)
        notes.append(f"{where}: kept the first {max_lines:,} steps ({n:,} layers × "
                     f"{max_lines:,} steps is the reader's limit)")
    rows: list[dict[str, Any]] = []
    body = parts[1:]
    last_torn = bool(tail.strip())
    if last_torn:
        body.append(tail)
    for k, raw in enumerate(body):
        lineno = k + 2
        if not raw.strip():
            continue
        if len(rows) >= max_lines:
            notes.append(f"{where}: more than {max_lines:,} steps: read the first "
                         f"{max_lines:,}")
            break
        is_tail = last_torn and k == len(body) - 1
        try:
            obj = _parse(raw, lineno, where)
        except LogError:
            if is_tail:
                notes.append(f"{where}: line {lineno} is incomplete (still being written?): "
                             "ignored")
                break
            raise
        rows.append(_check_row(obj, lineno, where, n))
    return _assemble(header, names, rows, notes, where)


def _parse(raw: bytes, lineno: int, where: str) -> Any:
    if len(raw) > MAX_LINE_BYTES:
        raise LogError(f"{where}: line {lineno} is longer than {MAX_LINE_BYTES:,} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise LogError(f"{where}: line {lineno} is not valid JSON ({visible(exc, 80)})") from None


def _check_row(obj: Any, lineno: int, where: str, n: int) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise LogError(f"{where}: line {lineno}: expected a JSON object")
    step = obj.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise LogError(f"{where}: line {lineno}: 'step' must be a whole number ≥ 0")
    out: dict[str, Any] = {"step": step}
    try:
        out["lr"] = _number(obj.get("lr"))
    except ValueError as exc:
        raise LogError(f"{where}: line {lineno}: 'lr': {exc}") from None
    for m in METRICS:
        values = obj.get(m)
        if values is None:
            if m == "rrc":
                out[m] = None
                continue
            raise LogError(f"{where}: line {lineno}: {m!r} is missing")
        if not isinstance(values, list) or len(values) != n:
            raise LogError(f"{where}: line {lineno}: {m!r} must be a list of {n} values, one "
                           "per layer of the header")
        try:
            out[m] = [_number(v) for v in values]
        except ValueError as exc:
            raise LogError(f"{where}: line {lineno}: {m!r}: {exc}") from None
    return out


def _assemble(header: dict[str, Any], names: list[str], rows: list[dict[str, Any]],
              notes: list[str], where: str) -> UpdateLog:
    if not rows:
        raise LogError(f"{where} has a header but no logged step yet")
    steps = np.array([r["step"] for r in rows], dtype=np.int64)
    back = np.nonzero(np.diff(steps) <= 0)[0]
    if back.size:
        i = int(back[0]) + 1
        raise LogError(f"{where}: step {int(steps[i])} comes after step {int(steps[i - 1])}: "
                       "a log holds one run (a new UpdateMonitor replaces the file)")
    n = len(names)
    metrics: dict[str, np.ndarray] = {}
    present = []
    for m in METRICS:
        if m == "rrc" and all(r["rrc"] is None for r in rows):
            continue
        present.append(m)
        metrics[m] = np.array([r[m] if r[m] is not None else [math.nan] * n for r in rows],
                              dtype=np.float64).reshape(len(rows), n)
    lr = np.array([r["lr"] for r in rows], dtype=np.float64)
    return UpdateLog(header=header, names=names, step=steps, lr=lr, metrics=metrics,
                     present=tuple(present), notes=notes)


__all__ = ["UpdateLog", "LogError", "read_log"]
