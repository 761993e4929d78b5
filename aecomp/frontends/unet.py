"""The enhancement front-end of seed 000: a frequency-domain U-Net with skip connections."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.audio.features import frame_lengths, masked_instance_norm
from aecomp.frontends.base import Frontend
from aecomp.layers import norm2d
from aecomp.registry import register


def _block(cin: int, cout: int, norm: str, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1), norm2d(norm, cout), nn.LeakyReLU(0.1))


@register("frontend", "unet")
class UNet(Frontend):
    """Frequency-domain U-Net with skip connections predicting a magnitude mask (seed 000)."""

    def __init__(self, n_fft: int = 256, hop_length: int = 128, channels: Sequence[int] = (4, 8, 24, 48),
                 mask_init: float = 0.9, norm: str = "batch"):
        """The noisy STFT's normalised log power ``[B, 1, F, N]`` goes down ``len(channels) - 1``
        stride-2 levels and back up, each level joined to its twin by a skip connection; a sigmoid
        mask on the magnitude (phase kept) gives the enhanced STFT. The mask starts near
        ``mask_init`` everywhere, so an untrained U-Net passes audio almost unchanged. ``norm``:
        "batch" or "none" (see :func:`aecomp.layers.norm2d`)."""
        super().__init__()
        if len(channels) < 2:
            raise ValueError(f"unet needs at least two channel sizes, got {list(channels)}")
        self.n_fft, self.hop_length = n_fft, hop_length
        ch = list(channels)
        self.factor = 2 ** (len(ch) - 1)
        self.inp = _block(1, ch[0], norm)
        self.down = nn.ModuleList(
            nn.Sequential(_block(ch[i], ch[i + 1], norm, stride=2), _block(ch[i + 1], ch[i + 1], norm))
            for i in range(len(ch) - 1)
        )
        self.up = nn.ModuleList(_block(ch[i + 1] + ch[i], ch[i], norm) for i in reversed(range(len(ch) - 1)))
        self.out = nn.Conv2d(ch[0], 1, 1)
        nn.init.normal_(self.out.weight, std=0.01)  # small: all layers get gradients from the first step
        nn.init.constant_(self.out.bias, float(torch.logit(torch.tensor(mask_init))))
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wav.float(), self.n_fft, self.hop_length, window=self.window, return_complex=True)
        mask = self.mask(spec, frame_lengths(lengths, self.hop_length).clamp(max=spec.shape[-1]))
        out = torch.istft(spec * mask, self.n_fft, self.hop_length, window=self.window, length=wav.shape[-1])
        return out.to(wav.dtype)

    def mask(self, spec: torch.Tensor, n_frames: torch.Tensor) -> torch.Tensor:
        """Magnitude mask ``[B, F, N]`` in (0, 1) for the complex STFT ``spec [B, F, N]``."""
        b, f, t = spec.shape
        # normalise each utterance's log power over its valid frames (level invariance)
        frames = torch.log(spec.real.pow(2) + spec.imag.pow(2) + 1e-8).transpose(1, 2).reshape(b, 1, t * f)
        frames = masked_instance_norm(frames, n_frames * f)
        feat = frames.reshape(b, t, f).transpose(1, 2)[:, None]  # [B, 1, F, N]
        pad_f, pad_t = (-f) % self.factor, (-t) % self.factor
        x = F.pad(feat, (0, pad_t, 0, pad_f))
        skips = [self.inp(x)]
        for down in self.down:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.up:
            skip = skips.pop()
            x = up(torch.cat([F.interpolate(x, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        return torch.sigmoid(self.out(x))[:, 0, :f, :t]
