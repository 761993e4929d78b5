"""Signal losses on waveforms, one value per sample ``[B]``; lower is better."""

from __future__ import annotations

import torch

from aecomp.frontends.base import length_mask
from aecomp.losses.base import Loss
from aecomp.registry import register

EPS = 1e-8


def _masked(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    return x * length_mask(lengths, x.shape[-1]).to(x.dtype)


def negative_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``-<a, b> / (|a| |b|)`` over the last axis: ``[B, T], [B, T] -> [B]``."""
    return -(a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + EPS)


def si_snr(est: torch.Tensor, ref: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Scale-invariant SNR in dB, ``[B, T], [B, T], [B] -> [B]`` (means removed over valid samples)."""
    mask = length_mask(lengths, est.shape[-1]).to(est.dtype)
    n = lengths.to(est.dtype).clamp(min=1)[:, None]
    est = (est - (est * mask).sum(-1, keepdim=True) / n) * mask
    ref = (ref - (ref * mask).sum(-1, keepdim=True) / n) * mask
    target = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + EPS) * ref
    noise = est - target
    return 10 * torch.log10(target.pow(2).sum(-1) / (noise.pow(2).sum(-1) + EPS) + EPS)


@register("loss", "wsdr")
class WeightedSDR(Loss):
    """Weighted SDR (Choi et al., 2019): speech and noise cosine terms weighted by their energies."""

    def forward(self, est, ref, mix, lengths, keys=None):
        est, ref, mix = _masked(est, lengths), _masked(ref, lengths), _masked(mix, lengths)
        noise, est_noise = mix - ref, mix - est
        ref_energy, noise_energy = ref.pow(2).sum(-1), noise.pow(2).sum(-1)
        alpha = ref_energy / (ref_energy + noise_energy + EPS)
        return alpha * negative_cosine(ref, est) + (1 - alpha) * negative_cosine(noise, est_noise)


@register("loss", "si_snr")
class NegativeSISNR(Loss):
    """Negative scale-invariant SNR in dB."""

    def forward(self, est, ref, mix, lengths, keys=None):
        return -si_snr(est, ref, lengths)


@register("loss", "l1")
class WaveformL1(Loss):
    """Mean absolute waveform error over the valid samples."""

    def forward(self, est, ref, mix, lengths, keys=None):
        return _masked(est - ref, lengths).abs().sum(-1) / lengths.clamp(min=1).to(est.dtype)
