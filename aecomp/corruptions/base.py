"""The corruption contract, and building corruptions from a config.

A corruption maps clean speech ``[T]`` to what a listener gets, with the
references a loss or metric needs::

    corrupted = corruption(speech, sample_rate, rng)
    corrupted.audio   [T] float32   the corrupted signal (the model's input)
    corrupted.speech  [T] float32   the clean reference as it sits in ``audio`` (a common gain
                                    that avoided clipping applied; otherwise the input)
    corrupted.noise   [T] or None   the additive noise exactly as added (``audio == speech + noise``
                                    for purely additive corruptions); None when nothing was added
    corrupted.info    dict          what was drawn: ``snr_db``, ``noise_id``, ``gain``, ...

All randomness comes from ``rng`` (a ``numpy.random.Generator``), so the same
seed gives the same audio. A corruption's *level* (the SNR of ``noise``, the
bitrate of ``codec``) is a constructor argument; the evaluation grid sets it per
set, training configs give a range where the corruption draws one (``snr: [-5, 20]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np

from aecomp import registry
from aecomp.errors import AecompError


class CorruptionError(AecompError, ValueError):
    """A corruption cannot be built or applied; the message names the config place or the audio."""


@dataclass
class Corrupted:
    """What :meth:`Corruption.__call__` returns; see the module docstring."""

    audio: np.ndarray
    speech: np.ndarray
    noise: Optional[np.ndarray] = None
    info: Dict[str, Any] = field(default_factory=dict)


class Corruption:
    """A corruption, registered under kind ``corruption``.

    Constructor arguments are the YAML ``conf``; aecomp injects ``sample_rate``
    and ``data_dir`` (the folder that relative paths in the conf, e.g. a noise
    data directory, resolve against) and ``noise_bank`` (the default noise
    data directory, e.g. ``aecomp train --noise``, or None) where the
    constructor takes them.
    """

    #: the family of conditions it makes ("noise", "codec", ...): the report groups results by it
    family: str = "other"
    #: True when ``audio == speech + noise`` (noise returned); False when the signal itself is altered
    additive: bool = False

    def __call__(self, speech: np.ndarray, sample_rate: int, rng: np.random.Generator) -> Corrupted:
        raise NotImplementedError  # pragma: no cover - abstract

    def describe(self) -> str:
        """A short human description (``seen noise at 5 dB``), for logs and reports."""
        return type(self).__name__


def build_corruption(spec: Any, *, sample_rate: int, where: str = "corruption",
                     data_dir: Optional[str | Path] = None,
                     noise_bank: Optional[str | Path] = None) -> Corruption:
    """The corruption that ``spec`` (``{name: ..., conf: {...}}``) describes, with the injected arguments
    described in :class:`Corruption`."""
    return registry.build("corruption", spec, where=where, sample_rate=sample_rate,
                          data_dir=None if data_dir is None else Path(data_dir),
                          noise_bank=None if noise_bank is None else Path(noise_bank))


def resolve(path: str | Path, data_dir: Optional[Path]) -> Path:
    """``path``, relative to ``data_dir`` when it is relative and ``data_dir`` is given."""
    path = Path(path)
    return path if path.is_absolute() or data_dir is None else Path(data_dir) / path
