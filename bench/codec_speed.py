"""Codec corruption speed: in-process (PyAV) against ffmpeg subprocesses and a coded-copy cache.

On-the-fly codec corruption (``data.corruptions`` with a ``codec``) must not stall training.
Three ways to get coded audio, each timed on the same 2-s speech-like clips, in seconds of
audio per CPU second (x real time per core; CPU time of this process and its children, so
the load of other processes on the machine counts less than in wall time), resampling to the
codec's rate and back included:

- ``pyav``: encode and decode in-process with PyAV's ffmpeg libraries (what
  ``aecomp.corruptions.codec`` does for every codec PyAV has);
- ``ffmpeg``: two ffmpeg subprocesses per clip (encode to a file, decode from it), what it
  does for the codecs PyAV lacks (gsm, speex, codec2) and LC3 (elc3/dlc3);
- ``cache``: reading a decoded copy back from disk (a cache of each utterance at each
  codec/bitrate, made once, read every epoch). Only deterministic corruptions of the clean
  utterance can be cached: not a codec after random noise (a chain), nor after a random crop.

    tools/venv/bin/python bench/codec_speed.py [--clips 6]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from aecomp.corruptions.codec import Codec, in_process
from common import result

SR, SECONDS = 16000, 2.0
IN_PROCESS = [("mp3", 64), ("aac", 32), ("opus", 24), ("sbc", 128), ("g722", 64)]
PROGRAM_ONLY = [("gsm", 13), ("speex", 16), ("codec2", 3.2), ("lc3", 32)]


def clips(n: int) -> list:
    """``n`` speech-like clips ``[T]``: harmonics of a gliding pitch under a syllable envelope, plus noise."""
    t = np.arange(int(SECONDS * SR)) / SR
    out = []
    for i in range(n):
        rng = np.random.default_rng(i)
        f0 = rng.uniform(90, 220) * (1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        wav = sum(np.sin(k * phase) / k for k in range(1, 20)) * (1 - np.cos(2 * np.pi * 4 * t)) / 2
        wav = wav + 0.01 * rng.standard_normal(len(t))
        out.append((0.3 * wav / np.abs(wav).max()).astype(np.float32))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (microsecond resolution)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def x_real_time(fn, wavs, repeats: int = 1) -> float:
    """Seconds of audio per CPU second of ``fn(wav)`` over ``wavs``, ``repeats`` times."""
    fn(wavs[0])  # warm up (imports, codec libraries)
    start = cpu_seconds()
    for _ in range(repeats):
        for wav in wavs:
            fn(wav)
    return repeats * len(wavs) * SECONDS / (cpu_seconds() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=6, help="2-s clips per codec and method")
    args = parser.parse_args()
    wavs = clips(args.clips)
    pyav, ffmpeg, cache = [], [], []
    with tempfile.TemporaryDirectory(prefix="aecomp-bench-codec-") as tmp:
        print(f"{args.clips} clips of {SECONDS:g} s at {SR} Hz; x real time per core (audio s / CPU s)")
        print(f"{'codec':<20} {'pyav':>8} {'ffmpeg':>8} {'cache':>8}   (ffmpeg: elc3/dlc3 for lc3)")
        for name, kbps in IN_PROCESS + PROGRAM_ONLY:
            codec = Codec(name, kbps, sample_rate=SR)
            row = {"ffmpeg": x_real_time(lambda w: codec.code(w, SR, via="ffmpeg"), wavs)}
            if (name, kbps) in IN_PROCESS and in_process(codec.spec.encoder):
                row["pyav"] = x_real_time(lambda w: codec.code(w, SR, via="pyav"), wavs)
                pyav.append(row["pyav"])
                ffmpeg.append(row["ffmpeg"])
            paths = []
            for i, wav in enumerate(wavs):  # the cache, made once
                paths.append(Path(tmp) / f"{name}_{i}.wav")
                sf.write(paths[-1], codec.code(wav, SR), SR, subtype="FLOAT")
            files = iter(paths * 21)
            row["cache"] = x_real_time(lambda w: sf.read(next(files), dtype="float32"), wavs, repeats=20)
            cache.append(row["cache"])
            print(f"{codec.describe():<20} " + " ".join(f"{row[k]:>8.0f}" if k in row else f"{'-':>8}"
                                                    for k in ("pyav", "ffmpeg", "cache")))
    med = lambda xs: float(np.median(xs))
    print(f"medians over the codecs PyAV has: pyav {med(pyav):.0f}, ffmpeg {med(ffmpeg):.0f}; "
          f"cache over all codecs {med(cache):.0f} x real time per core")
    print("aecomp codes in-process (PyAV) where PyAV has the encoder, else through the programs; no cache: "
          "it would serve only codecs applied to the clean, uncropped utterance (see the docstring)")
    result("codec_pyav_x_realtime_per_core", med(pyav), "{:.0f}")
    result("codec_ffmpeg_x_realtime_per_core", med(ffmpeg), "{:.0f}")
    result("codec_cache_x_realtime_per_core", med(cache), "{:.0f}")
    result("codec_pyav_over_ffmpeg_speed", med(pyav) / med(ffmpeg), "{:.1f}")


if __name__ == "__main__":
    main()
