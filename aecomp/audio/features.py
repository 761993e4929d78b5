"""Spectral features in torch: STFT helpers and log-mel filterbank energies."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn


def frame_lengths(lengths: torch.Tensor, hop_length: int) -> torch.Tensor:
    """Number of STFT frames (``center=True``) of signals with ``lengths [B]`` samples."""
    return lengths // hop_length + 1


class LogMel(nn.Module):
    """``(wav [B, T], lengths [B]) -> (log-mel [B, n_mels, N], frame lengths [B])``.

    With ``normalize``, every utterance's bands are mean- and variance-
    normalised over its valid frames (makes the features level-invariant).
    """

    def __init__(self, sample_rate: int = 16000, n_fft: int = 480, hop_length: int = 160,
                 n_mels: int = 40, f_min: float = 20.0, f_max: Optional[float] = None,
                 normalize: bool = True):
        super().__init__()
        import torchaudio.functional as AF

        self.n_fft, self.hop_length, self.normalize = n_fft, hop_length, normalize
        fb = AF.melscale_fbanks(n_fft // 2 + 1, f_min, f_max or sample_rate / 2, n_mels, sample_rate,
                                norm=None, mel_scale="htk")
        self.register_buffer("fbank", fb, persistent=False)  # [F, n_mels]
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        spec = torch.stft(wav.float(), self.n_fft, self.hop_length, window=self.window,
                          center=True, return_complex=True)
        power = spec.real.pow(2) + spec.imag.pow(2)  # [B, F, N]
        mel = torch.log(torch.einsum("bfn,fm->bmn", power, self.fbank) + 1e-8)
        n = frame_lengths(lengths, self.hop_length).clamp(max=mel.shape[-1])
        if self.normalize:
            mel = masked_instance_norm(mel, n)
        return mel, n


def masked_instance_norm(x: torch.Tensor, lengths: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Normalise ``x [B, C, N]`` per (sample, channel) over the first ``lengths[b]`` steps."""
    mask = (torch.arange(x.shape[-1], device=x.device)[None, :] < lengths[:, None]).to(x.dtype)[:, None, :]
    count = mask.sum(-1, keepdim=True).clamp(min=1)
    mean = (x * mask).sum(-1, keepdim=True) / count
    var = ((x - mean).pow(2) * mask).sum(-1, keepdim=True) / count
    return (x - mean) / torch.sqrt(var + eps) * mask
