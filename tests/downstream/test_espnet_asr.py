"""ESPnet's ASR model as a downstream model: per-utterance losses under batch permutation, decoding (aecomp/downstream/espnet_asr.py)."""

from __future__ import annotations

import pytest


TEXTS = ["THE RED CAT SEES THE DOG", "A BIG DOG FINDS THE CAT", "THE SMALL BIRD HELPS A MAN"] * 20


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
