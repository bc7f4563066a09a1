"""`warmupctl diff`: compare two schedules step by step and name the difference."""

import os
from typing import Annotated, Any, Optional

import typer

from ..diff import SCAN_LIMIT, Diff, Side, compare
from ..errors import SpecError, WarmupctlError
from ..tables import MAX_TABLE_BYTES, TABLE_FORMATS, read_table
from ._app import app, complete_spec
from ._common import (
    JsonOpt,
    QuietOpt,
    count_option,
    emit_json,
    fmt_lr,
    handle_errors,
    load_schedule,
    notice,
    schedule_flags,
)

CONFIG_FORMATS = ("hf", "deepspeed", "megatron")

SIDE_HELP = ("a spec (YAML file, '-' for stdin, or a preset name), a trainer config written "
             "FORMAT:PATH (hf:args.json, deepspeed:ds_config.json, megatron:train.sh), or a "
             "table of rates (json:lr.json, csv:lr.csv, npy:lr.npy)")


def _split(source: str) -> tuple[Optional[str], str]:
    """``hf:args.json`` → ("hf", "args.json"); a spec (or a file whose name has a colon) → None."""
    if source == "-" or os.path.exists(source):
        return None, source
    prefix, sep, rest = source.partition(":")
    if sep and prefix.lower() in CONFIG_FORMATS + TABLE_FORMATS:
        if not rest:
            raise WarmupctlError(f"{source!r}: give the file after the colon, e.g. "
                                 f"{prefix}:config.json ('-' for stdin)")
        return prefix.lower(), rest
    return None, source


def _read_bytes(path: str, limit: int) -> bytes:
    import sys

    if path == "-":
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(limit + 1) if stream is not None else sys.stdin.read().encode()
    else:
        if not os.path.isfile(path):
            raise WarmupctlError(f"no such file: {path}" if not os.path.isdir(path)
                                 else f"{path} is a folder, not a file")
        if os.path.getsize(path) > limit:
            raise WarmupctlError(f"{path}: tables are limited to {limit:,} bytes")
        try:
            with open(path, "rb") as f:
                raw = f.read(limit + 1)
        except OSError as exc:
            raise WarmupctlError(f"cannot read {path}: {exc.strerror or exc}") from None
    return raw


def _side(source: str, flags: dict[str, tuple[str, Any]], quiet: bool) -> Side:
    """One side of the comparison, named as the user wrote it."""
    fmt, path = _split(source)
    if fmt is None:
        return Side(source, schedule=load_schedule(source, flags, quiet))
    if fmt in TABLE_FORMATS:
        if flags:
            raise WarmupctlError(f"{source}: schedule flags do not apply to a table of rates")
        return Side(source, table=read_table(fmt, _read_bytes(path, MAX_TABLE_BYTES), path))
    from .. import interop
    from ..loading import load, read_source

    if path != "-" and not os.path.isfile(path):
        raise WarmupctlError(f"no such file: {path}" if not os.path.isdir(path)
                             else f"{path} is a folder, not a config file")
    text, origin = read_source(path)
    total = count_option("--total", flags["total"][1]) if "total" in flags else None
    if total is not None and total < 1:
        raise WarmupctlError(f"--total must be at least 1 step, got {flags['total'][1]!r}")
    imported = interop.target_module(fmt).parse(text, origin, total)
    steps = load(dict(imported.spec)).total_steps
    if steps > SCAN_LIMIT:
        # the importer's own check runs the trainer's formula at every step (minutes at 10^9
        # steps); the spec it builds is the one `warmupctl import` would write
        notice(f"{source}: the import's step-by-step check against {fmt}'s formula is skipped "
               f"past {SCAN_LIMIT:,} steps (`warmupctl import` runs it)", quiet)
    else:
        imported = interop.import_config(fmt, text, origin, total)
        dev = imported.deviation
        if dev is not None and not dev.exact:
            notice(f"{source}: the imported spec differs from {fmt}'s own formula by float "
                   f"rounding: worst at {dev.describe(fmt)}", quiet)
    for note in imported.notes:
        notice(f"{source}: {note}", quiet)
    ignored = sorted({flag for key, (flag, _) in flags.items() if key != "total"})
    if ignored:
        notice(f"{source}: {', '.join(ignored)} not applied: a trainer config is compared as "
               "it is (only --total sets its run length)", quiet)
    try:
        schedule = load({"name": source, **imported.spec})
    except SpecError as exc:  # pragma: no cover - the importers' specs are checked by import
        raise WarmupctlError(f"{source}: {exc}") from None
    return Side(source, schedule=schedule)


def _positive(flag: str, value: float) -> float:
    if not value >= 0:  # also NaN
        raise WarmupctlError(f"{flag} must be a number ≥ 0, got {value!r}")
    return value


