"""`warmupctl lr`: the rate at given steps."""

import sys
from typing import Annotated, Any, Optional

import typer

from ..errors import WarmupctlError
from ..spec import position
from ..units import UnitError, parse_length
from ._app import app, complete_spec
from ._common import (
    JsonOpt,
    QuietOpt,
    emit_json,
    handle_errors,
    load_schedule,
    schedule_flags,
)


def _is_step(text: str) -> bool:
    try:
        parse_length(text)
    except UnitError:
        return False
    return True


@app.command("lr")
@handle_errors
@schedule_flags
def lr_command(
    args: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[SPEC] STEP...",
            help="An optional spec (file, '-' or preset), then steps: 1000, 2k, 50%, 3ep, 375Mtok.",
            show_default=False,
            autocompletion=complete_spec,
        ),
    ] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Print the learning rate at each STEP, one per line, as exact float64 text."""
    words = list(args or [])
    spec = None
    if words and (words[0] == "-" or not _is_step(words[0])):
        spec = words.pop(0)
    if not words:
        raise WarmupctlError("give at least one step, e.g. `warmupctl lr SPEC 0 1000 50%`")
    schedule = load_schedule(spec, flags, quiet)
    steps = []
    for word in words:
        try:
            step = position(schedule, word)
        except UnitError as exc:
            raise WarmupctlError(f"step {word!r}: {exc}") from None
        if not 0 <= step < schedule.total_steps:
            units = [u for u, known in (("tokens", schedule.meta.get("tokens_per_step")),
                                        ("ep", schedule.meta.get("steps_per_epoch"))) if known]
            hint = ""
            if units and word.strip()[-1:].isalnum() and not word.strip().endswith(
                    ("tokens", "ep", "%")):
                hint = " (a position in " + " or ".join(
                    "tokens is written '" + word.strip() + " tokens'" if u == "tokens"
                    else "epochs is written '" + word.strip() + "ep'" for u in units) + ")"
            raise WarmupctlError(
                f"step {word!r} ({step:,}) is outside the run: steps are 0 … "
                f"{schedule.total_steps - 1:,}{hint}"
            )
        steps.append(step)
    rates = [schedule.lr(s) for s in steps]
    if json:
        emit_json({"name": schedule.name, "total_steps": schedule.total_steps,
                   "step": steps, "lr": rates})
        return
    sys.stdout.write("".join(f"{r!r}\n" for r in rates))
