"""The baselines that never train the front-end: the downstream model alone, on clean or noisy audio.

``clean`` and ``noisy`` differ only in what the downstream hears: clean speech, or the
noisy input through the fixed front-end (identity, or a DSP one such as ``wiener``).
"""

from __future__ import annotations

from typing import List, Sequence

from aecomp.errors import AecompError
from aecomp.paradigms.base import Paradigm, Phase, within
from aecomp.registry import register


class ParadigmConfigError(AecompError, ValueError):
    """A paradigm does not fit the front-end or downstream it was given."""


class DownstreamOnly(Paradigm):
    """The downstream trained for ``epochs`` epochs on :attr:`hears`; the front-end stays fixed."""

    #: what the downstream hears: "clean" or "enhanced" (the noisy input through the fixed front-end)
    hears = "enhanced"

    def __init__(self, frontend, downstream, epochs: int = 20, train: Sequence[str] = ("downstream",), **common):
        """``train``: the module paths inside the downstream that train (default all of it; seed 004's
        segmental fine-tuning trains one block, e.g. ``[downstream.seg7]``), the rest stays frozen."""
        super().__init__(frontend, downstream, **common)
        if isinstance(train, str) or not train or not all(isinstance(m, str) and within(m, "downstream") for m in train):
            raise ParadigmConfigError(f"paradigm '{self.phase_name}': train must list module paths inside the "
                                      f"downstream (e.g. [downstream] or [downstream.seg7]), got {train!r}")
        self.train_paths = tuple(train)
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
        return [Phase(self.phase_name, self.epochs, train=self.train_paths, task_input=self.hears)]


@register("paradigm", "clean")
class CleanTraining(DownstreamOnly):
    """Downstream trained on clean audio only; the front-end stays fixed."""

    hears = "clean"


@register("paradigm", "noisy")
class NoisyTraining(DownstreamOnly):
    """Downstream trained on noise-augmented audio through a fixed front-end (identity or DSP)."""

    hears = "enhanced"
