"""Length-bucketed batching: utterances of similar duration share a batch, so little is padding."""

from __future__ import annotations

from typing import Iterator, List, Sequence

import numpy as np


class BucketBatchSampler:
    """Batches of dataset indices, grouped by duration and shuffled per epoch.

    Indices are sorted by duration with a small random jitter (so equal
    durations mix differently every epoch), cut into batches of
    ``batch_size`` utterances, or, with ``batch_seconds > 0``, of at most
    that many seconds of padded audio; the batch order is then shuffled.
    Everything depends on ``(seed, epoch)`` only.

    Distributed training: ``batch_size`` / ``batch_seconds`` size the *global*
    batch, which is split between the ``num_replicas`` ranks (rank ``r`` takes
    items ``r, r + n, ...``), so a run on n processes sees the same batches as a
    run on one. A global batch smaller than the number of ranks is completed by
    repeating its first item. ``start_batch`` skips the first batches of the
    epoch, to resume inside an epoch.
    """

    def __init__(self, durations: Sequence[float], batch_size: int = 32, batch_seconds: float = 0.0,
                 shuffle: bool = True, seed: int = 0, num_replicas: int = 1, rank: int = 0,
                 jitter: float = 0.05):
        if batch_size <= 0 and batch_seconds <= 0:
            raise ValueError("set batch_size > 0 or batch_seconds > 0")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} outside 0..{num_replicas - 1}")
        self.durations = np.asarray(durations, dtype=np.float64)
        self.batch_size, self.batch_seconds = batch_size, batch_seconds
        self.shuffle, self.seed, self.jitter = shuffle, seed, jitter
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        self.start_batch = 0
        too_long = self.durations > batch_seconds if batch_seconds > 0 else np.zeros(len(durations), bool)
        if too_long.any():
            raise ValueError(
                f"{int(too_long.sum())} utterance(s) are longer than batch_seconds={batch_seconds} "
                f"(longest {self.durations.max():.1f} s); raise data.batch_seconds or set data.max_seconds"
            )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def all_batches(self) -> List[List[int]]:
        """Every global batch of this epoch, before the split between ranks."""
        rng = np.random.default_rng([self.seed, self.epoch])
        keys = self.durations * (1.0 + rng.uniform(-self.jitter, self.jitter, len(self.durations))) \
            if self.shuffle else self.durations
        order = np.lexsort((np.arange(len(keys)), keys))
        batches: List[List[int]] = []
        current: List[int] = []
        longest = 0.0
        for i in order.tolist():
            longest_if = max(longest, self.durations[i])
            full = (len(current) >= self.batch_size) if self.batch_seconds <= 0 else \
                (longest_if * (len(current) + 1) > self.batch_seconds)
            if current and full:
                batches.append(current)
                current, longest_if = [], self.durations[i]
            current.append(i)
            longest = longest_if
        if current:
            batches.append(current)
        if self.shuffle:
            batches = [batches[k] for k in rng.permutation(len(batches))]
        return batches

    def __iter__(self) -> Iterator[List[int]]:
        for batch in self.all_batches()[self.start_batch:]:
            yield batch[self.rank::self.num_replicas] or batch[:1]

    def __len__(self) -> int:
        return len(self.all_batches()) - self.start_batch
