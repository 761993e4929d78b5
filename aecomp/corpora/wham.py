"""WHAM! (WSJ0 Hipster Ambient Mixtures: two-talker separation in noise), read in its generated layout.

The official scripts mix WSJ0-2mix utterances with the ``wham_noise`` recordings into one folder per
sample rate, length mode and split, every sub-folder holding the same file names::

    <root>/wav8k/min/tr/{mix_both,mix_clean,mix_single,s1,s2,noise}/<name>.wav

Tasks (ESPnet's ``egs2/wham`` names them alike):

=============  ===============  ==============================  ===============
task           input (wav.scp)  references                      noise1.scp
=============  ===============  ==============================  ===============
``sep_noisy``  ``mix_both``     ``s1``, ``s2``                  ``noise``
``sep_clean``  ``mix_clean``    ``s1``, ``s2``                  --
``enh_single`` ``mix_single``   ``s1``                          ``noise``
``enh_both``   ``mix_both``     ``mix_clean`` (both speakers)   ``noise``
=============  ===============  ==============================  ===============

Splits ``tr``, ``cv``, ``tt`` become ``train``, ``dev``, ``test``. ``utt2spk`` pairs the two WSJ
speakers (the first three characters of each utterance id in the name, as ESPnet's wsj0-2mix
recipe does).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, List

from aecomp.corpora.base import Corpus, CorpusLayoutError
from aecomp.data.datadir import write_datadir
from aecomp.registry import register

log = logging.getLogger(__name__)

#: input folder, speech reference folders, whether noise1.scp is written
TASKS = {
    "sep_noisy": ("mix_both", ("s1", "s2"), True),
    "sep_clean": ("mix_clean", ("s1", "s2"), False),
    "enh_single": ("mix_single", ("s1",), True),
    "enh_both": ("mix_both", ("mix_clean",), True),
}
SPLITS = {"train": "tr", "dev": "cv", "test": "tt"}
SUB_FOLDERS = ("mix_both", "mix_clean", "mix_single", "s1", "s2", "noise")
LAYOUT = """
<WHAM root>/                   (the output folder of WHAM!'s create_wham_from_scratch.py)
  wav8k/min/{tr,cv,tt}/        also wav16k and max, as generated
    mix_both/<name>.wav        the two speakers and the noise
    mix_clean/<name>.wav       the two speakers
    mix_single/<name>.wav      speaker 1 and the noise
    s1/<name>.wav, s2/<name>.wav, noise/<name>.wav
  every sub-folder holds the same names; <name> as 01aa010b_0.97482_209a010p_-0.97482.wav
"""


@register("corpus", "wham")
class Wham(Corpus):
    """WHAM!: noisy two-talker separation (``sep_noisy``), or ``sep_clean``, ``enh_single``, ``enh_both``."""

    env_var = "WHAM"
    layout = LAYOUT

    def __init__(self, task: str = "sep_noisy", sample_rate: str = "8k", mode: str = "min"):
        """``task``: one of :data:`TASKS`; ``sample_rate``: ``8k`` or ``16k`` (the ``wav8k`` or ``wav16k``
        folder); ``mode``: ``min`` (mixtures cut to the shorter utterance) or ``max`` (padded)."""
        if task not in TASKS:
            raise ValueError(f"wham task must be one of {', '.join(TASKS)}; got {task!r}")
        if str(sample_rate) not in ("8k", "16k"):
            raise ValueError(f"wham sample_rate must be 8k or 16k (the wav8k or wav16k folder); got {sample_rate!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"wham mode must be min or max; got {mode!r}")
        self.task, self.sample_rate, self.mode = task, str(sample_rate), mode

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
        base = f"wav{self.sample_rate}/{self.mode}"
        inp, refs, with_noise = TASKS[self.task]
        folders = [inp, *refs] + (["noise"] if with_noise else [])
        self.require(corpus_dir, [f"{base}/{s}/{f}" for s in SPLITS.values() for f in folders])
        out = {}
        for split, short in SPLITS.items():
            root = corpus_dir / base / short
            names = read_split(root, folders)
            tables = {"wav.scp": {n: str(root / inp / f"{n}.wav") for n in names}}
            for k, ref in enumerate(refs, start=1):
                tables[f"spk{k}.scp"] = {n: str(root / ref / f"{n}.wav") for n in names}
            if with_noise:
                tables["noise1.scp"] = {n: str(root / "noise" / f"{n}.wav") for n in names}
            tables["utt2spk"] = {n: speaker_pair(n) for n in names}
            tables["utt2dur"] = {n: f"{frames / rate:.4f}" for n, (frames, rate) in names.items()}
            out[split] = write_datadir(out_dir / split, tables)
            log.info("wham %s (%s, %s): %d mixtures, input %s, references %s%s -> %s", split, base, short,
                     len(names), inp, ", ".join(refs), ", noise" if with_noise else "", out[split])
        return out


def read_split(root: Path, folders: List[str]) -> Dict[str, tuple]:
    """name -> ``(frames, sample rate)`` of one split folder: every name in every one of ``folders``
    (sub-folders of ``root``), every file of one name the same length. Problems are collected and raised
    together (the first 20), each naming the file and what to do."""
    import soundfile as sf

    present = {f: {p.stem for p in (root / f).glob("*.wav")} for f in folders}
    every = set().union(*present.values())
    problems = []
    for f in folders:
        for name in sorted(every - present[f]):
            where = next(g for g in folders if name in present[g])
            problems.append(f"{root / f}/{name}.wav is missing ({where}/{name}.wav exists): every sub-folder "
                            "must hold the same names; regenerate the split or remove the name from all of them")
    names: Dict[str, tuple] = {}
    for name in sorted(set.intersection(*present.values())):
        shapes = {}
        for f in folders:
            path = root / f / f"{name}.wav"
            try:
                info = sf.info(str(path))
            except Exception as exc:  # soundfile's errors name no file
                problems.append(f"{path}: cannot be read as audio ({exc}); regenerate it")
                continue
            if info.channels != 1:
                problems.append(f"{path}: {info.channels} channels; WHAM! files are mono")
            shapes[f] = (info.frames, info.samplerate)
        if len(set(shapes.values())) > 1:
            first = folders[0]
            odd = [f"{f} {n} samples at {r} Hz" for f, (n, r) in shapes.items() if (n, r) != shapes.get(first)]
            problems.append(f"{root}: '{name}' has {shapes.get(first, ('?',))[0]} samples in {first} but "
                            f"{'; '.join(odd)}: a mixture and its sources must be sample-aligned (same length and "
                            "rate); regenerate them (min and max mixtures in one folder?)")
        elif shapes:
            names[name] = next(iter(shapes.values()))
    if problems:
        raise CorpusLayoutError(f"{len(problems)} problem(s) in {root}:\n  " + "\n  ".join(problems[:20]))
    if not names:
        raise CorpusLayoutError(f"{root} holds no .wav file in {', '.join(folders)}. Expected layout:{LAYOUT}")
    return names


def speaker_pair(name: str) -> str:
    """``<spk1>_<spk2>`` of a WHAM! name ``<utt1>_<gain1>_<utt2>_<gain2>`` (a WSJ speaker is the first three
    characters of an utterance id); the name itself when it has another form."""
    parts = name.split("_")
    return f"{parts[0][:3]}_{parts[2][:3]}" if len(parts) == 4 else name
