"""`warmupctl presets`: the published recipes that ship with warmupctl."""

import sys
from typing import Annotated

import typer

from .. import presets as library
from ..loading import load
from ..units import format_count
from ._app import app
from ._common import JsonOpt, console, emit_json, fmt_lr, handle_errors

presets_app = typer.Typer(
    help="List the published recipes, or show one.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(presets_app, name="presets")


def _row(name: str) -> dict:
    s = load(name)
    tps = s.meta.get("tokens_per_step")
    return {
        "name": name,
        "description": s.description,
        "total_steps": s.total_steps,
        "total_tokens": s.total_steps * tps if tps else None,
        "warmup_steps": s.warmup_steps,
        "warmup_fraction": s.warmup_steps / s.total_steps,
        "peak_lr": s.peak_lr,
        "source": s.source,
    }


@presets_app.callback()
@handle_errors
def presets_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the presets with their size, warmup, peak and source."""
    from rich.table import Table

    if ctx.invoked_subcommand is not None:
        return
    rows = [_row(n) for n in library.names()]
    if json:
        emit_json(rows)
        return
    table = Table(show_edge=False, highlight=False)
    for col, just in (("name", "left"), ("steps", "right"), ("tokens", "right"),
                      ("warmup", "right"), ("peak", "right")):
        table.add_column(col, justify=just, no_wrap=True)
    table.add_column("source", overflow="fold", ratio=1)
    for r in rows:
        table.add_row(
            r["name"], format_count(r["total_steps"]),
            format_count(r["total_tokens"]) if r["total_tokens"] else "",
            f"{format_count(r['warmup_steps'])} ({r['warmup_fraction']:.2%})",
            fmt_lr(r["peak_lr"]), r["source"] or "",
        )
    console().print(table)


@presets_app.command("show")
@handle_errors
def presets_show(
    name: Annotated[str, typer.Argument(help="Preset name (see `warmupctl presets`).")],
) -> None:
    """Print a preset's YAML (save it and edit it to start your own spec)."""
    sys.stdout.write(library.text(name))
