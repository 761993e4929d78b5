"""Codecs through the real encoders: alignment, length, bitrates, and errors that say what to do."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.corruptions.base import CorruptionError, build_corruption
from aecomp.corruptions.codec import CODECS, Codec, align

from conftest import tone

SR = 16000


def voiced(seconds: float = 1.0, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A speech-like signal ``[T]``: harmonics of a gliding pitch under a syllable-rate envelope, plus breath noise."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 120 + 40 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    wav = sum(np.sin(k * phase) / k for k in range(1, 30) if k * 200 < sr / 2)
    wav *= 0.5 * (1 - np.cos(2 * np.pi * 4 * t)) / 2
    wav += 0.005 * np.random.default_rng(seed).standard_normal(len(t))
    return (0.2 * wav / np.abs(wav).max()).astype(np.float32)


def si_snr(est: np.ndarray, ref: np.ndarray) -> float:
    ref, est = ref - ref.mean(), est - est.mean()
    target = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.dot(target, target) / np.sum((est - target) ** 2)))


def spectral_distance(est: np.ndarray, ref: np.ndarray, n: int = 512) -> float:
    """Mean absolute log-magnitude difference of 32 ms frames: phase-blind, so it also judges vocoders."""
    frames = lambda x: np.abs(np.fft.rfft(x[: len(x) // n * n].reshape(-1, n) * np.hanning(n), axis=1))
    return float(np.mean(np.abs(np.log10(frames(est) + 1e-4) - np.log10(frames(ref) + 1e-4))))


def codec(name: str, bitrate: float, sample_rate: int = SR) -> Codec:
    return build_corruption({"name": "codec", "conf": {"codec": name, "bitrate": bitrate}}, sample_rate=sample_rate)


def test_mp3_128k_round_trip_is_sample_aligned():
    wav = voiced()
    out = codec("mp3", 128)(wav, SR, np.random.default_rng(0))
    assert out.audio.shape == wav.shape and out.audio.dtype == np.float32
    assert out.noise is None and out.speech is not None
    assert si_snr(out.audio, wav) >= 20.0
    lags = np.arange(-400, 401)
    corr = [np.dot(np.roll(out.audio, -lag), wav) for lag in lags]
    assert lags[int(np.argmax(corr))] == 0


# one bitrate per codec, and where the codec has several, a low and a high one
BITRATES = {"mp3": (16, 128), "aac": (12, 64), "opus": (6, 64), "sbc": (24, 192), "g722": (64,), "gsm": (13,),
            "speex": (4, 42), "codec2": (0.7, 3.2), "lc3": (16, 96)}


def test_every_codec_but_he_aac_is_tested():
    assert set(BITRATES) == set(CODECS) - {"he-aac"}


@pytest.mark.parametrize("name", sorted(BITRATES))
def test_codec_keeps_length_and_lower_bitrate_is_worse(name):
    wav = voiced()
    outs = [codec(name, b).code(wav, SR) for b in BITRATES[name]]
    for out in outs:
        assert out.shape == wav.shape and np.all(np.isfinite(out))
        assert not np.allclose(out, wav, atol=1e-3), "the codec must alter the signal"
    if name not in ("codec2", "speex"):  # waveform codecs, aligned: the waveform matches (CELP and vocoders do not)
        assert si_snr(outs[-1], wav) > 10.0
    if len(outs) > 1:
        assert spectral_distance(outs[0], wav) > spectral_distance(outs[1], wav)


def test_lc3_at_another_rate():
    wav = voiced(sr=48000)
    out = codec("lc3", 64, sample_rate=48000).code(wav, 48000)
    assert out.shape == wav.shape and si_snr(out, wav) > 10.0


def test_he_aac_names_the_missing_encoder():
    with pytest.raises(CorruptionError, match=r"libfdk_aac is not installed.*ffmpeg built with libfdk_aac"):
        codec("he-aac", 32)


def test_bitrate_it_cannot_do_lists_what_it_can():
    with pytest.raises(CorruptionError, match=r"gsm: it cannot code 32 kbit/s; it can do 13 kbit/s at 8000 Hz"):
        codec("gsm", 32)
    with pytest.raises(CorruptionError, match=r"mp3: it cannot code 100 kbit/s; it can do 8, 16, .*, 160 kbit/s"):
        codec("mp3", 100)
    with pytest.raises(CorruptionError, match=r"opus: it cannot code 300 kbit/s; it can do 6 to 256 kbit/s"):
        codec("opus", 300)


def test_unknown_codec():
    with pytest.raises(CorruptionError, match="unknown codec 'mp5'; choose one of mp3, aac"):
        codec("mp5", 64)


def test_align_finds_the_delay():
    ref = tone(0.5, seed=3)
    delayed = np.concatenate([np.zeros(1105, np.float32), ref])
    np.testing.assert_array_equal(align(delayed, ref, 4096), ref)


@pytest.mark.parametrize("name", ["mp3", "sbc", "g722"])
def test_in_process_and_ffmpeg_program_give_the_same_audio(name):
    c = codec(name, 64)
    x = voiced()
    np.testing.assert_array_equal(c.code(x, SR, via="pyav"), c.code(x, SR, via="ffmpeg"))


@pytest.mark.parametrize("name,bitrate", [("opus", 64), ("mp3", 32), ("aac", 32)])
def test_a_loud_input_comes_back_within_full_scale(name, bitrate):
    """A mixture at its 0.99 peak overshoots in the codec; the decoder's 16-bit output saturates, so
    the corrupted audio stays in [-1, 1] (an evaluation set of it can be written)."""
    loud = np.clip(voiced(seed=1) / 0.2 * 0.99 + 0.3 * np.random.default_rng(2).standard_normal(SR), -0.99, 0.99)
    out = codec(name, bitrate)(loud.astype(np.float32), SR, np.random.default_rng(0)).audio
    assert np.abs(out).max() <= 1.0


@pytest.mark.parametrize("name,bitrate,magic", [("opus", 24, b"OggS"), ("mp3", 32, None)])
def test_the_encoded_file_plays_back_as_the_input(name, bitrate, magic, tmp_path):
    """Codec.encoded: the codec's file itself (a listening example keeps it), decodable by soundfile."""
    import soundfile as sf

    wav = voiced(1.0)
    data = codec(name, bitrate).encoded(wav, SR)
    assert magic is None or data.startswith(magic)
    path = tmp_path / f"clip.{CODECS[name].container}"
    path.write_bytes(data)
    back, rate = sf.read(path, dtype="float32")
    assert abs(len(back) / rate - 1.0) < 0.08  # the encoder's padding at most
    assert len(data) < 1.2 * bitrate * 1000 / 8 + 2000  # about the bitrate's worth of bytes for 1 s
    if name == "opus":  # Ogg Opus records its pre-skip: the decoded clip lines up with the input
        from aecomp.audio.io import resample

        assert si_snr(resample(back, rate, SR)[:len(wav)], wav) > 5
    with pytest.raises(CorruptionError, match="only ffmpeg codecs"):
        codec("lc3", 64).encoded(wav, SR)


