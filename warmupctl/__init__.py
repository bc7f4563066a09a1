"""warmupctl: design, check and export learning-rate schedules with warmup.

>>> import warmupctl
>>> s = warmupctl.load({"total": 1000, "peak_lr": 1e-3,
...                     "warmup": {"shape": "linear", "length": 100},
...                     "decay": {"shape": "cosine", "final_lr": "10%"}})
>>> s.lr(0), s.lr(50), s.lr(100)
(0.0, 0.0005, 0.001)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .engine import Phase, Schedule
from .errors import SpecError, WarmupctlError
from .loading import load

try:
    __version__ = version("warmupctl")
except PackageNotFoundError:  # pragma: no cover - running from a checkout without install
    __version__ = "0+unknown"

__all__ = ["Phase", "Schedule", "SpecError", "WarmupctlError", "load", "__version__"]
