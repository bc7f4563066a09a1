"""`warmupctl import`: a trainer's schedule config (HF TrainingArguments JSON/YAML, a DeepSpeed
ds_config, Megatron-LM arguments) as a warmupctl spec, checked step by step against the trainer's
own formula."""

from typing import Annotated, Optional

import typer

from ..errors import WarmupctlError
from ..fileio import atomic_writer
from ..loading import read_source
from ..spec import MAX_STEPS
from ..textsafe import quote
from ._app import app
from ._common import QuietOpt, count_option, handle_errors, notice

FROM_HELP = ("Config format: hf (TrainingArguments fields as JSON or YAML), deepspeed (a "
             "ds_config with a scheduler block), megatron (a line or script of --lr… arguments, "
             "or a YAML of the same names).")


@app.command("import")
@handle_errors
def import_(
    file: Annotated[str, typer.Argument(help="The config file ('-' for stdin).",
                                        show_default=False)],
    format: Annotated[
        str, typer.Option("--format", "-f", metavar="hf|deepspeed|megatron", help=FROM_HELP,
                          show_default=False)
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="PATH|-", help="Output file; '-' is stdout.")
    ] = "-",
    total: Annotated[
        Optional[str],
        typer.Option("--total", metavar="STEPS",
                     help="The run length in optimizer steps (100000, 100k, 1.2M), for configs "
                          "that do not say it (or to override it).",
                     show_default=False),
    ] = None,
    name: Annotated[
        Optional[str], typer.Option("--name", help="A name for the spec.", show_default=False)
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Turn a trainer's schedule config into a warmupctl spec (YAML).

    The spec reproduces the trainer's rate at every optimizer step (checked before writing);
    `warmupctl export -f FORMAT` of the spec gives the config back.
    """
    from .. import interop

    fmt = format.lower()
    if fmt not in interop.IMPORTS:
        raise WarmupctlError(f"unknown format {quote(format)}: import reads "
                             f"{', '.join(interop.IMPORTS)}")
    if file != "-":
        import os

        if not os.path.isfile(file):
            raise WarmupctlError(f"no such file: {file}" if not os.path.isdir(file)
                                 else f"{file} is a folder, not a config file")
    text, origin = read_source(file)
    steps = count_option("--total", total)
    if steps is not None and steps < 1:
        raise WarmupctlError(f"--total must be at least 1 step, got {quote(total)}")
    if steps is not None and steps > MAX_STEPS:
        raise WarmupctlError(f"--total {quote(total)} is longer than the 2^53 = {MAX_STEPS:,} "
                             "steps warmupctl handles (is the unit right?)")
    imported = interop.import_config(fmt, text, origin, steps)
    spec = dict(imported.spec)
    if name:
        spec = {"name": name, **spec}
    dev = imported.deviation
    assert dev is not None
    header = list(imported.header)
    if dev.exact:
        header.append(f"matches the {fmt} formula at {dev.coverage()} "
                      f"(worst relative difference {dev.rel:.1g})")
    else:
        header.append(f"differs from the {fmt} formula by rounding only: worst at step "
                      f"{dev.step:,}, relative error {dev.rel:.3g}")
    text_out = interop.to_yaml(spec, header)
    with atomic_writer(output) as stream:
        stream.write(text_out.encode())
    for note in imported.notes:
        notice(note, quiet)
    if not dev.exact:
        typer.echo(f"warmupctl: warning: the spec differs from {fmt}'s own formula by float "
                   f"rounding: worst at {dev.describe(fmt)}", err=True)
    elif output != "-":
        notice(f"wrote {output} (from {fmt}; matches at {dev.coverage()})", quiet)
