"""The early-window peak and the shortest warmup: against the whole-run prediction, a brute-force
search over warmup lengths, and a torch simulation of the warmup it finds."""

from __future__ import annotations

import math

import pytest

import warmupctl
from warmupctl import presets
from warmupctl.updates import equilibrium as eq
from warmupctl.updates.predict import predict
from warmupctl.updates.warmup import DEFAULT_BOUND, early_peak, shortest_warmup

REF_TRAINING = {"optimizer": "adamw", "beta1": 0.9, "beta2": 0.95, "weight_decay": 0.1,
                "fan_in": 256, "init_std": 0.02}


def constant_after(warmup, total=6000, peak=1e-2, training=REF_TRAINING):
    data = {"total": total, "peak_lr": peak, "training": dict(training)}
    if warmup:
        data["warmup"] = {"shape": "linear", "length": warmup}
    return data


def _judged(name):
    training = warmupctl.load(name).meta.get("training", {})
    return eq.kind(training.get("optimizer")) in ("adamw", "lion") and not eq.why_none(training)


#: the presets the update-size rules judge (AdamW or Lion with weight decay)
JUDGED = [name for name in presets.names() if _judged(name)]


def test_the_judged_presets_are_the_adamw_ones():
    assert len(JUDGED) >= 8 and "llama2-7b" in JUDGED and "gpt3-xl" not in JUDGED  # adam: none


@pytest.mark.parametrize("name", JUDGED)
def test_early_window_finds_the_whole_runs_peak(name):
    schedule = warmupctl.load(name)
    ratio, step, _ = early_peak(schedule)
    whole, whole_step = predict(schedule).peak_ratio()
    assert (ratio, step) == (whole, whole_step)


def test_shortest_warmup_is_the_first_length_within_the_bound():
    found = shortest_warmup(constant_after(1000))
    assert found == 869  # recorded from this search; the brute-force check below is what binds

    def whole_run(length):
        return predict(warmupctl.load(constant_after(length))).peak_ratio()[0]

    assert whole_run(found) <= DEFAULT_BOUND < whole_run(found - 1)
    # the bound is monotone in this setting: longer warmups stay within it
    assert all(whole_run(n) <= DEFAULT_BOUND for n in (found + 1, found + 50, 2 * found))


def test_looser_bounds_need_shorter_warmups_and_no_warmup_can_be_enough():
    lengths = [shortest_warmup(constant_after(1000), b) for b in (1.5, 2, 3, 10)]
    assert lengths == sorted(lengths, reverse=True) and lengths[-1] < lengths[0]
    assert shortest_warmup(constant_after(0), bound=50) == 0  # 45× fits in 50×


def test_the_warmup_found_holds_in_a_torch_simulation():
    torch = pytest.importorskip("torch", reason="the simulation needs torch (the torch extra)")
    from _updates_sim import rates, simulate

    found = shortest_warmup(constant_after(1000))
    top = float(eq.adamw(1e-2, 0.1, 0.9))
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run = lambda n: simulate(  # noqa: E731
            lambda p: torch.optim.AdamW(p, lr=1.0, betas=(0.9, 0.95), weight_decay=0.1),
            rates(found + 400, 1e-2, warmup=n), n=256, sigma=0.02, rows=64)
        assert run(found).max() / top <= DEFAULT_BOUND * 1.05
        assert run(found // 4).max() / top > DEFAULT_BOUND * 1.2
    finally:
        torch.set_num_threads(before)


def test_errors():
    with pytest.raises(ValueError, match="weight decay"):
        shortest_warmup(constant_after(100, training={"optimizer": "adamw"}))
    with pytest.raises(ValueError, match="bound"):
        shortest_warmup(constant_after(100), bound=0)
    with pytest.raises(ValueError, match="no linear warmup shorter than the run"):
        shortest_warmup(constant_after(0, total=50), bound=1.01)
    assert math.isnan(early_peak(warmupctl.load(constant_after(
        10, training={"optimizer": "adamw", "weight_decay": 0})))[0])


def test_docs_table_against_two_over_one_minus_beta2_is_current():
    from pathlib import Path

    from warmupctl.rules._core import untuned_warmup

    text = (Path(__file__).resolve().parent.parent / "docs" / "updates.md").read_text()

    def found(peak, beta2):
        return shortest_warmup({"total": "100k", "peak_lr": peak,
                                "decay": {"shape": "cosine", "final_lr": "10%"},
                                "training": {"optimizer": "adamw", "beta1": 0.9, "beta2": beta2,
                                             "weight_decay": 0.1, "fan_in": 768,
                                             "init_std": 0.02}})

    for beta2 in (0.95, 0.999):
        cells = [f"{beta2:g}", f"{untuned_warmup(beta2):,}"]
        cells += [f"{found(peak, beta2):,}" for peak in (3e-4, 6e-4, 1e-3, 1e-2)]
        assert "| " + " | ".join(cells) + " |" in text


def test_a_billion_step_run_is_judged_on_a_bounded_window():
    from warmupctl.updates.warmup import WINDOW_CAP

    long = warmupctl.load({"total": "1B", "peak_lr": 6e-4,
                           "warmup": {"shape": "linear", "length": "10%"},
                           "training": {"optimizer": "adamw", "weight_decay": 0.1}})
    ratio, step, pred = early_peak(long)
    assert pred.angle.size == WINDOW_CAP and step < WINDOW_CAP and ratio < 2
    with pytest.raises(ValueError, match="no linear warmup of up to 2,096,152 steps"):
        shortest_warmup(long, bound=1.0001)
