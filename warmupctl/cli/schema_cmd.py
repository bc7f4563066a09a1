"""`warmupctl schema`: the JSON Schema of the spec, for editors and pre-commit checks."""

import json
from typing import Annotated

import typer

from ..fileio import atomic_writer
from ._app import app
from ._common import QuietOpt, handle_errors, notice


@app.command()
@handle_errors
def schema(
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="PATH|-", help="Output file; '-' is stdout.")
    ] = "-",
    quiet: QuietOpt = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a spec, for editors and CI checks.

    Editors complete and check specs with it; check-jsonschema runs it in CI (docs/spec.md).
    """
    from ..schema import schema as build

    text = json.dumps(build(), ensure_ascii=False, indent=2) + "\n"
    with atomic_writer(output) as stream:
        stream.write(text.encode("utf-8"))
    if output != "-":
        notice(f"wrote {output}", quiet)
