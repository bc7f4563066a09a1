"""`warmupctl updates LOG` (and the wiring of `--predict`).

The summary is checked on a log written by hand, whose ratios to the AdamW equilibrium are known
(the equilibrium is computed here from Kosson et al. 2023's formula, not by the library), and
end to end on a log written by the monitor during a real (tiny) torch run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from warmupctl.cli import app

runner = CliRunner()

LR = [0.0, 1e-3, 2e-3, 3e-3, 3e-3, 3e-3, 3e-3, 3e-3]
#: the median's ratio to equilibrium at each logged step (step 0: rate 0, no equilibrium)
RATIO = [None, 10.0, 5.0, 3.0, 1.5, 2.5, 1.2, 0.9]
SCALE = [0.5, 1.0, 3.0]  # three layers around the median


def _eq(lr: float, wd: float = 0.1, b1: float = 0.9) -> float:
    return math.sqrt(2 * lr * wd * (1 - b1) / (1 + b1))


def _write_log(path, every: int = 10, rrc: bool = False) -> None:
    header = {"format": "warmupctl.updates/v1", "every": every,
              "layers": [{"name": n, "shape": [4, 4], "numel": 16, "group": 0}
                         for n in ("blocks.0.attn.weight", "blocks.0.mlp.weight",
                                   "blocks.1.attn.weight")],
              "optimizer": {"type": "AdamW", "lr": 3e-3, "betas": [0.9, 0.95],
                            "weight_decay": 0.1},
              "groups": [{"lr": 3e-3, "betas": [0.9, 0.95], "weight_decay": 0.1}]}
    lines = [json.dumps(header)]
    for k, (lr, r) in enumerate(zip(LR, RATIO, strict=True)):
        med = 0.0 if r is None else r * _eq(lr)  # rate 0: nothing moves
        vals = [med * s for s in SCALE]
        lines.append(json.dumps({"step": k * every, "lr": lr, "l2": vals, "rel": vals,
                                 "angle": vals, "neuron_angle": vals,
                                 "rrc": vals if rrc else None}))
    path.write_text("\n".join(lines) + "\n")


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_json_summary_against_hand_computed_ratios(tmp_path):
    log = tmp_path / "u.jsonl"
    _write_log(log)
    r = _run("updates", str(log), "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["metric"] == "angle" and s["steps_logged"] == 8 and s["every"] == 10
    assert s["warmup_end"] == 30          # the first logged step at the peak rate
    assert s["settle_step"] == 60         # last above 2× at step 50, within 2× from 60
    # the largest value against the equilibrium at the peak rate (3e-3): at step 10 the median
    # is 10·eq(1e-3) = 10·√(1/3)·eq(3e-3), the largest of the ratios 5.77, 4.08, 3, 1.5, …
    assert s["equilibrium"]["at_peak_lr"] == pytest.approx(_eq(3e-3), rel=1e-12)
    assert s["median"]["max_ratio"] == pytest.approx(10 / math.sqrt(3), rel=1e-12)
    assert s["median"]["ratio_step"] == 10
    assert s["overall"]["max_ratio"] == pytest.approx(30 / math.sqrt(3), rel=1e-12)
    assert s["overall"]["layer"] == "blocks.1.attn.weight"
    # half the median: per-step ratios 5, 2.5, 1.5, .75, 1.25, .6, .45 — within 2× from step 30
    first = s["layers"][0]
    assert first["max_ratio"] == pytest.approx(5 / math.sqrt(3)) and first["settle_step"] == 30
    assert s["layers"][2]["settle_step"] is None  # 3× the median is above 2× at step 70 too
    assert s["equilibrium"]["weight_decay"] == 0.1 and s["equilibrium"]["beta1"] == 0.9
    rules = {f["rule"]: f for f in s["findings"]}
    assert rules["updates-above-equilibrium"]["severity"] == "warning"
    assert "5.77×" in rules["updates-above-equilibrium"]["message"]
    assert "before the warmup's end (step 30)" in rules["updates-above-equilibrium"]["message"]
    assert all(f["source"] for f in s["findings"])
    # no file is written for --json alone
    assert not (tmp_path / "updates.png").exists()


def test_layers_glob_and_metrics(tmp_path):
    log = tmp_path / "u.jsonl"
    _write_log(log, rrc=True)
    s = json.loads(_run("updates", str(log), "--json", "--layers", "*attn*").stdout)
    assert [x["name"] for x in s["layers"]] == ["blocks.0.attn.weight", "blocks.1.attn.weight"]
    s = json.loads(_run("updates", str(log), "--json", "--metric", "rrc").stdout)
    assert s["equilibrium"] is None and s["settle_step"] is None
    assert s["overall"]["max"] == pytest.approx(3 * 10 * _eq(1e-3))
    assert [f["rule"] for f in s["findings"]] == ["updates-no-equilibrium"]


def test_figure_draws_layers_median_equilibrium_and_rate(tmp_path):
    from warmupctl.monitor.judge import judge
    from warmupctl.monitor.log import read_log
    from warmupctl.render.updates_log import build_figure

    log = tmp_path / "u.jsonl"
    _write_log(log)
    j = judge(read_log(str(log)), "angle")
    fig = build_figure(j, title="t", n_layers=3)
    ax, ax2 = fig.axes[0], fig.axes[1]
    lines = ax.get_lines()
    assert ax.get_yscale() == "log"
    # 3 layers, the median, the equilibrium, then the two vertical markers
    median = lines[3].get_ydata()
    assert np.isnan(median[0])  # step 0 moved by 0: not drawn on a log axis
    want = [r * _eq(lr) for lr, r in zip(LR[1:], RATIO[1:], strict=True)]
    assert np.allclose(median[1:], want, rtol=1e-12)
    assert np.allclose(lines[4].get_ydata()[1:], [_eq(x) for x in LR[1:]], rtol=1e-12)
    assert [ln.get_xdata()[0] for ln in lines[5:]] == [30, 60]  # warmup end, settle
    assert list(ax2.get_lines()[0].get_ydata()) == LR
    # depth colours: first layer darker than the last
    c0, c2 = lines[0].get_color(), lines[2].get_color()
    assert sum(c0[:3]) < sum(c2[:3])


def test_png_written_atomically_and_named_like_plot(tmp_path):
    log = tmp_path / "u.jsonl"
    _write_log(log)
    out = tmp_path / "fig.png"
    r = _run("updates", str(log), "-o", str(out))
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the warning that --json lists is said on stderr too
    assert "the median angle reached 5.77× the equilibrium at the peak rate" in r.stderr
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = _run("updates", str(log))
    finally:
        os.chdir(cwd)
    # one form with or without -o, as plot says it; nothing on stdout
    assert r.stdout == ""
    assert "warmupctl: wrote updates.png (png, " in r.stderr
    assert (tmp_path / "updates.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_terminal_preview(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "90")
    log = tmp_path / "u.jsonl"
    _write_log(log)
    r = _run("updates", str(log), "--terminal")
    assert r.exit_code == 0, r.output
    assert "median" in r.stdout and "equilibrium" in r.stdout
    assert "warmup ends at step 30" in r.stdout
    assert "settles (within 2× of equilibrium) at step 60" in r.stdout
    assert "\x1b[" not in r.stdout  # not a terminal: no colour
    assert not (tmp_path / "updates.png").exists()


@pytest.mark.parametrize("args, message", [
    (["updates", "/nonexistent/u.jsonl"], "cannot read"),
    (["updates", "{log}", "--metric", "angel"], "unknown --metric 'angel'"),
    (["updates", "{log}", "--metric", "rrc"], "no 'rrc' values (run the monitor with rrc=True)"),
    (["updates", "{log}", "--layers", "*ffn*"], "matches none of the log's 3 layers"),
    (["updates", "{log}", "--total", "100"], "schedule flags go with --predict"),
    (["updates", "{log}", "--fan-in", "64"], "--fan-in goes with --predict"),
    (["updates"], "give a LOG"),
    (["updates", "{log}", "-o", "{tmp}/x.jpg"], ".png, .svg or .pdf"),
])
def test_errors_are_one_line_exit_2(tmp_path, args, message):
    log = tmp_path / "u.jsonl"
    _write_log(log)
    argv = [a.format(log=log, tmp=tmp_path) for a in args]
    r = _run(*argv)
    assert r.exit_code == 2, r.output
    assert message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob("*.jpg"))


def test_torn_log_is_read_with_a_notice(tmp_path):
    log = tmp_path / "u.jsonl"
    _write_log(log)
    with open(log, "a") as f:
        f.write('{"step": 80, "lr": 0.003, "l2": [0.1, ')
    r = _run("updates", str(log), "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["steps_logged"] == 8
    assert "line 10 is incomplete" in r.stderr


def test_end_to_end_on_a_monitored_run(tmp_path):
    """The command on a log the monitor wrote during a real run: Adam's first update without
    warmup is sign-like, so its angle is about atan(η/σ) for a row initialised N(0, σ²) — far
    above the equilibrium, which the summary must say."""
    torch = pytest.importorskip("torch")
    from warmupctl.monitor.torch import UpdateMonitor

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(256, 256, bias=False), torch.nn.LayerNorm(256),
                                torch.nn.Linear(256, 10, bias=False))
    for p in model.parameters():
        if p.dim() == 2:
            torch.nn.init.normal_(p, 0, 0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.95), weight_decay=0.1)
    log = tmp_path / "run.jsonl"
    with UpdateMonitor(model, opt, log):
        for _ in range(20):
            x = torch.randn(64, 256)
            torch.nn.functional.cross_entropy(model(x), torch.randint(0, 10, (64,))).backward()
            opt.step()
            opt.zero_grad()
    r = _run("updates", str(log), "--json")
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["median"]["ratio_step"] == 0
    # first angle of the 256×256 layer ≈ atan(η/σ) = atan(0.5) (sign-like update ⟂-ish to W)
    assert s["layers"][0]["max"] == pytest.approx(math.atan(0.5), rel=0.05)
    assert s["median"]["max_ratio"] > 30  # 0.46 rad vs √(2·1e-2·0.1·0.1/1.9) = 0.0103
    assert "updates-above-equilibrium" in [f["rule"] for f in s["findings"]]


def test_module_imports_no_matplotlib():
    code = ("import sys, warmupctl.cli.updates_cmd, warmupctl.render.updates_log, "
            "warmupctl.monitor.log, warmupctl.monitor.judge; "
            "print('matplotlib' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


# -- --predict ------------------------------------------------------------------------------

SPEC = """\
total: 300
peak_lr: 1.0e-2
decay: {shape: constant}
training: {optimizer: adamw, beta1: 0.9, beta2: 0.95, weight_decay: 0.1}
"""


def test_predict_json_is_the_library_prediction_with_the_flags_applied(tmp_path):
    import yaml

    import warmupctl
    from warmupctl.updates.predict import predict

    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC)
    r = _run("updates", "--predict", str(spec), "--fan-in", "256", "--init-std", "0.02",
             "--warmup", "linear:100", "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    assert set(got) >= {"step", "lr", "angle", "equilibrium"}
    schedule = warmupctl.load({**yaml.safe_load(SPEC),
                               "warmup": {"shape": "linear", "length": 100}})
    want = predict(schedule, fan_in=256, init_std=0.02).to_json()
    assert got["step"] == list(range(300)) and got["lr"] == want["lr"]
    assert got["angle"] == want["angle"] and got["equilibrium"] == want["equilibrium"]
    assert got["lr"][0] == 0.0 and got["lr"][100] == 1e-2  # the --warmup flag was applied
    # the equilibrium at the peak, from Kosson et al.'s formula written out here
    assert got["equilibrium"][-1] == pytest.approx(_eq(1e-2), rel=1e-12)
    # without warmup the first update is the largest, about 0.46 rad (atan(η/σ) = atan(0.5))
    cold = json.loads(_run("updates", "--predict", str(spec), "--fan-in", "256",
                           "--init-std", "0.02", "--json").stdout)
    assert cold["angle"][0] == pytest.approx(math.atan(0.5), rel=0.05)
    assert max(cold["angle"]) > 10 * max(got["angle"][:20])


@pytest.mark.parametrize("args, message", [
    (["--fan-in", "many"], "--fan-in"),
    (["--init-std", "-1"], "--init-std must be a positive number"),
    (["--metric", "rel"], "--metric and --layers read a measured LOG"),
    (["--terminal"], "--terminal draws a measured LOG"),
])
def test_predict_errors(tmp_path, args, message):
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC)
    r = _run("updates", "--predict", str(spec), "--json", *args)
    assert r.exit_code == 2 and message in r.stderr, r.output
    assert r.stderr.count("\n") == 1


def test_predict_figure(tmp_path):
    import importlib.util

    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "p.png"
    r = _run("updates", "--predict", str(spec), "-o", str(out))
    if importlib.util.find_spec("warmupctl.render.updates_panel") is None:
        # the figure's renderer is not part of this build: one clear error, nothing written
        assert r.exit_code == 2 and "warmupctl.render.updates_panel" in r.stderr
        assert not out.exists()
    else:
        assert r.exit_code == 0, r.output
        assert out.read_bytes()[:4] == b"\x89PNG"

