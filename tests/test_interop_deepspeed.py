"""`export -f deepspeed` and `import -f deepspeed` against DeepSpeed's own scheduler code.

DeepSpeed installs from PyPI without a GPU (it builds no op at install time), so these tests run
the real code: the scheduler is created by ``DeepSpeedEngine._scheduler_from_config`` — the
engine's own method, called with a stand-in ``self`` that only answers ``scheduler_name()`` and
``scheduler_params()`` (a whole engine needs a distributed backend) — and stepped the way the
engine does after each applied update. Update k trains with the rate in the param group after the
constructor and k steps, so DeepSpeed's one-update lag shows (anchors-schedules.md §2.5).
"""

from __future__ import annotations

import json
import types
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (test extra)")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    engine = pytest.importorskip("deepspeed.runtime.engine",
                                 reason="needs deepspeed (test extra; installs on CPU)")

from _support import assert_same, run, step_through  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.interop import deepspeed as ds  # noqa: E402


def ds_curve(cfg: dict, n: int) -> np.ndarray:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=cfg["optimizer"]["params"]["lr"])
    stub = types.SimpleNamespace(scheduler_name=lambda: cfg["scheduler"]["type"],
                                 scheduler_params=lambda: dict(cfg["scheduler"]["params"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DeepSpeed logs "before it has started" warnings
        sched = engine.DeepSpeedEngine._scheduler_from_config(stub, opt)
        out = step_through(opt, sched, n)
    return out



def cfg_of(typ: str, lr: float = 1.0, **params) -> dict:
    return {"optimizer": {"params": {"lr": lr}}, "scheduler": {"type": typ, "params": params}}


GOLDEN = {  # T = 10, W = 3, peak 1 (anchors-schedules.md §2.0), k = 0 … 10
    "WarmupLR": (cfg_of("WarmupLR", warmup_min_lr=0.0, warmup_max_lr=1.0, warmup_num_steps=3,
                        warmup_type="linear"),
                 [0, 0, .3333, .6667, 1, 1, 1, 1, 1, 1, 1]),
    "WarmupDecayLR": (cfg_of("WarmupDecayLR", total_num_steps=10, warmup_min_lr=0.0,
                             warmup_max_lr=1.0, warmup_num_steps=3, warmup_type="linear"),
                      [0, 0, .3333, .6667, 1, .8571, .7143, .5714, .4286, .2857, .1429]),
    "WarmupCosineLR": (cfg_of("WarmupCosineLR", total_num_steps=10, warmup_min_ratio=0.1,
                              warmup_num_steps=3, cos_min_ratio=0.1, warmup_type="linear"),
                       [0, .1, .4, .7, .9554, .8306, .6501, .4499, .2694, .1446, .1]),
    "WarmupLR-log": (cfg_of("WarmupLR", warmup_min_lr=0.0, warmup_max_lr=1.0,
                            warmup_num_steps=3), [0, 0, .6309, 1, 1, 1, 1, 1, 1, 1, 1]),
}


@pytest.mark.parametrize("case", list(GOLDEN))
def test_replica_matches_deepspeed_and_the_golden_rows(case):
    cfg, row = GOLDEN[case]
    ref = ds_curve(cfg, 11)
    np.testing.assert_allclose(ref, row, atol=5e-5)
    assert_same(ds.simulator(cfg)(np.arange(11)), ref)


IMPORTS = [
    (cfg_of("WarmupLR", lr=3e-4, warmup_min_lr=1e-6, warmup_max_lr=3e-4, warmup_num_steps=100,
            warmup_type="linear"), 500),
    (cfg_of("WarmupDecayLR", lr=3e-4, total_num_steps=1000, warmup_min_lr=0.0,
            warmup_max_lr=3e-4, warmup_num_steps=100, warmup_type="linear"), None),
    (cfg_of("WarmupDecayLR", lr=3e-4, total_num_steps=800, warmup_min_lr=1e-5,
            warmup_max_lr=3e-4, warmup_num_steps=100, warmup_type="linear"), 1000),
    (cfg_of("WarmupCosineLR", lr=3e-4, total_num_steps=1000, warmup_min_ratio=0.0,
            warmup_num_steps=100, cos_min_ratio=0.1, warmup_type="linear"), 1001),
    (cfg_of("WarmupCosineLR", lr=3e-4, total_num_steps=1000, warmup_min_ratio=0.05,
            warmup_num_steps=1, cos_min_ratio=0.0, warmup_type="linear"), 1200),
    (cfg_of("CosineAnnealingLR", lr=3e-4, T_max=1000, eta_min=3e-5), 1000),
    (cfg_of("LinearLR", lr=3e-4, start_factor=1.0, end_factor=0.1, total_iters=600), 1000),
    (cfg_of("MultiStepLR", lr=0.1, milestones=[300, 600], gamma=0.1), 1000),
]


@pytest.mark.parametrize(("cfg", "total"), IMPORTS,
                         ids=lambda v: v["scheduler"]["type"] if isinstance(v, dict) else str(v))
def test_import_reproduces_deepspeed_and_exports_back(cfg, total, tmp_path):
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps({"train_batch_size": 32, **cfg}))
    args = ["import", "-f", "deepspeed", str(path), "-q"]
    if total:
        args += ["--total", str(total)]
    r = run(*args)
    assert r.exit_code == 0, r.output
    spec = tmp_path / "spec.yaml"
    spec.write_text(r.stdout)
    s = warmupctl.load(str(spec))
    assert_same(s.curve(), ds_curve(cfg, s.total_steps))
    # the imported spec has the lag built in, so DeepSpeed can take it back, exactly
    back = json.loads(interop.export(s, "deepspeed").text)
    assert_same(ds_curve(back, s.total_steps), s.curve())


def test_import_cosine_cut_by_the_lag_uses_a_horizon(tmp_path):
    # the lag pushes the cosine's floor to update 1000, one past the run: the last phase runs
    # its 900-step formula over the 899 steps left (a horizon), and the curve is DeepSpeed's
    cfg = cfg_of("WarmupCosineLR", lr=3e-4, total_num_steps=1000, warmup_num_steps=100,
                 cos_min_ratio=0.1, warmup_type="linear")
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(cfg))
    r = run("import", "-f", "deepspeed", str(path))
    assert r.exit_code == 0, r.output
    assert "would reach its floor at update 1,000" in r.stderr
    spec = tmp_path / "spec.yaml"
    spec.write_text(r.stdout)
    s = warmupctl.load(str(spec))
    assert s.total_steps == 1000 and s.phases[-1].length == 900
    assert_same(s.curve(), ds_curve(cfg, 1000))
    back = json.loads(interop.export(s, "deepspeed").text)
    assert back["scheduler"]["params"]["total_num_steps"] == 1000
    assert_same(ds_curve(back, 1000), s.curve())


@pytest.mark.parametrize(("cfg", "message"), [
    (cfg_of("WarmupLR", warmup_num_steps=10), "log"),
    (cfg_of("WarmupCosineLR", total_num_steps="auto", warmup_type="linear"), "'auto'"),
    (cfg_of("OneCycle", cycle_min_lr=0.1), "not imported"),
    ({"optimizer": {"params": {"lr": 1.0}}}, "scheduler"),
    (cfg_of("WarmupLR", warmup_type="linear"), "--total"),
])
def test_import_refusals(cfg, message, tmp_path):
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(cfg))
    r = run("import", "-f", "deepspeed", str(path))
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.output


