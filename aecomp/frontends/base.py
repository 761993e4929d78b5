"""Base class of enhancement front-ends."""

from __future__ import annotations

import torch
from torch import nn


class Frontend(nn.Module):
    """An enhancement front-end, registered under kind ``frontend``.

    ``forward(wav [B, T], lengths [B]) -> enhanced [B, T]``, same length and
    sample rate as the input; samples past ``lengths[b]`` are don't-care.
    A separator returns ``[B, S, T]`` instead. Constructor arguments are the
    ``conf`` of the YAML; ``sample_rate`` is injected when the constructor
    takes it.
    """

    def __init__(self):
        # an explicit signature: nn.Module.__init__ takes **kwargs, which would let any conf key through
        super().__init__()

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    @property
    def trainable(self) -> bool:
        """Whether the front-end has parameters to train (phases that train only it are skipped otherwise)."""
        return any(True for _ in self.parameters())


def length_mask(lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """``[B, max_len]`` bool mask, True on the first ``lengths[b]`` samples."""
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]
