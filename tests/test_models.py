"""Front-ends, downstream models, losses, importance weights and paradigm phases (tiny sizes)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aecomp import registry
from aecomp.audio.mixing import mix_at_snr
from aecomp.data.dataset import Batch
from aecomp.downstream.classification import UnknownLabelError
from aecomp.losses.importance import importance_weights
from aecomp.losses.signal import WeightedSDR, si_snr
from aecomp.paradigms.fixed_frontend import ParadigmConfigError

from conftest import tone

LABELS = ["go", "no", "yes"]


def tiny(kind, name, **conf):
    injected = {"labels": LABELS} if kind == "downstream" else {}
    return registry.build(kind, {"name": name, "conf": conf}, **injected)


def batch(b=3, t=16000, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.randn(b, t, generator=g) * 0.1
    noisy = clean + torch.randn(b, t, generator=g) * 0.1
    lengths = torch.tensor([t, t - 3000, t - 6000][:b])
    targets = torch.tensor([[i % len(LABELS)] for i in range(b)])
    return Batch([f"u{i}" for i in range(b)], [LABELS[i % 3] for i in range(b)], [f"u{i}" for i in range(b)],
                 noisy, clean, lengths, targets,
                 torch.ones(b, dtype=torch.long), torch.zeros(b))


@pytest.mark.parametrize("name,conf", [("identity", {}), ("wiener", {}), ("unet", {"channels": [2, 4, 4]})])
def test_frontends_keep_shape(name, conf):
    b = batch()
    fe = tiny("frontend", name, **conf)
    out = fe(b.noisy, b.lengths)
    assert out.shape == b.noisy.shape and torch.isfinite(out).all()


def tones_in_noise(freqs, seed):
    """``(noisy, clean, lengths)``: 0.5 s tones at ``freqs`` (Hz) in white noise (about 0 dB SNR)."""
    clean = torch.from_numpy(np.stack([tone(0.5, freq=f, seed=seed + i) for i, f in enumerate(freqs)]))
    noise = torch.from_numpy(np.random.default_rng(seed).standard_normal(clean.shape).astype(np.float32)) * 0.2
    return clean + noise, clean, torch.full((len(freqs),), clean.shape[1])


def test_unet_starts_near_identity_and_learns():
    torch.manual_seed(0)
    fe = tiny("frontend", "unet", channels=[2, 4])
    b = batch()
    out = fe(b.noisy, b.lengths)
    ratio = (out[0] * b.noisy[0]).sum() / b.noisy[0].pow(2).sum()
    assert 0.8 < float(ratio.detach()) < 1.0  # the mask starts at 0.9
    wsdr = WeightedSDR()
    train, held = tones_in_noise([300, 500, 700, 900], seed=0), tones_in_noise([400, 600, 800], seed=10)

    def loss_on(noisy, clean, lengths):
        return wsdr(fe(noisy, lengths), clean, noisy, lengths).mean()

    with torch.no_grad():
        held_before = float(loss_on(*held))
    opt = torch.optim.Adam(fe.parameters(), lr=0.01)
    for _ in range(40):
        opt.zero_grad()
        loss_on(*train).backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in fe.parameters())
        opt.step()
    with torch.no_grad():
        held_after = float(loss_on(*held))
    # wSDR is -1 for a perfect estimate; 40 steps take held-out tones from about -0.72 to -0.88 (seeds 0-3)
    assert held_after < held_before - 0.1, (held_before, held_after)


def test_wiener_improves_snr_of_stationary_noise():
    t = np.arange(16000) / 16000
    speech = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0.3)).astype(np.float32)  # bursts
    noise = np.random.default_rng(0).standard_normal(16000)
    mix = mix_at_snr(speech, noise, 0.0, np.random.default_rng(0))
    x = torch.from_numpy(mix.mixture)[None]
    ref = torch.from_numpy(mix.speech)[None]
    lengths = torch.tensor([16000])
    out = tiny("frontend", "wiener")(x, lengths)
    assert float(si_snr(out, ref, lengths)) > float(si_snr(x, ref, lengths)) + 6.0


def test_wsdr_is_minus_one_for_a_perfect_estimate_and_ignores_padding():
    b = batch()
    loss = WeightedSDR()
    perfect = loss(b.clean, b.clean, b.noisy, b.lengths)
    assert torch.allclose(perfect, torch.full((3,), -1.0), atol=1e-5)
    junk = b.clean.clone()
    junk[1, int(b.lengths[1]):] = 5.0
    assert torch.allclose(loss(junk, b.clean, b.noisy, b.lengths), perfect, atol=1e-5)
    assert (loss(b.noisy, b.clean, b.noisy, b.lengths) > perfect).all()


def test_si_snr_of_known_mixture():
    ref = torch.from_numpy(tone(1.0))[None]
    noise = torch.randn(1, 16000, generator=torch.Generator().manual_seed(0))
    noise = noise * (ref.norm() / noise.norm()) / 10 ** (10 / 20)
    assert abs(float(si_snr(ref + noise, ref, torch.tensor([16000]))) - 10.0) < 0.2


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


def system(paradigm, frontend="unet", **conf):
    fe = tiny("frontend", frontend, **({"channels": [2, 4]} if frontend == "unet" else {}))
    ds = tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    return registry.build("paradigm", {"name": paradigm, "conf": conf}, frontend=fe, downstream=ds)


def test_schedules():
    assert [p.name for p in system("cascade", ae_epochs=2, ca_epochs=1).schedule()] == ["ae", "ae", "ca"]
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=2, ae_phase_epochs=1, ca_phase_epochs=1)
    names = [p.name for p in it.schedule()]
    assert names == ["ae", "ca", "round1-ae", "round1-ca", "round2-ae", "round2-ca"]
    assert it.schedule()[2].importance == "softmax" and it.schedule()[2].task_weight == 0.0
    # a fixed front-end has nothing to train: front-end-only phases are dropped
    assert [p.name for p in system("cascade", frontend="wiener", ae_epochs=2, ca_epochs=1).schedule()] == ["ca"]


def test_paradigms_that_never_train_the_frontend_refuse_a_trainable_one():
    with pytest.raises(ParadigmConfigError, match="would stay untrained"):
        system("noisy")
    assert system("noisy", frontend="wiener").schedule()[0].task_input == "enhanced"


def test_iterative_ae_phase_trains_only_the_frontend_through_the_frozen_recogniser():
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1,
                task_weight=1.0)
    phase = it.schedule()[2]
    it.configure(phase)
    assert it.frontend.training and not it.downstream.training
    loss, stats = it.train_step(batch(), phase)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in it.frontend.parameters())
    assert all(p.grad is None for p in it.downstream.parameters())
    assert stats["weight_max"] > 1.0 and "task_loss" in stats and "signal_loss" in stats


def test_importance_only_ae_phase_weights_the_signal_loss():
    it = system("iterative", ae_epochs=0, ca_epochs=0, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1)
    phase = it.schedule()[0]
    assert phase.task_weight == 0.0 and phase.importance == "softmax"
    it.configure(phase)
    b = batch()
    loss, stats = it.train_step(b, phase)
    with torch.no_grad():
        enhanced = it.frontend(b.noisy, b.lengths)
        task = it.downstream(enhanced, b.lengths, b.targets, b.target_lengths)
        sig = it.signal_loss(enhanced, b.clean, b.noisy, b.lengths)
    expected = (importance_weights(task, "softmax", 1.0) * sig).mean()
    assert torch.allclose(loss.detach(), expected, atol=1e-6)
    loss.backward()
    assert all(p.grad is not None for p in it.frontend.parameters())
    assert all(p.grad is None for p in it.downstream.parameters())


def test_ca_phase_trains_only_the_recogniser():
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1)
    phase = it.schedule()[1]
    it.configure(phase)
    loss, _ = it.train_step(batch(), phase)
    loss.backward()
    assert all(p.grad is None for p in it.frontend.parameters())
    assert any(p.grad is not None for p in it.downstream.parameters())


def test_valid_step_counts():
    s = system("joint", ae_epochs=1, joint_epochs=1)
    counts = s.valid_step(batch(), s.schedule()[1])
    metrics = s.summarize_valid(counts)
    assert counts["n"] == 3 and counts["total"] == 3 and 0 <= metrics["acc"] <= 1 and "si_snr" in metrics
