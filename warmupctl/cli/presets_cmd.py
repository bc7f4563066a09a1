"""`warmupctl presets`: the published recipes that ship with warmupctl."""

import re
import sys
from typing import Annotated

import typer

from .. import presets as library
from ..loading import load
from ..units import format_count, format_percent
from ._app import app, complete_preset
from ._common import JsonOpt, QuietOpt, console, emit_json, fmt_lr, handle_errors, inert

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



def short_citation(source: str) -> str:
    """Authors and year, or the file a recipe comes from: 'Brown et al. 2020, Language
    Models…' → 'Brown et al. 2020'; 'karpathy/nanoGPT train.py defaults + …' →
    'karpathy/nanoGPT train.py'."""
    first = source.split("; ")[0]
    year = re.match(r"^(.*?\b(?:19|20)\d\d)\b", first)
    if year and "/" not in year.group(1):
        return year.group(1)
    return re.split(r" \(| \+ |, ", first)[0]

@presets_app.callback()
@handle_errors
def presets_list(ctx: typer.Context, json: JsonOpt = False, quiet: QuietOpt = False) -> None:
    """List the presets with their size, warmup, peak and source."""
    del quiet  # accepted like everywhere else (CONTRACT §4); listing has no notices to silence
    from rich import box
    from rich.table import Table

    if ctx.invoked_subcommand is not None:
        return
    rows = [_row(n) for n in library.names()]
    if json:
        emit_json(rows)
        return
    out = console()
    # the short citation (`presets show NAME` and docs/presets.md give the full one): in its own
    # column on a wide terminal, under the name on a narrow one
    wide = out.width >= 110
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    table.add_column("name" if wide else "name, source", no_wrap=wide, max_width=None if wide
                     else 26)
    for col in ("steps", "tokens", "warmup", "peak"):
        table.add_column(col, justify="right", no_wrap=True)
    if wide:
        table.add_column("source")
    for r in rows:
        cite = inert(short_citation(r["source"] or ""))
        cells = [
            inert(r["name"]) if wide else f"{inert(r['name'])}\n[dim]{cite}[/dim]",
            format_count(r["total_steps"]),
            format_count(r["total_tokens"]) if r["total_tokens"] else "",
            f"{format_count(r['warmup_steps'])} ({format_percent(r['warmup_fraction'])})",
            fmt_lr(r["peak_lr"]),
        ]
        table.add_row(*cells, *([cite] if wide else []))
    out.print(table)


@presets_app.command("show")
@handle_errors
def presets_show(
    name: Annotated[str, typer.Argument(help="Preset name (see `warmupctl presets`).",
                                        autocompletion=complete_preset)],
    quiet: QuietOpt = False,
) -> None:
    """Print a preset's YAML (save it and edit it to start your own spec)."""
    del quiet  # accepted like everywhere else; the YAML is data, and there are no notices
    sys.stdout.write(library.text(name))
