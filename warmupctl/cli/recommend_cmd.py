"""`warmupctl recommend`: a schedule from the run's steps and batch (warmupctl.recommend)."""

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .. import rules
from ..errors import WarmupctlError
from ..fileio import atomic_writer
from ..loading import load
from ..recommend import OPTIMIZERS, recommend
from ..rules import BASIS_BY_ID
from ..units import UnitError, format_percent, parse_rate
from ._app import app
from ._common import (
    JsonOpt,
    QuietOpt,
    console,
    count_option,
    emit_json,
    fmt_lr,
    handle_errors,
    inert,
    longest_word,
    notice,
)

RUN = "The run"
LR = "Peak rate (give one of the two)"
UPDATES = "Update sizes (docs/updates.md)"

if TYPE_CHECKING:
    from rich.console import Console


def _rate(flag: str, value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        rate = parse_rate(value)
    except UnitError as exc:
        raise WarmupctlError(f"{flag}: {exc}") from None
    if rate.percent:
        raise WarmupctlError(f"{flag}: expected an absolute rate such as 3e-4, got {value!r}")
    return rate.value


def _float(flag: str, value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise WarmupctlError(f"{flag}: expected a number such as 0.95, got {value!r}") from None


@app.command(name="recommend")
@handle_errors
def recommend_cmd(
    steps: Annotated[str, typer.Option("--steps", help="Optimizer steps in the run: 100k, 1.2M.",
                                       rich_help_panel=RUN, show_default=False)],
    batch: Annotated[str, typer.Option("--batch", help="Sequences (or images) per optimizer step, "
                                       "after accumulation, across devices.",
                                       rich_help_panel=RUN, show_default=False)],
    regime: Annotated[Optional[str], typer.Option(
        "--regime", help="pretrain (from scratch) or finetune (from trained weights). Default: "
                         "pretrain, assumed and said so.", rich_help_panel=RUN,
        show_default=False)] = None,
    optimizer: Annotated[str, typer.Option(
        "--optimizer", help="One of: " + ", ".join(OPTIMIZERS) + ".", rich_help_panel=RUN,
    )] = "adamw",
    beta2: Annotated[Optional[str], typer.Option(
        "--beta2", help="Adam's β2 (default 0.95 pretraining, 0.98 fine-tuning).",
        rich_help_panel=RUN, show_default=False)] = None,
    seq_len: Annotated[Optional[str], typer.Option(
        "--seq-len", help="Tokens per sequence (the spec then knows tokens per step).",
        rich_help_panel=RUN, show_default=False)] = None,
    decay: Annotated[Optional[str], typer.Option(
        "--decay", help="cosine, linear or wsd (default: cosine pretraining, linear "
                        "fine-tuning).", rich_help_panel=RUN, show_default=False)] = None,
    peak_lr: Annotated[Optional[str], typer.Option(
        "--peak-lr", help="The peak rate.", rich_help_panel=LR, show_default=False)] = None,
    base_lr: Annotated[Optional[str], typer.Option(
        "--base-lr", help="A rate tuned at --base-batch; scaled to --batch by the optimizer's "
                          "rule.", rich_help_panel=LR, show_default=False)] = None,
    base_batch: Annotated[Optional[str], typer.Option(
        "--base-batch", help="The batch --base-lr was tuned at.", rich_help_panel=LR,
        show_default=False)] = None,
    weight_decay: Annotated[Optional[str], typer.Option(
        "--weight-decay", help="AdamW/Lion weight decay: adds the shortest warmup that keeps the "
        "predicted angular update within 2× equilibrium.", rich_help_panel=UPDATES,
        show_default=False)] = None,
    fan_in: Annotated[Optional[str], typer.Option(
        "--fan-in", help="A weight row's fan-in (default 768, GPT-2 small).",
        rich_help_panel=UPDATES, show_default=False)] = None,
    init_std: Annotated[Optional[str], typer.Option(
        "--init-std", help="The init's standard deviation (default 0.02, GPT-2 small).",
        rich_help_panel=UPDATES, show_default=False)] = None,
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="SPEC.yaml", help="Write the recommended spec as YAML "
        "('-' for stdout).", show_default=False)] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Recommend a warmup schedule for a run, with every rule that shaped it and its source.

    Pretraining warmup sits in 1–5% of the steps (longer for larger batches) unless Adam's
    2/(1−β2) floor needs more; fine-tuning uses RoBERTa's 6%, never above BERT's 10%. Each rule
    applies only in the regime where its evidence was measured, and a conflict between two
    rules is reported with the choice made. The written spec passes `validate`.
    """

    if output == "-" and json:
        raise WarmupctlError("-o - and --json both write to stdout: drop one, or give -o FILE")
    rec = recommend(
        count_option("--steps", steps) or 0,
        count_option("--batch", batch) or 0,
        regime=regime,
        optimizer=optimizer,
        beta2=_float("--beta2", beta2),
        peak_lr=_rate("--peak-lr", peak_lr),
        base_lr=_rate("--base-lr", base_lr),
        base_batch=count_option("--base-batch", base_batch),
        seq_len=count_option("--seq-len", seq_len),
        decay=decay,
    )
    updates = _updates(rec, weight_decay, fan_in, init_std)
    schedule = load(rec.spec)  # the spec must load; a failure here is a bug, not user input
    concerns = [f for f in rules.check(schedule) if f.severity != "info"]
    if output is not None:
        import yaml

        text = yaml.safe_dump(rec.spec, sort_keys=False, allow_unicode=True, width=100)
        if rec.peak_lr is None:
            text = text.replace("\npeak_lr:\n", "\n" + MULTIPLIER_COMMENT + "peak_lr:\n", 1)
        with atomic_writer(output) as stream:
            stream.write(text.encode("utf-8"))
        if output == "-":
            return
        notice(f"wrote {output}", quiet)
    if json:
        emit_json(rec.to_dict() | ({"update_size": updates} if updates else {}))
        return
    _print(console(highlight=False), rec, schedule, concerns)
    if updates:
        console(highlight=False).print(inert(_updates_line(updates)), soft_wrap=False)


def _updates(rec, weight_decay, fan_in, init_std):
    """--weight-decay (and the row fields) go into the spec's training block; the answer of
    warmupctl.updates.warmup.recommend_answer, or None without --weight-decay."""
    from ..updates.warmup import recommend_answer

    if weight_decay is None:
        if fan_in is not None or init_std is not None:
            raise WarmupctlError("--fan-in and --init-std need --weight-decay (the equilibrium "
                                 "the update sizes are measured against)")
        return None
    extra = {"weight_decay": _float("--weight-decay", weight_decay)}
    if fan_in is not None:
        extra["fan_in"] = count_option("--fan-in", fan_in)
    if init_std is not None:
        extra["init_std"] = _float("--init-std", init_std)
    checks = {"weight_decay": (0.0, "--weight-decay must be a number ≥ 0"),
              "fan_in": (2, "--fan-in must be a whole number ≥ 2"),
              "init_std": (1e-300, "--init-std must be a number > 0")}
    for key, value in extra.items():
        low, message = checks[key]
        if not (value is not None and value == value and low <= value < float("inf")):
            raise WarmupctlError(f"{message}, got {value!r}")
    rec.spec["training"].update(extra)
    return recommend_answer(rec.spec, peak_known=rec.peak_lr is not None)


def _updates_line(u) -> str:
    bound = f"{u['bound']:g}× equilibrium"
    if u["warmup_steps"] is None:
        return f"update sizes: no shortest warmup within {bound}: {u['reason']}"
    mine = u["rule_warmup_steps"]
    return (f"update sizes: a linear warmup of {u['warmup_steps']:,} steps keeps the predicted "
            f"angular update within {bound} (this schedule's {mine:,} steps peak at "
            f"{u['peak_ratio']:.3g}×) for a row of fan-in {u['fan_in']}, init "
            f"N(0, {u['init_std']:g}²); {u['note']}; {u['source']}")


def _regime_line(rec) -> str:
    r = rec.regime
    how = "assumed — " if r["assumed"] else ""
    return f"regime: {r['value']} ({how}{r['why']})"


MULTIPLIER_COMMENT = ("# no --peak-lr or --base-lr was given: the rates are multipliers of your\n"
                      "# peak (a LambdaLR factor); write peak_lr: <your peak> here, or export\n"
                      "# with --peak-lr, to get a trainer config\n")


def _value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return fmt_lr(v) if v < 0.01 else f"{v:g}"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_value(x)}" for k, x in v.items())
    return str(v)


def _print(console: "Console", rec, schedule, concerns) -> None:
    from rich.table import Table

    n, w = rec.total_steps, rec.warmup_steps
    spec = rec.spec
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    tps = schedule.meta.get("tokens_per_step")
    grid.add_row("total", f"{n:,} steps" + (f" ({n * tps:,.0f} tokens)" if tps else ""))
    grid.add_row("warmup", f"{w:,} steps ({format_percent(w / n)}), linear"
                 + (f" from {fmt_lr(spec['warmup']['start_lr'])}"
                    if "start_lr" in spec["warmup"] else " from 0"))
    grid.add_row("peak", fmt_lr(rec.peak_lr) if rec.peak_lr is not None
                 else "not given (the spec's rates are multipliers: {multiplier: 1.0})")
    d = spec["decay"]
    if d["shape"] == "wsd":
        dtext = f"wsd: stable, then a {d['cooldown']:,}-step 1-sqrt cooldown to 0"
    else:
        dtext = f"{d['shape']} to {d['final_lr'] or 0} over {n - w:,} steps"
    grid.add_row("decay", inert(dtext))
    # every text below may quote the user's words (an optimizer, a value): inert, as validate
    console.print(f"[bold]{inert(_regime_line(rec))}[/bold]")
    console.print()
    console.print("[bold]recommended schedule[/bold]")
    console.print(grid)
    console.print()
    table = Table(title="rules that shaped it (docs/rules.md explains each; \"decided\": yes = "
                        "this rule set the number, no = shown for context)",
                  title_justify="left", show_edge=False, highlight=False)
    cites = [inert(BASIS_BY_ID[r["rule"]].cite) for r in rec.rules]
    values = [inert(_value(r["value"])) for r in rec.rules]
    table.add_column("rule", no_wrap=True)
    table.add_column("value", min_width=longest_word(values))
    table.add_column("decided", no_wrap=True)
    table.add_column("source", min_width=longest_word(cites))
    for r, value, cite in zip(rec.rules, values, cites, strict=True):
        table.add_row(inert(r["rule"]), value, "yes" if r["bound"] else "no", cite)
    console.print(table)
    console.print()
    for c in rec.conflicts:
        console.print(f"[yellow]conflict[/yellow] {inert(' vs '.join(c['rules']))}: "
                      f"{inert(c['message'])}")
        console.print()
    console.print(inert(rec.explanation), soft_wrap=False)
    for f in concerns:
        console.print(f"[yellow]{inert(f.severity)}[/yellow] {inert(f.rule)}: {inert(f.message)}")
