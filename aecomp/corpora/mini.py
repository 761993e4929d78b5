"""The built-in mini corpus: synthesised here, deterministically, with no download.

Speech comes from the local synthesisers (:mod:`aecomp.audio.tts`): espeak-ng's
accents and variants, flite's four voices and festival's three, each speaker one
of them with its own pitch, speaking rate and vocal-tract warp, every take
varied around them; noise from seeded generators. Speakers are split between
train, dev and test as in the real corpora (every split draws from every
engine), and the noise bank has separate train and test recordings, with four
noise types (:data:`UNSEEN_NOISE`) held out of training to measure unseen-noise
robustness.

Parts are built on demand, each into its own folder with a ``.done`` marker
holding its fingerprint (size, seed, format version):

- ``speech_commands/``: keyword clips in the Speech Commands v0.02 layout
  (words :data:`WORDS`), so the real Speech Commands parser reads them;
- ``LibriSpeech/{train-clean-100,dev-clean,test-clean}/``: short sentences from a
  small grammar in the LibriSpeech layout (speech recognition), read by the real
  LibriSpeech parser;
- ``noise/{train,test}/<type>_<k>.wav``: the noise bank;
- ``rirs/{train,test}/*.wav``: simulated room impulse responses (:mod:`aecomp.corpora.rirs`), the test
  ones at the RT60 levels of the recipes' ``reverb`` condition (:data:`REVERB_LEVELS`);
- ``upstream/{tiny_hubert,tiny_wavlm}.pt``: the SSL upstreams of the mini recipes in s3prl's
  checkpoint format, a tiny HuBERT pre-trained on the training speech and a tiny, randomly
  initialised WavLM (see :mod:`aecomp.corpora.mini_upstream`);
- ``wham/wav8k/min/{tr,cv,tt}/``: two-talker mixtures in noise from the LibriSpeech part's voices and the
  noise bank, in the generated WHAM! layout (:mod:`aecomp.corpora.mini_wham`).

Same seed and size, same bytes: building twice gives identical files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import numpy as np
from scipy.signal import lfilter

from aecomp.audio.io import resample, write_audio
from aecomp.audio.tts import FESTIVAL_VOICES, FLITE_VOICES, Voice, synthesize, trim_silence
from aecomp.corpora import mini_ser, synthetic_noise
from aecomp.corpora.base import Corpus
from aecomp.corpora.mini_asc import build_asc
from aecomp.corpora.mini_wham import build_wham
from aecomp.corpora.noise import NoiseRecording, write_noise_bank
from aecomp.corpora.mini_upstream import build_upstream
from aecomp.corpora.rirs import simulate_rirs, write_rir_bank
from aecomp.fs import atomic_dir, atomic_write_text
from aecomp.registry import register

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
#: parts changed since FORMAT_VERSION (rebuilt alone; the others are kept)
PART_VERSIONS = {"upstream": {"part_version": 2}}  # 2: + the pre-trained tiny HuBERT
SAMPLE_RATE = 16000
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt3", "Andy", "Annie", "Alex", "Alicia", "Denis", "Gene", "Jacky", "Lee", "Michael",
            "Mike", "aunty", "belinda", "benjamin", "boris", "caleb", "david", "ed", "edward", "iven",
            "john", "linda", "max", "norbert", "paul", "quincy", "rob", "robert", "steph", "travis",
            "victor", "zac")
FEMALE_ESPEAK = ("Annie", "Alicia", "aunty", "belinda", "linda", "steph")
#: share of the speakers each engine voices (in every split)
ENGINE_SHARE = {"espeak-ng": 0.5, "flite": 0.3, "festival": 0.2}
SEEN_NOISE = ("white", "pink", "babble", "hum", "clatter", "fan", "rain")
UNSEEN_NOISE = ("music", "siren", "traffic", "wind")

#: speakers per split, takes per (speaker, word), noise recordings and their length
SIZES = {
    "default": dict(train=64, dev=8, test=16, babble=24, takes=2, sentences=15, talkers=6,
                    noise_train=5, noise_test=2, noise_seconds=20.0, rirs_train=60, rirs_test=30),
    "debug": dict(train=6, dev=2, test=2, babble=4, takes=1, sentences=2, talkers=2,
                  noise_train=1, noise_test=1, noise_seconds=4.0, rirs_train=4, rirs_test=3),
}

#: parts of the corpus each task needs
#: (the SSL upstream is its own part: a recipe's template pre-trains it after stage 1 only when a system to
#: train names it, egs/TEMPLATE/aecomp.sh)
TASK_PARTS = {"scr": ("speech_commands", "noise", "rirs"), "asr": ("LibriSpeech", "noise", "rirs"),
              "noise": ("noise",), "rirs": ("rirs",), "upstream": ("upstream",),
              "ser": ("ser",), "asc": ("asc", "noise"), "wham": ("wham",)}
#: RT60s (s) of the test rooms: the levels of the recipes' reverb condition; training rooms span RIRS_TRAIN_RT60
REVERB_LEVELS = (0.3, 0.6, 0.9)
RIRS_TRAIN_RT60 = (0.2, 1.0)
#: LibriSpeech subset of each split
LIBRISPEECH_SUBSETS = {"train": "train-clean-100", "dev": "dev-clean", "test": "test-clean"}

_SENTENCE_WORDS = dict(
    adj="red green blue small big old young happy quiet fast".split(),
    noun="cat dog bird man woman child car boat house tree ball book".split(),
    verb="sees likes finds takes moves calls helps follows".split(),
    prep="near behind under with".split(),
)


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: id, Speech Commands-style hash, voice, microphone (spectral tilt,
    colour of its noise floor), split and sex (F or M, for SPEAKERS.TXT)."""

    id: int
    hash: str
    voice: Voice
    tilt: float
    floor_colour: float
    split: str
    sex: str


