"""`plot --updates` and the update-size figure: what is drawn is the prediction, step for step,
and the reduction for long runs keeps the first update's spike."""

from __future__ import annotations

import numpy as np
from _support import run

import warmupctl
from warmupctl.render import Curve
from warmupctl.render.plot import PlotOptions, build_figure
from warmupctl.render.updates_panel import add_panel, figure, reduce_indices
from warmupctl.updates.predict import predict

NO_WARMUP = {"total": "1M", "peak_lr": 1e-2, "decay": {"shape": "cosine", "final_lr": "10%"},
             "training": {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.95,
                          "weight_decay": 0.1, "fan_in": 256}}


def _line(ax, gid):
    return next(line for line in ax.get_lines() if line.get_gid() == gid)


def test_panel_draws_the_prediction_and_keeps_the_spike():
    schedule = warmupctl.load(NO_WARMUP)
    fig = build_figure([Curve(schedule, "run")], PlotOptions())
    add_panel(fig, schedule, PlotOptions())
    assert len(fig.axes) == 2
    ax = fig.axes[1]
    assert ax.get_yscale() == "log"
    assert ax.get_shared_x_axes().joined(ax, fig.axes[0])
    pred = predict(schedule)
    line = _line(ax, "predicted-angle")
    xs = np.asarray(line.get_xdata()).astype(np.int64)
    ys = np.asarray(line.get_ydata(), dtype=np.float64)
    assert xs.size < 20_000  # reduced from a million steps
    assert np.array_equal(ys, pred.angle[xs])
    assert xs[0] == 0 and ys.max() == pred.angle.max() == pred.angle[0]  # the first update
    eq = np.asarray(_line(ax, "equilibrium").get_ydata(), dtype=np.float64)
    assert np.array_equal(eq, pred.equilibrium[xs])


def test_reduce_indices_keeps_every_buckets_extremes():
    rng = np.random.default_rng(3)
    values = rng.lognormal(size=10_007)
    idx = reduce_indices(values, 100)
    size = -(-values.size // 100)
    for k in range(100):
        chunk = values[k * size:(k + 1) * size]
        if chunk.size:
            assert k * size + int(np.argmax(chunk)) in idx
            assert k * size + int(np.argmin(chunk)) in idx
    assert reduce_indices(values[:50], 100).tolist() == list(range(50))


def test_standalone_figure(tmp_path):
    pred = predict(warmupctl.load(NO_WARMUP | {"total": 5000}))
    out = tmp_path / "p.png"
    assert figure(pred, str(out)) == "png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure(pred, str(tmp_path / "p.svg")) == "svg"
    assert "predicted-angle" in (tmp_path / "p.svg").read_text()


def test_cli(tmp_path):
    out = tmp_path / "u.svg"
    res = run("plot", "kosson2024-gpt2-124m", "--updates", "-o", str(out))
    assert res.exit_code == 0, res.output
    svg = out.read_text()
    assert "predicted-angle" in svg and "equilibrium" in svg and "warmup-end" in svg
    res = run("plot", "kosson2024-gpt2-124m", "llama2-7b", "--updates", "-o", str(out))
    assert res.exit_code == 2 and "single SPEC" in res.output
    res = run("plot", "t5-pretrain", "--updates", "-o", str(out))
    assert res.exit_code == 2 and "adafactor" in res.output
