"""Bounded reading of JSON and of trainer config files (JSON or YAML).

Pure: text in, data out. Every config file, ds_config and JSON string that warmupctl reads goes
through :func:`load_config` (or :func:`load` for JSON alone), with the same limits as spec files
(:mod:`warmupctl.yamltext`): at most :data:`MAX_BYTES` characters, :data:`MAX_DEPTH` levels of
nesting, and numbers of at most :data:`MAX_DIGITS` characters. ``NaN``, ``Infinity`` and numbers
that overflow a float (``1e400``) are refused while parsing, and YAML's ``.nan``/``.inf`` and
huge integers after it, so no reader downstream meets a value it cannot convert. Error messages
quote at most 80 characters of a value (:func:`warmupctl.textsafe.quote`).

The depth is checked by a flat scan before :func:`json.loads` (which recurses) sees the text.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import SpecError, path_text
from .textsafe import quote, visible
from .yamltext import MAX_BYTES, MAX_DEPTH

#: the longest number literal accepted (digits, sign, point and exponent included)
MAX_DIGITS = 100

_LONG_NUMBER = re.compile(r"(?<![\w.])[0-9_]{" + str(MAX_DIGITS + 1) + ",}")
#: a string (an unterminated one runs to the end: the match never fails, so never backtracks,
#: and one pass is linear in the text) or a bracket
_TOKEN = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[\]{}]', re.S)


def _refuse(message: str, origin: str, text: str | None = None, pos: int | None = None,
            hint: str | None = None) -> SpecError:
    line = column = None
    if text is not None and pos is not None:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return SpecError(message, line=line, column=column, origin=origin, hint=hint)


def _check_depth(text: str, origin: str) -> None:
    """Refuse more than :data:`MAX_DEPTH` nested arrays/objects, without recursion."""
    if "[" not in text and "{" not in text:
        return
    depth = 0
    # strings may hold brackets: they are matched whole and skipped
    for m in _TOKEN.finditer(text):
        if m.group()[0] == '"':
            continue
        if m.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(f"the file is nested more than {MAX_DEPTH} levels deep", origin,
                              text, m.start())
        else:
            depth -= 1


def _int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise _NumberError(f"a {len(text):,}-digit number: numbers are limited to "
                           f"{MAX_DIGITS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_DIGITS:
        raise _NumberError(f"a {len(text):,}-character number: numbers are limited to "
                           f"{MAX_DIGITS} characters")
    x = float(text)
    if not math.isfinite(x):
        raise _NumberError(f"{quote(text)} is too large for a floating-point number")
    return x


def _constant(text: str) -> Any:
    raise _NumberError(f"{text} is not a number JSON allows; write a finite number")


class _NumberError(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _NumberError(f"the key {quote(key)} is given twice; keep one of them")
        out[key] = value
    return out


def load(text: str, origin: str = "<json>") -> Any:
    """Parse JSON text within the limits; raises :class:`SpecError` (exit code 2)."""
    if len(text) > MAX_BYTES:
        raise _refuse(f"the file is {len(text):,} characters long; configs are limited to "
                      f"{MAX_BYTES:,}", origin)
    _check_depth(text, origin)
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                          object_pairs_hook=_pairs)
    except _NumberError as exc:
        raise _refuse(str(exc), origin) from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno,
                        origin=origin) from None
    except (RecursionError, ValueError) as exc:  # pragma: no cover - the scans above catch these
        raise _refuse(f"invalid JSON: {quote(exc)}", origin) from None


def looks_like_json(text: str) -> bool:
    """The text starts (after blanks) with ``{`` or ``[``: a JSON document, or YAML flow style."""
    return text.lstrip()[:1] in ("{", "[")


def load_config(text: str, origin: str = "<config>") -> Any:
    """A JSON or YAML document (a trainer config), bounded like a spec file; values that no
    reader can convert (``.nan``, ``.inf``, integers of more than :data:`MAX_DIGITS` digits) are
    refused with their key path."""
    from . import yamltext

    data: Any = None
    if looks_like_json(text):
        try:
            data = load(text, origin)
        except SpecError as exc:
            if not exc.message.startswith("invalid JSON"):
                raise
            data = None  # YAML's flow style is not JSON; let the YAML reader say what is wrong
        else:
            check_values(data, origin)
            return data
    long_number = _LONG_NUMBER.search(text)
    if long_number and len(text) <= MAX_BYTES:
        raise _refuse(f"a {len(long_number.group()):,}-digit number: numbers are limited to "
                      f"{MAX_DIGITS} characters", origin, text, long_number.start())
    try:
        data, positions = yamltext.load(text, origin)
    except SpecError as exc:
        exc.message = exc.message.replace("the spec", "the file")
        raise SpecError(exc.message, path=exc.path, line=exc.line, column=exc.column,
                        hint=exc.hint, origin=exc.origin) from None
    check_values(data, origin, positions)
    return data


def check_values(data: Any, origin: str, positions: dict | None = None) -> None:
    """Refuse non-finite floats and integers of more than :data:`MAX_DIGITS` digits anywhere in
    ``data`` (iteratively: the depth is already bounded, but the walk needs no stack)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    limit = 10**MAX_DIGITS
    while stack:
        path, value = stack.pop()
        problem = None
        if isinstance(value, float) and not math.isfinite(value):
            problem = f"{value!r} is not a finite number"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= limit:
            problem = f"a {len(str(abs(value))):,}-digit number is too large"
        elif isinstance(value, dict):
            stack.extend((path + (k,), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))
        if problem:
            line, column = (positions or {}).get(path, (None, None))
            raise SpecError(problem, path=visible(path_text(path), 80) or None, line=line,
                            column=column, origin=origin)
