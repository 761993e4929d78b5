"""WHAM! preparation on a fake tree in the generated layout (aecomp/corpora/wham.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corpora.base import CorpusLayoutError
from aecomp.data.datadir import DataDir
from conftest import write_wav

NAMES = {"tr": ["011a0101_1.2_20ba0102_-1.2", "011a0103_0.4_20cc0104_-0.4"],
         "cv": ["40aa0101_0.9_40ba0102_-0.9"], "tt": ["050a0101_2.1_051a0102_-2.1"]}


def _wham_tree(root, sr="8k", mode="min"):
    rng = np.random.default_rng(0)
    rate = 8000 if sr == "8k" else 16000
    for split, names in NAMES.items():
        for k, name in enumerate(names):
            n = rate // 2 + 100 * k
            s1, s2, noise = (0.1 * rng.standard_normal(n).astype(np.float32) for _ in range(3))
            for folder, wav in (("s1", s1), ("s2", s2), ("noise", noise), ("mix_clean", s1 + s2),
                                ("mix_single", s1 + noise), ("mix_both", s1 + s2 + noise)):
                write_wav(root / f"wav{sr}" / mode / split / folder / f"{name}.wav", wav, rate)
    return root


def test_wham_sep_noisy(tmp_path):
    from aecomp.corpora.wham import Wham

    root = _wham_tree(tmp_path / "wham")
    out = Wham().prepare(root, tmp_path / "data")
    assert sorted(out) == ["dev", "test", "train"]
    train = DataDir.load(out["train"])
    name = NAMES["tr"][1]
    assert train.utts == sorted(NAMES["tr"])
    assert train.get("wav.scp")[name].endswith(f"wav8k/min/tr/mix_both/{name}.wav")
    assert train.get("spk1.scp")[name].endswith(f"tr/s1/{name}.wav")
    assert train.get("spk2.scp")[name].endswith(f"tr/s2/{name}.wav")
    assert train.get("noise1.scp")[name].endswith(f"tr/noise/{name}.wav")
    assert train.get("utt2spk")[name] == "011_20c"
    assert abs(float(train.get("utt2dur")[name]) - 4100 / 8000) < 1e-4
    assert DataDir.load(out["test"]).utts == NAMES["tt"]


@pytest.mark.parametrize("task, inp, refs, noise", [
    ("sep_clean", "mix_clean", ["s1", "s2"], False),
    ("enh_single", "mix_single", ["s1"], True),
    ("enh_both", "mix_both", ["mix_clean"], True),
])
def test_wham_other_tasks(tmp_path, task, inp, refs, noise):
    from aecomp.corpora.wham import Wham

    root = _wham_tree(tmp_path / "wham", sr="16k", mode="max")
    dev = DataDir.load(Wham(task=task, sample_rate="16k", mode="max").prepare(root, tmp_path / "d")["dev"])
    name = NAMES["cv"][0]
    assert dev.get("wav.scp")[name].endswith(f"wav16k/max/cv/{inp}/{name}.wav")
    for k, ref in enumerate(refs, start=1):
        assert dev.get(f"spk{k}.scp")[name].endswith(f"cv/{ref}/{name}.wav")
    assert dev.has("spk2.scp") == (len(refs) == 2)
    assert dev.has("noise1.scp") == noise


def test_wham_faults_name_file_and_utterance(tmp_path):
    from aecomp.corpora.wham import Wham

    root = _wham_tree(tmp_path / "wham")
    tr = root / "wav8k" / "min" / "tr"
    gone = NAMES["tr"][0]
    (tr / "s2" / f"{gone}.wav").unlink()
    short = NAMES["tr"][1]
    write_wav(tr / "noise" / f"{short}.wav", np.zeros(100, dtype=np.float32), 8000)
    with pytest.raises(CorpusLayoutError) as err:
        Wham().prepare(root, tmp_path / "data")
    msg = str(err.value)
    assert f"{tr / 's2'}/{gone}.wav is missing (mix_both/{gone}.wav exists)" in msg
    assert f"'{short}' has 4100 samples in mix_both but noise 100 samples at 8000 Hz" in msg
    assert not (tmp_path / "data" / "train").exists()  # nothing half-written
    # sep_clean needs neither noise nor ... but still s2
    with pytest.raises(CorpusLayoutError, match="s2"):
        Wham(task="sep_clean").prepare(root, tmp_path / "data")
    # enh_single reads only mix_single, s1, noise: the missing s2 does not matter, the short noise does
    with pytest.raises(CorpusLayoutError, match="noise 100 samples"):
        Wham(task="enh_single").prepare(root, tmp_path / "data")


def test_wham_layout_and_options(tmp_path):
    from aecomp.corpora.wham import Wham

    root = _wham_tree(tmp_path / "wham")
    with pytest.raises(CorpusLayoutError, match="(?s)missing wav16k/min/tr/mix_both.*Expected layout.*WHAM"):
        Wham(sample_rate="16k").prepare(root, tmp_path / "d")
    with pytest.raises(ValueError, match="task must be one of"):
        Wham(task="sep")
    with pytest.raises(ValueError, match="min or max"):
        Wham(mode="mean")
