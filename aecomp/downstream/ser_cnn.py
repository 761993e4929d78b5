"""TRNet's emotion recogniser (seed 002): log-mel with deltas, CNN6-style blocks, attention pooling, embedding.

The model is split where TRNet works on it, so that a paradigm can refine each level:
:meth:`SERCNN.spectrogram` (the low level: ``wav [B, T] -> X [B, n_mels, N]``), :meth:`SERCNN.embed`
(``X -> e [B, embedding_dim]``, the high level) and :meth:`SERCNN.classify` (``e -> logits [B, C]``).
"""

from __future__ import annotations

from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.audio.features import LogMel
from aecomp.downstream.base import Downstream
from aecomp.downstream.classification import RecallClassificationMixin
from aecomp.layers import norm2d
from aecomp.registry import register


def deltas(x: torch.Tensor) -> torch.Tensor:
    """``[B, M, N] -> [B, 3, M, N]``: the features, their deltas and delta-deltas (5-frame regression)."""
    import torchaudio.functional as AF

    d1 = AF.compute_deltas(x, win_length=5)
    return torch.stack([x, d1, AF.compute_deltas(d1, win_length=5)], dim=1)


class AttentionPool(nn.Module):
    """``(h [B, C, N], lengths [B]) -> [B, C]``: a softmax over the valid frames of ``v^T tanh(W h)``."""

    def __init__(self, channels: int, hidden: int = 128):
        super().__init__()
        self.score = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.Tanh(), nn.Conv1d(hidden, 1, 1))

    def forward(self, h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        valid = torch.arange(h.shape[-1], device=h.device)[None, :] < lengths.clamp(min=1)[:, None]
        a = self.score(h)[:, 0].masked_fill(~valid, float("-inf")).softmax(-1)  # [B, N]
        return torch.einsum("bcn,bn->bc", h, a)


@register("downstream", "ser_cnn")
class SERCNN(RecallClassificationMixin, Downstream):
    """TRNet's backbone: 80-bin log-mel + deltas, CNN6 blocks, attention pooling, 256-d emotion embedding (UA/WA)."""

    def __init__(self, labels: Sequence[str], sample_rate: int = 16000, n_mels: int = 80,
                 channels: Sequence[int] = (64, 128, 256, 512), kernel_size: int = 5, embedding_dim: int = 256,
                 attention_dim: int = 128, dropout: float = 0.2, max_seconds: float = 10.0, norm: str = "batch"):
        """A 25-ms/10-ms log-mel of ``n_mels`` bands (normalised per utterance) with its deltas and
        delta-deltas ``[B, 3, n_mels, N]`` goes through one CNN6 block per entry of ``channels``
        (``kernel_size`` conv, batch norm, ReLU, 2x2 average pooling; TRNet: 64/128/256/512, the mini
        corpus a narrower one), is averaged over frequency, pooled over its valid frames by attention,
        projected to the emotion embedding ``e [B, embedding_dim]`` (linear + ReLU), and classified (dropout,
        linear). Audio past ``max_seconds`` is cut."""
        super().__init__()
        self.set_labels(labels)
        self.max_samples = int(max_seconds * sample_rate)
        self.features = LogMel(sample_rate, n_fft=int(0.025 * sample_rate), hop_length=int(0.01 * sample_rate),
                               n_mels=n_mels)
        blocks, cin = [], 3
        for c in channels:
            blocks.append(nn.Sequential(nn.Conv2d(cin, c, kernel_size, padding=kernel_size // 2, bias=False),
                                        norm2d(norm, c), nn.ReLU(), nn.AvgPool2d(2)))
            cin = c
        self.blocks = nn.Sequential(*blocks)
        self.pool_factor = 2 ** len(channels)
        self.attention = AttentionPool(cin, attention_dim)
        self.embedding = nn.Sequential(nn.Linear(cin, embedding_dim), nn.ReLU())
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(embedding_dim, len(self.labels))

    def spectrogram(self, wav: torch.Tensor, lengths: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(X [B, n_mels, N], frames [B])``: the normalised log-mel the network sees (TRNet's low level)."""
        wav, lengths = wav[:, :self.max_samples], lengths.clamp(max=self.max_samples)
        return self.features(wav, lengths)

    def embed(self, spec: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
        """``e [B, embedding_dim]`` of ``spec [B, n_mels, N]`` (TRNet's high level)."""
        h = self.blocks(deltas(spec)).mean(2)  # [B, C, N / 2^k]
        return self.embedding(self.attention(h, frames // self.pool_factor))

    def classify(self, e: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]`` of embeddings ``e [B, embedding_dim]``."""
        return self.classifier(self.dropout(e))

    def logits(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]`` of ``wav [B, T]``."""
        return self.classify(self.embed(*self.spectrogram(wav, lengths)))

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        """Per-sample cross-entropy ``[B]``."""
        return F.cross_entropy(self.logits(wav, lengths), targets[:, 0], reduction="none")
