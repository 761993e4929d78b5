"""Padding: the share of real samples among all samples in batches of the length-bucketed sampler.

Durations follow LibriSpeech train-clean-100 (28 539 utterances of 1.3-24.5 s, mean 12.7 s,
most between 10 and 17 s; drawn here from a gamma distribution with that mean and spread).
Batches hold at most 240 s of padded audio, as an ESPnet numel batch would. The figure is the
real/padded ratio of the bucketed sampler (target >= 0.9); random batches are shown for contrast.

    tools/venv/bin/python bench/padding.py
"""

from __future__ import annotations

import numpy as np

from aecomp.data.sampler import BucketBatchSampler
from common import result


def efficiency(durations, batches) -> float:
    real = sum(durations[i] for b in batches for i in b)
    padded = sum(max(durations[i] for i in b) * len(b) for b in batches)
    return real / padded


def main() -> None:
    rng = np.random.default_rng(0)
    durations = np.clip(rng.gamma(shape=12.0, scale=12.7 / 12.0, size=28539), 1.3, 24.5)
    sampler = BucketBatchSampler(durations, batch_seconds=240.0, seed=0)
    ratios = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        ratios.append(efficiency(durations, sampler.all_batches()))
    order = rng.permutation(len(durations))
    per_batch = len(durations) // len(sampler.all_batches())
    random_batches = [order[i:i + per_batch] for i in range(0, len(order), per_batch)]
    print(f"{len(sampler.all_batches())} batches of <= 240 s; real/padded samples per epoch: "
          f"{', '.join(f'{r:.3f}' for r in ratios)}; random batches of the same size: "
          f"{efficiency(durations, random_batches):.3f}")
    result("bucketed_padding_efficiency", min(ratios))


if __name__ == "__main__":
    main()
