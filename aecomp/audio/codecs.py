"""Perceptual audio codecs as corruptions: encode and decode audio, return what a listener would get."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from aecomp.corruptions.base import Corrupted, Corruption
from aecomp.errors import AecompError
from aecomp.registry import register


class CodecError(AecompError, RuntimeError):
    """A codec is unavailable or failed; the message names the command and what to install."""


class Codec(Corruption):
    """A codec corruption: ``codec.code(wav [T], sample_rate) -> decoded [T]``.

    The output has the input's length and rate, aligned in time with it (the
    encoder's delay removed), so clean and coded audio can be compared sample by
    sample.
    """

    family = "codec"

    def code(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        return Corrupted(self.code(speech, sample_rate), np.asarray(speech, dtype=np.float32))


#: ffmpeg encoder -> container format it is written in
CONTAINERS = {"libmp3lame": "mp3", "aac": "adts", "libopus": "ogg", "libvorbis": "ogg", "sbc": "sbc",
              "pcm_s16le": "wav"}


@register("corruption", "codec")
class FFmpegCodec(Codec):
    """Any ffmpeg encoder at a bitrate (mp3, AAC-LC, Opus, SBC, ...), decoded back to PCM."""

    def __init__(self, encoder: str = "libmp3lame", bitrate: str = "64k", max_delay: int = 4096, *,
                 sample_rate: int = 16000):
        """``encoder``: an ffmpeg audio encoder name (see :data:`CONTAINERS`); ``bitrate``: as ffmpeg
        takes it ("32k"). The decoded signal is aligned to the input by cross-correlation over
        lags up to ``max_delay`` samples."""
        if encoder not in CONTAINERS:
            raise CodecError(f"unsupported encoder '{encoder}'; choose one of {', '.join(CONTAINERS)}")
        self.encoder, self.bitrate, self.max_delay = encoder, bitrate, max_delay

    def code(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        import soundfile as sf

        exe = shutil.which("ffmpeg")
        if exe is None:
            raise CodecError("ffmpeg is not installed: run tools/install.sh (as root) or 'apt-get install ffmpeg'")
        wav = np.asarray(wav, dtype=np.float32)
        with tempfile.TemporaryDirectory(prefix="aecomp-codec-") as tmp:
            src, coded, back = Path(tmp) / "in.wav", Path(tmp) / "coded", Path(tmp) / "out.wav"
            sf.write(src, np.clip(wav, -1, 1), sample_rate, subtype="PCM_16")
            fmt = CONTAINERS[self.encoder]
            extra = ["-strict", "-2"] if self.encoder == "sbc" else []
            self._run([exe, "-v", "error", "-y", "-i", str(src), "-c:a", self.encoder, "-b:a", self.bitrate,
                       *extra, "-f", fmt, str(coded)])
            self._run([exe, "-v", "error", "-y", "-i", str(coded), "-ar", str(sample_rate), "-ac", "1",
                       "-c:a", "pcm_f32le", str(back)])
            decoded, _ = sf.read(back, dtype="float32")
        return align(decoded, wav, self.max_delay)

    def _run(self, cmd) -> None:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise CodecError(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]} "
                             f"(is the encoder '{self.encoder}' in this ffmpeg build? 'ffmpeg -encoders' lists them)")


def align(decoded: np.ndarray, reference: np.ndarray, max_delay: int) -> np.ndarray:
    """``decoded`` shifted by the lag (0..max_delay) that best matches ``reference``, cut to its length."""
    n = len(reference)
    padded = np.concatenate([decoded, np.zeros(max(0, n + max_delay - len(decoded)), dtype=np.float32)])
    spec = np.fft.rfft(padded, 2 * len(padded)) * np.conj(np.fft.rfft(reference, 2 * len(padded)))
    corr = np.fft.irfft(spec)[: max_delay + 1]
    lag = int(np.argmax(corr)) if np.any(reference) else 0
    return padded[lag:lag + n].astype(np.float32)
