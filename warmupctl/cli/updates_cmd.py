"""`warmupctl updates`: judge a measured update-size log, or predict update sizes from a spec."""

import math
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import WarmupctlError, suggest
from ..fileio import atomic_writer
from ..monitor import METRICS
from ..textsafe import visible
from ._app import app
from ._common import (
    JsonOpt,
    QuietOpt,
    emit_json,
    handle_errors,
    load_schedule,
    notice,
    schedule_flags,
)

FIGURE_PANEL = "Figure"
PREDICT_PANEL = "Prediction (--predict)"


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        hint = suggest(metric, METRICS)
        raise WarmupctlError(f"unknown --metric {metric!r}" + (f" ({hint})" if hint else "")
                             + f": use one of {', '.join(METRICS)}")


def _output(output: Optional[str], terminal: bool, default: str) -> tuple[Optional[str], str]:
    from ..render.plot import output_format

    if output is None and terminal:
        return None, "png"
    path = output if output is not None else default
    fmt = output_format(path, None)
    if path == "-" and sys.stdout.isatty():
        raise WarmupctlError(f"{fmt.upper()} is binary: give -o FILE, or pipe stdout elsewhere")
    return path, fmt


def _written(path: str, what: str, quiet: bool) -> None:
    """One form with or without -o, as plot says it: 'wrote FILE (what)' on stderr."""
    if path != "-":
        notice(f"wrote {visible(path)} ({what})", quiet)


