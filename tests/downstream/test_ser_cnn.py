"""TRNet's emotion recogniser (aecomp/downstream/ser_cnn.py): levels, per-sample losses, UA/WA, confusion."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import LABELS, batch, tiny


def test_levels_shapes_and_per_sample_loss():
    ds = tiny("downstream", "ser_cnn", channels=[4, 8, 8], embedding_dim=16, attention_dim=8, n_mels=40)
    b = batch()
    spec, frames = ds.spectrogram(b.noisy, b.lengths)
    assert spec.shape == (3, 40, 101) and frames.tolist() == [101, 82, 63]
    e = ds.embed(spec, frames)
    assert e.shape == (3, 16) and (e >= 0).all()  # after ReLU
    assert ds.classify(e).shape == (3, len(LABELS))
    loss = ds(b.noisy, b.lengths, b.targets, b.target_lengths)
    assert loss.shape == (3,)
    loss.sum().backward()
    assert all(p.grad is not None for p in ds.parameters())
    assert [m.name for m in ds.metrics] == ["ua", "wa"] and ds.metric == "ua"


def test_padding_does_not_change_an_utterance():
    ds = tiny("downstream", "ser_cnn", channels=[4, 8], embedding_dim=8, attention_dim=4, n_mels=40).eval()
    b = batch()
    short = b.lengths[2:3]
    alone = ds.logits(b.noisy[2:3, :int(short)], short)
    padded = ds.logits(b.noisy[2:3], short)  # the same utterance with other samples after it
    assert torch.allclose(alone, padded, atol=1e-3)  # only the last STFT frame sees past the end


def test_scores_and_confusion_report(tmp_path):
    ds = tiny("downstream", "ser_cnn", channels=[4], embedding_dim=8, n_mels=40)
    m = ds.summarize(ds.score(["go", "go", "no", "yes"], ["go", "no", "no", "no"]))
    assert m["ua"] == pytest.approx((1 + 1 / 3) / 2) and m["wa"] == pytest.approx(0.5)
    ds.write_report({"a": "go", "b": "go", "c": "yes"}, {"a": "go", "b": "no", "c": "no"}, tmp_path)
    cm = json.loads((tmp_path / "confusion.json").read_text())
    assert cm["labels"] == LABELS and cm["matrix"] == [[1, 0, 0], [1, 0, 1], [0, 0, 0]]
