"""Part wham of the mini corpus (aecomp/corpora/mini_wham.py): the WHAM! layout, WHAM!'s level draws,
speakers disjoint between splits, read back by the real WHAM! parser."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from aecomp.corpora.mini import MiniCorpus

    base = tmp_path_factory.mktemp("mini_wham")
    out = MiniCorpus(task="wham", size="debug").prepare(base / "corpus", base / "data")
    return base, out


def test_layout_levels_and_speakers(built):
    from aecomp.corpora.mini_wham import NOISE_SNR_DB, SIZES, SPEAKER_GAIN_DB

    base, out = built
    root = base / "corpus" / "wham" / "wav8k" / "min"
    speakers = {}
    for split, n in SIZES["debug"].items():
        names = sorted(p.stem for p in (root / split / "mix_both").glob("*.wav"))
        assert len(names) == n
        for sub in ("mix_clean", "mix_single", "s1", "s2", "noise"):
            assert sorted(p.stem for p in (root / split / sub).glob("*.wav")) == names
        speakers[split] = set()
        for name in names:
            wav = {sub: sf.read(root / split / sub / f"{name}.wav", dtype="float64") for sub in
                   ("mix_both", "mix_clean", "mix_single", "s1", "s2", "noise")}
            assert {rate for _, rate in wav.values()} == {8000}
            x = {k: v for k, (v, _) in wav.items()}
            assert len({len(v) for v in x.values()}) == 1
            q = 3 / 32768  # three 16-bit roundings
            assert np.abs(x["mix_both"] - x["s1"] - x["s2"] - x["noise"]).max() <= q
            assert np.abs(x["mix_clean"] - x["s1"] - x["s2"]).max() <= q
            assert np.abs(x["mix_single"] - x["s1"] - x["noise"]).max() <= q
            utt1, gain1, utt2, gain2 = name.split("_")
            assert float(gain1) == -float(gain2) and 0 <= float(gain1) <= SPEAKER_GAIN_DB
            assert utt1.split("-")[0] != utt2.split("-")[0]  # two different speakers
            speakers[split] |= {utt1.split("-")[0], utt2.split("-")[0]}
            louder = max(np.sum(x["s1"] ** 2), np.sum(x["s2"] ** 2))
            snr = 10 * np.log10(louder / np.sum(x["noise"] ** 2))
            assert NOISE_SNR_DB[0] - 0.1 <= snr <= NOISE_SNR_DB[1] + 0.1
            assert np.abs(x["mix_both"]).max() <= 0.9 + 1e-3
    assert not speakers["tr"] & speakers["tt"] and not speakers["tr"] & speakers["cv"] and not speakers["cv"] & speakers["tt"]
    assert sorted(out) == ["dev", "test", "train"]


def test_prepared_by_the_wham_parser_and_deterministic(built, tmp_path):
    from aecomp.corpora.mini import MiniCorpus
    from aecomp.data.datadir import DataDir

    base, out = built
    train = DataDir.load(out["train"])
    assert train.has("spk2.scp") and train.has("noise1.scp") and "/mix_both/" in next(iter(train.get("wav.scp").values()))
    again = MiniCorpus(task="wham", size="debug").prepare(tmp_path / "corpus", tmp_path / "data")
    first = base / "corpus" / "wham" / "wav8k" / "min" / "tt" / "mix_both"
    second = tmp_path / "corpus" / "wham" / "wav8k" / "min" / "tt" / "mix_both"
    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in second.iterdir())
    for p in first.iterdir():
        assert p.read_bytes() == (second / p.name).read_bytes()  # same seed, same bytes
    assert DataDir.load(again["test"]).utts == DataDir.load(out["test"]).utts
