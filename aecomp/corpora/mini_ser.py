"""Part ``ser`` of the mini corpus: emotional speech in the IEMOCAP layout, with ESC-50 and MUSAN stand-ins.

Written under ``<mini>/ser/``:

- ``IEMOCAP_full_release/Session{1..5}/``: two speakers per session (F and M: ``Ses0<n>F``, ``Ses0<n>M``),
  each a voice of espeak-ng, flite or festival (:mod:`aecomp.audio.tts`) with its own pitch, rate,
  vocal-tract warp and microphone; every turn a sentence of the mini grammar spoken with the prosody of
  its emotion (:data:`EMOTIONS`): pitch, intonation range (a slow pitch contour), rate, pauses (commas
  the synthesisers pause at), level and voice quality (spectral tilt, pressed-voice saturation), each
  drawn per turn around the emotion's mean so that the classes overlap (happy and angry are both
  aroused; neutral and sad both calm). Codes in IEMOCAP's proportions (:data:`CODE_SHARE`: neu, hap and
  exc, sad, ang as in the release's 4-class task; fru, sur and xxx turns too, which the 4-class task
  drops); ``dialog/EmoEvaluation/<dialog>.txt`` and ``dialog/transcriptions/<dialog>.txt`` as in the
  release, so :mod:`aecomp.corpora.iemocap` reads it;
- ``ESC-50-master/``: 5-s clips at 44.1 kHz of seven ESC-50 classes (:data:`ESC50_CLASSES`, each a
  generator of :mod:`aecomp.corpora.synthetic_noise`), two clips per class and fold, with ``meta/esc50.csv``;
- ``musan/noise/{free-sound,sound-bible}/``: 16-kHz recordings of noise types that the ESC-50 stand-in
  lacks (music, traffic, white, babble of talkers no session has), with ``ANNOTATIONS`` and ``LICENSE``.

The recipe trains with ESC-50 noise (matched test condition: ESC-50 fold 5) and tests unmatched noise
with MUSAN, as TRNet does.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
from scipy.signal import lfilter

from aecomp.audio.io import resample, write_audio
from aecomp.audio.tts import FESTIVAL_VOICES, FLITE_VOICES, Voice, synthesize, trim_silence
from aecomp.corpora import synthetic_noise
from aecomp.corpora.iemocap import write_evaluation
from aecomp.fs import atomic_write_text

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
ESC50_RATE = 44100


@dataclass(frozen=True)
class Prosody:
    """Mean prosody of an emotion, as factors of the speaker's own: ``pitch`` (mean F0), ``range``
    (depth of the intonation contour), ``rate`` (speaking rate), ``pause`` (probability of a pause
    after each word), ``gain`` (level), ``tilt`` (spectral tilt: > 0 brighter, < 0 darker) and
    ``drive`` (saturation of a pressed voice, 0 none)."""

    pitch: float
    range: float
    rate: float
    pause: float
    gain: float
    tilt: float
    drive: float


EMOTIONS = {
    "neu": Prosody(pitch=1.00, range=1.0, rate=1.00, pause=0.08, gain=1.0, tilt=0.0, drive=0.0),
    "hap": Prosody(pitch=1.12, range=1.8, rate=1.08, pause=0.05, gain=1.2, tilt=0.15, drive=0.5),
    "sad": Prosody(pitch=0.92, range=0.5, rate=0.85, pause=0.25, gain=0.6, tilt=-0.3, drive=0.0),
    "ang": Prosody(pitch=1.06, range=1.4, rate=1.10, pause=0.10, gain=1.6, tilt=0.35, drive=2.0),
}
#: the spread of each factor from turn to turn (log-normal sd; tilt and pause: absolute sd)
JITTER = dict(pitch=0.06, range=0.3, rate=0.07, gain=0.2, tilt=0.12, drive=0.6, pause=0.05)
#: codes of the turns and their shares, as in the release (4-class task: neu 31 %, hap+exc 30 %, sad 20 %,
#: ang 20 %), plus turns the 4-class task drops
CODE_SHARE = {"neu": 0.27, "hap": 0.10, "exc": 0.16, "sad": 0.17, "ang": 0.17, "fru": 0.07, "sur": 0.03,
              "xxx": 0.03}
#: the emotion whose prosody a code outside EMOTIONS is spoken with (exc: excited, a happy voice)
DROPPED_AS = {"exc": "hap", "fru": "ang", "sur": "hap", "xxx": "neu"}
#: ESC-50 stand-in: class target -> (category, generator)
ESC50_CLASSES = {10: ("rain", "rain"), 11: ("sea_waves", "pink"), 16: ("wind", "wind"),
                 36: ("vacuum_cleaner", "fan"), 39: ("glass_breaking", "clatter"), 42: ("siren", "siren"),
                 44: ("engine", "hum")}
#: MUSAN stand-in: source -> generators (types the ESC-50 stand-in lacks)
MUSAN_SOURCES = {"free-sound": ("music", "traffic", "babble"), "sound-bible": ("white", "music", "traffic")}
#: turns per speaker and noise recordings of each size
SIZES = {"default": dict(turns=56, esc_clips=2, musan=4, musan_seconds=20.0),
         "debug": dict(turns=16, esc_clips=1, musan=1, musan_seconds=5.0)}
#: engines of the (F, M) speakers of each session: every engine in training whichever session is held out
ENGINES = (("espeak-ng", "flite"), ("flite", "espeak-ng"), ("festival", "espeak-ng"),
           ("espeak-ng", "festival"), ("espeak-ng", "flite"))
ESPEAK_F = ("f1", "f2", "f3", "f4", "f5", "Annie", "Alicia", "belinda", "linda", "steph")
ESPEAK_M = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "Andy", "Denis", "Gene", "Lee", "Mike", "john", "max")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc")
#: the talkers of the MUSAN stand-in's babble: voices no session speaker has
BABBLE_VOICES = tuple(Voice("espeak-ng", f"en-us+{v}", p, 190) for v, p in
                      (("klatt", 40), ("klatt2", 55), ("klatt3", 30), ("Jacky", 60), ("travis", 45), ("zac", 50)))


def build(out: Path, size_name: str, seed: int, nj: int) -> None:
    """Write the ``ser`` part into ``out`` (the builder of :func:`aecomp.corpora.mini.build`)."""
    from aecomp.corpora.mini import _rng

    size = SIZES[size_name]
    voices = session_voices(seed)
    jobs = []
    for (n, g), voice in voices.items():
        codes = turn_codes(size["turns"], _rng(seed, f"ser-codes-{n}{g}"))
        jobs.append((n, g, voice, codes))
    iemocap = out / "IEMOCAP_full_release"

    def make(job) -> List[Tuple[str, str, str, float]]:
        n, g, voice, codes = job
        rng = _rng(seed, f"ser-turns-{n}{g}")
        from aecomp.corpora.mini import sentences

        texts = [s.lower() for s in sentences(len(codes), rng)]
        plans = [_plan(EMOTIONS[DROPPED_AS.get(c, c)], rng) for c in codes]
        spoken = synthesize(voice, [(_with_pauses(t, p["pause"], rng), p["pitch"], p["rate"])
                                    for t, p in zip(texts, plans)])
        tilt, floor = float(rng.uniform(-0.2, 0.5)), float(rng.uniform(0.0, 0.9))
        turns = []
        for k, (code, text, plan, (wav, rate)) in enumerate(zip(codes, texts, plans, spoken)):
            dialog = _dialog(n, k)
            utt = f"{dialog}_{g}{k:03d}"
            audio = _render(resample(trim_silence(wav), rate, SAMPLE_RATE), plan, tilt, floor, rng)
            write_audio(iemocap / f"Session{n}" / "sentences" / "wav" / dialog / f"{utt}.wav", audio, SAMPLE_RATE)
            turns.append((utt, code, text, len(audio) / SAMPLE_RATE))
        return turns

    with ThreadPoolExecutor(max(1, nj)) as pool:
        done = list(pool.map(make, jobs))
    by_dialog: Dict[Tuple[int, str], list] = {}
    for (n, *_), turns in zip(jobs, done):
        for turn in turns:
            by_dialog.setdefault((n, turn[0].rsplit("_", 1)[0]), []).append(turn)
    for (n, dialog), turns in sorted(by_dialog.items()):
        turns.sort(key=lambda t: (int(t[0][-3:]), t[0]))  # F and M alternate, as in a conversation
        timed, trans, clock = [], [], 2.0
        for utt, code, text, seconds in turns:
            timed.append((utt, code, clock, clock + seconds))
            trans.append(f"{utt} [{clock:08.4f}-{clock + seconds:08.4f}]: {text.capitalize()}.\n")
            clock += seconds + 0.5
        session = iemocap / f"Session{n}" / "dialog"
        write_evaluation(session / "EmoEvaluation" / f"{dialog}.txt", timed)
        atomic_write_text(session / "transcriptions" / f"{dialog}.txt", "".join(trans))
    atomic_write_text(iemocap / "README.txt", "Synthetic emotional speech of the aecomp mini corpus "
                      "(local synthesisers, per-emotion prosody), in the IEMOCAP_full_release layout.\n" + "".join(
                          f"Ses0{n}{g}: {v.describe()}\n" for (n, g), v in sorted(voices.items())))
    _build_esc50(out / "ESC-50-master", size, seed)
    _build_musan(out / "musan", size, seed)
    counts: Dict[str, int] = {}
    for *_, codes in jobs:
        for c in codes:
            counts[c] = counts.get(c, 0) + 1
    log.info("mini corpus: wrote %d emotional turns (10 speakers; %s)", sum(counts.values()),
             ", ".join(f"{c} {counts.get(c, 0)}" for c in CODE_SHARE))


def session_voices(seed: int) -> Dict[Tuple[int, str], Voice]:
    """The voice of each speaker, ``(session, "F"|"M") -> Voice``, deterministic for ``seed``."""
    from aecomp.corpora.mini import _rng

    rng = _rng(seed, "ser-voices")
    f_espeak = iter(rng.permutation(len(ESPEAK_F)))
    m_espeak = iter(rng.permutation(len(ESPEAK_M)))
    out = {}
    for n, engines in zip(range(1, 6), ENGINES):
        for g, engine in zip("FM", engines):
            if engine == "espeak-ng":
                variant = ESPEAK_F[next(f_espeak)] if g == "F" else ESPEAK_M[next(m_espeak)]
                accent = ACCENTS[int(rng.integers(len(ACCENTS)))]
                out[(n, g)] = Voice(engine, f"{accent}+{variant}", int(rng.integers(35, 65)),
                                    int(rng.integers(145, 175)), float(rng.uniform(0.96, 1.04)))
                continue
            voices = FLITE_VOICES if engine == "flite" else FESTIVAL_VOICES
            names = sorted(v for v in voices if ("slt" in v) == (g == "F"))
            name = names[int(rng.integers(len(names)))]
            out[(n, g)] = Voice(engine, name, round(voices[name] * float(rng.uniform(0.9, 1.1)), 1),
                                round(float(rng.uniform(0.9, 1.1)), 3), float(rng.uniform(0.96, 1.04)))
    return out


def turn_codes(n: int, rng: np.random.Generator) -> List[str]:
    """``n`` emotion codes in the shares of :data:`CODE_SHARE` (rounded, at least one of each 4-class
    code), shuffled."""
    counts = {c: max(1, int(round(share * n))) if c in ("neu", "hap", "exc", "sad", "ang") else
              int(round(share * n)) for c, share in CODE_SHARE.items()}
    counts["neu"] += n - sum(counts.values())
    return [str(c) for c in rng.permutation([c for c, k in counts.items() for _ in range(k)])]


def _plan(emo: Prosody, rng: np.random.Generator) -> Dict[str, float]:
    """The prosody of one turn: the emotion's means with turn-to-turn spread (:data:`JITTER`)."""
    j = JITTER
    return dict(pitch=emo.pitch * float(np.exp(rng.normal(0, j["pitch"]))),
                range=emo.range * float(np.exp(rng.normal(0, j["range"]))),
                rate=emo.rate * float(np.exp(rng.normal(0, j["rate"]))),
                gain=emo.gain * float(np.exp(rng.normal(0, j["gain"]))),
                tilt=emo.tilt + float(rng.normal(0, j["tilt"])),
                drive=max(0.0, emo.drive + float(rng.normal(0, j["drive"]))),
                pause=float(np.clip(emo.pause + rng.normal(0, j["pause"]), 0.0, 0.6)))


