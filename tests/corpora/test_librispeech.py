"""LibriSpeech preparation on a fake tree in the real layout (aecomp/corpora/librispeech.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.data.datadir import DataDir
from conftest import write_wav


def _libri_tree(root, subsets=("train-clean-100", "dev-clean", "test-clean")):
    rng = np.random.default_rng(3)
    for s_i, subset in enumerate(subsets):
        for spk in (100 + 10 * s_i, 101 + 10 * s_i):
            chapter = spk * 10
            folder = root / "LibriSpeech" / subset / str(spk) / str(chapter)
            lines = []
            for k in range(3):
                utt = f"{spk}-{chapter}-{k:04d}"
                write_wav(folder / f"{utt}.flac", (0.1 * rng.standard_normal(8000 + 800 * k)).astype(np.float32))
                lines.append(f"{utt} HELLO  WORLD NUMBER {k}\n")
            (folder / f"{spk}-{chapter}.trans.txt").write_text("".join(lines))
    (root / "LibriSpeech" / "SPEAKERS.TXT").write_text(";\n")
    return root


def test_librispeech_layout(tmp_path):
    from aecomp.corpora.librispeech import LibriSpeech

    root = _libri_tree(tmp_path / "corpus")
    out = LibriSpeech(train=["train_clean_100"]).prepare(root, tmp_path / "data")
    train, test = DataDir.load(out["train"]), DataDir.load(out["test"])
    assert len(train) == len(test) == 6
    assert train.get("text")["100-1000-0002"] == "HELLO WORLD NUMBER 2"
    assert train.get("utt2spk")["101-1010-0000"] == "101"
    assert abs(float(train.get("utt2dur")["100-1000-0001"]) - 0.55) < 1e-3
    assert train.get("wav.scp")["100-1000-0000"].endswith("train-clean-100/100/1000/100-1000-0000.flac")


def test_librispeech_faults_are_located(tmp_path):
    from aecomp.corpora.librispeech import LibriSpeech

    root = _libri_tree(tmp_path / "c")
    trans = root / "LibriSpeech" / "dev-clean" / "110" / "1100" / "110-1100.trans.txt"
    trans.write_text("110-1100-0000 HELLO\n110-1100-0001\n110-1100-0009 GONE\n")
    with pytest.raises(CorpusLayoutError) as err:
        LibriSpeech().prepare(root, tmp_path / "d")
    msg = str(err.value)
    assert f"{trans}:2: '110-1100-0001' has an empty transcript" in msg
    assert f"{trans}:3:" in msg and "110-1100-0009.flac does not exist" in msg
    assert "110-1100-0002.flac has no line in its .trans.txt" in msg
    with pytest.raises(CorpusLayoutError, match="(?s)missing test-other.*Expected layout.*LIBRISPEECH"):
        LibriSpeech(test=["test-other"]).prepare(root, tmp_path / "d")
    with pytest.raises(ValueError, match="unknown LibriSpeech subset"):
        LibriSpeech(train=["train-clean-99"])