def test_a_torch_class_needs_no_lag():
    """A schedule one torch class reproduces goes out as "type": "<class>" (no lag)."""
    s = warmupctl.load("hf-trainer-default")
    cfg = json.loads(interop.export(s, "deepspeed").text)
    assert cfg["scheduler"]["type"] == "LinearLR"
    assert_same(ds_curve(cfg, s.total_steps), s.curve())


def worst(ours, theirs):
    with np.errstate(invalid="ignore"):
        rel = np.nan_to_num(np.abs(ours - theirs) / np.maximum(np.abs(ours), np.abs(theirs)))
    return int(np.argmax(rel)), float(rel.max())


@pytest.mark.parametrize("spec", [
    {"total": 1000, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": 100},
     "decay": {"shape": "cosine", "final_lr": "10%"}},
    {"total": 1000, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": 100},
     "decay": {"shape": "linear"}},
    {"total": 1000, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": 100}},
])
def test_ordinary_specs_are_refused_for_the_lag(spec):
    s = warmupctl.load(spec)
    r = run("export", "-", "-f", "deepspeed", input=json.dumps(spec))
    assert r.exit_code == 2
    assert "lag one update" in r.stderr and "-f torch" in r.stderr
    r = run("export", "-", "-f", "deepspeed", "--approximate", input=json.dumps(spec))
    assert r.exit_code == 0
    step, rel = worst(s.curve(), ds_curve(json.loads(r.stdout), s.total_steps))
    assert f"worst deviation at step {step:,}:" in r.stderr
    assert float(r.stderr.split("relative error ")[1].split()[0]) == pytest.approx(rel, rel=1e-2)


@pytest.mark.parametrize("typ", [*ds.DS_ARGS, *ds.TORCH_ARGS])
def test_the_argument_lists_are_the_schedulers_own(typ):
    import inspect

    from deepspeed.runtime import lr_schedules

    cls = getattr(lr_schedules, typ, None) or getattr(torch.optim.lr_scheduler, typ)
    params = inspect.signature(cls.__init__).parameters
    own = {k for k, p in params.items() if k not in ("self", "optimizer", "verbose")
           and p.kind is not inspect.Parameter.VAR_KEYWORD}
    table = ds.DS_ARGS if typ in ds.DS_ARGS else ds.TORCH_ARGS
    assert set(table[typ]) == own
    if typ in ds.TORCH_DEFAULTS:
        for key, value in ds.TORCH_DEFAULTS[typ].items():
            assert params[key].default == pytest.approx(value, rel=1e-15)


def test_deepspeed_rejects_an_argument_the_import_refuses():
    cfg = {"optimizer": {"params": {"lr": 1e-3}},
           "scheduler": {"type": "WarmupDecayLR", "params": {
               "warmup_num_step": 100, "total_num_steps": 1000, "warmup_type": "linear"}}}
    with pytest.raises(TypeError, match="warmup_num_step"):
        ds_curve(cfg, 3)
    r = run("import", "-f", "deepspeed", "-", input=json.dumps(cfg))
    assert r.exit_code == 2 and "did you mean 'warmup_num_steps'?" in r.stderr
