"""A compact log-mel CNN keyword classifier (speech command recognition)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.audio.features import LogMel
from aecomp.downstream.classification import ClassificationMixin
from aecomp.downstream.base import Downstream
from aecomp.registry import register


@register("downstream", "kws_cnn")
class KeywordCNN(ClassificationMixin, Downstream):
    """Compact log-mel CNN keyword classifier; per-sample cross-entropy."""

    def __init__(self, labels: Sequence[str], sample_rate: int = 16000, n_mels: int = 40,
                 channels: Sequence[int] = (16, 32, 64), dropout: float = 0.1, label_smoothing: float = 0.0):
        """Conv-BN-ReLU blocks over normalised log-mel ``[B, 1, n_mels, N]``, max-pooling by 2
        after each but the last, a masked global average, dropout and a linear layer to
        ``len(labels)`` classes."""
        super().__init__()
        self.set_labels(labels)
        self.features = LogMel(sample_rate, n_fft=int(0.03 * sample_rate), hop_length=int(0.01 * sample_rate),
                               n_mels=n_mels)
        layers, cin = [], 1
        for i, c in enumerate(channels):
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
            if i < len(channels) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = c
        self.body = nn.Sequential(*layers)
        self.pool_factor = 2 ** (len(channels) - 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(cin, len(self.labels))
        self.label_smoothing = label_smoothing

    def logits(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]``."""
        feats, n = self.features(wav, lengths)
        x = self.body(feats[:, None])  # [B, C, M', N']
        n = (n // self.pool_factor).clamp(min=1, max=x.shape[-1])
        mask = (torch.arange(x.shape[-1], device=x.device)[None, :] < n[:, None]).to(x.dtype)
        pooled = (x.mean(2) * mask[:, None, :]).sum(-1) / n[:, None].to(x.dtype)
        return self.classifier(self.dropout(pooled))

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        return F.cross_entropy(self.logits(wav, lengths), targets[:, 0], reduction="none",
                               label_smoothing=self.label_smoothing)
