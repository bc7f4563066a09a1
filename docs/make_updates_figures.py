"""Rebuild docs/figures/updates-simulation.png: the predicted angular update against a direct
torch simulation (AdamW, the shared reference's setting), with and without warmup.

Run from anywhere (needs torch):  python docs/make_updates_figures.py

The simulation is the one tests/test_updates_predict.py runs: 128 weight rows of fan-in 256,
init N(0, 0.02²), iid Gaussian gradients projected orthogonal to each row, torch.optim.AdamW
(η = 1e-2, λ = 0.1, β = (0.9, 0.95)), each step's angle averaged over the rows. It prints the
numbers docs/updates.md quotes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

STEPS = 3000
TRAINING = {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.95, "weight_decay": 0.1}


def main() -> None:
    import torch
    from _updates_sim import rates, simulate
    from matplotlib.figure import Figure

    from warmupctl.fileio import atomic_writer
    from warmupctl.render.plot import _style, save_figure
    from warmupctl.updates.predict import predict_rates

    torch.set_num_threads(1)
    with _style():
        fig = Figure(figsize=(8.0, 4.2), dpi=150, layout="constrained")
        ax = fig.add_subplot()
        for warmup, color in ((0, "#D55E00"), (1000, "#0072B2")):
            lr = rates(STEPS, 1e-2, warmup=warmup)
            sim = simulate(lambda p: torch.optim.AdamW(p, lr=1.0, betas=(0.9, 0.95),
                                                       weight_decay=0.1),
                           lr, n=256, sigma=0.02, rows=128)
            pred = predict_rates(lr, TRAINING, fan_in=256, init_std=0.02)
            live = lr > 0
            err = np.abs(pred.angle[live] / sim[live] - 1).max()
            top = float(pred.equilibrium.max())
            name = "no warmup" if not warmup else f"{warmup}-step linear warmup"
            print(f"{name}: largest angle {sim.max():.4g} rad simulated, {pred.angle.max():.4g} "
                  f"predicted = {sim.max() / top:.3g}× / {pred.angle.max() / top:.3g}× "
                  f"equilibrium; worst step {err:.1%} apart")
            steps = np.arange(STEPS)
            ax.plot(steps[live], sim[live], color=color, lw=3.0, alpha=0.35,
                    label=f"simulated, {name} (torch AdamW, 128 rows)")
            ax.plot(steps, pred.angle, color=color, lw=1.2, ls=(0, (4.0, 2.0)),
                    label=f"predicted, {name}")
        ax.plot(steps, pred.equilibrium, color="#555555", lw=1.0,
                label="equilibrium √(2ηλ(1−β1)/(1+β1)) at each step's rate (warmup run)")
        ax.set_yscale("log")
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("angular update (rad)")
        ax.legend(loc="upper right", frameon=False, fontsize=8)
        fig.suptitle("AdamW η=1e-2, λ=0.1, β=(0.9, 0.95); rows of fan-in 256, init N(0, 0.02²)",
                     fontsize=10)
    out = HERE / "figures" / "updates-simulation.png"
    with atomic_writer(str(out)) as stream:
        save_figure(fig, stream, "png", 150)
    print(f"wrote {out.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
