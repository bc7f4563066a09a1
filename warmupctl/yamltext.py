"""Safe YAML reading that remembers where every key is.

Pure: text in, data and positions out. Only YAML's safe types are built (``yaml.SafeLoader``);
tags such as ``!!python/object`` are refused, and so are documents whose aliases expand to more
nodes than any real spec has (the "billion laughs" alias bomb).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import SpecError, path_text
from .textsafe import quote, visible

if TYPE_CHECKING:
    import yaml

# PyYAML is imported inside the functions: ~15 ms that runs without a YAML spec (the built-in
# default, flags only, a mapping from Python) do not pay

#: positions[path] = (line, column), both 1-based; path is a tuple of keys and list indices
Positions = dict[tuple[Any, ...], tuple[int, int]]

MAX_NODES = 20_000
MAX_DEPTH = 64
MAX_BYTES = 1_000_000


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load(text: str, origin: str = "<spec>") -> tuple[Any, Positions]:
    """Parse one YAML document; return its data and the position of every key and item."""
    import yaml

    if len(text) > MAX_BYTES:
        raise SpecError(
            f"the spec is {len(text):,} characters long; specs are limited to {MAX_BYTES:,}",
            origin=origin,
        )
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # e.g. control characters, caught by the reader up front
        raise SpecError(f"invalid YAML: {_problem(exc)}", origin=origin) from None
    try:
        return _load(loader, text, origin)
    except RecursionError:
        raise SpecError("the spec is nested too deeply to be a schedule", origin=origin) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {_problem(exc)}", origin=origin) from None
    finally:
        loader.dispose()


def _problem(exc: yaml.YAMLError) -> str:
    import yaml

    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} is not allowed in YAML"
    return getattr(exc, "problem", None) or str(exc).splitlines()[0]


def _check_depth(text: str, origin: str) -> None:
    """Refuse deep nesting before the (recursive) composer sees it; the event parser is flat."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise SpecError(f"the spec is nested more than {MAX_DEPTH} levels deep",
                                line=mark.line + 1, column=mark.column + 1, origin=origin)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _load(loader: yaml.SafeLoader, text: str, origin: str) -> tuple[Any, Positions]:
    import yaml

    try:
        _check_depth(text, origin)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        raise SpecError(
            f"invalid YAML: {problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            origin=origin,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"invalid YAML: {exc}", origin=origin) from None
    if node is None:
        raise SpecError(
            "the spec is empty", hint="a spec is a mapping with at least total and peak_lr",
            origin=origin,
        )
    _check_size(node, origin)
    _check_scalars(node, origin)
    positions: Positions = {}
    _collect(node, (), positions, origin)
    try:
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SpecError(
            f"unsupported YAML: {exc.problem}",
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
            hint="specs use plain YAML: mappings, lists, numbers and strings, no tags",
            origin=origin,
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise SpecError(f"invalid YAML value: {exc}", origin=origin) from None
    return data, positions


def _check_size(root: yaml.Node, origin: str) -> None:
    """Count nodes with aliases expanded, stopping early, to refuse alias bombs."""
    import yaml

    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise SpecError(
                f"the spec expands to more than {MAX_NODES:,} YAML nodes "
                "(nested aliases?); refusing to read it",
                line=root.start_mark.line + 1,
                origin=origin,
            )
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append(k)
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
#: YAML 1.1 numbers that YAML 1.2, JSON and people read otherwise: ``017`` (octal 15 to PyYAML)
#: and ``1:30`` (base 60: 90)
_OCTAL = re.compile(r"[-+]?0[0-7_]+")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_scalars(root: yaml.Node, origin: str) -> None:
    """Refuse scalars that would be read silently as something else than written: YAML 1.1
    octal (``017`` → 15) and base-60 numbers (``1:30`` → 90), and text with a lone surrogate
    (``"\\ud800"``: not a character, it cannot be printed or written as UTF-8)."""
    import yaml

    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode):
            _check_scalar(node, origin)


def _check_scalar(node: yaml.ScalarNode, origin: str) -> None:
    text = node.value
    line, column = _mark(node)
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise SpecError(
            f"{quote(text)} contains \\u{ord(surrogate.group()):04x}, half of a UTF-16 pair "
            "and not a character", line=line, column=column, origin=origin,
            hint="write the character itself, or both halves of the pair as one \\U escape")
    if node.tag not in (_INT, _FLOAT):
        return
    plain = text.replace("_", "")
    if node.tag == _INT and _OCTAL.fullmatch(text) and int(plain, 8) != int(plain, 10):
        digits = plain.lstrip("+-").lstrip("0") or "0"
        sign = "-" if plain.startswith("-") else ""
        raise SpecError(
            f"{quote(text)} is an octal number in YAML 1.1 ({int(plain, 8):,}), not "
            f"{sign}{digits}", line=line, column=column, origin=origin,
            hint=f"write {sign}{digits} without the leading zero, or quote it if it is text")
    if _SEXAGESIMAL.fullmatch(text):
        value = 0.0 if node.tag == _FLOAT else 0
        for part in plain.lstrip("+-").split(":"):
            value = value * 60 + (float(part) if node.tag == _FLOAT else int(part))
        raise SpecError(
            f"{quote(text)} is a base-60 number in YAML 1.1 ({value:,}), not a time or a ratio",
            line=line, column=column, origin=origin,
            hint=f"write the number itself, e.g. {value:g}, or quote it ('{text}') if it is text")


def _merged_keys(node: yaml.Node) -> dict[str, yaml.Node]:
    """The keys a ``<<`` merge brings in: those of a mapping or of a list of mappings (and of
    their own merges), each with the node that names it."""
    import yaml

    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    out: dict[str, yaml.Node] = {}
    for src in sources:
        if not isinstance(src, yaml.MappingNode):
            continue
        for k, v in src.value:
            if not isinstance(k, yaml.ScalarNode):
                continue
            if k.tag == "tag:yaml.org,2002:merge":
                for key, mark in _merged_keys(v).items():
                    out.setdefault(key, mark)
            else:
                out.setdefault(k.value, k)
    return out


def _check_merge(node: yaml.MappingNode, path: tuple[Any, ...], origin: str) -> None:
    """A key given both by a ``<<`` merge and explicitly: PyYAML keeps the explicit one without
    a word; it is reported as a key given twice."""
    import yaml

    merged: dict[str, yaml.Node] = {}
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
            merged.update(_merged_keys(v))
    if not merged:
        return
    for k, _ in node.value:
        if (isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"
                and k.value in merged):
            line, column = _mark(k)
            raise SpecError(
                "'{}' is given twice: here and by the '<<' merge (its key at {}:{})".format(
                    visible(k.value, 80), *_mark(merged[k.value])),
                path=path_text(path + (k.value,)), line=line, column=column, origin=origin,
                hint="keep one of them: remove this key or the merge")


def _collect(node: yaml.Node, path: tuple[Any, ...], out: Positions, origin: str) -> None:
    import yaml

    out.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        _check_merge(node, path, origin)
        seen: dict[str, yaml.Node] = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else None
            if key is None:
                continue
            if key in seen and key != "<<":
                # YAML says keys are unique; PyYAML would keep the last value without a word
                line, column = _mark(k)
                raise SpecError(
                    "'{}' is given twice (first at {}:{})".format(key, *_mark(seen[key])),
                    path=path_text(path + (key,)), line=line, column=column, origin=origin,
                    hint="keep one of them",
                )
            seen[key] = k
            out[path + (key,)] = _mark(k)
            # keys nested under this one point at their own lines
            _collect(v, path + (key,), out, origin)
            out[path + (key,)] = _mark(k)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect(item, path + (i,), out, origin)
