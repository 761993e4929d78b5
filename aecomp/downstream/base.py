"""Base class of downstream (computer audition) models."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Sequence, Tuple

import torch
from torch import nn


class Metric(NamedTuple):
    """A metric a model declares: its ``name`` (a key of the metrics it reports) and ``mode``
    (``max``: higher is better, ``min``: lower is better)."""

    name: str
    mode: str


class PrimaryMetric:
    """``metric``/``metric_mode``: the first of the declared ``metrics``, the one that selects checkpoints."""

    metrics: Tuple[Metric, ...]

    @property
    def metric(self) -> str:
        return self.metrics[0].name

    @property
    def metric_mode(self) -> str:
        return self.metrics[0].mode


class Downstream(PrimaryMetric, nn.Module):
    """A downstream model, registered under kind ``downstream``.

    The contract that lets one trainer and one set of paradigms serve every task:

    - ``forward(wav [B, T], lengths [B], targets [B, L], target_lengths [B])``
      returns the **per-sample** loss ``[B]`` (no reduction: importance
      weighting needs each sample's value);
    - ``encode_target(text) -> list[int]`` turns a ``text`` entry (label or
      transcript) into target ids;
    - ``decode(wav, lengths) -> list[str]`` gives one hypothesis per sample, in
      the form of ``text``;
    - ``score(hyps, refs) -> counts`` returns additive counts (so batches and
      jobs can be summed) and ``summarize(counts) -> metrics`` turns them into
      metrics; :attr:`metrics` declares the ones it reports (names: ``acc``; ``ua``, ``wa``;
      ``wer``, ``cer``; ``si_snri``, ``sdri`` from the signal metrics), the primary first:
      ``metric``/``metric_mode`` name that one, which selects checkpoints;
    - ``decodes``: False for a model with no task output (nothing to decode or score).

    Constructor arguments are the YAML ``conf``; ``sample_rate`` and what
    :meth:`vocabulary` derives from the training text (``labels``, ...) are
    injected.
    """

    metrics: Tuple[Metric, ...] = (Metric("acc", "max"),)
    decodes: bool = True

    def __init__(self):
        # an explicit signature: nn.Module.__init__ takes **kwargs, which would let any conf key through
        super().__init__()


    def encode_target(self, text: str) -> List[int]:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor,
                target_lengths: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def decode(self, wav: torch.Tensor, lengths: torch.Tensor) -> List[str]:  # pragma: no cover
        raise NotImplementedError

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    def valid_counts(self, wav: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor,
                     target_lengths: torch.Tensor) -> Dict[str, float]:
        """Additive validation counts besides the loss and the decoding's :meth:`score` (a pre-training
        task's masked-prediction hits, say); :meth:`summarize` turns them into metrics. Default: none."""
        return {}

    def unknown_references(self, texts: Sequence[str]) -> List[str]:
        """Reference values the model cannot produce (a classifier's labels never seen in training)."""
        return []

    def write_report(self, hyps: Dict[str, str], refs: Dict[str, str], out_dir: Path) -> None:
        """Write task-specific per-utterance results into ``out_dir`` (e.g. an error alignment). Default: none."""

    #: files in a model directory that hold the vocabulary (copied along when a system starts from another)
    vocabulary_files: Tuple[str, ...] = ()

    @classmethod
    def vocabulary(cls, texts: Sequence[str], model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        """Constructor arguments derived from the training ``text`` values (a classifier's label list,
        a recogniser's tokenizer), written into ``model_dir`` (:attr:`vocabulary_files`). Default: none."""
        return {}

    @classmethod
    def load_vocabulary(cls, model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        """The arguments of :meth:`vocabulary`, read back from a model directory."""
        return {}
