"""Rebuild the figures in docs/figures/ by running `warmupctl plot` as a user would.

Run from anywhere:  python docs/make_figures.py

Each figure is one command line (listed in FIGURES and shown in docs/plot.md), run in a fresh
process with the interpreter running this script, so the pictures are exactly what the CLI draws.
The terminal preview is saved as text (terminal.txt) with NO_COLOR set and 90 columns.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "figures"

#: file name -> arguments after `warmupctl plot`
FIGURES: dict[str, list[str]] = {
    "default.png": [],
    "overlay.png": ["gpt3-small", "hagele-wsd-124m", "transformer-base", "--x", "percent"],
    "log.png": ["gpt3-small", "--log"],
    "tokens.png": ["gpt3-small", "--x", "tokens"],
    "warmup-zoom.png": ["--range", "0:3000"],
    "sweep.png": ["gpt3-small", "--sweep", "warmup=0.5%,1%,2%,5%"],
    "resnet-epochs.png": ["resnet50-goyal", "--x", "epochs"],
    "updates.png": ["kosson2024-gpt2-124m", "--updates"],
}
TERMINAL = ["gpt3-small", "hagele-wsd-124m", "--x", "percent", "--terminal"]


def warmupctl(*args: str, env: dict[str, str] | None = None) -> str:
    cmd = [sys.executable, "-m", "warmupctl", "plot", *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    return done.stdout


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, args in FIGURES.items():
        warmupctl(*args, "-q", "-o", str(OUT / name))
        print(f"warmupctl plot {' '.join(args)} -o docs/figures/{name}".replace("  ", " "))
    text = warmupctl(*TERMINAL, "-q", env={"NO_COLOR": "1", "COLUMNS": "90"})
    (OUT / "terminal.txt").write_text(text)
    print(f"warmupctl plot {' '.join(TERMINAL)} > docs/figures/terminal.txt")


if __name__ == "__main__":
    main()
