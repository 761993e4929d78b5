"""The IEMOCAP emotion recipe end to end on the debug mini corpus (egs/iemocap/ser1), and its folds."""

from __future__ import annotations

import csv
import json
import os
import subprocess

import pytest

from conftest import ROOT

RECIPE = ROOT / "egs" / "iemocap" / "ser1"
# joint and iterative run as in the Speech Commands test; the trnet ablations are options (built in
# tests/test_config.py and tests/paradigms/test_trnet.py)
SYSTEMS = ["clean", "noisy", "cascade", "trnet", "cascade_ssl"]  # cascade_ssl: not a default, built here
SETS = ["clean", "matched_0dB", "unmatched_0dB"]


def grid(path, levels=(0,)):
    """The recipe's conditions (conf/eval.yaml) at ``levels`` only."""
    text = "seed: 20240601\nconditions:\n  - name: clean\n    family: clean\n"
    for name, bank in (("matched", "noise_test_seen"), ("unmatched", "noise_test_unseen")):
        text += (f"  - name: {name}\n    corruption: {{name: noise, conf: {{bank: {bank}}}}}\n    vary: snr\n"
                 f"    levels: [{', '.join(map(str, levels))}]\n    unit: dB\n")
    path.write_text(text)
    return path


def run_recipe(tmp, *args):
    env = {**os.environ, "AECOMP_MINI": str(tmp / "mini"), "IEMOCAP": ""}
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--data_args", "--mini_size debug",
           "--eval_config", str(grid(tmp / "eval.yaml")), "--datadir", str(tmp / "data"),
           "--expdir", str(tmp / "exp"), "--results", str(tmp / "RESULTS.md"), *args]
    return subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_every_stage_and_the_table_of_systems_by_sets(tmp_path):
    proc = run_recipe(tmp_path, "--systems", " ".join(SYSTEMS))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data, exp = tmp_path / "data", tmp_path / "exp"
    for split in ("train", "dev", "test", "noise_train", "noise_test_seen", "noise_test_unseen"):
        assert (data / split / "wav.scp").is_file()
    spk = {s: set((data / s / "utt2spk").read_text().split()[1::2]) for s in ("train", "dev", "test")}
    assert spk["test"] == {"Ses05F", "Ses05M"} and spk["dev"] == {"Ses04M"} and len(spk["train"]) == 7
    cats = set((data / "noise_test_unseen" / "utt2category").read_text().split()[1::2])
    assert cats == {"musan-free-sound", "musan-sound-bible"}  # MUSAN: the unmatched condition
    assert all(c.startswith("esc50-") for c in (data / "noise_train" / "utt2category").read_text().split()[1::2])
    assert sorted(p.name for p in (data / "eval").iterdir() if p.is_dir()) == SETS
    n_test = len((data / "test" / "wav.scp").read_text().splitlines())
    for system in SYSTEMS:
        run = exp / system / "seed1"
        assert (run / "model.pt").is_file()
        for s in SETS:
            m = json.loads((run / "eval" / s / "metrics.json").read_text())
            assert m["metric"] == "ua" and 0.0 <= m["ua"] <= 1.0 and 0.0 <= m["wa"] <= 1.0
            cm = json.loads((run / "eval" / s / "confusion.json").read_text())
            assert sum(map(sum, cm["matrix"])) == n_test and cm["labels"][:4] == ["ang", "hap", "neu", "sad"]
    assert [line.split("train_")[1].split(".yaml")[0] for line in (exp / "log" / "train.jobs").read_text().splitlines()] \
        == ["clean", "cascade_ssl", "noisy", "cascade", "trnet"]  # in levels: trnet <- cascade <- noisy <- clean
    log = (exp / "log" / "train.5.log").read_text()  # trnet (after clean, noisy, cascade): the cascade's U-Net, the clean teacher
    assert f"frontend starts from {exp}/cascade/seed1/model.pt" in log
    assert f"teacher starts from {exp}/clean/seed1/model.pt" in log
    with open(exp / "results.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["metric"] in ("ua", "wa")]
    cells = {(r["system"], r["condition"], r["level"], r["metric"]) for r in rows}
    assert cells == {(s, c, lv, m) for s in SYSTEMS for c, lv in (("clean", ""), ("matched", "0"), ("unmatched", "0"))
                     for m in ("ua", "wa")}
    md = (tmp_path / "RESULTS.md").read_text()
    assert "## ua / wa with matched noise" in md and "## ua / wa with unmatched noise" in md
    for system in SYSTEMS:
        assert f"| {system} |" in md
    for name in SETS:  # a confusion-matrix figure per set, every system in it
        assert f"![confusion matrices, {name}](exp/confusion_{name}.png)" in md
        assert (exp / f"confusion_{name}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_folds_write_leave_one_session_out_data(tmp_path):
    proc = run_recipe(tmp_path, "--folds", "2", "--stage", "1", "--stop_stage", "1")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for k, dev in ((1, "Ses05M"), (2, "Ses01M")):
        fold = tmp_path / "data" / f"fold{k}"
        spk = {s: set((fold / s / "utt2spk").read_text().split()[1::2]) for s in ("train", "dev", "test")}
        assert spk["test"] == {f"Ses0{k}F", f"Ses0{k}M"} and spk["dev"] == {dev}
        assert len(spk["train"]) == 7
        for bank in ("noise_train", "noise_test_seen", "noise_test_unseen"):
            assert (fold / bank / "wav.scp").is_file()
    assert not (tmp_path / "data" / "fold3").exists() and not (tmp_path / "data" / "train").exists()
