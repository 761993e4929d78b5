"""IEMOCAP preparation on a fake tree in the real layout (aecomp/corpora/iemocap.py)."""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.data.datadir import DataDir
from conftest import write_wav

# per speaker (gender): the codes of its turns, in order; 4-class: neu 2, hap 2 (one exc), sad 1, ang 1
CODES = ["neu", "exc", "sad", "ang", "fru", "neu", "hap", "xxx"]


def _iemocap_tree(root):
    """Five sessions, one improvised dialog each, 8 turns per speaker written as the release does:
    header, summary lines with per-annotator lines after them, a macOS '._' file to ignore."""
    rng = np.random.default_rng(0)
    for n in range(1, 6):
        session = root / "IEMOCAP_full_release" / f"Session{n}"
        dialog = f"Ses0{n}F_impro01"
        lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
        for g in "FM":
            for k, code in enumerate(CODES):
                utt = f"{dialog}_{g}{k:03d}"
                write_wav(session / "sentences" / "wav" / dialog / f"{utt}.wav",
                          (0.1 * rng.standard_normal(1600 * (k + 1))).astype(np.float32))
                lines += [f"[{k * 3.0:.4f} - {k * 3.0 + 2.5:.4f}]\t{utt}\t{code}\t[2.5000, 3.0000, 2.0000]",
                          "C-E1:\tNeutral;\t()", "C-E3:\tAnger; Frustration;\t(a note)",
                          "A-E3:\tval 3; act 2; dom  2;\t()", ""]
        evaluation = session / "dialog" / "EmoEvaluation"
        evaluation.mkdir(parents=True)
        (evaluation / f"{dialog}.txt").write_text("\n".join(lines) + "\n")
        (evaluation / f"._{dialog}.txt").write_bytes(b"\x00\x05\x16\x07 mac metadata")
        (evaluation / "Categorical").mkdir()  # the release has these sub-folders: not summary files
        (evaluation / "Categorical" / f"{dialog}_e1_cat.txt").write_text(f"{dialog}_F000 :Neutral; ()\n")
    return root / "IEMOCAP_full_release"


def test_espnet_split_counts_classes_and_merges_exc(tmp_path, caplog):
    from aecomp.corpora.iemocap import IEMOCAP

    root = _iemocap_tree(tmp_path / "c")
    with caplog.at_level(logging.INFO, logger="aecomp.corpora.iemocap"):
        out = IEMOCAP(split="espnet").prepare(root, tmp_path / "data")
    assert sorted(out) == ["dev", "test", "train"]
    train, dev, test = (DataDir.load(out[s]) for s in ("train", "dev", "test"))
    assert sorted(set(train.get("utt2spk").values())) == ["Ses01F", "Ses01M", "Ses02F", "Ses02M", "Ses03F",
                                                          "Ses03M", "Ses04F"]
    assert set(dev.get("utt2spk").values()) == {"Ses04M"}
    assert set(test.get("utt2spk").values()) == {"Ses05F", "Ses05M"}
    assert Counter(train.get("text").values()) == {"neu": 14, "hap": 14, "sad": 7, "ang": 7}
    assert Counter(test.get("text").values()) == {"neu": 4, "hap": 4, "sad": 2, "ang": 2}
    text = test.get("text")
    assert text["Ses05F_impro01_M001"] == "hap"  # exc -> hap
    assert "Ses05F_impro01_M004" not in text and "Ses05F_impro01_F007" not in text  # fru, xxx dropped
    assert test.get("wav.scp")["Ses05F_impro01_M002"].endswith(
        "Session5/sentences/wav/Ses05F_impro01/Ses05F_impro01_M002.wav")
    assert float(test.get("utt2dur")["Ses05F_impro01_F002"]) == pytest.approx(0.3)
    msg = caplog.text
    assert "80 summary lines; kept 60 in 4 classes (neu 20, hap 20, sad 10, ang 10; exc merged into hap: 10)" in msg
    assert "dropped 20 (fru 10, xxx 10)" in msg


