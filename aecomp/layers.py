"""Small building blocks shared by models."""

from __future__ import annotations

from torch import nn

NORMS = ("batch", "none")


def norm2d(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer: ``batch`` (BatchNorm2d) or ``none`` (identity).

    ``none`` makes a model's output independent of the other items of the batch,
    so that training on n processes equals training on one (DDP on CPU, where
    synchronised batch norm is not available).
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {kind!r}")
