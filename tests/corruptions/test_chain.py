"""Chains: a noisy recording streamed through a codec keeps the speech reference; its noise is no longer a sum."""

from __future__ import annotations

import numpy as np

from aecomp.corruptions.base import build_corruption

from conftest import tone


def test_noise_then_opus(mini_data):
    chain = build_corruption({"name": "chain", "conf": {"steps": [
        {"name": "noise", "conf": {"snr": 10, "bank": "noise_train"}},
        {"name": "codec", "conf": {"codec": "opus", "bitrate": 24}}]}}, sample_rate=16000, data_dir=mini_data)
    assert chain.family == "chain" and not chain.additive
    speech = tone(1.0, amp=0.9)  # loud: the noise step scales the mixture down, the reference with it
    out = chain(speech, 16000, np.random.default_rng(0))
    noisy = build_corruption({"name": "noise", "conf": {"snr": 10, "bank": "noise_train"}}, sample_rate=16000,
                             data_dir=mini_data)(speech, 16000, np.random.default_rng(0))
    assert noisy.info["gain"] < 1.0
    assert out.noise is None
    np.testing.assert_allclose(out.speech, speech * noisy.info["gain"], rtol=1e-6)
    assert out.info["gain"] == noisy.info["gain"] and out.info["snr_db"] == 10.0
    assert out.audio.shape == speech.shape and not np.allclose(out.audio, noisy.audio, atol=1e-3)
    assert chain.describe().endswith("-> opus at 24 kbit/s")


def test_additive_chain_sums_the_noises(mini_data):
    step = {"name": "noise", "conf": {"snr": 10, "bank": "noise_train"}}
    chain = build_corruption({"name": "chain", "conf": {"steps": [step, step]}}, sample_rate=16000, data_dir=mini_data)
    out = chain(tone(1.0, amp=0.1), 16000, np.random.default_rng(0))
    np.testing.assert_allclose(out.audio, out.speech + out.noise, atol=1e-6)
