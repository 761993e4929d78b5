"""UA and WA from additive counts (aecomp/metrics/recall.py), against scikit-learn and a hand count."""

from __future__ import annotations

import numpy as np
import pytest

from aecomp.metrics.recall import confusion_matrix, recall_counts, summarize_recall


def test_hand_counted_example():
    refs = ["neu", "neu", "neu", "neu", "hap", "hap", "sad", "ang"]
    hyps = ["neu", "neu", "neu", "hap", "hap", "neu", "neu", "ang"]
    m = summarize_recall(recall_counts(hyps, refs))
    # recalls: neu 3/4, hap 1/2, sad 0/1, ang 1/1 -> UA 0.5625; WA 5/8
    assert m["ua"] == pytest.approx((0.75 + 0.5 + 0.0 + 1.0) / 4)
    assert m["wa"] == pytest.approx(5 / 8)
    labels, matrix = confusion_matrix(recall_counts(hyps, refs), ["neu", "hap", "sad", "ang"])
    assert labels == ["neu", "hap", "sad", "ang"]
    assert matrix == [[3, 1, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]]


def test_counts_add_over_batches_and_match_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = ["neu", "hap", "sad", "ang"]
    refs = list(rng.choice(labels, size=203, p=[0.4, 0.3, 0.2, 0.1]))
    hyps = [r if rng.random() < 0.6 else str(rng.choice(labels)) for r in refs]
    total = {}
    for i in range(0, len(refs), 16):  # per batch, summed as the evaluation does
        for k, v in recall_counts(hyps[i:i + 16], refs[i:i + 16]).items():
            total[k] = total.get(k, 0.0) + v
    m = summarize_recall(total)
    assert m["ua"] == pytest.approx(sklearn_metrics.balanced_accuracy_score(refs, hyps))
    assert m["wa"] == pytest.approx(sklearn_metrics.accuracy_score(refs, hyps))
    _, matrix = confusion_matrix(total, labels)
    assert np.array_equal(np.array(matrix), sklearn_metrics.confusion_matrix(refs, hyps, labels=labels))


def test_class_absent_from_references_is_left_out_of_ua():
    m = summarize_recall(recall_counts(["neu", "sad"], ["neu", "neu"]))
    assert m["ua"] == pytest.approx(0.5) and m["wa"] == pytest.approx(0.5)
    assert np.isnan(summarize_recall({})["ua"])
    with pytest.raises(ValueError, match="2 hypotheses for 1 references"):
        recall_counts(["a", "b"], ["a"])
