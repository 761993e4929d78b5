"""Score a trained system on evaluation sets through its paradigm's inference (Paradigm.infer).

For each set, writes <out_dir>/<set>/metrics.json (the declared metrics, counts,
condition and level; SI-SNR(i), SDR(i), PESQ and STOI where a clean reference
exists) and hyp.txt (one hypothesis per utterance). Sets already scored with the current
model.pt are skipped. --checkpoint N scores the weights kept after epoch N
(trainer.keep_epochs; 0: before training) instead, into MODEL_DIR/eval_epoch<N>.

Example:
  aecomp evaluate --model_dir exp/iterative/seed1 --data data/eval/* --out_dir exp/iterative/seed1/eval
  aecomp evaluate --model_dir exp/iterative/seed1 --data data/eval/* --checkpoint 10
  aecomp evaluate --model_dir exp/iterative/seed1 --data data/eval/* --keep_examples 3 --example_sets '*_0dB'
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option, str2bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--model_dir", required=True, help="trained model directory (holds model.pt)")
    option(parser, "--data", nargs="+", required=True, help="evaluation data directories")
    option(parser, "--out_dir", help="where results go (default: MODEL_DIR/eval, or MODEL_DIR/eval_epoch<N> "
                                     "with --checkpoint N)")
    option(parser, "--checkpoint", type=int, help="score the weights kept after this epoch "
                                                  "(trainer.keep_epochs; 0: before training), not model.pt")
    option(parser, "--pesq_stoi", type=str2bool, default=True,
           help="add PESQ and STOI to the signal metrics of sets with references (CPU cost: about 26 ms "
                "per second of audio)")
    option(parser, "--pesq_stoi_sets", nargs="+", default=[],
           help="shell patterns of set names that get PESQ and STOI even with --pesq_stoi false, e.g. '*_0dB'")
    option(parser, "--keep_examples", type=int, default=0,
           help="keep the first N utterances (sorted ids) of the sets matching --example_sets as Opus clips and "
                "spectrograms (input, reference, front-end output) in <set>/examples/, for the results page")
    option(parser, "--example_sets", nargs="+", default=["*"],
           help="shell patterns of the set names whose examples are kept, e.g. '*_0dB' '*_32kbps'")
    option(parser, "--batch_size", type=int, default=32)
    option(parser, "--ngpu", type=int, default=0)


def main(args) -> int:
    from pathlib import Path

    from aecomp.bin.common import device_for
    from aecomp.evaluation import evaluate_sets

    default = "eval" if args.checkpoint is None else f"eval_epoch{args.checkpoint}"
    out_dir = Path(args.out_dir) if args.out_dir else Path(args.model_dir) / default
    evaluate_sets(args.model_dir, args.data, out_dir, args.batch_size, device_for(args.ngpu), args.checkpoint,
                  args.pesq_stoi, args.keep_examples, args.example_sets, args.pesq_stoi_sets)
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
