"""Speech recognition parts: WER/CER counts with S/D/I, sclite alignment, sentencepiece tokens."""

from __future__ import annotations

import pytest

from aecomp.downstream.error_rate import align, error_counts, error_rates
from aecomp.downstream.tokenizer import Tokenizer, train_sentencepiece


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


def test_tokenizer_roundtrip(tmp_path):
    texts = ["THE RED CAT SEES THE DOG", "A BIG DOG FINDS THE CAT", "THE SMALL BIRD HELPS A MAN"] * 20
    model = train_sentencepiece(texts, tmp_path / "bpe.model", vocab_size=30)
    tokens = Tokenizer.token_list(model)
    assert tokens[0] == "<blank>" and tokens[1] == "<unk>" and tokens[-1] == "<sos/eos>"
    tok = Tokenizer(model, tokens)
    ids = tok.encode("THE RED DOG")
    assert ids and all(0 < i < len(tokens) - 1 for i in ids)
    assert tok.decode(ids) == "THE RED DOG"
    assert tok.decode([0] + ids + [len(tokens) - 1]) == "THE RED DOG"  # blank and <sos/eos> are dropped
