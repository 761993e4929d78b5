"""Stage 0 of the recipe template: every config to train is built on a dummy batch before any data is written (egs/TEMPLATE/aecomp.sh)."""

from __future__ import annotations

import os
import subprocess
import pytest

from conftest import ROOT


@pytest.mark.slow
def test_recipe_checks_every_config_before_the_first_stage(tmp_path):
    """A config mistake stops run.sh at stage 0, before data preparation, with config:LINE."""
    conf = tmp_path / "conf"
    conf.mkdir()
    recipe = ROOT / "egs" / "speech_commands" / "scr1"
    for name in ("common.yaml", "train_noisy.yaml"):  # the systems' base, and one good system
        (conf / name).write_text((recipe / "conf" / "debug" / name).read_text())
    bad = (recipe / "conf" / "debug" / "train_dsp.yaml").read_text().replace("{name: wiener}", "{name: wienr}")
    (conf / "train_dsp.yaml").write_text(bad)
    line = bad.splitlines().index("frontend: {name: wienr}") + 1
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    proc = subprocess.run(["./run.sh", "--conf_dir", str(conf), "--systems", "noisy dsp", "--datadir",
                           str(tmp_path / "data"), "--expdir", str(tmp_path / "exp")],
                          cwd=recipe, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert f"{conf}/train_dsp.yaml:{line} (frontend): unknown frontend 'wienr'" in proc.stderr, proc.stderr[-2000:]
    assert "stage 0) checking the configs of: noisy dsp (" in proc.stdout
    assert "stage 1)" not in proc.stdout and not (tmp_path / "data").exists() and not (tmp_path / "mini").exists()


def test_a_system_whose_init_system_is_neither_listed_nor_trained_stops_at_stage_0(tmp_path):
    """joint starts from cascade and noisy: --systems joint alone stops before data preparation, naming the
    missing system and what to do (it used to fail in stage 4, after data and the other trainings)."""
    recipe = ROOT / "egs" / "speech_commands" / "scr1"
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}

    def run(systems):
        return subprocess.run(["./run.sh", "--conf_dir", "conf/debug", "--systems", systems, "--datadir",
                               str(tmp_path / "data"), "--expdir", str(tmp_path / "exp"), "--check_config", "false"],
                              cwd=recipe, env=env, capture_output=True, text=True)

    proc = run("noisy joint")
    assert proc.returncode != 0
    assert (f"system 'joint' starts from 'cascade' (the init section of conf/debug/train_joint.yaml), which is not in "
            f"--systems and has no trained {tmp_path}/exp/cascade/seed1/model.pt: add cascade to --systems") in proc.stderr
    assert "stage 1)" not in proc.stdout and not (tmp_path / "data").exists()
    # trained already (a model.pt there): nothing is missing, stage 4 starts (and fails on the empty data dir)
    for name in ("cascade", "noisy"):
        (tmp_path / "exp" / name / "seed1").mkdir(parents=True)
        (tmp_path / "exp" / name / "seed1" / "model.pt").write_bytes(b"")
    proc = subprocess.run(["./run.sh", "--conf_dir", "conf/debug", "--systems", "joint", "--datadir", str(tmp_path / "data"),
                           "--expdir", str(tmp_path / "exp"), "--check_config", "false", "--stage", "4", "--stop_stage", "4"],
                          cwd=recipe, env=env, capture_output=True, text=True)
    assert "which is not in --systems" not in proc.stderr
    assert "stage 4) training 1 run(s), each once the runs it starts from are trained: joint (seeds 1)" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
