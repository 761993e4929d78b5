"""List every registered plugin by kind, with a one-line description.

Built-in plugins and those of installed packages (entry-point group
``aecomp.plugins``) are listed without importing them.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from aecomp.registry import KINDS

    parser.add_argument("kind", nargs="?", choices=list(KINDS), help="list only this kind")


def main(args) -> int:
    from aecomp import registry

    kinds = [args.kind] if args.kind else list(registry.KINDS)
    for kind in kinds:
        described = registry.describe(kind)
        print(f"{kind} ({len(described)}):")
        width = max((len(n) for n in described), default=0)
        for name, desc in described.items():
            ref = registry.REGISTRY.index()[kind].get(name)
            origin = f"  [{ref.source}]" if ref is not None and ref.source != "aecomp" else ""
            print(f"  {name.ljust(width)}  {desc}{origin}")
        if not described:
            print("  (none)")
    return 0


if __name__ == "__main__":
    from aecomp.cli import module_main

    module_main(__name__)
