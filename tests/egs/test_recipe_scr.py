"""The Speech Commands recipe end to end with the debug configs (small widths, few epochs; clean must learn)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, eval_grid

RECIPE = ROOT / "egs" / "speech_commands" / "scr1"
SYSTEMS = ["clean", "noisy", "dsp", "cascade", "cascade_rnnoise", "joint", "iterative"]
CLEAN_ACC_MIN = 0.25  # accuracy of the clean system on clean test: 2.5x chance (0.1)


def run_recipe(tmp, *args, check=True):
    env = {**os.environ, "AECOMP_MINI": str(tmp / "mini"), "SPEECH_COMMANDS": ""}
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--data_args", "--mini_size debug",
           "--eval_config", str(eval_grid(tmp / "eval.yaml", [10, 0, -5])),
           "--datadir", str(tmp / "data"), "--expdir", str(tmp / "exp"), "--results", str(tmp / "RESULTS.md"), *args]
    proc = subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def recipe_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scr1")
    return tmp, run_recipe(tmp)


@pytest.mark.slow
def test_every_stage_produces_its_outputs(recipe_run):
    tmp, proc = recipe_run
    for stage in range(1, 7):
        assert f"stage {stage})" in proc.stdout
    for split in ("train", "dev", "test", "noise_train", "noise_test_seen", "noise_test_unseen"):
        assert (tmp / "data" / split / "wav.scp").is_file()
    sets = sorted(p.name for p in (tmp / "data" / "eval").iterdir() if p.is_dir())  # not the .stage3 record
    assert sets == sorted(["clean"] + [f"{c}_{s}dB" for c in ("seen", "unseen") for s in ("10", "0", "-5")])
    for system in SYSTEMS:
        model = tmp / "exp" / system / "seed1"
        assert (model / "model.pt").is_file() and (model / "train.log").is_file()
        assert len(list((model / "eval").glob("*/metrics.json"))) == len(sets)
        assert (model / "eval" / "seen_0dB" / "hyp.txt").read_text().count("\n") == 20
    # one job list in levels, the runs others start from first within a level; each run waits for its own
    jobs = [re.search(r"train_(\w+)\.yaml", line).group(1)
            for line in (tmp / "exp" / "log" / "train.jobs").read_text().splitlines()]
    assert jobs == ["noisy", "clean", "cascade", "dsp", "cascade_rnnoise", "joint", "iterative"]
    after = (tmp / "exp" / "log" / "train.after").read_text().splitlines()
    assert after == ["", "", "1", "1", "1", "3 1", "3 1"]  # joint and iterative: the cascade's U-Net, noisy's recogniser
    assert "training 7 run(s), each once the runs it starts from are trained: noisy, clean, cascade (after noisy)" in proc.stdout
    assert (tmp / "exp" / "log" / "train.1.log").read_text().startswith("# run_line.sh")
    log = (tmp / "exp" / "log" / "train.7.log").read_text()
    assert f"frontend starts from {tmp}/exp/cascade/seed1/model.pt" in log
    assert f"downstream starts from {tmp}/exp/noisy/seed1/model.pt" in log
    # stage 5 starts the runs whose validation took longest first (RNNoise's, in a real run)
    evaluated = [line.split("--model_dir ", 1)[1].split()[0]
                 for line in (tmp / "exp" / "log" / "eval.jobs").read_text().splitlines()]
    assert sorted(evaluated) == sorted(str(tmp / "exp" / s / "seed1") for s in SYSTEMS)
    last_epochs = [json.loads((Path(run) / "history.json").read_text())[-1] for run in evaluated]
    validation = [h["seconds"] - h["train_seconds"] for h in last_epochs]
    assert validation == sorted(validation, reverse=True), list(zip(evaluated, validation))


@pytest.mark.slow
def test_results_table_csv_and_plot(recipe_run):
    tmp, _ = recipe_run
    with open(tmp / "exp" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["system", "condition", "level", "unit", "metric", "value"]
    acc = [r for r in rows if r["metric"] == "acc"]
    assert len(acc) == len(SYSTEMS) * 7
    assert {r["system"] for r in acc} == set(SYSTEMS)
    # The debug test set has 2 utterances of each of the 10 keywords: chance is 0.1, and so is what an
    # untrained recogniser scores (one class for everything). Seeds 1-4 of conf/debug's clean system (40
    # epochs) score 0.30-0.45 on clean test with 1 or 2 torch threads; noisy training does not learn in the
    # debug budget (60 utterances).
    clean_acc = {r["system"]: float(r["value"]) for r in acc if r["condition"] == "clean"}
    assert clean_acc["clean"] >= CLEAN_ACC_MIN, clean_acc
    md = (tmp / "RESULTS.md").read_text()
    for system in SYSTEMS:
        assert f"| {system} |" in md
    assert "## acc with seen noise" in md and "## acc with unseen noise" in md and "Low SNR" in md
    assert "cd egs/speech_commands/scr1 && ./run.sh --conf_dir conf/debug" in md
    assert (tmp / "exp" / "results_noise.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![acc against SNR, noise](exp/results_noise.png)" in md
    # the off-the-shelf enhancer beside the trained front-ends in every signal table, PESQ and STOI included
    for section in ("SI-SNR improvement of the front-end", "PESQ of the front-end", "STOI of the front-end"):
        table = md.split(section, 1)[1].split("\n## ", 1)[0]
        for system in ("cascade_rnnoise", "cascade", "dsp", "iterative"):
            assert f"| {system} |" in table, (section, system)


@pytest.mark.slow
def test_results_page_in_a_browser(recipe_run, tmp_path):
    """exp/index.html of the run: Chromium loads it from disk, every image and clip exists and decodes, it renders;
    the examples of stage 5 are there for every system with a front-end, at 0 dB in seen and unseen noise."""
    from browser import check_page

    tmp, _ = recipe_run
    page = tmp / "exp" / "index.html"
    counts = check_page(page, tmp_path)
    text = page.read_text()
    for set_name in ("seen_0dB", "unseen_0dB"):
        block = text.split(f'id="ex-{set_name}"', 1)[1].split("<h3", 1)[0]
        assert block.count('<div class="utt">') == 3  # the template's --keep_examples
        for system in ("dsp", "cascade", "cascade_rnnoise", "joint", "iterative"):
            assert block.count(f"<figcaption>{system} <span>") == 3, (set_name, system)
    assert counts["audio"] == 2 * 3 * 7 and counts["img"] == counts["audio"] + 1  # clean, noisy, 5 systems; the plot


@pytest.mark.slow
def test_rerun_keeps_finished_work(recipe_run):
    tmp, _ = recipe_run
    noisy_sets = sorted(p for p in (tmp / "data" / "eval").iterdir() if p.is_dir() and p.name != "clean")  # clean is a copy
    kept = [tmp / "data" / ".done", *(p / "wav.scp" for p in noisy_sets)]
    for system in SYSTEMS:
        model = tmp / "exp" / system / "seed1"
        kept += [model / "model.pt", *sorted(model.glob("eval/*/*"))]
    stamps = {p: p.stat().st_mtime_ns for p in kept}
    proc = run_recipe(tmp, "--stage", "1", "--stop_stage", "5")
    assert "data already prepared" in proc.stdout
    assert {p for p in kept if p.stat().st_mtime_ns != stamps[p]} == set()
    for path in noisy_sets:
        assert f"evaluation set {path} exists; kept" in proc.stdout + proc.stderr
    logs = "".join(p.read_text() for p in (tmp / "exp" / "log").glob("*.log"))
    for system in SYSTEMS:
        assert f"{tmp}/exp/{system}/seed1 is already trained" in logs, system
        assert f"{tmp}/exp/{system}/seed1 already scored" in logs, system


def test_help_and_bad_options(tmp_path):
    proc = subprocess.run(["./run.sh", "--help"], cwd=RECIPE, capture_output=True, text=True)
    assert proc.returncode == 0 and "--stop_stage" in proc.stdout and "first stage to run" in proc.stdout
    proc = run_recipe(tmp_path, "--stgae", "3", check=False)
    assert proc.returncode != 0 and "unknown option --stgae" in proc.stderr
    proc = run_recipe(tmp_path, "--systems", "nosuch", check=False)
    assert proc.returncode != 0 and "no config conf/debug/train_nosuch.yaml" in proc.stderr


@pytest.mark.slow
def test_test_labels_unseen_in_training_count_as_errors(recipe_run, tmp_path):
    from conftest import run_cli

    tmp, _ = recipe_run
    src = tmp / "data" / "eval" / "clean"
    dst = tmp_path / "odd"
    dst.mkdir()
    for name in ("wav.scp", "utt2spk", "spk2utt", "utt2dur"):
        (dst / name).write_text((src / name).read_text())
    lines = (src / "text").read_text().splitlines()
    lines[0] = lines[0].split()[0] + " maybe"
    (dst / "text").write_text("\n".join(lines) + "\n")
    proc = run_cli("evaluate", "--model_dir", str(tmp / "exp" / "noisy" / "seed1"), "--data", str(dst),
                   "--out_dir", str(tmp_path / "out"))
    assert "1 utterance(s) have label(s) never seen in training (maybe); they count as errors" in proc.stderr
    import json

    metrics = json.loads((tmp_path / "out" / "odd" / "metrics.json").read_text())
    assert metrics["total"] == 20 and metrics["counts"]["correct"] <= 19
