"""Write the evaluation grid of a recipe (conf/eval.yaml): the test set under every condition x level.

Prints the directory of every set it writes now (kept sets are only logged), one per line, as it is made.

Example:
  aecomp make-evalsets --config conf/eval.yaml --test data/test --data_dir data --out_dir data/eval
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--config", required=True, help="the grid: conditions x levels (see aecomp/data/evalsets.py)")
    option(parser, "--test", required=True, help="test data directory")
    option(parser, "--data_dir", default="data", help="folder that relative paths of the grid resolve against")
    option(parser, "--out_dir", required=True, help="where the sets go (e.g. data/eval)")
    option(parser, "--sample_rate", type=int, default=16000)
    option(parser, "--nj", type=int, default=2, help="parallel writers")


def main(args) -> int:
    from aecomp.data.datadir import DataDir
    from aecomp.data.evalsets import iter_evalsets, load_grid

    grid = load_grid(args.config)
    for path, made in iter_evalsets(DataDir.load(args.test), grid, args.out_dir, args.sample_rate, args.data_dir,
                                    args.nj):
        if made:
            print(path, flush=True)  # as it is made: the stage records the sets made before a failure too
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
