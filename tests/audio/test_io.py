"""Audio reading and writing (aecomp/audio/io.py)."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.audio.io import AudioError, read_audio, resample, write_audio
from conftest import tone, write_wav


def test_read_downmixes_and_resamples(tmp_path):
    stereo = np.stack([tone(0.5), -tone(0.5) * 0.5], axis=1)
    path = write_wav(tmp_path / "st.flac", stereo)
    mono = read_audio(str(path))
    np.testing.assert_allclose(mono, stereo.mean(axis=1), atol=1e-4)
    assert read_audio(str(path), 8000).shape == (4000,)
    assert resample(np.ones(441, np.float32), 44100, 16000).shape == (160,)


def test_read_errors_name_the_place(tmp_path):
    with pytest.raises(AudioError, match="wav.scp:3: audio file .*nope.wav does not exist"):
        read_audio(str(tmp_path / "nope.wav"), where="wav.scp:3")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(AudioError, match="cannot read audio"):
        read_audio(str(bad))


def test_write_refuses_clipping_and_is_atomic(tmp_path):
    with pytest.raises(AudioError, match="would clip"):
        write_audio(tmp_path / "x.wav", np.array([0.5, 1.5]), 16000)
    assert list(tmp_path.iterdir()) == []
    write_audio(tmp_path / "x.flac", tone(0.1), 16000)
    assert read_audio(str(tmp_path / "x.flac")).shape == (1600,)
