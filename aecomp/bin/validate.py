"""Check data directories and the audio they name; report every problem at once.

Each problem is printed as FILE:LINE: reason; exit status 1 if there is any.
Audio at another sample rate, or with several channels, is only counted: it is
resampled or downmixed when loaded.
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
    from collections import Counter

    from aecomp.data.datadir import check_datadir

    log = logging.getLogger("aecomp")
    errors = 0
    for d in args.data_dirs:
        problems = check_datadir(d, check_audio=not args.no_audio, sample_rate=args.sample_rate)
        fatal = [p for p in problems if p.fatal]
        for p in fatal:
            print(p)
        fixes = Counter(p.message.split("; ", 1)[-1] if "when loaded" in p.message else p.message
                        for p in problems if not p.fatal)
        for what, n in sorted(fixes.items()):
            example = next(p for p in problems if not p.fatal and p.message.endswith(what))
            log.warning("%s: %d file(s) fixed up when loaded (%s), e.g. %s", d, n, what, example)
        errors += len(fatal)
        if fatal:
            log.error("%s: %d problem(s)", d, len(fatal))
        else:
            log.info("%s: OK", d)
    return 1 if errors else 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
