"""Text from users made inert for display: no control characters, no lone surrogates, bounded.

Names, descriptions, file names and values quoted in messages come from specs and trainer configs
that may be hostile. Everything that prints or draws such text passes it through :func:`visible`
first (the CLI additionally escapes Rich markup). Pure: no I/O.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls, and lone surrogates (from ``surrogateescape`` or bad JSON)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")

#: how many characters of a user's value a message quotes at most
QUOTE_LIMIT = 80
#: how many characters of a file name a message shows at most
PATH_LIMIT = 300


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, limit: int | None = None) -> str:
    """``text`` with every control character and lone surrogate written as a ``\\xNN`` /
    ``\\uNNNN`` escape (newlines and tabs too: the result is one line), shortened to ``limit``
    characters with a trailing ``…`` when given."""
    out = _UNSAFE.sub(_escape, str(text))
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return out


def quote(text: object, limit: int = QUOTE_LIMIT) -> str:
    """A user's value for an error message: :func:`visible`, at most ``limit`` characters, in
    single quotes."""
    return "'" + visible(text, limit) + "'"


#: a quoted value in a message: '…' or "…" (as repr() writes them), not an apostrophe
_QUOTED = re.compile(r"(?<!\w)(?:'[^'\n]*'|\"[^\"\n]*\")(?!\w)")


def bounded_quotes(message: str, limit: int = QUOTE_LIMIT) -> str:
    """``message`` with every quoted value (``'…'`` or ``"…"``) longer than ``limit``
    characters shortened to ``limit`` with a ``…``: a message quotes at most ~80 characters of
    what it complains about, whoever built it."""

    def cut(match: re.Match[str]) -> str:
        text = match.group()
        if len(text) - 2 <= limit:
            return text
        return text[: limit + 1] + "…" + text[-1]

    return _QUOTED.sub(cut, message)
