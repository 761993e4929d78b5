"""Base class of downstream (computer audition) models."""

from __future__ import annotations

from typing import Dict, List, Sequence

import torch
from torch import nn


class Downstream(nn.Module):
    """A downstream model, registered under kind ``downstream``.

    The contract that lets one trainer and one set of paradigms serve every task:

    - ``forward(wav [B, T], lengths [B], targets [B, L], target_lengths [B])``
      returns the **per-sample** loss ``[B]`` (no reduction: importance
      weighting needs each sample's value);
    - ``encode_target(text) -> list[int]`` turns a ``text`` entry (label or
      transcript) into target ids;
    - ``decode(wav, lengths) -> list[str]`` gives one hypothesis per sample, in
      the form of ``text``;
    - ``score(hyps, refs) -> counts`` returns additive counts (so batches and
      jobs can be summed) and ``summarize(counts) -> metrics`` turns them into
      metrics; ``metric``/``metric_mode`` name the one that selects checkpoints.

    Constructor arguments are the YAML ``conf``; ``labels`` (the sorted set of
    training labels) and ``sample_rate`` are injected when the constructor
    takes them.
    """

    metric: str = "acc"
    metric_mode: str = "max"

    def __init__(self):
        # an explicit signature: nn.Module.__init__ takes **kwargs, which would let any conf key through
        super().__init__()


    def encode_target(self, text: str) -> List[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor,
                target_lengths: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def decode(self, wav: torch.Tensor, lengths: torch.Tensor) -> List[str]:  # pragma: no cover
        raise NotImplementedError

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def labels_from_text(texts: Sequence[str]) -> List[str]:
        """The label list of a classification task: the sorted distinct ``text`` values."""
        return sorted(set(texts))
