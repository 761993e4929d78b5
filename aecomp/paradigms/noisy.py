"""Baseline: the downstream model trained on noisy audio (data augmentation)."""

from __future__ import annotations

from typing import List

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.paradigms.fixed_frontend import require_fixed_frontend
from aecomp.registry import register


@register("paradigm", "noisy")
class NoisyTraining(Paradigm):
    """Downstream trained on noise-augmented audio through a fixed front-end (identity or DSP)."""

    def __init__(self, frontend, downstream, epochs: int = 20, signal_loss="wsdr",
                 sample_rate: int = 16000):
        super().__init__(frontend, downstream, signal_loss, sample_rate)
        require_fixed_frontend(self, "noisy")
        self.epochs = epochs

    def phases(self) -> List[Phase]:
        return [Phase("noisy", self.epochs, train=("downstream",), task_input="enhanced")]
