"""Iterative training with sample importance (seed 000).

After warm-ups (front-end on its signal loss, then downstream on enhanced
audio), ``rounds`` rounds alternate two phases:

- **AE phase** (downstream frozen): the front-end learns from
  ``w_i * (L_signal_i + task_weight * L_task_i)``, where the importance
  weights ``w_i`` (mean 1, no gradient) grow with the downstream loss of
  sample ``i`` on the enhanced signal, so hard samples count more;
- **CA phase** (front-end frozen): the downstream adapts to the enhanced audio.

The exact weighting of the paper is not public; ``importance`` chooses the
scheme (see :mod:`aecomp.losses.importance`). Defaults, and why:

- ``importance: softmax, temperature: 1.0``: with cross-entropy losses of a
  few nats, a temperature of 1 gives the hardest samples of a batch several
  times the average weight without letting one sample take the whole batch;
  ``max_weight`` can cap it further;
- ``task_weight: 1.0`` in the AE phase: the downstream loss guides the
  enhancement directly, as in joint training;
- phases of 2 epochs, 2 rounds, with warm-ups of 6 + 6 epochs: the same
  total of 20 epochs as the other paradigms' defaults.
"""

from __future__ import annotations

from typing import List, Optional

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.registry import register


@register("paradigm", "iterative")
class Iterative(Paradigm):
    """Alternating AE phases weighted by per-sample downstream loss and CA phases on enhanced audio."""

    def __init__(self, frontend, downstream, ae_epochs: int = 6, ca_epochs: int = 6, rounds: int = 2,
                 ae_phase_epochs: int = 2, ca_phase_epochs: int = 2, task_weight: float = 1.0,
                 importance: Optional[str] = "softmax", temperature: float = 1.0, max_weight: float = 0.0,
                 signal_loss="wsdr"):
        super().__init__(frontend, downstream, signal_loss)
        self.ae_epochs, self.ca_epochs, self.rounds = ae_epochs, ca_epochs, rounds
        self.ae_phase_epochs, self.ca_phase_epochs = ae_phase_epochs, ca_phase_epochs
        self.task_weight, self.importance = task_weight, importance
        self.temperature, self.max_weight = temperature, max_weight
        self.phases()  # check the options now

    def phases(self) -> List[Phase]:
        out = [
            Phase("ae", self.ae_epochs, train=("frontend",), signal_weight=1.0, task_weight=0.0),
            Phase("ca", self.ca_epochs, train=("downstream",), task_input="enhanced"),
        ]
        for r in range(1, self.rounds + 1):
            out += [
                Phase(f"round{r}-ae", self.ae_phase_epochs, train=("frontend",), signal_weight=1.0,
                      task_weight=self.task_weight, importance=self.importance,
                      temperature=self.temperature, max_weight=self.max_weight),
                Phase(f"round{r}-ca", self.ca_phase_epochs, train=("downstream",), task_input="enhanced"),
            ]
        return out
