"""Shared by the benchmarks: timing helpers and a small data set built locally."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, List

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def median_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of ``fn()`` in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(cmd: List[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def mini_data(base: Path, size: str = "debug", task: str = "scr") -> Path:
    """The mini corpus prepared as data dirs under ``base`` (built once, then reused)."""
    from aecomp.corpora.mini import MiniCorpus

    data = base / f"data_{task}_{size}"
    if not (data / ".done").is_file():
        MiniCorpus(task=task, size=size).prepare(base / "corpus", data)
        (data / ".done").write_text("ok")
    return data


def result(name: str, value: float, fmt: str = "{:.3f}") -> None:
    """The benchmark's last line: ``name: value``."""
    print(f"{name}: {fmt.format(value)}")
