"""The ``aecomp`` command: one subcommand per job, each a module under :mod:`aecomp.bin`.

Subcommand modules are imported only when called, so ``aecomp --help`` and
``aecomp list`` answer without importing torch, ESPnet or s3prl.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional

#: subcommand -> (module under aecomp.bin, one-line help)
COMMANDS = {
    "list": ("list_plugins", "list every registered plugin by kind"),
    "check-config": ("check_config", "build each config's system and run it on a dummy batch (seconds)"),
    "new-plugin": ("new_plugin", "write a working outside plugin package to start from"),
    "prepare": ("prepare", "write Kaldi-style data dirs from a corpus (or build the mini corpus)"),
    "validate": ("validate", "check data dirs and the audio they name; report every problem"),
    "make-evalsets": ("make_evalsets", "write the evaluation grid (conf/eval.yaml) of a recipe"),
    "train": ("train", "train a system (front-end + downstream) with a paradigm from a YAML config"),
    "pretrain-upstream": ("pretrain_upstream", "pre-train the tiny HuBERT-style SSL upstream (s3prl format) on a data dir"),
    "evaluate": ("evaluate", "score a trained system on evaluation sets"),
    "report": ("report", "gather scores into RESULTS.md, exp/results.csv and a plot"),
    "summary": ("summary", "one results page (index.html) and summary table for several recipes"),
}


class CLIError(Exception):
    """An error to show to the user without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aecomp",
        description="Audio enhancement for computer audition: train enhancement front-ends for "
                    "downstream tasks. Recipes under egs/ call these subcommands stage by stage.",
        epilog="Run 'aecomp <command> --help' for the options of a command.",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", metavar="command")
    for name, (_, help_) in COMMANDS.items():
        sub.add_parser(name, help=help_, add_help=False)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    # split "aecomp [--log-level X] command args..." without parsing the command's own options
    head, command, rest = [], None, []
    for i, tok in enumerate(argv):
        if tok in COMMANDS:
            head, command, rest = argv[:i], tok, argv[i + 1:]
            break
    if command is None:
        top.parse_args(argv)  # handles --help, reports unknown commands
        top.print_help()
        return 2
    top_args = top.parse_args(head + [command])
    module = importlib.import_module(f"aecomp.bin.{COMMANDS[command][0]}")
    parser = argparse.ArgumentParser(prog=f"aecomp {command}", description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    setup_logging(top_args.log_level)
    return run(module.main, args)


def run(func, args) -> int:
    """Call ``func(args)``; a known error becomes one clear message and exit status 1."""
    from aecomp.errors import USER_ERRORS

    try:
        return int(func(args) or 0)
    except USER_ERRORS as exc:
        logging.getLogger("aecomp").error("%s", exc)
        return 1
    except KeyboardInterrupt:
        logging.getLogger("aecomp").error("interrupted")
        return 130


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )


def module_main(module_name: str) -> None:
    """``python -m aecomp.bin.<x>`` entry: same as ``aecomp <x>``."""
    name = next(k for k, (m, _) in COMMANDS.items() if m == module_name.rsplit(".", 1)[-1])
    sys.exit(main([name, *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
