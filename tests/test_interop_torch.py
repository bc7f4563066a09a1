"""`export -f torch`: the generated file, run with torch 2.13, against warmupctl at every step.

The file is executed as written (``exec`` of its text, and once as ``python sched.py``); its
``make_scheduler`` is attached to an SGD optimizer and the rate of each update is read from
``optimizer.param_groups[0]["lr"]`` before ``optimizer.step(); scheduler.step()``. Relative 1e-12,
no absolute slack: torch keeps the rate as a Python float, so the torch export is exact in float64.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch (test extra)")

from _support import RTOL, assert_same, run, step_through  # noqa: E402

import warmupctl  # noqa: E402
from warmupctl import interop  # noqa: E402
from warmupctl.interop import torch as torch_target  # noqa: E402


def load_file(text: str) -> dict:
    ns: dict = {"__name__": "exported"}
    exec(compile(text, "exported_schedule.py", "exec"), ns)
    return ns


def torch_curve(ns: dict, n: int, lr: float | None = None) -> np.ndarray:
    """The rates of a one-group optimizer created at ``lr`` (default: the file's PEAK_LR)."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=ns.get("PEAK_LR", 1e-3) if lr is None else lr)
    sched = ns["make_scheduler"](opt)
    out = step_through(opt, sched, n)
    return out



SPECS = {
    # built-in classes
    "resnet50-goyal": ("resnet50-goyal", "SequentialLR"),
    "hf-trainer-default": ("hf-trainer-default", "LinearLR"),
    "warmup-from-10%": ({"total": 3000, "peak_lr": 1e-3,
                         "warmup": {"shape": "linear", "length": 100, "start_lr": "10%"},
                         "decay": {"shape": "cosine", "final_lr": "10%", "length": 2000}},
                        "LambdaLR"),  # CosineAnnealingLR's absolute eta_min breaks group ratios
    "constant-warmup-exponential": ({"total": 3000, "peak_lr": 1e-3,
                                     "warmup": {"shape": "constant", "length": 100,
                                                "start_lr": "1%"},
                                     "decay": {"shape": "exponential", "gamma": 0.999}},
                                    "SequentialLR"),
    "polynomial": ({"total": 2000, "peak_lr": 1e-3,
                    "decay": {"shape": "polynomial", "power": 2, "length": 1500}},
                   "PolynomialLR"),
    # closed form
    "gpt3-like": ({"total": 6000, "peak_lr": 6e-4, "warmup": {"shape": "linear", "length": 75},
                   "decay": {"shape": "cosine", "final_lr": "10%", "length": 5200}}, "LambdaLR"),
    "t5": ("t5-pretrain", "LambdaLR"),
    "wsd": ("kosson2024-gpt2-124m", "LambdaLR"),
    "exponential-warmup": ({"total": 2000, "peak_lr": 1e-3,
                            "warmup": {"shape": "exponential", "length": 200},
                            "decay": {"shape": "inverse_sqrt", "final_lr": "30%"}}, "LambdaLR"),
    "restarts": ({"total": 2000, "peak_lr": 1e-3, "warmup": {"shape": "cosine", "length": 50},
                  "decay": {"shape": "cosine_restarts", "period": 200, "period_mult": 1.5,
                            "cycle_decay": 0.8, "final_lr": "1%"}}, "LambdaLR"),
    "one-based": ({"total": 1000, "peak_lr": 1e-3, "phases": [
        {"shape": "linear", "length": 40, "from": 0, "to": 1e-3, "skip_zero": True},
        {"shape": "cosine", "length": "rest", "to": "10%", "skip_zero": True}]}, "LambdaLR"),
    # a cosine to 0 over 50k steps: CosineAnnealingLR's recursion drifts past 1e-12 at the end,
    # so the export falls back to the closed form (the replica sees the drift)
    "long-cosine-to-0": ({"total": 50000, "peak_lr": 1e-3, "decay": {"shape": "cosine"}},
                         "LambdaLR"),
    "short-cosine-to-0": ({"total": 30000, "peak_lr": 1e-3, "decay": {"shape": "cosine"}},
                          "CosineAnnealingLR"),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_generated_file_runs_exactly_in_torch(name):
    source, kind = SPECS[name]
    s = warmupctl.load(source)
    if isinstance(source, str):
        r = run("export", source, "-f", "torch", "-q")
    else:
        r = run("export", "-", "-f", "torch", "-q", input=json.dumps(source))
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "def make_scheduler(optimizer" in text and ("LambdaLR" in text) == (kind == "LambdaLR")
    assert f"{kind}(" in text
    n = min(s.total_steps, 40_000)
    assert_same(s.window(0, n), torch_curve(load_file(text), n))


def test_replica_predicts_torch_bit_for_bit():
    """The Python replica of torch's recursive classes gives torch's floats exactly."""
    spec = {"total": 50000, "peak_lr": 1e-3, "decay": {"shape": "cosine"}}
    s = warmupctl.load(spec)
    children, problems = torch_target.builtin_children(s)
    assert not problems and [c.cls for c in children] == ["CosineAnnealingLR"]
    rep = torch_target.replica(children, 1e-3, s.total_steps)
    ns = {"torch": torch}
    exec("from torch.optim.lr_scheduler import CosineAnnealingLR\n"
         "def make_scheduler(opt):\n"
         "    for g in opt.param_groups: g['lr'] = g['initial_lr'] = 1e-3\n"
         "    return CosineAnnealingLR(opt, T_max=50000, eta_min=0.0)\n", ns)
    real = torch_curve(ns, s.total_steps)
    assert np.array_equal(rep, real)
    ours = s.curve()
    rel = np.abs(real[1:] - ours[1:]) / ours[1:]
    assert rel.max() > RTOL  # this is why the export used LambdaLR above


def test_file_runs_as_a_script(tmp_path):
    out = tmp_path / "sched.py"
    r = run("export", "gpt3-small", "-f", "torch", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "LambdaLR (closed form)" in r.stderr and "all 600,000 steps" in r.stderr
    proc = subprocess.run([sys.executable, str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["step", "0", "lr", "0.0"]
    assert any(line.split()[1] == "750" and line.split()[3] == "0.0006" for line in lines)
    assert "599,999" in proc.stdout


def test_state_dict_round_trip():
    """A checkpointed closed-form scheduler resumes on the same rate."""
    s = warmupctl.load("llmc-gpt2-124m")
    ns = load_file(interop.export(s, "torch").text)
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=ns["PEAK_LR"])
    sched = ns["make_scheduler"](opt)
    for _ in range(1234):
        opt.step()
        sched.step()
    state = sched.state_dict()
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=ns["PEAK_LR"])
    sched2 = ns["make_scheduler"](opt2)
    sched2.load_state_dict(state)
    opt2.param_groups[0]["lr"] = sched2.get_last_lr()[0]
    assert opt2.param_groups[0]["lr"] == pytest.approx(s.lr(1234), rel=RTOL)
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(s.lr(1235), rel=RTOL)


@pytest.mark.parametrize("name", ["deepseek-llm-7b", "resnet50-goyal", "t5-pretrain",
                                  "hagele-wsd-124m", "bert-glue-finetune"])
def test_torch_never_refuses(name):
    """A closed-form LambdaLR reproduces any schedule: the torch target has no refusal path
    (these presets are refused by some config targets)."""
    s = warmupctl.load(name)
    assert interop.why_not(s, "torch") is None
