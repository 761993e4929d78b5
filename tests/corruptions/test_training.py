"""Training corruptions: the sampler, data.corruptions in the config, the dataset and one training run."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from aecomp.audio.mixing import mix_at_snr
from aecomp.config import ConfigError, load_config
from aecomp.corruptions.noise import NoiseBank
from aecomp.corruptions.training import TrainingCorruptions
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset

from conftest import run_cli

OPUS = [{"name": "codec", "conf": {"codec": "opus", "bitrate": 12}, "p": 1.0}]


def corruptions(entries, mini_data):
    return TrainingCorruptions.from_config(entries, sample_rate=16000, noise_bank=mini_data / "noise_train")


def main_599ef2d_item(data, bank, snr_range, p_clean, rng, utt):
    """The on-the-fly mixing of AudioDataset at main 599ef2d, before corruptions: (noisy, clean, snr)."""
    wav = data.audio(utt, 16000)
    if rng.random() < p_clean:
        return wav, wav, float("inf")
    snr = float(rng.uniform(*snr_range))
    segment, _ = bank.segment(len(wav), rng)
    mix = mix_at_snr(wav, segment, snr, rng)
    return mix.mixture, mix.speech, snr


@pytest.mark.parametrize("listed", [False, True])
def test_noise_draws_are_those_of_main_599ef2d(mini_data, listed):
    """The shorthand, and the same noise given as data.corruptions, give the examples of before."""
    data = DataDir.load(mini_data / "train")
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    if listed:
        ds = AudioDataset(data, 16000, None, None, seed=4, corruptions=corruptions(
            [{"name": "noise", "conf": {"snr": [-5, 5]}, "p": 0.5}], mini_data))
    else:
        ds = AudioDataset(data, 16000, None, bank, snr_range=(-5, 5), p_clean=0.5, seed=4)
    ds.set_epoch(2)
    kinds = set()
    for i in range(len(ds)):
        item = ds[i]
        noisy, clean, snr = main_599ef2d_item(data, bank, (-5, 5), 0.5, np.random.default_rng([4, 2, i]), ds.utts[i])
        np.testing.assert_array_equal(item["noisy"], noisy)
        np.testing.assert_array_equal(item["clean"], clean)
        assert item["snr"] == snr
        assert (item["noise"] is None) == (snr == float("inf"))
        kinds.add(snr == float("inf"))
    assert kinds == {True, False}, "the test needs clean and noisy examples"


def test_codec_at_p1_corrupts_every_item_the_same_way_per_seed(mini_data):
    data = DataDir.load(mini_data / "train")
    make = lambda: AudioDataset(data, 16000, None, None, seed=1, corruptions=corruptions(OPUS, mini_data))
    a, b = make(), make()
    for i in range(3):
        item = a[i]
        clean = data.audio(a.utts[i], 16000)
        assert item["noise"] is None and item["snr"] == float("inf")
        np.testing.assert_array_equal(item["clean"], clean)
        assert item["noisy"].shape == clean.shape and not np.allclose(item["noisy"], clean, atol=1e-3)
        np.testing.assert_array_equal(b[i]["noisy"], item["noisy"])


def test_choices_follow_their_probabilities(mini_data):
    sampler = corruptions([{"name": "noise", "conf": {"snr": 0}, "p": 0.25},
                           {"name": "noise", "conf": {"snr": 30}, "p": 0.5}], mini_data)
    assert sampler.p_clean == 0.25
    speech = np.sin(np.arange(8000) / 5).astype(np.float32) * 0.1
    draws = [sampler(speech, 16000, np.random.default_rng(s)) for s in range(400)]
    counts = {None: 0, 0.0: 0, 30.0: 0}
    for d in draws:
        counts[None if d is None else d.info["snr_db"]] += 1
    assert 70 <= counts[None] <= 130 and 70 <= counts[0.0] <= 130 and 160 <= counts[30.0] <= 240


BASE = {"frontend": {"name": "identity"},
        "downstream": {"name": "kws_cnn", "conf": {"channels": [2, 2], "time_steps": 2}},
        "paradigm": {"name": "noisy", "conf": {"epochs": 1}},
        "data": {"batch_size": 16, "num_workers": 0, "corruptions": OPUS},
        "trainer": {"seed": 1}}


def write(tmp_path, config) -> str:
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path)


def test_config_refuses_corruptions_beside_the_shorthand(tmp_path):
    config = {**BASE, "data": {**BASE["data"], "p_clean": 0.3}}
    with pytest.raises(ConfigError, match=r"train.yaml:\d+ \(data.p_clean\): data.p_clean is the shorthand"):
        load_config(write(tmp_path, config))
    config = {**BASE, "data": {**BASE["data"], "corruptions": OPUS + OPUS}}
    with pytest.raises(ConfigError, match=r"train.yaml:\d+ \(data.corruptions\): the probabilities add up to 2 > 1"):
        load_config(write(tmp_path, config))
    assert load_config(write(tmp_path, BASE)).data.corruptions == OPUS


def test_a_codec_corruption_trains(tmp_path, mini_data):
    out = tmp_path / "exp"
    proc = run_cli("train", "--config", write(tmp_path, BASE), "--train_data", str(mini_data / "train"),
                   "--valid_data", str(mini_data / "dev"), "--out_dir", str(out))
    assert "training corruptions: opus at 12 kbit/s (p=1), clean (p=0)" in proc.stderr
    assert (out / "model.pt").is_file() and "epoch 1/1 [noisy]" in (out / "train.log").read_text()


def test_an_optional_codec_that_is_not_installed_is_left_out_and_its_share_goes_to_the_others(mini_data, monkeypatch,
                                                                                              caplog):
    """Seed 004's HE-AAC entries without libfdk_aac: the rest of the fine-tuning set stays, the clean share too."""
    from aecomp.corruptions import codec
    from aecomp.corruptions.base import CorruptionError

    monkeypatch.setattr(codec, "missing_tools", lambda spec: "libfdk_aac" if spec.encoder == "libfdk_aac" else None)
    entries = [{"name": "codec", "conf": {"codec": "aac", "bitrate": 32}, "p": 0.2},
               {"name": "codec", "conf": {"codec": "he-aac", "bitrate": 16}, "p": 0.2, "optional": True},
               {"name": "codec", "conf": {"codec": "mp3", "bitrate": 64}, "p": 0.2}]
    with caplog.at_level("WARNING"):
        tc = corruptions(entries, mini_data)
    assert [(c.name, round(p, 6)) for c, p in tc.choices] == [("aac", 0.3), ("mp3", 0.3)]
    assert tc.p_clean == pytest.approx(0.4)
    assert "he-aac: libfdk_aac is not installed" in caplog.text and "p=0.2 goes to the others" in caplog.text
    with pytest.raises(CorruptionError, match="he-aac: libfdk_aac is not installed"):  # not optional: an error
        corruptions([{**entries[1], "optional": False}], mini_data)
    monkeypatch.setattr(codec, "missing_tools", lambda spec: None)  # an HE-AAC-capable machine: the same config uses it
    assert [c.name for c, _ in corruptions(entries, mini_data).choices] == ["aac", "he-aac", "mp3"]
