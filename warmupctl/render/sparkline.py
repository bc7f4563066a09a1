"""A schedule as one line of text: ``▁▅███▇▇▆▅▄▃▂▂▁▁``.

Each character is one column of equal length in steps and shows the *largest* rate in that column
(exact, from :func:`warmupctl.render.reduce.column_max`), so a short peak or a brief warmup is not
averaged away. The height is relative to the largest rate of the run, from zero: ``▁`` is a rate
near 0, ``█`` the peak. No colour, no matplotlib; meant for one line of ``warmupctl show``.
"""

from __future__ import annotations

import numpy as np

from ..engine import Schedule
from .reduce import column_max

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(schedule: Schedule, width: int = 40) -> str:
    """``width`` characters (fewer if the run has fewer steps), one per column of steps.

    >>> from warmupctl import load
    >>> s = load({"total": 1000, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 100},
    ...           "decay": {"shape": "cosine", "final_lr": 0}})
    >>> sparkline(s, 10)
    '███▇▆▅▄▃▂▁'
    """
    width = int(width)
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    tops = column_max(schedule, width)
    hi = float(np.max(tops))
    lo = min(0.0, float(np.min(tops)))
    if hi <= lo:
        return BLOCKS[-1] * tops.size if hi > 0 else BLOCKS[0] * tops.size
    levels = np.clip(np.rint((tops - lo) / (hi - lo) * (len(BLOCKS) - 1)), 0, len(BLOCKS) - 1)
    return "".join(BLOCKS[int(k)] for k in levels)


__all__ = ["sparkline", "BLOCKS"]