def _with_pauses(text: str, p: float, rng: np.random.Generator) -> str:
    """``text`` with a comma (a pause every synthesiser makes) after each word with probability ``p``."""
    words = text.split()
    return " ".join(w + ("," if i < len(words) - 1 and rng.random() < p else "") for i, w in enumerate(words))


def _render(wav: np.ndarray, plan: Dict[str, float], tilt: float, floor_colour: float,
            rng: np.random.Generator) -> np.ndarray:
    """A synthesised turn with its intonation contour, voice quality and level, through the speaker's
    microphone and noise floor, with short silences around it."""
    wav = _contour(wav.astype(np.float64), plan["range"], rng)
    t = float(np.clip(plan["tilt"], -0.8, 0.8))
    wav = lfilter([1.0, -t], [1.0], wav) if t > 0 else lfilter([1.0 + t], [1.0, t], wav)  # brighter / darker
    wav = wav / max(np.abs(wav).max(), 1e-6)
    if plan["drive"] > 0:  # a pressed voice: soft saturation adds harmonics
        wav = np.tanh((1.0 + plan["drive"]) * wav) / np.tanh(1.0 + plan["drive"])
    wav = lfilter([1.0, -tilt], [1.0], wav)
    level = float(np.clip(0.25 * plan["gain"], 0.05, 0.95))
    wav = wav * (level / max(np.abs(wav).max(), 1e-6))
    lead, tail = (int(rng.uniform(0.1, 0.3) * SAMPLE_RATE) for _ in range(2))
    clip = np.concatenate([np.zeros(lead), wav, np.zeros(tail)])
    rms = np.sqrt(np.mean(wav ** 2)) if wav.size else 0.0
    floor = lfilter([1.0], [1.0, -floor_colour], rng.standard_normal(len(clip)))
    floor *= rms * 10 ** (-rng.uniform(40.0, 55.0) / 20) / max(np.sqrt(np.mean(floor ** 2)), 1e-12)
    return (clip + floor).astype(np.float32)


