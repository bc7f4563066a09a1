"""Fuzzing `warmupctl import -f hf|deepspeed|megatron` with generated and mutated configs.

Each case is a trainer config built from the fields the importers read, then mutated: values
swapped for other types (lists, mappings, text, booleans, null), hostile numbers (NaN, ±inf,
1e400, 5001-digit integers, 0, negatives, 2^53 ± 1, fractions), hostile text (control
characters, lone surrogates, quotes, 100k characters), alias bombs, nesting 10^5 deep, duplicate
keys, truncation and random bytes; written as JSON, YAML or a Megatron argument line. Every case
runs the real command (`warmupctl import FILE -f FMT -o OUT`, with ``--total`` for a third of
them, hostile values included) and must hold to the promises of docs/cli.md, "Security":

* exit with 0 or 2, never another code or an uncaught exception;
* on exit 2, print exactly one line on stderr, starting ``warmupctl: error:``, of at most 400
  characters;
* on exit 0, write a spec that loads back (``warmupctl.load``);
* finish within ``--case-timeout`` seconds and under the ``--memory`` limit (an address-space
  rlimit on the whole process).

Cases run in-process through Typer's test runner (fast); every ``--subprocess-every``-th case
also runs as a real ``warmupctl`` process with the same limits, so what the runner hides
(stdout/stderr handling, exit codes set by signals) is covered too. Failures are written to
``--out`` (input, command, output) and the run goes on.

    python fuzz/fuzz_import.py --minutes 10 --seed 1 --out fuzz/findings
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

FORMATS = ("hf", "deepspeed", "megatron")

HF_TYPES = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
            "constant_with_warmup", "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr",
            "cosine_warmup_with_min_lr", "warmup_stable_decay", "greedy", "SchedulerType.COSINE",
            "cosin", ""]
HF_KWARGS = ["num_cycles", "lr_end", "power", "timescale", "min_lr", "min_lr_rate",
             "min_lr_ratio", "num_stable_steps", "num_decay_steps", "warmup_type", "decay_type",
             "warmup_lr_rate"]
DS_TYPES = ["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "CosineAnnealingLR", "LinearLR",
            "ConstantLR", "MultiStepLR", "ExponentialLR", "PolynomialLR", "OneCycle", "LRRangeTest"]
DS_PARAMS = ["warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type",
             "total_num_steps", "warmup_min_ratio", "cos_min_ratio", "T_max", "eta_min",
             "start_factor", "end_factor", "total_iters", "factor", "milestones", "gamma", "power"]
MEGATRON = ["lr", "min_lr", "lr_decay_style", "lr_decay_iters", "lr_decay_samples",
            "lr_warmup_iters", "lr_warmup_samples", "lr_warmup_fraction", "lr_warmup_init",
            "train_iters", "train_samples", "global_batch_size", "lr_wsd_decay_style",
            "lr_wsd_decay_iters", "lr_wsd_decay_samples", "rampup_batch_size"]
STYLES = ["constant", "linear", "cosine", "inverse-square-root", "WSD", "exponential", "x"]

HOSTILE_TEXT = ['x"""; __import__("os").system("touch pwned"); """', "evil\\", "\\N{", "a\nb: 1",
                "\x00", "\x1b]0;title\x07", "\ud800x", "[/]", "'", "\"", "${HOME}", "$(id)",
                "`id`", "x" * 100_000, "é" * 1000, "--lr", "1e-3 --lr 5"]


def hostile_number(rng: random.Random) -> Any:
    return rng.choice([
        float("nan"), float("inf"), -float("inf"), "1e400", "-1e400",
        "1" + "0" * rng.choice([20, 100, 400, 5000]), 0, -1, -0.0, 2**53, 2**53 + 1, 2**63,
        2**64, 0.5, 1.5, 1e-320, 5e-324, 1e308, "auto", "3e-4", " 7 ", "0x10", "1_000",
        True, False, None, [], {}, [1, 2], {"a": 1}, rng.random(), rng.randint(-10, 10**7),
        rng.choice(HOSTILE_TEXT),
    ])


def number(rng: random.Random, lo: float = 0.0, hi: float = 1.0, integer: bool = False) -> Any:
    if rng.random() < 0.08:
        return hostile_number(rng)
    if integer:
        return rng.choice([rng.randint(int(lo), int(hi)), 10 ** rng.randint(0, 15),
                           rng.randint(0, 2**53)])
    return rng.uniform(lo, hi)


def hf_config(rng: random.Random) -> dict[str, Any]:
    cfg: dict[str, Any] = {"learning_rate": number(rng, 1e-6, 1e-2),
                           "lr_scheduler_type": rng.choice(HF_TYPES)}
    if rng.random() < 0.8:
        cfg["max_steps"] = number(rng, 1, 10**6, integer=True)
    if rng.random() < 0.6:
        cfg["warmup_steps"] = number(rng, 0, 5000, integer=rng.random() < 0.7)
    if rng.random() < 0.2:
        cfg["warmup_ratio"] = number(rng, 0, 0.5)
    if rng.random() < 0.6:
        kw = {k: number(rng, 0, 10, integer=k in ("timescale", "num_decay_steps",
                                                   "num_stable_steps"))
              for k in rng.sample(HF_KWARGS, rng.randint(0, 5))}
        for k in ("warmup_type", "decay_type"):
            if k in kw and rng.random() < 0.6:
                kw[k] = rng.choice(["linear", "cosine", "1-sqrt", "x"])
        cfg["lr_scheduler_kwargs"] = json.dumps(kw) if rng.random() < 0.3 else kw
    return cfg


DS_ARGS = {
    "WarmupLR": ["warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type"],
    "WarmupDecayLR": ["warmup_min_lr", "warmup_max_lr", "warmup_num_steps", "warmup_type",
                      "total_num_steps"],
    "WarmupCosineLR": ["total_num_steps", "warmup_min_ratio", "warmup_num_steps",
                       "cos_min_ratio", "warmup_type"],
    "CosineAnnealingLR": ["T_max", "eta_min"],
    "LinearLR": ["start_factor", "end_factor", "total_iters"],
    "ConstantLR": ["factor", "total_iters"],
    "MultiStepLR": ["milestones", "gamma"],
    "ExponentialLR": ["gamma"],
    "PolynomialLR": ["total_iters", "power"],
}


def ds_config(rng: random.Random) -> dict[str, Any]:
    typ = rng.choice(DS_TYPES)
    names = DS_ARGS.get(typ, DS_PARAMS)
    if rng.random() < 0.1:
        names = DS_PARAMS
    params = {k: number(rng, 0, 10**5, integer=k.endswith(("steps", "iters", "T_max")))
              for k in rng.sample(names, rng.randint(0, len(names)))}
    for key, lo, hi in (("gamma", 0.5, 1.0), ("start_factor", 0.01, 1.0), ("end_factor", 0.1, 1),
                        ("factor", 0.01, 1.0), ("warmup_min_ratio", 0, 1),
                        ("cos_min_ratio", 0, 1), ("eta_min", 0, 1e-4), ("power", 0.5, 3),
                        ("warmup_min_lr", 0, 1e-4), ("warmup_max_lr", 1e-4, 1e-2)):
        if key in params and rng.random() < 0.8:
            params[key] = rng.uniform(lo, hi)
    if "milestones" in params and rng.random() < 0.7:
        params["milestones"] = sorted(rng.randint(0, 10**5) for _ in range(rng.randint(0, 5)))
    if "warmup_type" in params and rng.random() < 0.7:
        params["warmup_type"] = rng.choice(["linear", "linear", "log"])
    cfg: dict[str, Any] = {"scheduler": {"type": typ, "params": params}}
    if rng.random() < 0.9:
        cfg["optimizer"] = {"type": "AdamW", "params": {"lr": number(rng, 1e-6, 1e-2)}}
    return cfg


def megatron_config(rng: random.Random) -> dict[str, Any]:
    cfg: dict[str, Any] = {"lr": number(rng, 1e-5, 1e-3), "train_iters": number(rng, 1, 10**6,
                                                                                integer=True)}
    optional = [k for k in MEGATRON if k not in cfg]
    for key in rng.sample(optional, rng.randint(0, 6)):
        if key == "rampup_batch_size" and rng.random() < 0.8:
            continue
        if key.endswith("style"):
            cfg[key] = rng.choice(STYLES)
        elif key in ("min_lr", "lr_warmup_init"):
            cfg[key] = number(rng, 0, 1e-5)
        elif key == "lr_warmup_fraction":
            cfg[key] = number(rng, 0, 0.2)
        else:
            cfg[key] = number(rng, 1, 10**6, integer=True)
    if rng.random() < 0.1:
        cfg.pop("lr")
    return cfg


def total_flag(rng: random.Random) -> list[str]:
    """``--total`` for a third of the cases (DeepSpeed's torch classes need it)."""
    if rng.random() < 0.65:
        return []
    value = rng.choice([str(rng.randint(1, 10**6)), "100k", "1.2M", str(2**53), str(2**53 + 1),
                        "1e400", "0", "-5", "1.5", "x", "1" + "0" * 400, "1e12", "2%"])
    return ["--total", value]


def mutate(rng: random.Random, data: Any, depth: int = 0) -> Any:
    """Swap a random value somewhere in ``data`` for something hostile."""
    if isinstance(data, dict) and data and depth < 4:
        key = rng.choice(list(data))
        data = dict(data)
        roll = rng.random()
        if roll < 0.5:
            data[key] = mutate(rng, data[key], depth + 1)
        elif roll < 0.7:
            data[key] = hostile_number(rng)
        elif roll < 0.8:
            data[rng.choice(HOSTILE_TEXT)[:200]] = data.pop(key)
        elif roll < 0.9:
            del data[key]
        else:
            data[key + "_"] = data[key]  # a near miss
        return data
    return hostile_number(rng)


def bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def to_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=rng_flow[0])


