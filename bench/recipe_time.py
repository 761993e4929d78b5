"""Wall time, peak memory and the time of each stage of one recipe, run as a new user runs it: from a
fresh clone of this checkout's HEAD (the issues' budgets: a recipe within 15 minutes on the 2-core
machine).

    tools/venv/bin/python bench/recipe_time.py egs/dcase2020/asc1            # ./run.sh, its defaults
    tools/venv/bin/python bench/recipe_time.py egs/wham/enh1 --keep /tmp/wham -- --seeds "1 2 3"
    bench/run_all.sh --only recipe_asc1 --out RESULTS_asc1.md               # the same, figures in a table

The clone (``git clone`` of HEAD into a temporary folder: uncommitted changes are not in it) shares this
checkout's ``tools/venv`` through a symlink, so installation is not timed (``PYTHONPATH`` puts the clone's
own ``aecomp`` first); it builds its own mini corpus
(``AECOMP_MINI`` inside the clone, unset corpus variables), so data preparation is. Options after ``--``
go to ``run.sh``. Run it on an otherwise idle machine: other load stretches every figure.

Printed: where the recipe's log goes (``recipe_time.log`` in the clone's recipe folder), then a table of
stages (from the template's ``(aecomp.sh stage N)`` log lines: a stage lasts from its first line to the
next stage's), then the figures ``recipe_wall_minutes``, ``recipe_peak_rss_mib`` (summed over the process
tree, sampled every 0.2 s: :func:`memory.peak_of`) and ``recipe_over_budget`` (wall time /
``--budget_minutes``; <= 1 meets it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import List, Tuple

from common import ROOT, result
from memory import peak_of

STAGE_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \(aecomp\.sh stage ([0-9-]+)\)")


def stage_times(log: str, end: datetime) -> List[Tuple[str, float]]:
    """(stage, seconds) in the order the stages ran, from the template's log lines; the last stage ends at
    ``end``. A stage that appears again later (stage 0 after stage 1 for the SSL upstream) adds to its time."""
    starts = [(m.group(2), datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
              for m in map(STAGE_LINE.match, log.splitlines()) if m]
    spans: List[Tuple[str, datetime]] = []
    for stage, t in starts:
        if not spans or spans[-1][0] != stage:
            spans.append((stage, t))
    totals: dict = {}
    for (stage, t), nxt in zip(spans, spans[1:] + [("", end)]):
        totals[stage] = totals.get(stage, 0.0) + (nxt[1] - t).total_seconds()
    return list(totals.items())


def min_s(seconds: float) -> str:
    return f"{int(seconds) // 60} min {int(seconds) % 60:02d} s"


def fresh_clone(dest: Path) -> Path:
    """``dest``: a clone of HEAD whose tools/venv is this checkout's."""
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    (dest / "tools" / "venv").symlink_to(ROOT / "tools" / "venv")
    return dest


def split_args(argv: List[str]) -> Tuple[List[str], List[str]]:
    """``(this script's arguments, run.sh's)``: those after the first ``--`` are run.sh's, wherever this
    script's own options stand."""
    if "--" not in argv:
        return argv, []
    i = argv.index("--")
    return argv[:i], argv[i + 1:]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recipe", help="the recipe folder, e.g. egs/dcase2020/asc1")
    ap.add_argument("--budget_minutes", type=float, default=15.0, help="the wall-time budget (default 15)")
    ap.add_argument("--keep", type=Path, help="clone here and keep it (exp/, RESULTS.md), instead of a temporary one")
    own, run_args = split_args(sys.argv[1:])
    args = ap.parse_args(own)
    if not (ROOT / args.recipe / "run.sh").is_file():
        sys.exit(f"{args.recipe}: no run.sh there (give a recipe folder relative to {ROOT}, e.g. egs/wham/enh1)")
    if args.keep and args.keep.exists():
        sys.exit(f"--keep {args.keep}: exists already; give a new folder")
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="aecomp-recipe-time-")
    clone = fresh_clone(args.keep or Path(tmp.name) / "aecomp")
    env = {k: v for k, v in os.environ.items() if k not in ("AECOMP_MINI", "SSL_UPSTREAM")}
    env["PYTHONPATH"] = str(clone)  # the clone's aecomp, before the venv's editable install of this checkout
    cmd = ["./run.sh", *run_args]
    log = clone / args.recipe / "recipe_time.log"
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"=== {' '.join(cmd)} in {clone / args.recipe} (commit {commit}); its log: {log} (tail -f to follow)",
          flush=True)
    t0 = time.monotonic()
    try:
        peak = peak_of(cmd, cwd=clone / args.recipe, env=env, log=log)
    except RuntimeError as exc:
        sys.exit(str(exc))
    wall = time.monotonic() - t0
    print("\n| stage | time |\n|---|---:|")
    for stage, seconds in stage_times(log.read_text(errors="replace"), datetime.now()):
        print(f"| {stage} | {min_s(seconds)} |")
    print(f"| all | {min_s(wall)} |")
    if args.keep:
        print(f"the clone, with its exp/ and RESULTS.md, is kept in {clone}")
    else:
        tmp.cleanup()
    result("recipe_wall_minutes", wall / 60, "{:.2f}")
    result("recipe_peak_rss_mib", peak, "{:.0f}")
    result("recipe_over_budget", wall / 60 / args.budget_minutes, "{:.2f}")


if __name__ == "__main__":
    main()
