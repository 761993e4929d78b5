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


def eval_grid(path: Path, snrs, seed: int = 20240601) -> Path:
    """An evaluation grid (``--eval_config``) like the recipes' conf/eval.yaml, at ``snrs`` only."""
    levels = ", ".join(str(s) for s in snrs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"seed: {seed}\nconditions:\n  - name: clean\n    family: clean\n" + "".join(
        f"  - name: {c}\n    corruption: {{name: noise, conf: {{bank: noise_test_{c}}}}}\n    vary: snr\n"
        f"    levels: [{levels}]\n    unit: dB\n" for c in ("seen", "unseen")))
    return path


# -- tiny models and batches for model and paradigm tests --

LABELS = ["go", "no", "yes"]


def tiny(kind, name, **conf):
    """A registered plugin built with ``conf`` (downstream models get the toy ``LABELS``)."""
    from aecomp import registry

    injected = {"labels": LABELS} if kind == "downstream" else {}
    return registry.build(kind, {"name": name, "conf": conf}, **injected)


def batch(b=3, t=16000, seed=0):
    """A toy ``Batch`` of ``b`` noisy/clean 1-s signals ``[b, t]`` with decreasing lengths."""
    import torch

    from aecomp.data.dataset import Batch

    g = torch.Generator().manual_seed(seed)
    clean = torch.randn(b, t, generator=g) * 0.1
    noisy = clean + torch.randn(b, t, generator=g) * 0.1
    lengths = torch.tensor([t, t - 3000, t - 6000][:b])
    targets = torch.tensor([[i % len(LABELS)] for i in range(b)])
    return Batch([f"u{i}" for i in range(b)], [LABELS[i % 3] for i in range(b)], [f"u{i}" for i in range(b)],
                 noisy, clean, lengths, targets,
                 torch.ones(b, dtype=torch.long), torch.zeros(b))


# -- a Speech Commands v0.02 tree in the real layout --

SPEAKERS = ["0a7c2a8d", "1b4c9b89", "2c5d0c9a", "3d6e1dab", "4e7f2ebc", "5f803fcd"]


@pytest.fixture(scope="session")
def sc_tree(tmp_path_factory):
    from aecomp.corpora.speech_commands import WORDS_35

    """A Speech Commands v0.02 tree: 35 words x 6 speakers x 1-2 takes, lists, background noise."""
    root = tmp_path_factory.mktemp("sc") / "speech_commands_v0.02"
    clip = tone(1.0, amp=0.2)
    for w_i, word in enumerate(WORDS_35):
        for s_i, spk in enumerate(SPEAKERS):
            for take in range(1 + (w_i + s_i) % 2):
                write_wav(root / word / f"{spk}_nohash_{take}.wav", clip)
    val = sorted(p.relative_to(root).as_posix() for p in root.glob(f"*/{SPEAKERS[4]}_nohash_*.wav"))
    test = sorted(p.relative_to(root).as_posix() for p in root.glob(f"*/{SPEAKERS[5]}_nohash_*.wav"))
    (root / "validation_list.txt").write_text("\n".join(val) + "\n")
    (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    rng = np.random.default_rng(0)
    for name in ("white_noise", "pink_noise", "doing_the_dishes", "running_tap", "exercise_bike", "dude_miaowing"):
        write_wav(root / "_background_noise_" / f"{name}.wav", (0.1 * rng.standard_normal(16000 * 12)).astype(np.float32))
    (root / "_background_noise_" / "README.md").write_text("noise")
    (root / "LICENSE").write_text("CC-BY-4.0")
    return root, val, test
