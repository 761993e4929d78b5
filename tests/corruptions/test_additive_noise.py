"""Noise corruption: the exact SNR of a level, a range drawn per example, the noise returned as added."""

from __future__ import annotations

import numpy as np

from aecomp.audio.mixing import measured_snr
from aecomp.corruptions.base import build_corruption

from conftest import tone


def noise(mini_data, snr):
    return build_corruption({"name": "noise", "conf": {"snr": snr, "bank": "noise_train"}}, sample_rate=16000,
                            data_dir=mini_data)


def test_a_level_hits_the_snr_exactly(mini_data):
    speech = tone(1.0, amp=0.2)
    out = noise(mini_data, 5)(speech, 16000, np.random.default_rng(0))
    assert out.info["snr_db"] == 5.0
    assert abs(measured_snr(out.speech, out.noise) - 5.0) < 1e-6
    np.testing.assert_allclose(out.audio, out.speech + out.noise, atol=1e-6)


def test_a_range_is_drawn_per_example_and_hit(mini_data):
    speech = tone(1.0, amp=0.2)
    corruption = noise(mini_data, [-5, 20])
    outs = [corruption(speech, 16000, np.random.default_rng(seed)) for seed in range(8)]
    snrs = [o.info["snr_db"] for o in outs]
    assert all(-5 <= s <= 20 for s in snrs) and len(set(snrs)) == 8
    assert max(snrs) - min(snrs) > 5
    for o in outs:
        assert abs(measured_snr(o.speech, o.noise) - o.info["snr_db"]) < 1e-6
    again = corruption(speech, 16000, np.random.default_rng(3))
    np.testing.assert_array_equal(again.audio, outs[3].audio)
