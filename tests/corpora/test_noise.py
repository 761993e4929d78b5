"""Noise banks from MUSAN, ESC-50 and Speech Commands' background noise in their real layouts (aecomp/corpora/noise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.corpora.noise import NoiseCorpus
from aecomp.data.datadir import DataDir
from conftest import write_wav


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
