"""`warmupctl validate`: check a schedule against the published evidence (warmupctl.rules)."""

import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from .. import rules
from ..units import format_percent
from ._app import app
from ._common import (
    JsonOpt,
    QuietOpt,
    SpecArg,
    console,
    emit_json,
    handle_errors,
    inert,
    load_schedule,
    schedule_flags,
    silence_stdout,
)

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}

if TYPE_CHECKING:
    from rich.console import Console


@app.command()
@handle_errors
@schedule_flags
def validate(
    spec: SpecArg = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on any finding, information included.")
    ] = False,
    ignore: Annotated[
        Optional[list[str]],
        typer.Option("--ignore", metavar="RULE",
                     help="Skip a rule by id (repeat it, or separate ids with commas).",
                     show_default=False),
    ] = None,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="List every rule with its severity and exit.")
    ] = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    flags: Optional[dict[str, tuple[str, Any]]] = None,
) -> None:
    """Check a schedule against published evidence: one finding per rule that fires.

    Exit 0 without error-level findings, 1 with one (or with any finding under --strict),
    2 for bad input. Rules read the spec's `training:` block; docs/rules.md lists them.
    """

    if list_rules:
        _list_rules(json)
        return
    skip = rules.resolve_ignored(ignore or ())
    schedule = load_schedule(spec, flags, quiet)
    findings = rules.check(schedule, skip)
    code = rules.exit_code(findings, strict)
    if json:
        emit_json([f.to_dict() for f in findings])
    else:
        try:
            _print(console(highlight=False), schedule, findings)
            sys.stdout.flush()
        except BrokenPipeError:  # `validate | head`: the findings still decide the exit code
            silence_stdout()
    raise typer.Exit(code)


def _print(console: "Console", schedule, findings: list) -> None:
    from rich.table import Table

    name = inert(schedule.name or "schedule")
    n, w = schedule.total_steps, schedule.warmup_steps
    console.print(f"[bold]{name}[/bold]: {n:,} steps, warmup {w:,} ({format_percent(w / n)})")
    if not findings:
        console.print("no findings")
        return
    table = Table(show_lines=True, highlight=False, expand=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("message", ratio=3, overflow="fold")
    table.add_column("source", ratio=2, overflow="fold")
    for f in findings:
        table.add_row(inert(f.rule), f"[{STYLE[f.severity]}]{f.severity}[/]", inert(f.message),
                      inert(f.source))
    console.print(table)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in rules.SEVERITIES}
    console.print(", ".join(f"{c} {s}" + ("s" if c != 1 and s != "info" else "")
                            for s, c in counts.items()))


def _list_rules(json: bool) -> None:
    from rich.table import Table

    if json:
        emit_json([{"rule": r.id, "severity": r.severity, "family": r.family,
                    "summary": r.summary, "source": r.source} for r in rules.RULES])
        return
    table = Table(show_lines=False, highlight=False, expand=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("fires when", ratio=2, overflow="fold")
    table.add_column("source", ratio=1, overflow="fold")
    for r in rules.RULES:
        table.add_row(r.id, f"[{STYLE[r.severity]}]{r.severity}[/]", r.summary, r.source)
    console(highlight=False).print(table)
