"""`warmupctl diff` and warmupctl.diff: first step, largest differences and patterns, checked
against values computed by hand from the shapes' formulas (docs/spec.md), never against the
comparison's own output."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _support import run

from warmupctl import diff as diffmod
from warmupctl.diff import Side, compare
from warmupctl.errors import WarmupctlError
from warmupctl.loading import load
from warmupctl.tables import read_table

PEAK = 3.0e-4
README = {"total": "100k", "peak_lr": PEAK, "warmup": {"shape": "linear", "length": "2%"},
          "decay": {"shape": "cosine", "final_lr": "10%"}}


def spec(**changes):
    out = json.loads(json.dumps(README))
    out.update(changes)
    return out


def side(data, label="x"):
    return Side(label, schedule=load(data))


def test_identical_specs():
    d = compare(side(README), side(spec(total=100_000, warmup={"shape": "linear",
                                                                  "length": 2000})))
    assert d.identical and d.first_step is None and d.patterns == []
    assert d.max_abs == 0.0 and d.method == "scan" and d.compared_steps == 100_000


def test_scaled_peak():
    d = compare(side(README), side(spec(peak_lr=6.0e-4)))
    assert not d.identical
    assert d.first_step == 1  # both are 0 at step 0; 3e-4·1/2000 vs 6e-4·1/2000 at step 1
    # the largest gap is at the peak: 6e-4 − 3e-4
    assert d.max_abs_step == 2000 and d.max_abs == pytest.approx(3.0e-4, rel=1e-12)
    assert d.max_rel == pytest.approx(0.5, rel=1e-12)
    [p] = d.patterns
    assert p["pattern"] == "scaled" and p["factor"] == pytest.approx(2.0, rel=1e-15)


def test_floor_missing():
    d = compare(side(README), side(spec(decay={"shape": "cosine"})))
    # warmups agree through the peak at step 2000; the decays part at the first decay step
    assert d.first_step == 2001 and d.last_step == 99_999
    [p] = d.patterns
    assert p["pattern"] == "floor" and p["missing_in"] == "B" and p["same_decay"]
    assert p["floor"] == pytest.approx(0.1 * PEAK, rel=1e-9)
    # the largest gap is at the end, where A keeps 10% and B is almost 0:
    # A(N−1) − B(N−1) = f·(1 − w) with w = ½(1 + cos(π·97999/98000))
    w = 0.5 * (1 + math.cos(math.pi * 97_999 / 98_000))
    assert d.max_abs_step == 99_999
    assert d.max_abs == pytest.approx(0.1 * PEAK * (1 - w), rel=1e-9)


def test_floor_reported_when_decays_differ_too():
    d = compare(side(README), side(spec(decay={"shape": "linear", "final_lr": 0})))
    kinds = {p["pattern"]: p for p in d.patterns}
    # a linear decay to 0 ends at peak/98000, not 0: no floor pattern can be read from the
    # rates unless the decays are the same curve apart from the floor
    assert "floor" not in kinds


def test_warmup_four_times_shorter():
    d = compare(side(README), side(spec(warmup={"shape": "linear", "length": 500})))
    assert d.first_step == 1
    [p] = d.patterns
    assert p["pattern"] == "warmup" and p["a"] == 2000 and p["b"] == 500
    assert p["ratio"] == 0.25
    # at step 500 B is at the peak and A at a quarter of it
    assert d.max_abs_step == 500 and d.max_abs == pytest.approx(0.75 * PEAK, rel=1e-12)


def test_warmup_of_another_shape_is_not_a_warmup_pattern():
    d = compare(side(README), side(spec(warmup={"shape": "cosine", "length": 500})))
    assert "warmup" not in {p["pattern"] for p in d.patterns}


def test_total_steps_mismatch():
    a = spec(warmup={"shape": "linear", "length": 2000})
    d = compare(side(a), side({**a, "total": "120k"}))
    assert d.compared_steps == 100_000 and not d.identical
    assert d.first_step == 2001  # the cosines have different lengths from their first step
    kinds = [p["pattern"] for p in d.patterns]
    assert kinds == ["total-steps"]
    assert d.patterns[0]["a"] == 100_000 and d.patterns[0]["b"] == 120_000


def test_equal_on_the_common_steps_but_longer():
    a = {"total": 1000, "peak_lr": PEAK}
    d = compare(side(a), side({**a, "total": 1500}))
    assert not d.identical and d.first_step == 1000 and d.max_abs == 0.0
    assert [p["pattern"] for p in d.patterns] == ["total-steps"]


def _arbitrary(n, seed=0):
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.random(n)) * 1e-6


@pytest.mark.parametrize("k", [1, 3, -2])
def test_whole_run_shift_on_tables(k):
    a = _arbitrary(5000)
    if k > 0:
        b = np.concatenate([np.full(k, a[0]), a[:-k]])
    else:
        b = np.concatenate([a[-k:], np.full(-k, a[-1])])
    d = compare(Side("a", table=a), Side("b", table=b))
    assert d.first_step == (1 if k > 0 else 0)
    [p] = d.patterns
    assert p["pattern"] == "shift" and p["shift"] == k and p["whole_run"]


def test_shift_only_where_it_holds():
    a = _arbitrary(3000)
    b = a.copy()
    b[101:201] = a[100:200]
    b[2500] *= 1.5  # a second, unrelated difference: no shift explains both
    d = compare(Side("a", table=a), Side("b", table=b))
    assert d.first_step == 101 and d.last_step == 2500
    assert "shift" not in {p["pattern"] for p in d.patterns}


def test_rtol_and_atol():
    a = np.array([1.0, 2.0, 3.0])
    b = a * (1 + 1e-10)
    assert not compare(Side("a", table=a), Side("b", table=b)).identical
    assert compare(Side("a", table=a), Side("b", table=b), rtol=1e-9).identical
    assert compare(Side("a", table=a), Side("b", table=a + 1e-9), atol=2e-9).identical


def test_sampled_matches_scan():
    a, b = side(README), side(spec(decay={"shape": "cosine"}))
    full = compare(a, b)
    sampled = compare(a, b, scan_limit=1000)
    assert sampled.method == "sampled" and sampled.evaluated_steps < 100_000
    assert sampled.first_step == full.first_step and sampled.first_step_exact
    assert [p["pattern"] for p in sampled.patterns] == ["floor"]
    assert sampled.max_abs == pytest.approx(full.max_abs, rel=1e-12)


def test_sampled_first_step_found_between_samples():
    a = np.linspace(0.0, 1.0, 100_000)
    b = a.copy()
    b[50_001:] *= 1.5
    d = compare(Side("a", table=a), Side("b", table=b), scan_limit=1000)
    assert d.method == "sampled" and d.first_step == 50_001 and d.first_step_exact


def test_sampled_first_step_gap_too_long_is_said(monkeypatch):
    monkeypatch.setattr(diffmod, "REFINE_LIMIT", 0)
    a = np.linspace(0.0, 1.0, 100_000)
    b = a.copy()
    b[50_001:] *= 1.5
    d = compare(Side("a", table=a), Side("b", table=b), scan_limit=1000)
    assert not d.first_step_exact
    assert d.first_step_after < 50_001 <= d.first_step


def test_long_run_is_sampled_with_breakpoints():
    base = {"total": "1e9", "peak_lr": PEAK, "warmup": {"shape": "linear", "length": 2000},
            "decay": {"shape": "step", "milestones": ["50%", "75%"], "gamma": 0.1}}
    other = json.loads(json.dumps(base))
    other["decay"]["milestones"] = ["50%", "80%"]
    d = compare(side(base), side(other))
    assert d.method == "sampled" and d.evaluated_steps < 10**7
    # the rates part exactly at the earlier third-quarter milestone
    assert d.first_step == 750_000_000 and d.first_step_exact
    assert d.last_step == 800_000_000 - 1


def test_points_stay_bounded():
    cuts = np.arange(1, 10**6, dtype=np.int64) * 1000
    pts = diffmod.sample_points(10**9, cuts)
    assert pts.size <= diffmod.MAX_POINTS + 5 * cuts.size + 2 * diffmod.EDGE
    assert pts[0] == 0 and pts[-1] == 10**9 - 1


# ------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------


def test_read_tables(tmp_path):
    rates = np.array([0.0, 1.5e-4, 3.0e-4, 2.0e-4])
    assert np.array_equal(read_table("csv", b"step,lr\n0,0.0\n1,0.00015\n2,0.0003\n3,0.0002\n",
                                     "t.csv"), rates)
    assert np.array_equal(read_table("csv", b"0.0\n0.00015\n0.0003\n0.0002\n", "t.csv"), rates)
    js = json.dumps({"format": "warmupctl.schedule/v1", "step": [0, 1, 2, 3],
                     "lr": rates.tolist()}).encode()
    assert np.array_equal(read_table("json", js, "t.json"), rates)
    import io

    buf = io.BytesIO()
    np.save(buf, rates)
    assert np.array_equal(read_table("npy", buf.getvalue(), "t.npy"), rates)


@pytest.mark.parametrize("fmt,raw,words", [
    ("csv", b"step,lr\n0,0.1\n2,0.2\n", "none left out"),
    ("json", b'{"step": [0, 5], "lr": [0.1, 0.2]}', "none left out"),
    ("json", b'{"lr": [0.1, "x"]}', "numbers"),
    ("json", b"[0.1, NaN]", "finite"),
    ("json", b"{", "not JSON"),
    ("csv", b"", "empty"),
    ("npy", b"nope", "not a NumPy .npy file"),
    ("npy", b"\x93NUMPY\x01\x00garbage", "not a NumPy .npy array"),
])
def test_bad_tables(fmt, raw, words):
    with pytest.raises(WarmupctlError, match=words):
        read_table(fmt, raw, "t")


# ------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return str(p)


def test_cli_identical_exit_0(tmp_path):
    a = write(tmp_path, "a.json", README)
    r = run("diff", a, a)
    assert r.exit_code == 0, r.output
    assert "identical within rtol 1e-12" in r.stdout


def test_cli_json_fields_and_exit_1(tmp_path):
    a = write(tmp_path, "a.json", README)
    b = write(tmp_path, "b.json", spec(peak_lr=6e-4))
    r = run("diff", a, b, "--json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    for key in ("identical", "first_step", "max_abs", "max_abs_step", "max_rel", "max_rel_step",
                "patterns"):
        assert key in out
    assert out["identical"] is False and out["first_step"] == 1
    assert out["patterns"][0]["pattern"] == "scaled"
    assert out["a"]["peak_lr"] == 3e-4 and out["b"]["peak_lr"] == 6e-4
    assert out["differences"]["peak_lr"] == pytest.approx(3e-4, rel=1e-12)
    assert out["differences"]["total_steps"] == 0


def test_cli_flags_apply_to_both(tmp_path):
    a = write(tmp_path, "a.json", README)
    b = write(tmp_path, "b.json", spec(decay={"shape": "cosine"}))
    r = run("diff", a, b, "--decay", "cosine:10%", "--json")
    assert r.exit_code == 0, r.output
    r = run("diff", a, "gpt3-small", "--total", "5000", "--warmup", "linear:100", "--json")
    assert json.loads(r.stdout)["a"]["total_steps"] == 5000
    assert json.loads(r.stdout)["b"]["total_steps"] == 5000


def test_cli_config_and_table_sides(tmp_path):
    a = write(tmp_path, "a.json", README)
    hf = write(tmp_path, "hf.json", {"learning_rate": PEAK, "lr_scheduler_type":
                                     "cosine_with_min_lr", "warmup_steps": 2000,
                                     "lr_scheduler_kwargs": {"min_lr_rate": 0.1}})
    r = run("diff", a, f"hf:{hf}")
    assert r.exit_code == 2 and "--total" in r.stderr  # max_steps missing
    r = run("diff", a, f"hf:{hf}", "--total", "100k")
    assert r.exit_code == 0, r.output
    # other flags change the spec side only: the config is compared as the trainer reads it
    r = run("diff", a, f"hf:{hf}", "--total", "100k", "--decay", "cosine", "--json")
    assert r.exit_code == 1 and "--decay not applied" in r.stderr
    assert [p["pattern"] for p in json.loads(r.stdout)["patterns"]] == ["floor"]
    table = tmp_path / "lr.csv"
    assert run("export", a, "-f", "csv", "-o", str(table)).exit_code == 0
    r = run("diff", f"csv:{table}", a)
    assert r.exit_code == 0, r.output
    r = run("diff", f"csv:{table}", a, "--total", "5")
    assert r.exit_code == 2 and "do not apply to a table" in r.stderr


@pytest.mark.parametrize("args,words", [
    (["nope-preset", "gpt3-small"], "neither a file nor a preset"),
    (["hf:", "gpt3-small"], "after the colon"),
    (["hf:/no/such.json", "gpt3-small"], "no such file"),
    (["-", "-"], "only one of A and B"),
    (["gpt3-small", "gpt3-small", "--rtol", "-1"], "--rtol"),
    (["gpt3-small", "gpt3-small", "--scan-limit", "x"], "--scan-limit"),
    (["gpt3-small", "gpt3-small", "--plot", "-"], "--plot needs a file name"),
])
def test_cli_input_errors_exit_2(args, words):
    r = run("diff", *args)
    assert r.exit_code == 2, r.output
    assert words in r.stderr and "Traceback" not in r.output


def test_cli_plot(tmp_path):
    a = write(tmp_path, "a.json", README)
    b = write(tmp_path, "b.json", spec(warmup={"shape": "linear", "length": 500}))
    out = tmp_path / "d.png"
    r = run("diff", a, b, "--plot", str(out))
    assert r.exit_code == 1, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run("diff", a, b, "--plot", str(tmp_path / "d.jpg"))
    assert r.exit_code == 2


def test_plot_draws_both_curves_and_the_difference():
    from warmupctl.render.diff_plot import build_diff_figure

    a, b = side(README, "A"), side(spec(warmup={"shape": "linear", "length": 500}), "B")
    d = compare(a, b)
    fig = build_diff_figure(a, b, d)
    top, bottom = fig.axes[0], fig.axes[1]
    xa, ya = top.get_lines()[0].get_data()
    xb, yb = top.get_lines()[1].get_data()
    xs = np.asarray(xa, dtype=np.int64)
    # A by hand: a linear warmup to the peak at 2000
    early = xs < 2000
    np.testing.assert_allclose(np.asarray(ya)[early], PEAK * xs[early] / 2000, rtol=1e-12)
    xd, yd = bottom.get_lines()[0].get_data()
    xd = np.asarray(xd, dtype=np.int64)
    sel = xd <= 500
    # B − A in B's warmup: peak·t/500 − peak·t/2000
    np.testing.assert_allclose(np.asarray(yd)[sel], PEAK * xd[sel] * (1 / 500 - 1 / 2000),
                               rtol=1e-9, atol=1e-20)
    assert bottom.get_shared_x_axes().joined(top, bottom)
    assert len(top.child_axes) == 1  # the warmup inset


def test_cli_long_deepspeed_config_is_sampled_and_keeps_its_lag(tmp_path):
    # WarmupCosineLR over 10^9 updates: update k uses DeepSpeed's formula at k − 1
    # (anchors-schedules.md §2.5), so its linear warmup runs one update behind HF's
    ds = write(tmp_path, "ds.json", {
        "optimizer": {"params": {"lr": PEAK}},
        "scheduler": {"type": "WarmupCosineLR", "params": {
            "total_num_steps": 10**9, "warmup_min_ratio": 0.0, "warmup_num_steps": 2000,
            "cos_min_ratio": 0.1, "warmup_type": "linear"}}})
    a = write(tmp_path, "a.json", spec(total="1e9", warmup={"shape": "linear", "length": 2000}))
    r = run("diff", a, f"deepspeed:{ds}", "--json")
    assert r.exit_code == 1, r.output
    assert "check against deepspeed's formula is skipped" in r.stderr
    out = json.loads(r.stdout)
    assert out["method"] == "sampled" and out["first_step"] == 1 and out["last_step"] == 2000
    [shift] = out["patterns"]
    assert shift["pattern"] == "shift" and shift["shift"] == 1