def test_leave_one_session_out_folds(tmp_path):
    from aecomp.corpora.iemocap import IEMOCAP

    root = _iemocap_tree(tmp_path / "c")
    out = IEMOCAP(split="loso", folds=5).prepare(root, tmp_path / "data")
    assert sorted(out) == [f"fold{k}/{s}" for k in range(1, 6) for s in ("dev", "test", "train")]
    for k in range(1, 6):
        spk = {s: set(DataDir.load(out[f"fold{k}/{s}"]).get("utt2spk").values()) for s in ("train", "dev", "test")}
        assert spk["test"] == {f"Ses0{k}F", f"Ses0{k}M"}
        assert spk["dev"] == {f"Ses0{(k - 2) % 5 + 1}M"}
        assert len(spk["train"]) == 7 and not spk["train"] & (spk["dev"] | spk["test"])
        n = {s: len(DataDir.load(out[f"fold{k}/{s}"])) for s in ("train", "dev", "test")}
        assert n == {"train": 42, "dev": 6, "test": 12}
    # fold 5 is ESPnet's split
    espnet = IEMOCAP(split="espnet").prepare(root, tmp_path / "espnet")
    for s in ("train", "dev", "test"):
        assert DataDir.load(espnet[s]).get("text") == DataDir.load(out[f"fold5/{s}"]).get("text")


def _break(root, old, new):
    path = root / "Session2" / "dialog" / "EmoEvaluation" / "Ses02F_impro01.txt"
    lines = path.read_text().split("\n")
    i = next(i for i, line in enumerate(lines) if old in line)
    lines[i] = lines[i].replace(old, new)
    path.write_text("\n".join(lines))
    return f"{path}:{i + 1}"


@pytest.mark.parametrize("old,new,expected", [
    ("\tSes02F_impro01_F002\tsad", " Ses02F_impro01_F002 sad", "malformed summary line"),
    ("\tsad\t", "\tsadness\t", "unknown emotion code 'sadness' for Ses02F_impro01_F002; codes are neu hap exc"),
    ("Ses02F_impro01_F002\t", "Ses02F_impro01_F000\t", "turn 'Ses02F_impro01_F000' has a summary line already"),
])
def test_bad_lines_are_located(tmp_path, old, new, expected):
    from aecomp.corpora.iemocap import IEMOCAP

    root = _iemocap_tree(tmp_path / "c")
    where = _break(root, old, new)
    with pytest.raises(CorpusLayoutError) as err:
        IEMOCAP().prepare(root, tmp_path / "data")
    assert f"{where}: {expected}" in str(err.value)
    assert not (tmp_path / "data").exists()  # nothing half-written


def test_missing_wav_is_located(tmp_path):
    from aecomp.corpora.iemocap import IEMOCAP

    root = _iemocap_tree(tmp_path / "c")
    wav = root / "Session3" / "sentences" / "wav" / "Ses03F_impro01" / "Ses03F_impro01_M003.wav"
    wav.unlink()
    dropped = root / "Session3" / "sentences" / "wav" / "Ses03F_impro01" / "Ses03F_impro01_M004.wav"
    dropped.unlink()  # a fru turn: not needed, not an error
    with pytest.raises(CorpusLayoutError) as err:
        IEMOCAP().prepare(root, tmp_path / "data")
    msg = str(err.value)
    assert msg.startswith("1 problem(s)")
    assert f"Ses03F_impro01.txt:58: names 'Ses03F_impro01_M003' but {wav} does not exist" in msg


def test_not_the_layout(tmp_path):
    from aecomp.corpora.iemocap import IEMOCAP

    (tmp_path / "x" / "Session1").mkdir(parents=True)
    with pytest.raises(CorpusLayoutError, match="(?s)missing Session1/dialog/EmoEvaluation.*Set IEMOCAP"):
        IEMOCAP().prepare(tmp_path / "x", tmp_path / "data")
    with pytest.raises(ValueError, match="folds must be 1..5"):
        IEMOCAP(split="loso", folds=6)
