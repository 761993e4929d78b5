"""No downstream model: enhancement trained and selected on its signal alone."""

from __future__ import annotations

from typing import Dict, List, Sequence

import torch

from aecomp.downstream.base import Downstream, Metric
from aecomp.registry import register


@register("downstream", "none")
class NoDownstream(Downstream):
    """No task model: for enhancement-only training; checkpoints are selected by validation SI-SNRi."""

    metrics = (Metric("si_snri", "max"), Metric("sdri", "max"))
    decodes = False

    def encode_target(self, text: str) -> List[int]:
        return []

    def forward(self, wav, lengths, targets, target_lengths) -> torch.Tensor:
        return torch.zeros(wav.shape[0], device=wav.device)

    @torch.no_grad()
    def decode(self, wav: torch.Tensor, lengths: torch.Tensor) -> List[str]:
        return [""] * wav.shape[0]

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
        return {}

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:
        return {}
