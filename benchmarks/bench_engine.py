"""Whole-curve evaluation speed, against the bare NumPy floor and the libraries' own schedulers.

All timings are taken in this one run (median of repeats) and reported as ratios, so they can be
compared across noisy machines:

* warmupctl ``Schedule.curve()`` ÷ a bare NumPy expression of the same curve (the floor; goal ≤ 2);
* stepping HF transformers' and torch's schedulers step by step over the same schedule, and
  optax's jitted schedule over the same steps (when those libraries are installed).

    python benchmarks/bench_engine.py [--steps 1e7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import warmupctl


def median_time(fn, repeat: int = 5) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=float, default=10e6)
    ap.add_argument("--library-steps", type=int, default=100_000,
                    help="steps for the step-by-step library loops (they are slow)")
    args = ap.parse_args()
    n = int(args.steps)
    w = n // 50
    peak, floor = 3e-4, 3e-5
    spec = {"total": n, "peak_lr": peak, "warmup": {"shape": "linear", "length": w},
            "decay": {"shape": "cosine", "final_lr": floor}}
    s = warmupctl.load(spec)

    def bare():
        t = np.arange(n, dtype=np.int64)
        warm = peak * (t / w)
        c = 0.5 * (1.0 + np.cos(np.pi * ((t - w) / (n - w))))
        return np.where(t < w, warm, peak * c + floor * (1.0 - c))

    assert np.allclose(bare(), s.curve(), rtol=1e-12, atol=0)
    t_ours = median_time(s.curve)
    t_bare = median_time(bare)
    print(f"whole curve, {n:,} steps (linear warmup 2%, cosine to 10%)")
    print(f"  warmupctl curve()      {t_ours * 1e9 / n:8.2f} ns/step")
    print(f"  bare NumPy expression  {t_bare * 1e9 / n:8.2f} ns/step")
    print(f"  ratio warmupctl/bare   {t_ours / t_bare:8.2f}   (goal ≤ 2)")

    m = args.library_steps
    small = warmupctl.load({**spec, "total": m, "warmup": {"shape": "linear", "length": m // 50}})
    t_small = median_time(small.curve)
    per_ours = t_small / m
    print(f"\nper step over {m:,} steps (libraries stepped one update at a time)")
    print(f"  warmupctl curve()                 {per_ours * 1e9:10.1f} ns/step   1.00×")
    try:
        import torch
        from transformers import get_cosine_with_min_lr_schedule_with_warmup
    except ImportError:
        print("  (torch/transformers not installed: skipped)")
    else:
        def hf():
            opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak)
            sch = get_cosine_with_min_lr_schedule_with_warmup(opt, m // 50, m, min_lr_rate=0.1)
            for _ in range(m):
                opt.param_groups[0]["lr"]
                sch.step()

        def torch_seq():
            from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

            opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak)
            sch = SequentialLR(opt, [LinearLR(opt, 1e-8, 1.0, m // 50),
                                     CosineAnnealingLR(opt, m - m // 50, eta_min=floor)],
                               milestones=[m // 50])
            for _ in range(m):
                opt.param_groups[0]["lr"]
                sch.step()

        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, fn in (("HF cosine_with_min_lr (LambdaLR)", hf),
                             ("torch SequentialLR(Linear, Cosine)", torch_seq)):
                t = median_time(fn, repeat=3)
                print(f"  {name:33s} {t / m * 1e9:10.1f} ns/step {t / m / per_ours:8.0f}×")
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        print("  (optax/jax not installed: skipped)")
    else:
        jax.config.update("jax_enable_x64", True)
        sched = optax.warmup_cosine_decay_schedule(0.0, peak, m // 50, m, end_value=floor)
        f = jax.jit(jax.vmap(sched))
        steps = jnp.arange(m)
        f(steps).block_until_ready()
        t = median_time(lambda: f(steps).block_until_ready())
        label = "optax jitted, vmapped"
        print(f"  {label:33s} {t / m * 1e9:10.1f} ns/step {t / m / per_ours:8.2f}×")


if __name__ == "__main__":
    main()
