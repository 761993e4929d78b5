"""Training killed with SIGKILL at random moments, then rerun, ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import numpy as np
import torch

from aecomp.train.checkpoint import load_checkpoint

from conftest import VENV_BIN

CONFIG = """\
frontend: {name: unet, conf: {channels: [2, 2]}}
downstream: {name: kws_cnn, conf: {channels: [2, 4], time_steps: 2, dropout: 0.3}}
paradigm:
  name: iterative
  conf: {ae_epochs: 1, ca_epochs: 1, rounds: 1, ae_phase_epochs: 1, ca_phase_epochs: 1}
data: {batch_size: 8, num_workers: 0, preload: true}
scheduler: {name: cosine}
trainer: {save_interval_steps: 1, keep_nbest: 1}
"""


def train_cmd(mini_data, config, out_dir):
    return [str(VENV_BIN / "aecomp"), "train", "--config", str(config), "--train_data", str(mini_data / "train"),
            "--valid_data", str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(out_dir)]


def test_sigkill_at_random_moments_then_resume_is_exact(mini_data, tmp_path):
    config = tmp_path / "conf.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "ref"
    subprocess.run(train_cmd(mini_data, config, ref), env=env, check=True, capture_output=True)

    out = tmp_path / "killed"
    rng = np.random.default_rng(2024)
    kills = 0
    for _ in range(12):
        proc = subprocess.Popen(train_cmd(mini_data, config, out), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        # wait until this run has made progress past the start, then kill it at a random moment
        time.sleep(float(rng.uniform(3.0, 6.0)))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
        else:
            assert proc.returncode == 0, proc.stderr.read().decode()
            break
        if (out / "model.pt").is_file():
            break
    assert kills >= 2, "training finished before it could be killed twice; the test needs a slower run"
    final = subprocess.run(train_cmd(mini_data, config, out), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    a, b = load_checkpoint(ref / "model.pt")["model"], load_checkpoint(out / "model.pt")["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after {kills} kills"
    assert not [p for p in (out / "checkpoints").iterdir() if p.name.startswith(".")]
