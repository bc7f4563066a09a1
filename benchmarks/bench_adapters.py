"""Per-step cost of `warmupctl.integrations.torch.scheduler` against HF's own LambdaLR schedulers.

Everything is measured in the same run, on the same optimizer (SGD over one 1-element tensor, so
the scheduler dominates): the time of ``scheduler.step()`` per update (the whole LambdaLR step,
which sets the param group's lr), and of the bare lambda call ``λ(k)``, each the median of
several passes over the first STEPS updates. The warmupctl adapter looks rates up in blocks of
65,536, so its cost should not grow with the number of phases: it is run on a 2-phase schedule,
the 4-phase DeepSeek preset, a 60-phase schedule and 40 cosine restarts.

    python benchmarks/bench_adapters.py [--steps 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings


def per_step(make, steps: int, repeats: int, torch) -> tuple[float, float]:
    """(seconds per scheduler.step(), seconds per λ(k)) — medians over ``repeats`` passes."""
    step_times, lam_times = [], []
    for _ in range(repeats):
        param = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.SGD([param], lr=1e-3)
        sched = make(opt)
        opt.step()  # the first optimizer.step() (so torch does not warn about the order)
        t0 = time.perf_counter()
        for _ in range(steps):
            sched.step()
        step_times.append((time.perf_counter() - t0) / steps)
        lam = sched.lr_lambdas[0]
        t0 = time.perf_counter()
        for k in range(steps):
            lam(k)
        lam_times.append((time.perf_counter() - t0) / steps)
    return statistics.median(step_times), statistics.median(lam_times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    import torch
    from transformers import (
        get_cosine_schedule_with_warmup,
        get_cosine_with_min_lr_schedule_with_warmup,
        get_linear_schedule_with_warmup,
        get_wsd_schedule,
    )

    import warmupctl
    from warmupctl.integrations import torch as wt

    n, w = 600_000, 2000
    many = [{"shape": "linear", "length": 2000, "from": 0, "to": 1e-3}]
    many += [{"shape": "cosine" if i % 2 else "linear", "length": 9000,
              "to": 1e-3 * (0.95 ** (i + 1))} for i in range(59)]
    schedules = {
        "warmupctl llama2-style (2 phases)": warmupctl.load(
            {"total": n, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": w},
             "decay": {"shape": "cosine", "final_lr": "10%"}}),
        "warmupctl deepseek-llm-7b (4 phases)": warmupctl.load("deepseek-llm-7b"),
        "warmupctl 60 phases": warmupctl.load({"total": n, "peak_lr": 1e-3, "phases": many}),
        "warmupctl 40 cosine restarts": warmupctl.load(
            {"total": n, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": w},
             "decay": {"shape": "cosine_restarts", "cycles": 40, "cycle_decay": 0.9}}),
    }
    hf = {
        "HF get_linear_schedule_with_warmup": lambda o: get_linear_schedule_with_warmup(o, w, n),
        "HF get_cosine_schedule_with_warmup": lambda o: get_cosine_schedule_with_warmup(o, w, n),
        "HF cosine_with_min_lr": lambda o: get_cosine_with_min_lr_schedule_with_warmup(
            o, w, n, min_lr_rate=0.1),
        "HF get_wsd_schedule": lambda o: get_wsd_schedule(o, w, num_decay_steps=n // 5,
                                                          num_training_steps=n),
    }
    results: dict[str, tuple[float, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, make in hf.items():
            results[name] = per_step(make, args.steps, args.repeats, torch)
        for name, s in schedules.items():
            results[name] = per_step(lambda o, s=s: wt.scheduler(s, o), args.steps, args.repeats,
                                     torch)
    ref_step, ref_lam = results["HF get_cosine_schedule_with_warmup"]
    print(f"per update, median of {args.repeats} passes over {args.steps:,} updates "
          f"(ratios: against HF get_cosine_schedule_with_warmup)")
    print(f"{'scheduler':40s} {'step() µs':>10s} {'ratio':>7s} {'λ(k) µs':>9s} {'ratio':>7s}")
    for name, (st, lam) in results.items():
        print(f"{name:40s} {st * 1e6:10.2f} {st / ref_step:7.2f} {lam * 1e6:9.3f} "
              f"{lam / ref_lam:7.2f}")


if __name__ == "__main__":
    main()
