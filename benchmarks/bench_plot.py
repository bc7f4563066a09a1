"""How much plotting costs: a huge schedule against a small one, and the CLI against matplotlib.

Run:  python benchmarks/bench_plot.py  [--repeat N] [--check]

1. In one process, with everything imported: the wall time of drawing and saving (PNG, atomic
   write) a 10^8-step schedule divided by the same for a 10^4-step one. Goal ≤ 1.5: the curve is
   reduced to pixel columns before matplotlib sees it, and monotone phases are not scanned.
   Also shown, for information: a 10^8-step cosine with restarts (monotone within each cycle, so
   also not scanned), and what reducing the 10^8-step curve would cost if every step were
   evaluated (``method="scan"``, the path taken for shapes with no known monotone pieces).
2. Fresh processes: ``warmupctl plot -q -o FILE.png`` (the default schedule) divided by
   ``python -c "import matplotlib.figure; Figure(...).savefig(FILE.png)"`` (an empty figure of the
   same size and resolution) — the unavoidable cost of matplotlib. Goal ≤ 1.3. Both run with
   compiled bytecode cached, as after ``pip install``.

Each time is the best of ``--repeat`` runs (default 7), which is the least noisy estimate on a
shared machine. ``--check`` exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_HUGE = 1.5
GOAL_CLI = 1.3

SMALL = {"total": 10_000, "peak_lr": 3e-4, "warmup": {"shape": "linear", "length": "2%"},
         "decay": {"shape": "cosine", "final_lr": "10%"}}
HUGE = {**SMALL, "total": 100_000_000}
HUGE_RESTARTS = {**HUGE, "decay": {"shape": "cosine_restarts", "cycles": 5, "final_lr": "10%"}}

EMPTY_FIGURE = (
    "import sys\n"
    "from matplotlib.figure import Figure\n"
    "Figure(figsize=(8, 4.5), dpi=150).savefig(sys.argv[1], format='png')\n"
)


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def in_process(repeat: int, folder: Path) -> dict[str, float]:
    import warmupctl
    from warmupctl.render import Curve
    from warmupctl.render.plot import write_plot

    out = str(folder / "bench.png")
    results = {}
    for label, spec in (("1e4", SMALL), ("1e8", HUGE), ("1e8 restarts", HUGE_RESTARTS)):
        s = warmupctl.load(spec)
        curves = [Curve(s, label)]
        write_plot(curves, out)  # warm up: fonts, caches
        results[label] = best_of(lambda curves=curves: write_plot(curves, out), repeat)
    from warmupctl.render.reduce import reduce_curve

    s = warmupctl.load(HUGE)
    results["1e8 scan"] = best_of(
        lambda: reduce_curve(s, 0, s.total_steps, 2400, method="scan"), 1)
    return results


def fresh_processes(repeat: int, folder: Path) -> dict[str, float]:
    exe = Path(sys.executable)
    cli = exe.with_name("warmupctl")
    plot_cmd = ([str(cli)] if cli.exists() else [str(exe), "-m", "warmupctl"])
    plot_cmd += ["plot", "-q", "-o", str(folder / "cli.png")]
    empty_cmd = [str(exe), "-c", EMPTY_FIGURE, str(folder / "empty.png")]
    # Bytecode as an installed package has it: cached after the warm-up run (in the temporary
    # folder, so nothing is written into the source tree), even if PYTHONDONTWRITEBYTECODE is set.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(NO_COLOR="1", PYTHONPYCACHEPREFIX=str(folder / "pycache"))

    def run(cmd):
        subprocess.run(cmd, check=True, env=env, cwd=folder,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    run(plot_cmd)  # warm the OS file cache and matplotlib's font cache
    run(empty_cmd)
    cli_times, empty_times = [], []
    for _ in range(repeat):  # interleaved, so drifting machine load hits both alike
        cli_times.append(best_of(lambda: run(plot_cmd), 1))
        empty_times.append(best_of(lambda: run(empty_cmd), 1))
    return {"cli": min(cli_times), "empty": min(empty_times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inproc = in_process(args.repeat, folder)
        fresh = fresh_processes(args.repeat, folder)
    huge_ratio = inproc["1e8"] / inproc["1e4"]
    cli_ratio = fresh["cli"] / fresh["empty"]
    print(f"plot 10^4 steps            {inproc['1e4'] * 1000:8.1f} ms")
    print(f"plot 10^8 steps            {inproc['1e8'] * 1000:8.1f} ms")
    print(f"plot 10^8 steps, restarts  {inproc['1e8 restarts'] * 1000:8.1f} ms")
    print(f"reduce 10^8 steps by scan  {inproc['1e8 scan'] * 1000:8.1f} ms"
          "   (every step evaluated; for information)")
    print(f"warmupctl plot (process)   {fresh['cli'] * 1000:8.1f} ms")
    print(f"import mpl + empty figure  {fresh['empty'] * 1000:8.1f} ms")
    print(f"ratio 10^8 / 10^4 steps:            {huge_ratio:5.2f}  (goal <= {GOAL_HUGE})")
    print(f"ratio warmupctl plot / bare mpl:    {cli_ratio:5.2f}  (goal <= {GOAL_CLI})")
    ok = huge_ratio <= GOAL_HUGE and cli_ratio <= GOAL_CLI
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
