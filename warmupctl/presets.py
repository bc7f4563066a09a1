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


def markdown() -> str:
    """docs/presets.md: every preset with its numbers, source and notes (generated, so the page
    cannot drift from the files; tests/test_presets_doc.py checks it)."""
    from .loading import load
    from .units import format_count

    lines = [
        "# Presets",
        "",
        "Published training recipes that ship with warmupctl (`warmupctl presets`,",
        "`warmupctl presets show NAME`). Each cites its source; numbers the source does not state,",
        "and places where sources disagree, are in the preset's note. Generated from the preset",
        "files by `python docs/make_presets.py`.",
        "",
        "| preset | steps | tokens | warmup | peak | final | source |",
        "|---|---|---|---|---|---|---|",
    ]
    notes = []
    for name in names():
        s = load(name)
        tps = s.meta.get("tokens_per_step")
        tokens = format_count(s.total_steps * tps) if tps else ""
        share = 100 * s.warmup_steps / s.total_steps
        warm = f"{s.warmup_steps:,} ({share:.3g}%)" if s.warmup_steps else "none"
        final = s.lr(s.total_steps - 1)
        lines.append(
            f"| `{name}` | {s.total_steps:,} | {tokens} | {warm} | {s.peak_lr:.4g} | {final:.3g} "
            f"| {s.source or ''} |"
        )
        if s.meta.get("note"):
            notes.append(f"* **`{name}`** — {s.meta['note']}")
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"
