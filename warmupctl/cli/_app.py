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
    add_completion=True,
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


# --------------------------------------------------------------------------------------------
# Shell completion (`warmupctl --install-completion`; docs/cli.md): the callbacks that complete
# SPEC arguments (preset names and spec files) and --warmup / --decay values (shapes)
# --------------------------------------------------------------------------------------------

#: the most file names a completion lists
MAX_COMPLETIONS = 200


def complete_spec(incomplete: str) -> list[tuple[str, str]]:
    """Preset names, then spec files (.yaml, .yml, .json) and folders, starting with what was
    typed."""
    import glob
    import os

    from .. import presets

    out = [(name, "preset") for name in presets.names() if name.startswith(incomplete)]
    if incomplete.startswith("-"):
        return out
    pattern = glob.escape(os.path.expanduser(incomplete)) + "*"
    for path in sorted(glob.glob(pattern))[:MAX_COMPLETIONS]:
        if os.path.isdir(path):
            out.append((path + os.sep, "folder"))
        elif path.endswith((".yaml", ".yml", ".json")):
            out.append((path, "spec file"))
    return out


def complete_preset(incomplete: str) -> list[tuple[str, str]]:
    """Preset names starting with what was typed."""
    from .. import presets

    return [(name, "preset") for name in presets.names() if name.startswith(incomplete)]


def _shape_items(incomplete: str, shapes: tuple[str, ...], suffix: str) -> list[tuple[str, str]]:
    from ..schema import SHAPES

    out = []
    for shape in shapes:
        value = shape if shape == "none" else shape + suffix
        if value.startswith(incomplete):
            out.append((value, SHAPES.get(shape, shape)))
    return out


def complete_warmup(incomplete: str) -> list[tuple[str, str]]:
    """Warmup shapes, written ``linear:`` ready for the length (``none`` alone)."""
    from ..spec import WARMUP_SHAPES

    return _shape_items(incomplete, WARMUP_SHAPES, ":")


def complete_decay(incomplete: str) -> list[tuple[str, str]]:
    """Decay shapes (the final rate after a ``:`` is optional)."""
    from ..spec import DECAY_SHAPES

    return _shape_items(incomplete, DECAY_SHAPES, "")