def _contour(wav: np.ndarray, depth: float, rng: np.random.Generator) -> np.ndarray:
    """A slow pitch contour: the samples read at a rate that swings by about ``3 % * depth`` around 1
    (pitch, formants and timing move together, as in a time-varying resampling)."""
    n = len(wav)
    if n < 2:
        return wav
    t = np.arange(n) / SAMPLE_RATE
    swing = sum(rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * rng.uniform(0.5, 3.0) * t + rng.uniform(0, 2 * np.pi))
                for _ in range(3)) / 2.0
    speed = np.clip(1.0 + 0.03 * depth * swing, 0.7, 1.3)
    pos = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    pos = pos[pos <= n - 1]
    return np.interp(pos, np.arange(n), wav)


def _dialog(n: int, k: int) -> str:
    """The dialog of turn ``k`` of a speaker of session ``n``: three dialogs per session, as the release
    names them (lead speaker's gender, improvised or scripted)."""
    return (f"Ses0{n}F_impro01", f"Ses0{n}M_impro02", f"Ses0{n}F_script01_1")[k % 3]


def _build_esc50(out: Path, size: dict, seed: int) -> None:
    from aecomp.corpora.mini import _rng

    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for fold in range(1, 6):
        for target, (category, kind) in sorted(ESC50_CLASSES.items()):
            for c in range(size["esc_clips"]):
                src = 100000 + 1000 * fold + 10 * target + c
                rng = _rng(seed, f"esc50-{fold}-{target}-{c}")
                audio = synthetic_noise.GENERATORS[kind](rng, 5 * ESC50_RATE, ESC50_RATE)
                name = f"{fold}-{src}-A-{target}.wav"
                write_audio(out / "audio" / name, (audio * min(1.0, 0.9 / np.abs(audio).max())).astype(np.float32),
                            ESC50_RATE)
                rows.append(f"{name},{fold},{target},{category},False,{src},A")
    atomic_write_text(out / "meta" / "esc50.csv", "\n".join(rows) + "\n")
    atomic_write_text(out / "README.md", "Synthetic stand-in of ESC-50 (aecomp mini corpus): classes "
                      f"{', '.join(c for c, _ in ESC50_CLASSES.values())}, 5-s clips at 44.1 kHz.\n")


