#!/usr/bin/env python3
"""Seed 004's three claims, per seed and as mean ± std over seeds, from stage 5's scores (metrics.json).

1. **Coded audio lowers accuracy, most at MP3 32 kbit/s**: the pre-trained model's accuracy on the clean
   test set minus its accuracy on each codec set.
2. **A few epochs of fine-tuning recover most of it**: the codec drop (clean minus coded, mean over the
   codec sets) of ``finetune`` after each kept epoch (epoch 0: the pre-trained weights), beside its clean
   accuracy: fine-tuning that only trains more would raise both and leave the drop as it was.
3. **One late segment comes close to full fine-tuning**: each ``segment<k>``'s gain over the pre-trained
   model (mean over the codec sets) as a fraction of full fine-tuning's gain after as many epochs.

Run in the recipe folder after stage 5 (``./run.sh --seeds "1 2 3"``)::

    local/seed004_claims.py [--exp exp] [--epoch 4] [--pretrained pretrained] [--finetune finetune]

Prints markdown tables. A score that is missing is an error naming the file and the command that makes it.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "TEMPLATE" / "utils"))
from low_snr_claim import cell  # noqa: E402  (mean ± std, the template's one formatting of a spread)


def accuracy(path: Path) -> float:
    if not path.is_file():
        sys.exit(f"{path}: not there; score it with stage 5 (./run.sh --stage 5 --seeds ...)")
    return float(json.loads(path.read_text())["acc"])


def scores(run: Path, sets: List[str], epoch: int | None = None) -> Dict[str, float]:
    """set -> accuracy of one run (``epoch``: a kept epoch's ``eval_epoch<N>``)."""
    folder = run / ("eval" if epoch is None else f"eval_epoch{epoch}")
    return {s: accuracy(folder / s / "metrics.json") for s in sets}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", type=Path, default=Path("exp"))
    parser.add_argument("--epoch", type=int, default=4, help="the finetune epoch the segments are compared with "
                                                             "(as many epochs as they trained)")
    parser.add_argument("--pretrained", default="pretrained")
    parser.add_argument("--finetune", default="finetune")
    args = parser.parse_args()
    runs = sorted(p.name for p in (args.exp / args.finetune).glob("seed*") if (p / "eval_epoch0").is_dir())
    if not runs:
        sys.exit(f"{args.exp / args.finetune}: no run with scored kept epochs (eval_epoch0/); run stages 4-5 first")
    first = args.exp / args.finetune / runs[0] / "eval_epoch0"
    codec_sets = sorted(p.name for p in first.iterdir() if re.match(r"cat\d+_", p.name))
    sets = ["clean", *codec_sets]
    epochs = sorted(int(p.name[len("eval_epoch"):]) for p in first.parent.glob("eval_epoch*"))
    segments = sorted((p.name for p in args.exp.glob("segment*") if p.name[len("segment"):].isdigit()),
                      key=lambda n: int(n[len("segment"):]))
    print(f"Runs: {', '.join(runs)}; codec sets: {', '.join(codec_sets)}; mean ± std over the runs "
          "(accuracy, 0-1).\n")

    pre = {run: scores(args.exp / args.pretrained / run, sets) for run in runs}  # read once, used by 1 and 3
    drop = {s: [pre[run]["clean"] - pre[run][s] for run in runs] for s in codec_sets}
    print("## 1. The pre-trained model's drop on coded audio (clean minus coded)\n")
    print("| codec set | drop | per run |\n|---|---:|---|")
    for s in sorted(codec_sets, key=lambda s: -statistics.fmean(drop[s])):
        print(f"| {s} | {cell(drop[s], signed=True)} | {' '.join(f'{v:+.3f}' for v in drop[s])} |")

    print(f"\n## 2. `{args.finetune}` after each kept epoch: clean accuracy and the codec drop (mean over the "
          "codec sets)\n")
    print("| epoch | clean | drop | coded (mean) |\n|---:|---:|---:|---:|")
    for e in epochs:
        clean, gap, coded = [], [], []
        for run in runs:
            acc = scores(args.exp / args.finetune / run, sets, e)
            mean_coded = statistics.fmean(acc[s] for s in codec_sets)
            clean.append(acc["clean"])
            gap.append(acc["clean"] - mean_coded)
            coded.append(mean_coded)
        print(f"| {e} | {cell(clean)} | {cell(gap, signed=True)} | {cell(coded)} |")

    if segments:
        print(f"\n## 3. Gain over `{args.pretrained}` on the codec sets (mean over them): each segment, and "
              f"full fine-tuning after epoch {args.epoch}\n")
        print("| system | gain | fraction of full fine-tuning's |\n|---|---:|---:|")

        def gain(system: str, run: str, epoch: int | None = None) -> float:
            acc = scores(args.exp / system / run, codec_sets, epoch)
            return statistics.fmean(acc[s] - pre[run][s] for s in codec_sets)

        full = [gain(args.finetune, run, args.epoch) for run in runs]
        for name in segments:
            gains = [gain(name, run) for run in runs]
            ratio = statistics.fmean(gains) / statistics.fmean(full) if statistics.fmean(full) else float("nan")
            print(f"| {name} | {cell(gains, signed=True)} | {ratio:.2f} |")
        print(f"| {args.finetune} (epoch {args.epoch}) | {cell(full, signed=True)} | 1.00 |")


if __name__ == "__main__":
    main()
