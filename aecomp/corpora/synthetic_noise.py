"""Synthetic noise recordings for the mini corpus, each from a seeded generator.

Every generator has the signature ``(rng, n_samples, sample_rate) -> [T]``
float64 and returns audio normalised to a fixed RMS. The types cover
stationary broadband (white, pink), tonal machinery (hum), ventilation (fan),
impulsive (clatter, rain), speech-like (babble), and, held out of training,
musical notes (music), sweeping tones over traffic rumble (siren), passing
cars with horns (traffic) and gusts (wind).
"""

from __future__ import annotations

from typing import Callable, Dict, List

import numpy as np
from scipy.signal import lfilter

RMS = 0.1


def _normalise(x: np.ndarray) -> np.ndarray:
    rms = np.sqrt(np.mean(x ** 2))
    return x * (RMS / rms) if rms > 0 else x


def white(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    return _normalise(rng.standard_normal(n))


def pink(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    return _normalise(np.fft.irfft(spec, n))


def hum(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Machinery: a harmonic series on a 50-140 Hz fundamental, slowly modulated, over pink noise."""
    t = np.arange(n) / sr
    f0 = rng.uniform(50, 140)
    x = np.zeros(n)
    for k in range(1, int(4000 / f0)):
        x += rng.uniform(0.3, 1.0) / k * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    x *= 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 2.0) * t)
    return _normalise(_normalise(x) + 0.3 * pink(rng, n, sr))


def clatter(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Dishes and cutlery: random impacts ringing at 1-6 kHz, over a low background."""
    x = 0.05 * pink(rng, n, sr)
    rate = rng.uniform(3.0, 8.0)
    for start in np.cumsum(rng.exponential(sr / rate, size=int(3 * rate * n / sr) + 1)).astype(int):
        if start >= n:
            break
        length = min(int(sr * rng.uniform(0.05, 0.3)), n - start)
        tt = np.arange(length) / sr
        event = np.zeros(length)
        for _ in range(rng.integers(2, 5)):
            event += np.sin(2 * np.pi * rng.uniform(1000, 6000) * tt) * np.exp(-tt / rng.uniform(0.01, 0.08))
        x[start:start + length] += rng.uniform(0.2, 1.0) * event
    return _normalise(x)


def music(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Notes of a pentatonic scale with harmonics and envelopes, two or three voices."""
    scale = 220.0 * 2 ** (np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21]) / 12)
    x = np.zeros(n)
    for _ in range(rng.integers(2, 4)):
        pos = 0
        while pos < n:
            length = min(int(sr * rng.uniform(0.15, 0.6)), n - pos)
            tt = np.arange(length) / sr
            f = rng.choice(scale) * rng.choice([0.5, 1.0, 2.0])
            note = sum(np.sin(2 * np.pi * k * f * tt) / k ** 1.5 for k in range(1, 6) if k * f < sr / 2)
            env = np.minimum(1.0, tt / 0.01) * np.exp(-tt / rng.uniform(0.1, 0.5))
            x[pos:pos + length] += note * env
            pos += length
    return _normalise(x)


def siren(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A wailing two-harmonic siren over low-passed traffic rumble."""
    t = np.arange(n) / sr
    fc, depth, fm = rng.uniform(600, 1100), rng.uniform(150, 400), rng.uniform(0.2, 1.5)
    phase = 2 * np.pi * np.cumsum(fc + depth * np.sin(2 * np.pi * fm * t)) / sr
    tone = np.sin(phase) + 0.4 * np.sin(2 * phase)
    rumble = lfilter([1.0], [1.0, -0.98], rng.standard_normal(n))
    return _normalise(_normalise(tone) + 0.7 * _normalise(rumble))


def fan(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Ventilation: broadband air noise through one or two resonances, with a blade-pass tone and its harmonics."""
    t = np.arange(n) / sr
    x = pink(rng, n, sr)
    for _ in range(rng.integers(1, 3)):  # duct resonances: two-pole band-pass filters
        f, r = rng.uniform(200, 2500), rng.uniform(0.95, 0.995)
        x = x + 0.5 * _normalise(lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / sr), r * r], white(rng, n, sr)))
    blade = rng.uniform(80, 300)
    tone = sum(np.sin(2 * np.pi * k * blade * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 4))
    return _normalise(_normalise(x) + rng.uniform(0.1, 0.4) * _normalise(tone))


def rain(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Rain on a surface: many short decaying drops (hundreds a second) over a high-passed hiss."""
    x = 0.3 * lfilter([1.0, -0.95], [1.0], white(rng, n, sr))
    drops = rng.uniform(200, 800) * n / sr
    starts = rng.integers(0, n, size=int(drops))
    length = int(0.004 * sr)
    tt = np.arange(length) / sr
    for start in starts:
        m = min(length, n - start)
        x[start:start + m] += rng.uniform(0.05, 1.0) * (rng.standard_normal(m) * np.exp(-tt[:m] / rng.uniform(0.0005, 0.002)))
    return _normalise(x)


def traffic(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """A street: low rumble, cars passing (swelling tyre noise) and an occasional horn."""
    t = np.arange(n) / sr
    x = _normalise(lfilter([1.0], [1.0, -0.99], rng.standard_normal(n)))
    tyres = _normalise(lfilter([1.0], [1.0, -0.7], rng.standard_normal(n)))
    for centre in rng.uniform(0, n / sr, size=max(1, int(rng.uniform(0.2, 0.6) * n / sr))):
        x += rng.uniform(0.5, 2.0) * tyres * np.exp(-((t - centre) / rng.uniform(0.8, 2.5)) ** 2)
    for start in rng.uniform(0, n / sr, size=rng.integers(0, 2 + int(n / sr / 10))):
        on = (t >= start) & (t < start + rng.uniform(0.2, 0.8))
        f = rng.uniform(300, 500)
        x[on] += 2.0 * (np.sign(np.sin(2 * np.pi * f * t[on])) + np.sign(np.sin(2 * np.pi * 1.26 * f * t[on])))
    return _normalise(x)


def wind(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Wind: low-passed noise whose level and brightness follow slow random gusts."""
    gust_rate = int(sr / 50)  # gust envelope at 50 Hz, smoothed
    env = lfilter([1.0], [1.0, -0.97], rng.standard_normal(n // gust_rate + 2))
    env = np.interp(np.arange(n) / gust_rate, np.arange(len(env)), np.abs(env) + 0.2)
    low = lfilter([1.0], [1.0, -0.995], rng.standard_normal(n))
    whistle = lfilter([1.0], [1.0, -0.9], rng.standard_normal(n))
    return _normalise(env * _normalise(low) + 0.3 * env ** 2 * _normalise(whistle))


def babble(rng: np.random.Generator, n: int, sr: int, talkers: List[np.ndarray]) -> np.ndarray:
    """Several talkers at once: each talker's speech ``[T]`` looped from a random offset."""
    x = np.zeros(n)
    for speech in talkers:
        speech = np.asarray(speech, dtype=np.float64)
        offset = int(rng.integers(0, len(speech)))
        reps = -(-(offset + n) // len(speech))
        x += _normalise(np.tile(speech, reps)[offset:offset + n]) * rng.uniform(0.5, 1.0)
    return _normalise(x)


#: noise types whose generator needs no speech; babble is built by the mini corpus from synthetic talkers
GENERATORS: Dict[str, Callable] = {
    "white": white, "pink": pink, "hum": hum, "clatter": clatter, "fan": fan, "rain": rain,
    "music": music, "siren": siren, "traffic": traffic, "wind": wind,
}
