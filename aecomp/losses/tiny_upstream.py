"""A tiny WavLM in s3prl's own checkpoint format, built locally (the mini recipes' SSL upstream).

It is randomly initialised, not pre-trained: it gives the SSL loss a real
s3prl upstream to run through with no download. Results with it measure the
machinery, not the benefit of self-supervised representations; real users pass
a real checkpoint (``upstream: wavlm_local, ckpt: .../WavLM-Base+.pt``).
"""

from __future__ import annotations

from pathlib import Path

import torch

from aecomp.fs import atomic_output

#: a small WavLM: 2 transformer layers of width 48, a 7-layer CNN with stride 320 like the real one
TINY_WAVLM = {
    "extractor_mode": "default",
    "encoder_layers": 2,
    "encoder_embed_dim": 48,
    "encoder_ffn_embed_dim": 96,
    "encoder_attention_heads": 4,
    "conv_feature_layers": "[(48,10,5)] + [(48,3,2)] * 4 + [(48,2,2)] * 2",
    "conv_pos": 16,
    "conv_pos_groups": 4,
    "relative_position_embedding": True,
    "num_buckets": 32,
    "max_distance": 128,
    "gru_rel_pos": True,
    "normalize": False,
    "layer_norm_first": False,
}


def build_tiny_wavlm(path: str | Path, seed: int = 0) -> Path:
    """Write a randomly initialised tiny WavLM checkpoint (``{"cfg", "model", "pretrained": False}``) to
    ``path``; ``aecomp report`` reads ``pretrained`` to mark the results that used it."""
    from aecomp.offline import offline_imports

    offline_imports()
    from s3prl.upstream.wavlm.WavLM import WavLM, WavLMConfig

    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = WavLM(WavLMConfig(dict(TINY_WAVLM)))
        state = {"cfg": dict(TINY_WAVLM), "model": model.state_dict(), "pretrained": False}
    finally:
        torch.random.set_rng_state(generator_state)
    with atomic_output(path) as tmp:
        torch.save(state, tmp)
    return Path(path)
