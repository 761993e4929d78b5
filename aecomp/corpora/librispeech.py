"""LibriSpeech (read English speech recognition), read in its official layout."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.data.datadir import compute_durations, write_datadir
from aecomp.registry import register

log = logging.getLogger(__name__)

SUBSETS = ("train-clean-100", "train-clean-360", "train-other-500", "dev-clean", "dev-other",
           "test-clean", "test-other")
LAYOUT = """
LibriSpeech/
  <subset>/<speaker>/<chapter>/<speaker>-<chapter>-<utt>.flac    16 kHz
  <subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt     "<utt-id> WORDS IN UPPER CASE" per line
  SPEAKERS.TXT, CHAPTERS.TXT
subsets: train-clean-100, train-clean-360, train-other-500, dev-clean, dev-other, test-clean, test-other
"""


@register("corpus", "librispeech")
class LibriSpeech(Corpus):
    """LibriSpeech: chosen subsets as train, dev and test, transcripts in text."""

    env_var = "LIBRISPEECH"
    layout = LAYOUT

    def __init__(self, train: Sequence[str] = ("train-clean-100",), dev: Sequence[str] = ("dev-clean",),
                 test: Sequence[str] = ("test-clean",)):
        """Each split is one or more subsets (merged); names as on disk (``train-clean-100``) or as
        ESPnet writes them (``train_clean_100``)."""
        self.splits = {"train": _names(train), "dev": _names(dev), "test": _names(test)}

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        root = Path(corpus_dir)
        if (root / "LibriSpeech").is_dir():
            root = root / "LibriSpeech"
        self.require(root, sorted({s for subsets in self.splits.values() for s in subsets}))
        out = {}
        for split, subsets in self.splits.items():
            utts: Dict[str, Tuple[str, str]] = {}
            for subset in subsets:
                utts.update(read_subset(root / subset))
            wav = {u: path for u, (path, _) in utts.items()}
            tables = {
                "wav.scp": wav,
                "text": {u: words for u, (_, words) in utts.items()},
                "utt2spk": {u: u.split("-")[0] for u in utts},
                "utt2dur": {u: f"{d:.4f}" for u, d in compute_durations(wav).items()},
            }
            out[split] = write_datadir(Path(out_dir) / split, tables)
            log.info("librispeech %s (%s): %d utterances, %d speakers -> %s", split, ", ".join(subsets),
                     len(utts), len(set(tables["utt2spk"].values())), out[split])
        return out


def read_subset(folder: Path) -> Dict[str, Tuple[str, str]]:
    """utterance id -> (flac path, transcript) of one subset; every file and transcript checked."""
    utts: Dict[str, Tuple[str, str]] = {}
    problems: List[str] = []
    for trans in sorted(folder.glob("*/*/*.trans.txt")):
        with open(trans, encoding="utf-8") as f:
            for lineno, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                utt, _, words = line.strip().partition(" ")
                flac = trans.parent / f"{utt}.flac"
                if not words.strip():
                    problems.append(f"{trans}:{lineno}: '{utt}' has an empty transcript")
                elif not flac.is_file():
                    problems.append(f"{trans}:{lineno}: {flac} does not exist")
                else:
                    utts[utt] = (str(flac), " ".join(words.split()))
    flacs = {p.stem for p in folder.glob("*/*/*.flac")}
    for utt in sorted(flacs - set(utts))[:5]:
        problems.append(f"{folder}: {utt}.flac has no line in its .trans.txt")
    if problems:
        raise CorpusLayoutError(f"{len(problems)} problem(s) in {folder}:\n  " + "\n  ".join(problems[:20]))
    if not utts:
        raise CorpusLayoutError(f"{folder} holds no <speaker>/<chapter>/*.trans.txt. Expected layout:{LAYOUT}")
    return utts


def _names(subsets: Sequence[str]) -> List[str]:
    if isinstance(subsets, str):
        subsets = [subsets]
    out = [s.replace("_", "-") for s in subsets]
    unknown = [s for s in out if s not in SUBSETS]
    if unknown:
        raise ValueError(f"unknown LibriSpeech subset(s) {unknown}; subsets are {', '.join(SUBSETS)}")
    return out
