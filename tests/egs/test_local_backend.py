"""The local job backend of cmd.sh: JOB=1:N in parallel, a log per job, failures named."""

from __future__ import annotations

import subprocess

from conftest import ROOT

LOCAL = ROOT / "egs" / "TEMPLATE" / "utils" / "local.sh"


def test_array_jobs_write_one_log_each(tmp_path):
    proc = subprocess.run([str(LOCAL), "--max_jobs_run", "2", "JOB=1:3", str(tmp_path / "log.JOB.txt"),
                           "bash", "-c", "echo job JOB; sleep 0.2"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for j in (1, 2, 3):
        text = (tmp_path / f"log.{j}.txt").read_text()
        assert f"job {j}\n" in text and text.startswith("# bash -c echo job") and "exit status 0" in text


def test_failures_are_named_with_their_logs(tmp_path):
    proc = subprocess.run([str(LOCAL), "JOB=1:3", str(tmp_path / "log.JOB"),
                           "bash", "-c", "if [ JOB = 2 ]; then echo broken >&2; exit 3; fi"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"job 2 of 1..3 failed; see {tmp_path}/log.2" in proc.stderr and "broken" in proc.stderr
    assert "exit status 3" in (tmp_path / "log.2").read_text()
    assert "exit status 0" in (tmp_path / "log.1").read_text()


def test_single_job_without_array(tmp_path):
    proc = subprocess.run([str(LOCAL), str(tmp_path / "one.log"), "echo", "hello"], capture_output=True, text=True)
    assert proc.returncode == 0 and "hello" in (tmp_path / "one.log").read_text()
