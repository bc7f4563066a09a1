"""UpdateCallback in a real Hugging Face Trainer run (a 2-layer GPT-2 built from a config, CPU).

A second callback of the test's own takes snapshots of the parameters on the trainer's
``on_pre_optimizer_step`` / ``on_optimizer_step`` events; the log must agree with them.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from warmupctl.monitor.hf import UpdateCallback  # noqa: E402


class Snapshots(transformers.TrainerCallback):
    def __init__(self) -> None:
        self.record: list[tuple[float, dict, dict]] = []
        self._before: dict = {}
        self._lr = 0.0

    def _snap(self, model) -> dict:
        return {n: p.detach().double().numpy().copy() for n, p in model.named_parameters()
                if p.dim() >= 2}

    def on_pre_optimizer_step(self, args, state, control, model=None, optimizer=None, **kw):
        self._before = self._snap(model)
        self._lr = optimizer.param_groups[0]["lr"]

    def on_optimizer_step(self, args, state, control, model=None, **kw):
        self.record.append((self._lr, self._before, self._snap(model)))


def test_trainer_run_matches_own_snapshots(tmp_path):
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=61,
                                     n_positions=16)
    model = transformers.GPT2LMHeadModel(config)
    g = torch.Generator().manual_seed(0)
    data = [{"input_ids": ids, "labels": ids}
            for ids in torch.randint(0, 61, (24, 16), generator=g)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=5, per_device_train_batch_size=2,
        gradient_accumulation_steps=2, learning_rate=3e-3, warmup_steps=3, weight_decay=0.1,
        adam_beta2=0.95, report_to=[], use_cpu=True, save_strategy="no", logging_strategy="no",
        disable_tqdm=True, seed=0,
    )
    snaps = Snapshots()
    path = tmp_path / "u.jsonl"
    trainer = transformers.Trainer(model=model, args=args, train_dataset=data,
                                   callbacks=[UpdateCallback(path, every=2), snaps])
    trainer.train()
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    header, body = lines[0], lines[1:]
    names = [x["name"] for x in header["layers"]]
    assert names == list(snaps.record[0][1])
    assert "transformer.wte.weight" in names and "lm_head.weight" not in names  # tied: once
    assert header["optimizer"]["type"] == "AdamW"
    assert header["optimizer"]["weight_decay"] == 0.1
    assert header["optimizer"]["betas"] == [0.9, 0.95]
    # one line per optimizer step (5 steps of 2 micro-batches), every 2nd from step 0
    assert [x["step"] for x in body] == [0, 2, 4]
    assert body[0]["lr"] == 0.0 and body[1]["lr"] == pytest.approx(2e-3)  # HF's linear warmup
    for line in body:
        lr, before, after = snaps.record[line["step"]]
        assert line["lr"] == lr
        for i, name in enumerate(names):
            a, b = before[name], after[name]
            if line["step"] == 0:  # rate 0: nothing moves
                assert line["l2"][i] == 0.0 and line["angle"][i] == 0.0
                continue
            cos = np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b))
            assert line["angle"][i] == pytest.approx(math.acos(min(cos, 1.0)), rel=1e-6)
            assert line["l2"][i] == pytest.approx(np.linalg.norm(b - a), rel=1e-6)
