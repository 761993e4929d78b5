"""The baselines that never train the front-end: the downstream model alone, on clean or noisy audio.

``clean`` and ``noisy`` differ only in what the downstream hears: clean speech, or the
noisy input through the fixed front-end (identity, or a DSP one such as ``wiener``).
"""

from __future__ import annotations

from typing import List

from aecomp.errors import AecompError
from aecomp.paradigms.base import Paradigm, Phase
from aecomp.registry import register


class ParadigmConfigError(AecompError, ValueError):
    """A paradigm does not fit the front-end or downstream it was given."""


class DownstreamOnly(Paradigm):
    """The downstream trained for ``epochs`` epochs on :attr:`hears`; the front-end stays fixed."""

    #: what the downstream hears: "clean" or "enhanced" (the noisy input through the fixed front-end)
    hears = "enhanced"

    def __init__(self, frontend, downstream, epochs: int = 20, **common):
        super().__init__(frontend, downstream, **common)
        if self.frontend.trainable:
            raise ParadigmConfigError(
                f"paradigm '{self.phase_name}' never trains the front-end, but {type(self.frontend).__name__} has "
                "parameters that would stay untrained; use a fixed front-end (identity, wiener) or the "
                "cascade, joint or iterative paradigm")
        self.epochs = epochs

    @property
    def phase_name(self) -> str:
        return "clean" if self.hears == "clean" else "noisy"

    def phases(self) -> List[Phase]:
        return [Phase(self.phase_name, self.epochs, train=("downstream",), task_input=self.hears)]


@register("paradigm", "clean")
class CleanTraining(DownstreamOnly):
    """Downstream trained on clean audio only; the front-end stays fixed."""

    hears = "clean"


@register("paradigm", "noisy")
class NoisyTraining(DownstreamOnly):
    """Downstream trained on noise-augmented audio through a fixed front-end (identity or DSP)."""

    hears = "enhanced"
