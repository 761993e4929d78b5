"""Permutation-invariant training: a per-sample signal loss over several sources, at its best speaker order."""

from __future__ import annotations

import itertools
from typing import Callable, Tuple

import torch

#: above this many permuted sources the best order is found by linear assignment, not by trying all
EXHAUSTIVE_MAX = 5


def pit(loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor], est: torch.Tensor,
        refs: torch.Tensor, lengths: torch.Tensor, hold_last: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """The loss of every sample at its best order of the estimated sources.

    ``loss_fn(est [N, T], ref [N, T], lengths [N]) -> [N]`` is any per-sample signal loss (lower is
    better); ``est``, ``refs``: ``[B, S, T]``; ``lengths [B]``. With ``hold_last`` the last source
    (the noise) is not permuted: ``est[:, -1]`` always pairs with ``refs[:, -1]``.
    Returns ``(loss [B], perm [B, S])``: the loss averaged over the sources, and for each reference
    ``s`` the estimate ``perm[b, s]`` paired with it (``est[b, perm[b]]`` is in the order of ``refs[b]``).
    """
    if est.shape != refs.shape or est.dim() != 3:
        raise ValueError(f"pit needs est and refs of one shape [B, S, T]; got {tuple(est.shape)} "
                         f"and {tuple(refs.shape)}")
    b, s, t = est.shape
    # pairwise[b, i, j]: the loss of estimate i against reference j
    pairwise = loss_fn(est[:, :, None].expand(b, s, s, t).reshape(-1, t),
                       refs[:, None].expand(b, s, s, t).reshape(-1, t),
                       lengths.repeat_interleave(s * s)).view(b, s, s)
    n_free = s - int(hold_last)
    if n_free <= EXHAUSTIVE_MAX:
        orders = torch.tensor(list(itertools.permutations(range(n_free))), device=est.device)  # [P, n_free]
        refs_idx = torch.arange(n_free, device=est.device)
        totals = pairwise[:, orders, refs_idx].sum(-1)  # [B, P]
        free = orders[totals.argmin(-1)]
    else:
        import numpy as np
        from scipy.optimize import linear_sum_assignment

        cost = pairwise[:, :n_free, :n_free].detach().cpu().numpy()
        free = torch.from_numpy(np.stack([linear_sum_assignment(c.T)[1] for c in cost])).to(est.device)
    perm = torch.cat([free, torch.full((b, s - n_free), s - 1, device=est.device, dtype=free.dtype)], 1)
    loss = pairwise.gather(1, perm[:, None, :]).squeeze(1).mean(-1)  # pairwise[b, perm[b, j], j]
    return loss, perm