rng_flow = [False]


def to_args(cfg: Any) -> str:
    import shlex

    if not isinstance(cfg, dict):
        return f"--lr {shlex.quote(str(cfg))}\n"
    parts = []
    for k, v in cfg.items():
        flag = "--" + str(k).replace("_", "-")
        parts.append(flag if v is True else f"{flag} {shlex.quote(str(v))}")
    return " \\\n  ".join(["torchrun pretrain_gpt.py", *parts]) + "\n"


def render(rng: random.Random, fmt: str) -> str:
    """One config text for ``fmt``, possibly hostile."""
    roll = rng.random()
    if roll < 0.04:
        return bomb(rng.randint(3, 10)) + "learning_rate: 3.0e-4\nmax_steps: 1000\nlr: 3.0e-4\n"
    if roll < 0.08:
        n = rng.choice([65, 100, 3000, 100_000])
        return rng.choice(["[" * n + "]" * n, '{"a": ' * n + "1" + "}" * n, "- " * n + "x\n",
                          "a: " + "[" * n + "\n", "[" * n])
    if roll < 0.10:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 400))).decode(
            "utf-8", "replace")
    data = {"hf": hf_config, "deepspeed": ds_config, "megatron": megatron_config}[fmt](rng)
    for _ in range(rng.choice([0, 0, 0, 0, 1, 1, 2, 3])):
        data = mutate(rng, data)
    if fmt == "megatron" and rng.random() < 0.6:
        text = to_args(data)
    elif rng.random() < 0.5:
        text = json.dumps(data, allow_nan=True)
    else:
        rng_flow[0] = rng.random() < 0.3
        try:
            text = to_yaml(data)
        except Exception:  # noqa: BLE001 - a surrogate PyYAML cannot write: use JSON
            text = json.dumps(data, allow_nan=True)
    if rng.random() < 0.05:
        text = text[: rng.randint(0, len(text))]  # truncated
    if rng.random() < 0.05 and text.lstrip().startswith("{"):
        text = text.replace("{", '{"learning_rate": 1, ', 1)  # a duplicate key, maybe
    return text


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout


def check_result(code: int, stderr: str, out: Path) -> str | None:
    """What is wrong with a run, or None."""
    if code not in (0, 2):
        return f"exit code {code}"
    if "Traceback" in stderr:
        return "a traceback"
    if code == 2:
        lines = stderr.strip().splitlines()
        errors = [ln for ln in lines if ln.startswith("warmupctl: error:")]
        if len(errors) != 1 or lines[-1] != errors[0]:
            return f"{len(lines)} stderr lines, {len(errors)} error lines"
        if any(not ln.startswith("warmupctl:") for ln in lines):
            return "a stderr line that is not a warmupctl message"
        if len(errors[0]) > 400:
            return f"an error line of {len(errors[0]):,} characters"
        return None
    import warmupctl

    try:
        warmupctl.load(str(out))
    except Exception as exc:  # noqa: BLE001 - anything here is a finding
        return f"the written spec does not load: {type(exc).__name__}: {exc}"[:300]
    return None


def run_in_process(runner: Any, app: Any, cfg: Path, fmt: str, out: Path,
                   timeout: float, extra: list[str]) -> tuple[int, str]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = runner.invoke(app, ["import", str(cfg), "-f", fmt, "-o", str(out), *extra],
                               env={"NO_COLOR": "1", "COLUMNS": "200"})
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        if isinstance(result.exception, CaseTimeout):
            return -1, "timeout"
        tb = "".join(traceback.format_exception(result.exception))
        return 1, "Traceback (in process)\n" + tb
    return result.exit_code, result.stderr