@register("corpus", "mini")
class MiniCorpus(Corpus):
    """Built-in synthetic corpus (espeak-ng speech, synthetic noise), built locally in minutes."""

    env_var = "AECOMP_MINI"
    layout = "built by aecomp itself: any empty or missing folder will do"

    def __init__(self, task: str = "scr", size: str = "default", seed: int = 0, nj: int = 2):
        """``task``: which data to prepare: "scr" (keywords), "asr" (sentences), "noise" (only the
        noise bank), "rirs" (only the room impulse responses), or "upstream" (only the tiny SSL upstream,
        no data); ``size``: "default" or "debug" (tests)."""
        if task not in TASK_PARTS:
            raise ValueError(f"mini corpus task must be one of: {', '.join(TASK_PARTS)}; got {task!r}")
        if size not in SIZES:
            raise ValueError(f"mini corpus size must be one of {sorted(SIZES)}, got {size!r}")
        self.task, self.size, self.seed, self.nj = task, size, seed, nj

    def prepare(self, corpus_dir: Path, out_dir: Path) -> Dict[str, Path]:
        from aecomp.corpora.librispeech import LibriSpeech
        from aecomp.corpora.speech_commands import SpeechCommands
        from aecomp.corpora.wham import Wham

        corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
        build(corpus_dir, parts=TASK_PARTS[self.task], size=self.size, seed=self.seed, nj=self.nj)
        out: Dict[str, Path] = {}
        if self.task == "scr":
            out.update(SpeechCommands(task="35", words=WORDS).prepare(corpus_dir / "speech_commands", out_dir))
        elif self.task == "asr":
            out.update(LibriSpeech().prepare(corpus_dir / "LibriSpeech", out_dir))
        elif self.task == "wham":
            out.update(Wham().prepare(corpus_dir / "wham", out_dir))
        if "noise" in TASK_PARTS[self.task]:
            out.update(write_noise_bank(noise_recordings(corpus_dir, "train"), noise_recordings(corpus_dir, "test"),
                                        out_dir))
        if "rirs" in TASK_PARTS[self.task]:
            out.update(write_rir_bank(*(sorted((corpus_dir / "rirs" / split).glob("*.wav"))
                                        for split in ("train", "test")), out_dir))
        return out


# -- building ---------------------------------------------------------------------
def build(root: Path, parts=("speech_commands", "noise"), size: str = "default", seed: int = 0, nj: int = 2) -> Path:
    """Build the requested parts of the mini corpus under ``root`` (skipping finished ones)."""
    root = Path(root)
    builders = {"speech_commands": _build_speech_commands, "LibriSpeech": _build_librispeech,
                "noise": _build_noise, "rirs": _build_rirs, "upstream": build_upstream,
                "ser": mini_ser.build, "asc": build_asc, "wham": build_wham}
    for part in parts:
        fingerprint = json.dumps({"part": part, "size": size, "seed": seed, "version": FORMAT_VERSION,
                                  **PART_VERSIONS.get(part, {})}, sort_keys=True)
        done = root / part / ".done"
        if done.is_file() and done.read_text() == fingerprint:
            log.info("mini corpus: %s already built in %s", part, root / part)
            continue
        log.info("mini corpus: building %s (size %s, seed %d) in %s", part, size, seed, root / part)
        with atomic_dir(root / part) as tmp:
            builders[part](tmp, size, seed, nj)
            atomic_write_text(tmp / ".done", fingerprint)
    return root


