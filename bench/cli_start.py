"""How long `returnbot --help` takes, as a whole process, beside an empty Python start.

Each command is started several times in turn with a bare `python -c pass` (interleaved, so a machine that drifts
slows both alike); the table gives the medians and the ratio to the bare start. Target: `returnbot --help` within
0.3 s, which needs the CLI to import each command's modules only when that command runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import median, ms, ratio, table

TARGET = 0.300
HELPS = (("--help",), ("run", "--help"), ("shell", "--help"), ("import-orders", "--help"))


def run(quick: bool = False) -> None:
    runs = 5 if quick else 15
    script = _console_script()
    bare = [sys.executable, "-c", "pass"]
    rows = []
    medians: dict[str, float] = {}
    for words in HELPS:
        command = [*script, *words]
        baseline, timed = _interleaved(bare, command, runs)
        label = "returnbot " + " ".join(words)
        medians[label] = median(timed)
        bare_median = median(baseline)
        rows.append((label, ms(medians[label]), ms(min(timed)), ms(bare_median), ratio(medians[label], bare_median)))
    print(table(f"CLI start, {runs} runs each, interleaved with `python -c pass`",
                ["command", "median ms", "min ms", "python -c pass ms", "÷ bare start"], rows))  # fmt: skip
    help_time = medians["returnbot --help"]
    verdict = "met" if help_time <= TARGET else "NOT met"
    print(f"returnbot --help: {help_time * 1000:.0f} ms median (target ≤ {TARGET * 1000:.0f} ms) → {verdict}")


def _console_script() -> list[str]:
    """The installed `returnbot` beside this Python (what a person runs), else the module it runs."""
    beside = Path(sys.executable).parent / "returnbot"
    found = str(beside) if beside.exists() else shutil.which("returnbot")
    return [found] if found else [sys.executable, "-m", "bot.main.cli"]


def _interleaved(bare: Sequence[str], command: Sequence[str], runs: int) -> tuple[list[float], list[float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    baseline: list[float] = []
    timed: list[float] = []
    for index in range(runs + 1):  # the first pair warms the file cache and is not counted
        pair = (_once(bare, env), _once(command, env))
        if index:
            baseline.append(pair[0])
            timed.append(pair[1])
    return baseline, timed


def _once(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed
