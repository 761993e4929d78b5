"""Speech synthesis with espeak-ng, for the built-in mini corpus.

espeak-ng is deterministic: the same text, voice and settings give the same
samples on every run, which makes the synthetic corpus reproducible byte for
byte.
"""

from __future__ import annotations

from aecomp.errors import AecompError

import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import soundfile as sf


class TTSError(AecompError, RuntimeError):
    """espeak-ng is missing or failed; the message says what to install or which call failed."""


@dataclass(frozen=True)
class Voice:
    """An espeak-ng speaker: accent voice, variant, pitch (0-99) and speed (words per minute)."""

    accent: str
    variant: str
    pitch: int
    speed: int

    def args(self, pitch_offset: int = 0, speed_offset: int = 0) -> list:
        pitch = int(np.clip(self.pitch + pitch_offset, 0, 99))
        speed = int(np.clip(self.speed + speed_offset, 80, 450))
        return ["-v", f"{self.accent}+{self.variant}", "-p", str(pitch), "-s", str(speed)]


def espeak_binary() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise TTSError(
            "espeak-ng is not installed; the built-in mini corpus needs it. "
            "Run tools/install.sh (as root) or 'apt-get install espeak-ng'."
        )
    return exe


def speak(text: str, voice: Voice, pitch_offset: int = 0, speed_offset: int = 0) -> tuple:
    """``(samples [T] float32, sample_rate)`` of ``text`` spoken by ``voice``."""
    cmd = [espeak_binary(), *voice.args(pitch_offset, speed_offset), "--stdout", text]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        raise TTSError(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace').strip()}")
    wav, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    return wav, rate


def trim_silence(wav: np.ndarray, threshold: float = 1e-3) -> np.ndarray:
    """``wav`` without leading and trailing samples quieter than ``threshold``."""
    loud = np.flatnonzero(np.abs(wav) > threshold)
    return wav[loud[0]:loud[-1] + 1] if loud.size else wav[:0]