def speakers(size: str = "default", seed: int = 0) -> List[Speaker]:
    """The speakers of the corpus, deterministic for (size, seed)."""
    s = SIZES[size]
    rng = _rng(seed, "speakers")
    splits = ["train"] * s["train"] + ["dev"] * s["dev"] + ["test"] * s["test"] + ["babble"] * s["babble"]
    combos = [(a, v) for a in ACCENTS for v in VARIANTS]
    espeak_order = iter(rng.permutation(len(combos)))  # no two espeak speakers share accent and variant
    engines = _engine_plan(splits, rng)
    out = []
    for i, (split, engine) in enumerate(zip(splits, engines)):
        if engine == "espeak-ng":
            accent, variant = combos[next(espeak_order)]
            voice = Voice(engine, f"{accent}+{variant}", int(rng.integers(20, 80)), int(rng.integers(130, 190)),
                          float(rng.uniform(0.94, 1.06)))
            sex = "F" if variant.startswith("f") or variant in FEMALE_ESPEAK else "M"
        else:
            voices = FLITE_VOICES if engine == "flite" else FESTIVAL_VOICES
            name = sorted(voices)[int(rng.integers(len(voices)))]
            voice = Voice(engine, name, round(voices[name] * float(rng.uniform(0.8, 1.25)), 1),
                          round(float(rng.uniform(0.85, 1.15)), 3), float(rng.uniform(0.9, 1.1)))
            sex = "F" if "slt" in name else "M"
        digest = hashlib.sha1(f"mini-{seed}-{i}".encode()).hexdigest()[:8]
        out.append(Speaker(100 + i, digest, voice, float(rng.uniform(-0.3, 0.6)), float(rng.uniform(0.0, 0.95)),
                           split, sex))
    return out


def _engine_plan(splits: List[str], rng: np.random.Generator) -> List[str]:
    """The engine of each speaker: in every split the shares of :data:`ENGINE_SHARE` (rounded, at least one
    speaker per engine where the split has room), shuffled."""
    out = list(splits)
    for split in dict.fromkeys(splits):
        idx = [i for i, s in enumerate(splits) if s == split]
        counts = {e: max(1, int(round(share * len(idx)))) for e, share in ENGINE_SHARE.items()}
        counts["espeak-ng"] = max(0, len(idx) - counts["flite"] - counts["festival"])
        plan = [e for e, c in counts.items() for _ in range(c)][:len(idx)]
        for i, e in zip(idx, rng.permutation(plan)):
            out[i] = str(e)
    return out


def sentences(n: int, rng: np.random.Generator) -> List[str]:
    """``n`` short sentences from a small grammar (upper case, as LibriSpeech transcripts)."""
    w = _SENTENCE_WORDS
    out = []
    for _ in range(n):
        words = ["the", rng.choice(w["adj"]), rng.choice(w["noun"]), rng.choice(w["verb"]),
                 "the", rng.choice(w["adj"]), rng.choice(w["noun"])]
        if rng.random() < 0.5:
            words += [rng.choice(w["prep"]), "the", rng.choice(w["noun"])]
        out.append(" ".join(words).upper())
    return out


def noise_recordings(root: Path, split: str) -> List[NoiseRecording]:
    """The built noise files of ``split`` ("train" or "test"), category from the file name."""
    files = sorted((Path(root) / "noise" / split).glob("*.wav"))
    return [NoiseRecording(f"{split}-{p.stem}", str(p), p.stem.rsplit("_", 1)[0]) for p in files]


