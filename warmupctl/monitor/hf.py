"""Update sizes from a Hugging Face ``Trainer`` run: a ``TrainerCallback``.

>>> trainer = Trainer(model, args, train_dataset=ds,
...                   callbacks=[UpdateCallback("updates.jsonl", every=10)])
>>> trainer.train()

On ``on_train_begin`` the callback attaches an :class:`~warmupctl.monitor.torch.UpdateMonitor` to
the trainer's model and optimizer (the torch optimizer inside accelerate's wrapper, whose
``step()`` runs once per optimizer step, after gradient accumulation); on ``on_train_end`` it
closes it. A resumed run starts counting at the trainer's ``global_step``.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from transformers import TrainerCallback

from .torch import UpdateMonitor


def _torch_optimizer(optimizer: Any) -> torch.optim.Optimizer:
    """The innermost ``torch.optim.Optimizer`` (accelerate's ``AcceleratedOptimizer`` wraps
    one as ``.optimizer``)."""
    seen = 0
    while isinstance(getattr(optimizer, "optimizer", None), torch.optim.Optimizer) and seen < 8:
        optimizer = optimizer.optimizer
        seen += 1
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"UpdateCallback: the trainer's optimizer is a "
                        f"{type(optimizer).__name__}, not a torch.optim.Optimizer")
    return optimizer


class UpdateCallback(TrainerCallback):
    """Log update sizes (CONTRACT §8) of a ``Trainer`` run to ``path`` every ``every`` steps.

    ``rrc`` and ``include`` are passed on to :class:`~warmupctl.monitor.torch.UpdateMonitor`.
    """

    def __init__(self, path: str | os.PathLike[str], every: int = 1, *, rrc: bool = False,
                 include: Any = None) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"UpdateCallback: every must be a whole number ≥ 1, got {every!r}")
        self.path = path
        self.every = every
        self.rrc = rrc
        self.include = include
        self.monitor: UpdateMonitor | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       optimizer: Any = None, **kwargs: Any) -> None:
        if model is None or optimizer is None:
            raise ValueError("UpdateCallback: the trainer gave no model or optimizer")
        self.close()
        self.monitor = UpdateMonitor(model, _torch_optimizer(optimizer), self.path,
                                     every=self.every, rrc=self.rrc, include=self.include,
                                     start=int(state.global_step or 0))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
            self.monitor = None


__all__ = ["UpdateCallback"]
