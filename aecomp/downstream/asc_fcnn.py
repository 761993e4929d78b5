"""The VGG-like FCNN of DCASE2020 Task 1A (Hu et al. 2020, the model seed 004 fine-tunes), in ten segments.

Input: 128-bin log-mel (n_fft 2048, hop 1024 at 44.1 kHz) with its deltas and delta-deltas
as 3 channels ``[B, 3, n_mels, N]``. Nine convolutions, each with batch norm and ReLU:
conv 1 5x5 stride 2, convs 2-8 3x3, widths 144/144/288/288/576/576/576/576 (times
``width``), dropout after convs 5-7, max-pooling after convs 2, 4 and 8; conv 9 1x1 to the
classes with batch norm; channel attention over the class maps, global average pooling.
About 11.8 M parameters at ``width`` 1.

The segments of seed 004's Experiment B are the modules ``seg1`` ... ``seg10`` (the nine
convolutions, then attention and output), so a paradigm trains one as
``downstream.seg7`` (paradigm ``noisy`` with ``train: [downstream.seg7]``).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.audio.features import LogMel
from aecomp.downstream.base import Downstream
from aecomp.downstream.classification import ClassificationMixin
from aecomp.registry import register

#: output channels of convs 1-8 at width 1
WIDTHS = (144, 144, 288, 288, 576, 576, 576, 576)
POOL_AFTER = (2, 4, 8)
DROPOUT_AFTER = (5, 6, 7)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation over channels: ``x [B, C, F, N]`` scaled by ``sigmoid(MLP(mean_{F,N} x)) [B, C]``."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.mlp(x.mean(dim=(2, 3))))[:, :, None, None]


class AttentionOutput(nn.Module):
    """Segment 10: channel attention, then global average pooling to class scores ``[B, C]``."""

    def __init__(self, classes: int):
        super().__init__()
        self.attention = ChannelAttention(classes, max(4, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x).mean(dim=(2, 3))


@register("downstream", "asc_fcnn")
class SceneFCNN(ClassificationMixin, Downstream):
    """VGG-like log-mel FCNN scene classifier with channel attention (DCASE2020); segments seg1..seg10."""

    def __init__(self, labels: Sequence[str], sample_rate: int = 44100, n_fft: int = 2048, hop_length: int = 1024,
                 n_mels: int = 128, width: float = 1.0, clip_seconds: float = 10.0, dropout: float = 0.3,
                 label_smoothing: float = 0.0):
        """``wav [B, T]`` is padded or cut to ``clip_seconds``; ``width`` scales the channels of convs 1-8
        (1.0: 144 ... 576, about 11.8 M parameters; the mini corpus uses a fraction)."""
        super().__init__()
        if width <= 0:
            raise ValueError(f"asc_fcnn width must be > 0, got {width}")
        self.set_labels(labels)
        self.clip_samples = int(round(clip_seconds * sample_rate))
        self.features = LogMel(sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, normalize=False)
        widths = [max(1, int(round(w * width))) for w in WIDTHS]
        cin = 3
        for i, c in enumerate(widths, start=1):
            k = 5 if i == 1 else 3
            layers = [nn.BatchNorm2d(3)] if i == 1 else []  # segment 1 also normalises the input features
            layers += [nn.Conv2d(cin, c, k, stride=2 if i == 1 else 1, padding=k // 2, bias=False),
                      nn.BatchNorm2d(c), nn.ReLU()]
            if i in DROPOUT_AFTER:
                layers.append(nn.Dropout(dropout))
            if i in POOL_AFTER:
                layers.append(nn.MaxPool2d(2, ceil_mode=True))
            setattr(self, f"seg{i}", nn.Sequential(*layers))
            cin = c
        self.seg9 = nn.Sequential(nn.Conv2d(cin, len(self.labels), 1, bias=False), nn.BatchNorm2d(len(self.labels)))
        self.seg10 = AttentionOutput(len(self.labels))
        self.label_smoothing = label_smoothing

    @property
    def segments(self) -> list:
        """The ten segments in order (``seg1`` ... ``seg10``)."""
        return [getattr(self, f"seg{i}") for i in range(1, 11)]

    def input_features(self, wav: torch.Tensor) -> torch.Tensor:
        """``wav [B, T]`` (already ``clip_samples`` long) -> log-mel, deltas, delta-deltas ``[B, 3, n_mels, N]``."""
        import torchaudio.functional as AF

        mel, _ = self.features(wav, torch.full((wav.shape[0],), wav.shape[-1], device=wav.device))
        delta = AF.compute_deltas(mel)
        return torch.stack([mel, delta, AF.compute_deltas(delta)], dim=1)

    def logits(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]`` of ``wav [B, T]``."""
        n = self.clip_samples
        x = self.input_features(F.pad(wav, (0, max(0, n - wav.shape[-1])))[:, :n])
        for seg in self.segments:
            x = seg(x)
        return x

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        return F.cross_entropy(self.logits(wav, lengths), targets[:, 0], reduction="none",
                               label_smoothing=self.label_smoothing)
