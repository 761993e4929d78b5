"""``--folds K`` in the recipe template (egs/TEMPLATE/aecomp.sh): stage 1 writes data/fold<k>/, stages 2-5 run
per fold into exp/<system>/fold<k>_seed<s>/, and the report aggregates over folds and seeds."""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import subprocess

import pytest

from conftest import ROOT, eval_grid

SCR1 = ROOT / "egs" / "speech_commands" / "scr1"

# local/data.sh of a corpus split into folds: here each fold is the debug mini corpus (fold 2 a copy)
FOLD_DATA_SH = """\
#!/usr/bin/env bash
set -euo pipefail
# -- options --
datadir=data          # output folder
nj=1                  # parallel workers
folds=0               # number of folds to write (data/fold<k>/)
# -- end of options --
. ../../TEMPLATE/utils/parse_options.sh
. ./path.sh
. ./db.sh
[ "$folds" -gt 0 ] || { echo "$0: this corpus comes in folds: give --folds" >&2; exit 1; }
aecomp prepare mini --corpus_dir "$AECOMP_MINI" --out_dir "$datadir/fold1" --opt size=debug --opt nj="$nj"
for k in $(seq 2 "$folds"); do cp -r "$datadir/fold1" "$datadir/fold$k"; done
"""


def make_recipe(tmp):
    """A recipe egs/folds/x1 beside the real template and tools, with the debug noisy system."""
    (tmp / "egs").mkdir()
    (tmp / "tools").symlink_to(ROOT / "tools")
    (tmp / "egs" / "TEMPLATE").symlink_to(ROOT / "egs" / "TEMPLATE")
    recipe = tmp / "egs" / "folds" / "x1"
    (recipe / "local").mkdir(parents=True)
    (recipe / "conf").mkdir()
    for name in ("path.sh", "cmd.sh", "db.sh"):
        shutil.copy(SCR1 / name, recipe / name)
    for name in ("common.yaml", "train_noisy.yaml"):
        shutil.copy(SCR1 / "conf" / "debug" / name, recipe / "conf" / name)
    (recipe / "local" / "data.sh").write_text(FOLD_DATA_SH)
    (recipe / "local" / "data.sh").chmod(0o755)
    return recipe


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_folds_run_every_stage_per_fold_and_report_over_folds(tmp_path):
    recipe = make_recipe(tmp_path)
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    proc = subprocess.run(["../../TEMPLATE/aecomp.sh", "--systems", "noisy", "--folds", "2",
                           "--eval_config", str(eval_grid(tmp_path / "eval.yaml", [0])),
                           "--train_args", "paradigm.conf.epochs=1"], cwd=recipe, env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data, exp = recipe / "data", recipe / "exp"
    assert (data / ".done").read_text() == "local/data.sh --folds 2 \n"
    assert not (data / "train").exists() and not (exp / "noisy" / "seed1").exists()
    for k in (1, 2):
        assert f"fold {k}/2: stages 2-5 on data/fold{k}/" in proc.stdout
        sets = sorted(p.name for p in (data / f"fold{k}" / "eval").iterdir() if p.is_dir())
        assert sets == ["clean", "seen_0dB", "unseen_0dB"]
        run = exp / "noisy" / f"fold{k}_seed1"
        assert (run / "model.pt").is_file() and (run / ".stage4").is_file()
        assert sorted(p.parent.name for p in (run / "eval").glob("*/metrics.json")) == sets
        jobs = (exp / "log" / f"fold{k}_train.jobs").read_text()
        assert f"--train_data data/fold{k}/train --valid_data data/fold{k}/dev" in jobs
        assert f"--data data/fold{k}/eval/*" in (exp / "log" / f"fold{k}_eval.jobs").read_text()
    per_run = {(r["system"], r["condition"], r["level"]): float(r["value"])
               for r in read_csv(exp / "results_per_seed.csv") if r["metric"] == "acc"}
    means = {(r["condition"], r["level"]): float(r["value"]) for r in read_csv(exp / "results.csv")
             if r["system"] == "noisy" and r["metric"] == "acc"}
    assert {s for s, _, _ in per_run} == {"noisy/fold1_seed1", "noisy/fold2_seed1"}
    for (cond, snr), mean in means.items():
        runs = [per_run[(f"noisy/fold{k}_seed1", cond, snr)] for k in (1, 2)]
        assert mean == pytest.approx(statistics.fmean(runs), abs=1e-6)


def test_folds_for_a_corpus_without_folds_is_a_clear_error(tmp_path):
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    proc = subprocess.run(["./run.sh", "--conf_dir", "conf/debug", "--folds", "3", "--datadir", str(tmp_path / "data"),
                           "--expdir", str(tmp_path / "exp")], cwd=SCR1, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "--folds 3: this recipe's local/data.sh has no folds option" in proc.stderr, proc.stderr
    assert not (tmp_path / "data").exists() and not (tmp_path / "mini").exists()
