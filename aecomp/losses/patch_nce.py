"""Patch-wise contrastive loss on feature maps (PatchNCE, as in Park et al., 2020, used by NASS)."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn


class PatchNCE(nn.Module):
    """InfoNCE over sampled positions ("patches") of frame-wise features, with a small MLP projector.

    ``forward(query [B, L, N], positive [B, L, N], negative [B, L, N], lengths [B]) -> [B]``: at ``patches``
    frame positions drawn uniformly (with replacement) among the first ``lengths[b]`` frames of each
    sample, every projected query is pulled towards the projected positive at the same position and
    pushed from the projected negatives at all the drawn positions (``patches`` negatives each):
    ``-log softmax([q.k+, q.n_1, ..., q.n_P] / temperature)[0]``, the mean over the patches.
    Projections are L2-normalised; the projector is ``Linear(N, hidden) - ReLU - Linear(hidden, dim)``.
    """

    def __init__(self, in_dim: int, dim: int = 256, hidden: int = 256, patches: int = 256,
                 temperature: float = 0.07):
        super().__init__()
        if patches < 1 or temperature <= 0 or dim < 1 or hidden < 1:
            raise ValueError(f"PatchNCE needs patches >= 1, temperature > 0, dim, hidden >= 1; got patches={patches}, "
                             f"temperature={temperature}, dim={dim}, hidden={hidden}")
        self.projector = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.patches, self.temperature = patches, temperature

    def sample(self, lengths: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """``[B, patches]`` frame indices, each below its sample's ``lengths[b]`` (at least 1 frame)."""
        u = torch.rand(lengths.shape[0], self.patches, generator=generator, device=lengths.device)
        return (u * lengths.clamp(min=1)[:, None]).long()

    def project(self, feats: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """``[B, P, dim]`` normalised projections of ``feats [B, L, N]`` at ``idx [B, P]``."""
        picked = feats.gather(1, idx[..., None].expand(-1, -1, feats.shape[-1]))
        return nn.functional.normalize(self.projector(picked), dim=-1)

    def forward(self, query: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, lengths: torch.Tensor,
                idx: Optional[torch.Tensor] = None) -> torch.Tensor:
        if not query.shape == positive.shape == negative.shape or query.dim() != 3:
            raise ValueError(f"PatchNCE needs query, positive and negative of one shape [B, L, N]; got "
                             f"{tuple(query.shape)}, {tuple(positive.shape)}, {tuple(negative.shape)}")
        idx = self.sample(lengths) if idx is None else idx
        q, k, n = (self.project(x, idx) for x in (query, positive, negative))
        logits = torch.cat([(q * k).sum(-1, keepdim=True), q @ n.transpose(1, 2)], dim=-1) / self.temperature
        return -torch.log_softmax(logits, dim=-1)[..., 0].mean(-1)