def run_subprocess(cfg: Path, fmt: str, out: Path, timeout: float, memory: int,
                   extra: list[str]) -> tuple[int, str]:
    exe = shutil.which("warmupctl", path=os.path.dirname(sys.executable))
    cmd = ([exe] if exe else [sys.executable, "-m", "warmupctl"]) + [
        "import", str(cfg), "-f", fmt, "-o", str(out), *extra]

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=limit, env={**os.environ, "NO_COLOR": "1"})
    except subprocess.TimeoutExpired:
        return -1, "timeout"
    return proc.returncode, proc.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--cases", type=int, default=0, help="stop after this many (0: no limit)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="fuzz/findings", help="folder for failing inputs")
    ap.add_argument("--case-timeout", type=float, default=20.0, help="seconds per case")
    ap.add_argument("--memory", type=int, default=2048, help="address-space limit, MB")
    ap.add_argument("--subprocess-every", type=int, default=25)
    args = ap.parse_args()

    memory = args.memory << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from typer.testing import CliRunner

    from warmupctl.cli import app

    runner = CliRunner()
    rng = random.Random(args.seed)
    findings = Path(args.out)
    start = time.monotonic()
    stop = start + args.minutes * 60
    counts = {"cases": 0, "exit 0": 0, "exit 2": 0, "subprocess": 0, "findings": 0}
    slowest = (0.0, "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        while time.monotonic() < stop and (not args.cases or counts["cases"] < args.cases):
            fmt = rng.choice(FORMATS)
            text = render(rng, fmt)
            extra = total_flag(rng)
            cfg = folder / rng.choice(["cfg.json", "cfg.yaml", "args.sh", "cfg"])
            cfg.write_text(text, encoding="utf-8", errors="surrogatepass")
            out = folder / "spec.yaml"
            out.unlink(missing_ok=True)
            sub = args.subprocess_every and counts["cases"] % args.subprocess_every == 0
            t0 = time.monotonic()
            if sub:
                code, err = run_subprocess(cfg, fmt, out, args.case_timeout, memory, extra)
                counts["subprocess"] += 1
            else:
                try:
                    code, err = run_in_process(runner, app, cfg, fmt, out, args.case_timeout,
                                               extra)
                except MemoryError:
                    code, err = 1, "MemoryError"
            took = time.monotonic() - t0
            if took > slowest[0]:
                slowest = (took, f"{fmt} {len(text):,} characters: {text[:60]!r}")
            counts["cases"] += 1
            counts[f"exit {code}"] = counts.get(f"exit {code}", 0) + 1
            problem = "timeout" if code == -1 else check_result(code, err, out)
            if problem:
                counts["findings"] += 1
                findings.mkdir(parents=True, exist_ok=True)
                name = findings / f"{fmt}-{args.seed}-{counts['cases']}"
                Path(f"{name}.input").write_text(text, encoding="utf-8", errors="surrogatepass")
                Path(f"{name}.txt").write_text(
                    f"format: {fmt}\nproblem: {problem}\nsubprocess: {bool(sub)}\n"
                    f"arguments: {extra}\n"
                    f"exit: {code}\nstderr:\n{err[-5000:]}\n", encoding="utf-8",
                    errors="backslashreplace")
                print(f"FINDING {name}: {problem}", flush=True)
    minutes = (time.monotonic() - start) / 60
    print(f"{counts['cases']:,} cases in {minutes:.1f} min (seed {args.seed}): "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "cases"))
    print(f"slowest case: {slowest[0]:.2f} s ({slowest[1]})")
    raise SystemExit(1 if counts["findings"] else 0)


if __name__ == "__main__":
    main()
