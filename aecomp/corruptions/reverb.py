"""Reverberation: speech convolved with a room impulse response from a bank (a data directory of RIRs)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from scipy.signal import fftconvolve

from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError, resolve
from aecomp.data.datadir import DataDir
from aecomp.registry import register

#: an RT60 level selects the responses within this fraction of it
RT60_TOLERANCE = 0.2


class RIRBank:
    """The responses of a RIR data directory (``wav.scp``; ``utt2rt60`` in seconds, else measured on load),
    kept in memory at ``sample_rate``."""

    def __init__(self, data: DataDir, sample_rate: int):
        from aecomp.corpora.rirs import measure_rt60

        if not data.utts:
            raise CorruptionError(f"RIR bank {data.path} has no responses")
        self.path, self.ids = data.path, data.utts
        self.rirs: Dict[str, np.ndarray] = {r: data.audio(r, sample_rate) for r in self.ids}
        given = data.get("utt2rt60") if data.has("utt2rt60") else {}
        self.rt60 = {r: float(given[r]) if r in given else measure_rt60(self.rirs[r], sample_rate) for r in self.ids}

    def select(self, rt60: Union[None, float, Sequence[float]]) -> List[str]:
        """The ids whose RT60 is within :data:`RT60_TOLERANCE` of a level, in ``[low, high]``, or all (None)."""
        if rt60 is None:
            return list(self.ids)
        low, high = ((rt60 * (1 - RT60_TOLERANCE), rt60 * (1 + RT60_TOLERANCE)) if np.isscalar(rt60) else rt60)
        chosen = [r for r in self.ids if low <= self.rt60[r] <= high]
        if not chosen:
            span = sorted(v for v in self.rt60.values() if np.isfinite(v))
            raise CorruptionError(
                f"reverb: no response of {self.path} has an RT60 in {low:.2f}-{high:.2f} s (the bank spans "
                f"{span[0]:.2f}-{span[-1]:.2f} s): choose an rt60 in that span, or add responses to the bank"
                if span else f"reverb: no response of {self.path} has a measurable RT60")
        return chosen


@lru_cache(maxsize=8)
def rir_bank(path: Path, sample_rate: int) -> RIRBank:
    """The :class:`RIRBank` of a RIR data directory (one per path and rate)."""
    return RIRBank(DataDir.load(path), sample_rate)


@register("corruption", "reverb")
class Reverb(Corruption):
    """Reverberation by a room impulse response from ``bank``, at one RT60 level (``rt60: 0.6``: the responses
    within 20 % of it), a range (``rt60: [0.2, 0.9]``, training) or any (no ``rt60``).

    The reverberant signal is aligned with the dry one: the response's peak (the direct path) is moved to
    sample 0 and the output cut to the input's length. ``speech`` is the dry input (the dereverberation
    target); a common gain keeps the peak below 0.99 as noise mixing does. Not additive: ``noise`` is None.
    """

    family = "reverb"

    def __init__(self, rt60: Union[None, float, Sequence[float]] = None, bank: Optional[str] = None, *,
                 sample_rate: int, data_dir: Optional[Path] = None, noise_bank: Optional[Path] = None):
        """``bank``: a RIR data directory (relative to the data folder; the recipes' ``rirs_train``, ``rirs_test``)."""
        if bank is None:
            raise CorruptionError("reverb: no RIR bank: set conf.bank to a data directory of room impulse "
                                  "responses (the recipes write data/rirs_train and data/rirs_test in stage 1)")
        if isinstance(rt60, (list, tuple)):
            if len(rt60) != 2 or not 0 < rt60[0] <= rt60[1]:
                raise CorruptionError(f"reverb: rt60 range must be [low, high] with 0 < low <= high, got {list(rt60)}")
            rt60 = (float(rt60[0]), float(rt60[1]))
        elif rt60 is not None:
            if isinstance(rt60, bool) or not isinstance(rt60, (int, float)) or rt60 <= 0:
                raise CorruptionError(f"reverb: rt60 must be seconds > 0, a range [low, high] or absent, got {rt60!r}")
            rt60 = float(rt60)
        self.rt60, self.path, self.sample_rate = rt60, resolve(bank, data_dir), sample_rate
        self.ids = rir_bank(self.path, sample_rate).select(rt60)  # refuses an empty selection now, not mid-training

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        bank = rir_bank(self.path, sample_rate)
        rir_id = self.ids[int(rng.integers(len(self.ids)))]
        h = bank.rirs[rir_id]
        delay = int(np.argmax(np.abs(h)))
        wet = fftconvolve(speech.astype(np.float64), h)[delay:delay + len(speech)]
        peak = float(np.abs(wet).max()) if wet.size else 0.0
        gain = min(1.0, 0.99 / peak) if peak > 0 else 1.0
        return Corrupted((wet * gain).astype(np.float32), (speech * gain).astype(np.float32), None,
                         {"rir_id": rir_id, "rt60": bank.rt60[rir_id], "gain": gain})

    def describe(self) -> str:
        level = ("any RT60" if self.rt60 is None else f"RT60 {self.rt60[0]:g}-{self.rt60[1]:g} s"
                 if isinstance(self.rt60, tuple) else f"RT60 {self.rt60:g} s")
        return f"reverberation from {self.path} at {level}"
