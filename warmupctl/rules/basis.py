"""The rules `recommend` applies when it builds a schedule. Each appears, with its value and
whether it decided the result, in the table `recommend` prints (the ``rules`` of
`recommend --json`)."""

from __future__ import annotations

from ._core import FINETUNE, PRETRAIN, Basis

#: pretraining warmup band, as fractions of the steps
PRETRAIN_BAND = (0.01, 0.05)
#: batch sizes (sequences or images per step) at the two ends of the band
BAND_BATCHES = (256, 8192)
#: fine-tuning: the practice band and the point warmupctl picks in it
FINETUNE_BAND = (0.03, 0.10)
FINETUNE_FRACTION = 0.06
#: default β2 when --beta2 is not given, per regime
DEFAULT_BETA2 = {"pretrain": 0.95, "finetune": 0.98}
#: the β1 and ε Malladi's adjustments are shown for when the spec does not say
DEFAULT_BETA1 = 0.9
DEFAULT_EPS = 1e-8
#: final rate of a pretraining cosine or linear decay, as a fraction of the peak
FINAL_FRACTION = 0.10
#: WSD cooldown (fraction of the run) and its shape
WSD_COOLDOWN = 0.20

SEED = "Marovi AI wiki, 'Learning Rate Warmup'"
#: the published fine-tuning warmups recommend keeps to (recipes-and-rules §1.5, §1.7)
BERT_FINETUNE = ("Devlin et al. 2019 (BERT), arXiv:1810.04805, §4.1; google-research/bert "
                 "run_classifier.py (warmup_proportion=0.1: 10%)")
ROBERTA_FINETUNE = ("Liu et al. 2019 (RoBERTa), arXiv:1907.11692; fairseq "
                    "examples/roberta/README.glue.md (WARMUP_UPDATES: 6 percent of the updates)")
HF_DEFAULT = ("huggingface/transformers TrainingArguments (warmup_steps=0 by default, "
              "lr_scheduler_type='linear')")

