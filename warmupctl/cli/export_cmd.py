"""`warmupctl export`: the rate at every step (or every K-th) as JSON, CSV or NPY."""

import os
import sys
from typing import Annotated, Optional

import typer

from ..errors import WarmupctlError
from ..export import FORMATS, WRITERS
from ..fileio import atomic_writer
from . import app
from ._common import (
    DecayOpt,
    EpochOpt,
    PeakOpt,
    QuietOpt,
    SpecArg,
    TokensOpt,
    TotalOpt,
    WarmupOpt,
    handle_errors,
    load_schedule,
    notice,
    overrides,
)


@app.command()
@handle_errors
def export(
    spec: SpecArg = None,
    format: Annotated[
        Optional[str],
        typer.Option("--format", "-f", metavar="|".join(FORMATS),
                     help="Output format. Default: from the -o extension, else json.",
                     show_default=False),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="PATH|-", help="Output file; '-' is stdout.")
    ] = "-",
    every: Annotated[
        int, typer.Option("--every", min=1, help="Export steps 0, K, 2K, … and always the last.")
    ] = 1,
    total: TotalOpt = None,
    peak_lr: PeakOpt = None,
    warmup: WarmupOpt = None,
    decay: DecayOpt = None,
    tokens_per_step: TokensOpt = None,
    steps_per_epoch: EpochOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the rate at every step (or every K-th) as JSON, CSV or NPY."""
    fmt = format
    if fmt is None:
        ext = os.path.splitext(output)[1].lstrip(".").lower() if output != "-" else ""
        fmt = ext if ext in FORMATS else "json"
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise WarmupctlError(
            f"unknown format {fmt!r}: this version exports {', '.join(FORMATS)}"
        )
    if fmt == "npy" and output == "-" and sys.stdout.isatty():
        raise WarmupctlError("NPY is binary: give -o FILE.npy, or pipe stdout elsewhere")
    flags = overrides(total, peak_lr, warmup, decay, tokens_per_step, steps_per_epoch)
    schedule = load_schedule(spec, flags, quiet)
    with atomic_writer(output) as stream:
        WRITERS[fmt](schedule, stream, every)
    if output != "-":
        notice(f"wrote {output} ({fmt}, {schedule.total_steps:,} steps, every {every})", quiet)