def _build_speech_commands(out: Path, size_name: str, seed: int, nj: int) -> None:
    size = SIZES[size_name]
    spks = [s for s in speakers(size_name, seed) if s.split in ("train", "dev", "test")]
    lists: Dict[str, List[str]] = {"dev": [], "test": []}

    def make(spk: Speaker) -> List[str]:
        clips = [(word, take, _rng(seed, f"clip-{spk.id}-{word}-{take}")) for word in WORDS
                 for take in range(size["takes"])]
        spoken = synthesize(spk.voice, [(word, *_take_variation(rng, 0.08, 0.12)) for word, _, rng in clips])
        rels = []
        for (word, take, rng), (wav, rate) in zip(clips, spoken):
            clip = _place_in_clip(_channel(resample(trim_silence(wav), rate, SAMPLE_RATE), spk.tilt), rng)
            rels.append(f"{word}/{spk.hash}_nohash_{take}.wav")
            write_audio(out / rels[-1], _noise_floor(clip, spk, rng), SAMPLE_RATE)
        return rels

    for w in WORDS:
        (out / w).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, nj)) as pool:
        for spk, rels in zip(spks, pool.map(make, spks)):
            lists.get(spk.split, []).extend(rels)
    atomic_write_text(out / "validation_list.txt", "".join(f"{r}\n" for r in sorted(lists["dev"])))
    atomic_write_text(out / "testing_list.txt", "".join(f"{r}\n" for r in sorted(lists["test"])))
    bg = out / "_background_noise_"
    bg.mkdir()
    rng = _rng(seed, "background")
    for name in ("white_noise", "pink_noise"):
        gen = synthetic_noise.white if name == "white_noise" else synthetic_noise.pink
        write_audio(bg / f"{name}.wav", gen(rng, int(30 * SAMPLE_RATE), SAMPLE_RATE), SAMPLE_RATE)
    atomic_write_text(out / "README.md", "Synthetic keyword clips of the aecomp mini corpus "
                      "(espeak-ng voices), in the Speech Commands v0.02 layout.\n")
    log.info("mini corpus: wrote %d keyword clips (%d speakers x %d words x %d takes; %s)",
             len(spks) * len(WORDS) * size["takes"], len(spks), len(WORDS), size["takes"], _engine_counts(spks))


def _build_librispeech(out: Path, size_name: str, seed: int, nj: int) -> None:
    size = SIZES[size_name]
    spks = [s for s in speakers(size_name, seed) if s.split in LIBRISPEECH_SUBSETS]
    jobs = []
    for spk in spks:
        chapter = 1000 + spk.id
        for k, text in enumerate(sentences(size["sentences"], _rng(seed, f"sentences-{spk.id}"))):
            jobs.append((spk, chapter, f"{spk.id}-{chapter}-{k:04d}", text))

    def make(spk: Speaker) -> None:
        mine = [(chapter, utt, text, _rng(seed, f"sentence-{utt}")) for s, chapter, utt, text in jobs if s is spk]
        spoken = synthesize(spk.voice, [(text.lower(), *_take_variation(rng, 0.06, 0.08)) for *_, text, rng in mine])
        for (chapter, utt, text, rng), (wav, rate) in zip(mine, spoken):
            speech = _channel(resample(trim_silence(wav), rate, SAMPLE_RATE), spk.tilt)
            speech = speech * (rng.uniform(0.3, 0.9) / max(np.abs(speech).max(), 1e-6))
            lead, tail = (int(rng.uniform(0.1, 0.3) * SAMPLE_RATE) for _ in range(2))
            clip = _noise_floor(np.concatenate([np.zeros(lead), speech, np.zeros(tail)]).astype(np.float32), spk, rng)
            folder = out / LIBRISPEECH_SUBSETS[spk.split] / str(spk.id) / str(chapter)
            write_audio(folder / f"{utt}.flac", clip, SAMPLE_RATE)

    with ThreadPoolExecutor(max(1, nj)) as pool:
        list(pool.map(make, spks))
    by_chapter: Dict[Path, List[str]] = {}
    for spk, chapter, utt, text in jobs:
        folder = out / LIBRISPEECH_SUBSETS[spk.split] / str(spk.id) / str(chapter)
        by_chapter.setdefault(folder / f"{spk.id}-{chapter}.trans.txt", []).append(f"{utt} {text}\n")
    for path, lines in by_chapter.items():
        atomic_write_text(path, "".join(sorted(lines)))
    atomic_write_text(out / "SPEAKERS.TXT", "".join(
        f"{s.id} | {s.sex} | {LIBRISPEECH_SUBSETS[s.split]} | 0.0 | {s.voice.describe()}\n" for s in spks))
    atomic_write_text(out / "CHAPTERS.TXT", "".join(
        f"{1000 + s.id} | {s.id} | 0.0 | {LIBRISPEECH_SUBSETS[s.split]} | 0 | mini | mini\n" for s in spks))
    log.info("mini corpus: wrote %d sentences (%d speakers x %d; %s)", len(jobs), len(spks), size["sentences"],
             _engine_counts(spks))


