"""Start-up cost of `warmupctl show PRESET` against the bare import of its dependencies.

Both are measured here, in the same run, as the median of several fresh processes, so the ratio
holds on a noisy machine. Goal (issue #2): ratio ≤ 1.5.

    python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

#: byte-code is cached as an installed package would have it, even where the environment sets
#: PYTHONDONTWRITEBYTECODE (otherwise a source checkout is recompiled on every start)
CACHE = tempfile.mkdtemp(prefix="warmupctl-bench-pyc-")


def timed(cmd: list[str], runs: int) -> float:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": CACHE}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--preset", default="gpt3-small")
    args = ap.parse_args()
    py = sys.executable
    exe = shutil.which("warmupctl", path=os.path.dirname(py))
    cli = [exe] if exe else [py, "-m", "warmupctl"]
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "import typer, rich, numpy, yaml (floor)": [
            py, "-c", "import typer, rich, rich.console, rich.table, numpy, yaml"],
        f"warmupctl show {args.preset}": cli + ["show", args.preset],
        f"warmupctl lr {args.preset} 0": cli + ["lr", args.preset, "0"],
    }
    # warm the page cache and the byte-code cache once
    for cmd in cases.values():
        timed(cmd, 1)
    results = {name: timed(cmd, args.runs) for name, cmd in cases.items()}
    floor = results["import typer, rich, numpy, yaml (floor)"]
    print(f"median of {args.runs} runs each")
    for name, secs in results.items():
        print(f"  {name:45s} {secs * 1000:8.1f} ms   {secs / floor:5.2f}× floor")
    ratio = results[f"warmupctl show {args.preset}"] / floor
    print(f"show / floor = {ratio:.2f} (goal ≤ 1.5): {'OK' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
