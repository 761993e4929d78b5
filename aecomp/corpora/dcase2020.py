"""DCASE2020 Task 1A (TAU Urban Acoustic Scenes 2020 Mobile, development), read in its official layout.

The official fold 1 split: ``evaluation_setup/fold1_train.csv`` is training,
``fold1_evaluate.csv`` the test set. A dev set is carved from training by recording
location (``identifier`` of ``meta.csv``, e.g. ``barcelona-0``): a share of each scene's
locations goes to dev whole, so no location is in both. Utterance ids are the file
names without ``audio/`` and ``.wav``; ``utt2spk`` is the location (as a speaker would be);
``text`` the scene label.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.data.datadir import write_datadir
from aecomp.registry import register

log = logging.getLogger(__name__)

SCENES = ("airport", "bus", "metro", "metro_station", "park", "public_square", "shopping_mall",
          "street_pedestrian", "street_traffic", "tram")
META_HEADER = ("filename", "scene_label", "identifier", "source_label")
SPLIT_HEADER = ("filename", "scene_label")

LAYOUT = """
TAU-urban-acoustic-scenes-2020-mobile-development/
  meta.csv                         tab-separated: filename scene_label identifier source_label
                                   (filename with the audio/ prefix, identifier = city-location)
  evaluation_setup/fold1_train.csv tab-separated: filename scene_label
  evaluation_setup/fold1_evaluate.csv
  audio/<scene>-<city>-<location>-<segment>-<device>.wav   10 s, 44.1 kHz, mono
"""


@register("corpus", "dcase2020")
class DCASE2020(Corpus):
    """TAU Urban Acoustic Scenes 2020 Mobile (development): fold ``fold`` train / evaluate, dev by location."""

    env_var = "DCASE2020"
    layout = LAYOUT

    def __init__(self, fold: int = 1, dev_fraction: float = 0.1, seed: int = 0):
        """``dev_fraction``: share of each scene's training locations moved to dev (at least one location
        where the scene has two or more); ``seed``: which locations."""
        if not 0 <= dev_fraction < 1:
            raise ValueError(f"dcase2020 dev_fraction must be in [0, 1), got {dev_fraction!r}")
        self.fold, self.dev_fraction, self.seed = int(fold), float(dev_fraction), int(seed)

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
        setup = f"evaluation_setup/fold{self.fold}"
        self.require(corpus_dir, ["meta.csv", f"{setup}_train.csv", f"{setup}_evaluate.csv", "audio"])
        meta = read_meta(corpus_dir / "meta.csv")
        train = read_split(corpus_dir / f"{setup}_train.csv", meta, corpus_dir)
        test = read_split(corpus_dir / f"{setup}_evaluate.csv", meta, corpus_dir)
        both = set(train) & set(test)
        if both:
            raise CorpusLayoutError(f"{len(both)} file(s) are in both {setup}_train.csv and {setup}_evaluate.csv, "
                                    f"e.g. {sorted(both)[0]}")
        dev_locations = self.dev_locations(train, meta)
        splits = {"train": [f for f in train if meta[f][1] not in dev_locations],
                  "dev": [f for f in train if meta[f][1] in dev_locations], "test": test}
        out = {}
        for name, files in splits.items():
            tables = self._tables(corpus_dir, files, meta)
            out[name] = write_datadir(out_dir / name, tables)
            scenes = Counter(tables["text"].values())
            log.info("dcase2020 %s: %d clips, %d scenes, %d locations, devices %s -> %s", name, len(files),
                     len(scenes), len(set(tables["utt2spk"].values())),
                     " ".join(f"{d}:{n}" for d, n in sorted(Counter(meta[f][2] for f in files).items())), out[name])
        return out

    def dev_locations(self, train: List[str], meta: Dict[str, Tuple[str, str, str]]) -> set:
        """The training locations that go to dev: per scene, ``dev_fraction`` of them (rounded up)."""
        by_scene: Dict[str, List[str]] = {}
        for f in train:
            scene, location, _ = meta[f]
            by_scene.setdefault(scene, [])
            if location not in by_scene[scene]:
                by_scene[scene].append(location)
        rng = np.random.default_rng(self.seed)
        chosen = set()
        for scene in sorted(by_scene):
            locations = sorted(by_scene[scene])
            n = 0 if self.dev_fraction == 0 or len(locations) < 2 else \
                min(len(locations) - 1, max(1, math.ceil(self.dev_fraction * len(locations))))
            chosen |= {locations[i] for i in rng.permutation(len(locations))[:n]}
        return chosen

    @staticmethod
    def _tables(corpus_dir: Path, files: List[str], meta) -> Dict[str, dict]:
        from aecomp.data.datadir import compute_durations

        wav, text, utt2spk = {}, {}, {}
        for f in files:
            utt = Path(f).stem
            wav[utt], text[utt], utt2spk[utt] = str(corpus_dir / f), meta[f][0], meta[f][1]
        return {"wav.scp": wav, "text": text, "utt2spk": utt2spk, "utt2dur": compute_durations(wav)}


def _rows(path: Path, header: Tuple[str, ...]):
    """``(line number, fields)`` of a tab-separated file whose first line must be ``header``."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or tuple(lines[0].split("\t")) != header:
        got = lines[0] if lines else "(empty file)"
        raise CorpusLayoutError(f"{path}:1: header must be '{chr(9).join(header)}' (tab-separated), got {got!r}. "
                                f"Layout:{LAYOUT}")
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            raise CorpusLayoutError(f"{path}:{lineno}: expected {len(header)} tab-separated fields "
                                    f"({', '.join(header)}), got {len(fields)}: {line!r}")
        yield lineno, fields


def _check_scene(path: Path, lineno: int, scene: str) -> None:
    if scene not in SCENES:
        raise CorpusLayoutError(f"{path}:{lineno}: unknown scene '{scene}'; the 10 scenes are {', '.join(SCENES)}")


def read_meta(path: Path) -> Dict[str, Tuple[str, str, str]]:
    """``meta.csv``: filename (``audio/...``) -> (scene, location identifier, device)."""
    out: Dict[str, Tuple[str, str, str]] = {}
    for lineno, (filename, scene, identifier, device) in _rows(path, META_HEADER):
        _check_scene(path, lineno, scene)
        if filename in out:
            raise CorpusLayoutError(f"{path}:{lineno}: '{filename}' is listed twice")
        out[filename] = (scene, identifier, device)
    return out


def read_split(path: Path, meta: Dict[str, Tuple[str, str, str]], corpus_dir: Path) -> List[str]:
    """The files of a fold list, each checked: known scene, in ``meta.csv`` with the same scene, on disk."""
    out, missing = [], []
    for lineno, (filename, scene) in _rows(path, SPLIT_HEADER):
        _check_scene(path, lineno, scene)
        if filename not in meta:
            raise CorpusLayoutError(f"{path}:{lineno}: '{filename}' is not in meta.csv")
        if meta[filename][0] != scene:
            raise CorpusLayoutError(f"{path}:{lineno}: '{filename}' is '{scene}' here but '{meta[filename][0]}' "
                                    "in meta.csv")
        if not (corpus_dir / filename).is_file():
            missing.append(f"{path}:{lineno}: {filename}")
        out.append(filename)
    if missing:
        raise CorpusLayoutError(f"{len(missing)} file(s) named in {path.name} do not exist, e.g.\n  "
                                + "\n  ".join(missing[:5]) + "\nThe corpus is incomplete: extract its audio "
                                "archives (TAU-urban-acoustic-scenes-2020-mobile-development.audio.*.zip) again.")
    return out
