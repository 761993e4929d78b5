"""Corpus preparation on fake trees in the real layouts (Speech Commands, MUSAN, ESC-50)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.corpora.noise import NoiseCorpus
from aecomp.corpora.speech_commands import CORE_10, SILENCE, UNKNOWN, WORDS_35, SpeechCommands
from aecomp.data.datadir import DataDir

from conftest import run_cli, tone, write_wav

SPEAKERS = ["0a7c2a8d", "1b4c9b89", "2c5d0c9a", "3d6e1dab", "4e7f2ebc", "5f803fcd"]


@pytest.fixture(scope="module")
def sc_tree(tmp_path_factory):
    """A Speech Commands v0.02 tree: 35 words x 6 speakers x 1-2 takes, lists, background noise."""
    root = tmp_path_factory.mktemp("sc") / "speech_commands_v0.02"
    clip = tone(1.0, amp=0.2)
    for w_i, word in enumerate(WORDS_35):
        for s_i, spk in enumerate(SPEAKERS):
            for take in range(1 + (w_i + s_i) % 2):
                write_wav(root / word / f"{spk}_nohash_{take}.wav", clip)
    val = sorted(p.relative_to(root).as_posix() for p in root.glob(f"*/{SPEAKERS[4]}_nohash_*.wav"))
    test = sorted(p.relative_to(root).as_posix() for p in root.glob(f"*/{SPEAKERS[5]}_nohash_*.wav"))
    (root / "validation_list.txt").write_text("\n".join(val) + "\n")
    (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    rng = np.random.default_rng(0)
    for name in ("white_noise", "pink_noise", "doing_the_dishes", "running_tap", "exercise_bike", "dude_miaowing"):
        write_wav(root / "_background_noise_" / f"{name}.wav", (0.1 * rng.standard_normal(16000 * 12)).astype(np.float32))
    (root / "_background_noise_" / "README.md").write_text("noise")
    (root / "LICENSE").write_text("CC-BY-4.0")
    return root, val, test


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


@pytest.fixture(scope="module")
def noise_trees(tmp_path_factory):
    base = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(1)
    noise = lambda: (0.1 * rng.standard_normal(8000)).astype(np.float32)  # noqa: E731
    for source in ("free-sound", "sound-bible"):
        for i in range(5):
            write_wav(base / "musan" / "noise" / source / f"noise-{source}-{i:04d}.wav", noise())
        (base / "musan" / "noise" / source / "ANNOTATIONS").write_text("x")
    esc = base / "ESC-50-master"
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for target, cat in ((0, "dog"), (21, "sneezing"), (41, "chainsaw")):
        for fold in range(1, 6):
            name = f"{fold}-{100 + target}-A-{target}.wav"
            write_wav(esc / "audio" / name, noise(), sr=44100)
            rows.append(f"{name},{fold},{target},{cat},False,{100 + target},A")
    (esc / "meta").mkdir(parents=True)
    (esc / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    return base


def test_noise_bank_from_real_layouts(sc_tree, noise_trees, tmp_path):
    corpus = NoiseCorpus(speech_commands=str(sc_tree[0]), musan=str(noise_trees / "musan"),
                         esc50=str(noise_trees / "ESC-50-master"))
    out = corpus.prepare(None, tmp_path)
    train, seen, unseen = (DataDir.load(out[k]) for k in ("noise_train", "noise_test_seen", "noise_test_unseen"))
    files = [set(d.get("wav.scp").values()) for d in (train, seen, unseen)]
    assert not (files[0] & files[1]) and not (files[0] & files[2])
    cats = [set(d.get("utt2category").values()) for d in (train, seen, unseen)]
    assert "esc50-chainsaw" in cats[2] and "esc50-chainsaw" not in cats[0]  # urban: unseen
    assert "animal" in cats[2] and {"stationary", "household"} <= cats[1]
    assert {"esc50-dog", "esc50-sneezing", "musan-free-sound"} <= cats[0] & cats[1]
    assert len(train.get("wav.scp")) == 3 + 8 + 8  # sc + musan 80 % + esc50 folds 1-4 of two classes
    assert DataDir.load(out["noise_train"]).audio("esc50-1-100-A-0", 16000).shape == (int(8000 * 16000 / 44100) + 1,)


def test_noise_bank_layout_errors(tmp_path):
    with pytest.raises(CorpusLayoutError, match="esc50.csv does not exist"):
        NoiseCorpus(esc50=str(tmp_path)).prepare(None, tmp_path / "o")
    with pytest.raises(CorpusLayoutError, match="no noise source given"):
        NoiseCorpus().prepare(None, tmp_path / "o")


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
