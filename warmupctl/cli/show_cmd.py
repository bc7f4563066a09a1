"""`warmupctl show`: a summary and a table of milestones."""

from typing import TYPE_CHECKING, Any, Optional

from ..cycles import many_restarts, window_maxima
from ..engine import Schedule
from ..render.sparkline import sparkline
from ..summary import summarize
from ..units import format_count, format_percent
from ._app import app
from ._common import (
    JsonOpt,
    QuietOpt,
    SpecArg,
    console,
    emit_json,
    flags_text,
    fmt_lr,
    handle_errors,
    inert,
    load_schedule,
    schedule_flags,
)

if TYPE_CHECKING:
    from rich.console import Console


@app.command()
@handle_errors
@schedule_flags
def show(
    spec: SpecArg = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Summarise a schedule: total and warmup steps, peak, final rate, and its milestones."""

    schedule = load_schedule(spec, flags, quiet)
    info = summarize(schedule)
    # the spec's description and note were written for the spec as it was, not as the flags
    # changed it: say which flags were applied (plot titles do the same)
    info["flags"] = flags_text(flags) if flags else None
    if json:
        info["spec"] = schedule.spec
        emit_json(info)
        return
    info["sparkline"] = _sparkline(schedule, 48)
    _print_summary(console(highlight=False), info)


def _sparkline(schedule: Schedule, width: int) -> str:
    """The curve as one line. A restarts phase with more cycles than the sparkline's reduction
    lists would be scanned step by step (hours at 10^12 steps): its columns' maxima come from
    :func:`warmupctl.cycles.window_maxima` instead, a few steps per column, drawn the same way."""
    if not many_restarts(schedule):
        return sparkline(schedule, width)
    import numpy as np

    from ..render.reduce import bucket_edges
    from ..render.sparkline import BLOCKS

    tops = window_maxima(schedule, bucket_edges(0, schedule.total_steps, width))
    hi, lo = float(np.max(tops)), min(0.0, float(np.min(tops)))
    if hi <= lo:
        return (BLOCKS[-1] if hi > 0 else BLOCKS[0]) * tops.size
    levels = np.clip(np.rint((tops - lo) / (hi - lo) * (len(BLOCKS) - 1)), 0, len(BLOCKS) - 1)
    return "".join(BLOCKS[int(k)] for k in levels)


def _and(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _tokens(x: Optional[float]) -> str:
    return f"{format_count(x)} tokens" if x else ""


def _print_summary(console: "Console", info: dict) -> None:
    from rich.table import Table

    title = info["name"] or "schedule"
    if info["description"]:
        title += f" — {info['description']}"
    console.print(f"[bold]{inert(title)}[/bold]")
    if info.get("flags"):
        # the remark is about the texts printed with it: none shown (the flags removed them,
        # or the spec has none), no remark
        shown = [k for k in ("description", "source", "note") if info.get(k)]
        remark = (f" [dim](the {_and(shown)} {'is' if len(shown) == 1 else 'are'} the spec's, "
                  "before the flags)[/dim]" if shown else "")
        console.print(f"[bold]changed by {inert(info['flags'])}[/bold]{remark}")
    if info["source"]:
        console.print(f"[dim]source: {inert(info['source'])}[/dim]")
    if info["note"]:
        console.print(f"[dim]note: {inert(info['note'])}[/dim]")
    n = info["total_steps"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    tot = f"{n:,} steps"
    if info["total_tokens"]:
        tot += f" ({_tokens(info['total_tokens'])}, {format_count(info['tokens_per_step'])}/step)"
    grid.add_row("total", tot)
    w = info["warmup_steps"]
    if w:
        warm = (f"{w:,} steps, {format_percent(info['warmup_fraction'])} of the run, "
                f"{info['warmup_shape']}")
        if info["warmup_tokens"]:
            warm += f", {_tokens(info['warmup_tokens'])}"
    else:
        warm = "none (starts at the peak)"
    grid.add_row("warmup", warm)
    if info["decay_shape"]:
        grid.add_row("decay", inert(info["decay_shape"]))
    grid.add_row("peak", f"{fmt_lr(info['peak_lr'])} first at step {info['peak_step']:,}")
    grid.add_row("final", f"{fmt_lr(info['final_lr'])} at step {n - 1:,}")
    grid.add_row("curve", info["sparkline"])
    approx = "" if info["sum_lr_exact"] else "≈ "
    if info["sum_lr"] is None:
        grid.add_row("sum of rates", info["sum_lr_note"])
    else:
        grid.add_row("sum of rates",
                     f"{approx}{info['sum_lr']:.6g}  (mean {approx}{info['sum_lr'] / n:.4g})")
    console.print(grid)
    table = Table(title="milestones", title_justify="left", show_edge=False)
    table.add_column("milestone")
    table.add_column("step", justify="right")
    table.add_column("% of run", justify="right")
    has_tokens = any(r["tokens"] for r in info["milestones"])
    has_epochs = any(r["epoch"] is not None for r in info["milestones"])
    if has_tokens:
        table.add_column("tokens", justify="right")
    if has_epochs:
        table.add_column("epoch", justify="right")
    table.add_column("lr", justify="right")
    for row in info["milestones"]:
        cells = [row["label"], f"{row['step']:,}", format_percent(row['fraction'])]
        if has_tokens:
            cells.append(format_count(row["tokens"]) if row["tokens"] else "0")
        if has_epochs:
            cells.append(f"{row['epoch']:.3g}")
        cells.append(fmt_lr(row["lr"]))
        table.add_row(*cells)
    console.print(table)
