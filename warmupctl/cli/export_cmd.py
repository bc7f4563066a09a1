"""`warmupctl export`: the rate at every step as JSON, CSV or NPY, or the schedule as a trainer
config or code (hf, deepspeed, megatron, torch, optax, keras) that reproduces it exactly."""

import contextlib
import math
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Annotated, Any, Optional

import typer

from ..errors import WarmupctlError
from ..export import (
    ALL_FORMATS,
    FORMATS,
    TRAINER_FORMATS,
    WRITERS,
    estimated_bytes,
    rows,
)
from ..fileio import atomic_writer, is_special
from ..spec import position
from ..textsafe import quote
from ..units import UnitError, format_bytes
from ._app import ROOT, app
from ._common import (
    QuietOpt,
    SpecArg,
    handle_errors,
    load_schedule,
    notice,
    schedule_flags,
)

#: a table bigger than this needs --every or --force (10^8 steps of JSON are about 3 GB)
SIZE_LIMIT = 4 * 10**9
#: rows per second of each writer on a slow machine, to decide whether to show progress
SPEED = {"npy": 15e6, "json": 8e6, "csv": 3e6}


#: the table extensions a format may be written under (hf and deepspeed configs are JSON)
EXTENSIONS = {"json": ("json",), "csv": ("csv",), "npy": ("npy",), "hf": ("json",),
              "deepspeed": ("json",)}

@app.command()
@handle_errors
@schedule_flags
def export(
    spec: SpecArg = None,
    format: Annotated[
        Optional[str],
        typer.Option("--format", "-f", metavar="|".join(ALL_FORMATS),
                     help="Output format: a step→rate table (json, csv, npy) or a trainer "
                          "config/code (hf, deepspeed, megatron, torch, optax, keras). Default: "
                          "from the -o extension, else json.",
                     show_default=False),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="PATH|-", help="Output file; '-' is stdout.")
    ] = "-",
    every_text: Annotated[
        str, typer.Option("--every", metavar="K",
                          help="Tables: export steps 0, K, 2K, … and always the last "
                               "(K like 100, 1k, 1M, 1%, 1ep).")
    ] = "1",
    approximate: Annotated[
        bool, typer.Option("--approximate",
                           help="Trainer formats: when the target cannot reproduce the schedule "
                                "exactly, write its closest config anyway and report the worst "
                                "deviation on stderr (without it: exit 2).")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force",
                           help=f"Tables: write even when the output would exceed "
                                f"{format_bytes(SIZE_LIMIT)} or the free disk space.")
    ] = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Write the schedule as a step→rate table, or as a trainer config/code.

    Trainer formats reproduce warmupctl's rate at every step (1e-12 relative) or are refused
    with exit code 2 and the reason; see docs/interop.md.
    """
    fmt = format
    if fmt is None:
        ext = os.path.splitext(output)[1].lstrip(".").lower() if output != "-" else ""
        fmt = ext if ext in FORMATS else "json"
    fmt = fmt.lower()
    if fmt not in ALL_FORMATS:
        raise WarmupctlError(
            f"unknown format {quote(fmt)}: this version exports {', '.join(ALL_FORMATS)}"
        )
    ext = os.path.splitext(output)[1].lstrip(".").lower() if output != "-" else ""
    if ext in FORMATS and ext not in EXTENSIONS.get(fmt, ()):
        raise WarmupctlError(f"-f {fmt} does not match the extension of {output}: name the file "
                             f"for its format, or choose -f {ext}")
    if fmt == "npy" and output == "-" and sys.stdout.isatty():
        raise WarmupctlError("NPY is binary: give -o FILE.npy, or pipe stdout elsewhere")
    if fmt in TRAINER_FORMATS and every_text != "1":
        raise WarmupctlError(f"--every applies to the json/csv/npy tables, not to {fmt}")
    if fmt in FORMATS and approximate:
        raise WarmupctlError("--approximate applies to the trainer formats "
                             f"({', '.join(TRAINER_FORMATS)}); tables are always exact")
    schedule = load_schedule(spec, flags, quiet)
    if schedule.meta.get("lr_multiplier") and fmt in FORMATS:  # trainer formats refuse it
        notice("the spec's peak_lr is a {multiplier: …}: these are multipliers of your peak, "
               "not rates (the json/csv header says so); set peak_lr in the spec, or pass "
               "--peak-lr, to export real rates", quiet)
    try:
        every = position(schedule, every_text)
    except UnitError as exc:
        # the reader's message repeats the value: quote it short instead
        reason = str(exc) if len(every_text) <= 40 else "not a length"
        raise WarmupctlError(f"--every {quote(every_text)}: {reason}") from None
    if every < 1:
        raise WarmupctlError(f"--every must be at least 1 step, got {quote(every_text)}")
    if fmt in TRAINER_FORMATS:
        _export_target(schedule, fmt, output, approximate, quiet)
        return
    if not force:
        _check_size(schedule, fmt, every, output)
    with atomic_writer(output) as stream, _progress(schedule, fmt, every, quiet) as advance:
        WRITERS[fmt](schedule, stream, every, progress=advance)
    if output != "-":
        notice(f"wrote {output} ({fmt}, {schedule.total_steps:,} steps, every {every})", quiet)


def _check_size(schedule, fmt: str, every: int, output: str) -> None:
    need = estimated_bytes(schedule, fmt, every)
    n_rows = rows(schedule, every)
    if need > SIZE_LIMIT:
        k = max(2, math.ceil(n_rows * every / 1_000_000))
        raise WarmupctlError(
            f"this export would write about {format_bytes(need)} ({n_rows:,} rows of {fmt}); "
            f"sample the curve with --every K (e.g. --every {k} gives about 1M rows), "
            "or pass --force to write it all")
    if output != "-" and not is_special(output):
        # the folder the file will be in (through a symlink: its target's)
        folder = os.path.dirname(os.path.realpath(output))
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(folder).free
            if need > free:
                raise WarmupctlError(
                    f"this export needs about {format_bytes(need)} but {folder} has "
                    f"{format_bytes(free)} free; use --every K, or --force to try anyway")


@contextlib.contextmanager
def _progress(schedule, fmt: str, every: int, quiet: bool) -> Iterator:
    """A progress bar on stderr for exports expected to take more than about a second; none with
    -q or when stderr is not a terminal."""
    n_rows = rows(schedule, every)
    if quiet or ROOT["quiet"] or not sys.stderr.isatty() or n_rows < SPEED[fmt]:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("exporting"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("export", total=n_rows)
        yield lambda done: bar.advance(task, done)


def _export_target(schedule, fmt: str, output: str, approximate: bool, quiet: bool) -> None:
    # the check (and a refusal) comes first; the output is opened only to write the result, so
    # a refused export never opens a FIFO or creates a temporary file
    from .. import interop

    exported = interop.export(schedule, fmt, approximate=approximate)
    with atomic_writer(output) as stream:
        stream.write(exported.text.encode())
    dev = exported.deviation
    if not exported.exact:
        # a warning, shown even with -q: the written config does not reproduce the schedule
        sys.stderr.write(
            f"warmupctl: warning: approximate {fmt} export ({exported.candidate.label}): worst "
            f"deviation at step {dev.step:,}: warmupctl {dev.ours!r}, {fmt} {dev.theirs!r}, "
            f"relative error {dev.rel:.3g}\n")
    elif output != "-":
        notice(f"wrote {output} ({fmt}: {exported.candidate.label}; matches warmupctl at "
               f"{dev.coverage()}, worst relative difference {dev.rel:.1g})", quiet)
    for note in exported.notes:
        notice(note, quiet)
