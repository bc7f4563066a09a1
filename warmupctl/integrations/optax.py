"""optax adapter: a jit-compatible schedule (``count → rate``) for a warmupctl schedule.

>>> opt = optax.adamw(learning_rate=warmupctl.integrations.optax.schedule(warmupctl.load(...)))

Update k uses ``schedule(k)`` (optax evaluates the schedule at the count, then increments it).

**Per-step cost — a table lookup.** The whole curve is computed once (NumPy, float64) and kept as
a device array; the schedule is ``table[clip(count, 0, N − 1)]``, one gather inside jit whatever
the schedule's shape. The table holds N values (4 bytes each in float32, 8 with x64: 2.4 MB for
a 600k-step run). With ``jax_enable_x64`` the rates are warmupctl's float64 values exactly;
otherwise they are those values rounded to float32 (the best float32 can do). Counts past the end
get the last rate.
"""

from __future__ import annotations

from typing import Any

from ..engine import Schedule
from ._table import table


def schedule(s: Schedule, dtype: Any = None):
    """An optax ``Schedule`` for ``s`` (``dtype``: default float64 with x64, else float32)."""
    import jax
    import jax.numpy as jnp

    if dtype is None:
        dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    values = jnp.asarray(table(s), dtype=dtype)
    last = s.total_steps - 1

    def fn(count):
        return values[jnp.clip(count, 0, last)]

    fn.__doc__ = f"warmupctl schedule {s.name or ''} ({s.total_steps:,} steps), table lookup"
    return fn
