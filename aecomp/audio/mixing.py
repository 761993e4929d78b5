"""Mixing speech and noise at an exact signal-to-noise ratio.

SNR is measured over the whole utterance: ``10 log10(sum(s^2) / sum(n^2))``
where ``n`` is the noise segment as added. Noise shorter than the speech is
looped from a random offset; longer noise is cropped at a random offset. All
randomness comes from the ``numpy.random.Generator`` passed in, so a seed
fixes the result.
"""

from __future__ import annotations

from aecomp.errors import AecompError

from dataclasses import dataclass

import numpy as np


class MixingError(AecompError, ValueError):
    """Speech or noise cannot be mixed (for example, it is silent); the message names it."""


@dataclass
class Mixture:
    """Result of :func:`mix_at_snr`; all arrays ``[T]`` float32.

    ``mixture == speech + noise`` holds exactly (up to float rounding):
    ``speech`` and ``noise`` are the components after the common gain that
    keeps the mixture within [-1, 1].
    """

    mixture: np.ndarray
    speech: np.ndarray
    noise: np.ndarray
    snr_db: float
    noise_offset: int
    gain: float


def energy(x: np.ndarray) -> float:
    """Sum of squares in float64."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.dot(x, x))


def measured_snr(speech: np.ndarray, noise: np.ndarray) -> float:
    """SNR in dB of ``speech`` against ``noise`` (both ``[T]``)."""
    return 10.0 * np.log10(energy(speech) / energy(noise))


def noise_segment(noise: np.ndarray, length: int, rng: np.random.Generator) -> tuple:
    """``(segment [length], offset)``: ``noise`` cropped or looped from a random offset."""
    if len(noise) == 0:
        raise MixingError("noise recording is empty")
    if len(noise) >= length:
        offset = int(rng.integers(0, len(noise) - length + 1))
        return noise[offset:offset + length], offset
    offset = int(rng.integers(0, len(noise)))
    reps = -(-(offset + length) // len(noise))
    return np.tile(noise, reps)[offset:offset + length], offset


def mix_at_snr(
    speech: np.ndarray,
    noise: np.ndarray,
    snr_db: float,
    rng: np.random.Generator,
    *,
    speech_name: str = "speech",
    noise_name: str = "noise",
    peak: float = 0.99,
) -> Mixture:
    """Add ``noise`` to ``speech [T]`` so that the SNR is ``snr_db`` exactly.

    If the mixture would exceed ``peak``, speech and noise are scaled down by
    the same gain (the SNR is unchanged). Silent speech or noise raises
    :class:`MixingError` naming ``speech_name`` / ``noise_name``.
    """
    speech = np.asarray(speech, dtype=np.float64)
    if not np.all(np.isfinite(speech)):
        raise MixingError(f"{speech_name}: speech contains NaN or Inf samples")
    e_speech = energy(speech)
    if e_speech <= 0.0:
        raise MixingError(f"{speech_name}: speech has zero energy (all samples are 0); cannot set an SNR")
    segment, offset = noise_segment(np.asarray(noise, dtype=np.float64), len(speech), rng)
    e_noise = energy(segment)
    if e_noise <= 0.0 or not np.isfinite(e_noise):
        raise MixingError(
            f"{noise_name}: the noise segment at offset {offset} has zero or non-finite energy; "
            "remove silent noise recordings from the noise list"
        )
    scale = np.sqrt(e_speech / (e_noise * 10.0 ** (snr_db / 10.0)))
    noise_scaled = segment * scale
    mixture = speech + noise_scaled
    top = float(np.abs(mixture).max())
    gain = peak / top if top > peak else 1.0
    return Mixture(
        mixture=(mixture * gain).astype(np.float32),
        speech=(speech * gain).astype(np.float32),
        noise=(noise_scaled * gain).astype(np.float32),
        snr_db=float(snr_db),
        noise_offset=offset,
        gain=gain,
    )
