"""Sample importance weights (aecomp/losses/importance.py)."""

from __future__ import annotations

import pytest
import torch

from aecomp import registry
from aecomp.losses.importance import importance_weights


LABELS = ["go", "no", "yes"]


def tiny(kind, name, **conf):
    injected = {"labels": LABELS} if kind == "downstream" else {}
    return registry.build(kind, {"name": name, "conf": conf}, **injected)


def system(paradigm, frontend="unet", **conf):
    fe = tiny("frontend", frontend, **({"channels": [2, 4]} if frontend == "unet" else {}))
    ds = tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    return registry.build("paradigm", {"name": paradigm, "conf": conf}, frontend=fe, downstream=ds)


@pytest.mark.parametrize("scheme", ["uniform", "normalized", "softmax", "rank"])
def test_importance_weights_have_mean_one_and_follow_the_loss(scheme):
    losses = torch.tensor([0.1, 2.0, 0.5, 4.0], requires_grad=True)
    w = importance_weights(losses, scheme)
    assert not w.requires_grad and abs(float(w.mean()) - 1.0) < 1e-5
    if scheme != "uniform":
        assert w.argmax() == 3 and w.argmin() == 0
        assert (w[losses.detach().argsort()].diff() >= 0).all()


def test_importance_temperature_and_cap():
    losses = torch.tensor([0.1, 0.2, 3.0, 0.3])
    sharp, soft = importance_weights(losses, "softmax", 0.5), importance_weights(losses, "softmax", 10.0)
    assert sharp.max() > soft.max() > 1.0
    with pytest.raises(ValueError, match="unknown importance scheme"):
        importance_weights(losses, "entropy")


@pytest.mark.parametrize("scheme,losses,cap", [
    ("softmax", [0.1, 0.2, 3.0, 0.3], 2.0),        # uncapped largest weight 3.91
    ("softmax", [0.1, 2.9, 3.0, 0.3, 0.0], 1.5),    # two weights over, then a third after sharing
    ("normalized", [0.0, 0.0, 0.0, 4.0], 2.0),      # the uncapped weights are all zero
    ("rank", [0.1, 0.2, 0.3, 0.4], 1.0),            # a cap of 1 leaves uniform weights
])
def test_importance_cap_holds_with_mean_one(scheme, losses, cap):
    losses = torch.tensor(losses)
    uncapped = importance_weights(losses, scheme, 0.5)
    assert float(uncapped.max()) > cap
    w = importance_weights(losses, scheme, 0.5, max_weight=cap)
    assert float(w.max()) <= cap + 1e-5
    assert abs(float(w.mean()) - 1.0) < 1e-5
    assert (w[losses.argsort()].diff() >= -1e-6).all()      # the order of the losses is kept


def test_importance_cap_below_one_is_refused():
    with pytest.raises(ValueError, match="max_weight must be >= 1"):
        importance_weights(torch.tensor([0.1, 3.0]), "softmax", max_weight=0.8)
    with pytest.raises(ValueError, match="round1-ae: max_weight must be >= 1"):  # when the config is read
        system("iterative", max_weight=0.5)
