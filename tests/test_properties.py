"""Invariants over generated specs (hypothesis): valid specs give sane curves, invalid ones
exit 2."""

import math

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import warmupctl
from warmupctl import engine, yamltext
from warmupctl.cli import app
from warmupctl.errors import WarmupctlError
from warmupctl.spec import parse

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

rates = st.floats(min_value=1e-7, max_value=10.0, allow_nan=False, allow_infinity=False)


@st.composite
def warmups(draw, total):
    shape = draw(st.sampled_from(["linear", "constant", "cosine", "exponential", "polynomial",
                                  "none"]))
    if shape == "none" or total < 2:
        return None
    block = {"shape": shape, "length": draw(st.integers(1, total - 1))}
    if draw(st.booleans()):
        block["start_lr"] = f"{draw(st.integers(0, 100))}%"
    if shape in ("linear", "cosine", "exponential", "polynomial") and draw(st.booleans()):
        block["skip_zero"] = draw(st.booleans())
    if shape == "exponential" and draw(st.booleans()):
        block["tau"] = draw(st.floats(0.1, 1000))
    if shape == "polynomial":
        block["power"] = draw(st.floats(0.1, 5))
    return block


@st.composite
def decays(draw, total):
    shape = draw(st.sampled_from(["constant", "cosine", "linear", "polynomial", "inverse_sqrt",
                                  "step", "exponential", "wsd", "cosine_restarts", None]))
    if shape is None:
        return None
    block: dict = {"shape": shape}
    horizon = draw(st.integers(1, 2 * total))
    if shape in ("cosine", "linear", "polynomial", "wsd", "cosine_restarts", "inverse_sqrt",
                 "exponential") and draw(st.booleans()):
        block["length"] = horizon
    if shape in ("cosine", "linear", "polynomial", "wsd", "cosine_restarts"):
        block["final_lr"] = f"{draw(st.integers(0, 100))}%"
    if shape == "polynomial":
        block["power"] = draw(st.floats(0.1, 5))
    if shape == "step":
        block["milestones"] = draw(st.lists(st.integers(1, max(1, total - 1)), min_size=1,
                                            max_size=4)) if total > 1 else None
        if block["milestones"] is None:
            return None
        block["gamma"] = draw(st.floats(0.01, 1.0))
    if shape == "exponential":
        block["gamma"] = draw(st.floats(0.9, 1.0))
        block["every"] = draw(st.integers(1, 100))
    if shape == "inverse_sqrt" and draw(st.booleans()):
        block["timescale"] = draw(st.integers(1, 10_000))
    if shape == "wsd":
        block["cooldown"] = draw(st.integers(1, min(horizon, total) if "length" in block
                                             else 1))
        block["cooldown_shape"] = draw(st.sampled_from(["linear", "cosine", "1-sqrt"]))
    if shape == "cosine_restarts":
        if draw(st.booleans()):
            block["cycles"] = draw(st.integers(1, 5))
        else:
            block["period"] = draw(st.integers(1, total))
            block["period_mult"] = draw(st.sampled_from([1, 1.5, 2]))
        if draw(st.booleans()):
            block["cycle_decay"] = draw(st.floats(0.1, 1.0))
    return block


@st.composite
def specs(draw):
    total = draw(st.integers(1, 3000))
    spec: dict = {"total": total, "peak_lr": draw(rates)}
    w = draw(warmups(total))
    if w:
        spec["warmup"] = w
    d = draw(decays(total))
    if d:
        spec["decay"] = d
    return spec


