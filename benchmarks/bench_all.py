"""Every benchmark in one run, each printing ratios against a baseline measured in the same run.

    python benchmarks/bench_all.py            # the full set, 10^9-step exports included (~5 min)
    python benchmarks/bench_all.py --quick    # exports up to 10^7 steps only

Runs, in order: curve evaluation against bare NumPy and the libraries' schedulers
(bench_engine.py), start-up against the dependencies' import floor (bench_startup.py), export
throughput and peak memory by run length (bench_export.py), plotting 10^8 against 10^4 steps and
against bare matplotlib (bench_plot.py), `show`'s summary of long runs against the exact sum at
2^25 steps (bench_show.py), the training-loop adapters against HF's schedulers
(bench_adapters.py), every trainer export and import at 10^6 … 2^53 steps against the
10^6-step time (bench_bounds.py), the predicted update sizes against curve() (bench_updates.py),
restarts at any length (bench_restarts.py), and the update monitor's overhead on a ~10M-parameter
transformer (bench_monitor.py). Goals and the numbers from one machine are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="exports up to 10^7 steps only")
    args = ap.parse_args()
    runs = [
        ["bench_engine.py", "--steps", "1e7"],
        ["bench_startup.py", "--runs", "15"],
        ["bench_export.py", "--max", "1e7" if args.quick else "1e9"],
        ["bench_plot.py"],
        ["bench_show.py"],
        ["bench_adapters.py"],
        ["bench_updates.py", "--steps", "1e7"],
        ["bench_bounds.py", "--runs", "1" if args.quick else "3"],
        ["bench_restarts.py"],
        ["bench_monitor.py"],
    ]
    failed = []
    for script, *rest in runs:
        print(f"\n=== {script} {' '.join(rest)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / script), *rest]).returncode != 0:
            failed.append(script)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
