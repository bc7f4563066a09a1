"""`warmupctl show` on long runs: the summary (peak, final rate, sum of rates, milestones) against
the exact summary of the longest run that is still summed step by step (2^25 steps), measured in
this run. Goal: every longer run costs no more than that (ratio ≤ 1).

Runs up to 2^25 steps sum every rate; longer ones use the Euler–Maclaurin sum over the smooth
stretches (warmupctl.engine.approximate_sum). The script also reports that sum's relative
difference from the step-by-step sum just above the limit, where it is coarsest relative to the
steps it replaces.

    python benchmarks/bench_show.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

import warmupctl
from warmupctl.engine import EXACT_SUM_LIMIT, approximate_sum
from warmupctl.summary import summarize


def spec(n: int, decay: dict) -> dict:
    return {"total": n, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "2%"},
            "decay": decay}


def median_time(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cosine = {"shape": "cosine", "final_lr": "10%"}
    limit = warmupctl.load(spec(EXACT_SUM_LIMIT, cosine))
    base = median_time(lambda: summarize(limit), max(1, args.repeat // 2))
    print(f"exact summary of 2^25 steps: {base * 1e3:.1f} ms (baseline)")
    for n in (10**4, 10**6, EXACT_SUM_LIMIT + 1, 10**9, 10**12):
        s = warmupctl.load(spec(n, cosine))
        t = median_time(lambda s=s: summarize(s), args.repeat)
        how = "exact" if n <= EXACT_SUM_LIMIT else "Euler–Maclaurin"
        print(f"summary of {n:>16,} steps ({how:>15}): {t * 1e3:8.1f} ms  ratio {t / base:6.2f}")
    print("\nEuler–Maclaurin sum vs step by step at 2^25 + 1 steps (relative difference):")
    for decay in (cosine, {"shape": "inverse_sqrt", "timescale": 10},
                  {"shape": "wsd", "final_lr": 0},
                  {"shape": "exponential", "gamma": 0.9999999, "final_lr": "1%"},
                  {"shape": "cosine_restarts", "cycles": 4}):
        s = warmupctl.load(spec(EXACT_SUM_LIMIT + 1, decay))
        exact = math.fsum(float(np.sum(r)) for _, r in s.chunks())
        rel = abs(approximate_sum(s) - exact) / exact
        print(f"  {decay['shape']:>16}: {rel:.1e}")


if __name__ == "__main__":
    main()
