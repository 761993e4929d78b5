"""Speech Commands preparation on a fake tree in the real layout (aecomp/corpora/speech_commands.py)."""

from __future__ import annotations

import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.corpora.speech_commands import CORE_10, SILENCE, UNKNOWN, WORDS_35, SpeechCommands
from aecomp.data.datadir import DataDir
from conftest import run_cli, SPEAKERS


def test_35_word_task_counts_equal_the_official_lists(sc_tree, tmp_path):
    root, val, test = sc_tree
    out = SpeechCommands().prepare(root, tmp_path)
    dev_d, test_d, train_d = (DataDir.load(out[s]) for s in ("dev", "test", "train"))
    assert len(dev_d) == len(val) and len(test_d) == len(test)
    total = sum(1 for _ in root.glob("*/*_nohash_*.wav"))
    assert len(train_d) == total - len(val) - len(test)
    assert set(train_d.get("text").values()) == set(WORDS_35)
    assert set(train_d.get("utt2spk").values()) == set(SPEAKERS[:4])
    utt = f"{SPEAKERS[5]}-bed-0"
    assert test_d.get("text")[utt] == "bed" and test_d.get("wav.scp")[utt] == str(root / "bed" / f"{SPEAKERS[5]}_nohash_0.wav")
    assert abs(float(train_d.get("utt2dur")[f"{SPEAKERS[0]}-bed-0"]) - 1.0) < 1e-6


def test_12_class_task(sc_tree, tmp_path):
    root, _, _ = sc_tree
    out = SpeechCommands(task="12", unknown_fraction=0.1).prepare(root, tmp_path)
    train = DataDir.load(out["train"])
    labels = list(train.get("text").values())
    assert set(labels) == set(CORE_10) | {UNKNOWN, SILENCE}
    known = sum(lab in CORE_10 for lab in labels)
    assert labels.count(SILENCE) == labels.count(UNKNOWN) == round(known * 0.1 / 0.8)
    silence = next(u for u in train.utts if train.get("text")[u] == SILENCE)
    assert train.audio(silence, 16000).shape == (16000,)
    rec, start, end = train.get("segments")[silence].split()
    assert rec.startswith("bg-") and float(start) < 0.8 * 12 - 1


def test_missing_listed_clip_and_wrong_root(sc_tree, tmp_path):
    root, val, _ = sc_tree
    with pytest.raises(CorpusLayoutError, match="(?s)does not exist.*Expected layout.*validation_list.txt.*SPEECH_COMMANDS"):
        SpeechCommands().prepare(tmp_path / "nowhere", tmp_path / "out")
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in ("validation_list.txt", "testing_list.txt"):
        (broken / f).write_text((root / f).read_text())
    for w in WORDS_35:
        (broken / w).mkdir()
    with pytest.raises(CorpusLayoutError, match=r"(?s)validation_list.txt:1: .*extract speech_commands_v0.02.tar.gz again"):
        SpeechCommands().prepare(broken, tmp_path / "out")
    proc = run_cli("prepare", "speech_commands", "--corpus_dir", str(tmp_path / "nowhere"), "--out_dir", str(tmp_path / "o"),
                   check=False)
    assert proc.returncode == 1 and "Expected layout" in proc.stderr and "Traceback" not in proc.stderr
