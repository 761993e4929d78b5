"""Check experiment configs before any data is prepared: load each, build its system and run
one training step of each phase on a dummy batch (no optimizer step, nothing written).

Every problem of every config is reported (config:LINE where known) and the exit status is 1
if any config fails. Recipes run this before their first stage (egs/TEMPLATE/aecomp.sh).
The ``init`` section (start from other systems) is not loaded: those are trained later.

Example:
  aecomp check-config conf/train_noisy.yaml conf/train_iterative.yaml --override "data.batch_size=8"
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("configs", nargs="+", help="experiment YAML files")
    option(parser, "--override", action="append", default=[], metavar="'a.b=v c.d=w'",
           help="overrides applied to every config, YAML values (repeatable)")


def main(args) -> int:
    import logging
    import shlex
    import time

    from aecomp.config import load_config
    from aecomp.errors import USER_ERRORS
    from aecomp.train.system import dry_run

    log = logging.getLogger("aecomp.check")
    overrides = [item for chunk in args.override for item in shlex.split(chunk)]
    failed = 0
    for path in args.configs:
        start = time.perf_counter()
        try:
            dry_run(load_config(path, overrides))
        except USER_ERRORS as exc:
            failed += 1
            log.error("%s", exc)
            continue
        log.info("%s: builds and runs a dummy batch (%.1f s)", path, time.perf_counter() - start)
    if failed:
        log.error("%d of %d config(s) failed the check; fix them before running any stage", failed, len(args.configs))
    return 1 if failed else 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
