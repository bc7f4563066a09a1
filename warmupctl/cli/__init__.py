"""The ``warmupctl`` command line: thin wrappers that parse arguments and call the library.

Each command lives in its own module, which adds itself to the Typer app when imported. The
program imports only the module of the command it runs (the others cost start-up time for
nothing); ``warmupctl.cli.app`` — what tests and other Python code use — has every command.
"""

import importlib
import sys
from typing import Any

from ._app import app as _app

#: command name -> module, in the order `warmupctl --help` lists them
COMMANDS = {
    "show": "show_cmd",
    "lr": "lr_cmd",
    "plot": "plot_cmd",
    "export": "export_cmd",
    "import": "import_cmd",
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


def main() -> None:
    # the first word that is not an option names the command (the root has only flags)
    first = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    _register(first if first in COMMANDS else None)
    _app(prog_name="warmupctl")
