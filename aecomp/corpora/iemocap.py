"""IEMOCAP (speech emotion recognition), read in the layout of ``IEMOCAP_full_release``.

Labels come from the *summary* line of each turn in ``Session<n>/dialog/EmoEvaluation/<dialog>.txt``::

    [6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]

(the per-annotator lines below it, ``C-E1:`` ``A-E2:`` ..., are not read). The usual 4-class task
keeps neu, hap (with exc merged into it), sad and ang; every other code (fru fea sur dis oth xxx) is
dropped and counted in the log.

Splits (the speakers are ``Ses0<n><F|M>``, the session and the speaker's gender, the utterance id's
last segment):

- ``split: loso`` (the research standard), fold ``k`` of 5: test = Session k; dev = the male speaker
  of the previous session (``Ses0<k-1>M``; fold 1: ``Ses05M``), so that no speaker of the test
  session is used for model selection; train = everyone else (7 speakers). Fold 5 is ESPnet's split;
- ``split: espnet``: ESPnet's egs2/iemocap split, Ses01-03 + Ses04F train, Ses04M dev, Ses05 test
  (written as ``train``, ``dev``, ``test``).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.data.datadir import compute_durations, write_datadir
from aecomp.registry import register

log = logging.getLogger(__name__)

#: every emotion code of the summary lines
CODES = ("neu", "hap", "exc", "sad", "ang", "fru", "fea", "sur", "dis", "oth", "xxx")
#: code -> class of the 4-class task (codes not here are dropped)
FOUR_CLASS = {"neu": "neu", "hap": "hap", "exc": "hap", "sad": "sad", "ang": "ang"}
SESSIONS = (1, 2, 3, 4, 5)
SPLITS = ("loso", "espnet")

LAYOUT = """
IEMOCAP_full_release/
  Session{1..5}/sentences/wav/<dialog>/<utt>.wav     16 kHz, e.g. Ses01F_impro01/Ses01F_impro01_F000.wav
  Session{1..5}/dialog/EmoEvaluation/<dialog>.txt    a summary line per turn:
      [<start> - <end>]<TAB><utt><TAB><emo><TAB>[V, A, D]   (then per-annotator lines C-E1: ...)
"""

_SUMMARY = re.compile(r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\t(\S+)\t(\S+)\t\[[^\]]*\]\s*$")
_UTT = re.compile(r"^Ses0([1-5])[FM]_\w+_([FM])\d{3}$")


@register("corpus", "iemocap")
class IEMOCAP(Corpus):
    """IEMOCAP, 4 classes (neu, hap+exc, sad, ang); leave-one-session-out folds or ESPnet's split."""

    env_var = "IEMOCAP"
    layout = LAYOUT

    def __init__(self, split: str = "espnet", folds: int = 5):
        """``split``: ``espnet`` (``train``/``dev``/``test``) or ``loso`` (``fold<k>/{train,dev,test}``
        for k = 1..``folds``, ``folds`` at most 5; see the module docstring for dev)."""
        if split not in SPLITS:
            raise ValueError(f"iemocap split must be one of {', '.join(SPLITS)}, got {split!r}")
        if split == "loso" and not 1 <= int(folds) <= 5:
            raise ValueError(f"iemocap folds must be 1..5 (one per session held out), got {folds!r}")
        self.split, self.folds = split, int(folds)

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
        self.require(corpus_dir, [f"Session{n}/dialog/EmoEvaluation" for n in SESSIONS]
                     + [f"Session{n}/sentences/wav" for n in SESSIONS])
        labels, wavs = read_labels(corpus_dir)
        out: Dict[str, Path] = {}
        durations = compute_durations(wavs)
        if self.split == "espnet":
            plan = {"": split_speakers(5)}
        else:
            plan = {f"fold{k}/": split_speakers(k) for k in range(1, self.folds + 1)}
        for prefix, speakers in plan.items():
            for name, spks in speakers.items():
                utts = sorted(u for u in labels if speaker(u) in spks)
                if not utts:
                    raise CorpusLayoutError(f"{corpus_dir}: no utterance of the 4 classes for {prefix}{name} "
                                            f"(speakers {', '.join(sorted(spks))})")
                out[f"{prefix}{name}"] = write_datadir(out_dir / f"{prefix}{name}", {
                    "wav.scp": {u: wavs[u] for u in utts}, "text": {u: labels[u] for u in utts},
                    "utt2spk": {u: speaker(u) for u in utts}, "utt2dur": {u: durations[u] for u in utts}})
                counts = Counter(labels[u] for u in utts)
                log.info("iemocap %s%s (%s): %d utterances (%s) -> %s", prefix, name, " ".join(sorted(spks)),
                         len(utts), ", ".join(f"{c} {counts[c]}" for c in ("neu", "hap", "sad", "ang")),
                         out[f"{prefix}{name}"])
        return out


def speaker(utt: str) -> str:
    """``Ses01F_impro01_M000`` -> ``Ses01M``: the session and the speaker's gender."""
    return f"{utt[:5]}{utt.rsplit('_', 1)[1][0]}"


