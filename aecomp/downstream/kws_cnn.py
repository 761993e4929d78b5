"""A compact log-mel CNN keyword classifier (speech command recognition)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.audio.features import LogMel
from aecomp.downstream.base import Downstream
from aecomp.downstream.classification import ClassificationMixin
from aecomp.layers import norm2d
from aecomp.registry import register


@register("downstream", "kws_cnn")
class KeywordCNN(ClassificationMixin, Downstream):
    """Compact log-mel CNN keyword classifier; per-sample cross-entropy."""

    def __init__(self, labels: Sequence[str], sample_rate: int = 16000, n_mels: int = 40,
                 channels: Sequence[int] = (16, 32, 64, 64), time_steps: int = 6, clip_seconds: float = 1.0,
                 dropout: float = 0.1, label_smoothing: float = 0.0, norm: str = "batch"):
        """Input audio is padded or cut to ``clip_seconds``; its normalised log-mel
        ``[B, 1, n_mels, N]`` goes through Conv-BN-ReLU blocks (max-pooling by 2 after each
        but the last), is averaged over frequency and pooled to ``time_steps`` steps, which
        keeps the order of sounds ("on" is not "no"), then dropout and a linear layer give
        ``len(labels)`` class scores. ``norm``: "batch" or "none" (:func:`aecomp.layers.norm2d`)."""
        super().__init__()
        self.set_labels(labels)
        self.clip_samples = int(round(clip_seconds * sample_rate))
        self.features = LogMel(sample_rate, n_fft=int(0.03 * sample_rate), hop_length=int(0.01 * sample_rate),
                               n_mels=n_mels)
        layers, cin = [], 1
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(cin, c, 3, padding=1), norm2d(norm, c), nn.ReLU()]
            if i < len(channels) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = c
        self.body = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d((1, time_steps))
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(cin * time_steps, len(self.labels))
        self.label_smoothing = label_smoothing

    def logits(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]`` of ``wav [B, T]``."""
        n = self.clip_samples
        wav = F.pad(wav, (0, max(0, n - wav.shape[-1])))[:, :n]
        lengths = lengths.clamp(max=n)
        feats, _ = self.features(wav, torch.full_like(lengths, n))
        x = self.pool(self.body(feats[:, None]))  # [B, C, 1, time_steps]
        return self.classifier(self.dropout(x.flatten(1)))

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        return F.cross_entropy(self.logits(wav, lengths), targets[:, 0], reduction="none",
                               label_smoothing=self.label_smoothing)
