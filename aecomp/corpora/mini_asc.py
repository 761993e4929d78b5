"""Part ``asc`` of the mini corpus: 10 synthetic acoustic scenes in the DCASE2020 Task 1A layout.

Each scene is a mixture of sound sources whose character differs the way real scenes
do: street traffic is rumble, passing cars and horns; a park is birds, wind and distant
traffic; a bus is engine hum and announcements; a metro is motor whine and rail
clatter; an airport, a metro station and a shopping mall are crowd babble in a large
room with announcements (made with local voices, :mod:`aecomp.audio.tts`) or music.
Every scene has several recording locations, each with its own mixing levels, source
parameters and room colour; clips are recorded by simulated devices (``a`` flat, the
others filters and noise floors, as the real corpus's phones and action cameras).
Locations are split between ``fold1_train`` and ``fold1_evaluate`` as in the real
corpus, so the real parser (:mod:`aecomp.corpora.dcase2020`) reads it and carves dev
by location.

Sample rate :data:`SAMPLE_RATE` (16 kHz, like the rest of the mini corpus, not the
real 44.1 kHz) and :data:`SIZES` ``clip_seconds`` (4 s at the default size, not 10 s)
keep the recipe within its time budget on a CPU.
"""

from __future__ import annotations

import logging
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import numpy as np
from scipy.signal import butter, fftconvolve, lfilter

from aecomp.audio.io import resample, write_audio
from aecomp.corpora import synthetic_noise as sn
from aecomp.corpora.dcase2020 import SCENES
from aecomp.fs import atomic_write_text

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
ROOT = "TAU-urban-acoustic-scenes-2020-mobile-development"
CITIES = ("barcelona", "helsinki", "lisbon", "london", "lyon", "milan", "paris", "prague", "stockholm", "vienna")
#: device -> share of the clips it records (a dominates, as in the real corpus)
DEVICES = {"a": 0.55, "b": 0.15, "c": 0.15, "s1": 0.05, "s2": 0.05, "s3": 0.05}
#: per scene: locations in fold1_train and fold1_evaluate, clips (segments) per location, clip length
SIZES = {
    "default": dict(train_locations=4, test_locations=2, segments=6, clip_seconds=4.0, talkers=6),
    "debug": dict(train_locations=3, test_locations=1, segments=3, clip_seconds=2.0, talkers=2),
}
ANNOUNCEMENTS = ("the next stop is central station", "please mind the gap between the train and the platform",
                 "flight seven four two is now boarding at gate nine", "attention please the store closes in ten minutes",
                 "this train terminates here please take all your belongings")


