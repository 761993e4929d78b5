"""The DCASE2020 scene recipe end to end with the debug configs (egs/dcase2020/asc1): seed 004's systems on the
codec categories (kept fine-tuning epochs scored, one segment trained at a time) and seed 000's on noise."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import torch

from conftest import ROOT

RECIPE = ROOT / "egs" / "dcase2020" / "asc1"
SYSTEMS = ["pretrained", "finetune", "segment1", "segment7", "segment10", "retrain", "noisy", "cascade"]
SETS = ["cat1_aac_32kbps", "cat2_mp3_32kbps", "cat3_opus_64kbps", "clean", "seen_0dB", "unseen_0dB"]


@pytest.fixture(scope="module")
def recipe_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("asc1")
    env = {**os.environ, "AECOMP_MINI": str(tmp / "mini"), "DCASE2020": ""}
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--data_args", "--mini_size debug", "--eval_config",
           "conf/debug/eval.yaml", "--systems", " ".join(SYSTEMS), "--datadir", str(tmp / "data"),
           "--expdir", str(tmp / "exp"), "--results", str(tmp / "RESULTS.md")]
    proc = subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return tmp, proc


def hyps(eval_dir):
    return (eval_dir / "hyp.txt").read_text()


@pytest.mark.slow
def test_stages_and_the_location_split(recipe_run):
    tmp, proc = recipe_run
    for stage in range(1, 7):
        assert f"stage {stage})" in proc.stdout
    assert sorted(p.name for p in (tmp / "data" / "eval").iterdir() if p.is_dir()) == SETS
    spk = {s: {line.split()[0] for line in (tmp / "data" / s / "spk2utt").read_text().splitlines()}
           for s in ("train", "dev", "test")}
    assert not spk["train"] & spk["dev"] and not spk["train"] & spk["test"]  # locations never shared
    # each system scored on its config's evaluation.sets: seed 004's on the codecs, seed 000's on the noise
    codec_sets = [s for s in SETS if s == "clean" or s.startswith("cat")]
    noise_sets = [s for s in SETS if s == "clean" or "dB" in s]
    for system in SYSTEMS:
        scored = sorted(p.parent.name for p in (tmp / "exp" / system / "seed1" / "eval").glob("*/metrics.json"))
        assert scored == (SETS if system == "pretrained" else noise_sets if system in ("noisy", "cascade")
                          else codec_sets), system
    # stage 4 keeps the training clips its codecs decoded for the other systems (and reruns) in the data dir
    n_clips = sum(len((tmp / "data" / s / "wav.scp").read_text().splitlines()) for s in ("train", "dev"))
    assert 0 < len(list((tmp / "data" / "codec_cache").rglob("*.npy"))) <= 2 * n_clips  # AAC 32 and MP3 64


@pytest.mark.slow
def test_kept_epochs_are_scored_and_epoch_0_is_the_pretrained_model(recipe_run):
    tmp, _ = recipe_run
    ft = tmp / "exp" / "finetune" / "seed1"
    assert sorted(p.name for p in ft.glob("eval_epoch*")) == ["eval_epoch0", "eval_epoch1", "eval_epoch2"]
    for s in ("clean", "cat1_aac_32kbps", "cat2_mp3_32kbps", "cat3_opus_64kbps"):  # fine-tuning starts from the
        # pre-trained weights: the same answers on every set it is scored on
        assert hyps(ft / "eval_epoch0" / s) == hyps(tmp / "exp" / "pretrained" / "seed1" / "eval" / s)
    assert json.loads((ft / "eval_epoch2" / "clean" / "metrics.json").read_text())["checkpoint"] == "epoch2"


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 7, 10])
def test_a_segment_system_changes_only_its_segment(recipe_run, k):
    tmp, _ = recipe_run
    pre = torch.load(tmp / "exp" / "pretrained" / "seed1" / "model.pt", map_location="cpu", weights_only=True)["model"]
    seg = torch.load(tmp / "exp" / f"segment{k}" / "seed1" / "model.pt", map_location="cpu", weights_only=True)["model"]
    changed = {n.split(".")[1] for n in pre if not torch.equal(pre[n], seg[n])}
    assert changed == {f"seg{k}"}


@pytest.mark.slow
def test_he_aac_is_said_unavailable_and_the_tables_and_plot_exist(recipe_run):
    tmp, _ = recipe_run
    log = (tmp / "exp" / "finetune" / "seed1" / "train.log").read_text() + "".join(
        p.read_text() for p in (tmp / "exp" / "log").glob("train.*.log"))
    assert "optional corruption left out (codec he-aac" in log
    md = (tmp / "RESULTS.md").read_text()
    assert "**Not available on this machine**: HE-AAC 16 kbit/s, HE-AAC 32 kbit/s" in md
    table2 = md.split("### finetune: acc after each fine-tuning epoch")[1].split("###")[0]
    assert "| category | codec | epoch 0 | epoch 1 | epoch 2 |" in table2
    for row in ("| cat 1 | WAV |", "| cat 1 | AAC 32 |", "| cat 2 | MP3 32 |", "| cat 3 | Opus 64 |"):
        assert row in table2
    seg = md.split("### Segmental fine-tuning")[1]
    assert "| pretrained | segment1 | segment7 | segment10 | finetune (epoch 1) |" in seg
    assert (tmp / "exp" / "results_segments.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](exp/results_segments.png)" in md
    acc = json.loads((tmp / "exp" / "pretrained" / "seed1" / "eval" / "clean" / "metrics.json").read_text())["acc"]
    assert acc > 0.2, acc  # 10 scenes: chance is 0.1


@pytest.mark.slow
def test_the_claims_script_reads_the_scores_of_stage_5(recipe_run):
    """local/seed004_claims.py: the drop it prints for a codec set is the pre-trained model's clean minus coded
    accuracy from metrics.json; every kept epoch and every segment system has a row."""
    tmp, _ = recipe_run
    proc = subprocess.run(["python3", "local/seed004_claims.py", "--exp", str(tmp / "exp"), "--epoch", "1"],
                          cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    pre = tmp / "exp" / "pretrained" / "seed1" / "eval"
    acc = lambda s: json.loads((pre / s / "metrics.json").read_text())["acc"]
    drop = acc("clean") - acc("cat2_mp3_32kbps")
    assert f"| cat2_mp3_32kbps | {drop:+.3f} ± 0.000 |" in proc.stdout
    for row in ("| 0 |", "| 1 |", "| 2 |", "| segment1 |", "| segment7 |", "| segment10 |", "| finetune (epoch 1) |"):
        assert row in proc.stdout, row
    missing = subprocess.run(["python3", "local/seed004_claims.py", "--exp", str(tmp / "nothing")], cwd=RECIPE,
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "run stages 4-5 first" in missing.stderr
