"""Noise banks: lists of noise recordings split into train, seen-test and unseen-test sets.

A noise bank is written as three data directories under ``out_dir``:

- ``noise_train``: recordings used for on-the-fly corruption in training;
- ``noise_test_seen``: other recordings of categories present in training;
- ``noise_test_unseen``: recordings of categories never seen in training.

Each has ``wav.scp`` and ``utt2category`` (the noise type). Train and test
never share a recording: :func:`write_noise_bank` refuses a path in both.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.data.datadir import write_datadir
from aecomp.registry import register

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


# -- real noise corpora ---------------------------------------------------------------
#: Speech Commands' background recordings -> noise type. Each type but "animal" has a
#: recording in training and, where there are two, another one in test ("seen").
SPEECH_COMMANDS_BACKGROUND = {
    "white_noise": ("stationary", "train"), "pink_noise": ("stationary", "test"),
    "doing_the_dishes": ("household", "train"), "running_tap": ("household", "test"),
    "exercise_bike": ("machine", "train"), "dude_miaowing": ("animal", "test"),
}
#: ESC-50 target ranges (tens) -> major category
ESC50_GROUPS = {0: "animals", 1: "natural", 2: "human", 3: "domestic", 4: "urban"}

MUSAN_LAYOUT = "musan/noise/{free-sound,sound-bible}/*.wav (16 kHz), with ANNOTATIONS and LICENSE files"
ESC50_LAYOUT = "ESC-50-master/audio/<fold>-<clip>-<take>-<target>.wav and meta/esc50.csv"


@register("corpus", "noise")
class NoiseCorpus(Corpus):
    """Noise bank from Speech Commands' background noise, MUSAN noise and ESC-50 (train, seen, unseen)."""

    layout = f"  speech_commands_v0.02/_background_noise_/*.wav\n  {MUSAN_LAYOUT}\n  {ESC50_LAYOUT}"

    def __init__(self, speech_commands: Optional[str] = None, musan: Optional[str] = None,
                 esc50: Optional[str] = None, esc50_unseen_groups: Sequence[str] = ("urban",),
                 musan_test_fraction: float = 0.2, seed: int = 0):
        """Sources are roots of the corpora (None: not used). Splits, none sharing a recording:

        - Speech Commands ``_background_noise_``: see :data:`SPEECH_COMMANDS_BACKGROUND`;
        - MUSAN ``noise/``: type ``musan-<source>``; ``musan_test_fraction`` of the recordings,
          chosen by a seeded shuffle, go to test (seen);
        - ESC-50: the 50 classes are types; folds 1-4 train, fold 5 test; classes of the major
          groups ``esc50_unseen_groups`` (of animals, natural, human, domestic, urban) are kept out
          of training entirely (unseen).
        """
        unknown = set(esc50_unseen_groups) - set(ESC50_GROUPS.values())
        if unknown:
            raise ValueError(f"esc50_unseen_groups: unknown group(s) {sorted(unknown)}; "
                             f"groups are {', '.join(ESC50_GROUPS.values())}")
        self.roots = {"speech_commands": speech_commands, "musan": musan, "esc50": esc50}
        self.esc50_unseen_groups = set(esc50_unseen_groups)
        self.musan_test_fraction, self.seed = musan_test_fraction, seed

    def prepare(self, corpus_dir, out_dir: Path) -> Dict[str, Path]:
        train: List[NoiseRecording] = []
        test: List[NoiseRecording] = []
        if not any(self.roots.values()):
            raise CorpusLayoutError("no noise source given: set at least one of speech_commands, musan, esc50")
        for name, root in self.roots.items():
            if root:
                tr, te = getattr(self, f"_{name}")(Path(root))
                log.info("noise source %s: %d train and %d test recordings", name, len(tr), len(te))
                train += tr
                test += te
        return write_noise_bank(train, test, Path(out_dir))

    def _speech_commands(self, root: Path):
        folder = root / "_background_noise_"
        if not folder.is_dir():
            raise CorpusLayoutError(f"{folder} does not exist; expected speech_commands_v0.02/_background_noise_/")
        train, test = [], []
        for p in sorted(folder.glob("*.wav")):
            category, split = SPEECH_COMMANDS_BACKGROUND.get(p.stem, (p.stem, "train"))
            (train if split == "train" else test).append(NoiseRecording(f"sc-{p.stem}", str(p), category))
        return train, test

    def _musan(self, root: Path):
        files = sorted((root / "noise").glob("*/*.wav"))
        if not files:
            raise CorpusLayoutError(f"no noise recordings under {root / 'noise'}; expected {MUSAN_LAYOUT}")
        order = np.random.default_rng(self.seed).permutation(len(files))
        n_test = int(round(len(files) * self.musan_test_fraction))
        test_idx = set(order[:n_test].tolist())
        recs = [NoiseRecording(f"musan-{p.stem}", str(p), f"musan-{p.parent.name}") for p in files]
        return [r for i, r in enumerate(recs) if i not in test_idx], [r for i, r in enumerate(recs) if i in test_idx]

    def _esc50(self, root: Path):
        meta = root / "meta" / "esc50.csv"
        if not meta.is_file():
            raise CorpusLayoutError(f"{meta} does not exist; expected {ESC50_LAYOUT}")
        train, test = [], []
        with open(meta, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            need = {"filename", "fold", "target", "category"}
            if not need <= set(reader.fieldnames or []):
                raise CorpusLayoutError(f"{meta}: header must have {sorted(need)}, got {reader.fieldnames}")
            for lineno, row in enumerate(reader, start=2):
                path = root / "audio" / row["filename"]
                if not path.is_file():
                    raise CorpusLayoutError(f"{meta}:{lineno}: {path} does not exist")
                group = ESC50_GROUPS[int(row["target"]) // 10]
                rec = NoiseRecording(f"esc50-{Path(row['filename']).stem}", str(path), f"esc50-{row['category']}")
                if group in self.esc50_unseen_groups:
                    if row["fold"] == "5":
                        test.append(rec)
                elif row["fold"] == "5":
                    test.append(rec)
                else:
                    train.append(rec)
        return train, test
