"""What every classification downstream shares: labels, decoding, accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence

import torch

from aecomp.downstream.base import Metric
from aecomp.errors import AecompError
from aecomp.fs import atomic_write_text


class UnknownLabelError(AecompError, ValueError):
    """A label that the model was not trained on."""


class ClassificationMixin:
    """Label handling for downstream classifiers; the class defines ``logits(wav, lengths)``.

    Metrics: ``acc`` (accuracy), plus ``correct`` and ``total`` counts.
    """

    metrics = (Metric("acc", "max"),)
    vocabulary_files = ("labels.txt",)

    @classmethod
    def vocabulary(cls, texts: Sequence[str], model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        """The label list: the sorted distinct training labels, written to ``labels.txt``."""
        labels = sorted(set(t.strip() for t in texts))
        atomic_write_text(Path(model_dir) / "labels.txt", "".join(f"{lab}\n" for lab in labels))
        return {"labels": labels}

    @classmethod
    def load_vocabulary(cls, model_dir: Path, conf: Dict[str, Any]) -> Dict[str, Any]:
        return {"labels": (Path(model_dir) / "labels.txt").read_text(encoding="utf-8").split("\n")[:-1]}

    def set_labels(self, labels: Sequence[str]) -> None:
        if not labels:
            raise ValueError("a classifier needs at least one label")
        self.labels: List[str] = list(labels)
        self._index = {lab: i for i, lab in enumerate(self.labels)}

    def unknown_references(self, texts: Sequence[str]) -> List[str]:
        return sorted({t.strip() for t in texts} - set(self.labels))

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
