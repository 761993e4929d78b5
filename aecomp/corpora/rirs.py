"""Room impulse responses (RIRs) simulated with pyroomacoustics' image method, and RIR data directories.

Reverberation is added by convolving speech with a RIR drawn from a bank (the
``reverb`` corruption), as Kaldi's RIRS_NOISES recipes do: simulating a room per
example would cost 0.05 s (RT60 0.3 s) to 1 s (RT60 0.9 s) each at 16 kHz.

A RIR bank is two data directories, ``rirs_train`` and ``rirs_test``, never
sharing a file, each with ``wav.scp`` and ``utt2rt60`` (the RT60 measured on the
response, in seconds).
"""

from __future__ import annotations

import logging
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from aecomp.audio.io import write_audio
from aecomp.data.datadir import write_datadir

log = logging.getLogger(__name__)

#: the image method's reflection order is capped here: beyond it a big, live room costs seconds per
#: response while the late tail it adds is below -60 dB in the rooms drawn
MAX_ORDER = 60


def simulate_rir(rng: np.random.Generator, sample_rate: int = 16000, rt60_range=(0.2, 0.9)) -> np.ndarray:
    """One RIR ``[T]`` of a random shoebox room (3-10 x 3-8 x 2.4-4 m), source and microphone at least 0.5 m
    from the walls and 1 m apart, whose measured RT60 is within 10 % of a target drawn from ``rt60_range``
    where three tries reach it (Sabine's formula sets the wall absorption; the image method's decay differs
    from Sabine's, so each try corrects the formula's target by the ratio missed). Peak-normalised
    (max |h| = 1: the direct path, unless a reflection adds up higher), cut where its energy decay falls
    below -60 dB."""
    while True:
        dims = np.array([rng.uniform(3, 10), rng.uniform(3, 8), rng.uniform(2.4, 4)])
        target = sabine = rng.uniform(*rt60_range)
        source, mic = (rng.uniform(0.5, dims - 0.5) for _ in range(2))
        if np.linalg.norm(source - mic) < 1.0:
            continue
        for _ in range(3):
            h = _image_method(dims, source, mic, sabine, sample_rate)
            if h is None:  # the room cannot be that dry: draw another
                break
            measured = measure_rt60(h, sample_rate)
            if abs(measured / target - 1) <= 0.1:
                return h
            sabine *= target / measured
        else:
            return h  # three tries: its measured RT60 is what the bank records


def _image_method(dims: np.ndarray, source: np.ndarray, mic: np.ndarray, sabine_rt60: float,
                  sample_rate: int) -> Optional[np.ndarray]:
    """The peak-normalised response ``[T]`` of a shoebox room with Sabine absorption for ``sabine_rt60``, cut at
    -60 dB of energy decay; None when no absorption gives that RT60 in this room."""
    import pyroomacoustics as pra

    try:
        absorption, order = pra.inverse_sabine(sabine_rt60, dims)
    except ValueError:
        return None
    room = pra.ShoeBox(dims, fs=sample_rate, materials=pra.Material(absorption), max_order=min(order, MAX_ORDER))
    room.add_source(source)
    room.add_microphone(mic)
    room.compute_rir()
    h = np.asarray(room.rir[0][0], dtype=np.float64)
    h = h / np.abs(h).max()
    decay = 10 * np.log10(np.maximum(np.cumsum((h ** 2)[::-1])[::-1] / np.sum(h ** 2), 1e-30))
    end = int(np.argmax(decay < -60.0)) if np.any(decay < -60.0) else len(h)
    return h[:max(end, 1)].astype(np.float32)


def measure_rt60(h: np.ndarray, sample_rate: int) -> float:
    """RT60 in seconds of the response ``h [T]``: pyroomacoustics' Schroeder-integration estimate from the
    -5 to -35 dB decay (T30), extrapolated to 60 dB."""
    from pyroomacoustics.experimental import measure_rt60 as schroeder

    with np.errstate(divide="ignore"):  # a response that does not decay: infinite
        return float(schroeder(np.asarray(h, dtype=np.float64), sample_rate, decay_db=30))


def simulate_rirs(out_dir: Path, n: int, seed: int, purpose: str, sample_rate: int = 16000,
                  rt60_range=(0.2, 0.9), rt60_targets: Optional[Sequence[float]] = None, nj: int = 2) -> List[Path]:
    """Write ``n`` RIRs to ``out_dir/<purpose>_<k:03d>.wav`` with RT60s drawn from ``rt60_range``, or, given
    ``rt60_targets``, response k aiming at target ``k mod len(rt60_targets)`` (a test bank with responses at
    every RT60 level of an evaluation grid). Response k draws from the generator ``[seed, crc32(purpose), k]``,
    so the same seed gives the same files whatever ``nj``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    def make(k: int) -> Path:
        rng = np.random.default_rng([seed, zlib.crc32(purpose.encode()), k])
        path = out_dir / f"{purpose}_{k:03d}.wav"
        span = rt60_range if rt60_targets is None else (rt60_targets[k % len(rt60_targets)],) * 2
        write_audio(path, simulate_rir(rng, sample_rate, span), sample_rate)
        return path

    with ThreadPoolExecutor(max(1, nj)) as pool:
        return list(pool.map(make, range(n)))


def write_rir_bank(train: Sequence[Path], test: Sequence[Path], out_dir: Path) -> Dict[str, Path]:
    """Write the data directories ``rirs_train`` and ``rirs_test`` (``wav.scp``, ``utt2rt60``) under
    ``out_dir``; a file in both is refused. Returns set name -> directory."""
    import soundfile as sf

    shared = {str(p) for p in train} & {str(p) for p in test}
    if shared:
        raise ValueError(f"room impulse responses in both train and test: {sorted(shared)[:3]}")
    out = {}
    for name, paths in (("rirs_train", train), ("rirs_test", test)):
        if not paths:
            raise ValueError(f"{name}: no room impulse responses")
        rt60 = {}
        for p in paths:
            h, rate = sf.read(str(p), dtype="float32")
            rt60[Path(p).stem] = f"{measure_rt60(h, rate):.3f}"
        out[name] = write_datadir(Path(out_dir) / name, {"wav.scp": {Path(p).stem: str(p) for p in paths},
                                                         "utt2rt60": rt60})
        values = sorted(float(v) for v in rt60.values())
        log.info("RIR bank: %s has %d responses, RT60 %.2f-%.2f s (median %.2f) -> %s", name, len(paths),
                 values[0], values[-1], values[len(values) // 2], out[name])
    return out