def _build_noise(out: Path, size_name: str, seed: int, nj: int) -> None:
    size = SIZES[size_name]
    n = int(size["noise_seconds"] * SAMPLE_RATE)
    talkers = [s for s in speakers(size_name, seed) if s.split == "babble"]
    half = len(talkers) // 2
    plan = []
    for split, count in (("train", size["noise_train"]), ("test", size["noise_test"])):
        types = SEEN_NOISE if split == "train" else SEEN_NOISE + UNSEEN_NOISE
        plan += [(split, kind, k) for kind in types for k in range(count)]

    def make(item):
        split, kind, k = item
        rng = _rng(seed, f"noise-{split}-{kind}-{k}")
        if kind == "babble":
            pool = talkers[:half] if split == "train" else talkers[half:]
            chosen = rng.choice(len(pool), size=min(size["talkers"], len(pool)), replace=False)
            speech = []
            for i in chosen:
                [(wav, rate)] = synthesize(pool[i].voice, [(" ".join(sentences(3, rng)).lower(), 1.0, 1.0)])
                speech.append(resample(wav, rate, SAMPLE_RATE))
            audio = synthetic_noise.babble(rng, n, SAMPLE_RATE, speech)
        else:
            audio = synthetic_noise.GENERATORS[kind](rng, n, SAMPLE_RATE)
        audio = audio * min(1.0, 0.95 / np.abs(audio).max())
        write_audio(out / split / f"{kind}_{k}.wav", audio.astype(np.float32), SAMPLE_RATE)

    with ThreadPoolExecutor(max(1, nj)) as pool:
        list(pool.map(make, plan))
    atomic_write_text(out / "README.md", (
        "Synthetic noise bank of the aecomp mini corpus. train/ and test/ never share a recording.\n"
        f"Types in training: {', '.join(SEEN_NOISE)}. Held out (test only): {', '.join(UNSEEN_NOISE)}.\n"))
    log.info("mini corpus: wrote %d noise recordings of %.0f s", len(plan), size["noise_seconds"])


def _build_rirs(out: Path, size_name: str, seed: int, nj: int) -> None:
    size = SIZES[size_name]
    simulate_rirs(out / "train", size["rirs_train"], seed, "train", SAMPLE_RATE, RIRS_TRAIN_RT60, nj=nj)
    simulate_rirs(out / "test", size["rirs_test"], seed, "test", SAMPLE_RATE, rt60_targets=REVERB_LEVELS, nj=nj)
    atomic_write_text(out / "README.md", (
        "Room impulse responses of the aecomp mini corpus (pyroomacoustics' image method, random shoebox rooms).\n"
        f"train/: RT60 {RIRS_TRAIN_RT60[0]:g}-{RIRS_TRAIN_RT60[1]:g} s; test/: other rooms at RT60 "
        f"{', '.join(f'{v:g}' for v in REVERB_LEVELS)} s (the reverb evaluation levels).\n"))
    log.info("mini corpus: wrote %d + %d room impulse responses", size["rirs_train"], size["rirs_test"])


def _take_variation(rng: np.random.Generator, pitch: float, rate: float) -> tuple:
    """``(pitch factor, rate factor)`` of one take: a speaker never says a word twice the same way."""
    return float(rng.uniform(1 - pitch, 1 + pitch)), float(rng.uniform(1 - rate, 1 + rate))


def _engine_counts(spks: List[Speaker]) -> str:
    counts: Dict[str, int] = {}
    for s in spks:
        counts[s.voice.engine] = counts.get(s.voice.engine, 0) + 1
    return ", ".join(f"{n} {e} speakers" for e, n in sorted(counts.items()))


def _place_in_clip(word: np.ndarray, rng: np.random.Generator, length: int = SAMPLE_RATE) -> np.ndarray:
    """A one-second clip with ``word`` at a random offset and a random level."""
    word = word[:length]
    peak = np.abs(word).max()
    if peak > 0:
        word = word * (rng.uniform(0.2, 0.9) / peak)
    clip = np.zeros(length, dtype=np.float32)
    start = int(rng.integers(0, length - len(word) + 1))
    clip[start:start + len(word)] = word
    return clip


def _noise_floor(clip: np.ndarray, spk: Speaker, rng: np.random.Generator) -> np.ndarray:
    """Microphone and room noise 40-55 dB below the speech, as every real recording has.

    Without it the clip would be digitally silent around the word, which no real
    recording is, and any added noise would change those frames beyond recognition.
    """
    speech_rms = np.sqrt(np.mean(clip[clip != 0] ** 2)) if np.any(clip) else 0.0
    floor = lfilter([1.0], [1.0, -spk.floor_colour], rng.standard_normal(len(clip)))
    floor *= speech_rms * 10 ** (-rng.uniform(40.0, 55.0) / 20) / np.sqrt(np.mean(floor ** 2))
    return (clip + floor).astype(np.float32)


def _channel(wav: np.ndarray, tilt: float) -> np.ndarray:
    """A speaker's microphone: a first-order spectral tilt."""
    return lfilter([1.0, -tilt], [1.0], wav).astype(np.float32)


def _rng(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])