def build_asc(out: Path, size_name: str, seed: int, nj: int) -> None:
    """Write the scene corpus under ``out/`` (the mini corpus's part folder)."""
    size = SIZES[size_name]
    root = out / ROOT
    (root / "audio").mkdir(parents=True)
    (root / "evaluation_setup").mkdir()
    voices = _voices(size["talkers"], seed)
    n = int(size["clip_seconds"] * SAMPLE_RATE)
    plan = []
    for si, scene in enumerate(SCENES):
        for k in range(size["train_locations"] + size["test_locations"]):
            split = "train" if k < size["train_locations"] else "evaluate"
            city = CITIES[(si + 3 * k) % len(CITIES)]
            plan += [(scene, city, 100 * si + k, seg, split) for seg in range(size["segments"])]

    def make(item):
        scene, city, loc, seg, split = item
        loc_rng = _rng(seed, f"location-{scene}-{loc}")  # the same for every clip of the location
        clip_rng = _rng(seed, f"clip-{scene}-{loc}-{seg}")
        device = str(clip_rng.choice(list(DEVICES), p=list(DEVICES.values())))
        audio = _device(_scene(scene, loc_rng, clip_rng, n, voices), device, clip_rng)
        name = f"audio/{scene}-{city}-{loc}-{seg}-{device}.wav"
        write_audio(root / name, audio, SAMPLE_RATE, subtype="PCM_24")
        return name, scene, f"{city}-{loc}", device, split

    with ThreadPoolExecutor(max(1, nj)) as pool:
        rows = list(pool.map(make, plan))
    atomic_write_text(root / "meta.csv", "filename\tscene_label\tidentifier\tsource_label\n"
                      + "".join(f"{f}\t{s}\t{i}\t{d}\n" for f, s, i, d, _ in rows))
    for split in ("train", "evaluate"):
        atomic_write_text(root / "evaluation_setup" / f"fold1_{split}.csv", "filename\tscene_label\n"
                          + "".join(f"{f}\t{s}\n" for f, s, _, _, sp in rows if sp == split))
    atomic_write_text(root / "evaluation_setup" / "fold1_test.csv",
                      "filename\n" + "".join(f"{f}\n" for f, *_, sp in rows if sp == "evaluate"))
    atomic_write_text(root / "README.md", (
        f"Synthetic acoustic scenes of the aecomp mini corpus in the DCASE2020 Task 1A development layout: "
        f"{len(SCENES)} scenes x {size['train_locations'] + size['test_locations']} locations x {size['segments']} "
        f"clips of {size['clip_seconds']:g} s at {SAMPLE_RATE} Hz (not 10 s at 44.1 kHz), devices "
        f"{', '.join(DEVICES)}.\n"))
    log.info("mini corpus: wrote %d scene clips (%d scenes, %d s, %d Hz)", len(rows), len(SCENES),
             size["clip_seconds"], SAMPLE_RATE)


# -- sources: (rng, n, sr) -> [n] float64 at unit-ish RMS ---------------------------------------------
def birds(rng, n, sr):
    """Chirps: short upward or downward FM sweeps at 2-7 kHz in bursts."""
    x = np.zeros(n)
    for _ in range(int(rng.uniform(3, 10) * n / sr)):
        start, length = int(rng.integers(0, n)), int(sr * rng.uniform(0.03, 0.15))
        m = min(length, n - start)
        tt = np.arange(m) / sr
        f0, f1 = rng.uniform(2000, 7000, size=2)
        phase = 2 * np.pi * np.cumsum(f0 + (f1 - f0) * tt / max(tt[-1] if m else 1, 1e-3)) / sr
        x[start:start + m] += np.sin(phase) * np.hanning(m) * rng.uniform(0.3, 1.0)
    return sn._normalise(x + 1e-3 * rng.standard_normal(n))


def engine(rng, n, sr):
    """A diesel engine: low harmonic hum (25-45 Hz) with firing pulses, idling and revving."""
    t = np.arange(n) / sr
    f0 = rng.uniform(25, 45) * (1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase) / k ** 0.7 for k in range(1, 20))
    rumble = lfilter([1.0], [1.0, -0.995], rng.standard_normal(n))
    return sn._normalise(sn._normalise(x) + 0.5 * sn._normalise(rumble))


