"""`warmupctl diff` on trainer configs, checked against the curves the real libraries produce.

Each test steps the real schedulers — HF's ``Trainer.create_scheduler`` from the TrainingArguments
JSON, DeepSpeed's ``DeepSpeedEngine._scheduler_from_config`` from the ds_config, torch's
scheduler from the ``export -f torch`` file, optax's schedule from the ``export -f optax`` file —
reads off where the real curves differ and how, and compares that with what ``diff`` says about
the configs (and about the recorded curves, given to it as tables).
"""

from __future__ import annotations

import json
import types
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (test extra)")
pytest.importorskip("transformers", reason="needs transformers (test extra)")
pytest.importorskip("accelerate", reason="TrainingArguments needs accelerate (test extra)")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    ds_engine = pytest.importorskip("deepspeed.runtime.engine",
                                    reason="needs deepspeed (test extra; installs on CPU)")

from _support import RTOL, run, step_through  # noqa: E402
from transformers import Trainer, TrainingArguments  # noqa: E402

# the README's tour schedule
README_YAML = """\
total: 100k                       # optimizer steps, warmup included
peak_lr: 3.0e-4
warmup: {shape: linear, length: 2%}
decay: {shape: cosine, final_lr: 10%}
training: {optimizer: adamw, beta2: 0.95, batch_size: 512}
"""
N = 100_000


def hf_curve(cfg: dict, tmp_path) -> np.ndarray:
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none", **cfg)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args.learning_rate)
    stub = types.SimpleNamespace(lr_scheduler=None, args=args)
    sched = Trainer.create_scheduler(stub, num_training_steps=args.max_steps, optimizer=opt)
    return step_through(opt, sched, args.max_steps)


