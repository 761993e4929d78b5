"""HuBERT pre-training (downstream ``hubert_pretrain``) and the tiny upstream it exports (aecomp pretrain-upstream)."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import torch
from conftest import tone, write_wav

from aecomp.data.datadir import DataDir, write_datadir
from aecomp.downstream.hubert_pretrain import HubertPretrain, PretrainError, fit_codebook, kmeans, mfcc_features
from aecomp.losses.tiny_upstream import pretrain_tiny_hubert

#: a short pre-training of the debug corpus (60 clips): 4 steps per epoch
FAST = ("paradigm.conf.epochs=2", "scheduler.conf.warmup_steps=2")


def _weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["model_weight"]


def _tone_sequences(root, n: int, seed: int):
    """A data dir of ``n`` clips, each 4 tones of 0.3 s drawn from 5 frequencies: the target of a masked
    frame is predictable from its neighbours (the tone goes on), never from one cluster's frequency (~20 %)."""
    rng = np.random.default_rng(seed)
    freqs = (300.0, 700.0, 1500.0, 3000.0, 5000.0)
    wavs = {}
    for i in range(n):
        segs = [tone(0.3, freq=freqs[k], amp=float(rng.uniform(0.1, 0.4)), seed=seed * 1000 + i * 10 + j)
                for j, k in enumerate(rng.integers(0, 5, 4))]
        wavs[f"t{i:03d}"] = str(write_wav(root / "wav" / f"t{i:03d}.wav", np.concatenate(segs)))
    return write_datadir(root / "data", {"wav.scp": wavs, "utt2spk": {u: u for u in wavs},
                                          "text": {u: "tones" for u in wavs}})


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    root = tmp_path_factory.mktemp("tones")
    return _tone_sequences(root / "train", 48, 0), _tone_sequences(root / "dev", 12, 1)


@pytest.fixture(scope="module")
def pretrained(mini_data, tmp_path_factory):
    """A pre-training long enough to learn (10 epochs, 40 steps), with its dev masked-prediction accuracy per epoch."""
    out = tmp_path_factory.mktemp("pretrain")
    ckpt = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", out, n_clusters=20,
                                overrides=["paradigm.conf.epochs=10 scheduler.conf.warmup_steps=4"])
    return out, ckpt


def test_kmeans_is_seeded_and_finds_separated_clusters():
    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = torch.cat([c + 0.1 * torch.randn(50, 2, generator=gen) for c in centres])
    c = kmeans(x, 3, seed=1)
    assert torch.equal(c, kmeans(x, 3, seed=1))
    assert torch.cdist(centres, c).min(1).values.max() < 0.1  # every true centre found
    with pytest.raises(PretrainError, match="at least 200 frames"):
        kmeans(x, 200)


def test_mfcc_frames_match_the_cnn_frames():
    """One target per output frame of the stride-320 CNN: (T - 400) // 320 + 1 frames."""
    assert mfcc_features(torch.randn(2, 16000)).shape == (2, 49, 39)
    assert mfcc_features(torch.randn(1, 8000)).shape == (1, 24, 39)


def test_pretraining_loss_falls_and_masked_prediction_beats_the_majority_cluster(tones, tmp_path):
    """Where context predicts the masked frames, pre-training learns to: the dev masked-prediction accuracy
    rises well above what always guessing the most frequent cluster scores."""
    train, dev = tones
    pretrain_tiny_hubert(train, dev, tmp_path, n_clusters=5,
                         overrides=["paradigm.conf.epochs=8 scheduler.conf.warmup_steps=4 data.batch_size=8"])
    history = json.loads((tmp_path / "iter1" / "model" / "history.json").read_text())
    losses = [h["train"]["loss"] for h in history]
    assert losses[-1] < 0.7 * losses[0], losses
    ds = HubertPretrain(codebook=str(tmp_path / "iter1" / "codebook.pt"))
    data = DataDir.load(dev)
    counts = Counter()
    for utt in data.utts:
        wav = torch.from_numpy(data.audio(utt, 16000))[None]
        counts.update(ds.targets(wav, torch.tensor([wav.shape[1]]))[0].tolist())
    majority = max(counts.values()) / sum(counts.values())
    first, best = history[0]["valid"]["masked_acc"], max(h["valid"]["masked_acc"] for h in history)
    assert best > majority + 0.2 and best > first, (first, best, majority)


