"""Training killed with SIGKILL at random moments, then rerun, ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
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
trainer: {save_interval_steps: 1, keep_nbest: 1, log_interval: 1}
"""


def train_cmd(mini_data, config, out_dir):
    return [str(VENV_BIN / "aecomp"), "train", "--config", str(config), "--train_data", str(mini_data / "train"),
            "--valid_data", str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(out_dir)]


STEPS_PER_EPOCH = 8  # 60 debug training utterances in batches of 8
STEP_LOG = re.compile(r"epoch \d+/\d+ \[[^]]*\]: \d+/\d+ steps")


def global_step(out) -> int:
    """Steps done according to the newest checkpoint's name (ep<E>.pt or ep<E>_step<K>.pt)."""
    pointer = out / "checkpoints" / "latest"
    if not pointer.is_file():
        return 0
    m = re.match(r"ep(\d+)(?:_step(\d+))?\.pt", pointer.read_text().strip())
    return int(m.group(1)) * STEPS_PER_EPOCH + int(m.group(2) or 0)


def test_sigkill_at_random_moments_then_resume_is_exact(mini_data, tmp_path):
    config = tmp_path / "conf.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "ref"
    subprocess.run(train_cmd(mini_data, config, ref), env=env, check=True, capture_output=True)

    out = tmp_path / "killed"
    rng = np.random.default_rng(2024)
    total = 4 * STEPS_PER_EPOCH
    targets = sorted(rng.choice(np.arange(2, total - 2), size=3, replace=False).tolist())
    for i, target in enumerate(targets):
        proc = subprocess.Popen(train_cmd(mini_data, config, out), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(300, proc.kill)  # only guards against a hang
        watchdog.start()
        if i % 2:  # as soon as the checkpoint of `target` is in place: early in the next step
            while global_step(out) < target and proc.poll() is None:
                time.sleep(0.01)
        else:  # at the next step's log line, which the trainer writes just before saving that step
            for line in proc.stderr:
                if STEP_LOG.search(line) and global_step(out) >= target:
                    break
        assert proc.poll() is None, f"training ended before step {target}: " + proc.stderr.read()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        watchdog.cancel()
        assert global_step(out) >= target
    final = subprocess.run(train_cmd(mini_data, config, out), env=env, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert "resumed from" in final.stderr
    a, b = load_checkpoint(ref / "model.pt")["model"], load_checkpoint(out / "model.pt")["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs after kills at steps {targets}"
    assert not [p for p in (out / "checkpoints").iterdir() if p.name.startswith(".")]


def test_preemption_signal_saves_exits_75_and_the_rerun_resumes_exactly(mini_data, tmp_path):
    """What Slurm does before a time limit or a preemption: SIGUSR1 (or SIGTERM) to the job."""
    config = tmp_path / "conf.yaml"
    config.write_text(CONFIG.replace("save_interval_steps: 1, ", ""))  # only the signal makes a mid-epoch save
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "ref"
    subprocess.run(train_cmd(mini_data, config, ref), env=env, check=True, capture_output=True)
    out = tmp_path / "preempted"
    for sig, epoch in ((signal.SIGUSR1, 2), (signal.SIGTERM, 3)):
        proc = subprocess.Popen(train_cmd(mini_data, config, out), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        # The trainer logs every step here (8 per epoch); signal it after the first step of `epoch`,
        # so the signal lands mid-epoch whatever the machine's speed.
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if re.search(rf"epoch {epoch}/4 \[[^]]*\]: 1/\d+ steps", line):
                break
        else:
            raise AssertionError("no step log of epoch %d:\n%s" % (epoch, "".join(seen)[-2000:]))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 75, err[-2000:]
        assert "stop requested: saved a checkpoint" in err
        assert "_step" in (out / "checkpoints" / "latest").read_text()  # a mid-epoch checkpoint
    final = subprocess.run(train_cmd(mini_data, config, out), env=env, capture_output=True, text=True)
    assert final.returncode == 0 and "resumed from" in final.stderr
    a, b = load_checkpoint(ref / "model.pt")["model"], load_checkpoint(out / "model.pt")["model"]
    for k in a:
        assert torch.equal(a[k], b[k]), k
