"""Trainer overhead: training steps per second of the aecomp trainer against a bare PyTorch loop.

Same model (the keyword CNN), same batches (preloaded audio, bucketed batches of 32), same optimizer
(Adam), same number of steps; the aecomp trainer runs the `noisy` paradigm's step (identity
front-end) with everything it adds per step: phase handling, non-finite checks, gradient clipping,
the scheduler, progress and TensorBoard logging. Validation and checkpoints, once per epoch, are
timed apart. Median of 3 alternating repeats; target ratio >= 0.95. Two data paths:

- ``premixed``: batches only indexed from memory (no noise);
- ``mixed``: the path the recipes use, noise mixed on the fly at a random SNR (a synthetic noise
  bank); the trainer then makes batches in its prefetch thread (``num_workers: 0``), the bare loop
  iterates a plain DataLoader without workers.

    tools/venv/bin/python bench/trainer_overhead.py [--utts 640] [--epochs 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from aecomp.config import config_from_dict
from aecomp.data.datadir import DataDir, write_datadir
from aecomp.data.dataset import AudioDataset, NoiseBank, collate
from aecomp.data.sampler import BucketBatchSampler
from aecomp.train.system import build_paradigm, prepare_vocabulary
from aecomp.train.trainer import Trainer, seed_everything
from common import result

CONFIG = {
    "frontend": {"name": "identity"},
    "downstream": {"name": "kws_cnn", "conf": {"channels": [16, 32, 64, 64]}},
    "paradigm": {"name": "noisy", "conf": {"epochs": 2}},
    "data": {"batch_size": 32, "num_workers": 0, "preload": True},
    "optim": {"name": "adam", "conf": {"lr": 0.001}},
    "trainer": {"keep_nbest": 1},
}


def synthetic_set(folder: Path, n: int) -> DataDir:
    """``n`` one-second tones of 10 classes with a little noise (``wav.scp``, ``text``)."""
    rng = np.random.default_rng(0)
    wav, text = {}, {}
    for i in range(n):
        path = folder / "audio" / f"u{i:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(16000) / 16000
        sf.write(path, (0.3 * np.sin(2 * np.pi * (200 + 50 * (i % 10)) * t) + 0.05 * rng.standard_normal(16000))
                 .astype(np.float32), 16000)
        wav[f"u{i:05d}"], text[f"u{i:05d}"] = str(path), f"class{i % 10}"
    return DataDir.load(write_datadir(folder / "data", {"wav.scp": wav, "text": text}))


def noise_bank(folder: Path, n: int = 8, seconds: float = 10.0) -> NoiseBank:
    """``n`` recordings of coloured noise, ``seconds`` long, as a noise bank."""
    rng = np.random.default_rng(1)
    wav = {}
    for i in range(n):
        path = folder / "audio" / f"n{i:02d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        white = rng.standard_normal(int(seconds * 16000))
        coloured = np.convolve(white, np.ones(i + 1) / (i + 1), mode="same")
        sf.write(path, (0.1 * coloured / coloured.std()).astype(np.float32), 16000)
        wav[f"n{i:02d}"] = str(path)
    return NoiseBank(DataDir.load(write_datadir(folder / "data", {"wav.scp": wav})), 16000)


def aecomp_run(data: DataDir, valid: DataDir, out: Path, epochs: int, noise: NoiseBank | None):
    """The aecomp trainer's steps per second (training loops only) and its other seconds in ``fit``."""
    cfg = config_from_dict({**CONFIG, "paradigm": {"name": "noisy", "conf": {"epochs": epochs}}})
    vocab = prepare_vocabulary(cfg, list(data.get("text").values()), out)
    seed_everything(0)
    paradigm = build_paradigm(cfg, vocab)
    train = AudioDataset(data, 16000, paradigm.downstream.encode_target, noise, seed=0, preload=True)
    va = AudioDataset(valid, 16000, paradigm.downstream.encode_target, noise, seed=1, fixed=True, preload=True)
    trainer = Trainer(paradigm, cfg, out, train, va)
    spent = {"train": 0.0, "steps": 0}
    inner = trainer._train_epoch

    def timed(epoch, phase):
        t0 = time.perf_counter()
        stats = inner(epoch, phase)
        spent["train"] += time.perf_counter() - t0
        spent["steps"] += len(trainer.sampler)
        return stats

    trainer._train_epoch = timed
    t0 = time.perf_counter()
    trainer.fit()
    return spent["steps"] / spent["train"], time.perf_counter() - t0 - spent["train"]


def bare_run(data: DataDir, epochs: int, labels, noise: NoiseBank | None) -> float:
    """Steps per second of a plain loop: DataLoader without workers, forward, backward, Adam."""
    seed_everything(0)
    cfg = config_from_dict(CONFIG)
    model = build_paradigm(cfg, {"labels": labels}).downstream
    model.train()
    ds = AudioDataset(data, 16000, model.encode_target, noise, seed=0, preload=True)
    sampler = BucketBatchSampler(ds.durations, 32, seed=1)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    steps, spent = 0, 0.0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(ds, batch_sampler=sampler, collate_fn=collate, num_workers=0)
        t0 = time.perf_counter()
        for batch in loader:
            loss = F.cross_entropy(model.logits(batch.noisy, batch.lengths), batch.targets[:, 0])
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            steps += 1
        spent += time.perf_counter() - t0
    return steps / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utts", type=int, default=640)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aecomp-bench-") as tmp:
        tmp = Path(tmp)
        data = synthetic_set(tmp / "train", args.utts)
        valid = synthetic_set(tmp / "valid", 32)
        labels = sorted(set(data.get("text").values()))
        noises = {"premixed": None, "mixed": noise_bank(tmp / "noise")}
        ratios = {}
        for path, noise in noises.items():
            ours, bare, other = [], [], []
            for r in range(args.repeats):
                bare.append(bare_run(data, args.epochs, labels, noise))
                sps, rest = aecomp_run(data, valid, tmp / f"exp_{path}{r}", args.epochs, noise)
                ours.append(sps)
                other.append(rest / args.epochs)
            a, b = statistics.median(ours), statistics.median(bare)
            ratios[path] = a / b
            print(f"{path}: steps/s aecomp trainer {a:.2f} (runs {_spread(ours)}), bare PyTorch loop {b:.2f} "
                  f"(runs {_spread(bare)}), medians of {args.repeats}; validation + checkpoint per epoch "
                  f"{statistics.median(other):.2f} s")
    result("trainer_vs_bare_steps_per_second_premixed", ratios["premixed"])
    result("trainer_vs_bare_steps_per_second_mixed", ratios["mixed"])


def _spread(values) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


if __name__ == "__main__":
    main()
