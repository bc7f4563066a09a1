"""Domain errors.

Every problem a user can cause (a bad spec, a missing file, a step outside the run) is raised as a
:class:`WarmupctlError`. The CLI maps all of them to one short message on stderr and exit code 2;
library callers can catch them like any exception. Nothing here prints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .textsafe import bounded_quotes


class WarmupctlError(Exception):
    """Base class of every error caused by input: the CLI turns it into exit code 2."""

    exit_code = 2


class SpecError(WarmupctlError):
    """A spec that cannot be turned into a schedule.

    Carries the key path (``warmup.length``), where it is in the YAML text (1-based line and
    column, when known), what was expected, and a suggestion.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        origin: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.hint = hint
        self.origin = origin
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.origin:
            where = self.origin
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        key = f"{self.path}: " if self.path else ""
        text = f"{where}{key}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        # a value quoted from a spec shows at most ~80 characters, whoever built the message
        return bounded_quotes(text)


def path_text(path: Iterable[object]) -> str:
    """A key path as users write it: ``phases[1].length``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class OutputError(WarmupctlError):
    """An output file could not be written (read-only folder, full disk, ...)."""


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``word``, as a 'did you mean' hint, or None."""
    options = list(choices)
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not close:
        # short words are far apart by difflib's ratio ('tp' and 'to' score 0.5): one typo
        # (a wrong, missing, extra or swapped letter) still names the key
        close = [c for c in options if _one_typo(str(word), c)][:1]
    if close:
        return f"did you mean '{close[0]}'?"
    return None


def _one_typo(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one substituted, inserted, deleted or swapped character."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
