"""DCASE2020 Task 1A preparation on a fake tree in the real layout (aecomp/corpora/dcase2020.py), and the mini
corpus's scene part read by it (aecomp/corpora/mini_asc.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.corpora.dcase2020 import DCASE2020, SCENES
from aecomp.data.datadir import DataDir
from conftest import run_cli, write_wav

ROOT = "TAU-urban-acoustic-scenes-2020-mobile-development"


def fake_tree(base: Path, train_locations=4, test_locations=1, segments=2) -> Path:
    """Every scene recorded at ``train_locations + test_locations`` locations (city-location ids), device a
    or b; the last locations of each scene in fold1_evaluate."""
    root = base / ROOT
    meta, train, test = [], [], []
    for si, scene in enumerate(SCENES):
        for k in range(train_locations + test_locations):
            city = ("barcelona", "helsinki", "lisbon")[k % 3]
            for seg in range(segments):
                device = "ab"[seg % 2]
                name = f"audio/{scene}-{city}-{si * 10 + k}-{seg}-{device}.wav"
                write_wav(root / name, np.zeros(800, np.float32), sr=8000, subtype="PCM_24")
                meta.append(f"{name}\t{scene}\t{city}-{si * 10 + k}\t{device}\n")
                (train if k < train_locations else test).append(f"{name}\t{scene}\n")
    (root / "meta.csv").write_text("filename\tscene_label\tidentifier\tsource_label\n" + "".join(meta))
    (root / "evaluation_setup").mkdir()
    (root / "evaluation_setup" / "fold1_train.csv").write_text("filename\tscene_label\n" + "".join(train))
    (root / "evaluation_setup" / "fold1_evaluate.csv").write_text("filename\tscene_label\n" + "".join(test))
    (root / "evaluation_setup" / "fold1_test.csv").write_text("filename\n" + "".join(t.split("\t")[0] + "\n" for t in test))
    return root


def test_fold1_train_evaluate_and_dev_by_location(tmp_path):
    root = fake_tree(tmp_path)
    out = DCASE2020(dev_fraction=0.25).prepare(root, tmp_path / "data")
    train, dev, test = (DataDir.load(out[s]) for s in ("train", "dev", "test"))
    assert (len(train), len(dev), len(test)) == (10 * 3 * 2, 10 * 1 * 2, 10 * 1 * 2)
    for d in (train, dev, test):
        assert set(d.get("text").values()) == set(SCENES)
    locations = {name: set(d.get("utt2spk").values()) for name, d in (("train", train), ("dev", dev), ("test", test))}
    assert not locations["train"] & locations["dev"] and not locations["train"] & locations["test"]
    assert len(locations["dev"]) == 10  # one location of every scene
    utt = "tram-helsinki-94-1-b"
    assert utt in test.utts and test.get("text")[utt] == "tram" and test.get("utt2spk")[utt] == "helsinki-94"
    assert test.get("wav.scp")[utt] == str(root / "audio" / f"{utt}.wav")
    assert float(test.get("utt2dur")[utt]) == pytest.approx(0.1)
    again = DCASE2020(dev_fraction=0.25, seed=1).prepare(root, tmp_path / "data1")
    assert len(DataDir.load(again["dev"])) == 20  # another seed, other locations, the same share


def _edit(path: Path, lineno: int, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = new
    path.write_text("".join(lines))


@pytest.mark.parametrize("file, lineno, new, message", [
    ("meta.csv", 1, "filename,scene_label,identifier,source_label\n", r"meta.csv:1: header must be"),
    ("evaluation_setup/fold1_train.csv", 1, "file\tscene\n", r"fold1_train.csv:1: header must be"),
    ("meta.csv", 3, "audio/x.wav\tbeach\tbarcelona-0\ta\n", r"meta.csv:3: unknown scene 'beach'"),
    ("evaluation_setup/fold1_evaluate.csv", 2, "audio/airport-helsinki-4-0-a.wav\tpark\n",
     r"fold1_evaluate.csv:2: 'audio/airport-helsinki-4-0-a.wav' is 'park' here but 'airport' in meta.csv"),
    ("evaluation_setup/fold1_train.csv", 2, "audio/airport-barcelona-0-0-a.wav\n",
     r"fold1_train.csv:2: expected 2 tab-separated fields"),
])
def test_bad_lists_name_the_file_and_line(tmp_path, file, lineno, new, message):
    root = fake_tree(tmp_path)
    _edit(root / file, lineno, new)
    with pytest.raises(CorpusLayoutError, match=message):
        DCASE2020().prepare(root, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_missing_audio_is_listed_with_lines_and_the_cli_fails_cleanly(tmp_path):
    root = fake_tree(tmp_path)
    (root / "audio" / "bus-helsinki-11-1-b.wav").unlink()
    (root / "audio" / "park-lisbon-42-0-a.wav").unlink()
    with pytest.raises(CorpusLayoutError, match=r"(?s)2 file\(s\) named in fold1_train.csv do not exist.*"
                                                r"fold1_train.csv:\d+: audio/bus-helsinki-11-1-b.wav.*park-lisbon-42-0-a"):
        DCASE2020().prepare(root, tmp_path / "data")
    proc = run_cli("prepare", "dcase2020", "--corpus_dir", str(tmp_path / "nowhere"), "--out_dir", str(tmp_path / "o"),
                   check=False)
    assert proc.returncode == 1 and "Expected layout" in proc.stderr and "DCASE2020" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_mini_scene_corpus_is_in_the_real_layout(tmp_path):
    from aecomp.corpora.mini import build
    from aecomp.corpora.mini_asc import SAMPLE_RATE, SIZES

    build(tmp_path / "mini", parts=("asc",), size="debug")
    out = DCASE2020(dev_fraction=0.5).prepare(tmp_path / "mini" / "asc" / ROOT, tmp_path / "data")
    size = SIZES["debug"]
    test = DataDir.load(out["test"])
    assert len(test) == 10 * size["test_locations"] * size["segments"]
    assert len(DataDir.load(out["train"])) + len(DataDir.load(out["dev"])) == 10 * size["train_locations"] * size["segments"]
    wav = test.audio(test.utts[0], SAMPLE_RATE)
    assert wav.shape == (int(size["clip_seconds"] * SAMPLE_RATE),) and np.abs(wav).max() > 1e-3
    # scenes differ: the mean log spectrum of street_traffic and park clips are far apart
    spec = {}
    for utt in test.utts:
        x = test.audio(utt, SAMPLE_RATE)
        spec.setdefault(test.get("text")[utt], []).append(np.log(np.abs(np.fft.rfft(x))[::50] ** 2 + 1e-9))
    gap = np.abs(np.mean(spec["street_traffic"], 0) - np.mean(spec["park"], 0)).mean()
    assert gap > 1.0, gap
    first = (tmp_path / "mini" / "asc" / ROOT / "meta.csv").read_bytes()
    build(tmp_path / "again", parts=("asc",), size="debug")
    assert (tmp_path / "again" / "asc" / ROOT / "meta.csv").read_bytes() == first
