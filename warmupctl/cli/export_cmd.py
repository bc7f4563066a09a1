"""`warmupctl export`: the rate at every step as JSON, CSV or NPY, or the schedule as a trainer
config or code (hf, deepspeed, megatron, torch, optax, keras) that reproduces it exactly."""

import os
import sys
from typing import Annotated, Optional

import typer

from ..errors import WarmupctlError
from ..export import ALL_FORMATS, FORMATS, TRAINER_FORMATS, WRITERS, write_target
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
        typer.Option("--format", "-f", metavar="|".join(ALL_FORMATS),
                     help="Output format: a step→rate table (json, csv, npy) or a trainer "
                          "config/code (hf, deepspeed, megatron, torch, optax, keras). Default: "
                          "from the -o extension, else json.",
                     show_default=False),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="PATH|-", help="Output file; '-' is stdout.")
    ] = "-",
    every: Annotated[
        int, typer.Option("--every", min=1,
                          help="Tables: export steps 0, K, 2K, … and always the last.")
    ] = 1,
    approximate: Annotated[
        bool, typer.Option("--approximate",
                           help="Trainer formats: when the target cannot reproduce the schedule "
                                "exactly, write its closest config anyway and report the worst "
                                "deviation on stderr (without it: exit 2).")
    ] = False,
    total: TotalOpt = None,
    peak_lr: PeakOpt = None,
    warmup: WarmupOpt = None,
    decay: DecayOpt = None,
    tokens_per_step: TokensOpt = None,
    steps_per_epoch: EpochOpt = None,
    quiet: QuietOpt = False,
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
            f"unknown format {fmt!r}: this version exports {', '.join(ALL_FORMATS)}"
        )
    if fmt == "npy" and output == "-" and sys.stdout.isatty():
        raise WarmupctlError("NPY is binary: give -o FILE.npy, or pipe stdout elsewhere")
    if fmt in TRAINER_FORMATS and every != 1:
        raise WarmupctlError(f"--every applies to the json/csv/npy tables, not to {fmt}")
    if fmt in FORMATS and approximate:
        raise WarmupctlError("--approximate applies to the trainer formats "
                             f"({', '.join(TRAINER_FORMATS)}); tables are always exact")
    flags = overrides(total, peak_lr, warmup, decay, tokens_per_step, steps_per_epoch)
    schedule = load_schedule(spec, flags, quiet)
    if fmt in TRAINER_FORMATS:
        _export_target(schedule, fmt, output, approximate, quiet)
        return
    with atomic_writer(output) as stream:
        WRITERS[fmt](schedule, stream, every)
    if output != "-":
        notice(f"wrote {output} ({fmt}, {schedule.total_steps:,} steps, every {every})", quiet)


def _export_target(schedule, fmt: str, output: str, approximate: bool, quiet: bool) -> None:
    # a refusal raises before anything is written (and the atomic writer keeps an old file)
    with atomic_writer(output) as stream:
        exported = write_target(schedule, stream, fmt, approximate)
    dev = exported.deviation
    if not exported.exact:
        # a warning, shown even with -q: the written config does not reproduce the schedule
        sys.stderr.write(
            f"warmupctl: warning: approximate {fmt} export ({exported.candidate.label}): worst "
            f"deviation at step {dev.step:,}: warmupctl {dev.ours!r}, {fmt} {dev.theirs!r}, "
            f"relative error {dev.rel:.3g}\n")
    elif output != "-":
        notice(f"wrote {output} ({fmt}: {exported.candidate.label}; matches warmupctl at all "
               f"{schedule.total_steps:,} steps, worst relative difference {dev.rel:.1g})", quiet)
    for note in exported.notes:
        notice(note, quiet)
