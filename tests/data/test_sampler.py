"""Length-bucketed batching, split across ranks and resumable (aecomp/data/sampler.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.data.sampler import BucketBatchSampler


def test_sampler_covers_everything_once_and_shuffles():
    durations = np.random.default_rng(0).uniform(1, 10, 103)
    s = BucketBatchSampler(durations, batch_size=8, seed=1)
    batches = list(s)
    assert sorted(i for b in batches for i in b) == list(range(103))
    s.set_epoch(1)
    assert list(s) != batches
    s.set_epoch(0)
    assert list(s) == batches


def test_sampler_batch_seconds_and_padding():
    durations = np.random.default_rng(0).uniform(2, 16, 500)
    s = BucketBatchSampler(durations, batch_seconds=60, seed=0)
    real = padded = 0.0
    for b in s:
        longest = max(durations[i] for i in b)
        assert longest * len(b) <= 60 + 1e-9
        real += sum(durations[i] for i in b)
        padded += longest * len(b)
    assert real / padded > 0.9
    with pytest.raises(ValueError, match="longer than batch_seconds"):
        BucketBatchSampler([100.0], batch_seconds=60)


def test_sampler_ranks_split_each_global_batch_and_resume():
    durations = np.ones(50)
    whole = list(BucketBatchSampler(durations, batch_size=4, seed=2))
    ranks = [BucketBatchSampler(durations, batch_size=4, seed=2, num_replicas=2, rank=r) for r in (0, 1)]
    b0, b1 = list(ranks[0]), list(ranks[1])
    assert len(b0) == len(b1) == len(whole) == 13
    for g, x, y in zip(whole, b0, b1):
        assert sorted(x + y) == sorted(g) and not set(x) & set(y)
    assert b0[-1] and b1[-1]  # the last global batch (2 items) still feeds both ranks
    ranks[0].start_batch = 3
    assert list(ranks[0]) == b0[3:] and len(ranks[0]) == 10
    lonely = list(BucketBatchSampler([1.0], batch_size=4, num_replicas=2, rank=1))
    assert lonely == [[0]]
