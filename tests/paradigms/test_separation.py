"""Separation paradigms: PIT over the speakers, the noise output, NASS's contrastive loss
(aecomp/paradigms/separation.py, aecomp/paradigms/nass.py, aecomp/losses/patch_nce.py)."""

from __future__ import annotations

import math

import pytest
import torch

from conftest import tiny

SR = 8000


def enh(outputs):
    return tiny("frontend", "espnet_enh", encoder="conv", encoder_conf={"channel": 16, "kernel_size": 16, "stride": 8},
                decoder="conv", decoder_conf={"channel": 16, "kernel_size": 16, "stride": 8}, separator="tcn",
                separator_conf={"num_spk": outputs, "layer": 2, "stack": 1, "bottleneck_dim": 16, "hidden_dim": 16,
                                "kernel": 3})


def sep_batch(b=2, t=4000, noise=True, speakers=2, seed=0):
    from aecomp.data.dataset import Batch

    g = torch.Generator().manual_seed(seed)
    refs = torch.randn(b, speakers + int(noise), t, generator=g) * torch.tensor([0.3] * speakers + [0.1] * noise)[:, None]
    lengths = torch.tensor([t, t - 1000][:b])
    return Batch([f"u{i}" for i in range(b)], [""] * b, [f"u{i}" for i in range(b)], refs.sum(1), refs, lengths,
                 torch.full((b, 1), -1), torch.zeros(b, dtype=torch.long), torch.zeros(b), noise)


def build(name, outputs, **conf):
    from aecomp import registry

    return registry.build("paradigm", {"name": name, "conf": conf}, frontend=enh(outputs),
                          downstream=tiny("downstream", "none"), sample_rate=SR)


def test_separation_pit_is_order_free_and_drops_the_noise():
    torch.manual_seed(0)
    p = build("separation", 2)
    batch = sep_batch(noise=False)
    loss, est, _ = p.losses(batch)
    swapped = sep_batch(noise=False)
    swapped.refs = swapped.refs.flip(1)
    assert torch.allclose(p.losses(swapped)[0], loss, atol=1e-5)  # the speakers' order does not matter
    assert est.shape == (2, 2, 4000)
    total, stats = p.train_step(batch, p.schedule()[0])
    total.backward()
    assert all(q.grad is not None and q.grad.abs().sum() > 0 for q in p.frontend.parameters() if q.requires_grad)
    assert stats["signal_loss"] == stats["speech_loss"] == pytest.approx(float(total), rel=1e-5)

    pn = build("separation", 3, noise_output=True)
    out = pn.infer(sep_batch())
    assert out.estimate.shape == (2, 2, 4000) and out.hyps is None  # the noise output is not scored
    counts = pn.valid_step(sep_batch(), pn.schedule()[0])
    metrics = pn.summarize_valid(counts)
    assert {"si_snri", "sdri", "loss", "signal_loss", "speech_loss", "noise_loss"} <= set(metrics)
    # noise term weighted in: (2 * speech + w * noise) / (2 + w)
    _, _, st = pn.losses(sep_batch())
    pw = build("separation", 3, noise_output=True, noise_weight=0.0)
    pw.load_state_dict(pn.state_dict())
    assert float(pw.losses(sep_batch())[0].mean()) == pytest.approx(st["speech_loss"], rel=1e-4)


def test_separation_refuses_mismatched_outputs_and_references():
    from aecomp.data.dataset import DatasetError

    with pytest.raises(ValueError, match="needs 3: set its separator_conf.num_spk to 3"):
        build("separation", 2, noise_output=True).losses(sep_batch())
    with pytest.raises(DatasetError, match="noise1.scp"):
        build("separation", 3, noise_output=True).losses(sep_batch(noise=False))
    with pytest.raises(DatasetError, match="3 speech reference"):
        build("separation", 2).losses(sep_batch(noise=False, speakers=3))
    with pytest.raises(ValueError, match="noise_output: true"):
        build("nass", 3, noise_output=False)
    from aecomp import registry

    with pytest.raises(ValueError, match="masked encoder features"):
        registry.build("paradigm", {"name": "nass"}, frontend=tiny("frontend", "unet", n_fft=64, hop_length=32,
                       channels=[2, 2]), downstream=tiny("downstream", "none"), sample_rate=SR)


