"""Write a working outside plugin package to start from, in ./NAME (or --out_dir).

The package holds: pyproject.toml with the entry point (group aecomp.plugins), the
module with a registered front-end that uses its conf arguments, a test that builds
it and runs one batch, and conf/debug/train_NAME.yaml, a debug config for the Speech
Commands recipe. Then (README, "Adding a plugin"):

  pip install -e ./NAME && aecomp list frontend && python -m pytest NAME/tests
  cd egs/speech_commands/scr1 && AECOMP_MINI=/tmp/mini_debug ./run.sh --systems NAME \\
      --conf_dir $OLDPWD/NAME/conf/debug --data_args "--mini_size debug" --datadir data_debug --expdir exp_debug
"""

from __future__ import annotations

import argparse
import re

from aecomp.bin.common import option
from aecomp.errors import AecompError

KINDS = ("frontend",)

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
description = "An aecomp front-end: {plugin}"
requires-python = ">=3.10"
dependencies = ["aecomp"]

# aecomp finds the plugins of this module (and of the modules of this package it imports) by reading
# their sources for @register("<kind>", "<name>"); `aecomp list` shows them after `pip install -e .`
[project.entry-points."aecomp.plugins"]
{plugin} = "{module}.frontend"

[tool.setuptools]
packages = ["{module}"]
'''

INIT = '''\
"""{name}: an aecomp plugin package (see {module}/frontend.py)."""
'''

FRONTEND = '''\
"""The {plugin} front-end: a learnt residual correction of the waveform."""

import torch
from torch import nn

from aecomp.frontends.base import Frontend, length_mask
from aecomp.registry import register


@register("frontend", "{plugin}")
class {cls}(Frontend):
    """Residual 1-D convolutional enhancer ({name} plugin)."""

    def __init__(self, hidden: int = 16, kernel_size: int = 9, layers: int = 2):
        """``hidden`` channels in each of ``layers`` convolutions of width ``kernel_size`` (the YAML conf keys)."""
        super().__init__()
        pad = kernel_size // 2
        blocks, channels = [], 1
        for _ in range(layers):
            blocks += [nn.Conv1d(channels, hidden, kernel_size, padding=pad), nn.PReLU()]
            channels = hidden
        blocks.append(nn.Conv1d(channels, 1, kernel_size, padding=pad))
        self.net = nn.Sequential(*blocks)

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``wav [B, T]``, ``lengths [B]`` -> enhanced ``[B, T]`` (zero past each length)."""
        residual = self.net(wav[:, None])[:, 0]
        return (wav + residual) * length_mask(lengths, wav.shape[1])
'''

TEST = '''\
"""{plugin} is registered through its entry point, builds from a conf and runs one batch."""

import torch

from aecomp import registry


def test_{module}_builds_and_runs_one_batch():
    assert "{plugin}" in registry.names("frontend"), "not registered: is the package installed (pip install -e .)?"
    frontend = registry.build("frontend", {{"name": "{plugin}", "conf": {{"hidden": 4, "layers": 1}}}})
    assert sum(p.numel() for p in frontend.parameters()) == (9 * 4 + 4) + 1 + (4 * 9 + 1)
    wav, lengths = torch.randn(2, 1600), torch.tensor([1600, 1200])
    out = frontend(wav, lengths)
    assert out.shape == wav.shape and torch.all(out[1, 1200:] == 0)
    out.pow(2).mean().backward()
    assert all(p.grad is not None for p in frontend.parameters())
'''

DEBUG_CONFIG = '''\
# Debug config for the Speech Commands recipe (tiny widths, one epoch per phase): the {plugin} front-end
# trained on wSDR, then frozen while the recogniser learns its output (cascade). Run it from
# egs/speech_commands/scr1 with --conf_dir <this folder> --systems {plugin} --data_args "--mini_size debug".
frontend:
  name: {plugin}
  conf: {{hidden: 4, kernel_size: 9, layers: 1}}
paradigm:
  name: cascade
  conf: {{ae_epochs: 1, ca_epochs: 1, signal_loss: wsdr}}
downstream:
  name: kws_cnn
  conf: {{channels: [2, 2], time_steps: 2, dropout: 0.1}}
data:
  sample_rate: 16000
  batch_size: 8
  num_workers: 0
  preload: true
optim:
  name: adam
  conf: {{lr: 0.002}}
trainer:
  keep_nbest: 1
'''


class PluginTemplateError(AecompError, ValueError):
    """The plugin package cannot be written as asked; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="package (and plugin) name: letters, digits, '_' or '-', starting with a letter")
    option(parser, "--kind", choices=KINDS, default="frontend", help="kind of plugin to write")
    option(parser, "--out_dir", default=None, help="folder to write (default: ./NAME); must not exist")


def main(args) -> int:
    import logging
    import shutil
    import tempfile
    from pathlib import Path

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", args.name):
        raise PluginTemplateError(f"'{args.name}' is not a valid package name: use letters, digits, '_' or '-', "
                                  "starting with a letter (e.g. myfront)")
    module = args.name.replace("-", "_").lower()
    from aecomp import registry

    if module in registry.names(args.kind):
        raise PluginTemplateError(f"{args.kind} '{module}' exists already (see 'aecomp list {args.kind}'); "
                                  "choose another name")
    out = Path(args.out_dir or args.name)
    if out.exists():
        raise PluginTemplateError(f"{out} already exists; choose another name or --out_dir, or remove it")
    values = {"name": args.name, "module": module, "plugin": module,
              "cls": "".join(part.capitalize() for part in module.split("_"))}
    files = {"pyproject.toml": PYPROJECT, f"{module}/__init__.py": INIT, f"{module}/frontend.py": FRONTEND,
             f"tests/test_{module}.py": TEST, f"conf/debug/train_{module}.yaml": DEBUG_CONFIG}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))  # complete, then renamed
    try:
        for rel, template in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(template.format(**values), encoding="utf-8")
        tmp.chmod(0o755)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logging.getLogger("aecomp.new_plugin").info(
        "wrote %s: frontend '%s' (%s/%s/frontend.py), its test and conf/debug/train_%s.yaml. Next: "
        "pip install -e %s && aecomp list frontend && python -m pytest %s/tests", out, module, out, module,
        module, out, out)
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
