"""Signal metrics: what validation pays for SI-SNR, SDR and their improvements on every batch.

A batch of 32 one-second utterances at 16 kHz, one torch thread. BSS Eval's SDR solves a
512-tap Toeplitz system per utterance and per signal (estimate and input); Levinson's recursion
(``aecomp.metrics.signal.solve_toeplitz``) does it in O(L^2). Figures: the speed-up of
``signal_metrics`` with it over a general solver (target > 1), and its cost in milliseconds per
second of audio (report).

    tools/venv/bin/python bench/signal_metrics.py
"""

from __future__ import annotations

import torch

import aecomp.metrics.signal as signal
from common import median_time, result


def general_solver(r: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    lag = torch.arange(r.shape[-1])
    return torch.linalg.solve(r[:, (lag[:, None] - lag[None, :]).abs()], y)


def main() -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    b, t = 32, 16000
    ref = torch.randn(b, t, generator=g)
    est, mix = ref + 0.3 * torch.randn(b, t, generator=g), ref + torch.randn(b, t, generator=g)
    lengths = torch.full((b,), t)
    levinson = median_time(lambda: signal.signal_metrics(est, ref, mix, lengths))
    default = signal.solve_toeplitz
    signal.solve_toeplitz = general_solver
    try:
        general = median_time(lambda: signal.signal_metrics(est, ref, mix, lengths))
    finally:
        signal.solve_toeplitz = default
    print(f"signal_metrics on {b} x 1 s: {levinson:.3f} s with Levinson, {general:.3f} s with torch.linalg.solve")
    result("sdr_levinson_speedup", general / levinson)
    result("signal_metrics_ms_per_audio_second", 1000 * levinson / b)


if __name__ == "__main__":
    main()
