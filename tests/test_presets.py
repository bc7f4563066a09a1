"""Every built-in preset against the numbers its source publishes.

The expected values below are typed by hand from the recipe notes (the cited papers, configs and
run scripts), not read back from the preset files, so a typo in a preset or a change in how the
engine resolves lengths shows up here. Step convention (CONTRACT §1): N steps t = 0..N-1;
lengths in %, epochs or tokens become whole steps with ceil; a linear warmup from 0 reaches the
peak at t = warmup_steps.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

import warmupctl
from warmupctl import presets

PRESET_DIR = Path(__file__).resolve().parent.parent / "presets"
REL = 1e-12


def cosine(peak: float, final: float, p: float) -> float:
    """Cosine decay from peak to final at progress p of its horizon."""
    return final + (peak - final) * 0.5 * (1.0 + math.cos(math.pi * p))


NOAM_BASE = 512**-0.5 * 4000**-0.5  # 6.99e-4, Vaswani et al. Eq. 3 at step 4000
NOAM_BIG = 1024**-0.5 * 4000**-0.5  # 4.94e-4

# name, total_steps, warmup_steps, peak_lr, [(step, expected lr), ...]
ROWS = [
    # GPT-3 Table 2.1: 300B tokens, 375M-token linear warmup, cosine to 10% over 260B tokens.
    ("gpt3-small", 600_000, 750, 6.0e-4,
     [(0, 0.0), (375, 3.0e-4), (750, 6.0e-4), (750 + 260_000, 3.3e-4),
      (520_750, 6.0e-5), (599_999, 6.0e-5)]),
    ("gpt3-xl", 300_000, 375, 2.0e-4,
     [(0, 0.0), (375, 2.0e-4), (375 + 130_000, 1.1e-4), (260_375, 2.0e-5), (299_999, 2.0e-5)]),
    # 375M / 3.2M = 117.19 -> 118 steps; 260B / 3.2M = 81,250 steps.
    ("gpt3-175b", 93_750, 118, 6.0e-5,
     [(0, 0.0), (118, 6.0e-5), (118 + 40_625, 3.3e-5), (118 + 81_250, 6.0e-6), (93_749, 6.0e-6)]),
    # Noam: d^-0.5 * min(t^-0.5, t * W^-1.5).
    ("transformer-base", 100_000, 4000, NOAM_BASE,
     [(0, 0.0), (2000, NOAM_BASE / 2), (4000, NOAM_BASE), (16_000, NOAM_BASE / 2),
      (99_999, 512**-0.5 * 99_999**-0.5)]),
    ("transformer-big", 300_000, 4000, NOAM_BIG,
     [(0, 0.0), (4000, NOAM_BIG), (16_000, NOAM_BIG / 2), (299_999, 1024**-0.5 * 299_999**-0.5)]),
    # Goyal: 157 steps/epoch, 90 ep, 5 ep warmup from 0.1 to 3.2, /10 at 30, 60, 80 ep.
    ("resnet50-goyal", 14_130, 785, 3.2,
     [(0, 0.1), (785, 3.2), (4709, 3.2), (4710, 0.32), (9419, 0.32), (9420, 0.032),
      (12_559, 0.032), (12_560, 0.0032), (14_129, 0.0032)]),
    # BERT: 1M steps, 10k warmup, linear to 0 (so the last step is 1/990,000 of the peak).
    ("bert-pretrain", 1_000_000, 10_000, 1.0e-4,
     [(0, 0.0), (10_000, 1.0e-4), (505_000, 5.0e-5), (999_999, 1.0e-4 / 990_000)]),
    # GLUE fine-tuning presets use a nominal 1000 steps per epoch.
    ("bert-glue-finetune", 3000, 300, 5.0e-5,
     [(0, 0.0), (300, 5.0e-5), (1650, 2.5e-5), (2999, 5.0e-5 / 2700)]),
    ("roberta-glue-finetune", 10_000, 600, 1.0e-5,
     [(0, 0.0), (600, 1.0e-5), (5300, 5.0e-6), (9999, 1.0e-5 / 9400)]),
    # T5: 1/sqrt(max(n, 10^4)) for 2^19 steps.
    ("t5-pretrain", 524_288, 10_000, 1.0e-2,
     [(0, 1.0e-2), (9999, 1.0e-2), (10_000, 1.0e-2), (40_000, 5.0e-3),
      (524_287, 1 / math.sqrt(524_287))]),
    # nanoGPT: 600k iters, 2000 warmup, cosine to 6e-5 ending at iteration 600k.
    ("nanogpt-gpt2-124m", 600_000, 2000, 6.0e-4,
     [(0, 0.0), (2000, 6.0e-4), (2000 + 299_000, 3.3e-4),
      (599_999, cosine(6.0e-4, 6.0e-5, 597_999 / 598_000))]),
    # llm.c: 18,865 steps, 700 warmup, decay to 0.
    ("llmc-gpt2-124m", 18_865, 700, 6.0e-4,
     [(0, 0.0), (700, 6.0e-4), (18_864, cosine(6.0e-4, 0.0, 18_164 / 18_165))]),
    # build-nanogpt: 19,073 steps, 715 warmup, cosine to 10%.
    ("build-nanogpt-gpt2-124m", 19_073, 715, 6.0e-4,
     [(0, 0.0), (715, 6.0e-4), (715 + 9179, 3.3e-4),
      (19_072, cosine(6.0e-4, 6.0e-5, 18_357 / 18_358))]),
    # Llama 2: 2T tokens / 4M = 500k steps, 2000 warmup, cosine to 10%.
    ("llama2-7b", 500_000, 2000, 3.0e-4,
     [(0, 0.0), (2000, 3.0e-4), (2000 + 249_000, 1.65e-4),
      (499_999, cosine(3.0e-4, 3.0e-5, 497_999 / 498_000))]),
    # Llama 3 405B: 8000 warmup, cosine 8e-5 -> 8e-7 over 1.2M steps.
    ("llama3-405b", 1_200_000, 8000, 8.0e-5,
     [(0, 0.0), (8000, 8.0e-5), (8000 + 596_000, 4.04e-5),
      (1_199_999, cosine(8.0e-5, 8.0e-7, 1_191_999 / 1_192_000))]),
    # Pythia 1B: 143k steps, 1% = 1430 warmup, cosine to 10%.
    ("pythia-1b", 143_000, 1430, 2.5e-4,
     [(0, 0.0), (1430, 2.5e-4), (1430 + 70_785, 1.375e-4),
      (142_999, cosine(2.5e-4, 2.5e-5, 141_569 / 141_570))]),
    # OLMo 2 7B stage 1: 928,646 steps; cosine to 10% over ceil(5T / 4,194,304) = 1,192,093 steps,
    # cut at the end of stage 1.
    ("olmo2-7b", 928_646, 2000, 3.0e-4,
     [(0, 0.0), (2000, 3.0e-4), (928_645, cosine(3.0e-4, 3.0e-5, 926_645 / 1_192_093))]),
    # DeepSeek LLM 7B: 2T / 9,437,184 -> 211,928 steps; 31.6% from 169,543, 10% from 190,735.
    ("deepseek-llm-7b", 211_928, 2000, 4.2e-4,
     [(0, 0.0), (1000, 2.1e-4), (2000, 4.2e-4), (169_542, 4.2e-4), (169_543, 0.316 * 4.2e-4),
      (190_734, 0.316 * 4.2e-4), (190_735, 4.2e-5), (211_927, 4.2e-5)]),
    # Hägele WSD: 25k steps, 300 warmup, stable 5e-4, 20% (5000-step) 1-sqrt cooldown to 0.
    ("hagele-wsd-124m", 25_000, 300, 5.0e-4,
     [(0, 0.0), (300, 5.0e-4), (19_999, 5.0e-4), (20_000, 5.0e-4), (21_250, 2.5e-4),
      (24_999, 5.0e-4 * (1 - math.sqrt(4999 / 5000)))]),
    # ViT-B on JFT: 7 epochs of ceil(300M / 4096) = 73,243 steps, 10k warmup, linear to 0.
    ("vit-b-jft", 512_701, 10_000, 8.0e-4,
     [(0, 0.0), (10_000, 8.0e-4), (512_700, 8.0e-4 / 502_701)]),
    # HF Trainer: no warmup, linear to 0 over 3 nominal 1000-step epochs.
    ("hf-trainer-default", 3000, 0, 5.0e-5,
     [(0, 5.0e-5), (1500, 2.5e-5), (2999, 5.0e-5 / 3000)]),
    # Kosson et al.: 5000 steps, 5% warmup, linear cooldown over the last 50% to 0.
    ("kosson2024-gpt2-124m", 5000, 250, 6.0e-4,
     [(0, 0.0), (250, 6.0e-4), (2499, 6.0e-4), (2500, 6.0e-4), (3750, 3.0e-4),
      (4999, 6.0e-4 / 2500)]),
]

ROW_IDS = [row[0] for row in ROWS]
PRESET_FILES = sorted(PRESET_DIR.glob("*.yaml"))


@pytest.fixture(scope="module", params=ROWS, ids=ROW_IDS)
def row(request):
    name, total, warmup, peak, checks = request.param
    return warmupctl.load(name), total, warmup, peak, checks


def test_total_steps(row):
    s, total, _, _, _ = row
    assert s.total_steps == total


def test_warmup_steps(row):
    s, _, warmup, _, _ = row
    assert s.warmup_steps == warmup


def test_peak_lr(row):
    s, _, _, peak, _ = row
    assert s.peak_lr == pytest.approx(peak, rel=REL)


@pytest.mark.parametrize("kind", ["scalar", "array"])
def test_rates_at_cited_steps(row, kind):
    s, _, _, _, checks = row
    steps = [t for t, _ in checks]
    expected = [lr for _, lr in checks]
    if kind == "scalar":
        got = [float(s.lr(t)) for t in steps]
    else:
        got = list(np.asarray(s.lr(np.array(steps)), dtype=float))
    for t, g, e in zip(steps, got, expected, strict=True):
        assert g == pytest.approx(e, rel=REL, abs=0.0 if e else 1e-300), f"lr({t})"


def test_peak_is_the_maximum_rate(row):
    s, total, _, peak, _ = row
    rates = np.asarray(s.lr(np.arange(total)), dtype=float)
    assert rates.shape == (total,)
    assert rates.max() == pytest.approx(peak, rel=REL)
    assert rates.min() >= 0.0


def test_source_is_a_citation(row):
    s = row[0]
    assert isinstance(s.source, str) and s.source.strip()


def test_transformer_base_noam_numbers():
    s = warmupctl.load("transformer-base")
    assert s.lr(4000) == pytest.approx(512**-0.5 * 4000**-0.5, rel=1e-12)
    assert s.lr(4000) == pytest.approx(6.99e-4, rel=1e-3)
    assert s.lr(16_000) == pytest.approx(s.peak_lr / 2, rel=1e-12)


def test_olmo2_stage1_ends_near_the_stage2_start_rate():
    # The report starts the stage-2 anneal at 6.15e-5, where the truncated cosine left off.
    s = warmupctl.load("olmo2-7b")
    assert s.lr(s.total_steps - 1) == pytest.approx(6.15e-5, rel=1e-2)


def test_every_file_has_a_row_and_a_source():
    stems = [p.stem for p in PRESET_FILES]
    assert len(stems) >= 16
    assert sorted(stems) == sorted(ROW_IDS)
    for path in PRESET_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["name"] == path.stem
        assert str(data.get("source", "")).strip(), path.name


def test_names_lists_every_preset_file():
    names = presets.names()
    assert set(names) >= {p.stem for p in PRESET_FILES}


@pytest.mark.parametrize("path", PRESET_FILES, ids=[p.stem for p in PRESET_FILES])
def test_loading_by_path_matches_loading_by_name(path):
    by_path = warmupctl.load(str(path))
    by_name = warmupctl.load(path.stem)
    assert by_path.total_steps == by_name.total_steps
    assert by_path.warmup_steps == by_name.warmup_steps
    t = np.array([0, by_name.warmup_steps, by_name.total_steps - 1])
    np.testing.assert_array_equal(by_path.lr(t), by_name.lr(t))