def ds_curve(cfg: dict, n: int) -> np.ndarray:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                          lr=cfg["optimizer"]["params"]["lr"])
    stub = types.SimpleNamespace(scheduler_name=lambda: cfg["scheduler"]["type"],
                                 scheduler_params=lambda: dict(cfg["scheduler"]["params"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DeepSpeed warns about reading the rate before a step
        sched = ds_engine.DeepSpeedEngine._scheduler_from_config(stub, opt)
        return step_through(opt, sched, n)


def close(a, b):
    return np.abs(a - b) <= RTOL * np.maximum(np.abs(a), np.abs(b))


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    spec = d / "run.yaml"
    spec.write_text(README_YAML)
    r = run("export", str(spec), "-f", "hf", "-q")
    assert r.exit_code == 0, r.output
    hf = json.loads(r.stdout)
    (d / "hf.json").write_text(r.stdout)
    # the same schedule as a DeepSpeed user writes it (DeepSpeed cannot express the exact curve,
    # so `export -f deepspeed` refuses; --approximate writes this block)
    r = run("export", str(spec), "-f", "deepspeed", "--approximate", "-q")
    assert r.exit_code == 0, r.output
    ds = json.loads(r.stdout)
    assert ds["scheduler"]["params"] == {"total_num_steps": N, "warmup_min_ratio": 0.0,
                                         "warmup_num_steps": 2000, "cos_min_ratio": 0.1,
                                         "warmup_type": "linear"}
    (d / "ds.json").write_text(r.stdout)
    return d, hf, ds


def test_hf_export_vs_deepspeed_config_is_a_one_update_lag(readme, tmp_path):
    d, hf, ds = readme
    real_hf = hf_curve(hf, tmp_path)
    real_ds = ds_curve(ds, N)
    # what the real curves show: DeepSpeed uses at update t what HF used at t − 1, through the
    # warmup; from the first cosine step on they agree
    bad = np.flatnonzero(~close(real_hf, real_ds))
    first, last = int(bad[0]), int(bad[-1])
    assert (first, last) == (1, 2000)
    assert np.all(close(real_ds[first:last + 1], real_hf[first - 1:last]))

    r = run("diff", f"hf:{d / 'hf.json'}", f"deepspeed:{d / 'ds.json'}", "--json", "-q")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert out["identical"] is False
    assert out["first_step"] == first and out["last_step"] == last
    assert out["differing_steps"] == bad.size
    [shift] = [p for p in out["patterns"] if p["pattern"] == "shift"]
    assert shift["shift"] == 1 and (shift["from_step"], shift["to_step"]) == (first, last)
    rel = np.abs(real_hf - real_ds) / np.maximum(np.abs(real_hf), np.abs(real_ds)).clip(1e-300)
    assert out["max_abs"] == pytest.approx(float(np.max(np.abs(real_hf - real_ds))), rel=1e-9)
    assert out["max_rel"] == pytest.approx(float(np.max(rel)), rel=1e-9)

    # the spec (README tour line) and the recorded curves, given as tables, say the same
    r = run("diff", str(d / "run.yaml"), f"deepspeed:{d / 'ds.json'}", "--json", "-q")
    assert json.loads(r.stdout)["first_step"] == first
    np.save(tmp_path / "hf.npy", real_hf)
    np.save(tmp_path / "ds.npy", real_ds)
    r = run("diff", f"npy:{tmp_path / 'hf.npy'}", f"npy:{tmp_path / 'ds.npy'}", "--json")
    table = json.loads(r.stdout)
    assert table["first_step"] == first and table["last_step"] == last
    assert [p["shift"] for p in table["patterns"] if p["pattern"] == "shift"] == [1]


def test_hf_config_with_a_four_times_shorter_warmup(readme, tmp_path):
    d, hf, _ = readme
    short = {**hf, "warmup_steps": hf["warmup_steps"] // 4}
    (tmp_path / "short.json").write_text(json.dumps(short))
    real = hf_curve(short, tmp_path)
    r = run("export", str(d / "run.yaml"), "-f", "npy", "-o", str(tmp_path / "spec.npy"))
    assert r.exit_code == 0
    spec_curve = np.load(tmp_path / "spec.npy")
    bad = np.flatnonzero(~close(spec_curve, real))
    # the real HF warmup is the spec's squeezed 4×: HF(t) = spec(4t) up to HF's peak at 500
    t = np.arange(0, 501)
    assert np.all(close(real[t], spec_curve[4 * t]))

    r = run("diff", str(d / "run.yaml"), f"hf:{tmp_path / 'short.json'}", "--json", "-q")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert out["first_step"] == int(bad[0]) == 1
    [warm] = [p for p in out["patterns"] if p["pattern"] == "warmup"]
    assert (warm["a"], warm["b"], warm["ratio"]) == (2000, 500, 0.25)
    assert not warm["whole_run"]  # the decays start 1,500 steps apart: only the warmup is 4×
    assert out["max_abs_step"] == int(np.argmax(np.abs(spec_curve - real)))


def test_torch_and_optax_exports_of_one_spec_are_equal(readme, tmp_path):
    jax = pytest.importorskip("jax", reason="needs jax (test extra)")
    pytest.importorskip("optax", reason="needs optax (test extra)")
    import jax.numpy as jnp

    d, _, _ = readme
    texts = {}
    for fmt in ("torch", "optax"):
        r = run("export", str(d / "run.yaml"), "-f", fmt, "-q")
        assert r.exit_code == 0, r.output
        texts[fmt] = r.stdout
    ns: dict = {"__name__": "exported"}
    exec(compile(texts["torch"], "exported_torch.py", "exec"), ns)  # our own generated file
    # a group whose rate is the spec's peak follows the schedule exactly (groups keep ratios)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=3.0e-4)
    real_torch = step_through(opt, ns["make_scheduler"](opt), N)
    ns = {"__name__": "exported"}
    with jax.enable_x64(True):
        exec(compile(texts["optax"], "exported_optax.py", "exec"), ns)
        fn = jax.jit(jax.vmap(ns["schedule"]))
        real_optax = np.asarray(fn(jnp.arange(N, dtype=jnp.int64)), dtype=np.float64)
    assert np.all(close(real_torch, real_optax))  # the real libraries agree at every step

    np.save(tmp_path / "torch.npy", real_torch)
    np.save(tmp_path / "optax.npy", real_optax)
    r = run("diff", f"npy:{tmp_path / 'torch.npy'}", f"npy:{tmp_path / 'optax.npy'}", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["identical"] and out["first_step"] is None and out["patterns"] == []
    r = run("diff", str(d / "run.yaml"), f"npy:{tmp_path / 'optax.npy'}")
    assert r.exit_code == 0, r.output

    # the same comparison can fail: optax's own cosine with decay_steps one short of the
    # export's (the torch-vs-optax off-by-one users report) is found at its first step
    import optax

    with jax.enable_x64(True):
        off = optax.warmup_cosine_decay_schedule(0.0, 3.0e-4, 2000, N - 1, 3.0e-5)
        off_curve = np.asarray(jax.jit(jax.vmap(off))(jnp.arange(N, dtype=jnp.int64)),
                               dtype=np.float64)
    np.save(tmp_path / "off.npy", off_curve)
    bad = np.flatnonzero(~close(real_torch, off_curve))
    r = run("diff", f"npy:{tmp_path / 'torch.npy'}", f"npy:{tmp_path / 'off.npy'}", "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["first_step"] == int(bad[0])


def test_accelerate_stepping_once_per_process_is_a_4x_faster_schedule(readme, tmp_path,
                                                                      monkeypatch):
    """accelerate's AcceleratedScheduler steps the wrapped scheduler num_processes times per
    update (without split_batches): a scheduler built for the run's 100k updates on 4 processes
    is used up in 25k. The real AcceleratedScheduler runs here, with its process count (read
    from AcceleratorState at each step) set to 4."""
    accel = pytest.importorskip("accelerate.scheduler", reason="needs accelerate (test extra)")
    d, hf, _ = readme
    monkeypatch.setattr(accel, "AcceleratorState", lambda: types.SimpleNamespace(num_processes=4))
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none", **hf)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=args.learning_rate)
    stub = types.SimpleNamespace(lr_scheduler=None, args=args)
    sched = Trainer.create_scheduler(stub, num_training_steps=args.max_steps, optimizer=opt)
    opt.step_was_skipped = False  # what accelerate's AcceleratedOptimizer reports
    wrapped = accel.AcceleratedScheduler(sched, opt)
    updates = N // 4
    real = np.empty(updates)
    for k in range(updates):
        real[k] = opt.param_groups[0]["lr"]
        opt.step()
        wrapped.step()
    r = run("export", str(d / "run.yaml"), "-f", "npy", "-o", str(tmp_path / "spec.npy"))
    assert r.exit_code == 0
    spec_curve = np.load(tmp_path / "spec.npy")
    assert np.all(close(real, spec_curve[::4]))  # the real rates: B(t) = A(4t)
    np.save(tmp_path / "accelerate.npy", real)

    r = run("diff", str(d / "run.yaml"), f"npy:{tmp_path / 'accelerate.npy'}", "--json")
    assert r.exit_code == 1, r.output
    out = json.loads(r.stdout)
    assert out["first_step"] == int(np.flatnonzero(~close(spec_curve[:updates], real))[0]) == 1
    [warm] = [p for p in out["patterns"] if p["pattern"] == "warmup"]
    assert warm["whole_run"] and warm["ratio"] == 0.25 and (warm["a"], warm["b"]) == (2000, 500)
    assert "4× faster" in warm["message"]
    assert [p["b"] for p in out["patterns"] if p["pattern"] == "total-steps"] == [updates]
