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

``max_weight`` (> 0) caps any single weight while keeping the mean at 1: the
weights above the cap are set to it and the excess is shared among the
uncapped weights in proportion to their size, repeated until no weight
exceeds the cap. A cap below 1 cannot hold with mean 1 and is refused.
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
        w = cap_weights(w, max_weight)
    return w.to(losses.dtype)


def cap_weights(w: torch.Tensor, max_weight: float) -> torch.Tensor:
    """Weights ``[B]`` with mean 1 capped at ``max_weight``, the mean kept at 1.

    Weights over the cap are set to it and the total they lose is shared among
    the uncapped weights in proportion to their size (equally if those are all
    zero), until none exceeds the cap; at most ``B`` rounds.
    """
    if max_weight < 1:
        raise ValueError(f"importance max_weight must be >= 1 (weights have mean 1), got {max_weight}; "
                         "use 0 for no cap")
    w = w.clone()
    capped = torch.zeros_like(w, dtype=torch.bool)
    for _ in range(w.numel()):
        over = (w > max_weight) & ~capped
        if not over.any():
            break
        capped |= over
        w[capped] = max_weight
        free = ~capped
        budget = w.numel() - max_weight * int(capped.sum())
        total = w[free].sum()
        if free.any():
            w[free] = w[free] * (budget / total) if total > 0 else budget / int(free.sum())
    return w
