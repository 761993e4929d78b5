"""Front-ends: shapes, the U-Net learns, the Wiener filter improves SNR (aecomp/frontends/)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aecomp.audio.mixing import mix_at_snr
from aecomp.losses.signal import WeightedSDR, si_snr
from conftest import batch, tiny, tone


def tones_in_noise(freqs, seed):
    """``(noisy, clean, lengths)``: 0.5 s tones at ``freqs`` (Hz) in white noise (about 0 dB SNR)."""
    clean = torch.from_numpy(np.stack([tone(0.5, freq=f, seed=seed + i) for i, f in enumerate(freqs)]))
    noise = torch.from_numpy(np.random.default_rng(seed).standard_normal(clean.shape).astype(np.float32)) * 0.2
    return clean + noise, clean, torch.full((len(freqs),), clean.shape[1])


@pytest.mark.parametrize("name,conf", [("identity", {}), ("wiener", {}), ("unet", {"channels": [2, 4, 4]})])
def test_frontends_keep_shape(name, conf):
    b = batch()
    fe = tiny("frontend", name, **conf)
    out = fe(b.noisy, b.lengths)
    assert out.shape == b.noisy.shape and torch.isfinite(out).all()


def test_unet_starts_near_identity_and_learns():
    torch.manual_seed(0)
    fe = tiny("frontend", "unet", channels=[2, 4])
    b = batch()
    out = fe(b.noisy, b.lengths)
    ratio = (out[0] * b.noisy[0]).sum() / b.noisy[0].pow(2).sum()
    assert 0.8 < float(ratio.detach()) < 1.0  # the mask starts at 0.9
    wsdr = WeightedSDR()
    train, held = tones_in_noise([300, 500, 700, 900], seed=0), tones_in_noise([400, 600, 800], seed=10)

    def loss_on(noisy, clean, lengths):
        return wsdr(fe(noisy, lengths), clean, noisy, lengths).mean()

    with torch.no_grad():
        held_before = float(loss_on(*held))
    opt = torch.optim.Adam(fe.parameters(), lr=0.01)
    for _ in range(40):
        opt.zero_grad()
        loss_on(*train).backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in fe.parameters())
        opt.step()
    with torch.no_grad():
        held_after = float(loss_on(*held))
    # wSDR is -1 for a perfect estimate; 40 steps take held-out tones from about -0.72 to -0.88 (seeds 0-3)
    assert held_after < held_before - 0.1, (held_before, held_after)


def test_wiener_improves_snr_of_stationary_noise():
    t = np.arange(16000) / 16000
    speech = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0.3)).astype(np.float32)  # bursts
    noise = np.random.default_rng(0).standard_normal(16000)
    mix = mix_at_snr(speech, noise, 0.0, np.random.default_rng(0))
    x = torch.from_numpy(mix.mixture)[None]
    ref = torch.from_numpy(mix.speech)[None]
    lengths = torch.tensor([16000])
    out = tiny("frontend", "wiener")(x, lengths)
    assert float(si_snr(out, ref, lengths)) > float(si_snr(x, ref, lengths)) + 6.0
