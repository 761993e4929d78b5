"""The built-in mini corpus: deterministic, speaker-disjoint splits, disjoint noise with unseen types."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aecomp.corpora import mini
from aecomp.data.datadir import DataDir


def _digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    a = mini.build(tmp_path / "a", size="debug", seed=0)
    b = mini.build(tmp_path / "b", size="debug", seed=0, nj=1)
    da, db = _digest(a), _digest(b)
    assert len(da) > 100 and da == db
    c = mini.build(tmp_path / "c", size="debug", seed=1)
    assert _digest(c) != da


def test_rebuild_is_skipped_and_fingerprinted(tmp_path):
    root = mini.build(tmp_path / "m", size="debug")
    marker = root / "noise" / ".done"
    stamp = marker.stat().st_mtime_ns
    mini.build(root, size="debug")
    assert marker.stat().st_mtime_ns == stamp
    marker.write_text("stale")
    mini.build(root, size="debug")
    assert marker.read_text() != "stale"


def test_prepared_splits(mini_data):
    splits = {s: DataDir.load(mini_data / s) for s in ("train", "dev", "test")}
    speakers = {s: set(d.get("utt2spk").values()) for s, d in splits.items()}
    assert not (speakers["train"] & speakers["dev"]) and not (speakers["train"] & speakers["test"])
    assert not (speakers["dev"] & speakers["test"])
    for d in splits.values():
        assert set(d.get("text").values()) == set(mini.WORDS)
    n = mini.SIZES["debug"]
    assert len(splits["train"]) == n["train"] * len(mini.WORDS) * n["takes"]


def test_noise_bank_disjoint_with_unseen_types(mini_data):
    train = DataDir.load(mini_data / "noise_train")
    seen = DataDir.load(mini_data / "noise_test_seen")
    unseen = DataDir.load(mini_data / "noise_test_unseen")
    files = [set(d.get("wav.scp").values()) for d in (train, seen, unseen)]
    assert not (files[0] & files[1]) and not (files[0] & files[2])
    assert set(train.get("utt2category").values()) == set(mini.SEEN_NOISE)
    assert set(seen.get("utt2category").values()) == set(mini.SEEN_NOISE)
    assert set(unseen.get("utt2category").values()) == set(mini.UNSEEN_NOISE)


def test_speakers_are_distinct_voices():
    voices = [s.voice for s in mini.speakers("default")]
    assert len(set(voices)) == len(voices)
    assert {s.split for s in mini.speakers("default")} == {"train", "dev", "test", "babble"}


def test_sentences_for_asr_in_librispeech_layout(tmp_path):
    from aecomp.corpora.mini import MiniCorpus

    out = MiniCorpus(task="asr", size="debug").prepare(tmp_path / "corpus", tmp_path / "data")
    train, test = DataDir.load(out["train"]), DataDir.load(out["test"])
    n = mini.SIZES["debug"]
    assert len(train) == n["train"] * n["sentences"] and len(test) == n["test"] * n["sentences"]
    words = {w for t in train.get("text").values() for w in t.split()}
    assert "THE" in words and all(w.isupper() for w in words)
    assert not set(train.get("utt2spk").values()) & set(test.get("utt2spk").values())
    assert (tmp_path / "corpus" / "LibriSpeech" / "SPEAKERS.TXT").is_file()
    assert 1.0 < float(train.durations()[train.utts[0]]) < 6.0


def test_every_split_hears_every_synthesiser():
    for size in ("default", "debug"):
        by_split = {}
        for s in mini.speakers(size):
            by_split.setdefault(s.split, []).append(s.voice.engine)
        for split, engines in by_split.items():  # a split of two speakers (debug) has room for two engines
            assert len(set(engines)) == min(3, len(engines)) and set(engines) <= set(mini.ENGINE_SHARE)
    default = mini.speakers("default")
    train = [s for s in default if s.split == "train"]
    share = sum(s.voice.engine == "espeak-ng" for s in train) / len(train)
    assert abs(share - mini.ENGINE_SHARE["espeak-ng"]) < 0.05
    assert len({round(s.voice.warp, 3) for s in default}) > len(default) // 2  # a warp of their own


def test_rooms_train_and_test_apart_with_test_rooms_at_the_reverb_levels(mini_data):
    train, test = DataDir.load(mini_data / "rirs_train"), DataDir.load(mini_data / "rirs_test")
    assert not set(train.get("wav.scp").values()) & set(test.get("wav.scp").values())
    n = mini.SIZES["debug"]
    assert (len(train), len(test)) == (n["rirs_train"], n["rirs_test"])
    rt60 = [float(v) for v in test.get("utt2rt60").values()]
    for level in mini.REVERB_LEVELS:  # every level of the reverb condition has a response within 10 %
        assert any(abs(r / level - 1) <= 0.1 for r in rt60), (level, rt60)
