"""The SSL representation loss through a real s3prl upstream (a tiny WavLM built here)."""

from __future__ import annotations

import pytest
import torch

from aecomp import registry
from aecomp.losses.ssl import SSLLossError, load_upstream
from aecomp.losses.tiny_upstream import build_tiny_wavlm


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return str(build_tiny_wavlm(tmp_path_factory.mktemp("upstream") / "tiny_wavlm.pt"))


def ssl(ckpt, **conf):
    return registry.build("loss", {"name": "ssl", "conf": {"ckpt": ckpt, "layers": [0, 1, 2], **conf}})


def signals(b=3, t=16000, seed=0):
    g = torch.Generator().manual_seed(seed)
    clean = torch.randn(b, t, generator=g) * 0.1
    noisy = clean + 0.1 * torch.randn(b, t, generator=g)
    return clean, noisy, torch.tensor([t, t - 4000, t - 8000][:b])


def test_loss_values(ckpt):
    loss = ssl(ckpt)
    clean, noisy, lengths = signals()
    same = loss(clean, clean, noisy, lengths)
    assert same.shape == (3,) and torch.allclose(same, torch.zeros(3), atol=1e-5)
    worse = loss(noisy, clean, noisy, lengths)
    assert (worse > 0).all() and torch.isfinite(worse).all()
    cos = ssl(ckpt, distance="cosine")(noisy, clean, noisy, lengths)
    assert ((cos > 0) & (cos < 2)).all()


def test_gradient_reaches_every_enhancer_parameter(ckpt):
    fe = registry.build("frontend", {"name": "unet", "conf": {"channels": [2, 4]}})
    clean, noisy, lengths = signals()
    loss = ssl(ckpt, layers=[0])  # the CNN output alone: only reachable if the CNN passes gradients
    loss(fe(noisy, lengths), clean, noisy, lengths).mean().backward()
    for name, p in fe.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert all(p.grad is None for p in loss.upstream.parameters()), "the upstream must stay frozen"
    assert not loss.upstream.training


def test_s3prl_default_would_block_the_gradient(ckpt):
    """Without the fix, s3prl's feature_grad_mult = 0 runs the CNN without gradient: the input gets none."""
    up = load_upstream("wavlm_local", ckpt)
    wav = (torch.randn(1, 16000) * 0.1).requires_grad_()
    up(wav, torch.tensor([16000]))[0][0].sum().backward()
    assert wav.grad is not None and wav.grad.abs().sum() > 0
    for m in up.modules():
        if hasattr(m, "feature_grad_mult"):
            m.feature_grad_mult = 0.0
    wav2 = (torch.randn(1, 16000) * 0.1).requires_grad_()
    out = up(wav2, torch.tensor([16000]))[0][0].sum()
    assert not out.requires_grad  # nothing to back-propagate into the waveform


def test_cached_and_uncached_losses_are_equal(ckpt):
    cached, plain = ssl(ckpt, cache=True), ssl(ckpt, cache=False)
    clean, noisy, lengths = signals()
    keys = ["a", "b", "c"]
    first = cached(noisy, clean, noisy, lengths, keys)
    second = cached(noisy, clean, noisy, lengths, keys)
    ref = plain(noisy, clean, noisy, lengths, keys)
    assert torch.allclose(first, ref, atol=1e-6) and torch.allclose(second, ref, atol=1e-6)
    assert cached.cache_misses == 3 and cached.cache_hits == 3
    # a batch mixing cached and new references
    mixed = cached(noisy[[2, 0]], torch.stack([clean[2], clean[1]]), noisy[[2, 0]], lengths[[2, 1]], ["c", "new"])
    expect = plain(noisy[[2, 0]], torch.stack([clean[2], clean[1]]), noisy[[2, 0]], lengths[[2, 1]])
    assert torch.allclose(mixed, expect, atol=1e-6) and cached.cache_misses == 4


def test_signal_term_resampling_and_state(ckpt):
    clean, noisy, lengths = signals(t=8000)
    lengths = torch.tensor([8000, 6000, 4000])
    with_sig = registry.build("loss", {"name": "ssl", "conf": {"ckpt": ckpt, "signal_loss": "wsdr",
                                                               "signal_weight": 2.0}}, sample_rate=8000)
    only = registry.build("loss", {"name": "ssl", "conf": {"ckpt": ckpt}}, sample_rate=8000)
    wsdr = registry.build("loss", "wsdr")
    total = with_sig(noisy, clean, noisy, lengths)
    assert torch.allclose(total, only(noisy, clean, noisy, lengths) + 2.0 * wsdr(noisy, clean, noisy, lengths), atol=1e-5)
    assert list(with_sig.state_dict()) == [], "the frozen upstream must not be saved in checkpoints"


def test_errors(ckpt):
    with pytest.raises(SSLLossError, match="detach the input waveform"):
        ssl(ckpt, upstream="hf_wavlm")
    with pytest.raises(SSLLossError, match=r"layers \[7\] do not exist.*0..2"):
        ssl(ckpt, layers=[7])
    with pytest.raises(SSLLossError, match="set ckpt"):
        registry.build("loss", {"name": "ssl", "conf": {"upstream": "wavlm_local"}})
    with pytest.raises(SSLLossError, match="unknown s3prl upstream 'wavlm_tiny'"):
        ssl(ckpt, upstream="wavlm_tiny")


def test_cascade_with_the_ssl_loss_trains_the_enhancer(ckpt):
    fe = registry.build("frontend", {"name": "unet", "conf": {"channels": [2, 4]}})
    ds = registry.build("downstream", {"name": "kws_cnn", "conf": {"channels": [2, 4], "time_steps": 2}}, labels=["a", "b"])
    para = registry.build("paradigm", {"name": "cascade", "conf": {
        "ae_epochs": 1, "ca_epochs": 1, "signal_loss": {"name": "ssl", "conf": {"ckpt": ckpt, "signal_loss": "wsdr"}}}},
        frontend=fe, downstream=ds, sample_rate=16000)
    from aecomp.data.dataset import Batch

    clean, noisy, lengths = signals(b=2)
    batch = Batch(["u0", "u1"], ["a", "b"], ["u0", "u1"], noisy, clean, lengths, torch.tensor([[0], [1]]),
                  torch.ones(2, dtype=torch.long), torch.zeros(2))
    phase = para.schedule()[0]
    para.configure(phase)
    loss, _ = para.train_step(batch, phase)
    loss.backward()
    assert all(p.grad is not None for p in para.frontend.parameters())
    assert not any(k.startswith("signal_loss.upstream") for k in para.state_dict())


def test_importing_s3prl_does_not_try_to_download():
    """With the guard in place, importing s3prl neither opens a connection nor leaves nltk.download live."""
    import subprocess
    import sys

    code = ("import socket\n"
            "attempts = []\n"
            "def blocked(*args, **kwargs):\n"
            "    attempts.append(args)\n"
            "    raise OSError('network blocked by the test')\n"
            "socket.socket.connect = blocked\n"
            "socket.create_connection = blocked\n"
            "from aecomp.offline import offline_imports\n"
            "offline_imports()\n"
            "import nltk\n"
            "print('download guard:', nltk.download.__module__)\n"
            "import s3prl.nn\n"
            "print('connection attempts:', len(attempts))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "download guard: aecomp.offline" in proc.stdout, proc.stdout
    assert "connection attempts: 0" in proc.stdout, proc.stdout
    assert "nltk_data" not in proc.stderr and "urlopen" not in proc.stderr
