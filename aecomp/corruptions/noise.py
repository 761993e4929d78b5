"""Additive noise at an exact SNR, from a noise bank (a data directory of noise recordings)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import numpy as np

from aecomp.audio.io import read_audio, resample
from aecomp.audio.mixing import mix_at_snr, noise_segment
from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError, resolve
from aecomp.data.datadir import DataDir
from aecomp.registry import register


class NoiseBank:
    """The recordings of a noise data directory, served as random segments.

    Recordings are read on first use and kept in memory (at ``sample_rate``)
    while the bank is smaller than ``max_cache_mb``; larger banks are read
    segment by segment from disk.
    """

    def __init__(self, data: DataDir, sample_rate: int, max_cache_mb: float = 1024.0):
        self.data, self.sample_rate = data, sample_rate
        self.ids = data.utts
        if not self.ids:
            raise CorruptionError(f"noise bank {data.path} has no recordings")
        seconds = sum(data.durations().values()) if max_cache_mb > 0 else float("inf")
        self.cached = seconds * sample_rate * 4 / 2**20 <= max_cache_mb
        self._cache: Dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def recording(self, noise_id: str) -> np.ndarray:
        """All samples ``[T]`` of one recording."""
        if noise_id not in self._cache:
            wav = self.data.audio(noise_id, self.sample_rate)
            if not self.cached:
                return wav
            self._cache[noise_id] = wav
        return self._cache[noise_id]

    def segment(self, length: int, rng: np.random.Generator) -> tuple:
        """``(noise [length], noise_id)``: a random recording, cropped or looped at a random offset."""
        noise_id = self.ids[int(rng.integers(len(self.ids)))]
        if not self.cached:
            spec, start, end, where = self.data.audio_spec(noise_id)
            if os.path.isfile(spec) and start == 0.0 and end is None:
                return _partial_read(spec, length, self.sample_rate, rng, where), noise_id
        segment, _ = noise_segment(self.recording(noise_id), length, rng)
        return segment, noise_id


def _partial_read(path: str, length: int, sample_rate: int, rng, where: str) -> np.ndarray:
    """A random ``length``-sample segment of a long file, reading only that part."""
    import soundfile as sf

    info = sf.info(path)
    need = int(np.ceil(length * info.samplerate / sample_rate)) + 1
    if info.frames < need:
        wav = read_audio(path, sample_rate, where=where)
        return noise_segment(wav, length, rng)[0]
    offset = int(rng.integers(0, info.frames - need + 1))
    data, rate = sf.read(path, start=offset, frames=need, dtype="float32", always_2d=True)
    return resample(data.mean(axis=1), rate, sample_rate)[:length]


@lru_cache(maxsize=16)
def noise_bank(path: Path, sample_rate: int) -> NoiseBank:
    """The :class:`NoiseBank` of a noise data directory (one per path and rate)."""
    return NoiseBank(DataDir.load(path), sample_rate)


@register("corruption", "noise")
class AdditiveNoise(Corruption):
    """Noise from a bank added at an SNR: one level (``snr: 5``) or a range drawn uniformly (``snr: [-5, 20]``)."""

    family = "noise"
    additive = True

    def __init__(self, snr: Union[float, Sequence[float]], bank: Optional[str] = None, *, sample_rate: int,
                 data_dir: Optional[Path] = None, noise_bank: Optional[Path] = None):
        """``snr`` in dB; ``bank``: a noise data directory (relative to the data folder), default the
        noise given to the program (``aecomp train --noise``)."""
        if isinstance(snr, (list, tuple)):
            if len(snr) != 2 or not snr[0] <= snr[1]:
                raise CorruptionError(f"noise: snr range must be [low, high] with low <= high, got {list(snr)}")
            self.snr = (float(snr[0]), float(snr[1]))
        else:
            self.snr = float(snr)
        path = resolve(bank, data_dir) if bank is not None else noise_bank
        if path is None:
            raise CorruptionError("noise: no noise bank: set conf.bank to a noise data directory "
                                  "(or give the program one, e.g. 'aecomp train --noise data/noise_train')")
        self.path, self.sample_rate = Path(path), sample_rate
        self._bank: Optional[NoiseBank] = None

    @classmethod
    def of_bank(cls, bank: NoiseBank, snr: Union[float, Sequence[float]]) -> "AdditiveNoise":
        """Noise from a bank already open (the dataset's ``noise``), at ``snr``."""
        noise = cls(snr, sample_rate=bank.sample_rate, noise_bank=bank.data.path)
        noise._bank = bank
        return noise

    @property
    def bank(self) -> NoiseBank:
        return self._bank if self._bank is not None else noise_bank(self.path, self.sample_rate)

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        # the order of draws (SNR, then recording and offset, then mixing) is part of the contract:
        # the same seed gives the same training examples and evaluation sets as before corruptions existed
        snr = float(rng.uniform(*self.snr)) if isinstance(self.snr, tuple) else self.snr
        segment, noise_id = self.bank.segment(len(speech), rng)
        mix = mix_at_snr(speech, segment, snr, rng, noise_name=f"{self.path} ({noise_id})")
        return Corrupted(mix.mixture, mix.speech, mix.noise,
                         {"snr_db": snr, "noise_id": noise_id, "gain": mix.gain,
                          "looped": len(self.bank.recording(noise_id)) < len(speech) if self.bank.cached else None})

    def describe(self) -> str:
        level = f"{self.snr[0]:g}..{self.snr[1]:g} dB" if isinstance(self.snr, tuple) else f"{self.snr:g} dB"
        return f"noise from {self.path} at {level}"
