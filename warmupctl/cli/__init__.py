"""The ``warmupctl`` command line: thin wrappers that parse arguments and call the library.

Each command lives in its own module, which adds itself to the Typer app when imported. The
program imports only the module of the command it runs (the others cost start-up time for
nothing); ``warmupctl.cli.app`` — what tests and other Python code use — has every command.
"""

import os
import signal
import sys


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C before a command runs (while Python loads NumPy, Typer, Rich): one line and exit
    130, as in a command (docs/cli.md, exit codes), instead of a traceback from an import."""
    try:
        os.write(2, b"warmupctl: interrupted\n")
    except OSError:
        pass
    os._exit(130)


def _is_program() -> bool:
    """Started as the `warmupctl` program (or `python -m warmupctl`), not imported by Python
    code such as a test or a notebook, whose Ctrl-C is its own."""
    first = sys.argv[0] if sys.argv else ""
    return os.path.basename(first) in ("warmupctl", "-m") or first.endswith(
        os.path.join("warmupctl", "__main__.py"))


# first, before the imports that take time; the command restores Python's own handler, so its
# KeyboardInterrupt is handled like every other error (cli/_common.py, handle_errors)
if _is_program() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, _interrupted)

import importlib  # noqa: E402
from typing import Any  # noqa: E402

from ._app import app as _app  # noqa: E402

#: command name -> module, in the order `warmupctl --help` lists them
COMMANDS = {
    "show": "show_cmd",
    "lr": "lr_cmd",
    "plot": "plot_cmd",
    "export": "export_cmd",
    "import": "import_cmd",
    "diff": "diff_cmd",
    "schema": "schema_cmd",
    "validate": "validate_cmd",
    "recommend": "recommend_cmd",
    "presets": "presets_cmd",
    "updates": "updates_cmd",
}


def _register(only: str | None = None) -> None:
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(f"{__name__}.{module}")


def __getattr__(name: str) -> Any:
    if name == "app":
        _register()
        return _app
    raise AttributeError(name)


class _Closed:
    """Standard output when the program was started with it closed (`warmupctl show >&-`):
    writing to it is an error like a full disk, one line and exit 2 (cli/_common.py)."""

    encoding = "utf-8"

    @property
    def buffer(self) -> "_Closed":  # binary writes (`export -o -`) fail the same way
        return self

    def write(self, text: object) -> int:
        raise OSError(9, "standard output is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def main() -> None:
    if sys.stdout is None:
        sys.stdout = _Closed()  # type: ignore[assignment]
    # the first word that is not an option names the command (the root has only flags)
    first = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    _register(first if first in COMMANDS else None)
    try:
        _app(prog_name="warmupctl")
    except OSError as exc:
        # output printed by click itself (--help, --version, usage) to a full or closed stdout;
        # the commands' own output is handled in cli._common.handle_errors
        from ._common import os_error_text, silence_stdout

        silence_stdout()
        sys.stderr.write(f"warmupctl: error: {os_error_text(exc)}\n")
        raise SystemExit(2) from None