def _build_musan(out: Path, size: dict, seed: int) -> None:
    from aecomp.corpora.mini import _rng, sentences

    n = int(size["musan_seconds"] * SAMPLE_RATE)
    for source, kinds in MUSAN_SOURCES.items():
        notes = []
        for kind in kinds:
            for k in range(size["musan"]):
                rng = _rng(seed, f"musan-{source}-{kind}-{k}")
                if kind == "babble":  # four talkers of BABBLE_VOICES at once
                    talkers = []
                    for i in rng.choice(len(BABBLE_VOICES), size=4, replace=False):
                        [(wav, rate)] = synthesize(BABBLE_VOICES[i], [(" ".join(sentences(2, rng)).lower(), 1.0, 1.0)])
                        talkers.append(resample(wav, rate, SAMPLE_RATE))
                    audio = synthetic_noise.babble(rng, n, SAMPLE_RATE, talkers)
                else:
                    audio = synthetic_noise.GENERATORS[kind](rng, n, SAMPLE_RATE)
                name = f"noise-{source}-{kind}-{k:04d}"
                write_audio(out / "noise" / source / f"{name}.wav",
                            (audio * min(1.0, 0.9 / np.abs(audio).max())).astype(np.float32), SAMPLE_RATE)
                notes.append(f"{name} {kind} synthetic\n")
        atomic_write_text(out / "noise" / source / "ANNOTATIONS", "".join(notes))
        atomic_write_text(out / "noise" / source / "LICENSE", "Synthetic (aecomp mini corpus).\n")
    atomic_write_text(out / "README", "Synthetic stand-in of MUSAN's noise part (aecomp mini corpus).\n")
