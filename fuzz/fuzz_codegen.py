"""Fuzzing the code generators: hostile names and descriptions must never become code.

Each input becomes the ``name`` and ``description`` of a schedule (one of several shapes, so every
way of writing a file is reached), which is exported with ``-f torch``, ``-f optax`` and
``-f keras``. Every file must pass ``ast.parse``, carry the marker payload only inside ``#``
comments, and — run as a script in a subprocess whose working folder is a fresh temporary folder
— exit 0 without creating the marker file the payloads would create. Anything else is a bug: the
input is written as crash-* in the current folder; copy it (as a JSON string) into
tests/corpus/hostile/ so tests/test_codegen_hostile.py keeps it fixed.

    python fuzz/fuzz_codegen.py --seconds 600            # random mode (no extra dependency)
    python fuzz/fuzz_codegen.py tests/corpus/hostile -max_total_time=600   # with atheris

Random mode draws strings from fragments known to break naive code generation (quotes of both
kinds, backslashes with escape letters, line breaks of every Unicode kind, C0/C1 controls, lone
surrogates, format braces, the payload) mixed with random code points. The subprocess runs are
batched (one interpreter per framework for ``--batch`` files), because importing torch, jax and
keras costs seconds.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKER = "FUZZ_MARKER"
PAYLOAD = f"open({MARKER!r}, 'w').close()"
FRAGMENTS = [
    '"""', "'''", '"', "'", "\\", "\\N{", "\\x", "\\u12", "\\U0001", "\n", "\r", "\r\n", "\x00",
    "\x0b", "\x0c", "\x1b]0;t\x07", "\x1b[31m", "\x85", "\u2028", "\u2029", "\ud800", "\udfff",
    "\ufeff", "{", "}", "{0}", "{step!r}", "%s", "%(x)s", "#", "# ", ";", ":", "\t", "f'",
    "import os", "__import__('os').system('true')", PAYLOAD, "); ", '"""; ', "\\\n", "é", "💥",
]
SPECS = [
    {"total": 300, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "10%"},
     "decay": {"shape": "cosine", "final_lr": "10%"}},
    {"total": 300, "peak_lr": 1e-3,
     "warmup": {"shape": "linear", "length": 30, "start_lr": "10%"},
     "decay": {"shape": "linear", "final_lr": 0}},
    {"total": 400, "peak_lr": 1e-3, "warmup": {"shape": "cosine", "length": 40},
     "decay": {"shape": "wsd", "cooldown": "20%", "cooldown_shape": "1-sqrt"}},
    {"total": 500, "peak_lr": 1e-3, "warmup": {"shape": "linear", "length": 10},
     "decay": {"shape": "cosine_restarts", "period": 3}},
]
RUNNER = """
import runpy, sys
for path in sys.argv[1:]:
    runpy.run_path(path, run_name="__main__")
"""


def hostile(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.7:
            parts.append(rng.choice(FRAGMENTS))
        elif r < 0.9:
            parts.append(chr(rng.randint(0, 0x2FF)))
        else:
            parts.append(chr(rng.randint(0, 0x10FFFF)))
    if rng.random() < 0.02:
        parts.append("A" * rng.randint(1000, 200_000))
    return "".join(parts)


def strings(tree: ast.AST) -> list[str]:
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


class Checker:
    """Generates, parses and (in batches) runs the files for each input."""

    def __init__(self, batch: int) -> None:
        from warmupctl import interop

        self.interop = interop
        self.batch = batch
        self.pending: dict[str, list[tuple[str, str]]] = {"torch": [], "optax": [], "keras": []}
        self.stats = {"inputs": 0, "files": 0, "runs": 0, "run_files": 0}
        self.tmp = Path(tempfile.mkdtemp(prefix="fuzz_codegen_"))

    def check(self, text: str) -> None:
        from warmupctl import load
        from warmupctl.engine import Schedule

        self.stats["inputs"] += 1
        spec = SPECS[self.stats["inputs"] % len(SPECS)]
        base = load(spec)
        s = Schedule(base.total_steps, list(base.phases), name=text,
                     meta={"description": text})
        benign = Schedule(base.total_steps, list(base.phases), name="x",
                          meta={"description": "x"})
        for target in self.pending:
            src = self.interop.export(s, target).text
            tree = ast.parse(src)  # raises on a file that does not parse
            # the spec text changes no string of the file (it is only ever in comments)
            ref = ast.parse(self.interop.export(benign, target).text)
            if strings(tree) != strings(ref):
                raise AssertionError(f"spec text changed a string constant ({target})")
            for line in src.splitlines():
                if MARKER in line.split("#", 1)[0]:
                    raise AssertionError(f"payload outside a comment ({target}): {line[:120]}")
            src.encode("utf-8")
            self.stats["files"] += 1
            self.pending[target].append((text, src))
            if len(self.pending[target]) >= self.batch:
                self.run(target)

    def run(self, target: str) -> None:
        files = self.pending[target]
        self.pending[target] = []
        if not files:
            return
        folder = Path(tempfile.mkdtemp(dir=self.tmp))
        paths = []
        for k, (_, src) in enumerate(files):
            p = folder / f"gen_{k}.py"
            p.write_text(src, encoding="utf-8")
            paths.append(str(p))
        env = {**os.environ, "KERAS_BACKEND": "torch", "JAX_PLATFORMS": "cpu"}
        proc = subprocess.run([sys.executable, "-c", RUNNER, *paths], cwd=folder, env=env,
                              capture_output=True, text=True, timeout=600)
        self.stats["runs"] += 1
        self.stats["run_files"] += len(paths)
        if proc.returncode != 0 or (folder / MARKER).exists():
            names = [t for t, _ in files]
            crash = Path(f"crash-codegen-{int(time.time())}.json")
            crash.write_text(json.dumps(names, ensure_ascii=True))
            raise AssertionError(f"{target}: exit {proc.returncode}, marker "
                                 f"{(folder / MARKER).exists()}; inputs in {crash}\n"
                                 f"{proc.stderr[-2000:]}")
        for p in paths:
            os.unlink(p)

    def flush(self) -> None:
        for target in self.pending:
            self.run(target)


def random_mode(seconds: float, seed: int, batch: int) -> None:
    rng = random.Random(seed)
    checker = Checker(batch)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        text = hostile(rng)
        try:
            checker.check(text)
        except Exception:
            Path(f"crash-codegen-{seed}-{checker.stats['inputs']}.json").write_text(
                json.dumps(text, ensure_ascii=True))
            raise
    checker.flush()
    took = time.monotonic() - start
    shutil.rmtree(checker.tmp, ignore_errors=True)
    # reaching this line means every input passed (a failure raises above)
    print(json.dumps({**checker.stats, "seconds": round(took, 1), "seed": seed,
                      "failures": 0}))


def atheris_mode(argv: list[str]) -> None:  # pragma: no cover - needs atheris
    import atheris

    checker = Checker(batch=50)

    def one(data: bytes) -> None:
        checker.check(data.decode("utf-8", errors="surrogateescape"))

    atheris.Setup(argv, one)
    atheris.Fuzz()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="random mode, this long")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=100, help="files per subprocess run")
    args, rest = parser.parse_known_args()
    if args.seconds is not None:
        random_mode(args.seconds, args.seed, args.batch)
    else:
        atheris_mode([sys.argv[0], *rest])


if __name__ == "__main__":
    main()
