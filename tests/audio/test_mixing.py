"""Exact-SNR mixing (aecomp/audio/mixing.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.audio.mixing import MixingError, measured_snr, mix_at_snr
from conftest import tone


@pytest.mark.parametrize("snr", [-10.0, -5.0, 0.0, 3.3, 20.0, 40.0])
@pytest.mark.parametrize("noise_len", [4000, 16000, 48000])
def test_mixing_hits_the_snr_exactly(snr, noise_len):
    rng = np.random.default_rng(0)
    speech = tone(1.0, amp=0.5)
    noise = rng.standard_normal(noise_len).astype(np.float32)
    mix = mix_at_snr(speech, noise, snr, np.random.default_rng(1))
    assert mix.mixture.shape == speech.shape
    assert abs(measured_snr(mix.speech, mix.noise) - snr) < 0.01
    np.testing.assert_allclose(mix.mixture, mix.speech + mix.noise, atol=1e-6)
    assert np.abs(mix.mixture).max() <= 0.99 + 1e-6


def test_loud_mixtures_are_scaled_not_clipped():
    speech = tone(1.0, amp=0.95)
    noise = np.random.default_rng(0).standard_normal(16000)
    mix = mix_at_snr(speech, noise, -5.0, np.random.default_rng(0))
    assert mix.gain < 1.0 and np.abs(mix.mixture).max() <= 0.99 + 1e-6
    assert abs(measured_snr(mix.speech, mix.noise) + 5.0) < 0.01


def test_mixing_is_seeded():
    speech, noise = tone(1.0), np.random.default_rng(0).standard_normal(50000)
    a = mix_at_snr(speech, noise, 0.0, np.random.default_rng(7))
    b = mix_at_snr(speech, noise, 0.0, np.random.default_rng(7))
    c = mix_at_snr(speech, noise, 0.0, np.random.default_rng(8))
    assert np.array_equal(a.mixture, b.mixture) and a.noise_offset == b.noise_offset
    assert a.noise_offset != c.noise_offset


def test_short_noise_is_looped():
    noise = np.arange(1, 101, dtype=np.float32)
    mix = mix_at_snr(np.ones(250, np.float32) * 0.1, noise, 0.0, np.random.default_rng(3))
    seg = mix.noise / (mix.noise[0] / noise[mix.noise_offset])
    expect = np.tile(noise, 4)[mix.noise_offset:mix.noise_offset + 250]
    np.testing.assert_allclose(seg, expect, rtol=1e-4)


def test_silent_inputs_are_refused_with_their_names():
    with pytest.raises(MixingError, match="data/train \\(utt7\\): speech has zero energy"):
        mix_at_snr(np.zeros(100), np.ones(100), 0.0, np.random.default_rng(0), speech_name="data/train (utt7)")
    with pytest.raises(MixingError, match="noise_train \\(n3\\).*zero or non-finite energy"):
        mix_at_snr(np.ones(100), np.zeros(100), 0.0, np.random.default_rng(0), noise_name="noise_train (n3)")
