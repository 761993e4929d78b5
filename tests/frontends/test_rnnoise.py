"""The RNNoise front-end (aecomp/frontends/rnnoise.py): aligned with its input, it suppresses noise, it is fixed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aecomp.audio.io import resample
from aecomp.audio.mixing import mix_at_snr
from aecomp.audio.tts import Voice, speak
from aecomp.losses.signal import si_snr
from conftest import tiny


@pytest.fixture(scope="module")
def speech():
    """Two seconds of espeak-ng speech at 16 kHz (a real voice: RNNoise keeps speech, removes the rest)."""
    wav, rate = speak("the quick brown fox jumps over the lazy dog", Voice("espeak-ng", "en-us", 50, 150))
    wav = resample(wav, rate, 16000)
    return (0.5 * wav / np.abs(wav).max()).astype(np.float32)


def lag_of_peak(out: np.ndarray, ref: np.ndarray, max_lag: int) -> int:
    """The lag (samples; positive: ``out`` is late) at which ``out`` best matches ``ref``."""
    lags = range(-max_lag, max_lag + 1)
    n = len(ref)
    scores = [float(np.dot(out[max(0, k):n + min(0, k)], ref[max(0, -k):n - max(0, k)])) for k in lags]
    return list(lags)[int(np.argmax(scores))]


def test_output_is_aligned_with_the_input(speech):
    fe = tiny("frontend", "rnnoise")
    noise = np.random.default_rng(0).standard_normal(len(speech))
    mix = mix_at_snr(speech, noise, 10.0, np.random.default_rng(0))
    out = fe(torch.from_numpy(mix.mixture)[None], torch.tensor([len(speech)]))[0].numpy()
    # the uncorrected library output is 960 samples (20 ms) late at 48 kHz: 320 at 16 kHz
    assert lag_of_peak(out, mix.speech, 480) == 0
    corr = np.dot(out, mix.speech) / np.linalg.norm(out) / np.linalg.norm(mix.speech)
    assert corr > 0.8, corr  # the speech is kept (0.93 here), not only some of its harmonics


def test_it_suppresses_noise_at_0_db(speech):
    fe = tiny("frontend", "rnnoise")
    noise = np.random.default_rng(1).standard_normal(len(speech))
    mix = mix_at_snr(speech, noise, 0.0, np.random.default_rng(1))
    noisy, clean = torch.from_numpy(mix.mixture)[None], torch.from_numpy(mix.speech)[None]
    n = torch.tensor([noisy.shape[1]])
    gain = float(si_snr(fe(noisy, n), clean, n) - si_snr(noisy, clean, n))
    assert gain > 5.0, gain  # white noise at 0 dB: about +10 dB SI-SNR (RNNoise's pretrained weights)


def test_batch_lengths_and_a_fresh_state_per_utterance(speech):
    fe = tiny("frontend", "rnnoise")
    short = speech[:12000]
    wav = torch.zeros(2, len(speech))
    wav[0], wav[1, :12000] = torch.from_numpy(speech), torch.from_numpy(short)
    wav[1, 12000:] = 0.3  # past its length: don't care, must not leak in
    out = fe(wav, torch.tensor([len(speech), 12000]))
    assert out.shape == wav.shape and out.dtype == wav.dtype and torch.isfinite(out).all()
    assert float(out[1, 12000:].abs().max()) == 0.0
    alone = fe(torch.from_numpy(short)[None], torch.tensor([12000]))[0]
    assert torch.equal(out[1, :12000], alone)  # the same whatever ran before it in the batch
    again = fe(wav, torch.tensor([len(speech), 12000]))
    assert torch.equal(out, again)  # deterministic


def test_other_rates_and_loud_input(speech):
    fe = tiny("frontend", "rnnoise", sample_rate=8000)
    x = resample(speech, 16000, 8000) * 3.0  # beyond [-1, 1]: clipped to 16-bit range, not wrapped around
    out = fe(torch.from_numpy(x)[None], torch.tensor([len(x)]))[0].numpy()
    assert len(out) == len(x) and np.isfinite(out).all() and np.abs(out).max() < 1.5
    assert lag_of_peak(out, x, 240) == 0


def test_it_is_fixed_so_noisy_paradigms_accept_it():
    from aecomp import registry

    fe = tiny("frontend", "rnnoise")
    assert not fe.trainable and list(fe.parameters()) == []
    paradigm = registry.build("paradigm", {"name": "noisy", "conf": {"epochs": 1}}, frontend=fe,
                              downstream=tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2))
    assert [p.train for p in paradigm.schedule()] == [("downstream",)]
    with pytest.raises(ValueError, match="sample_rate"):
        tiny("frontend", "rnnoise", sample_rate=0)
    with pytest.raises(ValueError, match=r"batch \[B, T\]"):
        fe(torch.zeros(1, 2, 100), torch.tensor([100]))
