"""Write Kaldi-style data directories (train, dev, test, noise lists) from a corpus.

Examples:
  aecomp prepare speech_commands --corpus_dir /data/speech_commands_v0.02 --out_dir data
  aecomp prepare speech_commands --corpus_dir ... --out_dir data --opt task=12
  aecomp prepare mini --corpus_dir mini_corpus --out_dir data --opt size=debug
"""

from __future__ import annotations

import argparse

from aecomp.bin.common import option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("corpus", help="corpus plugin name (see 'aecomp list corpus')")
    option(parser, "--corpus_dir", help="root of the corpus as it is on disk (corpora that take their "
           "roots as options, like 'noise', need none)")
    option(parser, "--out_dir", required=True, help="where the data directories go (e.g. data)")
    parser.add_argument("--opt", action="append", default=[], metavar="KEY=VALUE",
                        help="corpus option (repeatable), value parsed as YAML")


def main(args) -> int:
    import logging

    import yaml

    from aecomp import registry
    from aecomp.config import ConfigError

    conf = {}
    for item in args.opt:
        if "=" not in item:
            raise ConfigError(f"--opt '{item}' must look like key=value")
        key, _, value = item.partition("=")
        conf[key] = yaml.safe_load(value)
    corpus = registry.build("corpus", {"name": args.corpus, "conf": conf}, where="--opt")
    written = corpus.prepare(args.corpus_dir, args.out_dir)
    for name, path in written.items():
        logging.getLogger("aecomp").info("prepared %s -> %s", name, path)
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
