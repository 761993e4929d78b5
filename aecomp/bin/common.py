"""Helpers shared by the subcommands: option spelling and device choice."""

from __future__ import annotations

import argparse


def option(parser: argparse.ArgumentParser, name: str, **kwargs) -> None:
    """Add ``--name_with_underscores`` (ESPnet's spelling) and its ``--dashed-alias``."""
    flags = [name]
    if "_" in name:
        flags.append(name.replace("_", "-"))
    parser.add_argument(*flags, **kwargs)


def device_for(ngpu: int) -> str:
    """``cuda`` when GPUs are asked for and present, else ``cpu`` (with a warning)."""
    import logging

    import torch

    if ngpu > 0:
        if torch.cuda.is_available():
            return "cuda"
        logging.getLogger(__name__).warning("--ngpu %d asked for, but no GPU is visible; using the CPU", ngpu)
    return "cpu"
