"""Joint training: front-end and downstream optimised end to end."""

from __future__ import annotations

from typing import List

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.registry import register


@register("paradigm", "joint")
class Joint(Paradigm):
    """End-to-end training of both modules on L_signal + task_weight * L_task, after a signal warm-up."""

    def __init__(self, frontend, downstream, ae_epochs: int = 6, joint_epochs: int = 14,
                 task_weight: float = 1.0, **common):
        """``ae_epochs`` of front-end warm-up on the signal loss, then ``joint_epochs`` in which
        both modules learn from ``L = L_signal + task_weight * L_task``."""
        super().__init__(frontend, downstream, **common)
        self.ae_epochs, self.joint_epochs, self.task_weight = ae_epochs, joint_epochs, task_weight

    def phases(self) -> List[Phase]:
        return [
            Phase("ae", self.ae_epochs, train=("frontend",), signal_weight=1.0, task_weight=0.0),
            Phase("joint", self.joint_epochs, train=("frontend", "downstream"), signal_weight=1.0,
                  task_weight=self.task_weight),
        ]
