"""``aecomp evaluate --checkpoint N`` scores the weights kept after epoch N (trainer.keep_epochs; kept by
the trainer: tests/train/test_trainer.py) beside the best model's results."""

from __future__ import annotations

import json

import torch

from aecomp.train.checkpoint import load_checkpoint, save_checkpoint
from aecomp.train.system import load_paradigm

from conftest import run_cli


CONFIG = """\
frontend: {name: identity}
downstream:
  name: kws_cnn
  conf: {channels: [2, 4], time_steps: 2}
paradigm:
  name: noisy
  conf: {epochs: 2}
data: {batch_size: 8, num_workers: 0, preload: true}
trainer: {keep_epochs: [0, 2]}
"""


def hyps(eval_dir):
    return [line.split()[1] for line in (eval_dir / "test" / "hyp.txt").read_text().splitlines()]


def test_evaluate_scores_a_kept_epoch_beside_the_best_model(mini_data, tmp_path):
    config = tmp_path / "train_x.yaml"
    config.write_text(CONFIG)
    model = tmp_path / "exp"
    run_cli("train", "--config", str(config), "--train_data", str(mini_data / "train"), "--valid_data",
            str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(model))
    test = str(mini_data / "test")
    run_cli("evaluate", "--model_dir", str(model), "--data", test)
    # epoch 2's weights made to answer one label that model.pt never answers: its results must show it
    labels = load_paradigm(model)[0].downstream.labels
    target = next(label for label in labels if label not in hyps(model / "eval"))
    state = load_checkpoint(model / "epochs" / "epoch2.pt")
    state["model"]["downstream.classifier.weight"].zero_()
    state["model"]["downstream.classifier.bias"].copy_(torch.eye(len(labels))[labels.index(target)])
    save_checkpoint(model / "epochs" / "epoch2.pt", state)
    run_cli("evaluate", "--model_dir", str(model), "--data", test, "--checkpoint", "2")
    assert set(hyps(model / "eval_epoch2")) == {target}
    assert target not in hyps(model / "eval")  # the best model's results are not overwritten
    best = json.loads((model / "eval" / "test" / "metrics.json").read_text())
    epoch2 = json.loads((model / "eval_epoch2" / "test" / "metrics.json").read_text())
    assert (best["checkpoint"], epoch2["checkpoint"]) == ("model.pt", "epoch2")
    again = run_cli("evaluate", "--model_dir", str(model), "--data", test, "--checkpoint", "2")
    assert f"{model} (epoch2) already scored on {test}; kept" in again.stdout + again.stderr
    again = run_cli("evaluate", "--model_dir", str(model), "--data", test)
    assert f"{model} already scored on {test}; kept" in again.stdout + again.stderr  # the recipe's rerun test reads it
    proc = run_cli("evaluate", "--model_dir", str(model), "--data", test, "--checkpoint", "1", check=False)
    assert proc.returncode != 0
    assert "the weights after epoch 1 were not kept (kept: 0, 2)" in proc.stderr, proc.stderr
    assert not (model / "eval_epoch1").exists()


def test_cosine_restarts_restart_every_given_number_of_epochs():
    """Seed 004's SGD with cosine decay and warm restarts (scheduler cosine_restarts, stepped per batch)."""
    from aecomp.config import SchedulerConf
    from aecomp.train.optim import build_scheduler

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched, interval = build_scheduler(opt, SchedulerConf("cosine_restarts", {"epochs": 2}), total_steps=40,
                                      steps_per_epoch=5)
    lrs = []
    for _ in range(20):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert interval == "step" and lrs[0] == lrs[10] == 0.1  # a restart after 2 epochs of 5 steps
    assert lrs[9] < 0.01 and all(a > b for a, b in zip(lrs[:9], lrs[1:10]))


def test_evaluate_scores_only_the_sets_of_the_systems_evaluation_sets(mini_data, tmp_path):
    """evaluation.sets in the training config: the other sets given are named in the log and not scored; patterns
    choosing none of the sets given are an error that names the config."""
    config = tmp_path / "train_x.yaml"
    config.write_text(CONFIG + "evaluation: {sets: [dev, 'te*']}\n")
    model = tmp_path / "exp"
    run_cli("train", "--config", str(config), "--train_data", str(mini_data / "train"), "--valid_data",
            str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(model))
    proc = run_cli("evaluate", "--model_dir", str(model), "--data", str(mini_data / "test"), str(mini_data / "train"))
    assert sorted(p.parent.name for p in (model / "eval").glob("*/metrics.json")) == ["test"]
    assert "1 of 2 set(s) not scored, outside its evaluation.sets ['dev', 'te*']: train" in proc.stderr
    proc = run_cli("evaluate", "--model_dir", str(model), "--data", str(mini_data / "train"), check=False)
    assert proc.returncode != 0
    assert f"{model}/config.yaml: evaluation.sets ['dev', 'te*'] chooses none of the 1 set(s) given (train)" in proc.stderr