@st.composite
def phase_specs(draw):
    total = draw(st.integers(2, 3000))
    n = draw(st.integers(1, 4))
    phases = []
    left = total
    for i in range(n):
        shape = draw(st.sampled_from(["linear", "constant", "cosine", "polynomial",
                                      "inverse_sqrt", "wsd"]))
        last = i == n - 1 and draw(st.booleans())
        length = "rest" if last else draw(st.integers(1, max(1, left // 2)))
        if length != "rest":
            left -= length
        p = {"shape": shape, "length": length, "to": draw(rates)}
        if i == 0:
            p["from"] = draw(rates)
        if shape == "wsd":
            p["cooldown"] = 1
        phases.append(p)
    if left < 1:
        return {"total": total, "phases": [{"shape": "linear", "length": "rest", "from": 0,
                                            "to": 1.0}]}
    return {"total": total, "phases": phases}


def check_curve(s):
    curve = s.curve()
    assert curve.shape == (s.total_steps,)
    assert np.all(np.isfinite(curve))
    assert np.all(curve >= 0)
    return curve


@SETTINGS
@given(specs())
def test_valid_specs_give_sane_curves(spec):
    try:
        s = warmupctl.load(spec)
    except WarmupctlError:
        # the generator can produce combinations the contract refuses (e.g. a wsd cooldown
        # longer than a short horizon); refusing them is fine, crashing is not
        return
    curve = check_curve(s)
    w = s.warmup_steps
    if w > 1:
        assert np.all(np.diff(curve[:w]) >= -1e-15 * s.peak_lr), "warmup must not decrease"
    # single steps, windows and chunked evaluation agree bit for bit
    rng = np.random.default_rng(0)
    for t in rng.integers(0, s.total_steps, size=5):
        assert s.lr(int(t)) == curve[t]
    a = int(rng.integers(0, s.total_steps))
    b = int(rng.integers(a, s.total_steps + 1))
    assert np.array_equal(s.window(a, b), curve[a:b])


@SETTINGS
@given(phase_specs())
def test_phase_specs_give_sane_curves(spec):
    check_curve(warmupctl.load(spec))


@settings(max_examples=40, deadline=None)
@given(specs(), st.integers(1, 50))
def test_chunked_equals_whole(spec, every):
    try:
        s = warmupctl.load(spec)
    except WarmupctlError:
        return
    whole = s.curve()
    old = engine.CHUNK
    engine.CHUNK = 7
    try:
        steps = np.concatenate([st for st, _ in s.chunks(every)])
        rates = np.concatenate([r for _, r in s.chunks(every)])
    finally:
        engine.CHUNK = old
    expected = list(range(0, s.total_steps, every))
    if expected[-1] != s.total_steps - 1:
        expected.append(s.total_steps - 1)
    assert steps.tolist() == expected
    assert np.array_equal(rates, whole[steps])


# ---------------------------------------------------------------- invalid input


BREAKERS = [
    ("total", -5), ("total", "lots"), ("total", None), ("total", [1, 2]),
    ("peak_lr", -1.0), ("peak_lr", "nan"), ("peak_lr", float("inf")), ("peak_lr", {"a": 1}),
    ("warmup", {"shape": "linear", "length": 10**9}), ("warmup", {"shape": "lin", "length": 2}),
    ("warmup", {"shape": "linear", "length": "2 ep"}), ("warmup", 3),
    ("decay", {"shape": "cosine", "final_lr": -1}), ("decay", {"shape": "nope"}),
    ("decay", {"shape": "step", "milestones": "soon"}), ("extra_key", 1),
    ("warmup", {"shape": "linear", "length": "1M tokens"}),
    ("phases", [{"shape": "linear", "length": 10**9, "from": 0}]),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs(), st.sampled_from(BREAKERS))
def test_invalid_specs_exit_2_without_traceback(spec, breaker):
    key, value = breaker
    spec = dict(spec)
    if value is None:
        spec.pop(key, None)
    else:
        spec[key] = value
    text = yaml.safe_dump(spec)
    r = CliRunner().invoke(app, ["show", "-"], input=text, env={"NO_COLOR": "1"})
    assert r.exit_code == 2, (text, r.output)
    assert r.stderr.startswith("warmupctl: error: ")
    assert "Traceback" not in r.output
    assert r.stdout == ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_is_a_schedule_or_a_spec_error(text):
    try:
        data, pos = yamltext.load(text, "fuzz")
        s = parse(data, pos, "fuzz")
    except WarmupctlError:
        return
    assert s.total_steps >= 1


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**12) | st.floats()
    | st.sampled_from(["2k", "10%", "5ep", "rest", "1e-3", "linear", "cosine", "wsd", "-1"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["shape", "length", "from", "to", "final_lr", "gamma",
                                       "milestones", "cooldown", "total", "peak_lr"]),
                      children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["total", "peak_lr", "warmup", "decay", "phases", "noam",
                                        "training", "tokens_per_step"]), yaml_values,
                       max_size=6))
def test_structured_garbage_is_a_schedule_or_a_spec_error(data):
    try:
        s = warmupctl.load(data)
    except WarmupctlError:
        return
    if s.total_steps <= 100_000:
        check_curve(s)
    else:
        for t in (0, s.total_steps // 2, s.total_steps - 1):
            v = s.lr(t)
            assert math.isfinite(v) and v >= 0


@pytest.mark.parametrize("text", ["total: 1e3\npeak_lr: 1.0\n", "total: 10\npeak_lr: '1e-3'\n"])
def test_strings_that_look_like_numbers(text):
    s = warmupctl.load(yaml.safe_load(text))
    assert s.total_steps in (10, 1000)
