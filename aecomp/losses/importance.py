"""Sample importance weights from per-sample downstream losses (iterative paradigm, seed 000).

Each scheme maps losses ``[B]`` to weights ``[B]`` with mean 1, detached from
the graph, so that harder samples (higher downstream loss on the enhanced
signal) count more in the enhancement update while the overall loss scale is
unchanged:

- ``uniform``: all ones (ablation: no importance);
- ``normalized``: ``l_i / mean(l)``, the batch-normalised loss;
- ``softmax``: ``B * softmax(l / temperature)``; a low temperature focuses on
  the hardest samples, a high one tends to uniform;
- ``rank``: proportional to the rank of ``l_i`` (1 = easiest), robust to
  outlier losses.

``max_weight`` caps any single weight (then weights are renormalised).
"""

from __future__ import annotations

import torch

SCHEMES = ("uniform", "normalized", "softmax", "rank")


def importance_weights(losses: torch.Tensor, scheme: str = "softmax", temperature: float = 1.0,
                       max_weight: float = 0.0) -> torch.Tensor:
    """Weights ``[B]`` (mean 1, no gradient) from per-sample losses ``[B]``."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown importance scheme '{scheme}'; choose one of {', '.join(SCHEMES)}")
    loss = losses.detach().float()
    b = loss.numel()
    if scheme == "uniform" or b == 1:
        w = torch.ones_like(loss)
    elif scheme == "normalized":
        w = loss.clamp(min=0) / loss.clamp(min=0).mean().clamp(min=1e-8)
    elif scheme == "softmax":
        if temperature <= 0:
            raise ValueError(f"softmax temperature must be > 0, got {temperature}")
        w = b * torch.softmax(loss / temperature, dim=0)
    else:
        ranks = torch.empty_like(loss)
        ranks[loss.argsort()] = torch.arange(1, b + 1, dtype=loss.dtype, device=loss.device)
        w = ranks / ranks.mean()
    if max_weight > 0:
        w = w.clamp(max=max_weight)
        w = w / w.mean()
    return w.to(losses.dtype)
