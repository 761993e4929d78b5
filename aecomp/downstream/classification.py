"""What every classification downstream shares: labels, decoding, accuracy."""

from __future__ import annotations

from typing import Dict, List, Sequence

import torch

from aecomp.errors import AecompError


class UnknownLabelError(AecompError, ValueError):
    """A label that the model was not trained on."""


class ClassificationMixin:
    """Label handling for downstream classifiers; the class defines ``logits(wav, lengths)``.

    Metrics: ``acc`` (accuracy), plus ``correct`` and ``total`` counts.
    """

    metric = "acc"
    metric_mode = "max"

    def set_labels(self, labels: Sequence[str]) -> None:
        if not labels:
            raise ValueError("a classifier needs at least one label")
        self.labels: List[str] = list(labels)
        self._index = {lab: i for i, lab in enumerate(self.labels)}

    def encode_target(self, text: str) -> List[int]:
        label = text.strip()
        if label not in self._index:
            raise UnknownLabelError(
                f"label '{label}' was not among the {len(self.labels)} training labels "
                f"({', '.join(self.labels[:12])}{', ...' if len(self.labels) > 12 else ''})"
            )
        return [self._index[label]]

    @torch.no_grad()
    def decode(self, wav: torch.Tensor, lengths: torch.Tensor) -> List[str]:
        return [self.labels[i] for i in self.logits(wav, lengths).argmax(-1).tolist()]

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
        correct = sum(h == r for h, r in zip(hyps, refs))
        return {"correct": float(correct), "total": float(len(refs))}

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:
        total = counts.get("total", 0.0)
        return {"acc": counts.get("correct", 0.0) / total if total else float("nan"), "total": total}
