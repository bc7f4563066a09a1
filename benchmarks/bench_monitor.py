"""Cost of `warmupctl.monitor.torch.UpdateMonitor` against an unmonitored AdamW training step.

A ~10.7M-parameter GPT (the model of examples/update_sizes.py at d_model 384, 6 layers) trains on
CPU with AdamW. Three modes run on the same model in interleaved blocks of STEPS optimizer steps:
no monitor, the monitor logging every step, and every 10th step (a block starts at the monitor's
step 0, so an every=10 block of 10 steps logs exactly one). Each mode's time per step is the
minimum over ROUNDS blocks (the machine is shared: minima are the least disturbed), and the ratios
to the unmonitored step are printed, together with the time spent inside the monitor's hooks per
step (added to the unmonitored step, a ratio that the noise of the rest of the step does not
blur). Goals (docs/updates-measure.md): every step ≤ 1.15×,
every=10 ≤ 1.03×.

Memory: the monitor's snapshot is one copy of the tracked tensors in their own dtype; the float64
work is done one tensor at a time. Printed: the snapshot's size, the largest float64 transient,
and the growth of the process's peak RSS over a monitored block (0 when the snapshot fits under
the backward pass's peak, which it does here).

    python benchmarks/bench_monitor.py [--rounds 5] [--steps 10] [--batch 8] [--ctx 64]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--ctx", type=int, default=64)
    ap.add_argument("--d-model", type=int, default=384)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared machine more threads spin and wait)")
    a = ap.parse_args()

    import torch
    from torch.nn import functional as F

    sys.path.insert(0, str(HERE.parent / "examples"))
    import update_sizes as ex

    from warmupctl.monitor.torch import UpdateMonitor

    class Timed(UpdateMonitor):
        """The monitor with the time spent inside its hooks added up."""

        spent = 0.0

        def _before(self, *args):
            t0 = time.perf_counter()
            super()._before(*args)
            Timed.spent += time.perf_counter() - t0

        def _after(self, *args):
            t0 = time.perf_counter()
            super()._after(*args)
            Timed.spent += time.perf_counter() - t0

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ex.GPT(d=a.d_model, layers=a.layers, heads=6, ctx=a.ctx)
    n_params = sum(p.numel() for p in model.parameters())
    tracked = [p for p in model.parameters() if p.dim() >= 2]
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    data = ex.stdlib_text(1_000_000)
    it = ex.batches(data, a.batch, a.ctx, seed=0)

    def step() -> None:
        x, y = next(it)
        F.cross_entropy(model(x).reshape(-1, ex.VOCAB), y.reshape(-1)).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(3):  # warm up allocator and kernels
        step()
    log = tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False)
    log.close()
    modes = {"off": None, "every=1": 1, "every=10": 10}
    best = {m: float("inf") for m in modes}
    own = {m: float("inf") for m in modes}
    rss_growth = 0
    names = list(modes)
    for r in range(a.rounds):
        # the order rotates each round, so no mode always follows the same other one
        for mode in names[r % 3:] + names[:r % 3]:
            every = modes[mode]
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            if every is None:
                for _ in range(a.steps):
                    step()
            else:
                Timed.spent = 0.0
                with Timed(model, opt, log.name, every=every):
                    for _ in range(a.steps):
                        step()
                own[mode] = min(own[mode], Timed.spent / a.steps)
            best[mode] = min(best[mode], (time.perf_counter() - t0) / a.steps)
            if every == 1:
                rss_growth = max(rss_growth,
                                 resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0)
    os.unlink(log.name)
    snap = sum(p.numel() * p.element_size() for p in tracked)
    from warmupctl.monitor.torch import CHUNK

    biggest = min(max(p.numel() for p in tracked), CHUNK) * 8 * 2
    print(f"model: {n_params / 1e6:.2f}M parameters ({len(tracked)} tracked tensors, "
          f"{sum(p.numel() for p in tracked) / 1e6:.2f}M values), batch {a.batch}×{a.ctx} "
          f"tokens, {a.threads} threads, torch {torch.__version__}")
    print(f"time per optimizer step (min of {a.rounds} blocks of {a.steps} steps):")
    for mode in modes:
        line = f"  {mode:9s} {best[mode] * 1e3:8.1f} ms   ratio {best[mode] / best['off']:.3f}"
        if modes[mode] is not None:
            # the time inside the monitor's hooks, added to the unmonitored step: the ratio
            # without the noise of the rest of the step (min over blocks)
            line += (f"   (in the hooks {own[mode] * 1e3:6.1f} ms per step: "
                     f"{(best['off'] + own[mode]) / best['off']:.3f})")
        print(line)
    print(f"memory: snapshot {snap / 2**20:.1f} MiB (one copy of the tracked parameters); "
          f"largest float64 transient {biggest / 2**20:.1f} MiB; peak RSS growth over a "
          f"monitored block {rss_growth / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
