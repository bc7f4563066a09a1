"""UpdateMonitor against an independent computation of the same run.

Each test takes its own snapshots of the parameters before and after every optimizer step in the
training loop and computes the §8 metrics from them with NumPy (float64, arccos as the contract
writes it); the monitor's log must agree to 1e-6 relative.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from warmupctl.monitor.log import LogError, read_log  # noqa: E402
from warmupctl.monitor.torch import UpdateMonitor  # noqa: E402

RTOL = 1e-6


class Tiny(nn.Module):
    """Embedding → Linear → LayerNorm → ReLU → Linear: matrices, vectors and a norm."""

    def __init__(self, vocab: int = 11, d: int = 8, hidden: int = 16) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.fc1 = nn.Linear(d, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.fc2 = nn.Linear(hidden, vocab)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.fc1(self.emb(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.hidden(x))


def _expected(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> dict[str, list]:
    """The §8 metrics computed directly from two snapshots (float64 NumPy)."""
    out: dict[str, list] = {"l2": [], "rel": [], "angle": [], "neuron_angle": []}
    for name, a in before.items():
        b = after[name]
        d = b - a
        out["l2"].append(np.linalg.norm(d))
        out["rel"].append(np.linalg.norm(d) / np.linalg.norm(a))
        cos = np.dot(a.ravel(), b.ravel()) / (np.linalg.norm(a) * np.linalg.norm(b))
        out["angle"].append(math.acos(min(1.0, cos)))
        ra, rb = a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1)
        rc = np.sum(ra * rb, 1) / (np.linalg.norm(ra, axis=1) * np.linalg.norm(rb, axis=1))
        out["neuron_angle"].append(math.sqrt(np.mean(np.arccos(np.minimum(rc, 1.0)) ** 2)))
    return out


def _snap(model: nn.Module, names: list[str]) -> dict[str, np.ndarray]:
    params = dict(model.named_parameters())
    return {n: params[n].detach().to(torch.float64).numpy().copy() for n in names}


def _close(got: list, want: list, what: str) -> None:
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g is not None, f"{what}[{i}] is null"
        assert abs(g - w) <= RTOL * abs(w), f"{what}[{i}]: {g!r} vs {w!r}"


def _train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, accum: int, seed: int = 0,
           sched: object = None, hidden_inputs: bool = False):
    """Run ``steps`` optimizer steps of ``accum`` micro-batches; yield the test's own record of
    each step: (lr used, snapshot before, snapshot after, input of fc2 in the last micro-batch)."""
    g = torch.Generator().manual_seed(seed)
    names = [n for n, p in model.named_parameters() if p.dim() >= 2]
    record = []
    for _ in range(steps):
        last_x = None
        for _ in range(accum):
            x = torch.randint(0, 11, (4, 5), generator=g)
            y = torch.randint(0, 11, (4, 5), generator=g)
            logits = model(x)
            loss = nn.functional.cross_entropy(logits.reshape(-1, 11).float(), y.reshape(-1))
            (loss / accum).backward()
            last_x = x
        before = _snap(model, names)
        lr = opt.param_groups[0]["lr"]
        h = None
        if hidden_inputs:
            with torch.no_grad():
                h = model.hidden(last_x).to(torch.float64).reshape(-1, 16).numpy()
                e = model.emb(last_x).to(torch.float64).reshape(-1, 8).numpy()
            h = {"fc1.weight": e, "fc2.weight": h}
        opt.step()
        opt.zero_grad()
        if sched is not None:
            sched.step()
        record.append((lr, before, _snap(model, names), h))
    return names, record


def _lines(path) -> tuple[dict, list[dict]]:
    text = path.read_text().splitlines()
    return json.loads(text[0]), [json.loads(t) for t in text[1:]]


@pytest.mark.parametrize("every", [1, 3])
def test_adamw_with_accumulation_matches_own_snapshots(tmp_path, every):
    torch.manual_seed(0)
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.95), weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 4))
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path, every=every):
        names, record = _train(model, opt, steps=7, accum=3, sched=sched)
    header, lines = _lines(path)
    assert header["format"] == "warmupctl.updates/v1"
    assert [x["name"] for x in header["layers"]] == names == ["emb.weight", "fc1.weight",
                                                             "fc2.weight"]
    assert [x["shape"] for x in header["layers"]] == [[11, 8], [16, 8], [11, 16]]
    assert header["optimizer"]["type"] == "AdamW"
    assert header["optimizer"]["betas"] == [0.9, 0.95]
    assert header["optimizer"]["weight_decay"] == 0.1
    assert header["every"] == every
    # one line per optimizer step (not per micro-batch), steps 0, k, 2k, …
    assert [x["step"] for x in lines] == list(range(0, 7, every))
    for line in lines:
        lr, before, after, _ = record[line["step"]]
        assert line["lr"] == lr
        want = _expected(before, after)
        for m in ("l2", "rel", "angle", "neuron_angle"):
            _close(line[m], want[m], f"step {line['step']} {m}")
        assert line["rrc"] is None
    # the log reader gives the same numbers
    log = read_log(str(path))
    assert log.step.tolist() == [x["step"] for x in lines]
    assert np.array_equal(log.metrics["angle"][-1], np.array(lines[-1]["angle"]))


def test_first_adam_update_is_sign_like(tmp_path):
    """Adam's first bias-corrected update is lr·sign(g) per coordinate (the seed's point): with
    no weight decay, l2 = lr·√(coordinates with a gradient), up to the float32 rounding of
    each parameter's new value (about 1e-5 of each coordinate's change)."""
    torch.manual_seed(1)
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0, eps=1e-12)
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path):
        x = torch.randint(0, 11, (64, 5))
        nn.functional.cross_entropy(model(x).reshape(-1, 11), x.reshape(-1)).backward()
        grads = {n: int((p.grad != 0).sum()) for n, p in model.named_parameters()}
        opt.step()
    header, (line,) = _lines(path)
    for i, layer in enumerate(header["layers"]):
        nonzero = grads[layer["name"]]  # embedding rows not in the batch get no gradient
        assert line["l2"][i] == pytest.approx(1e-3 * math.sqrt(nonzero), rel=1e-4)


def test_rrc_against_inputs_recomputed_by_the_test(tmp_path):
    torch.manual_seed(2)
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3)
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path, every=2, rrc=True):
        names, record = _train(model, opt, steps=5, accum=2, hidden_inputs=True)
    header, lines = _lines(path)
    assert [x.get("rrc") for x in header["layers"]] == [False, True, True]
    assert "last micro-batch" in header["rrc_input"]
    for line in lines:
        _, before, after, xs = record[line["step"]]
        assert line["rrc"][0] is None  # the embedding is not a linear layer
        for i, name in ((1, "fc1.weight"), (2, "fc2.weight")):
            x, w, d = xs[name], before[name], after[name] - before[name]
            want = np.linalg.norm(x @ d.T) / np.linalg.norm(x @ w.T)
            _close([line["rrc"][i]], [want], f"step {line['step']} rrc {name}")


def test_bf16_parameters_are_measured_in_float64(tmp_path):
    torch.manual_seed(3)
    model = Tiny().to(torch.bfloat16)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-2, weight_decay=0.1)
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path):
        names, record = _train(model, opt, steps=3, accum=1)
    _, lines = _lines(path)
    for line in lines:
        _, before, after, _ = record[line["step"]]
        want = _expected(before, after)
        for m in ("l2", "rel", "angle", "neuron_angle"):
            _close(line[m], want[m], f"step {line['step']} {m}")


def test_autocast_training_logs_fp32_parameters(tmp_path):
    torch.manual_seed(4)
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path, rrc=True), torch.autocast("cpu", dtype=torch.bfloat16):
        names, record = _train(model, opt, steps=3, accum=1)
    _, lines = _lines(path)
    for line in lines:
        _, before, after, _ = record[line["step"]]
        want = _expected(before, after)
        _close(line["angle"], want["angle"], f"step {line['step']} angle")
        assert all(v is not None and v > 0 for v in line["rrc"][1:])


@pytest.mark.parametrize("hooks_first", [True, False])
def test_compiled_model(tmp_path, hooks_first):
    """torch.compile keeps the parameter objects: the monitor (and its forward hooks for rrc)
    work whether it is attached before or after compiling."""
    torch.manual_seed(5)
    model = Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    path = tmp_path / "u.jsonl"
    torch._dynamo.reset()
    if hooks_first:
        mon = UpdateMonitor(model, opt, path, rrc=True)
        compiled = torch.compile(model, backend="aot_eager")
    else:
        compiled = torch.compile(model, backend="aot_eager")
        mon = UpdateMonitor(compiled, opt, path, rrc=True)
    with mon:
        g = torch.Generator().manual_seed(0)
        record = []
        names = ["emb.weight", "fc1.weight", "fc2.weight"]
        for _ in range(3):
            x = torch.randint(0, 11, (4, 5), generator=g)
            nn.functional.cross_entropy(compiled(x).reshape(-1, 11), x.reshape(-1)).backward()
            before = _snap(model, names)
            opt.step()
            opt.zero_grad()
            record.append((before, _snap(model, names)))
    header, lines = _lines(path)
    prefix = "" if hooks_first else "_orig_mod."
    assert [x["name"] for x in header["layers"]] == [prefix + n for n in names]
    assert len(lines) == 3
    for line, (before, after) in zip(lines, record, strict=True):
        _close(line["angle"], _expected(before, after)["angle"], "angle")
        assert all(v is not None and v > 0 for v in line["rrc"][1:]), line["rrc"]


def test_close_removes_the_hooks(tmp_path):
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "u.jsonl"
    mon = UpdateMonitor(model, opt, path, rrc=True)
    mon.close()
    mon.close()
    x = torch.randint(0, 11, (4, 5))
    model(x).sum().backward()
    opt.step()
    assert len(path.read_text().splitlines()) == 1  # the header only
    assert not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks
    assert not model.fc1._forward_hooks


def test_zero_norm_rows_and_tensors_are_null(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Linear(4, 2, bias=False))
    with torch.no_grad():
        model[0].weight[1].zero_()
        model[1].weight.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "u.jsonl"
    with UpdateMonitor(model, opt, path):
        model(torch.ones(2, 3)).sum().backward()
        before = model[0].weight.detach().double().numpy().copy()
        opt.step()
        after = model[0].weight.detach().double().numpy()
    _, (line,) = _lines(path)
    assert line["rel"][1] is None and line["angle"][1] is None
    assert line["neuron_angle"][1] is None
    assert line["l2"][1] > 0
    # the zero row of layer 0 has no angle: the RMS is over the other three rows
    rows = [0, 2, 3]
    a, b = before[rows], after[rows]
    cos = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    want = math.sqrt(np.mean(np.arccos(np.minimum(cos, 1)) ** 2))
    _close([line["neuron_angle"][0]], [want], "neuron_angle")


def test_bad_arguments():
    model = Tiny()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="every"):
        UpdateMonitor(model, opt, "/dev/null", every=0)
    with pytest.raises(ValueError, match="no parameter"):
        UpdateMonitor(nn.LayerNorm(3), opt, "/dev/null")


# -- the reader ------------------------------------------------------------------------------

def _log_text(n_layers: int = 2, steps: int = 3) -> str:
    header = {"format": "warmupctl.updates/v1", "every": 1,
              "layers": [{"name": f"l{i}", "shape": [2, 2], "numel": 4}
                         for i in range(n_layers)],
              "optimizer": {"type": "AdamW", "lr": 1e-3, "weight_decay": 0.1}}
    lines = [json.dumps(header)]
    for t in range(steps):
        v = [0.1 / (t + 1)] * n_layers
        lines.append(json.dumps({"step": t, "lr": 1e-3, "l2": v, "rel": v, "angle": v,
                                 "neuron_angle": v, "rrc": None}))
    return "\n".join(lines) + "\n"


def test_reader_ignores_a_torn_last_line(tmp_path):
    p = tmp_path / "u.jsonl"
    text = _log_text()
    p.write_text(text + '{"step": 3, "lr": 1e-3, "l2": [0.0')
    log = read_log(str(p))
    assert log.step.tolist() == [0, 1, 2]
    assert any("incomplete" in n for n in log.notes)
    assert log.present == ("l2", "rel", "angle", "neuron_angle")


def test_reader_rejects_a_bad_middle_line(tmp_path):
    p = tmp_path / "u.jsonl"
    lines = _log_text().splitlines()
    lines[2] = lines[2][:20]
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError, match="line 3 is not valid JSON"):
        read_log(str(p))


@pytest.mark.parametrize("edit, message", [
    (lambda ls: ['{"format": "warmupctl.schedule/v1"}'] + ls[1:], "not a warmupctl.updates/v1"),
    (lambda ls: ls[:2] + [ls[2].replace('"angle": [0.05, 0.05]', '"angle": [0.05]')] + ls[3:],
     "'angle' must be a list of 2"),
    (lambda ls: ls[:1] + [ls[2], ls[1]] + ls[3:], "step 0 comes after step 1"),
    (lambda ls: ls[:1], "no logged step"),
    (lambda ls: ls[:2] + [ls[2].replace('"lr": 0.001', '"lr": "x"')], "'lr'"),
])
def test_reader_errors(tmp_path, edit, message):
    p = tmp_path / "u.jsonl"
    p.write_text("\n".join(edit(_log_text().splitlines())) + "\n")
    with pytest.raises(LogError, match=message):
        read_log(str(p))


def test_reader_bounds(tmp_path):
    p = tmp_path / "u.jsonl"
    p.write_text(_log_text(steps=50))
    log = read_log(str(p), max_lines=10)
    assert len(log.step) == 10 and any("first 10" in n for n in log.notes)
    log = read_log(str(p), max_cells=20)  # 2 layers: 10 steps
    assert len(log.step) == 10
    size = len(_log_text(steps=5).encode())
    log = read_log(str(p), max_bytes=size + 10)  # cut inside line 7: dropped like a torn line
    assert log.step.tolist() == [0, 1, 2, 3, 4]
    assert any("longer than" in n for n in log.notes)


def test_blocks_of_rows_give_the_same_numbers(tmp_path, monkeypatch):
    """The float64 work in blocks of rows (here 2 rows of 8, or 1 row of 16, per block) is the
    same computation as in one piece."""
    import warmupctl.monitor.torch as monitor

    monkeypatch.setattr(monitor, "CHUNK", 20)
    test_adamw_with_accumulation_matches_own_snapshots(tmp_path, 1)
