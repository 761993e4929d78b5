"""Stage 4 of the recipe template: one job list, each run started once the runs it starts from are trained
(egs/TEMPLATE/aecomp.sh with local.sh --after)."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_a_failed_run_stops_only_the_runs_that_start_from_it(tmp_path):
    """cascade fails when it starts training (a front-end name the config check would have caught, skipped here):
    joint, which starts from it, is not started; clean, which does not, trains; the stage exits non-zero, and the
    runs it trained are recorded (.stage4), so that a rerun keeps them with their record."""
    recipe = ROOT / "egs" / "speech_commands" / "scr1"
    conf = tmp_path / "conf"
    conf.mkdir()
    for name in ("common.yaml", "train_noisy.yaml", "train_clean.yaml", "train_joint.yaml"):
        (conf / name).write_text((recipe / "conf" / "debug" / name).read_text())
    cascade = (recipe / "conf" / "debug" / "train_cascade.yaml").read_text()
    assert "  name: unet\n" in cascade
    (conf / "train_cascade.yaml").write_text(cascade.replace("  name: unet\n", "  name: unett\n"))
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    proc = subprocess.run(["./run.sh", "--conf_dir", str(conf), "--systems", "noisy clean cascade joint",
                           "--data_args", "--mini_size debug", "--datadir", str(tmp_path / "data"),
                           "--expdir", str(tmp_path / "exp"), "--check_config", "false", "--stop_stage", "4"],
                          cwd=recipe, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode != 0, proc.stdout[-2000:]
    exp, log = tmp_path / "exp", tmp_path / "exp" / "log"
    assert (log / "train.after").read_text().splitlines() == ["", "", "1", "3 1"]  # noisy clean | cascade | joint
    for system in ("noisy", "clean"):
        assert (exp / system / "seed1" / "model.pt").is_file() and (exp / system / "seed1" / ".stage4").is_file()
    assert not (exp / "cascade" / "seed1" / "model.pt").exists() and "unett" in (log / "train.3.log").read_text()
    assert (log / "train.4.log").read_text().startswith("# not started: job 3, which it waits for, did not succeed")
    assert not (exp / "joint" / "seed1").exists()
    assert f"job 3 of 1..4 failed; see {log}/train.3.log" in proc.stderr
    assert f"job 4 of 1..4 was not started; see {log}/train.4.log" in proc.stderr
