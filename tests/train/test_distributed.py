"""DistributedDataParallel on CPU (gloo): two processes end where one process on the same global batches ends."""

from __future__ import annotations

import subprocess

import torch

from aecomp.train.checkpoint import load_checkpoint, newest_checkpoint

from conftest import VENV_BIN

CONFIG = """\
frontend: {name: unet, conf: {channels: [2, 4], norm: none}}
downstream: {name: kws_cnn, conf: {channels: [2, 4], time_steps: 2, dropout: 0.0, norm: none}}
paradigm: {name: joint, conf: {ae_epochs: 1, joint_epochs: 1}}
data: {batch_size: 8, num_workers: 0, preload: true}
optim: {name: sgd, conf: {lr: 0.05, momentum: 0.9}}  # Adam would amplify float rounding in near-zero gradients
trainer: {keep_nbest: 1}
"""


def train(mini_data, config, out, procs):
    cmd = [str(VENV_BIN / "aecomp"), "train", "--config", str(config), "--train_data", str(mini_data / "train"),
           "--valid_data", str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(out),
           "--num_procs", str(procs)]
    return subprocess.run(cmd, capture_output=True, text=True, env={"OMP_NUM_THREADS": "1",
                                                                     "PATH": "/usr/bin:/bin"})


def test_two_gloo_processes_match_one_process(mini_data, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    one, two = train(mini_data, config, tmp_path / "one", 1), train(mini_data, config, tmp_path / "two", 2)
    assert one.returncode == 0, one.stderr[-2000:]
    assert two.returncode == 0, two.stderr[-2000:]
    assert "starting 2 training processes" in two.stderr and "rank 0 of 2" in two.stderr
    a = load_checkpoint(newest_checkpoint(tmp_path / "one" / "checkpoints"))
    b = load_checkpoint(newest_checkpoint(tmp_path / "two" / "checkpoints"))
    assert a["train_state"]["global_step"] == b["train_state"]["global_step"] == 16
    for k in a["model"]:
        assert torch.allclose(a["model"][k], b["model"][k], rtol=1e-4, atol=1e-5), k
    # validation counts were summed over both ranks: same accuracy on the whole dev set
    va, vb = a["train_state"]["history"][-1]["valid"], b["train_state"]["history"][-1]["valid"]
    assert va["total"] == vb["total"] == 20 and abs(va["acc"] - vb["acc"]) < 1e-9
    # only rank 0 wrote logs and checkpoints
    assert len(list((tmp_path / "two" / "checkpoints").glob("*.pt"))) <= 2
    assert (tmp_path / "two" / "train.log").read_text().count("best epoch") == 1


def test_a_failing_rank_fails_the_run(mini_data, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG.replace("norm: none}}\nparadigm", "norm: nonsense}}\nparadigm"))
    proc = train(mini_data, config, tmp_path / "bad", 2)
    assert proc.returncode != 0 and "norm must be one of batch, none" in proc.stderr
