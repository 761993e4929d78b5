"""On-the-fly corruption, fixed evaluation sets, bucketed batching."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.audio.mixing import measured_snr
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, NoiseBank, collate
from aecomp.data.evalsets import make_evalsets
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


def test_evalsets_hit_their_snr_and_share_noise_across_snrs(mini_data, tmp_path):
    test = DataDir.load(mini_data / "test")
    sets = make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [10, 0], tmp_path, 16000, seed=1)
    assert [p.name for p in sets] == ["clean", "seen_snr10", "seen_snr0"]
    hi, lo = DataDir.load(tmp_path / "seen_snr10"), DataDir.load(tmp_path / "seen_snr0")
    utt = test.utts[0]
    for d, snr in ((hi, 10), (lo, 0)):
        noisy, clean = d.audio(utt, 16000), d.audio(utt, 16000, "spk1.scp")
        assert abs(measured_snr(clean, noisy - clean) - snr) < 0.05  # 16-bit FLAC quantisation
    assert (tmp_path / "seen_snr0" / "mix.tsv").read_text().splitlines()[1].split("\t")[1] == \
        (tmp_path / "seen_snr10" / "mix.tsv").read_text().splitlines()[1].split("\t")[1]
    mtime = (tmp_path / "seen_snr0" / "wav.scp").stat().st_mtime_ns
    make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [10, 0], tmp_path, 16000, seed=1)
    assert (tmp_path / "seen_snr0" / "wav.scp").stat().st_mtime_ns == mtime, "an unchanged set was rewritten"


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
    make_evalsets(DataDir.load(mini_data / "test"), {"hiss": noise}, [0], tmp_path / "eval", 16000)
    assert "noise looped for 20 of 20 utterances" in caplog.text
    assert (tmp_path / "eval" / "hiss_snr0" / "mix.tsv").read_text().splitlines()[1].endswith("\t1")


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
    make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [0], tmp_path, 16000, seed=1)
    data = DataDir.load(tmp_path / "seen_snr0")
    full = AudioDataset(data, 16000, seed=2)
    cropped = AudioDataset(data, 16000, seed=2, max_seconds=0.5)
    whole, item = full[1], cropped[1]
    start = int(item["key"].split("@")[1])
    assert item["noisy"].shape == (8000,)
    assert np.array_equal(item["noisy"], whole["noisy"][start:start + 8000])
    assert np.array_equal(item["clean"], whole["clean"][start:start + 8000])


def test_a_malformed_evalset_is_refused_before_it_is_moved_into_place(mini_data, tmp_path, monkeypatch):
    from pathlib import Path

    import aecomp.data.evalsets as evalsets
    from aecomp.data.datadir import DataDirError

    test = DataDir.load(mini_data / "test")
    first = test.utts[0]
    real_write = evalsets.write_audio

    def write_first_empty(path, wav, sample_rate):  # a mixture that came out as a 0-byte file
        if Path(path).name == f"{first}.flac":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_bytes(b"")
        else:
            real_write(path, wav, sample_rate)

    monkeypatch.setattr(evalsets, "write_audio", write_first_empty)
    with pytest.raises(DataDirError) as err:
        make_evalsets(test, {"seen": DataDir.load(mini_data / "noise_test_seen")}, [0], tmp_path, 16000, seed=1)
    message = str(err.value)
    assert f"{tmp_path / 'seen_snr0' / 'wav.scp'}:1: '{first}'" in message and "is empty (0 bytes)" in message
    assert f"evaluation set {tmp_path / 'seen_snr0'} was not written" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]  # no set, no temporary folder
