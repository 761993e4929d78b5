"""Check data directories and the audio they name; report every problem at once.

Each problem is printed as FILE:LINE: reason. Exit status 1 if any is found.
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data_dirs", nargs="+", help="data directories to check")
    option(parser, "--no_audio", action="store_true",
           help="check tables and file existence only; do not read the audio")
    option(parser, "--sample_rate", type=int, default=None, help="expected sample rate of every audio file")


def main(args) -> int:
    import logging

    from aecomp.data.datadir import check_datadir

    log = logging.getLogger("aecomp")
    total = 0
    for d in args.data_dirs:
        problems = check_datadir(d, check_audio=not args.no_audio, sample_rate=args.sample_rate)
        for p in problems:
            print(p)
        total += len(problems)
        if problems:
            log.error("%s: %d problem(s)", d, len(problems))
        else:
            log.info("%s: OK", d)
    return 1 if total else 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
