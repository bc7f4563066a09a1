"""What `show` reports about a schedule, as plain data (pure; the CLI formats it)."""

from __future__ import annotations

import math
from typing import Any

from .cycles import MAX_SUMMED_CYCLES
from .engine import Schedule


def milestones(schedule: Schedule, stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Start, end of warmup, peak, 25/50/75%, end of decay and last step, in step order."""
    n = schedule.total_steps
    points: list[tuple[int, str]] = [(0, "start")]
    w = schedule.warmup_steps
    if 0 < w < n:
        points.append((w, "end of warmup"))
    if stats["peak_step"] != w or w == 0:
        points.append((int(stats["peak_step"]), "peak"))
    for q in (25, 50, 75):
        points.append(((n * q) // 100, f"{q}% of run"))
    end = schedule.meta.get("decay_end")
    if end is not None and end < n:
        points.append((int(end), "end of decay"))
    points.append((n - 1, "last step"))
    seen: dict[int, list[str]] = {}
    for step, label in points:
        seen.setdefault(step, [])
        if label not in seen[step]:
            seen[step].append(label)
    tps = schedule.meta.get("tokens_per_step")
    spe = schedule.meta.get("steps_per_epoch")
    rows = []
    for step in sorted(seen):
        rows.append({
            "label": ", ".join(seen[step]),
            "step": step,
            "fraction": step / n,
            "tokens": step * tps if tps else None,
            "epoch": step / spe if spe else None,
            "lr": schedule.lr(step),
        })
    return rows


def _sum_note(total: float) -> str | None:
    """Why the sum of rates is missing (``sum_lr`` is null), or None."""
    if math.isinf(total):
        return "above the largest float64 (1.8e308): the rates are too large to add up"
    if math.isnan(total):
        return (f"not computed: more than {MAX_SUMMED_CYCLES:,} restart cycles whose length is "
                "not a whole number of steps")
    return None


def summarize(schedule: Schedule) -> dict[str, Any]:
    stats = schedule.stats()
    n = schedule.total_steps
    tps = schedule.meta.get("tokens_per_step")
    w = schedule.warmup_steps
    return {
        "name": schedule.name,
        "description": schedule.description,
        "source": schedule.source,
        "note": schedule.meta.get("note"),
        "total_steps": n,
        "total_tokens": n * tps if tps else None,
        "tokens_per_step": tps,
        "steps_per_epoch": schedule.meta.get("steps_per_epoch"),
        "warmup_steps": w,
        "warmup_fraction": w / n,
        "warmup_tokens": w * tps if tps else None,
        "warmup_shape": schedule.meta.get("warmup_shape"),
        "decay_shape": schedule.meta.get("decay_shape"),
        "peak_lr": stats["peak_lr"],
        "peak_step": stats["peak_step"],
        "final_lr": stats["final_lr"],
        "sum_lr": stats["sum_lr"] if math.isfinite(stats["sum_lr"]) else None,
        "sum_lr_exact": stats["sum_lr_exact"],
        "sum_lr_note": _sum_note(stats["sum_lr"]),
        "milestones": milestones(schedule, stats),
    }
