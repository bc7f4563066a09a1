"""The Typer application and its root options; the commands add themselves to ``app``."""

import re
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import warmupctl
from warmupctl.textsafe import visible


class _OneLineErrors(TyperGroup):
    """The root command, with click's usage errors (an unknown option, a bad value) written as
    the one line every other error is — ``warmupctl: error: … (see 'warmupctl plot -h')`` —
    instead of a usage block and a boxed message. Exit codes are click's (2 for usage)."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        try:
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var,
                              standalone_mode=False, **extra)
        except typer.Abort:
            sys.stderr.write("warmupctl: aborted\n")
            sys.exit(1)
        except Exception as exc:
            # click's exceptions, from the copy of click that typer carries (not importable as
            # a public module): known by what they have, a message and an exit code
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                raise
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()  # type: ignore[attr-defined]  # the help is the answer
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)
            see = f" (see '{ctx.command_path} -h')" if ctx is not None else ""
            # "No such option: --lgo (Possible options: --log)." → "… (did you mean --log?)"
            message = re.sub(r"\(Possible options: (.+)\)", r"(did you mean \1?)",
                             exc.format_message()).rstrip(".")
            # an option or a value as typed may hold control characters: shown, not sent
            sys.stderr.write(visible(f"warmupctl: error: {message}{see}") + "\n")
            sys.exit(exc.exit_code)
        # not standalone, click returns what the command returned, or an Exit's code
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
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
