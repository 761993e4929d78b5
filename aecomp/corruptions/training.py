"""Corruptions of training examples: per example, clean or one corruption of a list, drawn with probabilities.

A training config lists them (``data.corruptions``)::

    corruptions:
      - {name: noise, conf: {snr: [-5, 20]}, p: 0.6}
      - {name: codec, conf: {codec: opus, bitrate: 16}, p: 0.3}    # 1 - 0.9: a tenth stays clean
      - {name: codec, conf: {codec: he-aac, bitrate: 16}, p: 0.1, optional: true}

An ``optional`` codec whose encoder is not installed here (HE-AAC without libfdk_aac) is left out
with a warning, and its ``p`` is shared among the other corruptions in proportion to theirs (the
clean share stays as written); with the encoder installed the same config uses it.

With an empty list, ``--noise`` at ``data.snr_range`` with ``data.p_clean`` clean is the
shorthand (:meth:`TrainingCorruptions.shorthand`), drawing exactly as the dataset did before
corruptions existed: the same seed gives the same examples.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError, build_corruption
from aecomp.corruptions.noise import AdditiveNoise, NoiseBank

log = logging.getLogger(__name__)


class TrainingCorruptions:
    """``choices``: ``(corruption, p)`` pairs; an example stays clean with probability ``p_clean``.

    One uniform draw from the example's rng picks: below ``p_clean`` clean, then each corruption in
    list order over its ``p``; the chosen corruption then draws from the same rng.
    """

    def __init__(self, choices: Sequence[Tuple[Corruption, float]], p_clean: float):
        self.choices, self.p_clean = list(choices), float(p_clean)

    @classmethod
    def shorthand(cls, bank: NoiseBank, snr_range: Sequence[float], p_clean: float) -> "TrainingCorruptions":
        """Noise from ``bank`` at an SNR drawn from ``snr_range``, clean with ``p_clean``."""
        return cls([(AdditiveNoise.of_bank(bank, list(snr_range)), 1.0 - p_clean)], p_clean)

    @classmethod
    def from_config(cls, entries: List[Dict[str, Any]], *, sample_rate: int, noise_bank: Optional[str | Path] = None,
                    where: str = "data.corruptions") -> "TrainingCorruptions":
        """The corruptions of ``data.corruptions`` (checked by :func:`check_entries`); ``noise_bank`` is the
        default noise directory (``aecomp train --noise``)."""
        from aecomp.corruptions.codec import CodecUnavailable

        check_entries(entries, where)
        choices, left_out = [], []
        for i, e in enumerate(entries):
            try:
                choices.append((build_corruption({"name": e["name"], "conf": e.get("conf") or {}},
                                                 sample_rate=sample_rate, where=f"{where}[{i}]",
                                                 noise_bank=noise_bank), float(e["p"])))
            except CodecUnavailable as exc:
                if not e.get("optional"):
                    raise
                left_out.append((str(exc), float(e["p"])))
        p_clean = 1.0 - sum(float(e["p"]) for e in entries)
        if left_out:
            if not choices:
                raise CorruptionError(f"{where}: every corruption is unavailable here: "
                                      + "; ".join(m for m, _ in left_out))
            kept = sum(p for _, p in choices)
            scale = (kept + sum(p for _, p in left_out)) / kept if kept else 1.0
            choices = [(c, p * scale) for c, p in choices]
            for message, p in left_out:
                log.warning("%s: optional corruption left out (%s); its p=%g goes to the others", where, message, p)
        return cls(choices, p_clean)

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Optional[Corrupted]:
        """``speech [T]`` corrupted, or None when the draw keeps it clean."""
        u = rng.random()
        if u < self.p_clean:
            return None
        edge = self.p_clean
        for corruption, p in self.choices:
            edge += p
            if u < edge:
                return corruption(speech, sample_rate, rng)
        return self.choices[-1][0](speech, sample_rate, rng)  # u in the rounding gap below 1

    def describe(self) -> str:
        return ", ".join(f"{c.describe()} (p={p:g})" for c, p in self.choices) + f", clean (p={self.p_clean:g})"


def check_entries(entries: Any, where: str = "data.corruptions") -> None:
    """Refuse a ``data.corruptions`` value that is not a list of ``{name, conf, p}`` with ``sum(p) <= 1``."""
    if not isinstance(entries, list):
        raise CorruptionError(f"{where}: expected a list of {{name, conf, p}}, got {entries!r}")
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "name" not in e or "p" not in e or set(e) - {"name", "conf", "p", "optional"}:
            raise CorruptionError(f"{where}[{i}]: expected {{name: ..., conf: {{...}}, p: ..., optional: ...}}, "
                                  f"got {e!r}")
        if isinstance(e["p"], bool) or not isinstance(e["p"], (int, float)) or not 0 <= e["p"] <= 1:
            raise CorruptionError(f"{where}[{i}] ({e['name']}): p must be a probability in [0, 1], got {e['p']!r}")
    total = sum(e["p"] for e in entries)
    if total > 1 + 1e-9:
        raise CorruptionError(f"{where}: the probabilities add up to {total:g} > 1; 1 - sum(p) is the clean share")
