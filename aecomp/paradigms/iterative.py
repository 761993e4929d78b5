"""Iterative training with sample importance (seed 000).

After warm-ups (front-end on its signal loss, then downstream on enhanced
audio), ``rounds`` rounds alternate two phases:

- **AE phase** (downstream frozen): the front-end learns from
  ``w_i * (L_signal_i + task_weight * L_task_i)``, where the importance
  weights ``w_i`` (mean 1, no gradient) grow with the downstream loss of
  sample ``i`` on the enhanced signal, so hard samples count more;
- **CA phase** (front-end frozen): the downstream adapts to the enhanced audio
  (``ca_importance: true``: its per-sample losses weighted by the same importance scheme).

The exact weighting of the paper is not public; ``importance`` chooses the
scheme (see :mod:`aecomp.losses.importance`) and ``task_weight`` whether the
downstream loss also back-propagates into the front-end (as in joint
training) or only decides how much each sample counts. Defaults, and why
(chosen on the Speech Commands mini corpus with a low-SNR *dev* grid; the test set
was not used; the grid's figures are not quoted here because no command and results
file under ``docs/results/`` reproduce them yet, see issue 11):

- ``task_weight: 0.0``: the downstream loss only sets the weights. Back-propagating
  it too pulled the front-end away from the clean signal (lower SI-SNR improvement
  on dev) for no accuracy gain;
- ``importance: softmax, temperature: 1.0``: with cross-entropy losses of a few
  nats, the hardest samples of a batch get several times the mean weight without
  one sample taking the whole batch. ``rank`` did about as well, no weighting
  (``uniform``) worse;
- 4 rounds of 1 + 1 epochs: each module is updated for as many epochs as in
  joint training; 2 rounds were worse;
- warm-ups of 6 + 6 epochs when the modules start untrained; the recipes start
  them pre-trained instead (``init``) and set the warm-ups to 0.
"""

from __future__ import annotations

from typing import List, Optional

from aecomp.paradigms.base import Paradigm, Phase
from aecomp.registry import register


@register("paradigm", "iterative")
class Iterative(Paradigm):
    """Alternating AE phases weighted by per-sample downstream loss and CA phases on enhanced audio."""

    def __init__(self, frontend, downstream, ae_epochs: int = 6, ca_epochs: int = 6, rounds: int = 4,
                 ae_phase_epochs: int = 1, ca_phase_epochs: int = 1, task_weight: float = 0.0,
                 importance: Optional[str] = "softmax", temperature: float = 1.0, max_weight: float = 0.0,
                 ca_importance: bool = False, **common):
        """``ca_importance``: the rounds' CA phases weight each sample's task loss by the same importance
        scheme too (hard samples count more for the downstream as well), not only the AE phases."""
        super().__init__(frontend, downstream, **common)
        self.ae_epochs, self.ca_epochs, self.rounds = ae_epochs, ca_epochs, rounds
        self.ae_phase_epochs, self.ca_phase_epochs = ae_phase_epochs, ca_phase_epochs
        self.task_weight, self.importance = task_weight, importance
        self.temperature, self.max_weight, self.ca_importance = temperature, max_weight, ca_importance
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
                Phase(f"round{r}-ca", self.ca_phase_epochs, train=("downstream",), task_input="enhanced",
                      **(dict(importance=self.importance, temperature=self.temperature, max_weight=self.max_weight)
                         if self.ca_importance else {})),
            ]
        return out
