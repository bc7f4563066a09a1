"""UpdateMonitor under torch.distributed: 2 CPU processes on the gloo backend.

DDP: rank 0 measures and writes. FSDP2 (``fully_shard``, parameters are DTensors sharded by rows,
here unevenly) and tensor parallelism (colwise and rowwise linear layers): every rank measures its
shard and the sums are added across ranks. In both, the
worker takes its own snapshots of the whole parameters (``full_tensor()`` under FSDP2) before and
after each step, and the test compares the log with metrics computed from them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

if not torch.distributed.is_available():  # pragma: no cover
    pytest.skip("torch was built without torch.distributed", allow_module_level=True)

WORKER = textwrap.dedent('''
    import json, os, sys
    import torch
    import torch.distributed as dist
    from torch import nn
    from warmupctl.monitor.torch import UpdateMonitor

    mode, store, out = sys.argv[1], sys.argv[2], sys.argv[3]
    rank = int(os.environ["RANK"])
    dist.init_process_group("gloo", init_method="file://" + store, rank=rank, world_size=2)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 9), nn.LayerNorm(9), nn.Linear(9, 5, bias=False),
                          nn.Linear(5, 3))
    if mode == "ddp":
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model)
        full = lambda p: p.detach()
    elif mode == "tp":
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.tensor.parallel import (
            ColwiseParallel, RowwiseParallel, parallelize_module)
        model = nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 5, bias=False))
        mesh = init_device_mesh("cpu", (2,))
        # first layer: rows (output neurons) split across ranks; second: each row split
        net = parallelize_module(model, mesh, {"0": ColwiseParallel(), "2": RowwiseParallel()})
        full = lambda p: p.detach().full_tensor()
    else:
        from torch.distributed.fsdp import fully_shard
        for layer in model:
            fully_shard(layer)
        net = fully_shard(model)
        full = lambda p: p.detach().full_tensor()
    names = [n for n, p in net.named_parameters() if p.dim() >= 2]
    opt = torch.optim.AdamW(net.parameters(), lr=2e-2, betas=(0.9, 0.95), weight_decay=0.1)
    record = []
    with UpdateMonitor(net, opt, out + ".jsonl", every=2):
        g = torch.Generator().manual_seed(0 if mode == "tp" else rank)
        for t in range(5):
            x = torch.randn(7, 6, generator=g)
            net(x).square().mean().backward()
            params = dict(net.named_parameters())
            before = {n: full(params[n]).double().tolist() for n in names}
            opt.step()
            opt.zero_grad()
            after = {n: full(params[n]).double().tolist() for n in names}
            record.append({"before": before, "after": after})
    if rank == 0:
        with open(out + ".expected.json", "w") as f:
            json.dump({"names": names, "record": record}, f)
    dist.destroy_process_group()
''')


def _run(mode: str, tmp_path) -> tuple[list[dict], dict]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = str(tmp_path / mode)
    store = str(tmp_path / "store")
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE="2", OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen([sys.executable, str(script), mode, store, out], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    errors = []
    for p in procs:
        try:
            _, err = p.communicate(timeout=240)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
        if p.returncode != 0:
            errors.append(err[-3000:])
    assert not errors, "\n".join(errors)
    with open(out + ".jsonl") as f:
        lines = [json.loads(x) for x in f.read().splitlines()]
    with open(out + ".expected.json") as f:
        expected = json.load(f)
    return lines, expected


def _check(lines: list[dict], expected: dict) -> None:
    header, body = lines[0], lines[1:]
    assert [x["name"] for x in header["layers"]] == expected["names"]
    assert header["world_size"] == 2
    assert [x["step"] for x in body] == [0, 2, 4]
    for line in body:
        rec = expected["record"][line["step"]]
        for i, name in enumerate(expected["names"]):
            a = np.array(rec["before"][name])
            b = np.array(rec["after"][name])
            d = b - a
            cos = np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))
            rc = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
            want = {"l2": np.linalg.norm(d), "rel": np.linalg.norm(d) / np.linalg.norm(a),
                    "angle": math.acos(min(cos, 1.0)),
                    "neuron_angle": math.sqrt(np.mean(np.arccos(np.minimum(rc, 1)) ** 2))}
            for m, w in want.items():
                assert line[m][i] == pytest.approx(w, rel=1e-6), (line["step"], name, m)


def test_ddp_rank0_writes(tmp_path):
    lines, expected = _run("ddp", tmp_path)
    assert [x["name"] for x in lines[0]["layers"]][0] == "module.0.weight"
    _check(lines, expected)


def test_fsdp2_sharded_parameters_are_reduced_across_ranks(tmp_path):
    lines, expected = _run("fsdp", tmp_path)
    _check(lines, expected)


def test_tensor_parallel_rows_and_columns_split(tmp_path):
    """Colwise (Shard(0): whole rows per rank) and rowwise (Shard(1): every row split, so the
    per-row sums are added before the row angles are taken)."""
    lines, expected = _run("tp", tmp_path)
    assert expected["names"] == ["0.weight", "2.weight"]
    _check(lines, expected)
