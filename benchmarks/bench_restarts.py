"""`warmupctl show` of cosine restarts with many cycles: the summary (sum of rates included) and
the sparkline, against the same for a 10^6-step run, measured in this run. Goal: the time does
not grow with the run length (up to 2^53 steps). Cycles of a whole-step ``period`` cost O(1) in
all (ratio well below 1: the 10^6-step baseline is summed step by step); cycles of a fractional
length (``cycles: n``) cost O(1) per cycle, at most 2^20 of them (about half a second here;
ratio about 15 against the 30 ms baseline, the same at 10^9 and at 2^53 steps).

Before, a restarts phase with more than 10^5 cycles was summed and drawn step by step (hours at
10^12 steps with ``period: 1000``); now it is summed cycle by cycle in closed form, or in O(1)
for cycles of a whole-step period (warmupctl.cycles.restarts_sum), and the sparkline reads a few
steps per column (warmupctl.cycles.window_maxima).

    python benchmarks/bench_restarts.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import warmupctl
from warmupctl.cli.show_cmd import _sparkline
from warmupctl.summary import summarize


def spec(n: int, decay: dict) -> dict:
    return {"total": n, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": 1000},
            "decay": {"shape": "cosine_restarts", **decay}}


def show_time(s, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        summarize(s)
        _sparkline(s, 48)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    for decay in ({"period": 1000}, {"period": 1}, {"period": 7, "cycle_decay": 0.999},
                  {"cycles": 1_000_000}):
        base = show_time(warmupctl.load(spec(10**6, decay)), args.repeat)
        print(f"{decay}: 10^6 steps {base * 1e3:.1f} ms (baseline)")
        for n in (10**9, 10**12, 2**53):
            t = show_time(warmupctl.load(spec(n, decay)), args.repeat)
            print(f"  {n:>22,} steps: {t * 1e3:8.1f} ms  ratio {t / base:5.2f}")


if __name__ == "__main__":
    main()
