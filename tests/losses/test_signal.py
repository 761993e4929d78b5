"""Signal losses (aecomp/losses/signal.py)."""

from __future__ import annotations

import torch

from aecomp.losses.signal import WeightedSDR, si_snr
from conftest import batch, tone


def test_wsdr_is_minus_one_for_a_perfect_estimate_and_ignores_padding():
    b = batch()
    loss = WeightedSDR()
    perfect = loss(b.clean, b.clean, b.noisy, b.lengths)
    assert torch.allclose(perfect, torch.full((3,), -1.0), atol=1e-5)
    junk = b.clean.clone()
    junk[1, int(b.lengths[1]):] = 5.0
    assert torch.allclose(loss(junk, b.clean, b.noisy, b.lengths), perfect, atol=1e-5)
    assert (loss(b.noisy, b.clean, b.noisy, b.lengths) > perfect).all()


def test_si_snr_of_known_mixture():
    ref = torch.from_numpy(tone(1.0))[None]
    noise = torch.randn(1, 16000, generator=torch.Generator().manual_seed(0))
    noise = noise * (ref.norm() / noise.norm()) / 10 ** (10 / 20)
    assert abs(float(si_snr(ref + noise, ref, torch.tensor([16000]))) - 10.0) < 0.2
