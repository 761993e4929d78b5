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


TEXTS = ["THE RED CAT SEES THE DOG", "A BIG DOG FINDS THE CAT", "THE SMALL BIRD HELPS A MAN"] * 20


def test_word_tokens_cover_the_vocabulary(tmp_path):
    model = train_sentencepiece(TEXTS, tmp_path / "bpe.model", vocab_size=40, model_type="word")
    tokens = Tokenizer.token_list(model)
    words = {w for t in TEXTS for w in t.split()}
    assert {t.lstrip("\u2581") for t in tokens[2:-1]} == words
    tok = Tokenizer(model, tokens)
    assert len(tok.encode("THE BIG CAT")) == 3 and tok.decode(tok.encode("THE BIG CAT")) == "THE BIG CAT"


@pytest.mark.parametrize("conf", [
    dict(encoder="rnn", encoder_conf=dict(num_layers=1, hidden_size=16, output_size=16, subsample=[2]),
         decoder=None, ctc_weight=1.0, decoding="ctc_greedy"),
    dict(encoder="transformer", encoder_conf=dict(output_size=16, attention_heads=2, linear_units=16,
                                                  num_blocks=1, input_layer="conv2d"),
         decoder="transformer", decoder_conf=dict(attention_heads=2, linear_units=16, num_blocks=1),
         ctc_weight=0.3, decoding="beam", beam_size=2),
], ids=["rnn-ctc", "transformer-hybrid-beam"])
def test_espnet_asr_losses_are_per_utterance_and_decoding_runs(tmp_path, conf):
    """Each utterance's loss does not depend on the other utterances of its batch (RNN encoders sort);
    gradients reach the input; both decoders return one string per utterance."""
    import torch

    from aecomp.downstream.espnet_asr import ESPnetASR

    vocab = ESPnetASR.vocabulary(TEXTS, tmp_path, {"vocab_size": 40, "token_type": "word"})
    torch.manual_seed(0)
    model = ESPnetASR(**vocab, frontend_conf=dict(n_fft=256, hop_length=128, n_mels=20), **conf)
    model.eval()
    lengths = torch.tensor([8000, 12000, 6000])
    wav = torch.randn(3, 12000) * (torch.arange(12000)[None] < lengths[:, None])
    wav.requires_grad_(True)
    ids = [model.encode_target(t) for t in ("THE RED CAT", "A BIG DOG FINDS THE CAT", "THE MAN")]
    targets = torch.full((3, max(map(len, ids))), -1, dtype=torch.long)
    for b, i in enumerate(ids):
        targets[b, :len(i)] = torch.tensor(i)
    tl = torch.tensor([len(i) for i in ids])
    loss = model(wav, lengths, targets, tl)
    assert loss.shape == (3,) and torch.isfinite(loss).all()
    perm = torch.tensor([2, 0, 1])
    assert torch.allclose(model(wav[perm], lengths[perm], targets[perm], tl[perm]), loss[perm], rtol=1e-4, atol=1e-4)
    # the longest utterance alone (ESPnet crops a batch to its longest: shorter ones alone would lose
    # the padding their STFT and convolution edges saw in the batch)
    alone = model(wav[1:2], lengths[1:2], targets[1:2, :tl[1]], tl[1:2])
    assert torch.allclose(alone, loss[1:2], rtol=1e-4, atol=1e-4)
    loss.sum().backward()
    assert wav.grad.abs().sum() > 0
    hyps = model.decode(wav.detach(), lengths)
    assert len(hyps) == 3 and all(isinstance(h, str) for h in hyps)
