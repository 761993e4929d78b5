"""The SUPERB-style emotion recogniser (aecomp/downstream/ssl_er.py): frozen upstream, weighted layers, gradients."""

from __future__ import annotations

import pytest
import torch

from aecomp.losses.tiny_upstream import build_tiny_wavlm
from conftest import LABELS, batch, tiny


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return str(build_tiny_wavlm(tmp_path_factory.mktemp("upstream") / "tiny_wavlm.pt"))


def test_frozen_upstream_learnable_layers_and_gradient_to_the_input(ckpt):
    ds = tiny("downstream", "ssl_er", upstream="wavlm_local", ckpt=ckpt, proj_dim=16)
    assert ds.layer_weights.shape == (3,)  # CNN output + 2 transformer layers
    assert not any(k.startswith("upstream") for k in ds.state_dict())  # frozen, read from ckpt again
    b = batch()
    wav = b.noisy.clone().requires_grad_(True)
    loss = ds(wav, b.lengths, b.targets, b.target_lengths)
    assert loss.shape == (3,)
    loss.sum().backward()
    assert ds.layer_weights.grad.abs().sum() > 0 and ds.classifier.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in ds.upstream.parameters())
    assert wav.grad.abs().sum() > 0  # a front-end before it can learn through it
    ds.train()
    assert not ds.upstream.training
    assert set(ds.decode(b.noisy, b.lengths)) <= set(LABELS) and ds.metric == "ua"


def test_padding_does_not_change_an_utterance(ckpt):
    ds = tiny("downstream", "ssl_er", upstream="wavlm_local", ckpt=ckpt, proj_dim=8).eval()
    b = batch()
    n = b.lengths[1:2]
    alone = ds.logits(b.noisy[1:2, :int(n)], n)
    in_batch = ds.logits(b.noisy, b.lengths)[1:2]
    assert torch.allclose(alone, in_batch, atol=1e-5)
