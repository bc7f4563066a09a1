"""The Typer application and its root options; the commands add themselves to ``app``."""

from typing import Annotated

import typer

import warmupctl

app = typer.Typer(
    name="warmupctl",
    help="Design, check and export learning-rate schedules with warmup.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


#: options given before the command (``warmupctl -q plot``), read by every command
ROOT = {"quiet": False}


def _version(value: bool) -> None:
    if value:
        print(f"warmupctl {warmupctl.__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="No notices on stderr, for every command (errors "
                     "are still shown)."),
    ] = False,
) -> None:
    """Design, check and export learning-rate schedules with warmup.

    Every command takes a SPEC (a YAML file, '-' for stdin, or a preset name) and/or schedule
    flags; with neither it uses the built-in default schedule. Steps are numbered 0 … N−1 and
    lr(t) is the rate used by optimizer step t (docs/spec.md).
    """
    ROOT["quiet"] = quiet