def motor_whine(rng, n, sr):
    """An electric train's traction motor: a tone sweeping with speed, two harmonics, over rumble."""
    t = np.arange(n) / sr
    f = rng.uniform(300, 900) + rng.uniform(100, 500) * np.sin(2 * np.pi * rng.uniform(0.03, 0.1) * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(f) / sr
    rumble = lfilter([1.0], [1.0, -0.99], rng.standard_normal(n))
    return sn._normalise(sn._normalise(np.sin(phase) + 0.5 * np.sin(3 * phase)) + sn._normalise(rumble))


def rail_clatter(rng, n, sr):
    """Wheels over rail joints: pairs of low thumps at a steady period."""
    x = np.zeros(n)
    period, gap = rng.uniform(0.5, 1.0), rng.uniform(0.08, 0.15)
    thump = np.exp(-np.arange(int(0.05 * sr)) / (0.01 * sr)) * np.sin(2 * np.pi * 120 * np.arange(int(0.05 * sr)) / sr)
    for start in np.arange(rng.uniform(0, period), n / sr, period):
        for s in (start, start + gap):
            i = int(s * sr)
            m = min(len(thump), n - i)
            if m > 0:
                x[i:i + m] += thump[:m]
    return sn._normalise(x + 0.05 * sn.pink(rng, n, sr))


def bell(rng, n, sr):
    """A tram bell: one or two decaying inharmonic strikes."""
    x = np.zeros(n)
    for _ in range(rng.integers(1, 3)):
        i = int(rng.integers(0, max(1, n - sr // 2)))
        tt = np.arange(n - i) / sr
        f = rng.uniform(900, 1500)
        x[i:] += sum(np.sin(2 * np.pi * f * r * tt) / r for r in (1.0, 2.76, 5.4)) * np.exp(-tt / 0.4)
    return sn._normalise(x + 1e-3 * rng.standard_normal(n))


def footsteps(rng, n, sr):
    """Walking: soft broadband impacts about twice a second, several walkers."""
    x = np.zeros(n)
    for _ in range(rng.integers(2, 5)):
        step = rng.uniform(0.45, 0.6)
        for s in np.arange(rng.uniform(0, step), n / sr, step):
            i, m = int(s * sr), int(0.04 * sr)
            m = min(m, n - i)
            x[i:i + m] += rng.standard_normal(m) * np.exp(-np.arange(m) / (0.006 * sr)) * rng.uniform(0.3, 1.0)
    return sn._normalise(lfilter([1.0], [1.0, -0.6], x))


# -- scenes ----------------------------------------------------------------------------------------
#: scene -> (source, base level in dB, 'loc' or 'clip' rng: a location's fixed character or per-clip events)
RECIPES = {
    "airport": [("babble", 0), ("announce", -3), ("hum", -12), ("clatter", -14)],
    "bus": [("engine", 0), ("announce", -8), ("babble", -10)],
    "metro": [("motor", 0), ("rail", -4), ("babble", -14)],
    "metro_station": [("babble", 0), ("announce", -2), ("rail", -10), ("motor", -14)],
    "park": [("birds", 0), ("wind", -4), ("traffic", -16)],
    "public_square": [("babble", -2), ("footsteps", -4), ("traffic", -8), ("birds", -12), ("rain", -14)],
    "shopping_mall": [("babble", 0), ("music", -6), ("footsteps", -10), ("fan", -14)],
    "street_pedestrian": [("footsteps", 0), ("babble", -3), ("traffic", -7)],
    "street_traffic": [("traffic", 0), ("engine", -8), ("wind", -14)],
    "tram": [("motor", 0), ("bell", -6), ("rail", -8), ("babble", -12)],
}
#: scenes recorded indoors in a large hall: a longer reverberant tail
HALLS = ("airport", "metro_station", "shopping_mall")


def _scene(scene: str, loc_rng, clip_rng, n: int, voices: Dict[str, List[np.ndarray]]) -> np.ndarray:
    sr = SAMPLE_RATE
    sources = {"birds": birds, "engine": engine, "motor": motor_whine, "rail": rail_clatter, "bell": bell,
               "footsteps": footsteps, **sn.GENERATORS}
    seed = int(loc_rng.integers(2 ** 31))  # the location's sources: parameters fixed, offsets per clip
    x = np.zeros(n)
    for name, level in RECIPES[scene]:
        gain = 10 ** ((level + loc_rng.uniform(-3, 3)) / 20)
        if name == "babble":
            talkers = [voices["talk"][int(i)] for i in clip_rng.choice(len(voices["talk"]), size=min(
                len(voices["talk"]), int(loc_rng.integers(2, 5))), replace=False)]
            src = sn.babble(clip_rng, n, sr, talkers)
        elif name == "announce":
            src = _announcement(voices["announce"][int(clip_rng.integers(len(voices["announce"])))], clip_rng, n)
        else:
            # the location's own source (the same engine, the same birds' songs), heard from a random offset
            long = sources[name](_rng(seed, name), 2 * n, sr)
            start = int(clip_rng.integers(0, n))
            src = long[start:start + n]
        x += gain * src
    x = _room(x, loc_rng, hall=scene in HALLS)
    return x * (10 ** (clip_rng.uniform(-26, -16) / 20) / max(np.sqrt(np.mean(x ** 2)), 1e-9))


def _announcement(voice: np.ndarray, rng, n: int) -> np.ndarray:
    """A public-address announcement: telephone-band speech at a random time of the clip."""
    b, a = butter(2, [300, 3400], btype="band", fs=SAMPLE_RATE)
    speech = lfilter(b, a, voice)[:n]
    out = np.zeros(n)
    start = int(rng.integers(0, max(1, n - len(speech) // 2)))
    m = min(len(speech), n - start)
    out[start:start + m] = speech[:m]
    return sn._normalise(out + 1e-4 * rng.standard_normal(n))


def _room(x: np.ndarray, rng, hall: bool) -> np.ndarray:
    """The location's room: a colouring filter and an exponentially decaying diffuse tail."""
    rt60 = rng.uniform(1.0, 2.0) if hall else rng.uniform(0.05, 0.3)
    m = int(rt60 * SAMPLE_RATE)
    tail = rng.standard_normal(m) * np.exp(-6.9 * np.arange(m) / m)
    tail[0] = 1.0 / (0.3 if hall else 0.1)
    y = fftconvolve(x, tail / np.sqrt(np.sum(tail ** 2)))[:len(x)]  # up to 2-s tails: direct convolution took 2/3 of the build
    f = rng.uniform(200, 3000)
    r = rng.uniform(0.5, 0.9)
    return lfilter([1.0, -r * np.cos(2 * np.pi * f / SAMPLE_RATE)], [1.0], y)


def _device(x: np.ndarray, device: str, rng) -> np.ndarray:
    """A recording device: ``a`` flat; the others band limits, a tilt or a resonance, and a noise floor."""
    sr = SAMPLE_RATE
    filters = {"b": butter(2, [150, 6000], btype="band", fs=sr), "c": butter(3, 4500, btype="low", fs=sr),
               "s1": butter(2, [300, 7000], btype="band", fs=sr), "s2": ([1.0, -0.7], [1.0]),
               "s3": butter(2, 3000, btype="low", fs=sr)}
    if device in filters:
        b, a = filters[device]
        x = lfilter(b, a, x)
        x = x + np.sqrt(np.mean(x ** 2)) * 10 ** (-rng.uniform(30, 45) / 20) * rng.standard_normal(len(x))
    return np.clip(x, -0.99, 0.99).astype(np.float32)


def _voices(talkers: int, seed: int) -> Dict[str, List[np.ndarray]]:
    """Speech of local voices at :data:`SAMPLE_RATE`: ``talk`` (sentences of espeak-ng speakers for babble)
    and ``announce`` (the :data:`ANNOUNCEMENTS`)."""
    from aecomp.audio.tts import synthesize, trim_silence
    from aecomp.corpora.mini import sentences, speakers

    pool = [s for s in speakers("default", seed) if s.split == "babble" and s.voice.engine == "espeak-ng"]
    rng = _rng(seed, "asc-voices")
    talk = []
    for spk in pool[:talkers]:
        [(wav, rate)] = synthesize(spk.voice, [(" ".join(sentences(3, rng)).lower(), 1.0, 1.0)])
        talk.append(resample(trim_silence(wav), rate, SAMPLE_RATE).astype(np.float64))
    speaker = pool[-1]
    announce = [resample(trim_silence(w), r, SAMPLE_RATE).astype(np.float64)
                for w, r in synthesize(speaker.voice, [(text, 1.0, 0.9) for text in ANNOUNCEMENTS])]
    return {"talk": talk, "announce": announce}


def _rng(seed: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])
