"""Data pipeline: on-the-fly SNR mixing throughput, and how long training steps wait for data.

1. Throughput: the training dataset of the Speech Commands recipe (clean clip + random noise
   segment mixed at a random SNR, read from disk) iterated by one DataLoader worker, in seconds
   of audio produced per second (x real time per worker).
2. Loader wait: a recipe-like training loop (keyword CNN, batches of 32) with the recipe's
   default loader settings (``num_workers: 0``, preloaded speech: the trainer makes batches in a
   prefetch thread), without that thread, and with one worker process; the time
   spent waiting for the next batch as a share of the step time (target: the loader never
   stalls the step, i.e. a share near 0).

    tools/venv/bin/python bench/data_pipeline.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from aecomp import registry
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, NoiseBank, collate
from aecomp.data.prefetch import prefetched
from aecomp.data.sampler import BucketBatchSampler
from common import mini_data, result


def throughput(data: Path) -> float:
    bank = NoiseBank(DataDir.load(data / "noise_train"), 16000)
    ds = AudioDataset(DataDir.load(data / "train"), 16000, None, bank, snr_range=(-5, 20), seed=0)
    loader = torch.utils.data.DataLoader(ds, batch_sampler=BucketBatchSampler(ds.durations, 32, seed=0),
                                         collate_fn=collate, num_workers=1)
    t0, seconds = time.perf_counter(), 0.0
    for epoch in range(3):
        ds.set_epoch(epoch)
        for batch in loader:
            seconds += float(batch.lengths.sum()) / 16000
    return seconds / (time.perf_counter() - t0)


def loader_wait(data: Path, workers: int, preload: bool, prefetch: bool = True) -> float:
    texts = DataDir.load(data / "train").get("text")
    model = registry.build("downstream", {"name": "kws_cnn"}, labels=sorted(set(texts.values())))
    bank = NoiseBank(DataDir.load(data / "noise_train"), 16000)
    ds = AudioDataset(DataDir.load(data / "train"), 16000, model.encode_target, bank, seed=0, preload=preload)
    opt = torch.optim.Adam(model.parameters())
    waited = stepped = 0.0
    for epoch in range(2):
        ds.set_epoch(epoch)
        loader = torch.utils.data.DataLoader(ds, batch_sampler=BucketBatchSampler(ds.durations, 32, seed=epoch),
                                             collate_fn=collate, num_workers=workers)
        loader = iter(prefetched(loader) if workers == 0 and prefetch else loader)  # as the trainer does
        while True:
            t0 = time.perf_counter()
            try:
                batch = next(loader)
            except StopIteration:
                break
            t1 = time.perf_counter()
            F.cross_entropy(model.logits(batch.noisy, batch.lengths), batch.targets[:, 0]).backward()
            opt.step()
            opt.zero_grad()
            t2 = time.perf_counter()
            if epoch:  # the first epoch warms up workers and caches
                waited += t1 - t0
                stepped += t2 - t0
    return waited / stepped, stepped


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aecomp-bench-") as tmp:
        data = mini_data(Path(tmp), size="default")
        rt = throughput(data)
        (default, t_default), (inline, t_inline), (one, t_one) = (
            loader_wait(data, workers=0, preload=True), loader_wait(data, workers=0, preload=True, prefetch=False),
            loader_wait(data, workers=1, preload=True))
    print(f"on-the-fly mixing: {rt:.0f} x real time per worker; loader wait per step: "
          f"{100 * default:.1f} % with the recipe default (num_workers 0, preload: the trainer's prefetch "
          f"thread), {100 * inline:.1f} % without that thread, {100 * one:.1f} % with 1 worker process; epoch "
          f"time {t_default:.1f} s, {t_inline:.1f} s, {t_one:.1f} s")
    result("loader_wait_share_recipe_default", default)


if __name__ == "__main__":
    main()
