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


def random_corpus(n: int, seed: int):
    """``n`` reference/hypothesis pairs: sentences of a small vocabulary with random substitutions, deletions
    and insertions (some empty hypotheses), the kind of output a recogniser gives."""
    import random

    rng = random.Random(seed)
    words = "the a cat dog sat on mat red blue go no yes up down left right stop".split()
    refs, hyps = [], []
    for _ in range(n):
        ref = [rng.choice(words) for _ in range(rng.randint(1, 12))]
        hyp = []
        for w in ref:
            r = rng.random()
            if r < 0.1:
                continue  # deleted
            hyp.append(rng.choice(words) if r < 0.25 else w)
            if rng.random() < 0.08:
                hyp.append(rng.choice(words))  # inserted
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp) if rng.random() > 0.05 else "")
    return refs, hyps


def edits(counts: dict, unit: str) -> float:
    return counts[f"{unit}_sub"] + counts[f"{unit}_del"] + counts[f"{unit}_ins"]


def squeezed(sentences):
    """Characters without the spaces between words: the units of the CER as ESPnet scores it."""
    return ["".join(s.split()) for s in sentences]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wer_and_cer_match_jiwer_with_levenshtein_costs(seed, monkeypatch):
    import jiwer

    from aecomp.downstream import error_rate

    monkeypatch.setattr(error_rate, "SUB", 1)  # jiwer counts plain edits: every edit costs 1
    monkeypatch.setattr(error_rate, "DEL", 1)
    monkeypatch.setattr(error_rate, "INS", 1)
    refs, hyps = random_corpus(200, seed)
    counts = error_counts(refs, hyps)
    rates = error_rates(counts)
    words, chars = jiwer.process_words(refs, hyps), jiwer.process_characters(squeezed(refs), squeezed(hyps))
    assert rates["wer"] == pytest.approx(words.wer, abs=1e-12) and rates["cer"] == pytest.approx(chars.cer, abs=1e-12)
    # alignments of one edit distance may split it differently (2 S, or 1 S + 1 D + 1 I ...); D - I cannot change
    assert edits(counts, "word") == words.substitutions + words.deletions + words.insertions
    assert counts["word_del"] - counts["word_ins"] == words.deletions - words.insertions
    assert counts["sentence_errors"] == sum(jiwer.wer(r, h) > 0 for r, h in zip(refs, hyps))
    assert rates["wer"] > 0.1 and rates["cer"] > 0.05  # the corpus has errors to count


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sclite_costs_never_count_fewer_errors_than_jiwer(seed):
    """With sclite's costs (a substitution 4, a deletion or an insertion 3) an alignment may take a deletion and an
    insertion where Levenshtein takes one substitution: never fewer errors than jiwer's, sentence by sentence."""
    import jiwer

    refs, hyps = random_corpus(200, seed)
    for ref, hyp in zip(refs, hyps):
        counts = error_counts([ref], [hyp])
        for unit, (r, h) in (("word", (ref, hyp)), ("char", (squeezed([ref])[0], squeezed([hyp])[0]))):
            out = jiwer.process_words(r, h) if unit == "word" else jiwer.process_characters(r, h)
            theirs = out.substitutions + out.deletions + out.insertions
            assert edits(counts, unit) >= theirs, (unit, ref, hyp)  # more for 2 of 200 sentences' characters, seed 0
