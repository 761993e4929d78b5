"""Cascade: enhancement trained alone on a signal loss, then frozen in front of the downstream model."""

from __future__ import annotations

from typing import List

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.registry import register


@register("paradigm", "cascade")
class Cascade(Paradigm):
    """Front-end trained on its signal loss, then frozen while the downstream adapts to its output."""

    def __init__(self, frontend, downstream, ae_epochs: int = 6, ca_epochs: int = 14, **common):
        super().__init__(frontend, downstream, **common)
        self.ae_epochs, self.ca_epochs = ae_epochs, ca_epochs

    def phases(self) -> List[Phase]:
        return [
            Phase("ae", self.ae_epochs, train=("frontend",), signal_weight=1.0, task_weight=0.0),
            Phase("ca", self.ca_epochs, train=("downstream",), task_input="enhanced"),
        ]
