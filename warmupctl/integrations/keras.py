"""Keras 3 adapter: a ``LearningRateSchedule`` for a warmupctl schedule.

>>> opt = keras.optimizers.AdamW(learning_rate=warmupctl.integrations.keras.schedule(s))

Keras calls the schedule with ``optimizer.iterations`` (0 for the first update): update k uses
``schedule(k)``, no lag. (With ``gradient_accumulation_steps`` Keras passes micro-steps.)

**Per-step cost — a table lookup**: the curve is computed once and ``__call__`` is
``ops.take(table, clip(step, 0, N − 1))``, graph- and jit-compatible. The table is in
``keras.config.floatx()`` (float32 by default: warmupctl's rates rounded to float32; with
``set_floatx("float64")`` exactly warmupctl's). ``get_config()`` stores the schedule's phases, so
a saved model reloads with the same curve.

**Parameter groups.** A Keras optimizer has one rate; variables that train at another rate get
their own optimizer with ``schedule(s, base_lr=r)``, which gives ``r × lr(k) / peak`` (``r`` equal
to the peak, or None, is the schedule itself). Out of range (docs/spec.md): steps after the
last hold the last rate; a negative or fractional step given as a number raises ValueError.
"""

from __future__ import annotations

from typing import Any

from ..engine import Schedule
from ._table import check_step, from_dict, peak, table, to_dict

_CLASS: Any = None


def _schedule_class():
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="warmupctl", name="WarmupctlSchedule")
    class WarmupctlSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """warmupctl's rate for each step, looked up in a precomputed table."""

        def __init__(self, schedule: dict[str, Any], base_lr: float | None = None) -> None:
            super().__init__()
            self.schedule = dict(schedule)
            self.base_lr = base_lr
            s = from_dict(self.schedule)
            self.total_steps = s.total_steps
            self._values = table(s)
            if base_lr is not None and float(base_lr) != peak(s):
                self._values = self._values * (float(base_lr) / peak(s))
            self._table = None

        def __call__(self, step):
            check_step(step, self.total_steps)
            if self._table is None:
                self._table = ops.convert_to_tensor(self._values, dtype=keras.config.floatx())
            index = ops.clip(ops.cast(step, "int32"), 0, self.total_steps - 1)
            return ops.take(self._table, index)

        def get_config(self) -> dict[str, Any]:
            return {"schedule": self.schedule, "base_lr": self.base_lr}

    _CLASS = WarmupctlSchedule
    return _CLASS


def schedule(s: Schedule, base_lr: float | None = None):
    """A ``keras.optimizers.schedules.LearningRateSchedule`` following ``s`` (with
    ``base_lr``: ``base_lr × lr(k) / peak``)."""
    return _schedule_class()(to_dict(s), base_lr)
