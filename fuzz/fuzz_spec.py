"""Coverage-guided fuzzing of the spec reader and compiler with atheris.

Every input must either give a schedule whose rates are finite and ≥ 0, or raise a
WarmupctlError (which the CLI turns into exit 2). Anything else — another exception, a hang, a
runaway allocation — is a bug; atheris stops and writes the input as crash-* in the current
folder. Copy such inputs into tests/corpus/ so tests/test_corpus.py keeps them fixed.

    pip install atheris
    python fuzz/fuzz_spec.py tests/corpus -max_total_time=600 -rss_limit_mb=1024 -timeout=10

(The corpus folder both seeds the run and collects new interesting inputs.)
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import numpy as np

    from warmupctl import yamltext
    from warmupctl.errors import WarmupctlError
    from warmupctl.spec import parse

#: evaluating the whole curve of a 10^12-step schedule is not what is being fuzzed here
MAX_EVAL = 200_000


def check(text: str) -> None:
    try:
        data, positions = yamltext.load(text, "fuzz")
        schedule = parse(data, positions, "fuzz")
    except WarmupctlError:
        return
    n = schedule.total_steps
    if n <= MAX_EVAL:
        rates = schedule.curve()
    else:
        steps = np.unique(np.concatenate([
            np.linspace(0, n - 1, 1000).astype(np.int64),
            np.array([p.start for p in schedule.phases] + [n - 1], dtype=np.int64),
        ]))
        rates = schedule.at(steps)
    if not (np.all(np.isfinite(rates)) and np.all(rates >= 0)):
        bad = rates[~np.isfinite(rates) | (rates < 0)][:5]
        raise AssertionError(f"bad rates for {text!r}: {bad}")


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    check(text)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
