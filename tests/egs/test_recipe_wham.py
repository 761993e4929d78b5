"""The WHAM! recipe end to end on the debug mini corpus (tiny separators, 2 epochs): every stage, the
data dirs of a separation corpus, scores over the two speakers, per-utterance scores, the table."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess

import pytest

from conftest import ROOT

RECIPE = ROOT / "egs" / "wham" / "enh1"
SYSTEMS = ["convtasnet", "convtasnet_noise", "convtasnet_nass"]


@pytest.fixture(scope="module")
def recipe_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wham")
    env = {**os.environ, "AECOMP_MINI": str(tmp / "mini"), "WHAM": ""}
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--data_args", "--mini_size debug", "--datadir", str(tmp / "data"),
           "--expdir", str(tmp / "exp"), "--results", str(tmp / "RESULTS.md")]
    proc = subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return tmp, proc


@pytest.mark.slow
def test_wham_recipe_end_to_end(recipe_run):
    tmp, proc = recipe_run
    for stage in range(1, 7):
        assert f"stage {stage})" in proc.stdout
    for split, n in (("train", 12), ("dev", 4), ("test", 4)):
        d = tmp / "data" / split
        for table in ("wav.scp", "spk1.scp", "spk2.scp", "noise1.scp"):
            assert len((d / table).read_text().splitlines()) == n, (split, table)
        assert "/wham/wav8k/min/" in (d / "wav.scp").read_text() and "/mix_both/" in (d / "wav.scp").read_text()
    # speakers never shared between splits (the first three characters of each utterance id of a name)
    spk = {s: {p for line in (tmp / "data" / s / "utt2spk").read_text().splitlines() for p in line.split()[1].split("_")}
           for s in ("train", "dev", "test")}
    assert not (spk["train"] & spk["test"]) and not (spk["train"] & spk["dev"]) and not (spk["dev"] & spk["test"])
    assert (tmp / "data" / "eval" / "test" / "noise1.scp").is_file()
    params, epochs = {}, {}
    for system in SYSTEMS:
        run = tmp / "exp" / system / "seed1"
        m = json.loads((run / "eval" / "test" / "metrics.json").read_text())
        assert m["metric"] == "si_snri" and all(math.isfinite(m[k]) for k in ("si_snri", "sdri", "pesq", "stoi"))
        assert m["counts"]["signal_n"] == 4
        rows = list(csv.DictReader(open(run / "eval" / "test" / "signal_per_utt.tsv"), delimiter="\t"))
        assert len(rows) == 4 and {"si_snri", "sdri", "pesq", "stoi"} <= set(rows[0])
        assert sum(float(r["si_snri"]) for r in rows) / 4 == pytest.approx(m["si_snri"], abs=1e-3)
        kept = sorted(p.name for p in (run / "eval" / "test" / "examples").iterdir())
        assert any("estimate2" in k for k in kept) and not any("estimate3" in k for k in kept)  # 2 speakers, no noise
        params[system] = json.loads((run / "best.json").read_text())["parameters"]
        epochs[system] = len(json.loads((run / "history.json").read_text()))
    assert set(epochs.values()) == {2}, epochs  # a like-for-like comparison: every system trains conf/debug's 2 epochs
    # the noise output adds one mask's weights; NASS adds only its projector (debug: 16 -> 16 -> 16)
    assert params["convtasnet_noise"] > params["convtasnet"]
    assert params["convtasnet_nass"] - params["convtasnet_noise"] == 16 * 16 + 16 + 16 * 16 + 16
    assert "contrast_loss" in (tmp / "exp" / "convtasnet_nass" / "seed1" / "train.log").read_text()
    assert "contrastive projector of 544 parameters" in (tmp / "exp" / "log" / "train.3.log").read_text()
    md = (tmp / "RESULTS.md").read_text()
    assert "| system | set | SI-SNRi (dB) | SDRi (dB) | SI-SNR (dB) | SDR (dB) | PESQ | STOI |" in md
    for system in SYSTEMS:
        assert f"| {system} | test |" in md
    assert "cd egs/wham/enh1 && ./run.sh --conf_dir conf/debug" in md
