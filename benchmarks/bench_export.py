"""Export throughput and peak memory as the run grows: 10^6 … 10^9 steps.

Each export runs as its own `warmupctl export … -o -` process; this script reads its stdout
through a pipe (counting the bytes, keeping none) and takes the child's peak RSS from the kernel
(``os.wait4``), so the numbers are measured, not extrapolated. Also compares the JSON writer with
``json.dumps`` of a Python list of the same floats (goal: ≥ 5× faster).

    python benchmarks/bench_export.py           # 10^6, 10^7, 10^8 and 10^9 steps, npy and json
    python benchmarks/bench_export.py --max 1e8 --formats npy,json,csv
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

import warmupctl
from warmupctl import export


def entry_point() -> list[str]:
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    return [exe] if exe else [sys.executable, "-m", "warmupctl"]


def run_export(steps: int, fmt: str) -> tuple[float, int, float]:
    cmd = entry_point() + ["export", "-q", "--force", "-f", fmt, "-o", "-", "--total", str(steps),
                           "--peak-lr", "3e-4", "--warmup", "linear:1%", "--decay", "cosine:10%"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    total = 0
    while True:
        block = proc.stdout.read(1 << 22)
        if not block:
            break
        total += len(block)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"export failed: {' '.join(cmd)}")
    return elapsed, total, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def json_vs_dumps(n: int = 2_000_000) -> None:
    s = warmupctl.load({"total": n, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "1%"},
                        "decay": {"shape": "cosine", "final_lr": "10%"}})
    rates = s.curve()
    t0 = time.perf_counter()
    json.dumps(rates.tolist())
    t_dumps = time.perf_counter() - t0
    buf = io.BytesIO()
    t0 = time.perf_counter()
    export.write_json(s, buf)
    t_ours = time.perf_counter() - t0
    back = json.loads(buf.getvalue())
    assert np.array_equal(np.array(back["lr"]), rates), "JSON must round-trip bit for bit"
    print(f"JSON, {n:,} steps: warmupctl write_json {t_ours:.3f} s (steps, rates and spec) vs "
          f"json.dumps(list of rates) {t_dumps:.3f} s → {t_dumps / t_ours:.1f}× faster (goal ≥ 5)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max", type=float, default=1e9)
    ap.add_argument("--formats", default="npy,json")
    args = ap.parse_args()
    # the size runs come first: a child's peak RSS counts what it inherits from this process at
    # fork time, so this process stays small (NumPy and warmupctl imported, ~35 MB) until then
    print(f"{'steps':>15} {'format':>6} {'seconds':>9} {'MB out':>10} {'MB/s':>8} "
          f"{'Msteps/s':>9} {'peak RSS MB':>12}")
    n = 10**6
    while n <= args.max:
        for fmt in args.formats.split(","):
            secs, size, rss = run_export(n, fmt)
            print(f"{n:>15,} {fmt:>6} {secs:9.2f} {size / 1e6:10.1f} {size / 1e6 / secs:8.1f} "
                  f"{n / 1e6 / secs:9.2f} {rss:12.1f}", flush=True)
        n *= 10
    print()
    json_vs_dumps()


if __name__ == "__main__":
    main()
