"""Adapters that run a warmupctl schedule inside a training loop.

* :func:`warmupctl.integrations.torch.scheduler` — a ``torch.optim.lr_scheduler.LambdaLR``;
* :func:`warmupctl.integrations.optax.schedule` — a jit-compatible optax schedule;
* :func:`warmupctl.integrations.keras.schedule` — a Keras ``LearningRateSchedule``.

Each framework is an optional extra (``pip install warmupctl[torch]``, ``[jax]``, ``[keras]``) and
is imported only when its adapter module is imported; ``import warmupctl.integrations`` itself
imports nothing heavy.

All three *look rates up* instead of evaluating formulas, so the cost of a step does not depend
on how many phases the schedule has:

* torch evaluates blocks of 65,536 consecutive rates with one vectorised engine call and serves
  each step from the current block (amortised O(1), about 0.5 MB of memory at any run length);
* optax and keras precompute the whole curve once (``N`` float64 values, cast to the framework's
  float type) and index it with the step, which is what makes them jit/graph-compatible.

Steps past the end of the run get the last rate; a negative step raises ValueError (docs/spec.md).
Param groups keep their ratios (torch), or get a `base_lr` (optax, keras).
"""

__all__ = ["keras", "optax", "torch"]
