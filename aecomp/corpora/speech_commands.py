"""Speech Commands v0.02 (keyword spotting), read in its official layout."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.corpora.noise import NoiseRecording
from aecomp.data.datadir import write_datadir
from aecomp.registry import register

log = logging.getLogger(__name__)

WORDS_35 = (
    "backward bed bird cat dog down eight five follow forward four go happy house learn left "
    "marvin nine no off on one right seven sheila six stop three tree two up visual wow yes zero"
).split()
CORE_10 = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
UNKNOWN, SILENCE = "_unknown_", "_silence_"
BACKGROUND = "_background_noise_"

LAYOUT = """
speech_commands_v0.02/
  validation_list.txt        relative paths, e.g. right/bb05582b_nohash_0.wav
  testing_list.txt
  <word>/<speaker>_nohash_<n>.wav   16 kHz mono, up to 1 s (35 words)
  _background_noise_/*.wav   about 1 min each
"""


@register("corpus", "speech_commands")
class SpeechCommands(Corpus):
    """Speech Commands v0.02: the 35-word task, or the 12-class task (10 words, unknown, silence)."""

    env_var = "SPEECH_COMMANDS"
    layout = LAYOUT

    def __init__(self, task: str = "35", words: Optional[Sequence[str]] = None,
                 unknown_fraction: float = 0.1, seed: int = 0):
        """``task``: "35" (every word is a class) or "12" (``CORE_10`` + unknown + silence).

        ``words`` replaces the expected word list (the mini corpus has fewer
        words). In the 12-class task, ``unknown`` utterances are subsampled to
        ``unknown_fraction`` of each set and as many ``silence`` clips are cut
        from the background noise; both counts are logged.
        """
        if str(task) not in ("35", "12"):
            raise ValueError(f"speech_commands task must be '35' or '12', got {task!r}")
        self.task = str(task)
        self.words = list(words) if words is not None else list(WORDS_35)
        self.unknown_fraction = unknown_fraction
        self.seed = seed

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
        self.require(corpus_dir, ["validation_list.txt", "testing_list.txt", *self.words])
        listed = {
            "dev": _read_list(corpus_dir / "validation_list.txt", corpus_dir),
            "test": _read_list(corpus_dir / "testing_list.txt", corpus_dir),
        }
        both = set(listed["dev"]) & set(listed["test"])
        if both:
            raise CorpusLayoutError(f"{len(both)} clips are in both validation and testing lists, e.g. {sorted(both)[0]}")
        held_out = set(listed["dev"]) | set(listed["test"])
        all_clips = sorted(
            f"{w}/{p.name}" for w in self.words for p in (corpus_dir / w).glob("*.wav")
        )
        listed["train"] = [c for c in all_clips if c not in held_out]
        other = set(listed["dev"] + listed["test"]) - set(all_clips)
        if other:
            log.info("lists name %d clips of words outside the task; they are not used", len(other))
        rng = np.random.default_rng(self.seed)
        out = {}
        for split in ("train", "dev", "test"):
            clips = [c for c in listed[split] if c.split("/")[0] in self.words]
            tables = self._tables(corpus_dir, clips, split, rng)
            out[split] = write_datadir(out_dir / split, tables)
            counts = Counter(tables["text"].values())
            log.info("speech_commands %s: %d utterances, %d classes -> %s", split, len(tables["text"]),
                     len(counts), out[split])
        return out

    def _tables(self, corpus_dir: Path, clips: List[str], split: str, rng) -> Dict[str, dict]:
        wav, text, utt2spk, utt2dur = {}, {}, {}, {}
        for clip in clips:
            word, name = clip.split("/")
            speaker = name.split("_nohash_")[0]
            utt = f"{speaker}-{word}-{Path(name).stem.split('_nohash_')[-1]}"
            label = word if self.task == "35" or word in CORE_10 else UNKNOWN
            wav[utt], text[utt], utt2spk[utt] = str(corpus_dir / clip), label, speaker
        from aecomp.data.datadir import compute_durations

        utt2dur = compute_durations(wav)
        tables = {"wav.scp": wav, "text": text, "utt2spk": utt2spk, "utt2dur": utt2dur}
        if self.task == "12":
            tables = self._balance_12(corpus_dir, tables, split, rng)
        return tables

    def _balance_12(self, corpus_dir, tables, split, rng) -> Dict[str, dict]:
        text = tables["text"]
        known = [u for u in sorted(text) if text[u] != UNKNOWN]
        unknown = [u for u in sorted(text) if text[u] == UNKNOWN]
        n_extra = int(round(len(known) * self.unknown_fraction / (1 - 2 * self.unknown_fraction)))
        keep_unknown = sorted(rng.choice(unknown, size=min(n_extra, len(unknown)), replace=False).tolist()) if unknown else []
        log.info("speech_commands %s: 12-class task keeps %d of %d unknown-word clips (dropped %d)",
                 split, len(keep_unknown), len(unknown), len(unknown) - len(keep_unknown))
        keep = set(known) | set(keep_unknown)
        tables = {name: {u: v for u, v in t.items() if u in keep} for name, t in tables.items()}
        # every utterance goes through segments so that silence clips can be cut from noise files
        segments = {u: f"{u} 0 -1" for u in tables["wav.scp"]}
        for bg in background_noise(corpus_dir):
            tables["wav.scp"][f"bg-{bg.id}"] = bg.path
        for i, (rec, start) in enumerate(_silence_windows(corpus_dir, split, n_extra, rng)):
            utt = f"silence-{split}-{i:05d}"
            segments[utt] = f"bg-{rec} {start:.3f} {start + 1.0:.3f}"
            tables["text"][utt], tables["utt2spk"][utt], tables["utt2dur"][utt] = SILENCE, utt, 1.0
        log.info("speech_commands %s: added %d silence clips from %s", split, n_extra, BACKGROUND)
        tables["segments"] = segments
        return tables


def background_noise(corpus_dir: Path) -> List[NoiseRecording]:
    """The recordings of ``_background_noise_``, each its own category."""
    folder = Path(corpus_dir) / BACKGROUND
    if not folder.is_dir():
        raise CorpusLayoutError(f"{folder} does not exist; Speech Commands v0.02 ships it. Layout:\n{LAYOUT}")
    return [NoiseRecording(p.stem, str(p), p.stem) for p in sorted(folder.glob("*.wav"))]


def _silence_windows(corpus_dir: Path, split: str, n: int, rng) -> List[tuple]:
    """``n`` one-second windows ``(recording, start)`` from this split's share of each noise file.

    Each background file is cut in three disjoint parts: 80 % train, 10 % dev, 10 % test.
    """
    from aecomp.audio.io import audio_info

    share = {"train": (0.0, 0.8), "dev": (0.8, 0.9), "test": (0.9, 1.0)}[split]
    recs = background_noise(corpus_dir)
    if not recs:
        raise CorpusLayoutError(f"{corpus_dir / BACKGROUND} holds no .wav files; the 12-class task needs them")
    out = []
    for i in range(n):
        rec = recs[i % len(recs)]
        frames, rate, _ = audio_info(rec.path)
        lo, hi = share[0] * frames / rate, share[1] * frames / rate - 1.0
        if hi <= lo:
            raise CorpusLayoutError(f"{rec.path} is too short to cut 1-s silence clips for {split}")
        out.append((rec.id, float(rng.uniform(lo, hi))))
    return out


def _read_list(path: Path, corpus_dir: Path) -> List[str]:
    """Relative clip paths of a validation/testing list, each checked to exist."""
    out, missing = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            clip = line.strip()
            if not clip:
                continue
            parts = clip.split("/")
            if len(parts) != 2 or not parts[1].endswith(".wav"):
                raise CorpusLayoutError(f"{path}:{lineno}: expected '<word>/<file>.wav', got '{clip}'")
            if not (corpus_dir / clip).is_file():
                missing.append(f"{path}:{lineno}: {clip}")
            out.append(clip)
    if missing:
        raise CorpusLayoutError(
            f"{len(missing)} clip(s) named in {path.name} do not exist, e.g.\n  " + "\n  ".join(missing[:5])
            + "\nThe corpus is incomplete: extract speech_commands_v0.02.tar.gz again."
        )
    return sorted(set(out))