@app.command()
@handle_errors
@schedule_flags
def updates(
    source: Annotated[
        Optional[str],
        typer.Argument(metavar="LOG|SPEC",
                       help="An update-size log written by warmupctl.monitor ('-' for stdin); "
                       "with --predict, a spec (YAML file, '-' or preset name; default: the "
                       "built-in default).", show_default=False),
    ] = None,
    output: Annotated[
        Optional[str],
        typer.Option("--output", "-o", metavar="FILE",
                     help="Figure file (.png, .svg or .pdf; '-' is stdout). Default: "
                     "./updates.png (--predict: ./updates-predicted.png).",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    metric: Annotated[
        str,
        typer.Option("--metric", "-m", metavar="|".join(METRICS),
                     help="What to draw and judge: angular update (the tensor as one vector), "
                     "RMS per-neuron angular update, relative update, ℓ2 update, or relative "
                     "representation change.", rich_help_panel=FIGURE_PANEL),
    ] = "angle",
    layers: Annotated[
        Optional[str],
        typer.Option("--layers", metavar="GLOB",
                     help="Only the layers whose names match, e.g. '*attn*' or 'blocks.0.*'.",
                     show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    title: Annotated[
        Optional[str],
        typer.Option("--title", help="Figure title ('' for none). Default: the log's name and "
                     "the metric.", show_default=False, rich_help_panel=FIGURE_PANEL),
    ] = None,
    terminal: Annotated[
        bool, typer.Option("--terminal", "-t", help="Draw in the terminal instead of a file "
                           "(a file is still written when -o is given). Honours NO_COLOR.",
                           rich_help_panel=FIGURE_PANEL)
    ] = False,
    predict: Annotated[
        bool, typer.Option("--predict", help="Predict the angular update of a scale-invariant "
                           "weight row at every step of a spec's schedule, before training.",
                           rich_help_panel=PREDICT_PANEL)
    ] = False,
    fan_in: Annotated[
        Optional[str],
        typer.Option("--fan-in", metavar="N", help="--predict: the row's fan-in (inputs per "
                     "neuron). Default: the spec's training.fan_in.", show_default=False,
                     rich_help_panel=PREDICT_PANEL),
    ] = None,
    init_std: Annotated[
        Optional[float],
        typer.Option("--init-std", metavar="S", help="--predict: the init's standard deviation, "
                     "N(0, S²). Default: the spec's training.init_std.", show_default=False,
                     rich_help_panel=PREDICT_PANEL),
    ] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Update sizes: judge a measured log against the rotational equilibrium, or --predict them.

    LOG: the metric per layer (coloured by depth) and their median, the equilibrium at the
    logged rate, the rate, the warmup's end and where the median settles within 2× of
    equilibrium. --json: the summary and findings. --predict [SPEC]: before training.
    """
    _check_metric(metric)
    if predict:
        _predict(source, flags or {}, output=output, terminal=terminal, fan_in=fan_in,
                 init_std=init_std, json=json, quiet=quiet, given_metric=metric,
                 layers=layers)
        return
    if flags:
        raise WarmupctlError(f"{', '.join(f for f, _ in flags.values())}: schedule flags go "
                             "with --predict (a log carries its own rates)")
    for flag, value in (("--fan-in", fan_in), ("--init-std", init_std)):
        if value is not None:
            raise WarmupctlError(f"{flag} goes with --predict")
    if source is None:
        raise WarmupctlError("give a LOG written by warmupctl.monitor (or --predict [SPEC])")
    _measured(source, output=output, metric=metric, layers=layers, title=title,
              terminal=terminal, json=json, quiet=quiet)


def _measured(source: str, *, output: Optional[str], metric: str, layers: Optional[str],
              title: Optional[str], terminal: bool, json: bool, quiet: bool) -> None:
    from ..monitor.judge import judge, summary
    from ..monitor.log import read_log

    path, fmt = (None, "png") if json and output is None else _output(output, terminal,
                                                                       "updates.png")
    log = read_log(source)
    for note in log.notes:
        notice(note, quiet)
    j = judge(log, metric, layers)
    if json:
        out = {"format": "warmupctl.updates-summary/v1", "log": source,
               "every": log.header.get("every"), **summary(j)}
        emit_json(out)
    else:
        from ..monitor.judge import summary as summarize

        # what --json would call a warning, said in one line each (the figure shows the rest)
        for finding in summarize(j)["findings"]:
            if finding["severity"] == "warning" or finding["rule"] == "updates-no-equilibrium":
                notice(finding["message"], quiet)
    name = "stdin" if source == "-" else Path(source).name
    head = title if title is not None else f"{name}: {metric.replace('_', ' ')} per layer"
    if terminal:
        from ..render.terminal import use_color
        from ..render.updates_log import render_terminal

        sys.stdout.write(render_terminal(j, color=use_color(sys.stdout), title=head or None))
        sys.stdout.flush()
    if path is None:
        return
    from ..render.plot import save_figure
    from ..render.updates_log import build_figure

    fig = build_figure(j, title=head or None, n_layers=len(log.names))
    with atomic_writer(path) as stream:
        save_figure(fig, stream, fmt, 150.0)
    if not json:
        _written(path, f"{fmt}, {len(j.names)} layers", quiet)


def _stream_json(prediction: Any, chunk: int = 1 << 16) -> None:
    """``prediction.to_json()`` written array by array in chunks, so a run of 10^7 steps does not
    build its JSON text (or a list of Python floats) in memory at once."""
    import json as _json

    import numpy as np

    out = sys.stdout
    out.write("{")
    for k, key in enumerate(("step", "lr", "angle", "equilibrium")):
        values = getattr(prediction, key)
        out.write(("" if k == 0 else ", ") + f'"{key}": ')
        if values is None:
            out.write("null")
            continue
        out.write("[")
        arr = np.asarray(values)
        for i in range(0, len(arr), chunk):
            part = arr[i:i + chunk].tolist()  # Python ints and floats: repr round-trips
            out.write(("" if i == 0 else ", ") + ", ".join(map(repr, part)))
        out.write("]")
    out.write(f', "model": {_json.dumps(prediction.model, ensure_ascii=False)}')
    out.write("}\n")


def _predict(spec: Optional[str], flags: dict[str, tuple[str, Any]], *, output: Optional[str],
             terminal: bool, fan_in: Optional[str], init_std: Optional[float], json: bool,
             quiet: bool, given_metric: str, layers: Optional[str]) -> None:
    from ._common import count_option

    if given_metric != "angle" or layers is not None:
        raise WarmupctlError("--metric and --layers read a measured LOG; --predict gives the "
                             "angular update of one row")
    if terminal:
        raise WarmupctlError("--terminal draws a measured LOG; with --predict use -o or --json")
    n = count_option("--fan-in", fan_in)
    if init_std is not None and not (math.isfinite(init_std) and init_std > 0):
        raise WarmupctlError(f"--init-std must be a positive number, got {init_std!r}")
    try:
        from ..updates import predict as predict_module
        from ..updates.predict import predict as run_prediction
    except ImportError:
        raise WarmupctlError("--predict needs warmupctl.updates.predict, which this build of "
                             "warmupctl does not have") from None
    path, fmt = (None, "png") if json and output is None else _output(output, False,
                                                                       "updates-predicted.png")
    schedule = load_schedule(spec, flags, quiet)
    steps = None
    limit = getattr(predict_module, "MAX_STEPS", None)
    if limit is not None and schedule.total_steps > limit:
        # the prediction holds a few float64 arrays of the run's length: bounded
        steps = limit
        notice(f"--predict: the run has {schedule.total_steps:,} steps; predicting the first "
               f"{limit:,}", quiet)
    try:
        prediction = run_prediction(schedule, fan_in=n, init_std=init_std, steps=steps)
    except ValueError as exc:
        raise WarmupctlError(f"--predict: {exc}") from None
    if json:
        _stream_json(prediction)
    if path is None:
        return
    try:
        from ..render.updates_panel import figure
    except ImportError:
        raise WarmupctlError("--predict's figure needs warmupctl.render.updates_panel, which "
                             "this build of warmupctl does not have; --json works") from None
    figure(prediction, path, fmt)
    if not json:
        _written(path, f"{fmt}, predicted angular update", quiet)
