"""Write fixed-SNR noisy evaluation sets from a test set and test noise banks.

Example:
  aecomp make-evalsets --test data/test --noise seen=data/noise_test_seen \\
      --noise unseen=data/noise_test_unseen --snrs "20 15 10 5 0 -5" --out_dir data/eval
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--test", required=True, help="clean test data directory")
    parser.add_argument("--noise", action="append", default=[], metavar="CONDITION=DIR",
                        help="a noise condition and its noise data directory (repeatable)")
    option(parser, "--snrs", default="20 15 10 5 0 -5", help="SNRs in dB, space-separated")
    option(parser, "--out_dir", required=True, help="where the sets go (e.g. data/eval)")
    option(parser, "--sample_rate", type=int, default=16000)
    option(parser, "--seed", type=int, default=20240601, help="seed of the noise choices")
    option(parser, "--nj", type=int, default=2, help="parallel writers")


def main(args) -> int:
    from aecomp.config import ConfigError
    from aecomp.data.datadir import DataDir
    from aecomp.data.evalsets import make_evalsets

    noises = {}
    for item in args.noise:
        cond, sep, path = item.partition("=")
        if not sep or not cond or not path:
            raise ConfigError(f"--noise '{item}' must look like CONDITION=DIR, e.g. seen=data/noise_test_seen")
        noises[cond] = DataDir.load(path)
    try:
        snrs = [float(s) for s in args.snrs.split()]
    except ValueError:
        raise ConfigError(f"--snrs '{args.snrs}' must be numbers separated by spaces") from None
    make_evalsets(DataDir.load(args.test), noises, snrs, args.out_dir, args.sample_rate, args.seed, args.nj)
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
