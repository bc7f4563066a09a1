"""Log the size of every optimizer update to a JSON Lines file (CONTRACT §8).

>>> with UpdateMonitor(model, optimizer, "updates.jsonl", every=10):
...     for batch in loader:
...         loss(model, batch).backward(); optimizer.step(); optimizer.zero_grad()

The monitor registers an optimizer step pre-hook and post-hook (and, with ``rrc=True``, a forward
hook on every ``nn.Linear``); the training loop is unchanged. Step t counts ``optimizer.step()``
calls from 0 (a step that a ``GradScaler`` skips is not a call, so it is not counted). On every
k-th step (t % every == 0) the pre-hook keeps a copy of each tracked tensor W_t, in the tensor's
own dtype, and the post-hook compares it with W_{t+1} in float64:

* ``l2`` = ‖W_{t+1} − W_t‖_F, ``rel`` = l2 / ‖W_t‖_F;
* ``angle`` = the angle between W_t and W_{t+1} as vectors, computed as
  atan2(√(‖W‖²‖Δ‖² − ⟨W,Δ⟩²), ‖W‖² + ⟨W,Δ⟩) with Δ = W_{t+1} − W_t — the same number as
  arccos(⟨W_t,W_{t+1}⟩/(‖W_t‖‖W_{t+1}‖)), without arccos's loss of digits near 0;
* ``neuron_angle`` = the RMS over rows (W reshaped to (shape[0], −1)) of each row's angle (rows of
  norm 0 have no angle and are left out);
* ``rrc`` = ‖Δ·X‖_F / ‖W_t·X‖_F for an ``nn.Linear`` with input X (rows of X are the tokens), X
  being the input of the layer's last forward call before the step — under gradient accumulation,
  the last micro-batch.

A value that does not exist (a norm of 0, a non-finite parameter) is written as ``null``.

**Memory.** Only logged steps take a snapshot, and it is one copy of the tracked tensors in their
own dtype (a bf16 model keeps a bf16 copy: W_t is exact); the float64 work is done one tensor at a
time, in blocks of rows of at most :data:`CHUNK` values, so the extra memory is one copy of the
tracked parameters plus two float64 blocks (≤ 64 MiB), freed after the step.

**Distributed.** Under ``torch.distributed`` only rank 0 writes the log. Replicated parameters
(DDP) are measured on rank 0 alone (every rank holds the same values). Sharded parameters
(``DTensor``: FSDP2's ``fully_shard``, tensor parallel) are measured on every rank: the squared
norms and dot products of the local shards are summed across the ranks that hold the other
shards (rows split across ranks are summed before their angles are taken), so every rank must
step the optimizer, as it does anyway. ``rrc`` is not measured for sharded parameters (its entry is
``null``): each rank sees a different batch, and Δ's rows live on different ranks.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from . import FORMAT

#: optimizer hyperparameters copied to the log's header (when a group has them and they are
#: numbers, booleans, strings or tuples of numbers)
_HYPER = ("lr", "betas", "weight_decay", "eps", "momentum", "dampening", "nesterov", "amsgrad",
          "alpha", "centered", "maximize", "decoupled_weight_decay")

#: values per block of rows converted to float64 at once (2 blocks live: 2 × 32 MiB at most)
CHUNK = 1 << 22

#: what a log's ``rrc_input`` says: which forward's input X is
RRC_INPUT = "the input of the layer's last forward call before the step (the last micro-batch " \
            "under gradient accumulation)"


def _rank() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return 0


def _world() -> int:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def _dtensor_class() -> Any:
    try:
        from torch.distributed.tensor import DTensor
    except ImportError:  # pragma: no cover - torch built without distributed
        return None
    return DTensor


def _plain(value: Any) -> Any:
    """A hyperparameter as JSON (a tensor rate as a float); ``None`` if it is not simple."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list) and all(isinstance(v, int | float) for v in value):
        return [float(v) for v in value]
    return None