def split_speakers(test_session: int) -> Dict[str, set]:
    """Speakers of train, dev and test when ``test_session`` is held out (dev: the male speaker of the
    session before it, wrapping around; test session 5 gives ESPnet's split)."""
    dev_session = SESSIONS[(test_session - 2) % len(SESSIONS)]
    every = {f"Ses0{n}{g}" for n in SESSIONS for g in "FM"}
    test = {f"Ses0{test_session}F", f"Ses0{test_session}M"}
    dev = {f"Ses0{dev_session}M"}
    return {"train": every - test - dev, "dev": dev, "test": test}


def read_labels(corpus_dir: Path) -> Tuple[Dict[str, str], Dict[str, str]]:
    """``(utt -> class, utt -> wav path)`` of the 4-class task from every session's summary lines.

    Every problem (a malformed summary line, an unknown code, a duplicate turn, a missing wav) is
    collected with its file and line and raised together; dropped codes are counted and logged."""
    labels: Dict[str, str] = {}
    wavs: Dict[str, str] = {}
    where: Dict[str, str] = {}
    problems: List[str] = []
    dropped: Counter = Counter()
    codes: Counter = Counter()
    for n in SESSIONS:
        files = sorted(p for p in (corpus_dir / f"Session{n}" / "dialog" / "EmoEvaluation").glob("*.txt")
                       if not p.name.startswith("."))  # "._*": macOS metadata in some copies
        if not files:
            problems.append(f"{corpus_dir}/Session{n}/dialog/EmoEvaluation holds no <dialog>.txt")
        for path in files:
            for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                entry = _summary(path, lineno, line, problems)
                if entry is None:
                    continue
                utt, code = entry
                here = f"{path}:{lineno}"
                if not _UTT.match(utt) or int(utt[4]) != n:
                    problems.append(f"{here}: turn id '{utt}' is not an IEMOCAP utterance id of Session{n} "
                                    "(e.g. Ses01F_impro01_F000); fix or remove the line")
                    continue
                if utt in where:
                    problems.append(f"{here}: turn '{utt}' has a summary line already at {where[utt]}; keep one")
                    continue
                where[utt] = here
                codes[code] += 1
                if code not in FOUR_CLASS:
                    dropped[code] += 1
                    continue
                wav = corpus_dir / f"Session{n}" / "sentences" / "wav" / utt.rsplit("_", 1)[0] / f"{utt}.wav"
                if not wav.is_file():
                    problems.append(f"{here}: names '{utt}' but {wav} does not exist; restore the file "
                                    "from the corpus release, or remove the line")
                    continue
                labels[utt], wavs[utt] = FOUR_CLASS[code], str(wav)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CorpusLayoutError(f"{len(problems)} problem(s) in {corpus_dir}:\n  {shown}{more}\nExpected layout:{LAYOUT}")
    if not labels:
        raise CorpusLayoutError(f"{corpus_dir}: no turn of the 4 classes (neu, hap, exc, sad, ang). Expected layout:{LAYOUT}")
    kept = Counter(labels.values())
    log.info("iemocap: %d summary lines; kept %d in 4 classes (%s; exc merged into hap: %d); dropped %d (%s)",
             sum(codes.values()), len(labels), ", ".join(f"{c} {kept[c]}" for c in ("neu", "hap", "sad", "ang")),
             codes["exc"], sum(dropped.values()),
             ", ".join(f"{c} {dropped[c]}" for c in CODES if dropped[c]) or "none")
    return labels, wavs


def _summary(path: Path, lineno: int, line: str, problems: List[str]) -> Optional[Tuple[str, str]]:
    """``(utt, code)`` of a summary line; None for other lines (header, blank, per-annotator);
    a line starting with ``[`` that is not a well-formed summary line is a problem."""
    if not line.startswith("["):
        return None
    m = _SUMMARY.match(line)
    if not m:
        problems.append(f"{path}:{lineno}: malformed summary line {line[:80]!r}; expected "
                        "'[start - end]<TAB>utt<TAB>emotion<TAB>[V, A, D]'")
        return None
    utt, code = m.group(3), m.group(4)
    if code not in CODES:
        problems.append(f"{path}:{lineno}: unknown emotion code '{code}' for {utt}; codes are {' '.join(CODES)}")
        return None
    return utt, code


def write_evaluation(path: Path, turns: List[Tuple[str, str, float, float]]) -> None:
    """Write an EmoEvaluation file in IEMOCAP's format: ``turns`` are ``(utt, code, start, end)``; each
    summary line is followed by per-annotator lines as in the release (used by the mini corpus)."""
    from aecomp.fs import atomic_write_text

    names = {"neu": "Neutral", "hap": "Happiness", "exc": "Excited", "sad": "Sadness", "ang": "Anger",
             "fru": "Frustration", "fea": "Fear", "sur": "Surprise", "dis": "Disgust", "oth": "Other",
             "xxx": "Other"}
    lines = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
    for utt, code, start, end in turns:
        lines += [f"[{start:.4f} - {end:.4f}]\t{utt}\t{code}\t[2.5000, 2.5000, 2.5000]",
                  f"C-E1:\t{names[code]};\t()", f"C-E2:\t{names[code]};\t()", "A-E1:\tval 3; act 2; dom  2;\t()", ""]
    atomic_write_text(Path(path), "\n".join(lines) + "\n")
