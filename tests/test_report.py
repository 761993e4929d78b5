"""RESULTS.md says what produced it: a "Produced by" command that reruns the same thing when pasted,
how each stage made the outputs behind the table (or that the table is not reproducible from the
command), and which systems used a randomly initialised SSL upstream."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import torch
import yaml

from conftest import ROOT, run_cli

RECIPES = ["speech_commands/scr1", "librispeech/asr1"]
ARGS = ["--systems", "clean noisy", "--title", "it's \"$HOME\" `x` *", "--data_args", ""]


def write_run(exp: Path, system: str, seed: str = "seed1", loss: dict | None = None, frontend: str = "unet",
              scores: dict | None = None, metrics=(("acc", "max"),)) -> Path:
    """A scored system as the train and evaluate stages leave it: config.yaml and, per set, eval/<set>/metrics.json
    (contract of issue 12). ``scores``: set name -> (condition, family, level, unit, {metric: value}); default
    the clean set at 0.5 in every metric."""
    run = exp / system / seed
    run.mkdir(parents=True)
    cfg = {"paradigm": "cascade", "frontend": frontend, "downstream": "kws_cnn", "loss": loss or {}}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    scores = scores or {"clean": ("clean", "clean", None, None, {m: 0.5 for m, _ in metrics})}
    for name, (condition, family, level, unit, values) in scores.items():
        (run / "eval" / name).mkdir(parents=True)
        (run / "eval" / name / "metrics.json").write_text(json.dumps(
            {"set": name, "condition": condition, "family": family, "level": level, "unit": unit,
             "metrics": [{"name": m, "mode": mode} for m, mode in metrics], "metric": metrics[0][0],
             "metric_mode": metrics[0][1], **values}))
    return run


def record(where: Path, stage: int, command: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    (where / f".stage{stage}").write_text(f"command: {command}\noptions: --x 1\ncommit: abc\nenv: A=1\n")


def run_recipe_report(recipe: str, tmp: Path, args) -> str:
    """Stage 6 of ``recipe`` alone on a scored system; returns the command in RESULTS.md."""
    write_run(tmp / "exp", "clean")
    env = {**os.environ, "AECOMP_MINI": str(tmp / "mini")}
    proc = subprocess.run(["./run.sh", *args, "--stage", "6", "--expdir", str(tmp / "exp"), "--datadir",
                           str(tmp / "data"), "--results", str(tmp / "RESULTS.md")], cwd=ROOT / "egs" / recipe,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (tmp / "RESULTS.md").read_text().split("Produced by:\n\n```\n", 1)[1].split("\n```", 1)[0]


def pasted_argv(command: str, prefix: str) -> list:
    """The arguments a shell gives the script when ``command`` (``prefix`` then arguments) is pasted."""
    assert command.startswith(prefix + " "), command
    proc = subprocess.run(["bash", "-c", "printf '%s\\0' " + command[len(prefix) + 1:]], capture_output=True,
                          text=True, check=True)
    return proc.stdout.split("\0")[:-1]


def test_pasted_command_gives_the_same_arguments(tmp_path):
    for recipe in RECIPES:
        tmp = tmp_path / recipe.replace("/", "_")
        command = run_recipe_report(recipe, tmp, ARGS)
        assert "'clean noisy'" in command  # readable: quoted, not escaped word by word
        assert pasted_argv(command, f"cd egs/{recipe} && ./run.sh") == ARGS + [
            "--stage", "6", "--expdir", str(tmp / "exp"), "--datadir", str(tmp / "data"),
            "--results", str(tmp / "RESULTS.md")]


def test_stage_records_and_reproducibility_verdict(tmp_path):
    exp, data = tmp_path / "exp", tmp_path / "data"
    write_run(exp, "clean")
    write_run(exp, "noisy")
    cmd = "cd egs/x && ./run.sh --systems 'clean noisy'"
    for stage, where in [(1, data), (2, data), (3, data / "eval" / "clean")] + [
            (n, exp / s / "seed1" / sub) for s in ("clean", "noisy") for n, sub in ((4, ""), (5, "eval"))]:
        record(where, stage, cmd)

    def report(command):
        out = tmp_path / "RESULTS.md"
        run_cli("report", "--exp_dir", str(exp), "--out", str(out), "--data_dir", str(data), "--command", command)
        return out.read_text()

    md = report(cmd)
    assert "| 4 train | clean/seed1, noisy/seed1 | the command shown | `--x 1` | abc | A=1 |" in md
    assert "| 3 evalsets | clean | the command shown |" in md  # each set's own record
    assert "Every stage was run by the command shown." in md and "NOT reproducible" not in md
    md = report("cd egs/x && ./run.sh --stage 6")
    assert "| 4 train | clean/seed1, noisy/seed1 | `cd egs/x && ./run.sh --systems 'clean noisy'` | `--x 1` |" in md
    assert "The command shown did not run every stage" in md and "NOT reproducible" not in md
    (exp / "noisy" / "seed1" / ".stage4").unlink()
    md = report(cmd)
    assert "| 4 train | noisy/seed1 | **no record** |" in md
    assert "**NOT reproducible from the command shown**: nothing records how stage(s) 4 (train)" in md


def test_recipe_stages_write_their_records(mini_data, tmp_path):
    """Stages 2 and 3 of the recipe record the command (quoted), their options and the commit; each evaluation
    set has its own record, so a second grid adds its sets (and records) and keeps those already made."""
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(mini_data), str(data)], check=True)
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini")}
    grid = tmp_path / "eval.yaml"
    grid.write_text("seed: 7\nconditions:\n  - name: clean\n    family: clean\n  - name: seen\n"
                    "    corruption: {name: noise, conf: {bank: noise_test_seen}}\n    vary: snr\n    levels: [0]\n"
                    "    unit: dB\n")
    args = ["--stage", "2", "--stop_stage", "3", "--datadir", str(data), "--expdir", str(tmp_path / "exp"),
            "--eval_config", str(grid), "--systems", "clean noisy"]
    proc = subprocess.run(["./run.sh", *args], cwd=ROOT / "egs" / "speech_commands" / "scr1", env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (data / "eval").iterdir()) == ["clean", "seen_0dB"]  # no leftover list
    rec3 = (data / "eval" / "seen_0dB" / ".stage3").read_text().splitlines()
    command = rec3[0].removeprefix("command: ")
    assert pasted_argv(command, "cd egs/speech_commands/scr1 && ./run.sh") == args
    assert rec3[1] == f"options: --eval_config {grid} --sample_rate 16000"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert rec3[2].startswith(f"commit: {head.strip()}")
    assert f"env: AECOMP_MINI={tmp_path / 'mini'}" in rec3
    assert (data / "eval" / "clean" / ".stage3").read_text() == "\n".join(rec3) + "\n"
    assert (data / ".stage2").read_text().startswith(f"command: {command}\n")
    assert not (data / ".stage1").exists()  # stage 1 did not run: nothing claims it did

    more = tmp_path / "eval_more.yaml"
    more.write_text(grid.read_text() + "  - name: unseen\n    corruption: {name: noise, conf: {bank: noise_test_unseen}}\n"
                    "    vary: snr\n    levels: [0]\n    unit: dB\n")
    kept = [data / "eval" / s / f for s in ("clean", "seen_0dB") for f in (".stage3", "wav.scp")]
    stamps = {p: p.stat().st_mtime_ns for p in kept}
    args[args.index(str(grid))] = str(more)
    proc = subprocess.run(["./run.sh", *args, "--stage", "3"], cwd=ROOT / "egs" / "speech_commands" / "scr1",
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (data / "eval").iterdir()) == ["clean", "seen_0dB", "unseen_0dB"]
    assert {p for p in kept if p.stat().st_mtime_ns != stamps[p]} == set()
    assert f"options: --eval_config {more} --sample_rate 16000" in (data / "eval" / "unseen_0dB" / ".stage3").read_text()


def test_random_upstream_is_marked_from_its_checkpoint(tmp_path):
    from aecomp.losses.tiny_upstream import build_tiny_wavlm

    random_ckpt = build_tiny_wavlm(tmp_path / "tiny_wavlm.pt")
    trained_ckpt = tmp_path / "wavlm_trained.pt"
    state = torch.load(random_ckpt, weights_only=False)
    state.pop("pretrained", None)
    state["cfg"] = {**state["cfg"], "encoder_layers": 3}  # another model: nothing says it is random
    torch.save(state, trained_ckpt)
    ours = tmp_path / "tiny_hubert.pt"  # what aecomp pretrain-upstream writes (only the report's keys)
    torch.save({"pretrained": True, "aecomp": {"targets": "mfcc", "epochs": 12, "valid_masked_acc": 0.4}}, ours)
    exp = tmp_path / "exp"
    write_run(exp, "noisy")
    for system, ckpt in (("ssl_a", random_ckpt), ("ssl_b", trained_ckpt), ("ssl_c", ours)):
        write_run(exp, system, loss={"name": "ssl", "conf": {"upstream": "wavlm_local", "ckpt": str(ckpt)}})
    out = tmp_path / "RESULTS.md"
    run_cli("report", "--exp_dir", str(exp), "--out", str(out))
    rows = {}
    for line in out.read_text().splitlines():  # the first table: what each system is
        if line.startswith("| "):
            rows.setdefault(line.split(" | ")[0], line)
    assert rows["| ssl_a"].endswith(f"| tiny_wavlm (wavlm_local, {random_ckpt}): randomly initialised, not pre-trained |")
    assert rows["| ssl_b"].endswith(f"| wavlm_trained (wavlm_local, {trained_ckpt}) |")
    assert rows["| ssl_c"].endswith(f"| tiny_hubert (wavlm_local, {ours}): pre-trained here (masked prediction of "
                                    "mfcc k-means targets, 12 epochs, dev masked-prediction accuracy 0.40) |")
    assert rows["| noisy"].endswith("| – |")
    assert "**ssl_a: the SSL upstream is randomly initialised, not pre-trained**" in out.read_text()


def test_unquoted_list_is_refused_not_cut_short(tmp_path):
    """``--systems clean noisy`` (the old recorded form) stops with a clear error instead of running ``clean``."""
    proc = subprocess.run(["./run.sh", "--systems", "clean", "noisy", "--stage", "9", "--expdir", str(tmp_path)],
                          cwd=ROOT / "egs" / "speech_commands" / "scr1", capture_output=True, text=True,
                          env={**os.environ, "AECOMP_MINI": str(tmp_path / "mini")})
    assert proc.returncode != 0
    assert 'unexpected argument(s): noisy. A value with spaces needs quotes, e.g. --systems "clean noisy"' in proc.stderr


def grid_scores(shift: float) -> dict:
    """Scores of one run on clean, seen noise at 5/0/-5 dB, MP3 at 64/32 kbps and a noise+Opus chain: ua and
    wa fall with the level; si_snri where the set has a reference."""
    scores = {"clean": ("clean", "clean", None, None, {"ua": 0.9 + shift, "wa": 0.8 + shift})}
    for snr, ua in ((5, 0.7), (0, 0.5), (-5, 0.3)):
        scores[f"seen_{snr}dB"] = ("seen", "noise", float(snr), "dB",
                                   {"ua": ua + shift, "wa": ua - 0.1 + shift, "si_snri": 10.0 - snr})
    for kbps, ua in ((64, 0.85), (32, 0.6)):
        scores[f"mp3_{kbps}kbps"] = ("mp3", "codec", float(kbps), "kbps", {"ua": ua + shift, "wa": ua - 0.1 + shift})
    scores["noisy_opus_64kbps"] = ("noisy_opus", "chain", 64.0, "kbps", {"ua": 0.4 + shift, "wa": 0.3 + shift})
    return scores


def test_report_pivots_on_condition_and_level_with_every_declared_metric(tmp_path):
    """A table per condition (the clean set, then its levels in their unit), both declared metrics in each cell,
    the low-SNR summary for noise only, one plot per family, mean +- std over folds x seeds."""
    exp = tmp_path / "exp"
    metrics = (("ua", "max"), ("wa", "max"))
    for fold, shift in ((1, 0.0), (2, 0.1)):
        write_run(exp, "tr", f"fold{fold}_seed1", scores=grid_scores(shift), metrics=metrics)
        write_run(exp, "noisy", f"fold{fold}_seed1", frontend="identity", scores=grid_scores(shift - 0.2),
                  metrics=metrics)
    out = tmp_path / "RESULTS.md"
    run_cli("report", "--exp_dir", str(exp), "--out", str(out), "--systems", "noisy tr")
    md = out.read_text()
    assert "Metrics: **ua** (higher is better), **wa** (higher is better) in each cell, mean over 2 run(s) " \
           "(2 folds x 1 seeds)" in md
    seen = md.split("## ua / wa with seen noise\n\n")[1].split("\n\n")[0].splitlines()
    assert seen[0] == "| system | clean | 5 dB | 0 dB | -5 dB |"
    assert seen[3] == ("| tr | 0.950 ± 0.071 / 0.850 ± 0.071 | 0.750 ± 0.071 / 0.650 ± 0.071 | "
                       "0.550 ± 0.071 / 0.450 ± 0.071 | 0.350 ± 0.071 / 0.250 ± 0.071 |")
    mp3 = md.split("## ua / wa with mp3 codec\n\n")[1].split("\n\n")[0].splitlines()
    assert mp3[0] == "| system | clean | 64 kbps | 32 kbps |"
    assert "## ua / wa with noisy_opus chain\n\n| system | clean | 64 kbps |" in md
    assert md.index("seen noise") < md.index("mp3 codec") < md.index("noisy_opus chain")
    low = md.split("## Low SNR: mean ua / wa over 0, -5 dB\n\n")[1].split("\n\n")[0].splitlines()
    assert low[0] == "| system | seen |" and low[3] == "| tr | 0.450 ± 0.071 / 0.350 ± 0.071 |"
    assert md.count("## Low") == 1  # no low-level summary for codecs
    si = md.split("## SI-SNR improvement of the front-end (dB)\n\n")[1]
    assert si.startswith("seen noise:\n\n| system | 5 dB | 0 dB | -5 dB |\n|---|---:|---:|---:|\n| tr | 5.00 ± 0.00 | 10.00 ± 0.00 | 15.00 ± 0.00 |")
    assert "| noisy |" not in si.split("\n\n##")[0]  # identity front-end: no improvement to show
    for family in ("noise", "codec", "chain"):
        assert f"](exp/results_{family}.png)" in md
        assert (exp / f"results_{family}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (exp / "results_clean.png").exists()
    with open(exp / "results.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["system", "condition", "level", "unit", "metric", "value"]
    assert ["tr", "mp3", "32", "kbps", "wa", "0.55"] in rows and ["tr", "mp3", "32", "kbps", "wa_std", "0.0707107"] in rows
    assert ["tr", "clean", "", "", "ua", "0.95"] in rows and ["tr", "seen", "-5", "dB", "si_snri", "15"] in rows
    with open(exp / "results_per_seed.csv") as f:
        per_run = list(csv.reader(f))
    assert ["tr/fold2_seed1", "seen", "0", "dB", "ua", "0.6"] in per_run
    assert len(per_run) == 1 + 2 * 2 * (7 * 2 + 3)  # systems x runs x (sets x declared + si_snri sets)


def test_a_test_set_that_is_already_noisy_gets_its_own_table(tmp_path):
    """A separation-like task: one as-is set and si_snri declared; no SI-SNR table beside it."""
    exp = tmp_path / "exp"
    write_run(exp, "nass", metrics=(("si_snri", "max"), ("sdri", "max")),
              scores={"test": ("test", "as-is", None, None, {"si_snri": 9.5, "sdri": 10.25})})
    out = tmp_path / "RESULTS.md"
    run_cli("report", "--exp_dir", str(exp), "--out", str(out))
    md = out.read_text()
    assert "## si_snri / sdri\n\n| system | test |\n|---|---:|\n| nass | 9.500 / 10.250 |" in md
    assert "SI-SNR improvement of the front-end" not in md and "Low SNR" not in md
    assert not list(exp.glob("results_*.png"))


def test_reverb_levels_run_from_the_driest_room_and_the_title_says_reverb_once(tmp_path):
    exp = tmp_path / "exp"
    scores = {"clean": ("clean", "clean", None, None, {"acc": 0.9})}
    for rt60, acc in ((0.3, 0.7), (0.9, 0.4), (0.6, 0.5)):
        scores[f"reverb_{rt60}s"] = ("reverb", "reverb", rt60, "s", {"acc": acc, "si_snri": rt60 * 10})
    write_run(exp, "tr", scores=scores)
    out = tmp_path / "RESULTS.md"
    run_cli("report", "--exp_dir", str(exp), "--out", str(out))
    md = out.read_text()
    assert "## acc with reverb\n\n| system | clean | 0.3 s | 0.6 s | 0.9 s |\n|---|---:|---:|---:|---:|\n" \
           "| tr | 0.900 | 0.700 | 0.500 | 0.400 |" in md
    assert "reverb:\n\n| system | 0.3 s | 0.6 s | 0.9 s |" in md and "reverb reverb" not in md
    assert "![acc against RT60, reverb](exp/results_reverb.png)" in md


def test_two_sets_at_one_condition_and_level_are_refused(tmp_path):
    exp = tmp_path / "exp"
    write_run(exp, "a", scores={"seen_0dB": ("seen", "noise", 0.0, "dB", {"acc": 0.5}),
                                "seen_snr0": ("seen", "noise", 0.0, "dB", {"acc": 0.4})})
    proc = run_cli("report", "--exp_dir", str(exp), "--out", str(tmp_path / "R.md"), check=False)
    assert proc.returncode != 0
    assert f"{exp}/a/seed1/eval/seen_snr0 and {exp}/a/seed1/eval/seen_0dB are both condition 'seen' at level 0.0" \
        in proc.stderr
