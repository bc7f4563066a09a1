"""Where the decay ends: the cosine floor (0 vs 10% of peak) and the WSD cooldown length."""

from __future__ import annotations

from collections.abc import Iterator

from ._core import PRETRAIN, Facts, Rule, lr, pct, steps

FAMILY = "decay"


def _final_floor(f: Facts) -> Iterator[str]:
    ph = f.decay_phase
    if f.decay_shape != "cosine" or ph is None:
        return
    ratio = ph.b / f.peak if f.peak else 0.0
    if ratio < 0.05:
        end = "0" if ph.b == 0 else f"{lr(ph.b)} ({pct(ratio)} of the peak)"
        yield (f"The cosine decays to {end}. Chinchilla found a 10× decay (to 10% of the peak) "
               f"slightly better than decaying to 0 over the same steps; Hägele et al. 2024 saw "
               f"cosine to ~0 reach a lower loss but score lower downstream (45.88 vs 46.26 at "
               f"1B params/100B tokens). GPT-3, LLaMA, Pythia and OLMo end at 10%; llm.c and "
               f"Llama 3 405B go lower. Either can be right; it is worth choosing on purpose.")


def _wsd_cooldown(f: Facts) -> tuple[int, float] | None:
    ph = f.decay_phase
    if f.decay_shape != "wsd" or ph is None:
        return None
    cool = int(ph.params.get("cooldown", 0))
    return cool, cool / f.total


def _wsd_short(f: Facts) -> Iterator[str]:
    got = _wsd_cooldown(f)
    if got and got[1] < 0.05:
        cool, frac = got
        yield (f"The WSD cooldown is {steps(cool)}, {pct(frac)} of the run. MiniCPM found a decay "
               f"over 10% of the tokens enough and 2.5% too short; Hägele et al. 2024 match a "
               f"length-matched cosine with ~20% (a 5% (1−sqrt) cooldown came close only on a "
               f"long 200k-step run). Use 10–20%.")


def _wsd_long(f: Facts) -> Iterator[str]:
    got = _wsd_cooldown(f)
    if got and got[1] > 0.30:
        cool, frac = got
        yield (f"The WSD cooldown is {steps(cool)}, {pct(frac)} of the run. Hägele et al. 2024 "
               f"saw the gains of a longer cooldown plateau near 20%; a longer one spends "
               f"stable-phase steps (Kosson et al. 2024's trapezoid uses 50% on purpose).")


RULES = [
    Rule(
        id="cosine-final-lr",
        severity="info",
        family=FAMILY,
        summary="A cosine decay that ends below 5% of the peak (to 0, for instance) rather than "
                "the common 10%.",
        source="Hoffmann et al. 2022 (Chinchilla), arXiv:2203.15556, §4.1 and App. B; Hägele et "
               "al. 2024, arXiv:2405.18392, §3 (45.88 vs 46.26 downstream at 1B/100B tokens)",
        evidence="Chinchilla V-P for the 10× decay, the 'slightly better than to 0' note V-S; "
                 "Hägele et al. V-S. Information only: the evidence is mixed (lower loss, lower "
                 "downstream score).",
        check=_final_floor,
        regimes=PRETRAIN,
        cite="Chinchilla §4.1, App. B; Hägele et al. 2024 §3",
    ),
    Rule(
        id="wsd-short-cooldown",
        severity="warning",
        family=FAMILY,
        summary="A WSD (warmup-stable-decay) schedule whose cooldown is under 5% of the run.",
        source="Hu et al. 2024 (MiniCPM), arXiv:2404.06395, §4.3 (10% enough, 2.5% short); "
               "Hägele et al. 2024, arXiv:2405.18392, §3 (~20% matches cosine)",
        evidence="V-S for both (paper notes with section locators).",
        check=_wsd_short,
        regimes=PRETRAIN,
        cite="MiniCPM §4.3; Hägele et al. 2024 §3",
    ),
    Rule(
        id="wsd-long-cooldown",
        severity="info",
        family=FAMILY,
        summary="A WSD schedule whose cooldown is over 30% of the run.",
        source="Hägele et al. 2024, arXiv:2405.18392, §3 (gains plateau near 20%)",
        evidence="V-S.",
        check=_wsd_long,
        regimes=PRETRAIN,
        cite="Hägele et al. 2024 §3",
    ),
]