@app.command()
@handle_errors
@schedule_flags
def diff(
    a: Annotated[str, typer.Argument(metavar="A", help="The first schedule: " + SIDE_HELP + ".",
                                     show_default=False, autocompletion=complete_spec)],
    b: Annotated[str, typer.Argument(metavar="B", help="The second schedule, the same kinds.",
                                     show_default=False, autocompletion=complete_spec)],
    rtol: Annotated[float, typer.Option("--rtol", help="Steps whose rates differ by at most "
                                        "rtol·max(|a|, |b|) (+ atol) count as equal.")] = 1e-12,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance, added to rtol's.")
                    ] = 0.0,
    scan_limit: Annotated[
        str, typer.Option("--scan-limit", metavar="STEPS",
                          help="Runs up to this many steps are compared at every step; longer "
                               "ones at every breakpoint, kink and a sample of each phase.")
    ] = "64M",
    plot: Annotated[
        Optional[str], typer.Option("--plot", metavar="FILE",
                                    help="Also draw both curves and their difference "
                                         "(.png, .svg or .pdf).", show_default=False)
    ] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Compare two schedules step by step: exit 0 if identical within --rtol, 1 if they differ.

    Reports the first differing step, the largest differences and the pattern behind them.

    Patterns: a k-step shift (DeepSpeed's lag), a scaled peak, a warmup N× shorter, no floor.

    Schedule flags apply to both sides; --total also sets the length of a config without one.
    """
    flags = flags or {}
    if plot == "-":
        raise WarmupctlError("--plot needs a file name (.png, .svg or .pdf); stdout carries the "
                             "comparison")
    limit = count_option("--scan-limit", scan_limit)
    assert limit is not None
    _positive("--rtol", rtol)
    _positive("--atol", atol)
    if a == "-" and b == "-" or (_split(a)[1] == "-" and _split(b)[1] == "-"):
        raise WarmupctlError("only one of A and B can be read from stdin ('-')")
    side_a, side_b = _side(a, flags, quiet), _side(b, flags, quiet)
    result = compare(side_a, side_b, rtol=rtol, atol=atol, scan_limit=limit)
    if plot is not None:
        from ..render.diff_plot import write_diff_plot

        write_diff_plot(side_a, side_b, result, plot)
        notice(f"wrote {plot}", quiet)
    if json:
        emit_json(result.as_dict())
    else:
        _print(result)
    if not result.identical:
        raise typer.Exit(1)


def _print(d: Diff) -> None:
    from ..textsafe import visible

    a, b = d.a, d.b
    out = [f"A: {visible(a['label'], 200)} ({a['total_steps']:,} steps)",
           f"B: {visible(b['label'], 200)} ({b['total_steps']:,} steps)"]
    if d.method == "scan":
        out.append(f"compared: every one of {d.compared_steps:,} steps")
    else:
        out.append(f"compared: {d.evaluated_steps:,} of {d.compared_steps:,} steps — every "
                   "breakpoint and kink, the ends and a sample of each phase (the run is "
                   "longer than --scan-limit)")
    if d.identical:
        out.append(f"identical within rtol {d.rtol:g}" + (f", atol {d.atol:g}" if d.atol else ""))
    else:
        if d.first_step_exact:
            first = f"first at step {d.first_step:,}"
        else:
            first = (f"first between steps {(d.first_step_after or 0) + 1:,} and "
                     f"{d.first_step:,}")
        span = ""
        if d.last_step is not None:
            of = "" if d.method == "scan" else " of the compared"
            span = (f"; {d.differing_steps:,}{of} steps differ, the last at step "
                    f"{d.last_step:,}")
        out.append(f"differ: {first}{span}")
        if d.max_abs_step is not None:
            out.append(f"largest difference: {d.max_abs:.4g} at step {d.max_abs_step:,}; "
                       f"relative {d.max_rel:.4g} at step {d.max_rel_step:,}")
    rows = [
        ("total", f"{a['total_steps']:,}", f"{b['total_steps']:,}"),
        ("warmup", f"{a['warmup_steps']:,}", f"{b['warmup_steps']:,}"),
        ("peak", f"{fmt_lr(a['peak_lr'])} at {a['peak_step']:,}",
         f"{fmt_lr(b['peak_lr'])} at {b['peak_step']:,}"),
        ("first rate", fmt_lr(a["first_lr"]), fmt_lr(b["first_lr"])),
        ("final rate", fmt_lr(a["final_lr"]), fmt_lr(b["final_lr"])),
    ]
    width = max(len(r[1]) for r in rows) + 2
    out.append(f"{'':12}{'A':<{width}}B")
    for name, va, vb in rows:
        mark = "" if va == vb else "  *"
        out.append(f"{name:12}{va:<{width}}{vb}{mark}")
    for p in d.patterns:
        out.append(f"pattern {p['pattern']}: {p['message']}")
    if not d.identical and not d.patterns:
        out.append("no known pattern (shift, scaled peak, warmup length, floor, run length) "
                   "explains the difference")
    typer.echo("\n".join(out))
