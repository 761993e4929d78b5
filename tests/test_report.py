"""RESULTS.md says what produced it: a "Produced by" command that reruns the same thing when pasted,
how each stage made the outputs behind the table (or that the table is not reproducible from the
command), and which systems used a randomly initialised SSL upstream."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import torch
import yaml

from conftest import ROOT, run_cli

RECIPES = ["speech_commands/scr1", "librispeech/asr1"]
ARGS = ["--systems", "clean noisy", "--title", "it's \"$HOME\" `x` *", "--data_args", ""]


def write_run(exp: Path, system: str, seed: str = "seed1", loss: dict | None = None) -> Path:
    """A scored system as the train and evaluate stages leave it: config.yaml, eval/clean/metrics.json."""
    run = exp / system / seed
    (run / "eval" / "clean").mkdir(parents=True)
    cfg = {"paradigm": "cascade", "frontend": "unet", "downstream": "kws_cnn", "loss": loss or {}}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    (run / "eval" / "clean" / "metrics.json").write_text(json.dumps(
        {"condition": "clean", "snr_db": None, "metric": "acc", "metric_mode": "max", "acc": 0.5}))
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
    for stage, where in [(1, data), (2, data), (3, data / "eval")] + [
            (n, exp / s / "seed1" / sub) for s in ("clean", "noisy") for n, sub in ((4, ""), (5, "eval"))]:
        record(where, stage, cmd)

    def report(command):
        out = tmp_path / "RESULTS.md"
        run_cli("report", "--exp_dir", str(exp), "--out", str(out), "--data_dir", str(data), "--command", command)
        return out.read_text()

    md = report(cmd)
    assert "| 4 train | clean/seed1, noisy/seed1 | the command shown | `--x 1` | abc | A=1 |" in md
    assert "Every stage was run by the command shown." in md and "NOT reproducible" not in md
    md = report("cd egs/x && ./run.sh --stage 6")
    assert "| 4 train | clean/seed1, noisy/seed1 | `cd egs/x && ./run.sh --systems 'clean noisy'` | `--x 1` |" in md
    assert "The command shown did not run every stage" in md and "NOT reproducible" not in md
    (exp / "noisy" / "seed1" / ".stage4").unlink()
    md = report(cmd)
    assert "| 4 train | noisy/seed1 | **no record** |" in md
    assert "**NOT reproducible from the command shown**: nothing records how stage(s) 4 (train)" in md


def test_recipe_stages_write_their_records(mini_data, tmp_path):
    """Stages 2 and 3 of the recipe record the command (quoted), their options and the commit."""
    data = tmp_path / "data"
    subprocess.run(["cp", "-r", str(mini_data), str(data)], check=True)
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini")}
    args = ["--stage", "2", "--stop_stage", "3", "--datadir", str(data), "--expdir", str(tmp_path / "exp"),
            "--eval_snrs", "0", "--eval_seed", "7", "--systems", "clean noisy"]
    proc = subprocess.run(["./run.sh", *args], cwd=ROOT / "egs" / "speech_commands" / "scr1", env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec3 = (data / "eval" / ".stage3").read_text().splitlines()
    command = rec3[0].removeprefix("command: ")
    assert pasted_argv(command, "cd egs/speech_commands/scr1 && ./run.sh") == args
    assert rec3[1] == "options: --eval_snrs 0 --eval_seed 7 --sample_rate 16000"
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert rec3[2].startswith(f"commit: {head.strip()}")
    assert f"env: AECOMP_MINI={tmp_path / 'mini'}" in rec3
    assert (data / ".stage2").read_text().startswith(f"command: {command}\n")
    assert not (data / ".stage1").exists()  # stage 1 did not run: nothing claims it did


def test_random_upstream_is_marked_from_its_checkpoint(tmp_path):
    from aecomp.losses.tiny_upstream import build_tiny_wavlm

    random_ckpt = build_tiny_wavlm(tmp_path / "tiny_wavlm.pt")
    trained_ckpt = tmp_path / "wavlm_trained.pt"
    state = torch.load(random_ckpt, weights_only=False)
    state.pop("pretrained", None)
    state["cfg"] = {**state["cfg"], "encoder_layers": 3}  # another model: nothing says it is random
    torch.save(state, trained_ckpt)
    exp = tmp_path / "exp"
    write_run(exp, "noisy")
    for system, ckpt in (("ssl_a", random_ckpt), ("ssl_b", trained_ckpt)):
        write_run(exp, system, loss={"name": "ssl", "conf": {"upstream": "wavlm_local", "ckpt": str(ckpt)}})
    out = tmp_path / "RESULTS.md"
    run_cli("report", "--exp_dir", str(exp), "--out", str(out))
    rows = {line.split(" | ")[0]: line for line in out.read_text().splitlines() if line.startswith("| ")}
    assert rows["| ssl_a"].endswith(f"| tiny_wavlm (wavlm_local, {random_ckpt}): randomly initialised, not pre-trained |")
    assert rows["| ssl_b"].endswith(f"| wavlm_trained (wavlm_local, {trained_ckpt}) |")
    assert rows["| noisy"].endswith("| – |")
    assert "**ssl_a: the SSL upstream is randomly initialised, not pre-trained**" in out.read_text()


def test_unquoted_list_is_refused_not_cut_short(tmp_path):
    """``--systems clean noisy`` (the old recorded form) stops with a clear error instead of running ``clean``."""
    proc = subprocess.run(["./run.sh", "--systems", "clean", "noisy", "--stage", "9", "--expdir", str(tmp_path)],
                          cwd=ROOT / "egs" / "speech_commands" / "scr1", capture_output=True, text=True,
                          env={**os.environ, "AECOMP_MINI": str(tmp_path / "mini")})
    assert proc.returncode != 0
    assert 'unexpected argument(s): noisy. A value with spaces needs quotes, e.g. --systems "clean noisy"' in proc.stderr
