"""Several corruptions in order: a noisy recording streamed through a codec, say."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import numpy as np

from aecomp.corruptions.base import Corrupted, Corruption, CorruptionError, build_corruption
from aecomp.registry import register


@register("corruption", "chain")
class Chain(Corruption):
    """``steps`` applied in order, each to the previous one's output.

    ``speech`` is the input with every step's common gain applied; ``noise`` is
    the sum of the added noises while every step is additive, and None once a
    step alters the signal itself (a codec): the corruption is then no longer a sum.
    ``info`` has every step's entries prefixed by its number (``1.snr_db``), the product of the
    gains as ``gain`` and the last SNR drawn as ``snr_db``.
    """

    family = "chain"

    def __init__(self, steps: List[Any], *, sample_rate: int, data_dir: Optional[Path] = None,
                 noise_bank: Optional[Path] = None):
        if not isinstance(steps, list) or not steps:
            raise CorruptionError(f"chain: steps must be a non-empty list of corruptions, got {steps!r}")
        self.steps = [build_corruption(s, sample_rate=sample_rate, where=f"chain step {i + 1}", data_dir=data_dir,
                                       noise_bank=noise_bank) for i, s in enumerate(steps)]
        self.additive = all(s.additive for s in self.steps)

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        audio, ref, noise, info = speech, speech, None, {}
        for i, step in enumerate(self.steps):
            out = step(audio, sample_rate, rng)
            gain = float(out.info.get("gain", 1.0))
            ref = (ref * gain).astype(np.float32)
            if step.additive:
                noise = out.noise if noise is None else (noise * gain + out.noise).astype(np.float32)
            audio = out.audio
            info.update({f"{i + 1}.{k}": v for k, v in out.info.items()})
            if "snr_db" in out.info:
                info["snr_db"] = out.info["snr_db"]
        info["gain"] = float(np.prod([v for k, v in info.items() if k.endswith(".gain")]))
        return Corrupted(audio, ref, noise if self.additive else None, info)

    def describe(self) -> str:
        return " -> ".join(s.describe() for s in self.steps)
