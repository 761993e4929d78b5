"""Simulated room impulse responses and RIR data directories (aecomp/corpora/rirs.py)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile as sf

from aecomp.corpora.rirs import measure_rt60, simulate_rir, simulate_rirs, write_rir_bank
from aecomp.data.datadir import DataDir


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    a = simulate_rirs(tmp_path / "a", 3, seed=0, purpose="test", rt60_range=(0.2, 0.4), nj=2)
    b = simulate_rirs(tmp_path / "b", 3, seed=0, purpose="test", rt60_range=(0.2, 0.4), nj=1)
    c = simulate_rirs(tmp_path / "c", 3, seed=1, purpose="test", rt60_range=(0.2, 0.4), nj=1)
    digest = [[hashlib.sha1(p.read_bytes()).hexdigest() for p in paths] for paths in (a, b, c)]
    assert digest[0] == digest[1] and digest[0] != digest[2] and len(set(digest[0])) == 3
    assert [p.name for p in a] == ["test_000.wav", "test_001.wav", "test_002.wav"]


@pytest.mark.parametrize("target", [0.25, 0.5])
def test_measured_rt60_is_near_the_target(target):
    for k in range(2):
        h = simulate_rir(np.random.default_rng(k), 16000, (target, target))
        assert abs(measure_rt60(h, 16000) / target - 1) <= 0.1
        assert np.abs(h).max() == pytest.approx(1.0, abs=1e-6) and len(h) < 1.2 * target * 16000


def test_targets_cycle_over_the_levels(tmp_path):
    paths = simulate_rirs(tmp_path, 4, seed=0, purpose="test", rt60_targets=(0.2, 0.4), nj=1)
    rt60 = [measure_rt60(*sf.read(p, dtype="float32")) for p in paths]
    assert all(abs(r / t - 1) <= 0.1 for r, t in zip(rt60, (0.2, 0.4, 0.2, 0.4))), rt60


def test_bank_directories_and_overlap(tmp_path):
    paths = simulate_rirs(tmp_path / "r", 3, seed=0, purpose="x", rt60_range=(0.2, 0.3), nj=1)
    out = write_rir_bank(paths[:2], paths[2:], tmp_path / "data")
    train = DataDir.load(out["rirs_train"])
    assert train.utts == ["x_000", "x_001"] and 0.18 <= float(train.get("utt2rt60")["x_000"]) <= 0.33
    with pytest.raises(ValueError, match="room impulse responses in both train and test"):
        write_rir_bank(paths[:2], paths[1:], tmp_path / "data2")
