"""How long the warmup is: none at all, very short, the folk 1–5% band, very long.

The folk rules (the seed article's "1–5% of steps" and "under 0.5% frequently produces loss
spikes") are reported as information next to the published runs that contradict them, never as a
verdict. The fractions are derived from each paper's warmup and total (steps or tokens).
"""

from __future__ import annotations

from collections.abc import Iterator

from ._core import (
    FINETUNE,
    PRETRAIN,
    Facts,
    Rule,
    is_adam_family,
    is_adaptive,
    is_radam,
    pct,
    steps,
    untuned_warmup,
)

FAMILY = "warmup length"

#: §1.7: stable published pretraining runs below 0.5% warmup (fraction of steps, or of tokens)
COUNTER_EVIDENCE = ("GPT-3 0.125% of tokens, OLMo 2 7B 0.22%, nanoGPT 124M 0.33%, "
                    "Llama 2 0.40%")
SEED = "Marovi AI wiki, 'Learning Rate Warmup', Practical considerations"
COUNTER_SOURCES = ("GPT-3 arXiv:2005.14165 Table 2.1; OLMo 2 OLMo2-7B-stage1.yaml and "
                   "arXiv:2501.00656 Table 3; nanoGPT train.py; Llama 2 arXiv:2307.09288 §2.2")


def _needs_architecture(f: Facts) -> tuple[str, ...]:
    return ("training.architecture",) if f.warmup == 0 and f.architecture is None else ()


def _needs_optimizer(f: Facts) -> tuple[str, ...]:
    return ("training.optimizer",) if f.warmup == 0 and f.optimizer is None else ()


def _no_warmup_post_ln(f: Facts) -> Iterator[str]:
    if f.warmup == 0 and f.architecture == "post-ln" and f.pretraining:
        yield (f"No warmup on a Post-LN transformer: the first step already uses the peak "
               f"{f.peak:g}. Xiong et al. 2020 show Post-LN has large gradients near the output "
               f"at initialization; without warmup Adam reached BLEU 8.45 instead of ~34 on "
               f"IWSLT14. Use a warmup (the Transformer's 4000 linear steps, or "
               f"{pct(0.02)} = {steps(-(-f.total * 2 // 100))} of this run) or switch to Pre-LN.")


def _no_warmup_adaptive(f: Facts) -> Iterator[str]:
    opt = f.optimizer
    if (f.warmup or not f.pretraining or not is_adaptive(opt) or is_radam(opt)
            or f.architecture == "post-ln"):
        return
    floor = ""
    if is_adam_family(opt) and f.beta2 is not None:
        floor = (f" The untuned minimum for β2={f.beta2:g} is 2/(1−β2) = "
                 f"{untuned_warmup(f.beta2)} steps (Ma & Yarats 2019).")
    yield (f"No warmup with {opt}: the first updates run at the full peak {f.peak:g} while the "
           f"optimizer's statistics rest on a handful of gradients and early updates are "
           f"largest. Kosson et al. 2024 found that training GPT-2 without warmup leaves a lasting "
           f"loss gap that even a short warmup removes.{floor}")


def _no_warmup_pre_ln(f: Facts) -> Iterator[str]:
    if (f.warmup == 0 and f.architecture == "pre-ln" and f.pretraining
            and not is_adaptive(f.optimizer)):
        yield ("No warmup on a Pre-LN transformer: Xiong et al. 2020 trained Pre-LN models "
               "without warmup and matched their baselines, so this is allowed; most Pre-LN LLMs "
               "still warm up (LLaMA, Llama 2 and OLMo 2 use 2000 steps).")


def _no_warmup_finetune(f: Facts) -> Iterator[str]:
    if f.warmup == 0 and not f.pretraining:
        yield (f"No warmup for fine-tuning ({steps(f.total)}). This is the Hugging Face Trainer "
               "default and an SFT study found 0, 25 or 100 warmup steps made no meaningful "
               "difference; the BERT and RoBERTa GLUE recipes warm up for 10% and 6% of steps.")


def _very_short(f: Facts) -> Iterator[str]:
    if f.pretraining and 0 < f.fraction < 0.001:
        yield (f"Warmup is {steps(f.warmup)}{_tok(f)}, {pct(f.fraction)} of "
               f"{steps(f.total)}: shorter than any published pretraining run warmupctl knows of "
               f"(the shortest is GPT-3 at 0.125% of tokens). OLMo 2 built its loss-spike "
               f"baseline mainly by shortening warmup.")


