"""RNNoise as a front-end: a pretrained, off-the-shelf noise suppressor (the cascade_rnnoise baseline).

RNNoise (Valin, 2018: a small recurrent network predicting band gains, with a pitch filter) comes
with its trained weights compiled into the shared library of the ``pyrnnoise`` wheel, so nothing is
downloaded. The library processes 48 kHz audio in frames of 480 samples (10 ms) at 16-bit scale,
and its output lags its input by 960 samples (20 ms: the 10-ms analysis window overlap and the
10-ms frame). This front-end resamples to 48 kHz and back, feeds 960 zero samples after the input
to flush that delay, and drops the first 960 output samples, so the output is aligned with the
input sample for sample (tests/frontends/test_rnnoise.py: the cross-correlation peaks at lag 0).

pyrnnoise's own file API (``RNNoise.denoise_wav``) goes through audiolab's resampling graph; the
frame API of ``pyrnnoise.rnnoise`` (``create``, ``destroy``, the library's ``rnnoise_process_frame``)
is used instead, on float32 buffers: ``process_mono_frame`` would cast the output to int16 without
clipping, so a rare overshoot would wrap around.
"""

from __future__ import annotations

import ctypes
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from aecomp.audio.io import resample
from aecomp.frontends.base import Frontend
from aecomp.registry import register

#: the rate, frame length and delay (samples at 48 kHz) of the RNNoise library
RATE, FRAME, DELAY = 48000, 480, 960
#: the 16-bit scale RNNoise expects its samples at
SCALE = 32768.0


@register("frontend", "rnnoise")
class RNNoise(Frontend):
    """RNNoise, the pretrained noise suppressor of the pyrnnoise wheel (48 kHz, delay removed); fixed, no training."""

    def __init__(self, sample_rate: int = 16000):
        super().__init__()
        if int(sample_rate) <= 0:
            raise ValueError(f"rnnoise: sample_rate must be a positive number of Hz, got {sample_rate!r}")
        self.sample_rate = int(sample_rate)
        from pyrnnoise import rnnoise  # the library loads here: a clear ImportError names the package

        if rnnoise.FRAME_SIZE != FRAME:
            raise RuntimeError(f"rnnoise: the library's frame is {rnnoise.FRAME_SIZE} samples, this front-end "
                               f"expects {FRAME}; install the pyrnnoise version of setup.cfg")
        self._lib = rnnoise

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``wav [B, T]``, ``lengths [B]`` -> enhanced ``[B, T]`` (zero past each length); no gradient."""
        if wav.dim() != 2:
            raise ValueError(f"rnnoise: expects a batch [B, T], got a tensor of shape {tuple(wav.shape)}")
        x = wav.detach().float().cpu().numpy()
        out = np.zeros_like(x)
        n = lengths.tolist()
        workers = min(len(n), torch.get_num_threads())
        if workers > 1:  # ctypes lets go of the GIL in the library: utterances run in parallel on the CPUs
            with ThreadPoolExecutor(workers) as pool:
                enhanced = list(pool.map(self.enhance, [x[b, :n[b]] for b in range(len(n))]))
        else:
            enhanced = [self.enhance(x[b, :n[b]]) for b in range(len(n))]
        for b, y in enumerate(enhanced):
            out[b, :n[b]] = y
        return torch.from_numpy(out).to(device=wav.device, dtype=wav.dtype)

    def enhance(self, x: np.ndarray) -> np.ndarray:
        """One utterance ``[T]`` at ``sample_rate`` -> ``[T]`` float32, aligned with ``x`` (a fresh RNNoise state:
        utterances do not leak into each other)."""
        if len(x) == 0:
            return np.zeros(0, np.float32)
        up = resample(np.asarray(x, np.float32), self.sample_rate, RATE)
        n = len(up)
        frames = -(-(n + DELAY) // FRAME)  # the delay's worth of zeros after the input flushes its end out
        buf = np.zeros(frames * FRAME, np.float32)
        buf[:n] = np.clip(up * SCALE, -SCALE, SCALE - 1)  # the range of the 16-bit samples it was trained on
        res = np.empty_like(buf)
        lib, state = self._lib.lib, self._lib.create()
        pointer = ctypes.POINTER(ctypes.c_float)
        src, dst, step = buf.ctypes.data, res.ctypes.data, FRAME * buf.itemsize
        try:
            for i in range(frames):
                lib.rnnoise_process_frame(state, ctypes.cast(dst + i * step, pointer),
                                          ctypes.cast(src + i * step, pointer))
        finally:
            self._lib.destroy(state)
        y = res[DELAY:DELAY + n] / SCALE
        down = resample(y, RATE, self.sample_rate)
        out = np.zeros(len(x), np.float32)
        out[:min(len(x), len(down))] = down[:len(x)]
        return out
