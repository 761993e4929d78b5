"""What every classification downstream shares: labels, decoding, accuracy (or UA and WA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence

import torch

from aecomp.downstream.base import Metric
from aecomp.errors import AecompError
from aecomp.fs import atomic_write_text
from aecomp.metrics.recall import confusion_matrix, recall_counts, summarize_recall


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


class RecallClassificationMixin(ClassificationMixin):
    """A classifier scored by class recall (:mod:`aecomp.metrics.recall`): ``ua`` (unweighted average
    recall, the primary metric: it selects checkpoints) and ``wa`` (weighted accuracy), with per-class
    and confusion counts; ``write_report`` writes each set's ``confusion.json``."""

    metrics = (Metric("ua", "max"), Metric("wa", "max"))

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
        return recall_counts(hyps, refs)

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:
        return summarize_recall(counts)

    def write_report(self, hyps: Dict[str, str], refs: Dict[str, str], out_dir: Path) -> None:
        import json

        utts = sorted(hyps)
        labels, matrix = confusion_matrix(recall_counts([hyps[u] for u in utts], [refs[u] for u in utts]),
                                          self.labels)
        atomic_write_text(Path(out_dir) / "confusion.json",
                          json.dumps({"labels": labels, "matrix": matrix, "rows": "reference", "columns": "hypothesis"},
                                     indent=1))
