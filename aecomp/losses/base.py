"""Base class of losses between an estimate and a reference waveform."""

from __future__ import annotations

import torch
from torch import nn


class Loss(nn.Module):
    """A loss, registered under kind ``loss``.

    ``forward(est [B, T], ref [B, T], mix [B, T], lengths [B], keys=None) -> [B]``:
    one value per sample (lower is better), computed over the first
    ``lengths[b]`` samples. ``mix`` is the noisy input, for losses that use the
    noise (``mix - ref``). ``keys`` (optional) name each reference's content, so
    a loss may cache what it computes from ``ref``. ``sample_rate`` is injected
    when the constructor takes it.
    """

    def __init__(self):
        # an explicit signature: nn.Module.__init__ takes **kwargs, which would let any conf key through
        super().__init__()

    def forward(self, est: torch.Tensor, ref: torch.Tensor, mix: torch.Tensor, lengths: torch.Tensor,
                keys=None) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError
