"""Whether the schedule fits the run: a warmup that never ends, a decay horizon far past the end."""

from __future__ import annotations

from collections.abc import Iterator

from ._core import PRETRAIN, Facts, Rule, lr, pct, steps

FAMILY = "horizon"

#: Chinchilla: a cosine cycle more than ~25% longer than the run noticeably hurt
OVERSHOOT = 0.25


def _exceeds(f: Facts) -> Iterator[str]:
    if f.warmup >= f.total:
        last = f.schedule.lr(f.total - 1)
        yield (f"The warmup ({steps(f.warmup)}) is as long as the run ({steps(f.total)}): the "
               f"rate never reaches the peak {lr(f.peak)} (the last step uses {lr(last)}) and "
               f"nothing decays. Warmup is counted inside the run; shorten it.")


def _overshoot(f: Facts) -> Iterator[str]:
    end = f.decay_end
    if end is None or f.decay_shape in (None, "constant", "step", "inverse_sqrt"):
        return
    over = end / f.total - 1.0
    if over > OVERSHOOT:
        stop = f.schedule.lr(f.total - 1)
        yield (f"The {f.decay_shape} decay is set to end at step {end:,}, {pct(over)} past the "
               f"end of the run ({steps(f.total)}); Chinchilla found that overshooting the run by "
               f"more than ~25% noticeably hurt. The run stops at {lr(stop)} "
               f"({pct(stop / f.peak)} of the peak). Match the decay to the run, or plan a "
               f"final anneal (OLMo 2) or a WSD schedule so an early stop can still cool down.")


RULES = [
    Rule(
        id="warmup-exceeds-run",
        severity="error",
        family=FAMILY,
        summary="The warmup is as long as the run or longer, so the peak is never reached "
                "(possible with an explicit `phases` list or a Schedule built in code; the "
                "`warmup:` block refuses it when the spec is read).",
        source="warmupctl step convention, docs/spec.md (the warmup is counted inside total); "
               "HF transformers get_*_schedule_with_warmup",
        evidence="A definition, not an empirical claim.",
        check=_exceeds,
        cite="step convention; HF schedulers",
    ),
    Rule(
        id="decay-horizon-overshoot",
        severity="warning",
        family=FAMILY,
        summary="The decay (cosine, linear, polynomial, WSD…) is set to finish more than 25% "
                "after the run ends (`decay.length` longer than the rest of the run).",
        source="Hoffmann et al. 2022 (Chinchilla), Training Compute-Optimal Large Language "
               "Models, arXiv:2203.15556, App. B; Hu et al. 2024 (MiniCPM), arXiv:2404.06395, "
               "§4.1",
        evidence="V-P (Chinchilla App. B); MiniCPM V-S. The 25% line is Chinchilla's. OLMo 2 "
                 "stage 1 (preset olmo2-7b) is a deliberate exception, cut at ~3.9T of a "
                 "5T-token horizon and followed by a linear anneal to 0.",
        check=_overshoot,
        regimes=PRETRAIN,
        cite="Chinchilla App. B; MiniCPM §4.1",
    ),
]