BASES = [
    Basis(
        id="pretrain-warmup-band",
        summary="Pretraining: the warmup is kept between 1% and 5% of the steps, unless the "
                "optimizer floor (`untuned-warmup-floor`) needs more. The ends are published "
                "runs: BERT warmed up for 1% of its steps at batch 256, Goyal et al. for 5 of 90 "
                "epochs (5.6%, kept at 5%) at batch 8k. A folk rule quotes the same 1–5% without "
                "a source; it is never the only source of these numbers.",
        source="Devlin et al. 2019 (BERT), arXiv:1810.04805, App. A.2 (10,000 of 1,000,000 "
               "steps at batch 256); Goyal et al. 2017, arXiv:1706.02677, §2.2 and §5.1 (5 of 90 "
               f"epochs at 8k); folk rule: {SEED}; counter-evidence: GPT-3 arXiv:2005.14165 "
               "Table 2.1, OLMo 2 arXiv:2501.00656 Table 3, nanoGPT train.py, Llama 2 "
               "arXiv:2307.09288 §2.2",
        evidence="V-P (BERT), V-S (Goyal et al.); the fractions are derived. Used as a "
                 "conservative default range, not a threshold: published stable runs go below it "
                 "(GPT-3 0.125% of tokens, OLMo 2 7B 0.22%, nanoGPT 0.33%, Llama 2 0.40%) and "
                 "above it (RoBERTa-large 6%, ViT on ImageNet 10.7%); the explanation `recommend` "
                 "prints says so.",
        cite="BERT 1% at 256; Goyal et al. 2017 5.6% at 8k; folk rule (wiki)",
        regimes=PRETRAIN,
    ),
    Basis(
        id="warmup-grows-with-batch",
        summary="Within the band the warmup fraction grows with the batch B (sequences or images "
                "per step): 1% + 4%·log2(B/256)/5, i.e. 1% at B ≤ 256 rising to 5% at "
                "B ≥ 8192. For a fixed step count the warmup never shrinks as the batch grows.",
        source="Devlin et al. 2019 (BERT), arXiv:1810.04805, App. A.2 (1% at batch 256); "
               "Goyal et al. 2017, arXiv:1706.02677, §2.2 and §5.1 (reference batch 256; "
               "5 epochs of gradual warmup at 8k); Kosson et al. 2024, arXiv:2410.23922 "
               "(warmup helps more at larger batch); McCandlish et al. 2018, arXiv:1812.06162",
        evidence="The direction is supported (V-S/V-P); the log-linear interpolation between "
                 "Goyal et al.'s two batch sizes is warmupctl's own choice, not a published "
                 "formula.",
        cite="BERT App. A.2; Goyal et al. 2017 §2.2, §5.1; Kosson et al. 2024",
        regimes=PRETRAIN,
    ),
    Basis(
        id="untuned-warmup-floor",
        summary="Pretraining with Adam-family optimizers (and RAdam): the warmup is at least "
                "2/(1−β2) steps, above the band if need be (the conflict is reported, naming both "
                "rules). When that would leave less than 20% of the run to decay, `recommend` "
                "refuses (exit 2) and suggests a lower β2. Not applied to fine-tuning: see "
                "`untuned-floor-vs-finetune`.",
        source="Ma & Yarats 2019, arXiv:1910.04209, §5",
        evidence="V-P (abstract), formula V-S. Measured training from scratch (image "
                 "classification, language modelling, translation).",
        cite="Ma & Yarats 2019 §5",
        regimes=PRETRAIN,
    ),
    Basis(
        id="default-beta2",
        summary="When --beta2 is not given for an Adam-family optimizer: 0.95 for pretraining "
                "(GPT-3, LLaMA, Llama 2, Pythia, OLMo 2), 0.98 for fine-tuning (RoBERTa GLUE). "
                "PyTorch's default is 0.999, whose floor is 2000 steps: pass --beta2 0.999 if "
                "you keep it.",
        source="Brown et al. 2020, arXiv:2005.14165, App. B; Touvron et al. 2023, "
               "arXiv:2307.09288, §2.2; fairseq examples/roberta/README.glue.md",
        evidence="V-P / V-C.",
        cite="GPT-3 App. B; Llama 2 §2.2; RoBERTa GLUE (fairseq)",
    ),
    Basis(
        id="finetune-warmup-band",
        summary="Fine-tuning: 6% of the steps (RoBERTa's GLUE recipe), never above BERT's 10%; "
                "the HF Trainer default is 0. The optimizer floor 2/(1−β2) is not applied (it was "
                "measured from scratch); when it would ask for more, the conflict is reported "
                "(`untuned-floor-vs-finetune`).",
        source=f"{ROBERTA_FINETUNE}; {BERT_FINETUNE}; {HF_DEFAULT}; Lambert et al. 2024 "
               "(Tülu 3), arXiv:2411.15124, §4 (3%)",
        evidence="V-C for BERT, RoBERTa and the HF default, V-S for Tülu 3. A practice band, not "
                 "a published rule; an SFT study (arXiv:2412.13337) found 0–100 warmup steps made "
                 "no meaningful difference.",
        cite="RoBERTa GLUE 6%; BERT 10% at most; HF default 0",
        regimes=FINETUNE,
    ),
    Basis(
        id="peak-lr",
        summary="The peak is --peak-lr, or --base-lr scaled from --base-batch to --batch by the "
                "optimizer's scaling rule. Without either the spec is written with "
                "`peak_lr: {multiplier: 1.0}` (its rates are multipliers of your own peak, and "
                "trainer exports refuse it until --peak-lr is given) and the JSON says null.",
        source="your command line",
        evidence="—",
        cite="your command line",
    ),
    Basis(
        id="linear-scaling-sgd",
        summary="SGD: batch ×κ → peak ×κ. Shown for every optimizer when --base-lr is given; "
                "decides the peak for SGD. Pretraining only (`--base-lr` with `--regime finetune` "
                "is refused: give --peak-lr).",
        source="Goyal et al. 2017, arXiv:1706.02677, §2.1",
        evidence="V-S. Held up to ~8k images for ResNet-50, trained from scratch.",
        cite="Goyal et al. 2017 §2.1",
        regimes=PRETRAIN,
    ),
    Basis(
        id="sqrt-scaling-adam",
        summary="Adam-family and other adaptive optimizers: batch ×κ → peak ×√κ; for an exact "
                "match also 1−β1 → κ(1−β1), 1−β2 → κ(1−β2), ε → ε/√κ (shown, not applied: "
                "the written spec keeps your β2). Shown whenever --base-lr is given; decides "
                "the peak for adaptive optimizers.",
        source="Malladi et al. 2022, On the SDEs and Scaling Rules for Adaptive Gradient "
               "Algorithms, NeurIPS 2022, arXiv:2205.10287",
        evidence="V-P (abstract), full rule V-S. Applied to pretraining only: warmupctl's "
                 "sources hold no fine-tuning evidence for it. Valid while the batch stays below "
                 "the critical batch size; most LLM recipes scale only the rate. Derived for "
                 "Adam/RMSProp; applying it to Lion or Adafactor is an extrapolation.",
        cite="Malladi et al. 2022",
        regimes=PRETRAIN,
    ),
    Basis(
        id="gradual-warmup-from-base",
        summary="SGD scaled up from --base-lr: the warmup starts at the base rate and rises "
                "linearly to the scaled peak.",
        source="Goyal et al. 2017, arXiv:1706.02677, §2.2 (gradual warmup from η to kη)",
        evidence="V-S.",
        cite="Goyal et al. 2017 §2.2",
        regimes=PRETRAIN,
    ),
    Basis(
        id="final-lr",
        summary="Pretraining: cosine or linear decay to 10% of the peak; WSD cooldown to 0.",
        source="Hoffmann et al. 2022 (Chinchilla), arXiv:2203.15556, §4.1; GPT-3 "
               "arXiv:2005.14165 App. B; LLaMA arXiv:2302.13971 §2.3; OPT arXiv:2205.01068 §2.2; "
               "Hägele et al. 2024, arXiv:2405.18392, §3",
        evidence="V-P / V-S.",
        cite="Chinchilla §4.1; GPT-3; LLaMA; OPT; Hägele et al. 2024",
        regimes=PRETRAIN,
    ),
    Basis(
        id="finetune-final-lr",
        summary="Fine-tuning: linear or cosine decay to 0, as the BERT and RoBERTa GLUE recipes "
                "and the HF Trainer's schedules end.",
        source=f"{BERT_FINETUNE} (linear decay to 0); {ROBERTA_FINETUNE} (polynomial_decay, "
               f"linear to 0); {HF_DEFAULT}; transformers get_cosine_schedule_with_warmup (to 0)",
        evidence="V-C.",
        cite="BERT, RoBERTa GLUE; HF Trainer (to 0)",
        regimes=FINETUNE,
    ),
    Basis(
        id="decay-horizon-is-run",
        summary="The decay ends exactly at the last step: its horizon is the run minus the "
                "warmup.",
        source="Hoffmann et al. 2022 (Chinchilla), arXiv:2203.15556, App. B (pretraining); "
               "transformers get_linear_schedule_with_warmup (the fine-tuning default: 0 at the "
               "last step)",
        evidence="V-P (Chinchilla), V-C (HF).",
        cite="Chinchilla App. B; HF schedulers",
    ),
    Basis(
        id="wsd-cooldown",
        summary="Pretraining with --decay wsd (refused for fine-tuning): a 20% (1−sqrt) cooldown "
                "to 0. Hägele et al. found the best stable "
                "rate about half the best cosine peak; the peak you give is used as is.",
        source="Hägele et al. 2024, arXiv:2405.18392, §3; Hu et al. 2024 (MiniCPM), "
               "arXiv:2404.06395, §4",
        evidence="V-S.",
        cite="Hägele et al. 2024 §3; MiniCPM §4",
        regimes=PRETRAIN,
    ),
]