def _folk_spikes(f: Facts) -> Iterator[str]:
    if f.transformer_pretraining and 0 < f.fraction < 0.005:
        yield (f"Warmup is {pct(f.fraction)} of the run ({steps(f.warmup)}). A folk rule (a "
               f"wiki, citing no study) says warmups under 0.5% 'frequently produce loss "
               f"spikes'; this is not a published threshold: {COUNTER_EVIDENCE} all trained "
               f"stably below it. Compare "
               f"instead with 2/(1−β2), the peak rate, the architecture and the batch size.")


def _folk_band(f: Facts) -> Iterator[str]:
    if f.transformer_pretraining and (0.005 <= f.fraction < 0.01 or 0.05 < f.fraction <= 0.10):
        side = "below" if f.fraction < 0.01 else "above"
        yield (f"Warmup is {pct(f.fraction)} of the run ({steps(f.warmup)}), {side} the "
               f"'1–5% of steps' folk rule often quoted for transformer pretraining. That band "
               f"is a convention, not a finding: stable published runs range from 0.125% "
               f"(GPT-3) to about 11% (ViT from scratch on ImageNet); LLaMA 7B used 0.8%, "
               f"Llama 3 405B 0.67%, RoBERTa-large 6%.")


def _long(f: Facts) -> Iterator[str]:
    if f.fraction > 0.10 and not f.pretraining:
        yield (f"Warmup is {pct(f.fraction)} of the fine-tune ({steps(f.warmup)} of "
               f"{steps(f.total)}): above published fine-tuning practice (BERT's GLUE recipe "
               f"10%, RoBERTa's 6%, Tülu 3 3%, the HF Trainer default 0). Those steps run below "
               f"the peak; 6% of this run is {steps(-(-f.total * 6 // 100))}.")
    elif f.fraction > 0.10:
        yield (f"Warmup is {pct(f.fraction)} of the run ({steps(f.warmup)} of "
               f"{steps(f.total)}): longer than the published runs warmupctl knows of (the "
               f"longest are ViT from scratch on ImageNet at 10.7% and BERT's 10% fine-tuning "
               f"warmup). Those steps run below the peak; fine if intended (e.g. Kosson et al. "
               f"2024 sweep up to 20%).")


def _tok(f: Facts) -> str:
    from ._core import tokens_note

    return tokens_note(f, f.warmup)


