"""`warmupctl plot`, the reduction to pixel columns, the terminal preview and the sparkline.

What can be checked without eyes: file signatures, the plotted data read back from the figure
against the engine, the reduction against a brute-force NumPy computation, where annotations sit,
byte-identical SVG/PDF, atomic writes, lazy imports, and one-line errors with exit code 2.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import warmupctl
from warmupctl import presets
from warmupctl.cli import app
from warmupctl.render import Curve, format_count, format_rate, window
from warmupctl.render.plot import PlotOptions, build_figure, save_figure
from warmupctl.render.reduce import (
    bucket_edges,
    bucket_extremes,
    phase_boundaries,
    reduce_curve,
)
from warmupctl.render.sparkline import BLOCKS, sparkline
from warmupctl.render.terminal import render

runner = CliRunner()
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}

# Equivalents of the presets, used when a preset is not (yet) in the package.
FALLBACK = {
    "gpt3-small": {
        "name": "gpt3-small", "total": "300B tokens", "tokens_per_step": "0.5M",
        "peak_lr": 6.0e-4, "warmup": {"shape": "linear", "length": "375M tokens"},
        "decay": {"shape": "cosine", "final_lr": "10%", "length": "260B tokens"},
    },
    "hagele-wsd-124m": {
        "name": "hagele-wsd-124m", "total": 25000, "tokens_per_step": 102400,
        "peak_lr": 5.0e-4, "warmup": {"shape": "linear", "length": 300},
        "decay": {"shape": "wsd", "final_lr": 0, "cooldown": "20%", "cooldown_shape": "1-sqrt"},
    },
    "transformer-base": {
        "name": "transformer-base", "total": "100k", "noam": {"d_model": 512, "scale": 1.0},
        "warmup": {"shape": "linear", "length": 4000}, "decay": {"shape": "inverse_sqrt"},
    },
    "resnet50-goyal": {
        "name": "resnet50-goyal", "total": "90ep", "steps_per_epoch": 157, "peak_lr": 3.2,
        "warmup": {"shape": "linear", "length": "5ep", "start_lr": 0.1},
        "decay": {"shape": "step", "milestones": ["30ep", "60ep", "80ep"], "gamma": 0.1},
    },
}


def schedule(name: str) -> warmupctl.Schedule:
    """A preset, or the same schedule from :data:`FALLBACK` if the preset is missing."""
    if presets.exists(name):
        return warmupctl.load(name)
    return warmupctl.load(FALLBACK[name])


@pytest.fixture
def spec_arg(tmp_path):
    """The SPEC argument for a preset name: the name itself, or a YAML file of the fallback."""

    def make(name: str) -> str:
        if presets.exists(name):
            return name
        import yaml

        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(FALLBACK[name]))
        return str(path)

    return make


def run(*args, env=None, input=None):
    return runner.invoke(app, ["plot", *args], env={**ENV, **(env or {})}, input=input)


def curve_line(fig, i=0):
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == f"curve-{i}"]
    assert len(lines) == 1
    return lines[0]


def artist(fig, gid):
    found = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one artist with gid {gid}, found {len(found)}"
    return found[0]


MILLION = {
    "total": 1_000_000, "peak_lr": 3e-4,
    "warmup": {"shape": "linear", "length": "2%"},
    "decay": {"shape": "cosine", "final_lr": "10%", "length": "80%"},
}
RESTARTS = {
    "total": 1_000_000, "peak_lr": 1e-3,
    "warmup": {"shape": "exponential", "length": "1%"},
    "decay": {"shape": "cosine_restarts", "cycles": 7, "final_lr": "10%"},
}
STEPS = {
    "total": 1_000_000, "peak_lr": 3.2,
    "warmup": {"shape": "linear", "length": "5%", "start_lr": 0.1},
    "decay": {"shape": "step", "milestones": ["30%", "60%", "80%"], "gamma": 0.1},
}
WSD = {
    "total": 1_000_000, "peak_lr": 5e-4,
    "warmup": {"shape": "cosine", "length": 3000},
    "decay": {"shape": "wsd", "final_lr": 0, "cooldown": "20%", "cooldown_shape": "1-sqrt"},
}


# ---------------------------------------------------------------------------------------------
# Files: formats, default path, atomic writes, determinism
# ---------------------------------------------------------------------------------------------

SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "svg": b"<?xml"}


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_each_format_by_extension(tmp_path, fmt, spec_arg):
    out = tmp_path / f"lr.{fmt}"
    r = run(spec_arg("gpt3-small"), "-o", str(out))
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(SIGNATURES[fmt])
    if fmt == "svg":
        assert b"<svg" in data[:500]
    assert r.stdout == ""
    assert f"wrote {out}" in r.stderr


def test_format_option_without_extension(tmp_path):
    out = tmp_path / "figure"
    r = run("-o", str(out), "--format", "pdf", "-q")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert r.stderr == ""


def test_format_must_match_extension(tmp_path):
    r = run("-o", str(tmp_path / "x.png"), "--format", "svg")
    assert r.exit_code == 2
    assert not (tmp_path / "x.png").exists()


def test_default_output_is_schedule_png_and_said_as_with_o(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run()
    assert r.exit_code == 0, r.output
    out = tmp_path / "schedule.png"
    assert out.read_bytes().startswith(SIGNATURES["png"])
    assert "built-in default" in r.stderr
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    # one form, with or without -o: a notice on stderr, nothing on stdout
    named = run("-o", "named.png")
    assert named.exit_code == 0, named.output
    assert r.stdout == named.stdout == ""
    assert r.stderr.splitlines()[-1] == "warmupctl: wrote schedule.png (png, 1 curve)"
    assert named.stderr.splitlines()[-1] == "warmupctl: wrote named.png (png, 1 curve)"
    assert run("-q").stderr == "" and run("-q").stdout == ""


def test_stdout_output(tmp_path):
    r = runner.invoke(app, ["plot", "-o", "-", "--format", "svg", "-q"], env=ENV)
    assert r.exit_code == 0
    assert r.stdout_bytes.startswith(b"<?xml")


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_output_is_byte_identical_across_runs(tmp_path, fmt, spec_arg):
    args = [spec_arg("gpt3-small"), spec_arg("hagele-wsd-124m"), "--log"]
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    assert run(*args, "-o", str(a)).exit_code == 0
    assert run(*args, "-o", str(b)).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_svg_is_byte_identical_in_fresh_processes(tmp_path):
    outs = []
    for name in ("a.svg", "b.svg"):
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "-m", "warmupctl", "plot", "-q", "-o", str(out), "--sweep",
             "warmup=1%,5%"],
            check=True, env={**os.environ, **ENV}, cwd=tmp_path,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"<dc:date>" not in outs[0]


def test_bad_size_leaves_existing_file_unchanged(tmp_path):
    out = tmp_path / "keep.png"
    out.write_bytes(b"old content")
    r = run("-o", str(out), "--size", "0,3")
    assert r.exit_code == 2
    assert out.read_bytes() == b"old content"


def test_failure_while_saving_leaves_existing_file_unchanged(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    out = tmp_path / "keep.svg"
    out.write_bytes(b"old content")

    def broken_savefig(self, fname, **kwargs):
        fname.write(b"<?xml partial")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    r = run("-o", str(out))
    assert r.exit_code != 0
    assert isinstance(r.exception, RuntimeError)
    assert out.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.svg"]


def test_failure_while_writing_png_leaves_existing_file_unchanged(tmp_path, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = tmp_path / "keep.png"
    out.write_bytes(b"old content")

    def broken_print_png(self, stream, **kwargs):
        stream.write(b"\x89PNG partial")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(FigureCanvasAgg, "print_png", broken_print_png)
    r = run("-o", str(out))
    assert r.exit_code != 0
    assert isinstance(r.exception, RuntimeError)
    assert out.read_bytes() == b"old content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


@pytest.mark.parametrize("name", ["gpt3-small", "hagele-wsd-124m"])
def test_png_has_the_pixels_of_matplotlibs_savefig(name):
    """PNGs are drawn in one pass on the Agg canvas; matplotlib's own ``savefig`` (which lays
    the figure out in a separate pass) gives the same image."""
    from PIL import Image

    from warmupctl.render.plot import _style

    def pixels(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))

    curves = [Curve(schedule(name), name)]
    ours = io.BytesIO()
    save_figure(build_figure(curves), ours, "png")
    theirs = io.BytesIO()
    with _style():
        build_figure(curves).savefig(theirs, format="png", dpi=150)
    a, b = pixels(ours.getvalue()), pixels(theirs.getvalue())
    assert a.shape == b.shape == (675, 1200, 4)
    assert np.array_equal(a, b)


def test_cli_import_does_not_import_matplotlib_or_uniplot():
    code = ("import warmupctl.cli, warmupctl.render, warmupctl.render.plot, sys; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
            "assert 'uniplot' not in sys.modules, 'uniplot imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plotting_never_imports_pyplot(tmp_path):
    code = ("import sys, warmupctl\n"
            "from warmupctl.render import Curve\n"
            "from warmupctl.render.plot import write_plot\n"
            f"write_plot([Curve(warmupctl.load(None), 'd')], {str(tmp_path / 'a.png')!r})\n"
            "assert 'matplotlib' in sys.modules\n"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# The figure's data and annotations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["gpt3-small", "hagele-wsd-124m", "transformer-base",
                                  "resnet50-goyal"])
def test_plotted_points_are_the_engines_rates(name):
    s = schedule(name)
    fig = build_figure([Curve(s, name)])
    line = curve_line(fig)
    x = np.asarray(line.get_xdata(), dtype=np.float64)
    y = np.asarray(line.get_ydata(), dtype=np.float64)
    steps = x.astype(np.int64)
    assert np.array_equal(steps, x)  # the x data are whole steps
    assert np.all(np.diff(steps) > 0)
    assert steps[0] == 0 and steps[-1] == s.total_steps - 1
    assert np.array_equal(y, s.at(steps))
    assert steps.size <= 4 * 2 * 1200 + 100  # reduced: never more than a few per pixel column


def test_tokens_axis_is_steps_times_tokens_per_step():
    s = schedule("gpt3-small")
    fig = build_figure([Curve(s, "gpt3")], PlotOptions(x="tokens"))
    line = curve_line(fig)
    tps = s.meta["tokens_per_step"]
    steps = np.rint(np.asarray(line.get_xdata()) / tps).astype(np.int64)
    assert np.array_equal(np.asarray(line.get_xdata()), steps * tps)
    assert np.array_equal(np.asarray(line.get_ydata()), s.at(steps))
    warm = artist(fig, "warmup-end")
    assert warm.get_xdata()[0] == s.warmup_steps * tps == 375e6


def test_percent_and_epoch_axes():
    s = schedule("resnet50-goyal")
    fig = build_figure([Curve(s, "r")], PlotOptions(x="epochs"))
    assert artist(fig, "warmup-end").get_xdata()[0] == pytest.approx(5.0)
    fig = build_figure([Curve(s, "r")], PlotOptions(x="percent"))
    x = np.asarray(curve_line(fig).get_xdata())
    assert x[0] == 0 and x[-1] == pytest.approx(100 * (s.total_steps - 1) / s.total_steps)


def test_annotations_sit_at_the_right_steps():
    s = schedule("gpt3-small")
    n = s.total_steps
    fig = build_figure([Curve(s, "gpt3")])
    w = s.warmup_steps
    assert w == 750
    assert list(artist(fig, "warmup-end").get_xdata()) == [w, w]
    peak = artist(fig, "peak")
    assert peak.get_xdata()[0] == w and peak.get_ydata()[0] == s.lr(w) == 6e-4
    final = artist(fig, "final")
    assert final.get_xdata()[0] == n - 1 and final.get_ydata()[0] == s.lr(n - 1)
    assert artist(fig, "decay-end").get_xdata()[0] == s.meta["decay_end"] == 520_750
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("end of warmup" in t and "step 750" in t and "0.125% of run" in t for t in texts)
    assert any(t.startswith("peak 6×10⁻⁴") for t in texts)
    assert any(t.startswith("final 6×10⁻⁵") for t in texts)
    assert any("end of decay" in t and "520,750" in t for t in texts)


def test_phase_boundaries_and_wsd_cooldown_are_marked():
    s = schedule("hagele-wsd-124m")
    fig = build_figure([Curve(s, "wsd")])
    assert artist(fig, "cooldown-start").get_xdata()[0] == 20_000
    assert artist(fig, "warmup-end").get_xdata()[0] == 300


def test_no_annotate_draws_only_curves():
    s = schedule("gpt3-small")
    fig = build_figure([Curve(s, "gpt3")], PlotOptions(annotate=False))
    gids = {ln.get_gid() for ln in fig.axes[0].get_lines()}
    assert gids == {"curve-0"}
    assert len(fig.axes[0].texts) == 0


def test_overlay_marks_each_warmup_and_labels_each_curve():
    names = ["gpt3-small", "hagele-wsd-124m", "transformer-base"]
    curves = [Curve(schedule(n), n) for n in names]
    fig = build_figure(curves, PlotOptions(x="percent"))
    for i, c in enumerate(curves):
        line = curve_line(fig, i)
        assert line.get_label().startswith(c.label)
        xw = artist(fig, f"warmup-end-{i}").get_xdata()[0]
        assert xw == pytest.approx(100 * c.schedule.warmup_steps / c.schedule.total_steps)
    # colour and dash pattern both differ, so curves stay apart in greyscale
    assert len({curve_line(fig, i).get_color() for i in range(3)}) == 3
    buf = io.BytesIO()
    save_figure(fig, buf, "svg")
    svg = buf.getvalue().decode()
    dashes = []
    for i in range(3):
        block = svg.split(f'<g id="curve-{i}">', 1)[1].split("</g>", 1)[0]
        m = re.search(r"stroke-dasharray: ([0-9.,]+)", block)
        dashes.append(m.group(1) if m else "solid")
    assert len(set(dashes)) == 3, dashes
    legend = fig.legends[0]
    assert [t.get_text().split(" — ")[0] for t in legend.get_texts()] == names


def test_legend_is_outside_the_plot_area():
    curves = [Curve(schedule(n), n) for n in ["gpt3-small", "transformer-base"]]
    fig = build_figure(curves)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the figure out
    renderer = canvas.get_renderer()
    legend_box = fig.legends[0].get_window_extent(renderer)
    axes_box = fig.axes[0].get_window_extent(renderer)
    assert legend_box.y1 < axes_box.y0


def test_range_zooms_without_evaluating_the_rest(monkeypatch):
    s = warmupctl.load({"total": "100M", "peak_lr": 3e-4,
                        "warmup": {"shape": "linear", "length": 2000},
                        "decay": {"shape": "cosine", "final_lr": "10%"}})
    seen: list[int] = []
    window_fn, at_fn = s.window, s.at

    def spy_window(a, b):
        seen.append(int(b) - 1)
        return window_fn(a, b)

    def spy_at(steps):
        steps = np.asarray(steps)
        if steps.size:
            seen.append(int(steps.max()))
        return at_fn(steps)

    monkeypatch.setattr(s, "window", spy_window)
    monkeypatch.setattr(s, "at", spy_at)
    fig = build_figure([Curve(s, "zoom")], PlotOptions(range=("0", "3000")))
    x = np.asarray(curve_line(fig).get_xdata())
    assert x[0] == 0 and x[-1] == 3000 and x.size == 3001
    assert artist(fig, "warmup-end").get_xdata()[0] == 2000
    assert max(seen) <= 3000


@pytest.mark.parametrize("text, expected", [
    (("0", "3000"), (0, 3001)), ((None, "2%"), (0, 2001)), (("90%", None), (90_000, 100_000)),
    (("1k", "2k"), (1000, 2001)), (("0", "10M"), (0, 100_000)),
])
def test_window_parsing(text, expected):
    s = warmupctl.load(None)
    assert window(s, text) == expected


def test_sweep_draws_one_curve_per_value():
    r = run("--sweep", "warmup=0.5%,1%,2%,5%", "-o", "-", "--format", "svg", "-q")
    assert r.exit_code == 0, r.output
    from warmupctl.cli.plot_cmd import _sweep_curves

    curves, title, _ = _sweep_curves(None, {}, "warmup", ["0.5%", "1%", "2%", "5%"])
    assert [c.label for c in curves] == ["warmup 0.5%", "warmup 1%", "warmup 2%", "warmup 5%"]
    assert [c.schedule.warmup_steps for c in curves] == [500, 1000, 2000, 5000]
    assert {c.schedule.meta["warmup_shape"] for c in curves} == {"linear"}
    assert title == "default: warmup sweep"


def test_sweep_keeps_the_warmup_shape(tmp_path):
    spec = tmp_path / "cos.yaml"
    spec.write_text("total: 10k\npeak_lr: 1e-3\nwarmup: {shape: cosine, length: 100}\n"
                    "decay: {shape: linear, final_lr: 0}\n")
    from warmupctl.cli.plot_cmd import _sweep_curves

    curves, _, _ = _sweep_curves(str(spec), {}, "warmup", ["200", "400"])
    assert [c.schedule.meta["warmup_shape"] for c in curves] == ["cosine", "cosine"]
    assert [c.schedule.warmup_steps for c in curves] == [200, 400]
    fig = build_figure(curves, PlotOptions(sweep="warmup"))
    assert [artist(fig, f"warmup-end-{i}").get_xdata()[0] for i in range(2)] == [200, 400]


@pytest.mark.parametrize("key, values, labels", [
    # the default: 100,000 steps, peak 3e-4, cosine to 10%
    ("warmup", ["1%", "500"], ["warmup 1% (1,000 steps)", "warmup 500"]),
    ("peak_lr", ["1e-4", "3e-4"], ["peak_lr 1e-4", "peak_lr 3e-4"]),  # the value, once
    ("final_lr", ["10%", "3e-5"], ["final_lr 10% (3×10⁻⁵)", "final_lr 3e-5"]),
    ("total", ["50k", "100k"], ["total 50k (50,000 steps)", "total 100k (100,000 steps)"]),
])
def test_sweep_legend_says_what_each_value_comes_to_once(key, values, labels):
    from warmupctl.cli.plot_cmd import _sweep_curves

    curves, _, _ = _sweep_curves(None, {}, key, values)
    fig = build_figure(curves, PlotOptions(sweep=key))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == labels


def test_a_spec_without_decay_is_called_constant_not_a_constant_decay(tmp_path):
    s = warmupctl.load({"total": 1000, "peak_lr": 1e-3,
                        "warmup": {"shape": "linear", "length": 100}})
    assert s.lr(100) == s.lr(999) == 1e-3
    fig = build_figure([Curve(s, "nodecay")])
    assert fig.legends[0].get_texts()[0].get_text() == (
        "nodecay — 1,000 steps, linear warmup, then constant")


def test_several_specs_are_labelled_by_name_or_file_stem(tmp_path):
    spec = tmp_path / "my-run.yaml"
    spec.write_text("total: 5000\npeak_lr: 1e-3\nwarmup: {shape: linear, length: 100}\n")
    out = tmp_path / "o.svg"
    r = run(str(spec), str(spec), "--no-annotate", "-o", str(out))
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert "my-run —" in svg or "my-run" in svg


# ---------------------------------------------------------------------------------------------
# Reduction
# ---------------------------------------------------------------------------------------------


def brute_columns(s, edges):
    full = s.curve()
    starts = edges[:-1]
    return np.minimum.reduceat(full, starts), np.maximum.reduceat(full, starts), full


@pytest.mark.parametrize("spec", [MILLION, RESTARTS, STEPS, WSD], ids=["cosine", "restarts",
                                                                      "step", "wsd"])
@pytest.mark.parametrize("method", ["scan", "monotone"])
def test_reduction_keeps_column_extremes_and_boundaries(spec, method):
    s = warmupctl.load(spec)
    n = s.total_steps
    assert n == 1_000_000
    buckets = 1500
    steps, rates = reduce_curve(s, 0, n, buckets, method=method)
    edges = bucket_edges(0, n, buckets)
    bmin, bmax, full = brute_columns(s, edges)
    # the reduced points are real points of the curve, in step order
    assert np.all(np.diff(steps) > 0)
    assert np.array_equal(rates, full[steps])
    # per column, the same minimum and maximum as every step
    col = np.searchsorted(edges, steps, side="right") - 1
    starts = np.searchsorted(col, np.arange(buckets))
    assert np.array_equal(np.minimum.reduceat(rates, starts), bmin)
    assert np.array_equal(np.maximum.reduceat(rates, starts), bmax)
    # every column's first and last step, every phase boundary and the step before it
    kept = set(steps.tolist())
    assert set(edges[:-1].tolist()) <= kept and set((edges[1:] - 1).tolist()) <= kept
    for b in phase_boundaries(s, 0, n).tolist():
        assert b in kept and b - 1 in kept
    assert {0, 1, n - 1} <= kept
    assert steps.size <= 4 * buckets + 100


def test_bucket_extremes_match_brute_force_exactly():
    s = warmupctl.load(MILLION)
    edges = bucket_edges(0, s.total_steps, 997)
    bmin, bmax, full = brute_columns(s, edges)
    for method in ("scan", "monotone"):
        info, _, _ = bucket_extremes(s, 0, s.total_steps, 997, method)
        assert np.array_equal(info.min_value, bmin)
        assert np.array_equal(info.max_value, bmax)
        assert np.array_equal(full[info.min_step], bmin)
        assert np.array_equal(full[info.max_step], bmax)


def test_short_windows_are_not_reduced():
    s = warmupctl.load(None)
    steps, rates = reduce_curve(s, 100, 2100, 1000)
    assert np.array_equal(steps, np.arange(100, 2100))
    assert np.array_equal(rates, s.window(100, 2100))


def test_reduced_figure_looks_like_the_full_one():
    """Rendered at the same size, every step and the reduced points give the same pixels
    (up to antialiasing at the edges of the line)."""
    from matplotlib.figure import Figure

    s = warmupctl.load(STEPS)

    def pixels(x, y):
        fig = Figure(figsize=(8, 4.5), dpi=150)
        ax = fig.add_axes((0.1, 0.1, 0.85, 0.85))
        ax.plot(x, y, lw=1.8)
        ax.set_xlim(-1e4, 1.01e6)
        ax.set_ylim(0, 3.4)
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="rgba")
        return np.frombuffer(buf.getvalue(), np.uint8).reshape(675, 1200, 4).astype(int)

    full = pixels(np.arange(s.total_steps), s.curve())
    steps, rates = reduce_curve(s, 0, s.total_steps, 2 * 1200)
    reduced = pixels(steps, rates)
    assert np.abs(full - reduced).max() <= 64


def test_huge_schedule_is_reduced_quickly():
    import time

    s = warmupctl.load({"total": "1B", "peak_lr": 3e-4, "warmup": {"shape": "linear",
                        "length": "1%"}, "decay": {"shape": "cosine", "final_lr": "10%"}})
    t0 = time.perf_counter()
    steps, rates = reduce_curve(s, 0, s.total_steps, 2400)
    assert time.perf_counter() - t0 < 2.0
    assert steps.size < 4 * 2400 + 10
    assert np.array_equal(rates, s.at(steps))
    assert s.warmup_steps in set(steps.tolist())


# ---------------------------------------------------------------------------------------------
# Terminal preview and sparkline
# ---------------------------------------------------------------------------------------------


def test_terminal_preview_without_colour(spec_arg):
    r = run(spec_arg("gpt3-small"), "--terminal", env={"NO_COLOR": "1", "COLUMNS": "90"})
    assert r.exit_code == 0, r.output
    assert r.stdout.strip()
    assert "\x1b" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 90
    assert "gpt3-small" in r.stdout


def test_terminal_preview_overlay_log_and_x_units(spec_arg):
    r = run(spec_arg("gpt3-small"), spec_arg("hagele-wsd-124m"), "--terminal", "--log",
            "--x", "percent", env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout
    assert "(log)" in r.stdout
    assert "+" in r.stdout and "x" in r.stdout  # told apart by character without colour
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_terminal_render_fits_the_width_and_colours_only_when_asked():
    s = warmupctl.load(None)
    plain = render([Curve(s, "default")], width=60)
    assert "\x1b" not in plain
    assert max(len(line) for line in plain.splitlines()) <= 60
    coloured = render([Curve(s, "default")], width=60, color=True)
    assert "\x1b[" in coloured


def _x_labels(text):
    lines = text.splitlines()
    return lines[next(i for i, ln in enumerate(lines) if ln.startswith("└")) + 1]


def test_terminal_log_axis_keeps_six_decades_and_writes_powers_as_the_figure_does():
    # cosine to 0 ends at 7.7e-14: the axis stops at 3e-4·1e-6 = 3e-10, as the figure's does
    s = warmupctl.load({"total": 100_000, "peak_lr": 3e-4,
                        "warmup": {"shape": "linear", "length": 2000},
                        "decay": {"shape": "cosine", "final_lr": 0}})
    text = render([Curve(s, "d")], width=80, log=True)
    assert "10^" not in text
    powers = [int(p.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
              for p in re.findall(r"10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text)]
    assert powers and min(powers) >= -10 and max(powers) <= -3, powers
    assert _x_labels(text).split() == ["0", "50k", "100k"]


def test_terminal_frame_has_one_left_edge():
    # uniplot draws a line at x = 0 by default, which doubles the frame's edge ("││")
    text = render([Curve(warmupctl.load(None), "default")], width=60)
    assert not any(line.startswith("││") for line in text.splitlines()), text


def test_terminal_titles_fit_and_the_rate_labels_carry_the_scale():
    g, h = warmupctl.load("gpt3-small"), warmupctl.load("hagele-wsd-124m")
    curves = [Curve(g, "gpt3-small"), Curve(h, "hagele-wsd-124m")]
    wide = render(curves, width=120, x="percent")
    assert wide.splitlines()[0].strip() == (
        "gpt3-small vs hagele-wsd-124m — learning rate vs % of training")
    assert _x_labels(wide).startswith("0%") and _x_labels(wide).rstrip().endswith("100%")
    # the labels are rates with their power of ten (the highest is gpt3-small's 6e-4), so the
    # title needs no scale
    assert [lab for _, lab in _frame_rows(wide) if lab] == ["6×10⁻⁴", "3×10⁻⁴", "0"]
    # narrower: the shorter form, never a word cut off
    assert render(curves, width=50, x="percent").splitlines()[0].strip() == (
        "gpt3-small vs hagele-wsd-124m — lr")
    narrow = render(curves, width=30, x="percent")
    assert len(narrow.splitlines()[0].strip()) <= 30
    assert max(len(line) for line in narrow.splitlines()[:-1]) <= 30
    # a sweep's preview is titled like its figure
    r = run("--sweep", "warmup=1%,5%", "--terminal", "-q",
            env={"NO_COLOR": "1", "COLUMNS": "90"})
    assert r.stdout.splitlines()[0].strip().startswith("default: warmup sweep — ")


def _frame_rows(text):
    """The rows inside the frame: (the plotted characters, the label after the frame)."""
    lines = text.splitlines()
    top = next(i for i, ln in enumerate(lines) if ln.startswith("┌"))
    bottom = next(i for i, ln in enumerate(lines) if ln.startswith("└"))
    out = []
    for ln in lines[top + 1 : bottom]:
        inner, _, label = ln[1:].partition("│")
        out.append((inner, label.strip()))
    return out


def _rate(label):
    if label == "0":
        return 0.0
    m, _, p = label.partition("×10")
    return float(m) * (10.0 ** int(p.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")))
                       if p else 1.0)


def _ink(row):
    return sum(ch != " " for ch in row)


@pytest.mark.parametrize("peak,labels", [(2.0, ["2", "1", "0"]),
                                         (3e-4, ["3×10⁻⁴", "1.5×10⁻⁴", "0"])])
@pytest.mark.parametrize("color", [False, True])
def test_terminal_rate_labels_sit_on_the_rows_of_their_values(peak, labels, color):
    # plateaus at the peak and at half of it (a step decay by 0.5 at 40% and 70%), and 0 held
    # for the second half of another run (a linear decay to 0 over its first half)
    steps = warmupctl.load({"total": 1000, "peak_lr": peak, "warmup": {"shape": "none"},
                            "decay": {"shape": "step", "milestones": [400, 700],
                                      "gamma": 0.5}})
    to_zero = warmupctl.load({"total": 1000, "peak_lr": peak, "warmup": {"shape": "none"},
                              "decay": {"shape": "linear", "final_lr": 0, "length": "50%"}})
    for s, plateaus in ((steps, {peak: 0.40, peak / 2: 0.30}), (to_zero, {0.0: 0.49})):
        text = render([Curve(s, "s")], width=90, color=color)
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
        rows = _frame_rows(text)
        assert [lab for _, lab in rows if lab] == labels
        width = len(rows[0][0])
        by_value = {_rate(lab): i for i, (_, lab) in enumerate(rows) if lab}
        for value, share in plateaus.items():
            near = min(by_value, key=lambda v, value=value: abs(v - value))
            assert near == pytest.approx(value, rel=1e-12, abs=0)
            i = by_value[near]
            # the row labelled with the value holds the plateau at that value …
            assert _ink(rows[i][0]) >= share * width * 0.95, (value, text)
            # … and no row next to it holds a run of the same length
            for j in (i - 1, i + 1):
                if 0 <= j < len(rows):
                    assert _ink(rows[j][0]) < 0.1 * width, (value, j, text)


def test_terminal_with_output_also_writes_the_file(tmp_path):
    out = tmp_path / "t.png"
    r = run("--terminal", "-o", str(out), "-q")
    assert r.exit_code == 0
    assert out.read_bytes().startswith(SIGNATURES["png"])


def test_sparkline_shows_the_column_maximum():
    s = warmupctl.load({"total": 1000, "peak_lr": 1e-3,
                        "warmup": {"shape": "linear", "length": 100},
                        "decay": {"shape": "cosine", "final_lr": 0}})
    line = sparkline(s, 10)
    assert len(line) == 10 and set(line) <= set(BLOCKS)
    full = s.curve()
    tops = full.reshape(10, 100).max(axis=1)
    expected = "".join(BLOCKS[int(round(v / full.max() * 7))] for v in tops)
    assert line == expected
    assert line[0] == "█"  # the warmup reaches the peak inside the first column


def test_sparkline_of_a_huge_schedule_and_edge_cases():
    s = warmupctl.load({"total": "1B", "peak_lr": 3e-4, "warmup": {"shape": "linear",
                        "length": "1%"}, "decay": {"shape": "linear", "final_lr": 0}})
    line = sparkline(s, 40)
    assert len(line) == 40 and line[0] == "█" and line[-1] == "▁"
    flat = warmupctl.load({"total": 5, "peak_lr": 1e-3})
    assert sparkline(flat, 40) == "█" * 5
    with pytest.raises(ValueError):
        sparkline(flat, 0)


# ---------------------------------------------------------------------------------------------
# Formats and errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x, text", [
    (3e-4, "3×10⁻⁴"), (1e-4, "1×10⁻⁴"), (2.5e-7, "2.5×10⁻⁷"), (1e-2, "0.01"), (0.1, "0.1"),
    (3.2, "3.2"), (0.0, "0"), (6.99e-4, "6.99×10⁻⁴"), (1.0000000000000002e-05, "1×10⁻⁵"),
])
def test_rate_format(x, text):
    assert format_rate(x) == text


def test_log_tick_writes_bare_powers():
    assert format_rate(1e-4, bare_power=True) == "10⁻⁴"


@pytest.mark.parametrize("x, text", [
    (0, "0"), (750, "750"), (20_000, "20k"), (1_250_000, "1.25M"), (3e11, "300B"),
    (100_000, "100k"),
])
def test_count_format(x, text):
    assert format_count(x) == text


@pytest.mark.parametrize("args, needle", [
    (["--range", "5000"], "--range needs A:B"),
    (["--range", "3000:100"], "is empty (steps 3,000 to 100): a plot needs two steps or more"),
    (["--range", "0:2x"], "--range"),
    (["--range", "200k:"], "after the last step"),
    (["--sweep", "warmpu=1%,2%"], "did you mean 'warmup'"),
    (["--sweep", "warmup"], "--sweep needs KEY="),
    (["--sweep", "warmup=1%,,2%"], "without gaps"),
    (["--sweep", "warmup=200%"], "does not fit"),
    (["--x", "tokenz"], "unknown --x"),
    (["--x", "tokens"], "needs tokens_per_step"),
    (["--x", "epochs"], "needs steps_per_epoch"),
    (["--size", "8"], "--size needs W,H"),
    (["--size", "100,3"], "--size"),
    (["--size", "3,2"], "--size 3,2 is outside 4…40 × 3…40 inches"),
    (["--dpi", "5"], "--dpi"),
    (["-o", "x.jpg"], "plot does not write .jpg files: name it .png, .svg or .pdf"),
    (["-o", "x.jpg", "--format", "png"], "--format png does not match the extension of x.jpg"),
    (["-o", "x.out"], "cannot tell the format of 'x.out'"),
    (["--format", "gif"], "unknown format"),
    (["no-such-preset"], "neither a file nor a preset"),
])
def test_bad_input_exits_2_with_one_message(tmp_path, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("warmupctl: error:") and needle in lines[0]
    assert "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_tokens_axis_error_names_the_schedule(spec_arg):
    r = run(spec_arg("gpt3-small"), spec_arg("transformer-base"), "--x", "tokens")
    assert r.exit_code == 2
    assert "'transformer-base' has none" in r.stderr
    assert "--tokens-per-step" in r.stderr


def test_sweep_needs_a_single_spec(spec_arg):
    r = run(spec_arg("gpt3-small"), spec_arg("transformer-base"), "--sweep", "warmup=1%")
    assert r.exit_code == 2 and "single SPEC" in r.stderr


def test_help():
    r = run("--help")
    assert r.exit_code == 0
    for opt in ("--output", "--format", "--dpi", "--size", "--title", "--x", "--log", "--range",
                "--no-annotate", "--sweep", "--terminal", "--total", "--quiet"):
        assert opt in r.stdout


def test_a_sweep_can_include_the_no_warmup_baseline(tmp_path):
    from warmupctl.cli.plot_cmd import _sweep_curves

    curves, _, _ = _sweep_curves(None, {}, "warmup", ["0", "none", "1%"])
    assert [c.schedule.warmup_steps for c in curves] == [0, 0, 1000]
    assert curves[0].schedule.lr(0) == 3e-4  # no warmup: the first step already uses the peak
    out = tmp_path / "s.png"
    r = run("--sweep", "warmup=0,1%,2%", "-o", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_range_of_one_step_says_so():
    r = run("--range", "99999:99999", "-o", "-", "--format", "svg")
    assert r.exit_code == 2
    assert "--range 99999:99999 holds one step (99,999): a plot needs two steps or more" in r.stderr


def test_a_window_without_the_peak_calls_its_top_the_highest_shown():
    s = warmupctl.load(None)  # peak 3e-4 at step 2,000
    fig = build_figure([Curve(s, "d")], PlotOptions(range=("0", "1")))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "highest shown 1.5×10⁻⁷\nat step 1" in texts, texts
    assert not any(t.startswith("peak") for t in texts)
    assert artist(fig, "window-max").get_ydata()[0] == s.lr(1) == 3e-4 / 2000
    fig = build_figure([Curve(s, "d")], PlotOptions(range=("1500", "2500")))
    assert any(t.get_text().startswith("peak 3×10⁻⁴") for t in fig.axes[0].texts)


def test_a_window_starting_on_the_plateau_does_not_claim_the_first_peak():
    # Goyal et al.: 5 warmup epochs of 157 steps, 3.2 until epoch 30. A window from epoch 25
    # starts on the plateau, so its top (step 3,925) is not where the peak is first reached (785)
    s = warmupctl.load("resnet50-goyal")
    assert s.warmup_steps == 785 and s.lr(785) == s.lr(3925) == 3.2
    fig = build_figure([Curve(s, "g")], PlotOptions(x="epochs", range=("25ep", "35ep")))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "highest shown 3.2\nat epoch 25" in texts, texts
    fig = build_figure([Curve(s, "g")], PlotOptions(x="epochs", range=("2ep", "35ep")))
    assert "peak 3.2" in [t.get_text() for t in fig.axes[0].texts]


def test_the_whole_run_shows_its_peak_even_below_the_declared_one():
    # DeepSpeed WarmupCosineLR as imported: a skip_zero cosine starts one step into its curve,
    # so the highest rate is 3e-4·(0.1 + 0.9·(1 + cos(π/900))/2), just below peak_lr
    s = warmupctl.load({"total": 1000, "peak_lr": 3e-4, "phases": [
        {"shape": "constant", "length": 1, "from": 0.0},
        {"shape": "linear", "length": 100, "from": 0.0, "to": 3e-4},
        {"shape": "cosine", "length": 899, "to": "10%", "skip_zero": True, "horizon": 900},
    ]})
    top = 3e-4 * (0.1 + 0.9 * (1 + np.cos(np.pi / 900)) / 2)
    assert s.lr(101) == pytest.approx(top, rel=1e-12) and top < 3e-4
    fig = build_figure([Curve(s, "ds")], PlotOptions())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "peak 3×10⁻⁴" in texts and not any("highest" in t for t in texts), texts
    assert any(t.startswith("end of warmup · step 101 ·") for t in texts), texts
    # a phases spec has no decay key: the legend names the phases after the warmup
    assert fig.legends[0].get_texts()[0].get_text() == (
        "ds — 1,000 steps, linear warmup, then cosine")


def test_log_axis_puts_a_final_rate_below_its_floor_on_the_bottom_edge():
    # cosine to 0 over 98,000 steps ends at 3e-4·(1 + cos(π·97999/98000))/2 ≈ 7.7e-14, far
    # below the log axis's floor of 1e-6 of the plotted top
    s = warmupctl.load({"total": 100_000, "peak_lr": 3e-4,
                        "warmup": {"shape": "linear", "length": 2000},
                        "decay": {"shape": "cosine", "final_lr": 0}})
    last = 3e-4 * (1 + np.cos(np.pi * 97_999 / 98_000)) / 2
    assert s.lr(99_999) == pytest.approx(last, rel=1e-9) and last < 1e-13
    fig = build_figure([Curve(s, "d")], PlotOptions(log=True))
    ax = fig.axes[0]
    lo = ax.get_ylim()[0]
    assert lo == pytest.approx(3e-4 * 1e-6, rel=1e-12)  # the top is the peak; six decades
    tag = next(t for t in ax.texts if t.get_text().startswith("final"))
    assert tag.get_text() == "final ≈0" and tag.xy[1] == lo
    assert not [ln for ln in ax.get_lines() if ln.get_gid() == "final"]
    # rates of 0 stay in the line's data (it matches the engine) but are masked, not drawn
    line = next(ln for ln in ax.get_lines() if ln.get_gid() == "curve-0")
    assert line.get_ydata()[0] == s.lr(0) == 0.0
    # an overlay leaves the open dot off too, instead of drawing it under the axes
    fig = build_figure([Curve(s, "a"), Curve(warmupctl.load(None), "b")], PlotOptions(log=True))
    assert not [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == "final-0"]
    assert artist(fig, "final-1").get_ydata()[0] == warmupctl.load(None).lr(99_999)


def test_long_labels_at_the_right_edge_are_broken_so_the_plot_keeps_its_width():
    # the last 10% of GPT-3 Small holds 6e-5 from step 540,000 on: one merged label, three lines
    s = warmupctl.load("gpt3-small")
    fig = build_figure([Curve(s, "g")], PlotOptions(range=("90%", None)))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "highest shown 6×10⁻⁵\nat step 540,000\nfinal 6×10⁻⁵" in texts, texts
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    # the axes keep at least 70% of the figure's width (0.79 for the default's short labels;
    # 0.52 with this label on one line)
    assert fig.axes[0].get_position().width > 0.7


def test_a_decay_to_zero_ends_at_about_zero_not_at_its_last_sliver():
    # cosine to 0 over 98,000 steps: the last step uses 3e-4·(1+cos(π·97999/98000))/2 ≈ 7.7e-14
    s = warmupctl.load({"total": 100_000, "peak_lr": 3e-4,
                        "warmup": {"shape": "linear", "length": 2000},
                        "decay": {"shape": "cosine", "final_lr": 0}})
    assert 7e-14 < s.lr(99_999) < 8e-14
    fig = build_figure([Curve(s, "d")])
    assert any(t.get_text() == "final ≈0" for t in fig.axes[0].texts)
    ten = warmupctl.load({"total": 100_000, "peak_lr": 3e-4,
                          "decay": {"shape": "cosine", "final_lr": "10%"}})
    fig = build_figure([Curve(s, "a"), Curve(ten, "b")])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "final ≈0" in labels[0] and "final 3×10⁻⁵" in labels[1]


def test_a_range_ending_after_the_run_is_drawn_to_its_end_and_said(tmp_path):
    out = tmp_path / "r.svg"
    r = run("gpt3-small", "--range", "590000:1B", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert ("--range ends at step 1,000,000,000, after the last step (599,999): the plot stops "
            "at the end of the run") in r.stderr
    # 100% is step N, the end of the run: no notice
    r = run("gpt3-small", "--range", "590000:100%", "-o", str(out))
    assert r.exit_code == 0 and "--range ends" not in r.stderr
    s = warmupctl.load("gpt3-small")
    fig = build_figure([Curve(s, "g")], PlotOptions(range=("590000", "1B")))
    line = artist(fig, "curve-0")
    assert line.get_xdata()[-1] == 599_999 and line.get_ydata()[-1] == s.lr(599_999)
    assert s.lr(599_999) == pytest.approx(6e-5, rel=1e-12)  # held at 10% of 6e-4


def _drawn_ticks(fig, axis="x"):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks
            if lo <= (t.get_position()[0] if axis == "x" else t.get_position()[1]) <= hi]


@pytest.mark.parametrize("name, rng, x, first", [
    # 10 steps at the end of 600k: 599,990 … 600k need six digits to differ
    ("gpt3-small", ("599990", None), "steps", "599.99k"),
    ("llama2-7b", ("250000", "250100"), "steps", "250k"),
    ("gpt3-small", ("50%", "50.01%"), "percent", "50%"),
    ("gpt3-small", ("599990", None), "tokens", "299.995B"),
])
def test_ticks_of_a_narrow_window_are_all_different(name, rng, x, first):
    fig = build_figure([Curve(warmupctl.load(name), "c")], PlotOptions(range=rng, x=x))
    labels = _drawn_ticks(fig)
    assert len(labels) >= 3 and len(set(labels)) == len(labels), labels
    assert labels[0] == first, labels
    # a whole run keeps the short form
    labels = _drawn_ticks(build_figure([Curve(warmupctl.load(name), "c")], PlotOptions(x=x)))
    assert len(set(labels)) == len(labels) and all(len(t) <= 5 for t in labels), labels


def test_a_window_in_the_middle_of_a_decay_spans_its_rates():
    # GPT-3 Small from step 400k to 450k: its cosine falls from 1.29e-4 to 8.4e-5; an axis
    # from 0 would draw that as a nearly flat line
    s = warmupctl.load("gpt3-small")
    hi, lo = s.lr(400_000), s.lr(450_000)
    assert 1.28e-4 < hi < 1.29e-4 and 8.4e-5 < lo < 8.5e-5
    fig = build_figure([Curve(s, "g")], PlotOptions(range=("400k", "450k")))
    y0, y1 = fig.axes[0].get_ylim()
    span = hi - lo
    assert y0 == pytest.approx(lo - 0.08 * span, rel=1e-9)
    assert y1 == pytest.approx(hi + 0.08 * span, rel=1e-9)
    labels = _drawn_ticks(fig, "y")
    assert len(set(labels)) == len(labels) >= 3, labels
    # a window that reaches down to low rates (a warmup zoom) still starts at 0
    fig = build_figure([Curve(s, "g")], PlotOptions(range=("0", "3000")))
    assert fig.axes[0].get_ylim()[0] == 0.0
    # the whole run, too
    assert build_figure([Curve(s, "g")]).axes[0].get_ylim()[0] == 0.0


EIGHT = ["gpt3-small", "hagele-wsd-124m", "transformer-base", "llama2-7b", "resnet50-goyal",
         "bert-glue-finetune", "gpt3-xl", "gpt3-175b"]


def test_a_legend_that_leaves_no_room_is_refused_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "keep.png"
    out.write_bytes(b"old content")
    r = run(*EIGHT, "--x", "percent", "--size", "4,3", "-o", str(out))
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert ("a 4×3-inch figure has no room left for the curves after its title, labels and a "
            "legend of 8 curves: give a larger --size, e.g. 8,6") in r.stderr
    assert "UserWarning" not in r.stderr
    assert out.read_bytes() == b"old content"
    # to stdout, too, nothing is written
    r = run(*EIGHT, "--x", "percent", "--size", "4,3", "-o", "-", "--format", "svg")
    assert r.exit_code == 2 and r.stdout == ""
    # the size it suggests works
    r = run(*EIGHT, "--x", "percent", "--size", "8,6", "-o", str(out), "-q")
    assert r.exit_code == 0 and out.read_bytes().startswith(SIGNATURES["png"])


def test_no_two_curves_share_colour_and_line_style():
    # read the looks back from the drawn SVG: each curve's stroke colour and dash pattern
    curves = [Curve(warmupctl.load(n), n) for n in EIGHT + EIGHT]
    fig = build_figure(curves, PlotOptions(x="percent", size=(10, 12), annotate=False))
    stream = io.BytesIO()
    save_figure(fig, stream, "svg")
    looks = {}
    for m in re.finditer(r'<g id="curve-(\d+)">\s*<path[^>]*style="([^"]*)"',
                         stream.getvalue().decode()):
        style = dict(item.split(": ", 1) for item in m.group(2).split("; "))
        looks[int(m.group(1))] = (style["stroke"], style.get("stroke-dasharray", "solid"))
    assert sorted(looks) == list(range(16))
    # the Okabe–Ito palette has 7 colours, so curves 0, 7 and 14 share blue: their dashes differ
    assert looks[0][0] == looks[7][0] == looks[14][0] == "#0072b2"
    assert len(set(looks.values())) == 16, looks


def test_overlays_of_very_different_peaks_suggest_log(tmp_path):
    # GPT-3 Small peaks at 6e-4, Goyal et al.'s ResNet-50 at 3.2: 5,333 times higher
    assert warmupctl.load("resnet50-goyal").peak_lr / warmupctl.load("gpt3-small").peak_lr \
        == pytest.approx(3.2 / 6e-4)
    args = ["gpt3-small", "resnet50-goyal", "--x", "percent", "-o", str(tmp_path / "p.png")]
    r = run(*args)
    assert "the peaks differ 5,333-fold (6e-04 to 3.2): --log shows every curve's shape" \
        in r.stderr
    assert "--log shows" not in run(*args, "--log").stderr
    assert "--log shows" not in run("gpt3-small", "llama2-7b", "-o",
                                    str(tmp_path / "q.png")).stderr


# ---------------------------------------------------------------------------------------------
# Any length up to 2^53 steps plots (issue 13, item 7)
# ---------------------------------------------------------------------------------------------

BIG_TOTALS = [4_000_000_000_000_000, 2**53 - 1, 2**53 - 3, 8_999_999_999_999_999 // 3,
              1_234_567_890_123_457]


@pytest.mark.parametrize("n", BIG_TOTALS)
def test_bucket_edges_of_huge_windows_are_exact(n):
    # floor(i·n/k) computed with Python's unbounded integers; i·n overflowed int64 before
    for k in (2400, 2 * 1200 * 4, 7):
        edges = bucket_edges(0, n, k)
        assert edges.tolist() == [i * n // k for i in range(k + 1)]
    edges = bucket_edges(5, n, 2400)
    assert edges.tolist() == [5 + i * (n - 5) // 2400 for i in range(2401)]


@pytest.mark.parametrize("n", BIG_TOTALS)
def test_a_run_of_any_length_up_to_2_53_plots(tmp_path, n):
    out = tmp_path / "big.svg"
    r = run("--total", str(n), "-o", str(out), "-q")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(SIGNATURES["svg"])
    s = warmupctl.load({**warmupctl.spec.default_spec(), "total": n})
    fig = build_figure([Curve(s, "big")], PlotOptions())
    x = curve_line(fig).get_xdata()
    assert x[0] == 0 and x[-1] == float(n - 1)
    assert np.all(np.diff(x) >= 0)
    r = run("--total", str(n), "--terminal", "-q")
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------------------------------------
# The warmup made visible: an inset for one run, a zoom for a warmup sweep (issue 14, item 10)
# ---------------------------------------------------------------------------------------------


def inset_frame(fig, gid):
    """The frame of the inset ``gid`` (a rectangle on the main axes), or None."""
    found = [p for p in fig.axes[0].patches if p.get_gid() == gid]
    assert len(found) <= 1
    return found[0] if found else None


def no_inset(fig):
    return all(inset_frame(fig, g) is None for g in ("warmup-inset", "whole-run-inset"))


def inset_line(fig, gid):
    found = [ln for ln in fig.axes[0].get_lines() if ln.get_gid() == gid]
    assert len(found) == 1
    return found[0]


def inset_limits(fig, frame, line):
    """The inset's x and rate limits: its frame's corners in the data of one of its lines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    corners = frame.get_window_extent().get_points()
    (x0, y0), (x1, y1) = line.get_transform().inverted().transform(corners)
    return (x0, x1), (y0, y1)


