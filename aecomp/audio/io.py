"""Reading and writing audio: files through soundfile, pipes and arks through kaldiio.

Every reader returns float32 mono samples in [-1, 1] at the requested rate.
"""

from __future__ import annotations

from aecomp.errors import AecompError

import os
from fractions import Fraction
from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import soundfile as sf

from aecomp.fs import atomic_output


class AudioError(AecompError, ValueError):
    """An audio file cannot be used; the message names it and says why."""


def read_audio(
    spec: str,
    sample_rate: Optional[int] = None,
    *,
    start: float = 0.0,
    end: Optional[float] = None,
    where: str = "",
) -> np.ndarray:
    """Samples ``[T]`` (float32, mono) of a ``wav.scp`` value.

    ``spec`` is a file path (wav, flac, ... anything libsndfile reads), a
    command ending in ``|`` whose standard output is a wav file, or a Kaldi
    ``ark:offset`` entry. Multi-channel audio is averaged to mono. With
    ``sample_rate`` set, audio at another rate is resampled. ``start``/``end``
    (seconds) cut a segment, as Kaldi's ``segments`` file does. ``where`` (for
    example ``data/train/wav.scp:12``) is put in front of error messages.
    """
    wav, rate = read_audio_native(spec, where=where)
    if start or end is not None:
        a = int(round(start * rate))
        b = len(wav) if end is None or end < 0 else int(round(end * rate))
        if a >= len(wav) or b <= a:
            raise AudioError(
                f"{_at(where)}segment {start:.3f}-{end} s is outside the {len(wav) / rate:.3f} s of {spec}"
            )
        wav = wav[a:b]
    if sample_rate is not None and rate != sample_rate:
        wav = resample(wav, rate, sample_rate)
    return wav


def read_audio_native(spec: str, where: str = "") -> Tuple[np.ndarray, int]:
    """``(samples [T] float32 mono, native sample rate)`` of a ``wav.scp`` value."""
    spec = spec.strip()
    try:
        if spec.endswith("|") or _is_ark(spec):
            import kaldiio

            loaded = kaldiio.load_mat(spec)
            if not (isinstance(loaded, tuple) and len(loaded) == 2):
                raise AudioError(f"{_at(where)}{spec} holds a matrix, not audio")
            rate, data = loaded
            data = np.asarray(data)
            if np.issubdtype(data.dtype, np.integer):
                data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
        else:
            if not os.path.isfile(spec):
                raise AudioError(f"{_at(where)}audio file {spec} does not exist")
            data, rate = sf.read(spec, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except Exception as exc:  # soundfile / kaldiio raise many types for a broken file
        raise AudioError(f"{_at(where)}cannot read audio {spec}: {exc}") from None
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    return np.ascontiguousarray(data), int(rate)


def audio_info(spec: str) -> Tuple[int, int, int]:
    """``(frames, sample_rate, channels)`` of a file without reading its samples."""
    info = sf.info(spec)
    return info.frames, info.samplerate, info.channels


def announced_frames(path: str) -> Optional[int]:
    """Samples per channel that the header of a WAV or FLAC file announces.

    WAV: the ``data`` chunk's size over the block size (``fmt `` chunk); FLAC:
    the total samples of ``STREAMINFO``. ``None`` for other formats, for
    headers that leave the length open (streamed WAV, FLAC total 0) and for
    headers too damaged to parse (reading the file reports those).
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            block = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if cid == b"fmt ":
                    fmt = f.read(size + size % 2)
                    block = int.from_bytes(fmt[12:14], "little") if len(fmt) >= 14 else None
                elif cid == b"data":
                    return size // block if block and size not in (0, 0xFFFFFFFF) else None
                else:
                    f.seek(size + size % 2, os.SEEK_CUR)
        if head[:4] == b"fLaC" and (head[4] & 0x7F) == 0:  # first metadata block is STREAMINFO
            info = head[8:12] + f.read(34)
            if len(info) < 18:
                return None
            total = int.from_bytes(info[13:18], "big") & 0xFFFFFFFFF  # low 36 bits
            return total or None
    return None


def decodable_frames(path: str, chunk: int = 256) -> int:
    """Samples per channel that decode from the start of ``path`` before the end or a decoder error."""
    frames = 0
    try:
        with sf.SoundFile(path) as f:
            while True:
                n = len(f.read(chunk, dtype="float32"))
                if n == 0:
                    return frames
                frames += n
    except Exception:  # soundfile raises many types for a broken file
        return frames


def resample(wav: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    """Polyphase resampling of ``wav [T]`` from ``orig_rate`` to ``new_rate``."""
    if orig_rate == new_rate:
        return wav
    from scipy.signal import resample_poly

    ratio = Fraction(new_rate, orig_rate)
    out = resample_poly(wav.astype(np.float64), ratio.numerator, ratio.denominator)
    return out.astype(np.float32)


def write_audio(path: str | Path, wav: np.ndarray, sample_rate: int, subtype: Optional[str] = None) -> None:
    """Write ``wav [T]`` atomically (temporary file, then rename); format from the suffix.

    Float samples beyond [-1, 1] are refused rather than silently clipped.
    """
    path = Path(path)
    wav = np.asarray(wav)
    if wav.size and np.abs(wav).max() > 1.0 and (subtype or "PCM_16").startswith("PCM"):
        raise AudioError(f"refusing to write {path}: samples exceed [-1, 1] and would clip")
    with atomic_output(path) as tmp:
        sf.write(tmp, wav, sample_rate, subtype=subtype or "PCM_16")


def _is_ark(spec: str) -> bool:
    head, sep, tail = spec.rpartition(":")
    return bool(sep) and tail.isdigit() and head.endswith(".ark")


def _at(where: str) -> str:
    return f"{where}: " if where else ""
