"""`warmupctl schema`: the JSON Schema agrees with the parser, checked with the real `jsonschema`
validator in both directions.

* Every spec the parser accepts — the presets, the YAML in docs/ and README.md, every spec-like
  dict literal in tests/*.py, the fuzz corpus — validates.
* Every spec the parser rejects for a structural reason (unknown key, wrong type, unknown shape,
  missing or conflicting keys) is rejected by the schema too: the harvested specs and corpus, and
  structurally broken specs that hypothesis derives from valid ones.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path

import pytest
from _support import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

jsonschema = pytest.importorskip("jsonschema", reason="needs jsonschema (test extra)")

from warmupctl import presets, spec, yamltext  # noqa: E402
from warmupctl.errors import WarmupctlError  # noqa: E402
from warmupctl.schema import KEYS, schema  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = schema(strict=True)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

#: parser messages that are about structure — what a schema can see
STRUCTURAL = re.compile(
    r"unknown key|unknown shape|unknown cooldown shape|unknown regime|unknown architecture"
    r"|missing key|does not apply to|cannot also have|give peak_lr or noam|give period or "
    r"cycles|period_mult needs period|keys must be names|top level of a spec must be a mapping"
    r"|expected .*got (?:a boolean|a list|a mapping|nothing|a string|an empty list|a number)"
    r"|expected .*got (?:True|False|dict|list|NoneType|str)\b|a mapping of keys"
    r"|cannot read .* as|unknown unit|expected a list of"
    r"|needs 'from'"
)


def parses(data) -> tuple[bool, str]:
    try:
        spec.parse(data)
    except WarmupctlError as exc:
        return False, str(exc)
    return True, ""


def valid(data) -> bool:
    return VALIDATOR.is_valid(data)


def schema_errors(data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in VALIDATOR.iter_errors(data)]


# ------------------------------------------------------------------------------------------
# the schema itself
# ------------------------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _described(node, path=""):
    """Every property of every object in the schema, with its description and examples."""
    if isinstance(node, dict):
        for key, sub in node.get("properties", {}).items():
            yield f"{path}.{key}", sub
            yield from _described(sub, f"{path}.{key}")
        for word in ("anyOf", "allOf", "oneOf"):
            for sub in node.get(word, []):
                yield from _described(sub, path)
        if isinstance(node.get("items"), dict):
            yield from _described(node["items"], path + "[]")
        for word in ("then", "else"):
            if isinstance(node.get(word), dict):
                yield from _described(node[word], path)


def test_every_key_of_every_table_has_a_description_and_an_example():
    seen = {}
    for path, sub in _described(SCHEMA):
        if "description" in sub or "examples" in sub:
            seen[path] = sub
    expected = {f".{k}" for k in spec.TOP_KEYS}
    expected |= {f".warmup.{k}" for ks in spec.WARMUP_KEYS.values() for k in ks}
    expected |= {".warmup.shape", ".warmup.length"}
    expected |= {f".decay.{k}" for ks in spec.DECAY_KEYS.values() for k in ks} | {".decay.shape"}
    expected |= {f".phases[].{k}" for ks in spec.PHASE_KEYS.values() for k in ks}
    expected |= {f".phases[].{k}" for k in spec.PHASE_COMMON_KEYS}
    expected |= {f".training.{k}" for k in spec.TRAINING_KEYS}
    expected |= {f".noam.{k}" for k in spec.NOAM_KEYS}
    assert expected <= set(seen), sorted(expected - set(seen))
    for path in expected:
        assert seen[path]["description"].strip(), path
        assert seen[path]["examples"], path


def test_examples_are_valid_values():
    # each key's example, placed in a minimal valid spec, validates and parses
    base = {"total": "100k", "peak_lr": 3e-4}
    for key in spec.TOP_KEYS:
        text, example, _ = KEYS[key]
        data = dict(base)
        if key == "noam":
            data.pop("peak_lr")
            data["warmup"] = {"shape": "linear", "length": 4000}
        data[key] = example
        assert valid(data), (key, schema_errors(data))
        assert parses(data)[0], (key, parses(data)[1])
    for key in spec.TRAINING_KEYS:
        data = {**base, "training": {key: KEYS[key][1]}}
        assert valid(data) and parses(data)[0], key


def test_a_new_table_key_without_a_description_fails(monkeypatch):
    monkeypatch.setattr(spec, "TRAINING_KEYS", spec.TRAINING_KEYS + ("label_smoothing",))
    monkeypatch.setattr(spec, "DECAY_SHAPES", spec.DECAY_SHAPES + ("tanh",))
    monkeypatch.setitem(spec.DECAY_KEYS, "tanh", ())
    with pytest.raises(KeyError, match="label_smoothing.*|.*tanh"):
        schema(strict=True)
    # without strict (what `warmupctl schema` prints) the key is there, with a placeholder
    loose = schema()
    training = loose["properties"]["training"]["anyOf"][0]["properties"]
    assert "label_smoothing" in training and "tanh" in json.dumps(loose)


# ------------------------------------------------------------------------------------------
# direction 1: what the parser accepts validates
# ------------------------------------------------------------------------------------------


def _doc_yaml_blocks():
    for path in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", path.read_text(), re.S)):
            yield f"{path.name}#{i}", block


def _test_dicts():
    """Every dict literal in tests/*.py that looks like a spec (has 'total')."""
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            if "total" not in keys:
                continue
            try:
                value = ast.literal_eval(node)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            yield f"{path.name}:{node.lineno}", value


def _corpus():
    for path in sorted(p for p in (ROOT / "tests" / "corpus").iterdir() if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        try:
            data, _ = yamltext.load(text, path.name)
        except WarmupctlError:
            continue
        yield f"corpus/{path.name}", data


def _to_json(data):
    """The data as an editor's validator sees it (JSON types; YAML-only keys made strings)."""
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("name", presets.names())
def test_every_preset_validates(name):
    data, _ = yamltext.load(presets.text(name), name)
    assert valid(data), schema_errors(data)


SAMPLES = ([(n, yamltext.load(b, n)[0]) for n, b in _doc_yaml_blocks()]
           + list(_test_dicts()) + list(_corpus()))


def _json_safe(data) -> bool:
    try:
        return _to_json(data) == data
    except (TypeError, ValueError):
        return False


ACCEPTED = [(n, d) for n, d in SAMPLES if _json_safe(d) and parses(d)[0]]
REJECTED = [(n, d) for n, d in SAMPLES if _json_safe(d) and not parses(d)[0]
            and STRUCTURAL.search(parses(d)[1])]


def test_the_harvest_is_not_empty():
    # docs, the test suites' spec dicts and the corpus give plenty of both kinds
    assert len(ACCEPTED) > 100 and len(REJECTED) > 10


@pytest.mark.parametrize("name,data", ACCEPTED, ids=[n for n, _ in ACCEPTED])
def test_every_accepted_spec_validates(name, data):
    assert valid(data), schema_errors(data)


# ------------------------------------------------------------------------------------------
# direction 2: structural rejections are rejected by the schema
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,data", REJECTED, ids=[n for n, _ in REJECTED])
def test_every_structural_rejection_is_rejected_by_the_schema(name, data):
    assert not valid(data), parses(data)[1]


BASES = [
    {"total": "100k", "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "2%"},
     "decay": {"shape": "cosine", "final_lr": "10%"},
     "training": {"optimizer": "adamw", "beta2": 0.95, "batch_size": 512}},
    {"total": 10_000, "noam": {"d_model": 512, "scale": 2}, "warmup": {"shape": "linear",
                                                                     "length": 400}},
    {"total": "90ep", "steps_per_epoch": 5005, "peak_lr": 0.1,
     "warmup": {"shape": "exponential", "length": "5ep", "tau": 1000, "skip_zero": True},
     "decay": {"shape": "step", "milestones": ["30ep", "60ep"], "gamma": 0.1}},
    {"total": "300B tokens", "tokens_per_step": "0.5M", "peak_lr": "6e-4",
     "warmup": {"shape": "polynomial", "length": "375M tokens", "power": 2, "start_lr": "1%"},
     "decay": {"shape": "wsd", "final_lr": 0, "cooldown": "20%", "cooldown_shape": "cosine"}},
    {"total": 20_000, "peak_lr": 1e-3, "decay": {"shape": "cosine_restarts", "period": 2000,
                                                 "period_mult": 2, "cycle_decay": 0.5}},
    {"total": 20_000, "phases": [
        {"shape": "linear", "length": 2000, "from": 0, "to": 3e-4, "skip_zero": True},
        {"shape": "constant", "length": "80%"},
        {"shape": "exponential", "length": 500, "gamma": 0.999},
        {"shape": "cosine", "length": "rest", "to": 3e-5, "horizon": 30_000}]},
]
assert all(parses(b)[0] for b in BASES), [parses(b)[1] for b in BASES]


def _blocks(data):
    """(path, mapping) of every mapping in a spec."""
    yield (), data
    for key, value in data.items():
        if isinstance(value, dict):
            yield (key,), value
        if key == "phases" and isinstance(value, list):
            for i, item in enumerate(value):
                yield (key, i), item


def _at(data, path):
    for p in path:
        data = data[p]
    return data


WRONG_VALUES = [True, [1, 2], {"a": 1}, None, "not a number"]


@st.composite
def broken(draw):
    """A valid base spec with one structural mistake: an unknown key, a value of the wrong
    type, or an unknown shape."""
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    blocks = list(_blocks(data))
    path, block = draw(st.sampled_from(blocks))
    block = _at(data, path)
    kind = draw(st.sampled_from(["key", "type", "shape"]))
    if kind == "key":
        name = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12))
        block[name] = draw(st.sampled_from([1, "x", 0.5, True]))
    elif kind == "shape" and "shape" in block:
        block["shape"] = draw(st.sampled_from(["cos", "linaer", "sqrt", "Linear", "", "wsd2",
                                               "1-sqrt", "onecycle"]))
    else:
        key = draw(st.sampled_from(sorted(block)))
        block[key] = draw(st.sampled_from(WRONG_VALUES))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken())
def test_structurally_broken_specs_are_rejected_by_both(data):
    ok, message = parses(data)
    if ok:
        # the mutation happened to be harmless (a null where null means 'absent', a name as a
        # number): then the schema must accept it too
        assert valid(data), schema_errors(data)
        return
    if STRUCTURAL.search(message):
        assert not valid(data), message


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BASES), st.data())
def test_each_shape_with_its_own_keys_validates(base, data):
    """A warmup or decay of any shape with keys of that shape (from the parser's tables)
    validates whenever the parser accepts it, and is rejected with another shape's key."""
    spec_ = {"total": "100k", "peak_lr": 3e-4}
    wshape = data.draw(st.sampled_from(spec.WARMUP_SHAPES))
    dshape = data.draw(st.sampled_from(spec.DECAY_SHAPES))
    values = {"start_lr": "1%", "skip_zero": True, "tau": 50, "power": 2, "final_lr": "10%",
              "length": "50%", "timescale": 1000, "milestones": ["60%", "80%"], "gamma": 0.5,
              "every": 100, "cooldown": "10%", "cooldown_shape": "linear", "period": 5000,
              "period_mult": 2, "cycle_decay": 0.5, "cycles": 3}
    wkeys = data.draw(st.lists(st.sampled_from(spec.WARMUP_KEYS[wshape] or ("start_lr",)),
                               unique=True))
    dkeys = data.draw(st.lists(st.sampled_from(spec.DECAY_KEYS[dshape] or ("final_lr",)),
                               unique=True))
    spec_["warmup"] = {"shape": wshape, **({"length": 1000} if wshape != "none" else {}),
                       **{k: values[k] for k in wkeys}}
    spec_["decay"] = {"shape": dshape, **{k: values[k] for k in dkeys}}
    ok, message = parses(spec_)
    if ok:
        assert valid(spec_), schema_errors(spec_)
    elif STRUCTURAL.search(message):
        assert not valid(spec_), message


# ------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------


def test_cli_prints_the_schema(tmp_path):
    r = run("schema")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == SCHEMA
    out = tmp_path / "spec.schema.json"
    r = run("schema", "-o", str(out), "-q")
    assert r.exit_code == 0 and json.loads(out.read_text()) == SCHEMA


def test_schema_catches_a_typo_an_editor_would_flag():
    data = {"total": "100k", "peak_lr": 3e-4, "warmup": {"shape": "linear", "lenght": 2000}}
    assert not parses(data)[0]
    errors = schema_errors(data)
    assert errors and any("lenght" in e for e in errors)


GOOD = {"total": "100k", "peak_lr": 3e-4}


@pytest.mark.parametrize("data", [
    {"peak_lr": 3e-4},                                                   # no total
    {"total": None, "peak_lr": 3e-4},
    {"total": "100k"},                                                   # no peak
    {**GOOD, "noam": {"d_model": 512}, "warmup": {"shape": "linear", "length": 10}},
    {**GOOD, "phases": [{"shape": "linear", "length": "rest", "from": 0, "to": 1e-3}],
     "warmup": {"shape": "linear", "length": 10}},
    {**GOOD, "phases": []},
    {**GOOD, "warmup": {"length": 10}},                                  # no shape
    {**GOOD, "warmup": {"shape": "linear"}},                             # no length
    {**GOOD, "warmup": {"shape": "constant", "length": 10, "tau": 5}},   # another shape's key
    {**GOOD, "decay": {"shape": "step"}},                                # no milestones
    {**GOOD, "decay": {"shape": "cosine_restarts"}},                     # no period or cycles
    {**GOOD, "decay": {"shape": "cosine_restarts", "period": 10, "cycles": 2}},
    {**GOOD, "decay": {"shape": "cosine_restarts", "cycles": 2, "period_mult": 2}},
    {**GOOD, "decay": {"shape": "exponential"}},                         # no gamma
    {**GOOD, "decay": {"shape": "wsd", "cooldown_shape": "sqrt"}},
    {**GOOD, "decay": {"shape": "cosine", "final_lr": "10 percent"}},
    {**GOOD, "warmup": {"shape": "linear", "length": "5 weeks"}},
    {**GOOD, "training": {"regime": "pretraining"}},
    {**GOOD, "training": {"optimizer": ""}},
    {**GOOD, "noam": {"scale": 2}},                                      # no d_model
    {**GOOD, "phases": [{"shape": "linear", "length": 10, "to": 1e-3}], "peak_lr": None},
])
def test_hand_written_structural_mistakes(data):
    ok, message = parses(data)
    assert not ok and STRUCTURAL.search(message), message
    assert not valid(data), message
