"""run_all.sh's own work, on stand-in recipes: the progress lines, the stage-time record, the gathered tables
and plots. The stand-ins are shell scripts at the five recipe paths that print the template's stage lines
and write a RESULTS.md (and plots for some), so run_all.sh itself runs as it is, in seconds.
"""

import os
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

RECIPES = ["egs/speech_commands/scr1", "egs/librispeech/asr1", "egs/iemocap/ser1", "egs/dcase2020/asc1",
           "egs/wham/enh1"]
# a stand-in run.sh: two stages, a table, and (where {plots} is true) the plot its RESULTS.md links
STAND_IN = """#!/usr/bin/env bash
set -euo pipefail
echo "stage one (aecomp.sh stage 1)"
echo "stage two (aecomp.sh stage 4)"
mkdir -p exp
printf '# %s\\n\\n| system | acc |\\n|---|---|\\n| clean | 0.9 |\\n' "{name}" > RESULTS.md
if {plots}; then
  printf 'png' > exp/results_noise.png
  printf '\\n![noise](exp/results_noise.png)\\n' >> RESULTS.md
fi
"""


def make_tree(tmp_path: Path, without_plots: set) -> Path:
    root = tmp_path / "aecomp"
    (root / "egs/TEMPLATE/utils").mkdir(parents=True)
    shutil.copy(ROOT / "run_all.sh", root / "run_all.sh")
    shutil.copy(ROOT / "egs/TEMPLATE/path.sh", root / "egs/TEMPLATE/path.sh")
    shutil.copy(ROOT / "egs/TEMPLATE/utils/quote_args.sh", root / "egs/TEMPLATE/utils/quote_args.sh")
    (root / "tools").symlink_to(ROOT / "tools")  # the installed aecomp (its summary command)
    for recipe in RECIPES:
        run = root / recipe / "run.sh"
        run.parent.mkdir(parents=True)
        run.write_text(STAND_IN.format(name=recipe, plots="false" if recipe in without_plots else "true"))
        run.chmod(0o755)
    return root


def run_all(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / "run_all.sh"), *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "LC_ALL": "C"}, timeout=600)


def test_gathers_every_recipe_and_the_plots_there_are(tmp_path):
    # WHAM! has one test set and so no plot: gathering used to stop the whole run there (cp of an unmatched glob)
    root = make_tree(tmp_path, without_plots={"egs/wham/enh1"})
    done = run_all(root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = (root / "results/RESULTS.md").read_text()
    for recipe in RECIPES:
        assert f"Recipe `{recipe}`" in summary
        assert f"# {recipe}" in summary  # its table's title, one level down
    plots = sorted(p.name for p in (root / "results").glob("*.png"))
    assert plots == sorted(f"{r[4:].replace('/', '_')}_results_noise.png" for r in RECIPES[:4])
    # the recipe's plot link points at the gathered copy
    assert "![noise](speech_commands_scr1_results_noise.png)" in summary
    assert "=== all recipes done" in done.stdout


def test_progress_lines_and_stage_record(tmp_path):
    root = make_tree(tmp_path, without_plots=set())
    first = run_all(root, "--seeds", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "[run_all] egs/iemocap/ser1 stage 4 (train) done in" in first.stdout
    assert "expected: no record yet" in first.stdout
    record = [line.split("\t") for line in (root / "results/stage_times.tsv").read_text().splitlines()]
    assert sorted((r[0], r[1]) for r in record) == sorted((r, s) for r in RECIPES for s in ("1", "4"))
    assert all(r[3] == "--seeds 1" for r in record)
    # a second run expects the recorded times, and replaces (not adds to) the records of the same options
    second = run_all(root, "--seeds", "1")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "previous run with the same options" in second.stdout
    assert len((root / "results/stage_times.tsv").read_text().splitlines()) == len(record)
