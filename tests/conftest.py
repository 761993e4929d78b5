"""Shared fixtures: tiny data built locally (nothing is downloaded)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def mini_data(tmp_path_factory) -> Path:
    """The debug-size mini corpus prepared as data dirs (train/dev/test/noise_*); built once per session."""
    from aecomp.corpora.mini import MiniCorpus

    base = tmp_path_factory.mktemp("mini")
    MiniCorpus(size="debug", nj=2).prepare(base / "corpus", base / "data")
    return base / "data"


def write_wav(path: Path, wav: np.ndarray, sr: int = 16000, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wav, sr, subtype=subtype)
    return path


def tone(seconds: float = 0.5, sr: int = 16000, freq: float = 440.0, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(len(t))).astype(np.float32)


def run_cli(*args: str, cwd=None, env=None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed ``aecomp`` command; returns the finished process (text output)."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([str(VENV_BIN / "aecomp"), *args], cwd=cwd, env=full_env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"aecomp {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc
