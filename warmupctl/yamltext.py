"""Safe YAML reading that remembers where every key is.

Pure: text in, data and positions out. Only YAML's safe types are built (``yaml.SafeLoader``);
tags such as ``!!python/object`` are refused, and so are documents whose aliases expand to more
nodes than any real spec has (the "billion laughs" alias bomb).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import SpecError, path_text

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


def _collect(node: yaml.Node, path: tuple[Any, ...], out: Positions, origin: str) -> None:
    import yaml

    out.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
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
