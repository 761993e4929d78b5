"""Part ``wham`` of the mini corpus: two-talker mixtures in noise, at 8 kHz, in the generated WHAM! layout.

The speech is the mini corpus's LibriSpeech part (the local synthesised voices, speakers disjoint
between train, dev and test: ``train-clean-100`` makes ``tr``, ``dev-clean`` ``cv``, ``test-clean``
``tt``), the noise its noise bank (training recordings for ``tr`` and ``cv``, the test recordings of
the seen types for ``tt``). Each mixture draws, as WHAM!'s scripts do:

- two utterances of two different speakers of the split, each brought to the same active level,
  then at ``+g`` and ``-g`` dB with ``g`` uniform in [0, 2.5] (wsj0-2mix's 0-5 dB between speakers);
- ``min`` length: both cut to the shorter one;
- a noise segment at a random offset of a random recording, scaled so that the louder speaker is
  uniformly -6 to +3 dB above it;
- one common gain keeping every file within full scale.

Written as ``wham/wav8k/min/{tr,cv,tt}/{mix_both,mix_clean,mix_single,s1,s2,noise}/<name>.wav`` with
WHAM!'s names ``<utt1>_<g>_<utt2>_<-g>``, so :class:`aecomp.corpora.wham.Wham` prepares it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List

import numpy as np

from aecomp.audio.io import resample, write_audio
from aecomp.audio.mixing import energy, noise_segment
from aecomp.fs import atomic_write_text

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
#: mixtures per split
SIZES = {"default": {"tr": 600, "cv": 100, "tt": 150}, "debug": {"tr": 12, "cv": 4, "tt": 4}}
#: WHAM split -> the mini LibriSpeech subset its speakers come from, and the noise bank split
SOURCES = {"tr": ("train-clean-100", "train"), "cv": ("dev-clean", "train"), "tt": ("test-clean", "test")}
SPEAKER_GAIN_DB = 2.5        # each speaker at +-U(0, 2.5) dB: 0-5 dB apart
NOISE_SNR_DB = (-6.0, 3.0)   # the louder speaker against the noise
PEAK = 0.9


def build_wham(out: Path, size: str, seed: int, nj: int) -> None:
    """Build the part into ``out`` (the temporary folder that becomes ``<root>/wham``); the LibriSpeech
    and noise parts are built first where missing."""
    from aecomp.corpora import mini
    from aecomp.corpora.mini import SEEN_NOISE

    root = Path(out).parent
    mini.build(root, parts=("LibriSpeech", "noise"), size=size, seed=seed, nj=nj)
    for split, n in SIZES[size].items():
        subset, bank = SOURCES[split]
        utts = _utterances(root / "LibriSpeech" / subset)
        noises = [p for p in sorted((root / "noise" / bank).glob("*.wav")) if p.stem.rsplit("_", 1)[0] in SEEN_NOISE]
        rng = mini._rng(seed, f"wham-{split}")
        plans = [_plan(utts, noises, rng) for _ in range(n)]
        folder = out / "wav8k" / "min" / split
        cache: Dict[str, np.ndarray] = {}

        def load(path: Path) -> np.ndarray:
            key = str(path)
            if key not in cache:
                cache[key] = resample(_read(key), 16000, SAMPLE_RATE)
            return cache[key]

        for path in {p for plan in plans for p in (plan["a"], plan["b"], plan["noise"])}:
            load(path)

        def make(plan: dict) -> str:
            return _write_mixture(folder, plan, load(plan["a"]), load(plan["b"]), load(plan["noise"]))

        with ThreadPoolExecutor(max(1, nj)) as pool:
            names = list(pool.map(make, plans))
        if len(set(names)) != len(names):  # the same pair at the same gain: never with float gains, but say so
            raise RuntimeError(f"mini wham {split}: {len(names) - len(set(names))} duplicate mixture names")
        log.info("mini corpus: wham %s: %d mixtures from %d utterances of %d speakers (%s), noise from %d "
                 "recordings", split, n, len(utts), len({u.name.split('-')[0] for u in utts}), subset, len(noises))
    atomic_write_text(out / "README.md", (
        "Two-talker mixtures in noise of the aecomp mini corpus, 8 kHz, in the generated WHAM! layout "
        "(wav8k/min only). Speech: the mini LibriSpeech part; noise: the mini noise bank (seen types).\n"))


def _read(path: str) -> np.ndarray:
    import soundfile as sf

    wav, rate = sf.read(path, dtype="float32")
    if rate != 16000:
        raise RuntimeError(f"{path}: {rate} Hz; the mini corpus is at 16 kHz")
    return wav


def _utterances(subset: Path) -> List[Path]:
    return sorted(subset.glob("*/*/*.flac"))


def _plan(utts: List[Path], noises: List[Path], rng: np.random.Generator) -> dict:
    """One mixture's draws: two utterances of different speakers, the speaker gain, the noise."""
    speaker = [u.name.split("-")[0] for u in utts]
    a = int(rng.integers(len(utts)))
    others = [i for i, s in enumerate(speaker) if s != speaker[a]]
    b = others[int(rng.integers(len(others)))]
    return {"a": utts[a], "b": utts[b], "gain_db": float(rng.uniform(0, SPEAKER_GAIN_DB)),
            "snr_db": float(rng.uniform(*NOISE_SNR_DB)), "noise": noises[int(rng.integers(len(noises)))],
            "rng": np.random.default_rng(int(rng.integers(2 ** 32)))}


def _write_mixture(folder: Path, plan: dict, a: np.ndarray, b: np.ndarray, noise: np.ndarray) -> str:
    g = plan["gain_db"]
    n = min(len(a), len(b))
    a, b = (x[:n].astype(np.float64) for x in (a, b))
    s1 = a / _active_rms(a) * 10 ** (g / 20)
    s2 = b / _active_rms(b) * 10 ** (-g / 20)
    seg, _ = noise_segment(noise.astype(np.float64), n, plan["rng"])
    louder = max(energy(s1), energy(s2))
    seg = seg * np.sqrt(louder / (energy(seg) * 10 ** (plan["snr_db"] / 10)))
    parts = {"s1": s1, "s2": s2, "noise": seg, "mix_clean": s1 + s2, "mix_single": s1 + seg,
             "mix_both": s1 + s2 + seg}
    scale = PEAK / max(np.abs(x).max() for x in parts.values())
    name = f"{plan['a'].stem}_{g:.5f}_{plan['b'].stem}_{-g:.5f}"
    for sub, x in parts.items():
        write_audio(folder / sub / f"{name}.wav", (x * scale).astype(np.float32), SAMPLE_RATE)
    return name


def _active_rms(x: np.ndarray) -> float:
    """RMS over the samples within 40 dB of the peak (the speech, not the pauses around it)."""
    active = x[np.abs(x) > np.abs(x).max() * 1e-2]
    return float(np.sqrt(np.mean(active ** 2))) if active.size else 1.0
