"""One page for every recipe: OUT_DIR/index.html with a summary table (per recipe and system, the primary
metric on the test set as it is and at low SNR), then each recipe's results page (its tables, plots and
listening examples, the files copied under OUT_DIR/<name>/); prints the summary table as markdown.
Each recipe must have run its report stage (stage 6 writes exp/index.json beside exp/index.html).

Example (what run_all.sh does):
  aecomp summary --out_dir results --command ./run_all.sh \
      --recipe speech_commands_scr1=egs/speech_commands/scr1/exp librispeech_asr1=egs/librispeech/asr1/exp
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    option(parser, "--recipe", nargs="+", required=True, help="NAME=EXP_DIR of each recipe (its --expdir), in page order")
    option(parser, "--out_dir", default="results", help="where index.html and the copied files go")
    option(parser, "--title", default="aecomp: results of every recipe")
    option(parser, "--command", default="", help="the command that produced the results (shown)")


def main(args) -> int:
    from pathlib import Path

    from aecomp.errors import AecompError
    from aecomp.report_html import summary_table, write_summary_page

    recipes = []
    for spec in args.recipe:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise AecompError(f"--recipe {spec!r}: write NAME=EXP_DIR, e.g. speech_commands_scr1=egs/speech_commands/scr1/exp")
        recipes.append((name, Path(path)))
    write_summary_page(recipes, Path(args.out_dir), args.title, args.command)
    print(summary_table([(name, path) for name, path in recipes if path.is_dir()]), end="")
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
