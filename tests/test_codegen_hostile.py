"""Spec text never becomes code: hostile names and descriptions through every code generator.

Each string of tests/corpus/hostile/ (one JSON string per file: triple quotes of both kinds, a
trailing backslash, ``\\N{``, ``\\x``, newlines, CR, NUL, lone surrogates, ESC/OSC, 100,000
characters, format braces, ``%s``) becomes the ``name`` and ``description`` of three schedules
that together reach every way the torch, optax and keras targets write a file. Every candidate
of every target is rendered; each file must parse, and running all of them as scripts (one
subprocess per framework) must leave no marker file: the payloads would create
``HOSTILE_MARKER`` in the working folder if any of them ran.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # as tests/test_interop_keras.py

from warmupctl import interop, load  # noqa: E402
from warmupctl.engine import Schedule  # noqa: E402
from warmupctl.errors import WarmupctlError  # noqa: E402
from warmupctl.interop import _codegen  # noqa: E402

HOSTILE = sorted((Path(__file__).parent / "corpus" / "hostile").glob("*.json"))
STRINGS = [json.loads(p.read_text(encoding="ascii")) for p in HOSTILE]
MARKER = "HOSTILE_MARKER"

#: three schedules that, with every candidate rendered, reach each branch of the generators:
#: built-in torch classes, a LambdaLR closed form, optax/keras library calls, closed-form pieces
SPECS = [
    {"total": 200, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "10%"},
     "decay": {"shape": "cosine", "final_lr": "10%"}},
    {"total": 200, "peak_lr": 1e-3,
     "warmup": {"shape": "linear", "length": 20, "start_lr": "10%"},
     "decay": {"shape": "linear", "final_lr": 0}},
    {"total": 240, "peak_lr": 1e-3, "warmup": {"shape": "cosine", "length": 20},
     "decay": {"shape": "wsd", "cooldown": "20%", "cooldown_shape": "1-sqrt"}},
]


def renamed(schedule: Schedule, text: str) -> Schedule:
    """``schedule`` with ``text`` as its name and description (straight into the engine, so
    the string reaches the generators whatever the spec reader would make of it)."""
    return Schedule(schedule.total_steps, list(schedule.phases), name=text,
                    meta={**schedule.meta, "description": text})


def every_file(text: str) -> dict[str, list[str]]:
    """All the files the code targets can write for the three schedules named ``text``."""
    out: dict[str, list[str]] = {t: [] for t in interop.CODE_TARGETS}
    for spec in SPECS:
        base = load(spec)
        s = renamed(base, text)
        for target in interop.CODE_TARGETS:
            mod = interop.target_module(target)
            for cand in mod.candidates(s):
                out[target].append(mod.render(cand, s))
            out[target].append(interop.export(s, target).text)
    return {t: list(dict.fromkeys(files)) for t, files in out.items()}


def strings(tree: ast.AST) -> list[str]:
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_corpus_is_there():
    assert len(STRINGS) >= 20
    assert any("\ud800" in s for s in STRINGS) and any('"""' in s for s in STRINGS)
    assert any(len(s) > 50_000 for s in STRINGS) and any(s.endswith("\\") for s in STRINGS)


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_every_generated_file_parses_and_holds_no_spec_text_in_code(path):
    text = json.loads(path.read_text(encoding="ascii"))
    benign = every_file("x")
    for target, files in every_file(text).items():
        assert len(files) == len(benign[target])
        for src, ref in zip(files, benign[target], strict=True):
            tree = ast.parse(src)  # raises on the old code for several strings
            src.encode("utf-8")  # a lone surrogate would make the file unwritable
            # the spec text changes no string constant (docstrings included): it is only ever
            # in comments
            assert strings(tree) == strings(ast.parse(ref)), target
            # outside comments, no line carries the payload
            for line in src.splitlines():
                code = line.split("#", 1)[0]
                assert MARKER not in code, (target, line[:120])


def test_spec_reader_route_is_safe_too():
    """Through the spec mapping (as a YAML file gives it): either a clean spec error or a
    file that parses."""
    for text in STRINGS:
        try:
            s = load({**SPECS[0], "name": text, "description": text})
        except WarmupctlError:
            continue
        for target in interop.CODE_TARGETS:
            ast.parse(interop.export(s, target).text)


def test_a_file_that_does_not_parse_is_refused():
    with pytest.raises(_codegen.GeneratedCodeError):
        _codegen.checked('x = """\n')


RUNNER = """
import runpy, sys
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
print("ran", len(sys.argv) - 1)
"""


@pytest.mark.parametrize("target", ["torch", "optax", "keras"])
def test_running_the_files_executes_no_payload(target, tmp_path):
    pytest.importorskip({"torch": "torch", "optax": "optax", "keras": "keras"}[target],
                        reason=f"needs {target} (test extra)")
    paths = []
    for k, text in enumerate(STRINGS):
        for j, src in enumerate(every_file(text)[target]):
            p = tmp_path / f"gen_{k}_{j}.py"
            p.write_text(src, encoding="utf-8")
            paths.append(str(p))
    env = {**os.environ, "KERAS_BACKEND": "torch", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, *paths], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"ran {len(paths)}" in proc.stdout
    assert not (tmp_path / MARKER).exists()


# --------------------------------------------------------------------------------------------
# Header injection: the `# imported from FILE` comment of an imported spec
# --------------------------------------------------------------------------------------------

INJECTED_NAMES = [
    "cfg\nwarmup: {shape: none}\n.json",
    "cfg\rwarmup: {shape: none}\r.json",
    "cfg\r\ntotal: 5\r\n.json",
    "cfg\x85total: 5\u2028peak_lr: 1.0\u2029.json",
]


@pytest.mark.parametrize("fname", INJECTED_NAMES, ids=range(len(INJECTED_NAMES)))
def test_a_config_file_name_cannot_add_keys_to_the_imported_spec(fname, tmp_path):
    from _support import run

    cfg = {"learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 10,
           "max_steps": 100}
    src = tmp_path / fname
    src.write_text(json.dumps(cfg))
    out = tmp_path / "spec.yaml"
    r = run("import", "-f", "hf", str(src), "-o", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    s = load(str(out))
    assert s.warmup_steps == 10 and s.total_steps == 100 and s.peak_lr == 1e-3
    header = [line for line in text.splitlines(keepends=True) if "imported from" in line]
    assert len(header) == 1 and header[0].startswith("# imported from")
    assert "\r" not in text and "\u2028" not in text and "\x85" not in text


def test_spec_strings_that_yaml_would_refuse_or_break_are_escaped():
    import yaml

    from warmupctl.interop._specgen import to_yaml

    name = "a\x85b\u2028c\x7fd\ud800"
    text = to_yaml({"name": name, "total": 10}, ["x\ny: 1"])
    text.encode("utf-8")
    assert yaml.safe_load(text) == {"name": name, "total": 10}
