"""Codecs through the real ffmpeg: length, alignment, and that low bitrates degrade more."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp import registry
from aecomp.audio.codecs import CodecError, align

from conftest import tone


def snr(ref, est):
    return 10 * np.log10(np.sum(ref ** 2) / np.sum((ref - est) ** 2))


@pytest.mark.parametrize("encoder", ["libmp3lame", "aac"])
def test_codec_roundtrip_is_aligned_and_lossy(encoder):
    t = np.arange(16000) / 16000
    # broadband: a low-bitrate encoder must drop the high partials
    wav = sum(0.1 * np.sin(2 * np.pi * f * t) for f in (300, 2500, 6000, 7200)) * (1 + np.sin(2 * np.pi * 2 * t)) / 2
    wav = wav.astype(np.float32)
    hi = registry.build("corruption", {"name": "codec", "conf": {"encoder": encoder, "bitrate": "128k"}}).code(wav, 16000)
    lo = registry.build("corruption", {"name": "codec", "conf": {"encoder": encoder, "bitrate": "16k"}}).code(wav, 16000)
    assert hi.shape == lo.shape == wav.shape
    assert snr(wav, hi) > 15.0, "128 kb/s should be close to the input once aligned"
    assert snr(wav, lo) < snr(wav, hi) - 3.0


def test_align_finds_the_delay():
    ref = tone(0.5, seed=3)
    delayed = np.concatenate([np.zeros(1105, np.float32), ref])
    np.testing.assert_array_equal(align(delayed, ref, 4096), ref)


def test_unknown_encoder():
    with pytest.raises(CodecError, match="unsupported encoder 'mp5'"):
        registry.build("corruption", {"name": "codec", "conf": {"encoder": "mp5"}})