def test_patch_nce():
    from aecomp.losses.patch_nce import PatchNCE

    torch.manual_seed(0)
    nce = PatchNCE(8, dim=16, hidden=16, patches=32, temperature=0.07)
    lengths = torch.tensor([50, 20])
    # one feature vector everywhere, in query, positive and negatives: every logit equal, loss log(1 + patches)
    flat = torch.randn(2, 1, 8).expand(2, 50, 8)
    assert torch.allclose(nce(flat, flat, flat, lengths), torch.full((2,), math.log(33)), atol=1e-4)
    x = torch.randn(2, 50, 8)
    idx = nce.sample(lengths)
    assert idx.shape == (2, 32) and int(idx[1].max()) < 20 and int(idx.min()) >= 0
    # the query equal to its positive and unlike the negatives: below chance; the converse above it
    other = torch.randn(2, 50, 8)
    assert (nce(x, x, other, lengths, idx) < math.log(33)).all()
    assert (nce(x, other, x, lengths, idx) > math.log(33)).all()
    with pytest.raises(ValueError, match="one shape"):
        nce(x, x[:, :10], x, lengths)


def test_nass_gradients_reach_projector_and_separator():
    torch.manual_seed(0)
    p = build("nass", 3, patches=16, proj_dim=8, proj_hidden=8)
    assert p.projector_parameters == 16 * 8 + 8 + 8 * 8 + 8
    assert p.references() == (2, True)
    phase = p.schedule()[0]
    assert set(phase.train) == {"frontend", "contrast"}
    p.configure(phase)
    loss, stats = p.train_step(sep_batch(), phase)
    assert stats["contrast_loss"] > 0 and "noise_loss" in stats
    assert float(loss) == pytest.approx(stats["signal_loss"] + 2.0 * stats["contrast_loss"], rel=1e-4)
    loss.backward()
    assert all(q.grad is not None and q.grad.abs().sum() > 0 for q in p.contrast.parameters())
    assert p.frontend.encoder.conv1d.weight.grad.abs().sum() > 0
    # the contrastive term is weighted in: weight 0 leaves the separation loss
    p0 = build("nass", 3, patches=16, proj_dim=8, proj_hidden=8, contrast_weight=0.0)
    p0.load_state_dict(p.state_dict())
    total, _, st = p0.losses(sep_batch())
    sep_only = (2 * st["speech_loss"] + st["noise_loss"]) / 3
    assert float(total.mean()) == pytest.approx(sep_only, rel=1e-4)


def test_dry_run_builds_a_separation_batch(tmp_path):
    from aecomp.config import load_config
    from aecomp.train.system import dry_run

    cfg = tmp_path / "train_nass.yaml"
    cfg.write_text(
        "frontend:\n  name: espnet_enh\n  conf:\n    encoder_conf: {channel: 16, kernel_size: 16, stride: 8}\n"
        "    decoder_conf: {channel: 16, kernel_size: 16, stride: 8}\n"
        "    separator_conf: {num_spk: 3, layer: 2, stack: 1, bottleneck_dim: 16, hidden_dim: 16}\n"
        "downstream: {name: none}\nparadigm:\n  name: nass\n  conf: {epochs: 1, patches: 8}\n"
        "data: {sample_rate: 8000}\n")
    dry_run(load_config(cfg))
    cfg.write_text(cfg.read_text().replace("num_spk: 3", "num_spk: 2"))
    with pytest.raises(Exception, match="num_spk to 3"):
        dry_run(load_config(cfg))
