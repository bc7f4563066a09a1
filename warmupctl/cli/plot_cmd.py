"""`warmupctl plot`: draw one or more schedules to PNG/SVG/PDF, or in the terminal."""

import math
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import WarmupctlError, suggest
from ..fileio import atomic_writer
from ..loading import shadowed_preset
from ..render import X_UNITS, Curve, check_x_unit, parse_range, window
from ..render.plot import PlotOptions, build_figure, check_size, output_format, save_figure
from ..sweep import parse_sweep, sweep
from ..textsafe import visible
from ._app import app, complete_spec
from ._common import (
    QuietOpt,
    flags_text,
    fmt_lr,
    handle_errors,
    load_schedule,
    notice,
    schedule_flags,
)

FIGURE_PANEL = "Figure"

SpecsArg = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="[SPEC]...",
        help="Specs to draw on one figure: YAML files, '-' for stdin, or preset names. "
        "Default: the built-in default.",
        show_default=False,
        autocompletion=complete_spec,
    ),
]


def _size(text: Optional[str]) -> tuple[float, float]:
    if text is None:
        return (8.0, 4.5)
    parts = text.replace("x", ",").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        w, h = (float(p) for p in parts)
    except ValueError:
        raise WarmupctlError(f"--size needs W,H in inches, e.g. --size 8,4.5 (got {text!r})"
                             ) from None
    if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
        raise WarmupctlError(f"--size needs two positive numbers W,H in inches (got {text!r})")
    return w, h


def _label(spec: Optional[str], name: Optional[str]) -> str:
    if name:
        return name
    if spec is None:
        return "default"
    if spec == "-":
        return "stdin"
    return Path(spec).stem or spec


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        out.append(lab if seen[lab] == 1 else f"{lab} ({seen[lab]})")
    return out


def _sweep_curves(spec: Optional[str], flags: dict[str, tuple[str, Any]], key: str,
                  values: list[str]) -> tuple[list[Curve], str, list[str]]:
    """The curves of ``--sweep KEY=values`` on one spec, the default title, and notices."""
    pairs, base, notes = sweep(spec, flags, key, values)
    name = _label(spec, base.get("name") if isinstance(base.get("name"), str) else None)
    curves = [Curve(schedule, label) for label, schedule in pairs]
    return curves, f"{name}: {key.replace('_', ' ')} sweep", notes


