"""egs/TEMPLATE/utils/longest_first.py: the order stage 5 starts its evaluation jobs in."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "egs" / "TEMPLATE" / "utils" / "longest_first.py"


def trained(run, *epochs):
    """A run folder whose history.json has one record per (seconds, train_seconds) pair."""
    run.mkdir(parents=True)
    (run / "history.json").write_text(json.dumps(
        [{"epoch": i + 1, "seconds": s, "train_seconds": t} for i, (s, t) in enumerate(epochs)]))
    return str(run)


def order(*runs):
    out = subprocess.run([sys.executable, str(SCRIPT), *runs], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


def test_longest_validation_first_by_the_last_epoch(tmp_path):
    unet = trained(tmp_path / "cascade", (50.0, 40.0))                  # 10 s of validation
    rnnoise = trained(tmp_path / "cascade_rnnoise", (30.0, 30.0), (100.0, 60.0))  # the last epoch's 40 s counts
    clean = trained(tmp_path / "clean", (22.0, 20.0))                   # 2 s
    assert order(clean, unet, rnnoise) == [rnnoise, unet, clean]


def test_runs_without_a_history_follow_in_their_order(tmp_path):
    clean = trained(tmp_path / "clean", (22.0, 20.0))
    untrained, broken = tmp_path / "elsewhere", tmp_path / "broken"
    broken.mkdir()
    (broken / "history.json").write_text("{not json")
    same_a, same_b = trained(tmp_path / "a", (5.0, 4.0)), trained(tmp_path / "b", (5.0, 4.0))
    assert order(str(untrained), same_a, str(broken), clean, same_b) == [clean, same_a, same_b, str(untrained), str(broken)]
