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


def test_a_job_starts_as_soon_as_the_jobs_it_waits_for_succeed(tmp_path):
    """--after: job 3 waits only for job 1, so it starts while job 2 still runs. Job 2 runs until job 3 has
    run: a backend that waits for the whole group of jobs 1 and 2 before job 3 never ends job 2 (the
    timeout in job 2 only guards against hanging)."""
    (tmp_path / "after").write_text("\n\n1\n")
    job = ("case JOB in 1) true ;; 2) for i in $(seq 600); do [ -f three_ran ] && exit 0; sleep 0.1; done; exit 1 ;;"
           " 3) touch three_ran ;; esac")
    proc = subprocess.run([str(LOCAL), "--max_jobs_run", "2", "--after", "after", "JOB=1:3", "log.JOB", "bash", "-c", job],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert all("exit status 0" in (tmp_path / f"log.{j}").read_text() for j in (1, 2, 3))


def test_a_job_whose_job_failed_is_not_started(tmp_path):
    (tmp_path / "after").write_text("\n1\n\n2 3\n")  # 2 after 1 (fails); 3 free; 4 after 2 and 3
    proc = subprocess.run([str(LOCAL), "--after", "after", "JOB=1:4", "log.JOB", "bash", "-c",
                           "echo ran JOB; [ JOB != 1 ]"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "job 1 of 1..4 failed; see log.1" in proc.stderr
    assert "job 2 of 1..4 was not started; see log.2" in proc.stderr and "job 4 of 1..4 was not started" in proc.stderr
    assert (tmp_path / "log.2").read_text() == "# not started: job 1, which it waits for, did not succeed (log.1)\n"
    assert "ran 3" in (tmp_path / "log.3").read_text() and "job 3 of" not in proc.stderr
    assert "ran" not in (tmp_path / "log.4").read_text()


def test_a_bad_after_file_is_explained(tmp_path):
    (tmp_path / "after").write_text("\n2\n")
    proc = subprocess.run([str(LOCAL), "--after", "after", "JOB=1:2", "log.JOB", "true"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and not (tmp_path / "log.1").exists()
    assert "after line 2: '2' is not a job that runs before job 2 (a number in 1..1)" in proc.stderr
    (tmp_path / "after").write_text("\n")
    proc = subprocess.run([str(LOCAL), "--after", "after", "JOB=1:2", "log.JOB", "true"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "has 1 line(s), one per job expected (2: JOB=1:2)" in proc.stderr
