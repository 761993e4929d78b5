"""Noise banks: lists of noise recordings split into train, seen-test and unseen-test sets.

A noise bank is written as three data directories under ``out_dir``:

- ``noise_train``: recordings used for on-the-fly corruption in training;
- ``noise_test_seen``: other recordings of categories present in training;
- ``noise_test_unseen``: recordings of categories never seen in training.

Each has ``wav.scp`` and ``utt2category`` (the noise type). Train and test
never share a recording: :func:`write_noise_bank` refuses a path in both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List

from aecomp.data.datadir import write_datadir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoiseRecording:
    """One noise file: a unique id, its path, and its category (noise type)."""

    id: str
    path: str
    category: str


def write_noise_bank(train: Iterable[NoiseRecording], test: Iterable[NoiseRecording], out_dir: Path) -> Dict[str, Path]:
    """Write ``noise_train``, ``noise_test_seen`` and ``noise_test_unseen`` under ``out_dir``.

    Test recordings whose category occurs in ``train`` are *seen*, the others
    *unseen*. Returns set name -> directory (an empty set is not written and
    is logged).
    """
    train, test = sorted(train, key=lambda r: r.id), sorted(test, key=lambda r: r.id)
    shared = {r.path for r in train} & {r.path for r in test}
    if shared:
        raise ValueError(f"noise recordings in both train and test: {sorted(shared)[:3]}")
    if not train:
        raise ValueError("the noise bank has no training recordings")
    seen_categories = {r.category for r in train}
    sets = {
        "noise_train": train,
        "noise_test_seen": [r for r in test if r.category in seen_categories],
        "noise_test_unseen": [r for r in test if r.category not in seen_categories],
    }
    out = {}
    for name, recs in sets.items():
        if not recs:
            log.warning("noise bank: no recordings for %s; results for it will be missing", name)
            continue
        ids = [r.id for r in recs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: duplicate noise ids")
        out[name] = write_datadir(out_dir / name, {
            "wav.scp": {r.id: r.path for r in recs},
            "utt2category": {r.id: r.category for r in recs},
        })
        cats = sorted({r.category for r in recs})
        log.info("noise bank: %s has %d recordings of %d types (%s) -> %s",
                 name, len(recs), len(cats), ", ".join(cats), out[name])
    return out


def categories(recs: List[NoiseRecording]) -> List[str]:
    return sorted({r.category for r in recs})