def _group_hyper(group: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _HYPER:
        if key in group and (v := _plain(group[key])) is not None:
            out[key] = v
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


class _Sharding:
    """How a DTensor parameter's local shard relates to the whole: the process groups over which
    row partial sums (columns split across ranks) and whole-row sums (rows split) are added."""

    def __init__(self, param: Any) -> None:
        from torch.distributed.tensor import Replicate, Shard

        mesh = param.device_mesh
        self.row_groups: list[Any] = []   # shards split each row: add the row partials
        self.sum_groups: list[Any] = []   # shards hold different rows: add the totals
        for mesh_dim, placement in enumerate(param.placements):
            if isinstance(placement, Shard):
                group = mesh.get_group(mesh_dim)
                (self.sum_groups if placement.dim == 0 else self.row_groups).append(group)
            elif not isinstance(placement, Replicate):
                raise ValueError(f"UpdateMonitor: cannot measure a parameter placed as "
                                 f"{placement!r} (only Shard and Replicate placements)")
        self.key = tuple(id(g) for g in self.sum_groups)


class _Layer:
    __slots__ = ("name", "param", "shape", "rows", "linear", "sharding", "snapshot", "inp")

    def __init__(self, name: str, param: nn.Parameter, sharding: _Sharding | None) -> None:
        self.name = name
        self.param = param
        self.shape = list(param.shape)
        self.rows = int(param.shape[0])
        self.linear: nn.Linear | None = None
        self.sharding = sharding
        self.snapshot: torch.Tensor | None = None
        self.inp: torch.Tensor | None = None


def _local(t: torch.Tensor) -> torch.Tensor:
    to_local = getattr(t, "to_local", None)
    return to_local() if to_local is not None else t


class UpdateMonitor:
    """Log update sizes of ``model``'s parameters at every ``every``-th ``optimizer.step()``.

    ``path``: the JSON Lines log (written by rank 0; an existing file is replaced).
    ``rrc``: also log the relative representation change of each ``nn.Linear`` layer.
    ``include``: which parameters to track, ``(name, parameter) -> bool``; default: those with
    at least two dimensions that require a gradient. ``start``: the index of the next
    ``optimizer.step()`` (for a resumed run). Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer,
                 path: str | os.PathLike[str], every: int = 1, rrc: bool = False, *,
                 include: Callable[[str, nn.Parameter], bool] | None = None,
                 start: int = 0) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"UpdateMonitor: every must be a whole number ≥ 1, got {every!r}")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"UpdateMonitor: start must be a whole number ≥ 0, got {start!r}")
        self.model = model
        self.optimizer = optimizer
        self.path = os.fspath(path)
        self.every = every
        self.rrc = bool(rrc)
        self.step = start
        self._lr: float | None = None
        self._handles: list[Any] = []
        self._file: Any = None
        dtensor = _dtensor_class()
        keep = include or (lambda _n, p: p.dim() >= 2 and p.requires_grad)
        self.layers: list[_Layer] = []
        for name, p in model.named_parameters():
            if keep(name, p):
                sharded = dtensor is not None and isinstance(p, dtensor)
                self.layers.append(_Layer(name, p, _Sharding(p) if sharded else None))
        if not self.layers:
            raise ValueError("UpdateMonitor: no parameter to track (none has ≥ 2 dimensions)")
        self._sharded = any(layer.sharding is not None for layer in self.layers)
        # replicated parameters are the same on every rank: rank 0 measures them alone
        self._measures = _rank() == 0 or self._sharded
        if self.rrc:
            self._attach_linears()
        if _rank() == 0:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
            self._write(self._header())
        self._handles.append(optimizer.register_step_pre_hook(self._before))
        self._handles.append(optimizer.register_step_post_hook(self._after))

    # -- set-up ------------------------------------------------------------------------------

    def _attach_linears(self) -> None:
        by_param = {id(layer.param): layer for layer in self.layers}
        for module in self.model.modules():
            if isinstance(module, nn.Linear):
                layer = by_param.get(id(module.weight))
                if layer is not None and layer.linear is None and layer.sharding is None:
                    layer.linear = module
                    self._handles.append(module.register_forward_hook(self._forward(layer)))

    def _forward(self, layer: _Layer) -> Callable[..., None]:
        def hook(_module: nn.Module, args: tuple[Any, ...], _out: Any) -> None:
            if self._measures and self.step % self.every == 0 and args:
                layer.inp = args[0].detach()
        return hook

    def _header(self) -> dict[str, Any]:
        groups = self.optimizer.param_groups
        where = {id(p): i for i, g in enumerate(groups) for p in g["params"]}
        layers = []
        for layer in self.layers:
            entry: dict[str, Any] = {"name": layer.name, "shape": layer.shape,
                                     "numel": int(math.prod(layer.shape))}
            entry["group"] = where.get(id(layer.param))
            if self.rrc:
                entry["rrc"] = layer.linear is not None
            layers.append(entry)
        optimizer = {"type": type(self.optimizer).__name__, **_group_hyper(groups[0])}
        return {"format": FORMAT, "layers": layers, "optimizer": optimizer,
                "groups": [_group_hyper(g) for g in groups], "every": self.every,
                "start": self.step, "world_size": _world(),
                "rrc_input": RRC_INPUT if self.rrc else None}

    # -- hooks -------------------------------------------------------------------------------

    def _before(self, optimizer: Any, _args: Any, _kwargs: Any) -> None:
        if self.step % self.every != 0:
            return
        self._lr = _plain(optimizer.param_groups[0]["lr"])
        if not self._measures:
            return
        with torch.no_grad():
            for layer in self.layers:
                layer.snapshot = _local(layer.param.detach()).clone()

    def _after(self, _optimizer: Any, _args: Any, _kwargs: Any) -> None:
        t = self.step
        self.step += 1
        if t % self.every != 0 or not self._measures:
            return
        with torch.no_grad():
            line = self._measure(t)
        if self._file is not None:
            self._write(line)

    # -- the measurement ---------------------------------------------------------------------

    def _partials(self, layer: _Layer) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-layer sums [‖W‖², ‖Δ‖², ⟨W,Δ⟩, Σ row angle², rows with an angle] (float64), and
        [‖ΔX‖², ‖WX‖²] for rrc; frees the snapshot."""
        a = layer.snapshot
        layer.snapshot = None
        assert a is not None
        b = _local(layer.param.detach())
        rows = a.shape[0] if a.dim() else 1
        a2, b2 = a.reshape(rows, -1), b.reshape(rows, -1)
        # float64 in blocks of rows: the transient memory stays under CHUNK values per tensor
        step = max(1, CHUNK // max(1, a2.shape[1]))
        parts = []
        for r0 in range(0, rows, step):
            w = a2[r0:r0 + step].to(torch.float64)
            d = b2[r0:r0 + step].to(torch.float64).sub_(w)
            # (x*y).sum(1): several times faster than linalg.vecdot on CPU in torch 2.13
            parts.append(torch.stack([(w * w).sum(1), (d * d).sum(1), (w * d).sum(1)]))
        row = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        if layer.sharding is not None:
            for group in layer.sharding.row_groups:
                torch.distributed.all_reduce(row, group=group)
        aa, dd, ad = row
        has = (aa > 0) & (aa + 2 * ad + dd > 0)
        ang = torch.atan2(torch.sqrt(torch.clamp(aa * dd - ad * ad, min=0)), aa + ad)
        ang = torch.where(has, ang, torch.zeros_like(ang))
        sums = torch.stack([aa.sum(), dd.sum(), ad.sum(), (ang * ang).sum(),
                            has.sum().to(torch.float64)])
        rep = None
        x = layer.inp
        layer.inp = None
        if layer.linear is not None and x is not None:
            xf = x.reshape(-1, x.shape[-1]).to(torch.float64)
            w = a2.to(torch.float64)
            d = b2.to(torch.float64).sub_(w)
            rep = torch.stack([torch.linalg.matrix_norm(xf @ d.T) ** 2,
                               torch.linalg.matrix_norm(xf @ w.T) ** 2])
        return sums, rep

    def _measure(self, t: int) -> dict[str, Any]:
        sums: list[torch.Tensor] = []
        reps: list[torch.Tensor | None] = []
        for layer in self.layers:
            s, r = self._partials(layer)
            sums.append(s)
            reps.append(r)
        if self._sharded:
            self._reduce(sums)
        table = torch.stack(sums).cpu().tolist()
        line: dict[str, Any] = {"step": t, "lr": self._lr, "l2": [], "rel": [], "angle": [],
                                "neuron_angle": []}
        for aa, dd, ad, sq, n in table:
            bb = aa + 2 * ad + dd
            line["l2"].append(_finite(math.sqrt(dd)) if dd >= 0 else None)
            line["rel"].append(_finite(math.sqrt(dd / aa)) if aa > 0 else None)
            ok = aa > 0 and bb > 0
            cross = max(aa * dd - ad * ad, 0.0)
            line["angle"].append(_finite(math.atan2(math.sqrt(cross), aa + ad)) if ok else None)
            line["neuron_angle"].append(_finite(math.sqrt(sq / n)) if n > 0 else None)
        if self.rrc:
            rrc: list[float | None] = []
            for r in reps:
                if r is None:
                    rrc.append(None)
                    continue
                num, den = r.cpu().tolist()
                rrc.append(_finite(math.sqrt(num / den)) if den > 0 else None)
            line["rrc"] = rrc
        else:
            line["rrc"] = None
        return line

    def _reduce(self, sums: list[torch.Tensor]) -> None:
        """Add the sums of row-sharded layers across the ranks holding their other rows: one
        collective per distinct set of process groups, in the same order on every rank."""
        batches: dict[tuple[int, ...], list[int]] = {}
        for i, layer in enumerate(self.layers):
            if layer.sharding is not None and layer.sharding.sum_groups:
                batches.setdefault(layer.sharding.key, []).append(i)
        for idx in batches.values():
            stacked = torch.stack([sums[i] for i in idx])
            sharding = self.layers[idx[0]].sharding
            assert sharding is not None
            for group in sharding.sum_groups:
                torch.distributed.all_reduce(stacked, group=group)
            for j, i in enumerate(idx):
                sums[i] = stacked[j]

    # -- output ------------------------------------------------------------------------------

    def _write(self, obj: dict[str, Any]) -> None:
        self._file.write(json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Remove the hooks and close the log (idempotent)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for layer in self.layers:
            layer.snapshot = None
            layer.inp = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> UpdateMonitor:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


__all__ = ["UpdateMonitor"]
