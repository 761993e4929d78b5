"""Additive noise at an exact SNR, from a noise bank (a data directory of noise recordings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from aecomp.audio.mixing import mix_at_snr
from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError, resolve
from aecomp.registry import register


@lru_cache(maxsize=16)
def noise_bank(path: Path, sample_rate: int):
    """The :class:`~aecomp.data.dataset.NoiseBank` of a noise data directory (one per path and rate)."""
    from aecomp.data.datadir import DataDir
    from aecomp.data.dataset import NoiseBank

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

    @property
    def bank(self):
        return noise_bank(self.path, self.sample_rate)

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
