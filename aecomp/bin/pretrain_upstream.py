"""Pre-train the tiny HuBERT-style SSL upstream on a data dir's speech (masked prediction of cluster targets).

Iteration 1: k-means on MFCCs gives frame targets; a tiny HuBERT (s3prl's own model code:
a 7-layer CNN with stride 320 and 2 transformer layers) learns to predict the targets of
masked frames, trained by the one trainer (aecomp train, the `clean` paradigm, downstream
`hubert_pretrain`). Iteration 2 (--iterations 2) clusters a layer of iteration 1's model
instead. The result is written in s3prl's checkpoint format (upstream `hubert_local`,
as the SSL loss reads it: `signal_loss: {name: ssl, conf: {upstream: hubert_local, ckpt: PATH}}`).
Deterministic for a seed; rerun after an interruption to resume.

Example:
  aecomp pretrain-upstream --train_data data/train --valid_data data/dev --out_dir exp/upstream \\
      --output exp/upstream/tiny_hubert.pt --override "paradigm.conf.epochs=20"
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--train_data", required=True, help="data dir whose speech (wav.scp) it learns from")
    option(parser, "--valid_data", required=True, help="data dir of held-out speech (masked-prediction accuracy)")
    option(parser, "--out_dir", required=True, help="work folder: iter<k>/{codebook.pt,model/,tiny_hubert.pt}")
    option(parser, "--output", help="where the s3prl checkpoint goes (default: OUT_DIR/tiny_hubert.pt)")
    option(parser, "--config", help="training config (default: aecomp/conf/pretrain_tiny_hubert.yaml)")
    option(parser, "--override", action="append", default=[], metavar="'a.b=v c.d=w'",
           help="overrides of config keys (repeatable), e.g. 'paradigm.conf.epochs=20'")
    option(parser, "--n_clusters", type=int, default=50, help="k-means clusters (targets)")
    option(parser, "--iterations", type=int, default=1, choices=[1, 2],
           help="1: MFCC targets; 2: then targets from a layer of the first model")
    option(parser, "--layer", type=int, default=2, help="hidden state clustered in iteration 2 (1-based layer)")
    option(parser, "--seed", type=int, default=1, help="seed of k-means and training")
    option(parser, "--ngpu", type=int, default=0, help="GPUs (0: CPU)")


def main(args) -> int:
    import logging

    from aecomp.losses.tiny_upstream import pretrain_tiny_hubert

    path = pretrain_tiny_hubert(args.train_data, args.valid_data, args.out_dir, args.output, args.config,
                                args.override, n_clusters=args.n_clusters, iterations=args.iterations,
                                layer=args.layer, seed=args.seed, ngpu=args.ngpu)
    logging.getLogger("aecomp").info("pre-trained upstream (s3prl hubert_local format) -> %s", path)
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