def test_one_run_gets_an_inset_of_its_warmup_with_the_engines_rates():
    s = warmupctl.load(None)  # 2,000 warmup steps of 100,000
    fig = build_figure([Curve(s, "default")], PlotOptions())
    frame = inset_frame(fig, "warmup-inset")
    assert frame is not None
    line = inset_line(fig, "inset-curve-0")
    x = np.asarray(line.get_xdata())
    # from step 0 to half a warmup past its end: steps 0 … 3,000 (2,000 + 1,000)
    assert x[0] == 0 and x[-1] == 3000
    assert np.array_equal(line.get_ydata(), s.at(x.astype(np.int64)))
    (lo, hi), (ylo, yhi) = inset_limits(fig, frame, line)
    assert -100 < lo < 0 and 3000 < hi < 3100
    # the inset's rate axis is the main one (0 to 1.06 × 3e-4), so the ramp's slope reads the
    # same; the end of warmup is marked in it at step 2,000
    assert (ylo, yhi) == pytest.approx((0.0, 3e-4 * 1.06), abs=1e-12)
    mark = inset_line(fig, "inset-warmup-end")
    mark_x = line.get_transform().inverted().transform(
        mark.get_transform().transform((mark.get_xdata()[0], mark.get_ydata()[0])))[0]
    assert mark_x == pytest.approx(2000, abs=1e-6)
    labels = sorted(t.get_text() for t in fig.axes[0].texts
                    if t.get_gid() == "warmup-inset-label")
    assert labels == sorted(["0", "2k", "0", "3×10⁻⁴", "warmup, zoomed"])


