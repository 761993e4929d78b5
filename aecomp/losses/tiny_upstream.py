"""The mini recipes' SSL upstreams, tiny and in s3prl's own checkpoint formats, built locally.

- :func:`build_tiny_wavlm`: a tiny WavLM, randomly initialised (``pretrained: False``): results with it
  measure the machinery of the SSL loss, not the benefit of self-supervised representations;
- :func:`pretrain_tiny_hubert`: a tiny HuBERT pre-trained on the training speech (masked prediction of
  cluster targets, :mod:`aecomp.downstream.hubert_pretrain`), read by s3prl's ``hubert_local``.

Real users pass a real checkpoint (``upstream: wavlm_local, ckpt: .../WavLM-Base+.pt``).
"""

from __future__ import annotations

from pathlib import Path

import torch


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
    from aecomp.downstream.hubert_pretrain import save_reproducibly

    save_reproducibly(state, path)
    return Path(path)


#: the pre-training config of the tiny HuBERT (aecomp pretrain-upstream)
PRETRAIN_CONFIG = Path(__file__).resolve().parent.parent / "conf" / "pretrain_tiny_hubert.yaml"
#: overrides of the pre-training for the debug-size mini corpus (tests): seconds, not minutes
DEBUG_OVERRIDES = ("paradigm.conf.epochs=2", "scheduler.conf.warmup_steps=2")


def pretrain_tiny_hubert(train_data: str | Path, valid_data: str | Path, out_dir: str | Path,
                         output: str | Path | None = None, config: str | Path | None = None,
                         overrides=(), n_clusters: int = 50, iterations: int = 1, layer: int = 2,
                         seed: int = 1, ngpu: int = 0) -> Path:
    """Pre-train the tiny HuBERT on the speech of ``train_data`` (validated on ``valid_data``) and write it
    in s3prl's checkpoint format to ``output`` (default ``out_dir/tiny_hubert.pt``); returns that path.

    Iteration 1 clusters MFCCs (``n_clusters`` k-means centroids), iteration 2 (``iterations=2``) the
    hidden state ``layer`` of iteration 1's model; each trains a fresh model through the one trainer
    (``aecomp train`` on ``config``, default :data:`PRETRAIN_CONFIG`, with ``overrides``) in
    ``out_dir/iter<k>/``. Everything finished is kept, an interrupted training resumes: rerunning
    after a kill continues where it stopped and ends with the same weights. ``seed``: k-means and
    training (``trainer.seed``)."""
    import argparse
    import json
    import shutil

    from aecomp.bin.train import main as train_main
    from aecomp.downstream.hubert_pretrain import PretrainError, export_s3prl, fit_codebook
    from aecomp.train.trainer import PREEMPTED_EXIT

    if iterations not in (1, 2):
        raise PretrainError(f"iterations must be 1 (MFCC targets) or 2 (+ layer-feature targets), got {iterations}")
    out_dir = Path(out_dir)
    output = Path(output) if output else out_dir / "tiny_hubert.pt"
    previous = None
    for k in range(1, iterations + 1):
        work = out_dir / f"iter{k}"
        codebook = work / "codebook.pt"
        if not codebook.is_file():
            features = "mfcc" if previous is None else {"layer": layer}
            fit_codebook(train_data, codebook, n_clusters=n_clusters, seed=seed, features=features,
                         feature_model=str(previous) if previous else None)
        args = argparse.Namespace(
            config=str(config or PRETRAIN_CONFIG), print_config=False, print_init_systems=False,
            override=[f"downstream.conf.codebook={codebook} trainer.seed={seed}", *overrides],
            train_data=str(train_data), valid_data=str(valid_data), noise=None, out_dir=str(work / "model"),
            ngpu=ngpu, num_procs=None, no_resume=False)
        status = train_main(args)
        if status == PREEMPTED_EXIT:
            raise PretrainError(f"pre-training in {work / 'model'} stopped on request; rerun to resume")
        history = json.loads((work / "model" / "history.json").read_text())
        best = json.loads((work / "model" / "best.json").read_text())
        # no paths or times: the same seed and data give the same bytes (times are in history.json)
        info = {"iteration": k, "targets": "mfcc" if previous is None else f"layer {layer} of iteration {k - 1}",
                "n_clusters": n_clusters, "epochs": len(history), "best_epoch": best["epoch"],
                "valid_masked_acc": best["valid"].get("masked_acc")}
        previous = export_s3prl(work / "model", work / "tiny_hubert.pt", info)
    output.parent.mkdir(parents=True, exist_ok=True)
    if previous != output:
        shutil.copyfile(previous, output)
    return output
