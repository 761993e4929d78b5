#!/usr/bin/env python3
"""Does one system beat others in low-SNR noise, and stay close to a reference on clean speech? Per run and as
mean ± std over runs, from stage 5's scores (``exp/<system>/<run>/eval/<set>/metrics.json``).

The claims of the seeds take this form: seed 000, iterative training beats noisy, cascade and joint training
at 0 and -5 dB in seen and unseen noise; seed 002, TRNet beats the cascade and noisy training at 0 and -5 dB in
matched and unmatched noise and loses at most 1 UA point on clean speech against the clean-trained model.

A run is every ``exp/<system>/<run>/eval`` folder with a ``clean`` set (``seed<k>``, or ``fold<k>_seed<s>``);
comparisons pair the runs two systems share (the same seed and fold). Every system found gets a row of the
table (e.g. the TRNet ablations). Run in the recipe folder after stage 5, e.g.::

    ../../TEMPLATE/utils/low_snr_claim.py --metric ua --system trnet --beats "cascade noisy" \\
        --conditions "matched unmatched" --within clean 0.01          # IEMOCAP, seed 002
    ../../TEMPLATE/utils/low_snr_claim.py --metric acc --system iterative --beats "noisy cascade joint" \\
        --conditions "seen unseen"                                   # Speech Commands, seed 000
    ../../TEMPLATE/utils/low_snr_claim.py --metric wer --lower_is_better ...   # LibriSpeech

Prints markdown tables; a claim holds ("yes") where it holds in every paired run, "mean only" where it holds
for the mean over runs but not in every run. A score that is missing is an error naming the file and the command that makes it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Dict, List


def score(path: Path, metric: str) -> float:
    if not path.is_file():
        sys.exit(f"{path}: not there; score it with stage 5 (./run.sh --stage 5 --systems ... --seeds ...)")
    values = json.loads(path.read_text())
    if metric not in values:
        sys.exit(f"{path}: no metric '{metric}' (it has {', '.join(sorted(values))}); choose one with --metric")
    return float(values[metric])


def cell(values: List[float], signed: bool = False) -> str:
    """``mean ± std`` of ``values`` (3 decimals); ``signed``: with its sign (a difference), else a score."""
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:{'+' if signed else ''}.3f} ± {spread:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", type=Path, default=Path("exp"))
    parser.add_argument("--metric", required=True, help="the key of metrics.json (ua, acc, wer, ...)")
    parser.add_argument("--lower_is_better", action="store_true", help="the metric is an error rate")
    parser.add_argument("--system", required=True, help="the system the claim is about")
    parser.add_argument("--beats", required=True, help="the systems it should beat in noise (space-separated)")
    parser.add_argument("--conditions", required=True, help="the noise conditions, e.g. 'seen unseen'")
    parser.add_argument("--levels", default="0dB -5dB", help="the low levels, averaged per condition (default: %(default)s)")
    parser.add_argument("--within", nargs=2, metavar=("SYSTEM", "MARGIN"),
                        help="also: on the clean set, at most MARGIN (in the metric's units) worse than SYSTEM")
    args = parser.parse_args()
    conditions, levels, beats = args.conditions.split(), args.levels.split(), args.beats.split()
    sign = -1.0 if args.lower_is_better else 1.0  # differences are printed as 'better by'

    def run_scores(run: Path) -> Dict[str, float]:
        """``clean`` and each condition's mean over the low levels, of one run."""
        out = {"clean": score(run / "eval" / "clean" / "metrics.json", args.metric)}
        for c in conditions:
            out[c] = statistics.fmean(score(run / "eval" / f"{c}_{lv}" / "metrics.json", args.metric) for lv in levels)
        return out

    systems: Dict[str, Dict[str, Dict[str, float]]] = {}  # system -> run -> scores
    for folder in sorted(p for p in args.exp.glob("*") if p.is_dir()):
        runs = {r.name: run_scores(r) for r in sorted(folder.glob("*")) if (r / "eval" / "clean").is_dir()}
        if runs:
            systems[folder.name] = runs
    needed = [args.system, *beats] + ([args.within[0]] if args.within else [])
    missing = [s for s in needed if s not in systems]
    if missing:
        sys.exit(f"{args.exp}: no scored run of {' '.join(missing)}; run stages 4-5 first "
                 f"(./run.sh --systems \"{' '.join(needed)}\")")

    better = "lower" if args.lower_is_better else "higher"
    print(f"{args.metric} ({better} is better), mean ± std over runs; each condition: the mean of "
          f"{' and '.join(levels)}\n")
    print("| system | runs | clean | " + " | ".join(conditions) + " |\n|---|---:|---:|" + "---:|" * len(conditions))
    for name, runs in systems.items():
        row = [cell([r[k] for r in runs.values()]) for k in ("clean", *conditions)]
        print(f"| {name} | {len(runs)} | " + " | ".join(row) + " |")

    mine = systems[args.system]

    def better_by(other: str, key: str) -> List[float]:
        shared = sorted(set(mine) & set(systems[other]))
        if not shared:
            sys.exit(f"{args.exp}: {args.system} and {other} share no run (seed, fold); train both with the same --seeds")
        return [sign * (mine[r][key] - systems[other][r][key]) for r in shared]

    print(f"\n| claim | {args.system} better by (paired runs) | holds |\n|---|---:|---|")
    for c in conditions:
        for other in beats:
            diff = better_by(other, c)
            print(f"| beats {other} in {c} noise | {cell(diff, True)} | {verdict(diff, 0.0, strict=True)} |")
    if args.within:
        ref, margin = args.within[0], float(args.within[1])
        diff = better_by(ref, "clean")
        print(f"| within {margin:g} of {ref} on clean speech | {cell(diff, True)} | {verdict(diff, -margin)} |")


def verdict(diff: List[float], bound: float, strict: bool = False) -> str:
    """Whether the paired differences ``diff`` pass ``bound`` (above it with ``strict``, else at least it):
    ``yes`` in every run, ``mean only`` where the mean does but some run does not, else ``no``; with the
    count of runs that pass."""
    def ok(d: float) -> bool:
        return d > bound if strict else d >= bound

    passes = [ok(d) for d in diff]
    word = "yes" if all(passes) else "mean only" if ok(statistics.fmean(diff)) else "no"
    return f"{word} ({sum(passes)}/{len(diff)} runs)"


if __name__ == "__main__":
    main()
