"""WER/CER counts with substitutions, deletions and insertions, and sclite-style alignments (aecomp/downstream/error_rate.py)."""

from __future__ import annotations

import pytest

from aecomp.downstream.error_rate import align, error_counts, error_rates


def test_alignment_counts():
    a = align("the cat sat on the mat".split(), "the cat sit on mat today".split())
    assert (a.correct, a.substitutions, a.deletions, a.insertions) == (4, 1, 1, 1)
    ref, hyp = a.sclite()
    assert ref.split() == ["the", "cat", "SAT", "on", "THE", "mat", "*****"]
    assert hyp.split() == ["the", "cat", "SIT", "on", "***", "mat", "TODAY"]


def test_error_rates():
    counts = error_counts(["A B C D", "E F"], ["A X C D", "E F G"])
    rates = error_rates(counts)
    assert rates["wer"] == pytest.approx(2 / 6) and rates["wer_sub"] == pytest.approx(1 / 6)
    assert rates["wer_ins"] == pytest.approx(1 / 6) and rates["ser"] == 1.0
    assert rates["cer"] == pytest.approx(2 / 6)
    empty = error_rates(error_counts(["A"], [""]))
    assert empty["wer"] == 1.0 and empty["wer_del"] == 1.0
