"""A SUPERB-style emotion recogniser: a frozen s3prl upstream, a learnable weighted sum of its layers,
mean pooling and a linear head (SUPERB's ER task)."""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.downstream.base import Downstream
from aecomp.downstream.classification import RecallClassificationMixin
from aecomp.registry import register


@register("downstream", "ssl_er")
class SSLEmotion(RecallClassificationMixin, Downstream):
    """SUPERB ER: frozen s3prl upstream, softmax-weighted sum of its hidden states, projection, mean pooling, linear (UA/WA)."""

    def __init__(self, labels: Sequence[str], upstream: str = "wavlm_local", ckpt: Optional[str] = None,
                 proj_dim: int = 256, max_seconds: float = 10.0, sample_rate: int = 16000):
        """``upstream``: an s3prl name (``wavlm_local``, ``hubert_local`` ... with ``ckpt``, a path; any hub
        name on a real corpus). Its hidden states ``[B, N, D]`` (all layers, 0 the CNN output) are summed
        with softmax-normalised learnable weights, projected to ``proj_dim``, averaged over the valid frames
        and classified by a linear layer. The upstream stays frozen and out of the checkpoint (it is read
        from ``ckpt`` again when the system is loaded); gradients still reach its input, so a front-end
        can be trained through it. Audio past ``max_seconds`` is cut."""
        super().__init__()
        from aecomp.losses.ssl import load_upstream

        self.set_labels(labels)
        if sample_rate != 16000:
            raise ValueError(f"ssl_er: s3prl upstreams take 16 kHz audio; the data is at {sample_rate} Hz")
        self.__dict__["upstream"] = load_upstream(upstream, ckpt)  # not a child: frozen, not saved
        self.max_samples = int(max_seconds * sample_rate)
        self.layer_weights = nn.Parameter(torch.zeros(self.upstream.num_layers))
        self.projector = nn.Linear(self.upstream.hidden_sizes[-1], proj_dim)
        self.classifier = nn.Linear(proj_dim, len(self.labels))

    def train(self, mode: bool = True):
        super().train(mode)
        self.upstream.eval()  # frozen: no dropout
        return self

    def logits(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``[B, n_classes]`` of ``wav [B, T]``."""
        from aecomp.losses.ssl import encode_unpadded

        wav, lengths = wav[:, :self.max_samples], lengths.clamp(max=self.max_samples)
        if next(self.upstream.parameters()).device != wav.device:
            self.upstream.to(wav.device)
        hs, hl = encode_unpadded(self.upstream, wav, lengths)
        w = self.layer_weights.softmax(0)
        h = sum(w[i] * hs[i] for i in range(len(hs)))  # [B, N, D]
        h = self.projector(h)
        mask = (torch.arange(h.shape[1], device=h.device)[None, :] < hl[-1][:, None]).to(h.dtype)[..., None]
        pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.classifier(pooled)

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        """Per-sample cross-entropy ``[B]``."""
        return F.cross_entropy(self.logits(wav, lengths), targets[:, 0], reduction="none")
