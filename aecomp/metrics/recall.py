"""Class recall metrics of a classifier as additive counts: UA (unweighted average recall) and WA.

Speech emotion recognition reports both (IEMOCAP's classes are unbalanced):

- **UA**, unweighted accuracy: the mean over classes of each class's recall (macro recall,
  ``sklearn.metrics.balanced_accuracy_score``);
- **WA**, weighted accuracy: the recall of each class weighted by its share of the references, i.e.
  the overall accuracy (``sklearn.metrics.accuracy_score``).

:func:`recall_counts` gives counts that add over batches, jobs and ranks (``correct``, ``total``,
``correct.<label>``, ``total.<label>`` and the confusion cells ``confusion.<ref>.<hyp>``);
:func:`summarize_recall` turns summed counts into ``ua`` and ``wa``; :func:`confusion_matrix` reads the
cells back. A class with no reference in a set is left out of UA (its recall is undefined).
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple


def recall_counts(hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
    """Additive counts of ``hyps`` against ``refs`` (labels must not contain '.': it separates the parts
    of the count names)."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses for {len(refs)} references")
    out: Dict[str, float] = {"correct": 0.0, "total": float(len(refs))}
    for h, r in zip(hyps, refs):
        h, r = h.strip(), r.strip()
        out[f"total.{r}"] = out.get(f"total.{r}", 0.0) + 1.0
        out[f"correct.{r}"] = out.get(f"correct.{r}", 0.0) + float(h == r)
        out[f"confusion.{r}.{h}"] = out.get(f"confusion.{r}.{h}", 0.0) + 1.0
        out["correct"] += float(h == r)
    return out


def summarize_recall(counts: Dict[str, float]) -> Dict[str, float]:
    """``ua``, ``wa`` (and ``total``) of summed :func:`recall_counts`; NaN without references."""
    total = counts.get("total", 0.0)
    labels = [k[len("total."):] for k in counts if k.startswith("total.") and counts[k] > 0]
    recalls = [counts.get(f"correct.{lab}", 0.0) / counts[f"total.{lab}"] for lab in labels]
    return {"ua": sum(recalls) / len(recalls) if recalls else float("nan"),
            "wa": counts.get("correct", 0.0) / total if total else float("nan"), "total": total}


def confusion_matrix(counts: Dict[str, float], labels: Sequence[str]) -> Tuple[List[str], List[List[float]]]:
    """``(labels, matrix)``: ``matrix[i][j]`` the number of references ``labels[i]`` decoded as ``labels[j]``
    (labels decoded but absent from ``labels`` are appended)."""
    labels = list(labels)
    for k in counts:
        if k.startswith("confusion."):
            for lab in k[len("confusion."):].split(".", 1):
                if lab not in labels:
                    labels.append(lab)
    return labels, [[counts.get(f"confusion.{r}.{h}", 0.0) for h in labels] for r in labels]