RULES = [
    Rule(
        id="no-warmup-post-ln",
        severity="error",
        family=FAMILY,
        summary="Pretraining a Post-LN transformer (`training.architecture: post-ln`) with no "
                "warmup.",
        source="Xiong et al. 2020, On Layer Normalization in the Transformer Architecture, "
               "ICML 2020, arXiv:2002.04745, §3.2 and Fig. 2",
        evidence="V-P (abstract); the IWSLT14 numbers (BLEU 8.45 without warmup vs ~34 with) V-S. "
                 "Not applied with `regime: finetune` (the analysis is about initialization).",
        check=_no_warmup_post_ln,
        regimes=PRETRAIN,
        needs=_needs_architecture,
        cite="Xiong et al. 2020 §3.2, Fig. 2",
    ),
    Rule(
        id="no-warmup-adaptive",
        severity="warning",
        family=FAMILY,
        summary="Pretraining with an adaptive optimizer (Adam family, Adafactor, Lion, RMSProp…) "
                "and no warmup. RAdam is exempt (see `radam-implied-warmup`).",
        source="Kosson et al. 2024, Analyzing & Reducing the Need for Learning Rate Warmup in GPT "
               "Training, NeurIPS 2024, arXiv:2410.23922 (no-warmup runs); Ma & Yarats 2019, "
               "arXiv:1910.04209, §5; Liu et al. 2019 (RAdam), arXiv:1908.03265",
        evidence="V-P (abstracts) and V-S (Kosson's 'permanent gap' wording). Evidence is for "
                 "training from scratch; Pre-LN models can train without warmup (Xiong et al.), "
                 "so this is a warning, not an error.",
        check=_no_warmup_adaptive,
        regimes=PRETRAIN,
        needs=_needs_optimizer,
        cite="Kosson et al. 2024; Ma & Yarats 2019 §5",
    ),
    Rule(
        id="no-warmup-pre-ln",
        severity="info",
        family=FAMILY,
        summary="Pretraining a Pre-LN transformer with no warmup and an optimizer that is not "
                "known to be adaptive (otherwise `no-warmup-adaptive` applies).",
        source="Xiong et al. 2020, arXiv:2002.04745, abstract and §3; LLaMA arXiv:2302.13971 "
               "§2.3; Llama 2 arXiv:2307.09288 §2.2; OLMo 2 arXiv:2501.00656 Table 3",
        evidence="V-P.",
        check=_no_warmup_pre_ln,
        regimes=PRETRAIN,
        needs=_needs_architecture,
        cite="Xiong et al. 2020; LLaMA; Llama 2; OLMo 2",
    ),
    Rule(
        id="no-warmup-finetune",
        severity="info",
        family=FAMILY,
        summary="Fine-tuning (`regime: finetune`) with no warmup.",
        source="huggingface/transformers TrainingArguments (warmup_steps=0; warmup_ratio=0 "
               "before transformers 5); arXiv:2412.13337 "
               "(SFT study); google-research/bert run_classifier.py (warmup_proportion=0.1); "
               "fairseq examples/roberta/README.glue.md (6%)",
        evidence="V-C for the defaults and recipes; V-S for the SFT study.",
        check=_no_warmup_finetune,
        regimes=FINETUNE,
        cite="HF Trainer defaults; BERT and RoBERTa GLUE recipes",
    ),
    Rule(
        id="very-short-warmup",
        severity="warning",
        family=FAMILY,
        summary="Pretraining warmup above 0 but under 0.1% of the steps — shorter than every "
                "published pretraining run warmupctl knows of (GPT-3: 0.125%).",
        source="GPT-3, arXiv:2005.14165, Table 2.1 (375M of "
               "300B tokens); OLMo 2, arXiv:2501.00656, §3.2 (spike baseline by shorter warmup)",
        evidence="V-P for GPT-3; V-S for OLMo 2's spike baseline. The 0.1% line is the edge of "
                 "the published evidence, not a measured threshold.",
        check=_very_short,
        regimes=PRETRAIN,
        cite="GPT-3 Table 2.1; OLMo 2 §3.2",
    ),
    Rule(
        id="folk-short-warmup-spikes",
        severity="info",
        family=FAMILY,
        summary="Transformer pretraining (`architecture` not `other`) with a warmup under 0.5% "
                "of the steps, which a common guideline says "
                "'frequently produces loss spikes'. Reported with the counter-evidence.",
        source=f"Claim: {SEED}. Counter-evidence: {COUNTER_SOURCES}",
        evidence="The claim has no cited source. GPT-3 (0.125% of tokens), OLMo 2 7B (0.22%), "
                 "nanoGPT (0.33%) and Llama 2 (0.40%) trained stably below 0.5% (V-P/V-C inputs, "
                 "derived fractions).",
        check=_folk_spikes,
        regimes=PRETRAIN,
        cite="folk rule (Marovi AI wiki); against it: GPT-3, OLMo 2, nanoGPT, Llama 2",
    ),
    Rule(
        id="folk-warmup-band",
        severity="info",
        family=FAMILY,
        summary="Transformer pretraining (`architecture` not `other`) with a warmup between "
                "0.5% and 1%, or between 5% and 10%, of the steps: "
                "outside the often-quoted '1–5%' band. Reported with the counter-evidence.",
        source=f"Claim: {SEED}. Counter-evidence: {COUNTER_SOURCES}; ViT arXiv:2010.11929 "
               "App. B.1 Table 3; LLaMA arXiv:2302.13971 §2.3; Llama 3 arXiv:2407.21783 §3.4.1",
        evidence="The band has no cited source; published stable runs span 0.125%–10.7% "
                 "(derived from V-P/V-C numbers).",
        check=_folk_band,
        regimes=PRETRAIN,
        cite="folk rule (Marovi AI wiki); against it: GPT-3, OLMo 2, ViT, LLaMA, Llama 3",
    ),
    Rule(
        id="long-warmup",
        severity="info",
        family=FAMILY,
        summary="Warmup longer than 10% of the run (for a fine-tune, the message compares it "
                "with the fine-tuning recipes: BERT 10%, RoBERTa 6%, HF Trainer 0).",
        source="ViT, arXiv:2010.11929, App. B.1 Table 3 "
               "(10k of ~93.8k steps); BERT GLUE run_classifier.py (10%); Kosson et al. 2024, "
               "arXiv:2410.23922 (0–20% sweep)",
        evidence="V-P/V-C inputs; the fractions are derived.",
        check=_long,
        cite="ViT App. B.1; BERT GLUE; RoBERTa GLUE; Kosson et al. 2024",
    ),
]
