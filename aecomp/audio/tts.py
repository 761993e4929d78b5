"""Speech synthesis with the local synthesisers Debian packages, for the built-in mini corpus.

Three engines, each a program run here with no network:

- ``espeak-ng``: formant synthesis; a voice is ``<accent>+<variant>`` (``en-gb+f3``), pitch on
  espeak's 0-99 scale;
- ``flite``: CMU Flite's voices ``kal16``, ``awb``, ``rms``, ``slt``; pitch is a target mean F0 in Hz
  (``rms`` ignores it);
- ``festival``: Festival's diphone voices ``kal_diphone``, ``ked_diphone`` (target mean F0 in Hz) and
  the HTS voice ``cmu_us_slt_arctic_hts`` (keeps its own F0).

A :class:`Voice` adds a speaking rate and a vocal-tract warp: the synthesised samples are read as if
recorded at ``warp`` times their rate (formants and pitch move up by ``warp``, the duration shrinks by
it), the resampling warp that makes many speakers out of one synthesiser voice.

All three are deterministic: the same text, voice and settings give the same samples on every run,
which makes the synthetic corpus reproducible byte for byte.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import soundfile as sf

from aecomp.errors import AecompError

#: the voices of each engine that the mini corpus uses, with their own mean F0 in Hz (espeak: None)
FLITE_VOICES = {"kal16": 95.0, "awb": 135.0, "rms": 105.0, "slt": 170.0}
FESTIVAL_VOICES = {"kal_diphone": 105.0, "ked_diphone": 115.0, "cmu_us_slt_arctic_hts": 175.0}
#: Debian package of each engine's program (and voices)
PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite",
            "festival": "festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts"}


class TTSError(AecompError, RuntimeError):
    """A synthesiser is missing or failed; the message says what to install or which call failed."""


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker.

    ``engine``: ``espeak-ng``, ``flite`` or ``festival``; ``name``: the engine's voice (``en-us+m3``,
    ``slt``, ``kal_diphone``); ``pitch``: espeak's 0-99 pitch, or a target mean F0 in Hz for flite and
    festival; ``rate``: the speaking rate, words per minute for espeak, a factor of the voice's own rate
    for the others; ``warp``: the vocal-tract (resampling) warp, 1.0 for none.
    """

    engine: str
    name: str
    pitch: float
    rate: float
    warp: float = 1.0

    def describe(self) -> str:
        return f"{self.engine} {self.name} pitch {self.pitch:g} rate {self.rate:g} warp {self.warp:.3f}"


#: one utterance to synthesise: (text, pitch factor, rate factor), the factors varying a take around the voice
Request = Tuple[str, float, float]


def binary(engine: str) -> str:
    exe = shutil.which(engine)
    if exe is None:
        raise TTSError(f"{engine} is not installed; the built-in mini corpus needs it. Run tools/install.sh "
                       f"(as root) or 'apt-get install {PACKAGES.get(engine, engine)}'.")
    return exe


def speak(text: str, voice: Voice, pitch_factor: float = 1.0, rate_factor: float = 1.0) -> Tuple[np.ndarray, int]:
    """``(samples [T] float32, sample_rate)`` of ``text`` spoken by ``voice``."""
    return synthesize(voice, [(text, pitch_factor, rate_factor)])[0]


def synthesize(voice: Voice, requests: Sequence[Request]) -> List[Tuple[np.ndarray, int]]:
    """``(samples [T] float32, sample_rate)`` per request, warped; festival speaks them all in one process."""
    if voice.engine == "espeak-ng":
        raw = [_run([binary("espeak-ng"), *_espeak_args(voice, p, r), "--stdout", text]) for text, p, r in requests]
    elif voice.engine == "flite":
        raw = [_flite(voice, text, p, r) for text, p, r in requests]
    elif voice.engine == "festival":
        raw = _festival(voice, requests)
    else:
        raise TTSError(f"unknown speech synthesiser {voice.engine!r}: use one of {', '.join(PACKAGES)}")
    return [_warp(wav, rate, voice.warp) for wav, rate in raw]


def _espeak_args(voice: Voice, pitch_factor: float, rate_factor: float) -> list:
    pitch = int(np.clip(round(voice.pitch * pitch_factor), 0, 99))
    speed = int(np.clip(round(voice.rate * rate_factor), 80, 450))
    return ["-v", voice.name, "-p", str(pitch), "-s", str(speed)]


def _flite(voice: Voice, text: str, pitch_factor: float, rate_factor: float) -> Tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory(prefix="aecomp-flite-") as tmp:
        out = Path(tmp) / "out.wav"
        _run([binary("flite"), "-voice", voice.name, "--setf", f"int_f0_target_mean={voice.pitch * pitch_factor:.1f}",
              "--setf", f"duration_stretch={1.0 / (voice.rate * rate_factor):.4f}", "-t", text, "-o", str(out)],
             stdout=False)
        return _read(out.read_bytes(), f"flite -voice {voice.name}")


def _festival(voice: Voice, requests: Sequence[Request]) -> List[Tuple[np.ndarray, int]]:
    """One festival process for all requests: its start-up (0.3 s) dominates a short utterance."""
    with tempfile.TemporaryDirectory(prefix="aecomp-festival-") as tmp:
        lines = [f"(voice_{voice.name})"]
        for k, (text, pitch_factor, rate_factor) in enumerate(requests):
            f0 = voice.pitch * pitch_factor
            lines += [f"(Parameter.set 'Duration_Stretch {1.0 / (voice.rate * rate_factor):.4f})",
                      f"(set! int_lr_params (list (list 'target_f0_mean {f0:.1f}) (list 'target_f0_std {0.2 * f0:.1f}) "
                      f"(list 'model_f0_mean 170) (list 'model_f0_std 34)))",
                      f'(utt.save.wave (utt.synth (Utterance Text "{_scheme_string(text)}")) "{tmp}/{k}.wav" \'riff)']
        script = Path(tmp) / "speak.scm"
        script.write_text("\n".join(lines) + "\n")
        _run([binary("festival"), "--batch", str(script)], stdout=False)
        missing = [k for k in range(len(requests)) if not (Path(tmp) / f"{k}.wav").is_file()]
        if missing:
            raise TTSError(f"festival (voice {voice.name}) wrote no audio for {requests[missing[0]][0]!r}; "
                           f"is its voice package installed ({PACKAGES['festival']})?")
        return [_read((Path(tmp) / f"{k}.wav").read_bytes(), f"festival {voice.name}") for k in range(len(requests))]


def _scheme_string(text: str) -> str:
    return text.replace("\\", " ").replace('"', " ")


def _run(cmd: list, stdout: bool = True) -> Tuple[np.ndarray, int] | None:
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or (stdout and not proc.stdout):
        raise TTSError(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return _read(proc.stdout, cmd[0]) if stdout else None


def _read(data: bytes, what: str) -> Tuple[np.ndarray, int]:
    try:
        wav, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises its own error types
        raise TTSError(f"{what} produced unreadable audio: {exc}") from None
    return wav.mean(axis=1), rate


def _warp(wav: np.ndarray, rate: int, warp: float) -> Tuple[np.ndarray, int]:
    """The samples relabelled at ``warp`` times their rate (rounded to 100 Hz, keeping resampling cheap)."""
    return wav, int(round(rate * warp / 100.0) * 100) if warp != 1.0 else rate


def trim_silence(wav: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """``wav`` without leading and trailing samples quieter than ``threshold``."""
    loud = np.flatnonzero(np.abs(wav) > threshold)
    return wav[loud[0]:loud[-1] + 1] if loud.size else wav[:0]