def test_a_clip_is_coded_once_and_later_draws_reuse_it(monkeypatch):
    """Codecs are deterministic: training draws of the same clip (later epochs, the fixed validation set) reuse
    the first coding; another clip, or the cache over its budget, codes again."""
    import numpy as np

    from aecomp.corruptions.codec import Codec

    codec = Codec("mp3", 64, sample_rate=16000)
    calls = []
    real = codec.code
    monkeypatch.setattr(codec, "code", lambda wav, rate: calls.append(1) or real(wav, rate))
    rng = np.random.default_rng(0)
    a, b = (0.1 * rng.standard_normal(8000)).astype(np.float32), (0.1 * rng.standard_normal(8000)).astype(np.float32)
    first = codec(a, 16000, rng).audio
    again = codec(a.copy(), 16000, rng).audio
    assert len(calls) == 1 and np.array_equal(first, again) and np.array_equal(first, real(a, 16000))
    assert not again.flags.writeable  # shared: nobody may change it in place
    codec.cache_bytes = first.nbytes  # room for one clip: b evicts a
    codec(b, 16000, rng)
    assert len(calls) == 2
    codec(b, 16000, rng)
    assert len(calls) == 2
    codec(a, 16000, rng)
    assert len(calls) == 3


def test_another_process_reads_a_clip_coded_before_from_the_cache_directory(monkeypatch, tmp_path):
    """$AECOMP_CODEC_CACHE (recipe stage 4): a new Codec (another system's training process) reads what an earlier
    one coded instead of coding again; another bitrate or clip is coded; an unreadable file is coded again and
    replaced."""
    monkeypatch.setenv("AECOMP_CODEC_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    a, b = (0.1 * rng.standard_normal(8000)).astype(np.float32), (0.1 * rng.standard_normal(8000)).astype(np.float32)

    def fresh(bitrate=64):
        c, calls = Codec("mp3", bitrate, sample_rate=SR), []
        real = c.code
        monkeypatch.setattr(c, "code", lambda wav, rate: calls.append(1) or real(wav, rate))
        return c, calls

    first, calls = fresh()
    coded = first(a, SR, rng).audio
    assert len(calls) == 1
    files = list((tmp_path / "cache").rglob("*.npy"))
    assert len(files) == 1 and not list((tmp_path / "cache").rglob(".*"))  # whole, no temporary left
    second, calls = fresh()
    assert np.array_equal(second(a, SR, rng).audio, coded) and calls == []
    second(b, SR, rng)
    other, calls = fresh(bitrate=32)
    assert not np.array_equal(other(a, SR, rng).audio, coded) and len(calls) == 1
    files[0].write_bytes(b"not an array")
    third, calls = fresh()
    assert np.array_equal(third(a, SR, rng).audio, coded) and len(calls) == 1
    assert np.array_equal(np.load(files[0]), coded)
    monkeypatch.delenv("AECOMP_CODEC_CACHE")
    fourth, calls = fresh()
    fourth(a, SR, rng)
    assert len(calls) == 1  # no directory: coded in the process
