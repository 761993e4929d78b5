"""Baseline: the downstream model trained on clean audio only."""

from __future__ import annotations

from typing import List

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.paradigms.fixed_frontend import require_fixed_frontend
from aecomp.registry import register


@register("paradigm", "clean")
class CleanTraining(Paradigm):
    """Downstream trained on clean audio only; the front-end stays fixed."""

    def __init__(self, frontend, downstream, epochs: int = 20, signal_loss="wsdr",
                 sample_rate: int = 16000):
        super().__init__(frontend, downstream, signal_loss, sample_rate)
        require_fixed_frontend(self, "clean")
        self.epochs = epochs

    def phases(self) -> List[Phase]:
        return [Phase("clean", self.epochs, train=("downstream",), task_input="clean")]
