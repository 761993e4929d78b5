"""A classical enhancer: Wiener filtering with a quantile noise estimate (the DSP reference)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from aecomp.audio.features import frame_lengths
from aecomp.frontends.base import Frontend
from aecomp.registry import register


@register("frontend", "wiener")
class WienerFilter(Frontend):
    """Wiener filter with a per-utterance quantile noise estimate (classical DSP, no training)."""

    def __init__(self, n_fft: int = 512, hop_length: int = 128, noise_quantile: float = 0.3,
                 over_subtraction: float = 1.5, gain_floor: float = 0.1, smooth_frames: int = 3):
        """The noise power of each frequency is estimated from the ``noise_quantile`` of its power
        over the utterance's frames (bias-corrected for noise), times ``over_subtraction``; the gain ``xi / (1 + xi)`` uses the a priori
        SNR ``xi`` estimated from the a posteriori SNR and smoothed over ``smooth_frames``."""
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        self.noise_quantile, self.over_subtraction = noise_quantile, over_subtraction
        self.gain_floor, self.smooth_frames = gain_floor, smooth_frames
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wav.float(), self.n_fft, self.hop_length, window=self.window, return_complex=True)
        power = spec.abs().pow(2)  # [B, F, N]
        n = frame_lengths(lengths, self.hop_length).clamp(max=power.shape[-1])
        valid = torch.arange(power.shape[-1], device=wav.device)[None, None, :] < n[:, None, None]
        # the q-quantile of exponentially distributed noise power is -ln(1 - q) times its mean
        noise = torch.nanquantile(power.masked_fill(~valid, float("nan")), self.noise_quantile, dim=-1,
                                  keepdim=True) / -math.log(1.0 - self.noise_quantile) * self.over_subtraction
        xi = (power / (noise + 1e-10) - 1.0).clamp(min=0.0)
        if self.smooth_frames > 1:
            b, f, t = xi.shape
            xi = F.avg_pool1d(xi.reshape(b * f, 1, t), self.smooth_frames, stride=1,
                              padding=self.smooth_frames // 2, count_include_pad=False).reshape(b, f, -1)[..., :t]
        gain = (xi / (1.0 + xi)).clamp(min=self.gain_floor)
        out = torch.istft(spec * gain, self.n_fft, self.hop_length, window=self.window, length=wav.shape[-1])
        return out.to(wav.dtype)
