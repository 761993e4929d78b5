"""The identity front-end: no enhancement (the baseline systems)."""

from __future__ import annotations

import torch

from aecomp.frontends.base import Frontend
from aecomp.registry import register


@register("frontend", "identity")
class Identity(Frontend):
    """No enhancement: the input passes through unchanged."""

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return wav
