"""warmupctl: design, check and export learning-rate schedules with warmup.

>>> import warmupctl
>>> s = warmupctl.load({"total": 1000, "peak_lr": 1e-3,
...                     "warmup": {"shape": "linear", "length": 100},
...                     "decay": {"shape": "cosine", "final_lr": "10%"}})
>>> s.lr(0), s.lr(50), s.lr(100)
(0.0, 0.0005, 0.001)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Phase, Schedule
    from .errors import SpecError, WarmupctlError
    from .loading import load

# imported when first used: the program (warmupctl.cli) sets up its Ctrl-C handling before
# NumPy (~100 ms) is loaded, and `import warmupctl.cli` pays for what it uses
_LAZY = {"Phase": "engine", "Schedule": "engine", "SpecError": "errors",
         "WarmupctlError": "errors", "load": "loading"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    # importlib.metadata costs ~40 ms at start-up; look the version up only when asked
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("warmupctl")
        except PackageNotFoundError:  # pragma: no cover - a checkout that was never installed
            return "0+unknown"
    raise AttributeError(name)

__all__ = ["Phase", "Schedule", "SpecError", "WarmupctlError", "load", "__version__"]
