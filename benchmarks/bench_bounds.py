"""Trainer exports and imports of any length: time and peak memory against a 10^6-step run.

Every trainer export (`export -f hf|deepspeed|megatron|torch|optax|keras`) and every import
(`import -f hf|deepspeed|megatron`) runs as its own process at 10^6 steps (the baseline, measured
in this run), then at 10^7, 10^8, 10^10, 10^12 and 2^53 steps. The check compares every step up
to 2^20 steps and a fixed sample beyond (docs/interop.md, "Checking long runs"), so the goal is
that every run finishes within 2× the time of the 10^6-step one. Each time is the median of
``--runs`` runs; peak RSS comes from the kernel (``os.wait4``).

    python benchmarks/bench_bounds.py              # every target, 3 runs each (~3 min)
    python benchmarks/bench_bounds.py --runs 1 --targets hf,torch
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

LENGTHS = [10**6, 10**7, 10**8, 10**10, 10**12, 2**53]
EXPORTS = ["hf", "deepspeed", "megatron", "torch", "optax", "keras"]
IMPORTS = ["hf", "deepspeed", "megatron"]
GOAL = 2.0


def entry_point() -> list[str]:
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "warmupctl"]


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and exit code of one run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def export_cmd(target: str, steps: int, out: str) -> list[str]:
    # the README's schedule shape; deepspeed cannot express it exactly (one-update lag), so
    # --approximate: the check runs all the same
    return entry_point() + ["export", "-q", "--approximate", "-f", target, "-o", out,
                            "--total", str(steps), "--peak-lr", "3e-4",
                            "--warmup", "linear:1000", "--decay", "cosine:10%"]


def import_cmd(fmt: str, steps: int, folder: str) -> list[str]:
    if fmt == "hf":
        text = json.dumps({"learning_rate": 3e-4, "max_steps": steps, "warmup_steps": 1000,
                           "lr_scheduler_type": "cosine"})
    elif fmt == "deepspeed":
        text = json.dumps({"optimizer": {"params": {"lr": 3e-4}},
                           "scheduler": {"type": "WarmupCosineLR", "params": {
                               "total_num_steps": steps, "warmup_num_steps": 1000,
                               "warmup_type": "linear", "cos_min_ratio": 0.1}}})
    else:
        text = (f"--lr 3e-4 --min-lr 3e-5 --lr-decay-style cosine --lr-warmup-iters 1000 "
                f"--lr-decay-iters {steps} --train-iters {steps}")
    path = os.path.join(folder, f"{fmt}.cfg")
    with open(path, "w") as fh:
        fh.write(text)
    return entry_point() + ["import", "-q", path, "-f", fmt, "-o", os.path.join(folder, "o.yaml")]


def measure(cmd: list[str], runs: int) -> tuple[float, float, int]:
    results = [timed(cmd) for _ in range(runs)]
    return (statistics.median(r[0] for r in results), max(r[1] for r in results),
            max(r[2] for r in results))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per point (the median is kept)")
    ap.add_argument("--targets", default=",".join(EXPORTS), help="export targets to measure")
    ap.add_argument("--imports", default=",".join(IMPORTS), help="import formats to measure")
    args = ap.parse_args()
    jobs = [("export", t) for t in args.targets.split(",") if t]
    jobs += [("import", f) for f in args.imports.split(",") if f]
    worst = (0.0, "")
    print(f"{'command':<18} {'steps':>22} {'seconds':>8} {'× 10^6':>7} {'peak MB':>8}  exit")
    with tempfile.TemporaryDirectory() as folder:
        for kind, name in jobs:
            base = None
            for steps in LENGTHS:
                cmd = (export_cmd(name, steps, os.path.join(folder, "out")) if kind == "export"
                       else import_cmd(name, steps, folder))
                secs, mb, code = measure(cmd, args.runs)
                base = secs if base is None else base
                ratio = secs / base
                if ratio > worst[0]:
                    worst = (ratio, f"{kind} -f {name} at {steps:,} steps")
                print(f"{kind + ' -f ' + name:<18} {steps:>22,} {secs:>8.2f} {ratio:>7.2f} "
                      f"{mb:>8.0f}  {code}", flush=True)
    verdict = "meets" if worst[0] <= GOAL else "MISSES"
    print(f"\nworst ratio to the 10^6-step run: {worst[0]:.2f} ({worst[1]}); "
          f"{verdict} the goal of ≤ {GOAL:g}×")
    print("(exit 2 is a refusal — optax's int32 step count beyond 2^31 steps — measured too: "
          "a refusal must be as bounded as an export)")


if __name__ == "__main__":
    main()
