"""Why warmup: measure the update sizes of a small GPT trained with and without warmup.

    python examples/update_sizes.py              # about 2 minutes on 2 idle CPU cores

A character-level GPT (pure torch, pre-LN, GPT-2's init) learns to continue Python source code —
the standard library's own ``.py`` files, which ship with every Python — with AdamW (β = (0.9,
0.95), λ = 0.1 on matrices, as Kosson et al. 2024 train GPT-2). Two runs differ only in the first
steps of the schedule: one starts at the peak rate, one warms up linearly over the first 10%.
``warmupctl.monitor.torch.UpdateMonitor`` logs each step's update sizes; the script then draws
them with warmupctl's own ``updates`` figure and a comparison, and prints the numbers
docs/updates-measure.md quotes. Needs torch (``pip install 'warmupctl[torch]'``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

import warmupctl
from warmupctl.integrations.torch import scheduler
from warmupctl.monitor.torch import UpdateMonitor

HERE = Path(__file__).resolve().parent
FIGURES = HERE.parent / "docs" / "figures"
VOCAB = 128  # ASCII; any other character becomes byte 0


# -- data: the standard library's sources -----------------------------------------------------

def stdlib_text(max_chars: int) -> np.ndarray:
    """The first ``max_chars`` characters of the standard library's top-level ``.py`` files
    (sorted by name), as ASCII codes."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chunks, size = [], 0
    for path in sorted(root.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        chunks.append(text)
        size += len(text)
        if size >= max_chars:
            break
    codes = np.frombuffer("".join(chunks)[:max_chars].encode("ascii", errors="replace"),
                          dtype=np.uint8).astype(np.int64)
    return np.where(codes < VOCAB, codes, 0)


def batches(data: np.ndarray, batch: int, ctx: int, seed: int):
    g = np.random.default_rng(seed)
    while True:
        idx = g.integers(0, len(data) - ctx - 1, size=batch)
        x = np.stack([data[i:i + ctx] for i in idx])
        y = np.stack([data[i + 1:i + ctx + 1] for i in idx])
        yield torch.from_numpy(x), torch.from_numpy(y)


# -- the model: a small GPT -------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, d: int = 128, layers: int = 4, heads: int = 4, ctx: int = 128) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, VOCAB, bias=False)
        # GPT-2's init: N(0, 0.02²), residual projections scaled by 1/√(2·layers)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("proj.weight",
                                                                     "out.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


# -- one run ----------------------------------------------------------------------------------

def spec(steps: int, peak: float, warmup: int) -> dict:
    out = {"name": f"warmup {warmup}" if warmup else "no warmup", "total": steps,
           "peak_lr": peak, "decay": {"shape": "constant"},
           "training": {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.95,
                        "weight_decay": 0.1}}
    if warmup:
        out["warmup"] = {"shape": "linear", "length": warmup}
    return out


def train(log: Path, *, steps: int, warmup: int, peak: float, d: int, layers: int, ctx: int,
          batch: int, data: np.ndarray, seed: int = 0, every: int = 1) -> dict:
    """Train one model; the monitor writes ``log``. Returns the losses and timings."""
    torch.manual_seed(seed)
    model = GPT(d=d, layers=layers, heads=4, ctx=ctx)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": matrices, "weight_decay": 0.1},
                             {"params": others, "weight_decay": 0.0}],
                            lr=peak, betas=(0.9, 0.95), eps=1e-8)
    sched = scheduler(warmupctl.load(spec(steps, peak, warmup)), opt)
    losses = []
    data_iter = batches(data, batch, ctx, seed=seed + 1)
    start = time.perf_counter()
    with UpdateMonitor(model, opt, log, every=every):
        for _ in range(steps):
            x, y = next(data_iter)
            loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            sched.step()
            losses.append(loss.item())
    return {"loss": losses, "seconds": time.perf_counter() - start,
            "params": sum(p.numel() for p in model.parameters())}


