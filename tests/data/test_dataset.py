"""Datasets with seeded on-the-fly corruption, cropping and collation (aecomp/data/dataset.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aecomp.audio.mixing import measured_snr
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, DatasetError, NoiseBank, collate
from aecomp.data.evalsets import make_evalsets, noise_grid
from aecomp.data.sampler import BucketBatchSampler


@pytest.fixture
def train_set(mini_data):
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    return AudioDataset(DataDir.load(mini_data / "train"), 16000, lambda t: [len(t)], bank,
                        snr_range=(-5, 5), p_clean=0.0, seed=3)


def test_corruption_is_reproducible_per_epoch(train_set):
    a = train_set[4]["noisy"]
    train_set.set_epoch(1)
    b = train_set[4]["noisy"]
    train_set.set_epoch(0)
    assert np.array_equal(train_set[4]["noisy"], a)
    assert not np.array_equal(a, b)
    item = train_set[4]
    assert -5 <= item["snr"] <= 5
    assert abs(measured_snr(item["clean"], item["noisy"] - item["clean"]) - item["snr"]) < 0.05
    assert item["target"] == [len(item["text"])]


def test_fixed_validation_ignores_epoch(mini_data):
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    dev = AudioDataset(DataDir.load(mini_data / "dev"), 16000, None, bank, fixed=True, seed=9)
    a = dev[2]["noisy"]
    dev.set_epoch(5)
    assert np.array_equal(dev[2]["noisy"], a)


def test_p_clean_and_collate(train_set):
    train_set.p_clean = 1.0
    item = train_set[0]
    assert np.array_equal(item["noisy"], item["clean"]) and item["snr"] == float("inf")
    batch = collate([train_set[i] for i in range(3)])
    assert batch.noisy.shape == (3, 16000) and batch.lengths.tolist() == [16000] * 3
    assert batch.targets.shape == (3, 1) and len(batch.texts) == 3


def test_noise_bank_reads_segments_from_disk_when_large(mini_data):
    data = DataDir.load(mini_data / "noise_train")
    cached, streamed = NoiseBank(data, 16000), NoiseBank(data, 16000, max_cache_mb=0)
    assert cached.cached and not streamed.cached
    seg, noise_id = streamed.segment(8000, np.random.default_rng(0))
    assert seg.shape == (8000,) and noise_id in data.utts
    full = cached.recording(noise_id)
    assert np.abs(seg).max() > 1e-3  # real noise, not silence that would match anywhere
    candidates = np.flatnonzero(np.abs(full[:len(full) - 8000 + 1] - seg[0]) <= 1e-4)
    starts = [int(i) for i in candidates if np.allclose(full[i:i + 8000], seg, atol=1e-4)]
    assert starts, "the segment read from disk is not a contiguous piece of the recording"


def test_short_noise_is_looped_and_counted(mini_data, tmp_path, caplog):
    from aecomp.data.datadir import write_datadir

    short = tmp_path / "short.wav"
    import soundfile as sf

    sf.write(short, (0.1 * np.random.default_rng(0).standard_normal(4000)).astype(np.float32), 16000)
    noise = DataDir.load(write_datadir(tmp_path / "noise", {"wav.scp": {"n1": str(short)},
                                                             "utt2category": {"n1": "hiss"}}))
    bank = NoiseBank(noise, 16000)
    ds = AudioDataset(DataDir.load(mini_data / "train"), 16000, None, bank, snr_range=(0, 0))
    assert "1 of 1 noise recordings are shorter than the longest utterance (1.0 s)" in caplog.text
    item = ds[0]
    assert abs(measured_snr(item["clean"], item["noisy"] - item["clean"])) < 0.05
    make_evalsets(DataDir.load(mini_data / "test"), noise_grid({"hiss": noise.path}, [0]), tmp_path / "eval", 16000)
    assert "noise looped for 20 of 20 utterances" in caplog.text
    assert (tmp_path / "eval" / "hiss_0dB" / "corruption.tsv").read_text().splitlines()[1].endswith("\t1")


def test_max_seconds_crops_instead_of_dropping(mini_data, caplog):
    import logging

    data = DataDir.load(mini_data / "train")
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    full = AudioDataset(data, 16000, None, bank, p_clean=1.0, seed=3)
    with caplog.at_level(logging.INFO, logger="aecomp"):
        cropped = AudioDataset(data, 16000, None, bank, p_clean=1.0, seed=3, max_seconds=0.25)
    assert len(cropped) == len(full) == len(data.utts)
    assert f"{len(data.utts)} of {len(data.utts)} utterances are longer than 0.25 s: each is cropped" in caplog.text
    assert cropped.durations == [0.25] * len(data.utts)
    batches = BucketBatchSampler(cropped.durations, 0, batch_seconds=0.5).all_batches()  # 1 s each uncropped
    assert sorted(len(b) for b in batches) == [2] * (len(data.utts) // 2) + [1] * (len(data.utts) % 2)
    starts = []
    for epoch in (0, 1, 2):
        cropped.set_epoch(epoch)
        item, whole = cropped[4], full[4]["clean"]
        assert item["noisy"].shape == item["clean"].shape == (4000,)
        start = next(i for i in range(len(whole) - 4000 + 1) if np.array_equal(whole[i:i + 4000], item["clean"]))
        assert item["key"] == f"{item['uttid']}@{start}"
        starts.append(start)
        assert np.array_equal(cropped[4]["clean"], item["clean"])  # the same (seed, epoch, index), the same crop
    assert len(set(starts)) > 1, "the crop should move between epochs"


def test_max_seconds_crops_a_paired_set_identically(mini_data, tmp_path):
    test = DataDir.load(mini_data / "test")
    make_evalsets(test, noise_grid({"seen": mini_data / "noise_test_seen"}, [0], seed=1), tmp_path, 16000)
    data = DataDir.load(tmp_path / "seen_0dB")
    full = AudioDataset(data, 16000, seed=2)
    cropped = AudioDataset(data, 16000, seed=2, max_seconds=0.5)
    whole, item = full[1], cropped[1]
    start = int(item["key"].split("@")[1])
    assert item["noisy"].shape == (8000,)
    assert np.array_equal(item["noisy"], whole["noisy"][start:start + 8000])
    assert np.array_equal(item["clean"], whole["clean"][start:start + 8000])


def _paired_set(tmp_path, n_spk, noise=True, spk2_samples=8000):
    """A paired set of two 0.5-s utterances: mixture, ``n_spk`` speakers and (optionally) the noise."""
    import soundfile as sf

    from aecomp.data.datadir import write_datadir

    rng = np.random.default_rng(0)
    tables = {name: {} for name in ["wav.scp", *[f"spk{k + 1}.scp" for k in range(n_spk)]]
              + (["noise1.scp"] if noise else [])}
    for u in ("a", "b"):
        parts = {}
        for name in tables:
            if name == "wav.scp":
                continue
            n = spk2_samples if name == "spk2.scp" else 8000
            parts[name] = (0.1 * rng.standard_normal(n)).astype(np.float32)
        for name, wav in parts.items():
            sf.write(tmp_path / f"{u}.{name}.wav", wav, 16000, subtype="FLOAT")
            tables[name][u] = str(tmp_path / f"{u}.{name}.wav")
        sf.write(tmp_path / f"{u}.wav", sum(np.resize(p, 8000) for p in parts.values()), 16000, subtype="FLOAT")
        tables["wav.scp"][u] = str(tmp_path / f"{u}.wav")
    return DataDir.load(write_datadir(tmp_path / "set", tables))


def test_paired_set_gives_every_speaker_and_the_noise_as_references(tmp_path):
    ds = AudioDataset(_paired_set(tmp_path, 2), 16000)
    item = ds[0]
    assert item["sources"].shape == (2, 8000) and item["noise"].shape == (8000,)
    batch = collate([ds[0], ds[1]])
    assert batch.refs.shape == (2, 3, 8000) and batch.has_noise and batch.n_speakers == 2
    assert torch.equal(batch.clean, batch.refs[:, 0])
    assert torch.allclose(batch.refs.sum(1), batch.noisy, atol=1e-5)  # the mixture is the sum of its sources
    on_device = batch.to("cpu")
    assert on_device.has_noise and on_device.refs.shape == (2, 3, 8000)


def test_noise_mixed_on_the_fly_is_the_last_reference(train_set):
    batch = collate([train_set[0], train_set[1]])
    assert batch.refs.shape[:2] == (2, 2) and batch.has_noise and batch.n_speakers == 1
    assert torch.equal(batch.clean, batch.refs[:, 0])
    assert torch.allclose(batch.refs.sum(1), batch.noisy, atol=1e-5)
    train_set.p_clean = 1.0  # clean items have no noise: the batch has the speech reference alone
    batch = collate([train_set[0], train_set[1]])
    assert batch.refs.shape[:2] == (2, 1) and not batch.has_noise and torch.equal(batch.clean, batch.noisy)


def test_a_reference_of_another_length_is_an_error_naming_utterance_and_table(tmp_path):
    ds = AudioDataset(_paired_set(tmp_path, 2, noise=False, spk2_samples=7990), 16000)
    with pytest.raises(DatasetError, match=r"'a' has 8000 samples in wav.scp but 7990 in spk2.scp"):
        ds[0]


def test_a_gap_in_the_speaker_tables_is_an_error(tmp_path):
    data = _paired_set(tmp_path, 2, noise=False)
    data.tables.pop("spk1.scp")
    with pytest.raises(DatasetError, match="spk2.scp have a gap: name them spk1.scp"):
        AudioDataset(data, 16000)


def test_speed_perturbation_resamples_input_and_reference_alike(mini_data):
    data = DataDir.load(mini_data / "train")
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    plain = AudioDataset(data, 16000, None, bank, snr_range=(0, 10), p_clean=0.0, seed=3)
    sp = AudioDataset(data, 16000, None, bank, snr_range=(0, 10), p_clean=0.0, seed=3,
                      speed_perturb=[0.9, 1.0, 1.1])
    factors = [sp.speed_factor(i) for i in range(len(data))]
    assert set(factors) == {0.9, 1.0, 1.1}  # every factor drawn
    for i, f in enumerate(factors[:12]):
        a, b = plain[i], sp[i]
        assert len(b["clean"]) == len(b["noisy"]) == int(np.ceil(len(a["clean"]) / f))
        assert abs(measured_snr(b["clean"], b["noisy"] - b["clean"]) - b["snr"]) < 0.05
        if f == 1.0:  # the other draws are those of an unperturbed run
            assert np.array_equal(a["noisy"], b["noisy"]) and b["key"] == a["key"]
        else:
            assert b["key"] == f"{a['uttid']}~sp{f:g}"
    sp.set_epoch(1)
    assert [sp.speed_factor(i) for i in range(len(data))] != factors  # drawn anew each epoch


@pytest.mark.parametrize("bad", [[0.9, 3.0], ["fast"], [0]])
def test_speed_factors_out_of_range_are_refused(mini_data, bad):
    with pytest.raises(DatasetError, match=r"data.speed_perturb: each factor must be a number in \[0.5, 2\]"):
        AudioDataset(DataDir.load(mini_data / "train"), 16000, speed_perturb=bad)
