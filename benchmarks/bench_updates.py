"""Predicted update sizes: cost against the schedule's own curve, measured in the same run.

* ``predict()`` (AdamW, Lion: vectorised recurrences) ÷ ``Schedule.curve()`` of the same spec at
  10^7 steps (goal ≤ 2; predict evaluates the curve itself, so this is 1 + its own work);
* SGD with momentum (coupled moments: blocks of ~√N steps side by side), same ratio;
* the early-window peak (validate's rule) and ``shortest_warmup`` (recommend) on the 10^7-step
  spec, in milliseconds: they read a window, not the run.

Timings are process CPU time (the median of repeats), so other processes on a shared machine
disturb them less than wall time.

    python benchmarks/bench_updates.py [--steps 1e7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import warmupctl
from warmupctl.updates.predict import predict
from warmupctl.updates.warmup import early_peak, shortest_warmup


def cpu_time(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        samples.append(time.process_time() - t0)
    return statistics.median(samples)


def spec(n: int, training: dict) -> dict:
    return {"total": n, "peak_lr": 6e-4, "warmup": {"shape": "linear", "length": n // 100},
            "decay": {"shape": "cosine", "final_lr": "10%"}, "training": training}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=float, default=1e7)
    args = ap.parse_args()
    n = int(args.steps)
    print(f"predict() ÷ curve(), {n:,} steps (linear warmup 1%, cosine to 10%)")
    for name, training in (
        ("AdamW β1=0.9 λ=0.1", {"optimizer": "adamw", "beta2": 0.95, "weight_decay": 0.1}),
        ("Lion λ=1", {"optimizer": "lion", "weight_decay": 1.0}),
    ):
        s = warmupctl.load(spec(n, training))
        t_curve = cpu_time(s.curve)
        t_pred = cpu_time(lambda s=s: predict(s))
        print(f"  {name:22s} curve {t_curve * 1e9 / n:6.1f} ns/step   predict "
              f"{t_pred * 1e9 / n:6.1f} ns/step   ratio {t_pred / t_curve:5.2f}   (goal ≤ 2)")
    s = warmupctl.load(spec(n, {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 1e-4}))
    t_curve = cpu_time(s.curve)
    t_pred = cpu_time(lambda: predict(s), repeat=3)
    print(f"  {'SGD momentum 0.9':22s} curve {t_curve * 1e9 / n:6.1f} ns/step   predict "
          f"{t_pred * 1e9 / n:6.1f} ns/step   ratio {t_pred / t_curve:5.2f}   (goal ≤ 2)")
    s = warmupctl.load(spec(n, {"optimizer": "adamw", "beta2": 0.95, "weight_decay": 0.1}))
    t_rule = cpu_time(lambda: early_peak(s))
    t_short = cpu_time(lambda: shortest_warmup(s))
    print(f"\non the {n:,}-step AdamW spec: early-window peak (validate) {t_rule * 1e3:7.1f} ms"
          f"   shortest_warmup (recommend) {t_short * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