def test_exported_checkpoint_loads_through_the_ssl_loss_with_gradients(pretrained):
    from aecomp.losses.ssl import SSLRepresentationLoss

    _, ckpt = pretrained
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert state["pretrained"] is True and state["aecomp"]["targets"] == "mfcc"
    loss = SSLRepresentationLoss("hubert_local", str(ckpt), layers=[1, 2])
    assert loss.upstream.num_layers == 3  # CNN output + 2 transformer layers
    est = (0.1 * torch.randn(2, 16000)).requires_grad_(True)
    ref = 0.1 * torch.randn(2, 16000)
    value = loss(est, ref, ref, torch.tensor([16000, 12000]), ["a", "b"])
    value.sum().backward()
    assert value.shape == (2,) and est.grad.abs().sum() > 0
    # the weights s3prl loaded are the trained ones (not a fresh initialisation)
    ups = dict(loss.upstream.named_parameters())
    name = next(k for k in ups if k.endswith("encoder.layers.1.fc2.weight"))
    assert torch.equal(ups[name], state["model_weight"]["encoder.layers.1.fc2.weight"])


def test_second_iteration_clusters_the_first_models_layer(mini_data, tmp_path):
    ckpt = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path, n_clusters=10, iterations=2,
                                layer=1, overrides=FAST)
    cb = torch.load(tmp_path / "iter2" / "codebook.pt", weights_only=True)
    assert cb["features"] == {"layer": 1} and cb["centroids"].shape == (10, 48)  # the transformer width
    assert torch.load(ckpt, weights_only=True)["aecomp"]["targets"] == "layer 1 of iteration 1"


def test_same_seed_same_weights_other_seed_others(mini_data, tmp_path):
    a = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "a", n_clusters=10, overrides=FAST)
    b = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "b", n_clusters=10, overrides=FAST)
    c = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "c", n_clusters=10, overrides=FAST,
                             seed=2)
    wa, wb, wc = _weights(a), _weights(b), _weights(c)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.read_bytes() == b.read_bytes()
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_interrupted_pretraining_resumes_to_the_same_weights(mini_data, tmp_path, monkeypatch):
    from aecomp.paradigms.base import Paradigm

    overrides = [*FAST, "trainer.save_interval_steps=1"]
    ref = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "ref", n_clusters=10,
                               overrides=overrides)
    real_step, calls = Paradigm.train_step, {"n": 0}

    def crash_in_the_second_epoch(self, batch, phase):
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("killed")
        return real_step(self, batch, phase)

    monkeypatch.setattr(Paradigm, "train_step", crash_in_the_second_epoch)
    with pytest.raises(RuntimeError, match="killed"):
        pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "run", n_clusters=10,
                             overrides=overrides)
    monkeypatch.setattr(Paradigm, "train_step", real_step)
    model_dir = tmp_path / "run" / "iter1" / "model"
    assert not (model_dir / "model.pt").exists()
    assert (model_dir / "checkpoints" / "latest").read_text().strip() == "ep001_step000001.pt"  # epoch 2, step 1
    resumed = pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "run", n_clusters=10,
                                   overrides=overrides)
    wr, wx = _weights(ref), _weights(resumed)
    assert all(torch.equal(wr[k], wx[k]) for k in wr)


def test_bad_settings_are_refused(mini_data, tmp_path):
    with pytest.raises(PretrainError, match="does not exist"):
        HubertPretrain(codebook=str(tmp_path / "missing.pt"))
    fit_codebook(mini_data / "dev", tmp_path / "cb.pt", n_clusters=4)
    with pytest.raises(PretrainError, match="16 kHz"):
        HubertPretrain(codebook=str(tmp_path / "cb.pt"), sample_rate=8000)
    with pytest.raises(PretrainError, match="feature_model"):
        fit_codebook(mini_data / "dev", tmp_path / "cb2.pt", features={"layer": 1})
    with pytest.raises(PretrainError, match="iterations"):
        pretrain_tiny_hubert(mini_data / "train", mini_data / "dev", tmp_path / "x", iterations=3)
