"""Sentencepiece and word tokens for the ASR downstream model (aecomp/downstream/tokenizer.py)."""

from __future__ import annotations


from aecomp.downstream.tokenizer import Tokenizer, train_sentencepiece


TEXTS = ["THE RED CAT SEES THE DOG", "A BIG DOG FINDS THE CAT", "THE SMALL BIRD HELPS A MAN"] * 20


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


def test_word_tokens_cover_the_vocabulary(tmp_path):
    model = train_sentencepiece(TEXTS, tmp_path / "bpe.model", vocab_size=40, model_type="word")
    tokens = Tokenizer.token_list(model)
    words = {w for t in TEXTS for w in t.split()}
    assert {t.lstrip("\u2581") for t in tokens[2:-1]} == words
    tok = Tokenizer(model, tokens)
    assert len(tok.encode("THE BIG CAT")) == 3 and tok.decode(tok.encode("THE BIG CAT")) == "THE BIG CAT"
