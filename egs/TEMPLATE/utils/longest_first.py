#!/usr/bin/env python3
"""Print run folders (exp/<system>/seed<k>) longest expected evaluation first, one per line.

    longest_first.py exp/clean/seed1 exp/cascade_rnnoise/seed1 ...

Stage 5 starts its evaluation jobs in this order: with jobs of very different lengths (an
off-the-shelf enhancer such as RNNoise costs several times a U-Net), the longest one started last
would run alone at the end while the other cores idle. A run's expected cost is the time its last
training epoch spent validating (history.json: ``seconds - train_seconds``), the same forward pass
of the whole system that evaluation makes on every set. Runs without a history (not trained here)
follow, in the order given; equal costs keep their order too. Standard library only: no torch start.
"""

import json
import sys
from pathlib import Path


def validation_seconds(run: str):
    """The last epoch's validation time of ``run`` in seconds, or None where history.json is missing
    or unreadable (never an error: this only orders jobs)."""
    try:
        last = json.loads((Path(run) / "history.json").read_text())[-1]
        return max(0.0, float(last["seconds"]) - float(last["train_seconds"]))
    except (OSError, ValueError, LookupError, TypeError):
        return None


def longest_first(runs):
    costs = [validation_seconds(r) for r in runs]
    known = sorted((i for i, c in enumerate(costs) if c is not None), key=lambda i: -costs[i])  # stable
    return [runs[i] for i in known] + [r for r, c in zip(runs, costs) if c is None]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    print("\n".join(longest_first(sys.argv[1:])))
