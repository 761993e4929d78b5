"""Helpers shared by the subcommands: option spelling and device choice."""

from __future__ import annotations

import argparse


def option(parser: argparse.ArgumentParser, name: str, **kwargs) -> None:
    """Add ``--name_with_underscores`` (ESPnet's spelling) and its ``--dashed-alias``."""
    flags = [name]
    if "_" in name:
        flags.append(name.replace("_", "-"))
    parser.add_argument(*flags, **kwargs)


def str2bool(value: str) -> bool:
    """``true``/``false`` (ESPnet's spelling of a boolean option) as a bool."""
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got '{value}'")


def device_for(ngpu: int) -> str:
    """``cuda`` when GPUs are asked for and present, else ``cpu`` (with a warning)."""
    import logging

    import torch

    if ngpu > 0:
        if torch.cuda.is_available():
            return "cuda"
        logging.getLogger(__name__).warning("--ngpu %d asked for, but no GPU is visible; using the CPU", ngpu)
    return "cpu"
