"""The local synthesisers behind the mini corpus (aecomp/audio/tts.py): every engine speaks, deterministically,
and a voice's pitch, rate and warp change what it says the way they claim to."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.audio.io import resample
from aecomp.audio.tts import TTSError, Voice, speak, synthesize, trim_silence

VOICES = [Voice("espeak-ng", "en-us+m3", 50, 160), Voice("flite", "kal16", 95.0, 1.0),
          Voice("festival", "kal_diphone", 105.0, 1.0)]


def _f0(wav: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch (Hz) of the voiced 40-ms frames."""
    frame = int(0.04 * rate)
    out = []
    for i in range(0, len(wav) - frame, frame // 2):
        s = wav[i:i + frame].astype(np.float64)
        if np.sqrt(np.mean(s ** 2)) < 0.05 * np.abs(wav).max():
            continue
        ac = np.correlate(s, s, "full")[frame - 1:]
        lo, hi = rate // 400, rate // 60
        k = lo + int(np.argmax(ac[lo:hi]))
        if ac[k] > 0.4 * ac[0]:
            out.append(rate / k)
    return float(np.median(out))


@pytest.mark.parametrize("voice", VOICES, ids=lambda v: v.engine)
def test_each_engine_speaks_deterministically(voice):
    a, rate = speak("the red cat sees the dog", voice)
    b, _ = speak("the red cat sees the dog", voice)
    assert np.array_equal(a, b) and 0.8 < len(trim_silence(a)) / rate < 4.0
    assert np.abs(a).max() > 0.05


@pytest.mark.parametrize("voice", VOICES[1:], ids=lambda v: v.engine)
def test_pitch_and_rate_factors_act(voice):
    [(base, rate), (high, _), (slow, _)] = synthesize(voice, [("the red cat sees the big dog", 1.0, 1.0),
                                                              ("the red cat sees the big dog", 1.5, 1.0),
                                                              ("the red cat sees the big dog", 1.0, 0.7)])
    assert _f0(high, rate) > 1.25 * _f0(base, rate)
    assert len(trim_silence(slow)) > 1.2 * len(trim_silence(base))


def test_warp_raises_pitch_and_shortens():
    plain, warped = VOICES[1], Voice("flite", "kal16", 95.0, 1.0, warp=1.2)
    (a, ra), (b, rb) = speak("the red cat", plain), speak("the red cat", warped)
    assert np.array_equal(a, b) and rb == round(ra * 1.2 / 100) * 100  # the same samples, read faster
    a16, b16 = resample(a, ra, 16000), resample(b, rb, 16000)
    assert len(b16) < 0.87 * len(a16)
    assert _f0(b16, 16000) > 1.12 * _f0(a16, 16000)


def test_unknown_engine_and_missing_voice_are_named():
    with pytest.raises(TTSError, match="unknown speech synthesiser 'say'"):
        speak("hi", Voice("say", "x", 1, 1))
    with pytest.raises(TTSError, match="festival"):
        speak("hi", Voice("festival", "no_such_voice", 100.0, 1.0))