@app.command()
@handle_errors
@schedule_flags
def plot(
    specs: SpecsArg = None,
    output: Annotated[
        Optional[str],
        typer.Option("--output", "-o", metavar="FILE",
                     help="Output file (.png, .svg or .pdf; '-' is stdout). "
                     "Default: ./schedule.png.",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    format: Annotated[
        Optional[str],
        typer.Option("--format", "-f", metavar="png|svg|pdf",
                     help="File format. Default: from the -o extension, else png.",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    dpi: Annotated[
        float, typer.Option("--dpi", help="Resolution of PNG output (dots per inch).",
                            rich_help_panel=FIGURE_PANEL)
    ] = 150.0,
    size: Annotated[
        Optional[str],
        typer.Option("--size", metavar="W,H", help="Figure size in inches. [default: 8,4.5]",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    title: Annotated[
        Optional[str],
        typer.Option("--title", help="Figure title ('' for none). Default: the description "
                     "of the schedule, or the names of the curves.",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    x: Annotated[
        str,
        typer.Option("--x", metavar="|".join(X_UNITS),
                     help="x axis: optimizer steps, tokens seen (needs tokens_per_step), "
                     "epochs (needs steps_per_epoch) or % of training.",
                     rich_help_panel=FIGURE_PANEL),
    ] = "steps",
    log: Annotated[
        bool, typer.Option("--log", help="Log scale for the learning rate (zeros are not drawn).",
                           rich_help_panel=FIGURE_PANEL)
    ] = False,
    range_: Annotated[
        Optional[str],
        typer.Option("--range", metavar="A:B",
                     help="Draw only steps A…B, as lengths: 0:3000, 0:2%, 10ep:20ep, "
                     "0:375Mtok, 90%: (either side may be empty; ':' is the whole run).",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    no_annotate: Annotated[
        bool, typer.Option("--no-annotate", help="Only the curves: no markers or labels for the "
                           "end of warmup, peak, final rate, decay end and phase boundaries, "
                           "and no inset.",
                           rich_help_panel=FIGURE_PANEL)
    ] = False,
    sweep: Annotated[
        Optional[str],
        typer.Option("--sweep", metavar="KEY=V1,V2,…",
                     help="Draw one spec once per value of KEY (warmup, peak_lr, total, "
                     "final_lr), e.g. --sweep warmup=0.5%,1%,2%,5%. A warmup sweep is zoomed "
                     "to the warmups; --range : draws the whole run.",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    updates: Annotated[
        bool, typer.Option("--updates", help="Add a panel with the predicted angular update of "
                           "a weight row and its equilibrium, from the spec's training block "
                           "(one SPEC; docs/updates.md).", rich_help_panel=FIGURE_PANEL)
    ] = False,
    terminal: Annotated[
        bool, typer.Option("--terminal", "-t", help="Draw in the terminal instead of a file "
                           "(a file is still written when -o is given). Honours NO_COLOR.",
                           rich_help_panel=FIGURE_PANEL)
    ] = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Draw schedules: one curve per SPEC on one figure (PNG, SVG or PDF), or in the terminal.

    Marked: end of warmup (step, % of run) · peak · final rate · end of decay · phase boundaries.
    """
    # check every option before loading anything or importing matplotlib
    fig_size = _size(size)
    if x not in X_UNITS:
        hint = suggest(x, X_UNITS)
        raise WarmupctlError(f"unknown --x {x!r}" + (f" ({hint})" if hint else "")
                             + f": use one of {', '.join(X_UNITS)}")
    rng = parse_range(range_)
    sweep_spec = parse_sweep(sweep) if sweep is not None else None
    check_size(fig_size, dpi)
    path = None
    fmt = None
    if output is not None or not terminal:
        path = output if output is not None else f"schedule.{(format or 'png').lower()}"
        fmt = output_format(path, format)
        if path == "-" and sys.stdout.isatty():
            raise WarmupctlError(f"{fmt.upper()} is binary: give -o FILE, or pipe stdout "
                                 "elsewhere")
    spec_list: list[Optional[str]] = list(specs) if specs else [None]
    if spec_list.count("-") > 1:
        raise WarmupctlError("'-' (stdin) can be given only once")

    default_title = None
    # a file in the folder named like a preset wins over the preset: say so, as show does
    notes: list[str] = [f"using the file ./{spec}, not the preset of that name (the preset is "
                        f"preset:{spec})" for spec in spec_list if shadowed_preset(spec)]
    if sweep_spec is not None:
        if len(spec_list) > 1:
            raise WarmupctlError("--sweep draws one spec several times: give a single SPEC")
        curves, default_title, sweep_notes = _sweep_curves(spec_list[0], flags, *sweep_spec)
        notes += sweep_notes
    else:
        curves = []
        for spec in spec_list:
            # quiet here: the notice about the default comes once the options are known to fit
            schedule = load_schedule(spec, flags, True)
            curves.append(Curve(schedule, _label(spec, schedule.name)))
        labels = _unique([c.label for c in curves])
        curves = [Curve(c.schedule, lab) for c, lab in zip(curves, labels, strict=True)]
    check_x_unit(curves, x)
    if updates and len(curves) > 1:
        raise WarmupctlError("--updates draws one schedule's predicted update sizes: give a "
                             "single SPEC (no --sweep)")
    for c in curves:
        window(c.schedule, rng)
    if rng is not None and rng[1] is not None:
        # an end past every run is allowed (it reads as "to the end") but said, not hidden
        from ..spec import position

        ends = [position(c.schedule, rng[1]) for c in curves]
        lasts = [c.schedule.total_steps - 1 for c in curves]
        # (step N itself, the end of the run — `100%` — is fine)
        if all(e > last + 1 for e, last in zip(ends, lasts, strict=True)):
            notes.append(f"--range ends at step {min(ends):,}, after the last step "
                         f"({max(lasts):,}): the plot stops at the end of the run")
    if sweep_spec is None and None in spec_list:
        if flags:
            notes.append("no SPEC given: plotting the built-in default schedule with the flags "
                         "applied")
        else:
            notes.append("no SPEC given: plotting the built-in default schedule (2000-step "
                         "linear warmup, cosine to 10%, 100k steps; see docs/spec.md)")
    for note in notes:  # only now: a run that fails on its options prints just the error
        notice(note, quiet)

    if flags:
        # the spec's description no longer tells the whole story: say what was changed
        changed = flags_text(flags)
        base = default_title or " vs ".join(c.label for c in curves)
        default_title = f"{base} with {changed}"
    opts = PlotOptions(
        x=x, log=log, range=rng, annotate=not no_annotate,
        title=title if title is not None else default_title,
        size=fig_size, dpi=dpi, sweep=sweep_spec[0] if sweep_spec is not None else None,
    )
    lengths = [c.schedule.total_steps for c in curves]
    if x == "steps" and len(curves) > 1 and max(lengths) > 3 * min(lengths):
        notice(f"the runs differ in length ({min(lengths):,} to {max(lengths):,} steps): "
               "--x percent compares their shapes", quiet)
    peaks = [c.schedule.peak_lr for c in curves]
    if not log and len(curves) > 1 and min(peaks) > 0 and max(peaks) > 30 * min(peaks):
        notice(f"the peaks differ {max(peaks) / min(peaks):,.0f}-fold ({fmt_lr(min(peaks))} to "
               f"{fmt_lr(max(peaks))}): --log shows every curve's shape", quiet)
    if terminal:
        from ..render.terminal import render, use_color

        text = render(curves, x=x, log=log, rng=rng, color=use_color(sys.stdout),
                      title=opts.title or None)
        sys.stdout.write(text)
        sys.stdout.flush()
    if path is None or fmt is None:
        return
    fig = build_figure(curves, opts)
    if updates:
        from ..render.updates_panel import add_panel

        add_panel(fig, curves[0].schedule, opts)
    with atomic_writer(path) as stream:
        save_figure(fig, stream, fmt, dpi)
    if path == "-":
        return
    # one form with or without -o, like export and import: a notice on stderr
    notice(f"wrote {visible(path)} ({fmt}, {len(curves)} curve{'s' if len(curves) > 1 else ''})",
           quiet)
