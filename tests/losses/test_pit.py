"""Permutation-invariant wrapper of signal losses (aecomp/losses/pit.py)."""

from __future__ import annotations

import pytest
import torch

from aecomp.losses import pit as pit_module
from aecomp.losses.pit import pit
from aecomp.losses.signal import si_snr


def neg_si_snr(est, ref, lengths):
    return -si_snr(est, ref, lengths)


def sources(b=2, s=3, t=4000, seed=0):
    g = torch.Generator().manual_seed(seed)
    refs = torch.randn(b, s, t, generator=g)
    est = refs + 0.3 * torch.randn(b, s, t, generator=g)  # each estimate close to its own reference
    return est, refs, torch.tensor([t, t - 500][:b])


def test_a_swapped_estimate_gets_the_loss_of_the_right_order():
    est, refs, lengths = sources()
    right, perm = pit(neg_si_snr, est, refs, lengths)
    assert perm.tolist() == [[0, 1, 2], [0, 1, 2]]
    order = torch.tensor([2, 0, 1])
    swapped, perm = pit(neg_si_snr, est[:, order], refs, lengths)
    assert torch.allclose(swapped, right, atol=1e-4)
    assert perm.tolist() == [[1, 2, 0], [1, 2, 0]]  # est[:, order][:, perm] is est again
    assert torch.equal(est[:, order][:, perm[0]], est)
    fixed_order = neg_si_snr(est[:, order].reshape(-1, 4000), refs.reshape(-1, 4000), lengths.repeat_interleave(3))
    assert (fixed_order.view(2, 3).mean(-1) > right + 10).all()  # the wrong order is far worse


def test_the_held_noise_slot_is_not_permuted():
    est, refs, lengths = sources()
    # estimates 1 and 2 swapped: free, pit reorders them; held, the noise slot keeps estimate 2
    swapped = est[:, [0, 2, 1]]
    _, free = pit(neg_si_snr, swapped, refs, lengths)
    loss, held = pit(neg_si_snr, swapped, refs, lengths, hold_last=True)
    assert free.tolist() == [[0, 2, 1]] * 2
    assert held[:, -1].tolist() == [2, 2] and held[:, :2].tolist() == [[0, 1]] * 2
    assert (loss > pit(neg_si_snr, swapped, refs, lengths)[0] + 10).all()


def test_linear_assignment_agrees_with_trying_every_order(monkeypatch):
    est, refs, lengths = sources(s=4)
    order = torch.tensor([3, 1, 0, 2])
    exhaustive = pit(neg_si_snr, est[:, order], refs, lengths)
    monkeypatch.setattr(pit_module, "EXHAUSTIVE_MAX", 1)
    assigned = pit(neg_si_snr, est[:, order], refs, lengths)
    assert torch.equal(exhaustive[1], assigned[1]) and torch.allclose(exhaustive[0], assigned[0])


def test_gradients_reach_the_estimate():
    est, refs, lengths = sources()
    est.requires_grad_(True)
    pit(neg_si_snr, est, refs, lengths)[0].sum().backward()
    assert est.grad is not None and est.grad.abs().sum() > 0


def test_shapes_must_agree():
    est, refs, lengths = sources()
    with pytest.raises(ValueError, match=r"one shape \[B, S, T\]"):
        pit(neg_si_snr, est[:, :2], refs, lengths)
