"""TRNet (aecomp/paradigms/trnet.py): what trains, the SNR coefficient, blend and FiLM at test time, the losses."""

from __future__ import annotations

import pytest
import torch

from aecomp import registry
from aecomp.paradigms.fixed_frontend import ParadigmConfigError
from conftest import batch, tiny


def trnet(frontend="unet", **conf):
    fe = tiny("frontend", frontend, **({"channels": [2, 4]} if frontend == "unet" else {}))
    ds = tiny("downstream", "ser_cnn", channels=[4, 8], embedding_dim=8, attention_dim=4, n_mels=40)
    return registry.build("paradigm", {"name": "trnet", "conf": {"epochs": 2, **conf}}, frontend=fe, downstream=ds)


def test_only_the_recogniser_and_the_refinements_train():
    p = trnet()
    with torch.no_grad():  # a front-end that changes the signal (an untrained U-Net passes it almost as it is:
        p.frontend.out.weight.normal_(0.0, 1.0)  # S would sit at hardtanh's upper bound, with no gradient)
    phases = p.schedule()
    assert [ph.name for ph in phases] == ["trnet", "trnet"] and phases[0].train == ("downstream", "snr", "film")
    assert "teacher" not in p.parts() and "teacher" in dict(p.named_children())
    p.configure(phases[0])
    teacher_before = {k: v.clone() for k, v in p.teacher.state_dict().items()}
    loss, stats = p.train_step(batch(), phases[0])
    loss.backward()
    assert all(q.grad is None for q in p.frontend.parameters())  # the front-end is fixed
    assert all(q.grad is None for q in p.teacher.parameters())
    assert p.snr.linear.weight.grad.abs().sum() > 0  # the blend reaches the SNR coefficient
    assert p.film.scale.weight.grad.abs().sum() > 0 and p.film.shift.bias.grad.abs().sum() > 0
    assert set(stats) == {"task_loss", "l_low", "l_high", "snr_coef"} and stats["l_low"] > 0 and stats["l_high"] > 0
    assert all(torch.equal(v, teacher_before[k]) for k, v in p.teacher.state_dict().items())
    assert not p.teacher.training


def test_snr_coefficient_is_one_when_the_frontend_changes_nothing():
    p = trnet(frontend="identity")
    b = batch()
    s = p.snr(b.noisy, b.noisy, b.lengths)
    assert s.shape == (3,) and torch.allclose(s, torch.ones(3))
    out = p.refine(b.noisy, b.lengths)
    x_noisy, _ = p.downstream.spectrogram(b.noisy, b.lengths)
    assert torch.allclose(out["spec"], x_noisy)
    rough = p.snr(b.noisy, b.clean, b.lengths)  # a very different "enhanced" signal
    assert ((rough >= 0) & (rough < 0.99)).all()


def test_blend_and_film_run_at_test_time():
    p = trnet().eval()
    b = batch()
    base = p.refine(b.noisy, b.lengths)["logits"]
    with torch.no_grad():
        p.film.shift.bias.add_(3.0)  # FiLM changes the embedding: inference must change
    assert not torch.allclose(p.refine(b.noisy, b.lengths)["logits"], base)
    assert p.infer(b).hyps == [p.downstream.labels[i] for i in p.refine(b.noisy, b.lengths)["logits"].argmax(-1)]
    with torch.no_grad():
        p.snr.linear.bias.fill_(-10.0)  # S = 0: the downstream hears the enhanced spectrogram alone
    out = p.refine(b.noisy, b.lengths)
    x_enh, _ = p.downstream.spectrogram(out["enhanced"], b.lengths)
    assert torch.allclose(out["snr"], torch.zeros(3)) and torch.allclose(out["spec"], x_enh)


def test_ablations():
    b = batch()
    no_low = trnet(alpha=0.0)
    parts = no_low.losses(b, no_low.refine(b.noisy, b.lengths))
    assert (parts["low"] == 0).all() and (parts["high"] > 0).all()
    no_film = trnet(film=False)
    assert "film" not in dict(no_film.named_children()) and no_film.schedule()[0].train == ("downstream", "snr")
    no_blend = trnet(blend=False)
    out = no_blend.refine(b.noisy, b.lengths)
    assert torch.allclose(out["spec"], no_blend.downstream.spectrogram(out["enhanced"], b.lengths)[0])
    with pytest.raises(ParadigmConfigError, match="has no spectrogram, embed, classify.*ser_cnn"):
        fe = tiny("frontend", "identity")
        registry.build("paradigm", {"name": "trnet", "conf": {}}, frontend=fe,
                       downstream=tiny("downstream", "kws_cnn", channels=[2], time_steps=1))
