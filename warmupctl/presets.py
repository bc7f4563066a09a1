"""The preset library: published recipes shipped as YAML files inside the package.

In a wheel the files live in ``warmupctl/presets/`` (the build maps the repository's top-level
``presets/`` there); in a source checkout they are read from ``presets/`` beside the package.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import WarmupctlError, suggest


def _folder() -> Traversable:
    packaged = resources.files("warmupctl") / "presets"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / "presets"
    return checkout


def names() -> list[str]:
    """Names of all shipped presets, sorted."""
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(
        entry.name[: -len(".yaml")] for entry in folder.iterdir() if entry.name.endswith(".yaml")
    )


def exists(name: str) -> bool:
    return name in names()


def text(name: str) -> str:
    """The YAML text of a preset. Raises WarmupctlError for an unknown name."""
    if not exists(name):
        hint = suggest(name, names())
        raise WarmupctlError(
            f"no preset named {name!r}" + (f" ({hint})" if hint else "")
            + "; `warmupctl presets` lists them"
        )
    return (_folder() / f"{name}.yaml").read_text(encoding="utf-8")
