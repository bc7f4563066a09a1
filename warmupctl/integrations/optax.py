"""optax adapter: a jit-compatible schedule (``count → rate``) for a warmupctl schedule.

>>> opt = optax.adamw(learning_rate=warmupctl.integrations.optax.schedule(warmupctl.load(...)))

Update k uses ``schedule(k)`` (optax evaluates the schedule at the count, then increments it).

**Per-step cost — a table lookup.** The whole curve is computed once (NumPy, float64) and kept as
a device array; the schedule is ``table[clip(count, 0, N − 1)]``, one gather inside jit whatever
the schedule's shape. The table holds N values (4 bytes each in float32, 8 with x64: 2.4 MB for
a 600k-step run). With ``jax_enable_x64`` the rates are warmupctl's float64 values exactly;
otherwise they are those values rounded to float32 (the best float32 can do). Counts past the end
get the last rate; a negative or fractional count given as a number raises ValueError (a traced
count inside jit cannot be inspected and is clipped).

**Parameter groups.** optax gives different parameters different rates with
``optax.multi_transform``: one optimizer per label, each with its own schedule. ``base_lr`` scales
a schedule to a group's rate (``base_lr × lr(k) / peak``; ``base_lr`` equal to the peak, or None,
is the schedule itself):

>>> tx = optax.multi_transform(
...     {"head": optax.adamw(schedule(s)), "backbone": optax.adamw(schedule(s, base_lr=1e-5))},
...     param_labels)
"""

from __future__ import annotations

from typing import Any

from ..engine import Schedule
from ._table import check_step, peak, table


def schedule(s: Schedule, dtype: Any = None, base_lr: float | None = None):
    """An optax ``Schedule`` for ``s`` (``dtype``: default float64 with x64, else float32);
    with ``base_lr``, ``base_lr × lr(k) / peak`` (a parameter group's share of the schedule)."""
    import jax
    import jax.numpy as jnp

    if dtype is None:
        dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    rates = table(s)
    if base_lr is not None and float(base_lr) != peak(s):
        rates = rates * (float(base_lr) / peak(s))
    values = jnp.asarray(rates, dtype=dtype)
    last = s.total_steps - 1

    def fn(count):
        check_step(count, s.total_steps)
        return values[jnp.clip(count, 0, last)]

    fn.__doc__ = f"warmupctl schedule {s.name or ''} ({s.total_steps:,} steps), table lookup"
    return fn
