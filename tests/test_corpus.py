"""Replays the fuzz corpus (tests/corpus/): every input is a sane schedule or a clean spec error.

New inputs found by `python fuzz/fuzz_spec.py tests/corpus ...` land in the same folder, so each
crash the long fuzz run finds becomes a regression test here.
"""

from pathlib import Path

import numpy as np
import pytest

from warmupctl import yamltext
from warmupctl.errors import WarmupctlError
from warmupctl.spec import parse

#: the spec inputs (tests/corpus/hostile/ holds strings for the code generators:
#: tests/test_codegen_hostile.py)
CORPUS = sorted(p for p in (Path(__file__).parent / "corpus").iterdir() if p.is_file())


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_input(path):
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        data, positions = yamltext.load(text, path.name)
        schedule = parse(data, positions, path.name)
    except WarmupctlError:
        return
    n = schedule.total_steps
    steps = np.unique(np.concatenate([
        np.linspace(0, n - 1, 2000).astype(np.int64),
        np.array([p.start for p in schedule.phases] + [n - 1], dtype=np.int64),
    ]))
    rates = schedule.at(steps)
    assert np.all(np.isfinite(rates)), path.name
    assert np.all(rates >= 0), path.name
