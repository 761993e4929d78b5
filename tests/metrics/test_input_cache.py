"""The input's signal metrics computed once per evaluation set (aecomp/metrics/input_cache.py)."""

from __future__ import annotations

import json

import pytest
import torch

from aecomp.data.dataset import Batch
from aecomp.metrics.input_cache import FILE, InputMetricsCache
from aecomp.metrics.signal import input_values


def batch(seed=0, n=3, t=8000):
    g = torch.Generator().manual_seed(seed)
    refs = torch.randn(n, 1, t, generator=g)
    noisy = refs[:, 0] + 0.5 * torch.randn(n, t, generator=g)
    lengths = torch.tensor([t, t - 1000, t - 2000])[:n]
    return Batch([f"u{i}" for i in range(n)], [""] * n, [f"u{i}" for i in range(n)], noisy, refs, lengths,
                 torch.zeros(n, 1, dtype=torch.long), torch.ones(n, dtype=torch.long), torch.zeros(n))


def test_computed_once_then_read_by_the_next_evaluation(tmp_path):
    b = batch()
    first = InputMetricsCache(tmp_path)
    values = first(b, 1)
    assert first.misses == 3 and first.hits == 0
    first.save()
    assert (tmp_path / FILE).is_file()
    second = InputMetricsCache(tmp_path)  # another system scored on the same set
    again = second(b, 1)
    assert second.hits == 3 and second.misses == 0
    expected = input_values(b.refs, b.noisy, b.lengths)
    for name in expected:
        assert again[name].shape == values[name].shape == (3, 1)
        assert again[name].flatten().tolist() == pytest.approx(expected[name].flatten().tolist(), abs=1e-9)
        assert values[name].flatten().tolist() == pytest.approx(expected[name].flatten().tolist(), abs=1e-9)


def test_a_set_made_anew_is_computed_anew(tmp_path):
    cache = InputMetricsCache(tmp_path)
    cache(batch(seed=0), 1)
    cache.save()
    other = batch(seed=1)  # same utterance ids, other samples (the set was made again)
    reread = InputMetricsCache(tmp_path)
    values = reread(other, 1)
    assert reread.misses == 3 and reread.hits == 0
    fresh = input_values(other.refs, other.noisy, other.lengths)["sdr"]
    assert values["sdr"].flatten().tolist() == pytest.approx(fresh.flatten().tolist())
    reread.save()
    assert InputMetricsCache(tmp_path)(other, 1)["sdr"].flatten().tolist() == pytest.approx(fresh.flatten().tolist())


def test_a_broken_file_is_not_trusted_and_is_rewritten(tmp_path):
    (tmp_path / FILE).write_text('{"version": 1, "utts": {"u0": ')  # cut off half-way
    cache = InputMetricsCache(tmp_path)
    cache(batch(), 1)
    assert cache.misses == 3
    cache.save()
    assert set(json.loads((tmp_path / FILE).read_text())["utts"]) == {"u0", "u1", "u2"}


def test_a_cache_that_cannot_be_written_is_only_not_kept(tmp_path):
    (tmp_path / FILE).mkdir()  # the file's place is taken: writing it fails, as in a read-only folder
    cache = InputMetricsCache(tmp_path)
    values = cache(batch(), 1)
    cache.save()  # no error
    assert (tmp_path / FILE).is_dir() and values["sdr"].shape == (3, 1)
    assert InputMetricsCache(tmp_path)(batch(), 1) is not None
