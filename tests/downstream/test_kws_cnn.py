"""The keyword CNN downstream model: per-sample losses and decoding (aecomp/downstream/kws_cnn.py)."""

from __future__ import annotations

import pytest

from aecomp.downstream.classification import UnknownLabelError
from conftest import batch, LABELS, tiny


def test_keyword_cnn_per_sample_loss_and_decode():
    ds = tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=3)
    b = batch()
    loss = ds(b.noisy, b.lengths, b.targets, b.target_lengths)
    assert loss.shape == (3,)
    loss.sum().backward()
    hyps = ds.decode(b.noisy, b.lengths)
    assert len(hyps) == 3 and set(hyps) <= set(LABELS)
    assert ds.summarize(ds.score(["go", "no", "go"], ["go", "yes", "go"]))["acc"] == pytest.approx(2 / 3)
    assert ds.encode_target("yes") == [2]
    with pytest.raises(UnknownLabelError, match="'maybe' was not among the 3 training labels"):
        ds.encode_target("maybe")
