"""Part 'ser' of the mini corpus (aecomp/corpora/mini_ser.py): read by the real IEMOCAP, ESC-50 and MUSAN parsers."""

from __future__ import annotations

from collections import Counter

import pytest

from aecomp.corpora import mini, mini_ser
from aecomp.data.datadir import DataDir


@pytest.fixture(scope="module")
def ser_part(tmp_path_factory):
    root = mini.build(tmp_path_factory.mktemp("mini") / "corpus", parts=("ser",), size="debug")
    return root / "ser"


def test_the_real_parsers_read_it(ser_part, tmp_path):
    from aecomp.corpora.iemocap import IEMOCAP
    from aecomp.corpora.noise import NoiseCorpus

    out = IEMOCAP(split="loso", folds=5).prepare(ser_part / "IEMOCAP_full_release", tmp_path / "data")
    turns = mini_ser.SIZES["debug"]["turns"]
    for k in range(1, 6):
        test = DataDir.load(out[f"fold{k}/test"])
        assert set(test.get("utt2spk").values()) == {f"Ses0{k}F", f"Ses0{k}M"}
        counts = Counter(test.get("text").values())
        assert set(counts) == {"neu", "hap", "sad", "ang"} and sum(counts.values()) < 2 * turns  # fru etc. dropped
    every = Counter(DataDir.load(out["fold1/train"]).get("text").values()) + Counter(
        DataDir.load(out["fold1/dev"]).get("text").values()) + Counter(DataDir.load(out["fold1/test"]).get("text").values())
    share = {c: n / sum(every.values()) for c, n in every.items()}
    assert share["neu"] > share["sad"] and share["hap"] > share["ang"]  # IEMOCAP's 4-class proportions
    assert abs(share["sad"] - share["ang"]) < 0.05
    # every utterance id names its session, dialog and speaker as the release does
    wavs = DataDir.load(out["fold1/test"]).get("wav.scp")
    assert all(f"/Session1/sentences/wav/{u.rsplit('_', 1)[0]}/{u}.wav" in p for u, p in wavs.items())
    noise = NoiseCorpus(esc50=str(ser_part / "ESC-50-master"), musan=str(ser_part / "musan"),
                        esc50_unseen_groups=[], musan_test_fraction=1.0).prepare(None, tmp_path / "noise")
    train_cats = set(DataDir.load(noise["noise_train"]).get("utt2category").values())
    assert train_cats == {f"esc50-{c}" for c, _ in mini_ser.ESC50_CLASSES.values()}
    assert set(DataDir.load(noise["noise_test_seen"]).get("utt2category").values()) == train_cats
    assert set(DataDir.load(noise["noise_test_unseen"]).get("utt2category").values()) == {
        "musan-free-sound", "musan-sound-bible"}


def test_voices_and_codes_are_deterministic_and_varied():
    voices = mini_ser.session_voices(0)
    assert len(voices) == 10 and len(set(voices.values())) == 10
    assert {v.engine for v in voices.values()} == {"espeak-ng", "flite", "festival"}
    assert mini_ser.session_voices(0) == voices and mini_ser.session_voices(1) != voices
    import numpy as np

    codes = mini_ser.turn_codes(56, np.random.default_rng(0))
    counts = Counter(codes)
    assert len(codes) == 56 and counts["hap"] + counts["exc"] > counts["sad"] and counts["fru"] > 0
