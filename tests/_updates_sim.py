"""Direct simulations of weight rows under real torch optimizers, for the update-size tests.

Each simulation trains ``rows`` independent weight rows of fan-in ``n`` (one tensor, one row per
output neuron) with a real optimizer on gradients of iid Gaussian coordinates projected orthogonal
to each row, and measures every row's angle between ``w_t`` and ``w_{t+1}``.
"""

from __future__ import annotations

import numpy as np
import torch

#: rows per simulation (fewer for wide rows: at most 2^16 weights)
ROWS = 256


class Lion(torch.optim.Optimizer):
    """Lion as Chen et al. 2023 (arXiv:2302.06675) Algorithm 2, decoupled weight decay."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                m = state["m"]
                c = b1 * m + (1 - b1) * p.grad
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(c), alpha=-group["lr"])
                m.mul_(b2).add_(p.grad, alpha=1 - b2)


def simulate(make_opt, lr, *, n, sigma, rows=None, grad_rms=1.0, seed=0):
    """Mean over rows of each step's angle (radians), simulated with a real optimizer."""
    rows = rows or min(ROWS, 2**16 // n)
    gen = torch.Generator().manual_seed(seed)
    w = torch.nn.Parameter(torch.randn(rows, n, generator=gen, dtype=torch.float64) * sigma)
    opt = make_opt([w])
    out = np.empty(len(lr))
    for t, eta in enumerate(np.asarray(lr).tolist()):
        for group in opt.param_groups:
            group["lr"] = eta
        with torch.no_grad():
            unit = w / w.norm(dim=1, keepdim=True)
            z = torch.randn(rows, n, generator=gen, dtype=torch.float64) * grad_rms
            z -= (z * unit).sum(1, keepdim=True) * unit
            w.grad = z
            before = w.detach().clone()
        opt.step()
        with torch.no_grad():
            cos = (before * w).sum(1) / (before.norm(dim=1) * w.norm(dim=1))
            out[t] = torch.arccos(cos.clamp(-1.0, 1.0)).mean().item()
    return out


def rates(steps, peak, warmup=0):
    lr = np.full(steps, float(peak))
    if warmup:
        lr[:warmup] = peak * np.arange(warmup) / warmup  # linear warmup from 0 (step convention)
    return lr


