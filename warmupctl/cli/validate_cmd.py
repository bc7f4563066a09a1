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
    longest_word,
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

    Exit 0 without error-level findings, 1 with one (or with any finding under --strict), 2 for
    bad input. Rules read the spec's `training:` block, or the same facts as flags (--regime,
    --optimizer, --beta2, --batch…); each applies only in the regime its evidence was measured
    in, and rules that lack a fact are listed as not checked. docs/rules.md lists them.
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


def regime_line(schedule) -> str:
    """``regime: pretrain (assumed — …)``: the regime the rules applied, and why."""
    given = (schedule.meta.get("training") or {}).get("regime")
    if given:
        return f"regime: {given} (training.regime)"
    return ("regime: pretrain (assumed — the spec has no training.regime; give --regime "
            "finetune for a fine-tune)")


def _print(console: "Console", schedule, findings: list) -> None:
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    name = inert(schedule.name or "schedule")
    n, w = schedule.total_steps, schedule.warmup_steps
    console.print(f"[bold]{name}[/bold]: {n:,} steps, warmup {w:,} "
                  f"({format_percent(w / n)})")
    console.print(escape(regime_line(schedule)))
    if not findings:
        console.print("no findings")
        return
    # short citations in the table, the full sources after it: no cell ever has to break an
    # identifier such as arXiv:1910.04209 across lines
    cites = [rules.BY_ID[f.rule].cite or f.source for f in findings]
    table = Table(show_lines=True, highlight=False, expand=True)
    table.add_column("rule / severity", no_wrap=True)
    table.add_column("message", ratio=1, min_width=longest_word([f.message for f in findings]))
    table.add_column("source", width=max(12, longest_word(cites)))
    for f, cite in zip(findings, cites, strict=True):
        table.add_row(f"{inert(f.rule)}\n[{STYLE[f.severity]}]{f.severity}[/]", inert(f.message),
                      inert(cite))
    console.print(table)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in rules.SEVERITIES}
    console.print(", ".join(f"{c} {s}" + ("s" if c != 1 and s != "info" else "")
                            for s, c in counts.items()))
    console.print()
    console.print("sources:")
    for rid in dict.fromkeys(f.rule for f in findings):
        console.print(Padding(Text(f"{rid}: {rules.BY_ID[rid].source}"), (0, 0, 0, 2)))


def _list_rules(json: bool) -> None:
    from rich.table import Table

    if json:
        emit_json([{"rule": r.id, "severity": r.severity, "family": r.family,
                    "regimes": list(r.regimes), "summary": r.summary, "source": r.source}
                   for r in rules.RULES])
        return
    from rich.markup import escape

    # the short citation, as in the findings table (docs/rules.md has the full sources)
    cites = [r.cite or r.source for r in rules.RULES]
    table = Table(show_lines=False, highlight=False, expand=True,
                  caption="full sources: docs/rules.md, or --list-rules --json")
    table.add_column("rule / severity / regime", no_wrap=True)
    table.add_column("fires when", ratio=1,
                     min_width=longest_word([r.summary for r in rules.RULES]))
    table.add_column("source", width=max(12, longest_word(cites)))
    for r, cite in zip(rules.RULES, cites, strict=True):
        where = "pretrain, finetune" if len(r.regimes) > 1 else f"{r.regimes[0]} only"
        table.add_row(f"{r.id}\n[{STYLE[r.severity]}]{r.severity}[/]\n{where}",
                      escape(r.summary), escape(cite))
    console(highlight=False).print(table)
