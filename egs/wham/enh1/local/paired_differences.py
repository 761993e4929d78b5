#!/usr/bin/env python3
"""Per-seed differences between systems, from stage 6's exp/results_per_seed.csv (a markdown table).

NASS's claim is a difference against its backbone trained alike; over seeds the paired difference
(same seed, same data) is what says whether it holds. For every pair ``A - B`` of ``--pairs`` and
metric, each seed's difference on the test set as it is, and their mean ± standard deviation.

    local/paired_differences.py [--exp exp] [--metrics si_snri sdri] \
        [--pairs convtasnet_nass-convtasnet convtasnet_noise-convtasnet convtasnet_nass-convtasnet_noise]
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", default="exp")
    parser.add_argument("--metrics", nargs="+", default=["si_snri", "sdri"])
    parser.add_argument("--pairs", nargs="+", default=["convtasnet_nass-convtasnet", "convtasnet_noise-convtasnet",
                                                         "convtasnet_nass-convtasnet_noise"])
    parser.add_argument("--condition", default="test")
    args = parser.parse_args()
    path = Path(args.exp) / "results_per_seed.csv"
    values = defaultdict(dict)  # (system, metric) -> run -> value
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["condition"] == args.condition and row["metric"] in args.metrics:
                system, run = row["system"].split("/")
                values[(system, row["metric"])][run] = float(row["value"])
    runs = sorted({r for v in values.values() for r in v})
    print(f"| difference | metric | {' | '.join(runs)} | mean ± std |\n|---|---|" + "---:|" * (len(runs) + 1))
    for pair in args.pairs:
        a, b = pair.split("-", 1)
        for m in args.metrics:
            diffs = {r: values[(a, m)][r] - values[(b, m)][r] for r in runs
                     if r in values[(a, m)] and r in values[(b, m)]}
            if not diffs:
                raise SystemExit(f"{path}: no run has both {a} and {b} for {m}")
            d = list(diffs.values())
            spread = f"{statistics.fmean(d):+.2f} ± {statistics.stdev(d):.2f}" if len(d) > 1 else f"{d[0]:+.2f}"
            print(f"| {a} - {b} | {m} | " + " | ".join(f"{diffs[r]:+.2f}" if r in diffs else "–" for r in runs)
                  + f" | {spread} |")


if __name__ == "__main__":
    main()