def numbers(log_path: Path, losses: list[float]) -> dict:
    """What the docs quote from one run, read back from its log."""
    from warmupctl.monitor.judge import judge, summary
    from warmupctl.monitor.log import read_log

    j = judge(read_log(str(log_path)), "angle")
    s = summary(j)
    tail = max(1, len(losses) // 20)
    first = min(10, len(j.step))
    return {"first_median_angle": float(j.median[0]),
            "median_angle_first_10": [round(float(v), 6) for v in j.median[:first]],
            "equilibrium_at_peak": float(np.max(j.equilibrium)),
            "max_median_ratio": s["median"]["max_ratio"],
            "max_median_ratio_step": s["median"]["ratio_step"],
            "largest_layer": s["overall"],
            "settle_step": s["settle_step"],
            "warmup_end": s["warmup_end"],
            "final_loss": float(np.mean(losses[-tail:]))}


# -- figures ----------------------------------------------------------------------------------

def figures(runs: dict[str, Path], losses: dict[str, list[float]], out: Path) -> list[Path]:
    """One ``warmupctl updates`` figure per run (the library's own renderer) and a comparison
    of the median angular update relative to equilibrium, with the loss."""
    from matplotlib.figure import Figure

    from warmupctl.monitor.judge import judge
    from warmupctl.monitor.log import read_log
    from warmupctl.render.plot import save_figure
    from warmupctl.render.updates_log import build_figure

    out.mkdir(parents=True, exist_ok=True)
    written = []
    judged = {}
    for label, log_path in runs.items():
        log = read_log(str(log_path))
        judged[label] = j = judge(log, "angle")
        fig = build_figure(j, title=f"{label}: angular update per layer (char-level GPT, AdamW)",
                           n_layers=len(log.names))
        path = out / f"updates-{label.replace(' ', '-')}.png"
        with open(path, "wb") as f:
            save_figure(fig, f, "png", 110)
        written.append(path)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax, bx = fig.subplots(1, 2)
    colors = {"no warmup": "#D55E00", "warmup": "#0072B2"}
    for label, j in judged.items():
        c = colors.get(label, "#000")
        # against the equilibrium at the peak rate, as `warmupctl updates --json` measures;
        # x = step + 1 on a log axis, so the first steps get room
        top = float(np.max(j.equilibrium))
        ax.plot(j.step + 1, np.where(j.median > 0, j.median / top, np.nan), color=c, lw=1.5,
                label=label)
        loss = np.asarray(losses[label])
        k = max(1, len(loss) // 60)
        smooth = np.convolve(loss, np.ones(k) / k, mode="valid")
        bx.plot(np.arange(len(smooth)) + k - 1, smooth, color=c, lw=1.5, label=label)
    ax.axhline(1.0, color="#555", lw=1, ls="--")
    ax.axhline(2.0, color="#999", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_xscale("log")
    ax.set_xlabel("optimizer step + 1")
    ax.set_ylabel("median angular update / equilibrium")
    ax.set_title("median angular update over the equilibrium at the peak rate", fontsize=9)
    ax.legend(fontsize=8)
    bx.set_xlabel("optimizer step")
    bx.set_ylabel(f"training loss (mean of {k} steps)")
    bx.set_title("loss", fontsize=10)
    bx.legend(fontsize=8)
    path = out / "updates-compare.png"
    with open(path, "wb") as f:
        save_figure(fig, f, "png", 110)
    written.append(path)
    return written


def _train_one(job: dict) -> dict:
    torch.set_num_threads(job.pop("threads"))
    data = stdlib_text(job.pop("chars"))
    return train(data=data, **job)


def run(*, steps: int, warmup: int, peak: float, d: int, layers: int, ctx: int, batch: int,
        chars: int, logs: Path, figure_dir: Path | None, jobs: int = 1,
        threads: int = 1) -> dict:
    """Both runs (``jobs`` = 2: in two processes at once, ``threads`` torch threads each), their
    numbers and, with ``figure_dir``, the figures."""
    logs.mkdir(parents=True, exist_ok=True)
    runs = {"no warmup": logs / "no-warmup.jsonl", "warmup": logs / "warmup.jsonl"}
    specs = [{"log": log, "steps": steps, "warmup": 0 if label == "no warmup" else warmup,
              "peak": peak, "d": d, "layers": layers, "ctx": ctx, "batch": batch,
              "chars": chars, "threads": threads} for label, log in runs.items()]
    if jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(jobs, 2), multiprocessing.get_context("spawn")) as pool:
            outs = list(pool.map(_train_one, specs))
    else:
        outs = [_train_one(dict(job)) for job in specs]
    results = {}
    losses = {}
    for (label, log), r in zip(runs.items(), outs, strict=True):
        losses[label] = r["loss"]
        results[label] = {**numbers(log, r["loss"]), "seconds": round(r["seconds"], 1),
                          "params": r["params"], "log": str(log)}
    (logs / "losses.json").write_text(json.dumps(losses))
    results["setup"] = {"steps": steps, "warmup": warmup, "peak_lr": peak, "d_model": d,
                        "layers": layers, "ctx": ctx, "batch": batch, "chars": chars,
                        "torch": torch.__version__, "python": sys.version.split()[0]}
    if figure_dir is not None:
        results["figures"] = [str(p) for p in figures(runs, losses, figure_dir)]
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--warmup", type=int, default=80, help="warmup steps of the second run")
    ap.add_argument("--peak-lr", type=float, default=3e-3)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--chars", type=int, default=4_000_000)
    ap.add_argument("--logs", type=Path, default=Path("update_sizes_logs"))
    ap.add_argument("--figures", type=Path, default=FIGURES,
                    help="where the PNGs go (default: docs/figures)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="train the two runs at once in this many processes (1 or 2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run")
    ap.add_argument("--redraw", action="store_true",
                    help="only draw the figures again from the logs of an earlier run")
    a = ap.parse_args(argv)
    if a.redraw:
        runs = {"no warmup": a.logs / "no-warmup.jsonl", "warmup": a.logs / "warmup.jsonl"}
        losses = json.loads((a.logs / "losses.json").read_text())
        for p in figures(runs, losses, a.figures):
            print(p)
        return 0
    results = run(steps=a.steps, warmup=a.warmup, peak=a.peak_lr, d=a.d_model, layers=a.layers,
                  ctx=a.ctx, batch=a.batch, chars=a.chars, logs=a.logs, figure_dir=a.figures,
                  jobs=a.jobs, threads=a.threads)
    print(json.dumps(results, indent=2))
    print("\nsee them with: warmupctl updates " + str(a.logs / "no-warmup.jsonl"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