def _covered(fig, gid, main_line):
    """Points of the main curve (densified along its segments) inside the inset's drawn box,
    labels and title included, in display pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    parts = [inset_frame(fig, gid)] + [t for t in fig.axes[0].texts
                                       if t.get_gid() == f"{gid}-label"]
    assert len(parts) >= 4
    box = Bbox.union([p.get_window_extent(renderer) for p in parts])
    xy = fig.axes[0].transData.transform(np.column_stack([main_line.get_xdata(),
                                                          main_line.get_ydata()]))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    t = np.linspace(0, 1, 20)[:, None, None]
    dense = (xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2)
    inside = ((dense[:, 0] > box.x0) & (dense[:, 0] < box.x1)
              & (dense[:, 1] > box.y0) & (dense[:, 1] < box.y1))
    return int(inside.sum())


@pytest.mark.parametrize("name,log", [
    ("default", False), ("gpt3-small", False), ("gpt3-small", True), ("hagele-wsd-124m", False),
    ("transformer-base", False), ("resnet50-goyal", False),
])
def test_the_inset_never_covers_the_curve(name, log):
    s = warmupctl.load(None) if name == "default" else schedule(name)
    fig = build_figure([Curve(s, name)], PlotOptions(log=log))
    assert inset_frame(fig, "warmup-inset") is not None, (
        f"{name}: the warmup ({s.warmup_steps:,} steps) has no inset")
    assert _covered(fig, "warmup-inset", curve_line(fig)) == 0


def test_a_sweep_inset_never_covers_the_curves_or_their_warmup_lines():
    curves = [Curve(warmupctl.load({**FALLBACK["gpt3-small"], "warmup": {
        "shape": "linear", "length": v}}), f"warmup {v}") for v in ("0.5%", "1%", "2%", "5%")]
    fig = build_figure(curves, PlotOptions(sweep="warmup"))
    assert inset_frame(fig, "whole-run-inset") is not None
    for i in range(4):
        assert _covered(fig, "whole-run-inset", curve_line(fig, i)) == 0
        assert _covered(fig, "whole-run-inset", artist(fig, f"warmup-end-{i}")) == 0


@pytest.mark.parametrize("opts,specs", [
    (PlotOptions(), [{"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "linear",
                                                                   "length": "20%"}}]),
    (PlotOptions(), [{"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "none"}}]),
    (PlotOptions(range=("0", "500")), [None]),
    (PlotOptions(annotate=False), [None]),
    (PlotOptions(warmup_view=False), [None]),
    (PlotOptions(size=(4.5, 3.0)), [None]),  # too small for the inset's labels
    (PlotOptions(), [None, "gpt3-small"]),  # an overlay of different runs
])
def test_no_inset_where_the_warmup_is_seen_or_not_asked_for(opts, specs):
    curves = [Curve(warmupctl.load(x) if not isinstance(x, str) else schedule(x), f"c{i}")
              for i, x in enumerate(specs)]
    fig = build_figure(curves, opts)
    assert no_inset(fig)


def test_a_warmup_sweep_is_zoomed_to_its_warmups_and_shows_the_whole_run_in_an_inset():
    r = run("gpt3-small", "--sweep", "warmup=0.5%,1%,2%,5%", "-o", "-", "--format", "svg", "-q")
    assert r.exit_code == 0, r.output
    from warmupctl.cli.plot_cmd import _sweep_curves

    curves, _, _ = _sweep_curves("gpt3-small", {}, "warmup", ["0.5%", "1%", "2%", "5%"])
    assert [c.schedule.warmup_steps for c in curves] == [3000, 6000, 12000, 30000]
    fig = build_figure(curves, PlotOptions(sweep="warmup"))
    # zoomed to twice the longest warmup: steps 0 … 60,000 of 600,000
    for i in range(4):
        x = curve_line(fig, i).get_xdata()
        assert x[0] == 0 and x[-1] == 60_000
    lo, hi = fig.axes[0].get_xlim()
    assert lo < 0 and 60_000 < hi < 61_500
    assert inset_frame(fig, "whole-run-inset") is not None
    for i, c in enumerate(curves):
        line = inset_line(fig, f"inset-curve-{i}")
        x = np.asarray(line.get_xdata())
        assert x[0] == 0 and x[-1] == 599_999
        assert np.array_equal(line.get_ydata(), c.schedule.at(x.astype(np.int64)))
    # the whole run on request: --range : (or 0:100%) draws every step, without an inset
    for rng in ((None, None), ("0", "100%")):
        fig = build_figure(curves, PlotOptions(sweep="warmup", range=rng))
        assert curve_line(fig, 3).get_xdata()[-1] == 599_999
        assert no_inset(fig)
    r = run("gpt3-small", "--sweep", "warmup=1%,5%", "--range", ":", "-o", "-", "-f", "svg",
            "-q")
    assert r.exit_code == 0, r.output


def test_a_sweep_of_long_warmups_is_not_zoomed():
    base = {"total": 1000, "peak_lr": 1e-3, "decay": {"shape": "cosine"}}
    curves = [Curve(warmupctl.load({**base, "warmup": {"shape": "linear", "length": v}}),
                    f"warmup {v}") for v in ("10%", "30%")]
    fig = build_figure(curves, PlotOptions(sweep="warmup"))
    assert curve_line(fig, 0).get_xdata()[-1] == 999  # 2 × 300 > half the run: no zoom
    assert no_inset(fig)


# ---------------------------------------------------------------------------------------------
# Names are drawn as written: no control characters, no mathtext (issue 13, item 4)
# ---------------------------------------------------------------------------------------------

HOSTILE_NAMES = ["\x1b]0;pwned\x07evil\x1b[31m", "$\\frac{}$", "$x^2$ and $y$", "a\\$b$c",
                 "_hidden", "\x9b31mred", "[/]"]


def _texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text()]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_plots_as_inert_text(tmp_path, name):
    import yaml

    from warmupctl.textsafe import visible

    spec = tmp_path / "hostile.yaml"
    spec.write_text(yaml.safe_dump({"name": name, "description": f"{name} (description)",
                                    "total": 1000, "peak_lr": 1e-3,
                                    "warmup": {"shape": "linear", "length": 20}}))
    out = tmp_path / "h.svg"
    r = run(str(spec), "-o", str(out))
    assert r.exit_code == 0, r.output
    svg = out.read_text(encoding="utf-8")
    # the text is drawn as paths; matplotlib writes each string in a comment before its glyphs
    assert f"<!-- {visible(name)} — 1,000 steps" in svg
    assert f"<!-- {visible(name)} (description) -->" in svg
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", svg)
    fig = build_figure([Curve(warmupctl.load(str(spec)), name)],
                       PlotOptions(title=f"{name} title"))
    for text in _texts(fig):
        shown, math = text._preprocess_math(text.get_text())
        assert math is False, text.get_text()
        assert not re.search("[\x00-\x1f\x7f-\x9f]", shown.replace("\n", ""))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0].replace("\\$", "$").startswith(visible(name))  # '_hidden' is shown too
    # the terminal preview too
    r = run(str(spec), "--terminal", "-q")
    assert r.exit_code == 0, r.output
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", r.stdout)


def test_a_lone_surrogate_and_line_breaks_in_a_name_are_drawn_visibly():
    s = warmupctl.load(None)
    fig = build_figure([Curve(s, "\ud800x")], PlotOptions(title="two\nlines\tand\x00nul"))
    buf = io.BytesIO()
    save_figure(fig, buf, "svg")
    svg = buf.getvalue().decode("utf-8")
    assert "<!-- \\ud800x — 100,000 steps" in svg
    assert "<!-- two lines and\\x00nul -->" in svg
    text = render([Curve(s, "\ud800x\x1b[2J")], width=80, title="t\x1b]8;;x\x07")
    assert "\x1b" not in text and "\ud800" not in text and "\\x1b" in text


def test_the_readme_tour_gives_each_plot_its_own_file():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    tour = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    outs = ["schedule.png"]  # the install line's `warmupctl plot`, above the tour
    for line in re.findall(r"^\$ warmupctl plot (.*)$", tour, re.M):
        args = line.split("#")[0].split()
        if "--terminal" in args and "-o" not in args:
            continue  # a preview writes no file
        outs.append(args[args.index("-o") + 1] if "-o" in args else "schedule.png")
    assert len(outs) >= 4
    assert len(outs) == len(set(outs)), outs


def test_errors_about_a_hostile_name_quote_it_inertly(tmp_path):
    import yaml

    spec = tmp_path / "hostile.yaml"
    spec.write_text(yaml.safe_dump({"name": "x\x1b]0;pwned\x07", "total": 1000, "peak_lr": 1e-3,
                                    "warmup": {"shape": "linear", "length": 20}}))
    for args in (["--x", "tokens"], ["--range", "2000:3000"]):
        r = run(str(spec), *args, "-o", str(tmp_path / "h.png"))
        assert r.exit_code == 2, r.output
        assert "'x\\x1b]0;pwned\\x07'" in r.stderr and "\x1b" not in r.stderr, r.stderr
