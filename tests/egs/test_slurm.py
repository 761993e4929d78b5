"""The Slurm job backend (egs/TEMPLATE/utils/slurm.sh) on a real single-node cluster started for these tests."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, VENV_BIN, eval_grid
from slurm_cluster import SlurmCluster, _alive

UTILS = ROOT / "egs" / "TEMPLATE" / "utils"
SLURM = UTILS / "slurm.sh"
RECIPE = ROOT / "egs" / "speech_commands" / "scr1"
CONF = RECIPE / "conf" / "slurm.conf"

# a stand-in for the trainer: saves a "checkpoint" and exits 75 on SIGUSR1/SIGTERM; the second run succeeds
PREEMPTIBLE = """\
import pathlib, signal, sys, time
marker = pathlib.Path(sys.argv[1])
if marker.exists():
    print("second run: resumed from", marker.read_text(), flush=True)
    sys.exit(0)
stop = []
old = {s: signal.signal(s, lambda signum, frame: stop.append(signum)) for s in (signal.SIGUSR1, signal.SIGTERM)}
print("first run: waiting", flush=True)
for step in range(600):  # like the trainer: stop at the next safe point
    if stop:
        # like the trainer: the inherited handlers back (ignored under slurm.sh) before exiting; Python resets
        # its own handlers to the default at shutdown, so a second SIGTERM then (Slurm signals every process
        # of the job, and slurm.sh passes the signal on) would kill it with 143 instead of its exit status
        for s, h in old.items():
            signal.signal(s, h)
        marker.write_text("checkpoint")
        print("got signal", stop[0], "- checkpoint saved", flush=True)
        sys.exit(75)
    time.sleep(0.1)
sys.exit(1)
"""


@pytest.fixture(scope="module")
def cluster():
    with SlurmCluster() as c:
        c.env["PATH"] = f"{UTILS}:{c.env['PATH']}"
        daemons = c.running_daemons()
        assert len(daemons) == 3  # munged, slurmctld, slurmd
        yield c
    assert not [pid for pid in daemons if _alive(pid)] and not c.root.exists()


def active_jobs(cluster) -> list[str]:
    """Jobs the controller still has pending, running or completing (squeue's default states)."""
    q = subprocess.run(["squeue", "-h", "-r", "-o", "%i %T"], env=cluster.env, capture_output=True, text=True, timeout=60)
    assert q.returncode == 0, q.stderr
    return q.stdout.split("\n")[:-1]


@pytest.fixture(autouse=True)
def empty_queue(cluster):
    """Each test starts on an empty queue and leaves one: whatever a test left is cancelled and waited for."""
    assert active_jobs(cluster) == []
    yield
    if active_jobs(cluster):
        subprocess.run(["scancel", "--user", str(os.getuid())], env=cluster.env, capture_output=True, timeout=60)
        wait_for(lambda: not active_jobs(cluster), timeout=120, what="the jobs of this test to end")


def slurm_sh(cluster, *args, cwd, config=CONF, timeout=120, check=None):
    proc = subprocess.run([str(SLURM), "--config", str(config), *map(str, args)], cwd=cwd, env=cluster.env,
                          capture_output=True, text=True, timeout=timeout)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


def interruptible() -> None:
    """SIGINT back to its default in the child, as for a command started from a terminal.

    A test run started in the background by a non-interactive shell (``tools/test.sh &``, nohup, some CI
    runners) has SIGINT ignored, every child inherits that, and bash can neither trap nor reset a signal
    ignored on entry: slurm.sh would never see the Ctrl-C this test sends (issue 20)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def background():
    """Starts slurm.sh without waiting for it; whatever still runs at the end of the test is killed."""
    started = []

    def start(cluster, *args, cwd, config=CONF):
        p = subprocess.Popen([str(SLURM), "--config", str(config), *map(str, args)], cwd=cwd, env=cluster.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.poll() is None:
            p.kill()
            p.communicate()


def job_id(stdout: str) -> str:
    m = re.search(r"Slurm job (\d+)", stdout)
    assert m, stdout
    return m.group(1)


def wait_for(predicate, timeout=30, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def log_says(path, text):
    return lambda: path.exists() and text in path.read_text()


def squeue(cluster, *args):
    return subprocess.run(["squeue", "-h", *args], env=cluster.env, capture_output=True, text=True, timeout=30).stdout


def test_array_writes_a_log_and_status_per_task(cluster, tmp_path):
    proc = slurm_sh(cluster, "--max_jobs_run", 2, "JOB=1:3", tmp_path / "log" / "x.JOB.log",
                    "bash", "-c", "echo job JOB on $(hostname) with PATH=$PATH; sleep 0.5", cwd=tmp_path, check=0)
    first = job_id(proc.stdout)
    for j in (1, 2, 3):
        text = (tmp_path / "log" / f"x.{j}.log").read_text()
        assert text.startswith(f"# bash -c echo job {j} on")
        assert f"(Slurm job {first}_{j}, attempt 1)" in text
        assert f"job {j} on " in text and text.rstrip().endswith("exit status 0")
        assert f"with PATH={UTILS}:" in text  # sbatch --export=PATH: the submitter's PATH
        status = (tmp_path / "log" / "q" / f"x.{j}.status").read_text()
        assert "exit_status=0\n" in status and "elapsed=" in status
    assert (tmp_path / "log" / "q" / "x.sh").is_file()
    # a single job (no JOB=) and the outcome taken from the task's status file
    proc = slurm_sh(cluster, tmp_path / "one.log", "echo", "hello", cwd=tmp_path, check=0)
    assert "hello\n" in (tmp_path / "one.log").read_text()
    assert (tmp_path / "q" / "one.1.status").read_text().startswith("exit_status=0")


def test_failed_task_is_named_with_its_log(cluster, tmp_path):
    proc = slurm_sh(cluster, "JOB=1:3", tmp_path / "log.JOB",
                    "bash", "-c", "if [ JOB = 2 ]; then echo broken >&2; exit 3; fi; echo fine", cwd=tmp_path, check=1)
    first = job_id(proc.stdout)
    assert f"slurm.sh: job 2 of 1..3 (Slurm job {first}_2) failed; see {tmp_path}/log.2 (exit status 3)" in proc.stderr
    assert "broken" in proc.stderr and "job 1 of" not in proc.stderr and "job 3 of" not in proc.stderr
    assert "exit status 3" in (tmp_path / "log.2").read_text()
    assert "exit status 0" in (tmp_path / "log.1").read_text()


def test_cancelled_task_without_status_counts_as_failed(cluster, tmp_path, background):
    p = background(cluster, "JOB=1:2", tmp_path / "log.JOB", "bash", "-c", "echo started JOB; [ JOB = 1 ] || sleep 60",
                   cwd=tmp_path)
    wait_for(log_says(tmp_path / "log.2", "started 2"), what="task 2 to start")
    first = job_id(p.stdout.readline())
    subprocess.run(["scancel", f"{first}_2"], env=cluster.env, check=True, timeout=30)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, out + err
    assert f"job 2 of 1..2 (Slurm job {first}_2) failed; see {tmp_path}/log.2 (it ended without an exit status" in err
    assert "CANCELLED" in err and "job 1 of" not in err


def test_after_runs_rounds_and_skips_a_task_whose_task_failed(cluster, tmp_path):
    """--after: task 2 waits for task 1 (which fails), task 4 for task 3; tasks 1 and 3 form the first round,
    one job array, task 4 the second; task 2 is never submitted."""
    (tmp_path / "after").write_text("\n1\n\n3\n")
    dry = slurm_sh(cluster, "--dry_run", "true", "--after", "after", "JOB=1:4", tmp_path / "log.JOB", "true",
                   cwd=tmp_path, check=0).stdout.splitlines()
    arrays = [[w for w in shlex.split(line) if w.startswith("--array=")] for line in dry]  # the dry run: both rounds
    assert arrays == [["--array=1,3"], ["--array=2,4"]]
    proc = slurm_sh(cluster, "--after", "after", "JOB=1:4", tmp_path / "log.JOB", "bash", "-c",
                    "echo ran JOB; [ JOB != 1 ]", cwd=tmp_path, check=1)
    rounds = re.findall(r"Slurm job (\d+), tasks ([\d ]+);", proc.stdout)
    assert [tasks for _, tasks in rounds] == ["1 3", "4"], proc.stdout
    assert f"job 1 of 1..4 (Slurm job {rounds[0][0]}_1) failed" in proc.stderr
    assert f"job 2 of 1..4 was not started; see {tmp_path}/log.2: task 1, which it waits for, did not succeed" in proc.stderr
    assert "ran 4" in (tmp_path / "log.4").read_text() and "ran" not in (tmp_path / "log.2").read_text()
    assert not (tmp_path / "q" / "log.2.status").exists()


def test_options_become_sbatch_flags(cluster, tmp_path):
    def dry(*args):
        proc = slurm_sh(cluster, "--dry_run", "true", *args, tmp_path / "log" / "t.JOB.log", "true", cwd=tmp_path,
                        check=0)
        return proc.stdout.split()

    flags = dry("--gpu", 2, "--mem", "4G", "--time", "1:00:00", "--max_jobs_run", 3, "JOB=1:5")
    assert flags[:3] == ["sbatch", "--export=PATH", "--requeue"]
    text = " ".join(flags)
    for expected in ("-p gpu --gres=gpu:2 -c 2", "--mem-per-cpu 4G", "--time 1:00:00", "--array=1-5%3",
                     "--job-name t", "--signal=B:USR1@300", f"--output {tmp_path}/log/q/t.%a.out"):
        assert expected in text, text
    assert text.endswith(f"{tmp_path}/log/q/t.sh")
    assert "sbatch --export=PATH --requeue -p gpu" in (tmp_path / "log" / "q" / "t.sh").read_text()
    # defaults: no GPU (no partition, no gres), 24 hours; no throttle without --max_jobs_run
    text = " ".join(dry("--gpu", 0, "JOB=1:2"))
    assert "--gres" not in text and " -p " not in text and "--time 24:00:00" in text and "--array=1-2 " in text
    # --signal_seconds 0: no warning signal; a short time limit gets an earlier one
    assert "--signal" not in " ".join(dry("--signal_seconds", 0, "JOB=1:2"))
    assert "--signal=B:USR1@30" in " ".join(dry("--time", 5, "JOB=1:2"))  # 5 minutes
    # an option the config cannot map
    proc = slurm_sh(cluster, "--cpus", 4, tmp_path / "x.log", "true", cwd=tmp_path, check=1)
    assert "cannot map --cpus 4: add a line 'option cpus=4" in proc.stderr

    # the flags reach the job: its own Slurm record, printed from inside it
    show = tmp_path / "show.sh"
    show.write_text('scontrol show job "$SLURM_JOB_ID"\n')
    slurm_sh(cluster, "--mem", "200M", "--time", "0:10:00", "--max_jobs_run", 1, "JOB=1:2",
             tmp_path / "rec.JOB.log", "bash", show, cwd=tmp_path, check=0)
    for j in (1, 2):
        record = (tmp_path / f"rec.{j}.log").read_text()
        for expected in ("TimeLimit=00:10:00", "MinMemoryCPU=200M", "Requeue=1", f"ArrayTaskId={j}",
                         "ArrayTaskThrottle=1", "JobName=rec", f"Partition={cluster.partition}"):
            assert expected in record, record


def test_submission_errors_are_explained(cluster, tmp_path):
    conf = tmp_path / "slurm.conf"
    conf.write_text("command sbatch --export=PATH\noption gpu=* --gres=gpu:$0\n")
    proc = slurm_sh(cluster, "--gpu", 1, tmp_path / "x.log", "true", config=conf, cwd=tmp_path, check=1)
    assert "slurm.sh: submission failed: sbatch --export=PATH --parsable --gres=gpu:1" in proc.stderr
    assert "gres" in proc.stderr.lower() and f"lines of {conf}" in proc.stderr
    conf.write_text("command no-such-sbatch\n")
    proc = slurm_sh(cluster, tmp_path / "x.log", "true", config=conf, cwd=tmp_path, check=1)
    assert "'no-such-sbatch' not found" in proc.stderr and "cmd_backend=local" in proc.stderr
    conf.write_text("command sbatch\nopion gpu=0\n")
    proc = slurm_sh(cluster, tmp_path / "x.log", "true", config=conf, cwd=tmp_path, check=1)
    assert "line 2: unknown keyword 'opion'" in proc.stderr


def test_preempted_task_is_requeued_and_resumes(cluster, tmp_path, background):
    script = tmp_path / "train.py"
    script.write_text(PREEMPTIBLE)
    jobs = tmp_path / "jobs"  # run through run_line.sh like the recipe's stages: a shell between job and "trainer"
    jobs.write_text(f"{sys.executable} {script} {tmp_path}/ckpt\n")
    p = background(cluster, "JOB=1:1", tmp_path / "train.JOB.log", "run_line.sh", jobs, "JOB", cwd=tmp_path)
    log = tmp_path / "train.1.log"
    wait_for(log_says(log, "first run: waiting"), what="the first run")
    first = job_id(p.stdout.readline())
    subprocess.run(["scancel", "--signal=USR1", "--batch", first], env=cluster.env, check=True, timeout=30)
    wait_for(lambda: "PENDING" in squeue(cluster, "-j", first, "-o", "%T"), what="the requeued task")
    out, err = p.communicate(timeout=90)
    assert p.returncode == 0, out + err
    text = log.read_text()
    assert "received SIGUSR1; passed on to the command" in text
    assert "got signal 10 - checkpoint saved" in text and "exit status 75: preempted, requeued" in text
    assert "attempt 2)" in text and "second run: resumed from checkpoint" in text
    assert text.rstrip().endswith("exit status 0")


TRAIN_CONFIG = """\
frontend: {name: unet, conf: {channels: [2, 2]}}
downstream: {name: kws_cnn, conf: {channels: [2, 4], time_steps: 2, dropout: 0.3}}
paradigm: {name: joint, conf: {ae_epochs: 1, joint_epochs: 2}}
data: {batch_size: 8, num_workers: 0, preload: true}
scheduler: {name: cosine}
trainer: {log_interval: 1}
"""


def test_preempted_training_is_requeued_and_resumes_exactly(cluster, mini_data, tmp_path, background):
    """The real trainer under Slurm: the warning signal mid-epoch, a checkpoint, exit 75, requeue, resume;
    the requeued run ends with the parameters of an uninterrupted run."""
    from aecomp.train.checkpoint import load_checkpoint
    import torch

    config = tmp_path / "conf.yaml"
    config.write_text(TRAIN_CONFIG)

    def train(out):
        return [str(VENV_BIN / "aecomp"), "train", "--config", str(config), "--train_data", str(mini_data / "train"),
                "--valid_data", str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(out)]

    env = {**cluster.env, "OMP_NUM_THREADS": "1"}
    subprocess.run(train(tmp_path / "ref"), env=env, check=True, capture_output=True, timeout=600)
    jobs = tmp_path / "train.jobs"
    jobs.write_text(" ".join(train(tmp_path / "exp")) + "\n")
    p = background(cluster, "JOB=1:1", tmp_path / "train.JOB.log", "run_line.sh", jobs, "JOB", cwd=tmp_path)
    log = tmp_path / "train.1.log"
    # the trainer logs each step: send the warning signal after step 1 of epoch 2, whatever the machine's speed
    wait_for(lambda: log.exists() and re.search(r"epoch 2/3 \[[^]]*\]: 1/\d+ steps", log.read_text()),
             timeout=300, what="step 1 of epoch 2")
    first = job_id(p.stdout.readline())
    subprocess.run(["scancel", "--signal=USR1", "--batch", first], env=cluster.env, check=True, timeout=60)
    out, err = p.communicate(timeout=600)
    assert p.returncode == 0, out + err
    text = log.read_text()
    for expected in ("received SIGUSR1; passed on to the command", "stop requested: saved a checkpoint",
                     "exit status 75: preempted, requeued", "attempt 2)", "resumed from"):
        assert expected in text, text[-3000:]
    assert text.rstrip().endswith("exit status 0")
    a, b = load_checkpoint(tmp_path / "ref" / "model.pt")["model"], load_checkpoint(tmp_path / "exp" / "model.pt")["model"]
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_preempted_task_that_cannot_be_requeued(cluster, tmp_path, background):
    conf = tmp_path / "slurm.conf"
    conf.write_text(CONF.read_text().replace("--requeue", "--no-requeue"))
    script = tmp_path / "train.py"
    script.write_text(PREEMPTIBLE)
    p = background(cluster, "JOB=1:2", tmp_path / "train.JOB.log", sys.executable, script, tmp_path / "ckpt.JOB",
                   config=conf, cwd=tmp_path)
    wait_for(lambda: all(log_says(tmp_path / f"train.{j}.log", "first run")() for j in (1, 2)), what="both tasks")
    first = job_id(p.stdout.readline())
    subprocess.run(["scancel", "--signal=USR1", "--batch", first], env=cluster.env, check=True, timeout=30)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, out + err
    assert "exit status 75; preempted: rerun the stage to resume" in err
    assert f"job 1 of 1..2 (Slurm job {first}_1) failed" in err and f"job 2 of 1..2 (Slurm job {first}_2) failed" in err
    assert "preempted: rerun the stage to resume" in (tmp_path / "train.2.log").read_text()


def test_cancelled_trainer_is_not_requeued(cluster, tmp_path, background):
    script = tmp_path / "train.py"
    script.write_text(PREEMPTIBLE)
    p = background(cluster, tmp_path / "train.log", sys.executable, script, tmp_path / "ckpt", cwd=tmp_path)
    wait_for(log_says(tmp_path / "train.log", "first run"), what="the job")
    first = job_id(p.stdout.readline())
    subprocess.run(["scancel", first], env=cluster.env, check=True, timeout=30)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 1, out + err
    assert f"job 1 of 1..1 (Slurm job {first}) failed" in err
    assert "exit status 75; stopped by Slurm (JobState=COMPLETING) after saving a checkpoint" in err
    text = (tmp_path / "train.log").read_text()
    assert "checkpoint saved" in text and "second run" not in text and "requeued" not in text


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_slurm_sh_cancels_the_job(cluster, tmp_path, background, sig):
    p = background(cluster, "JOB=1:2", tmp_path / "log.JOB", "bash", "-c", "echo started; sleep 60", cwd=tmp_path)
    wait_for(log_says(tmp_path / "log.1", "started"), what="task 1")
    first = job_id(p.stdout.readline())
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)  # guards against a hang only
    assert p.returncode == 130 and f"cancelling Slurm job {first}" in err and "could not cancel" not in err
    wait_for(lambda: not active_jobs(cluster), timeout=120, what="the cancelled tasks to end")
    states = squeue(cluster, "-t", "all", "-r", "-j", first, "-o", "%T").split()
    assert states == ["CANCELLED", "CANCELLED"], states


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below ``pid``."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            try:
                found.append((c, Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except OSError:
                continue
            todo.append(c)
    return found


def test_interrupt_is_acted_on_while_the_controller_does_not_answer(tmp_path):
    """Ctrl-C while squeue waits on a controller that does not answer (frozen here; busy on a loaded machine):
    slurm.sh must not wait for squeue (bash runs a trap only after the foreground command) nor hang in scancel.
    The clients' MessageTimeout is 100 s, so a slurm.sh that waited for either could not end within the guard."""
    with SlurmCluster(message_timeout=100) as c:
        c.env["PATH"] = f"{UTILS}:{c.env['PATH']}"
        p = subprocess.Popen([str(SLURM), "--config", str(CONF), "--cancel_timeout", "3", "JOB=1:2", str(tmp_path / "log.JOB"),
                              "bash", "-c", "echo started; sleep 60"], cwd=tmp_path, env=c.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
        ctld = c._pid("slurmctld")
        try:
            wait_for(log_says(tmp_path / "log.1", "started"), what="task 1")
            first = job_id(p.stdout.readline())
            os.kill(ctld, signal.SIGSTOP)
            # slurm.sh polls every second or two: wait until a squeue of its own hangs on the frozen controller
            wait_for(lambda: any(cmd.startswith("squeue") for _, cmd in descendants(p.pid)), what="a squeue call")
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=60)  # far below the 100 s a waiting client would need
            assert p.returncode == 130, err
            assert f"interrupted; cancelling Slurm job {first}" in err
            assert (f"could not cancel Slurm job {first} (the Slurm controller did not answer within 3 s); "
                    f"it may still run: cancel it with 'scancel {first}'") in err
        finally:
            os.kill(ctld, signal.SIGCONT)
            if p.poll() is None:
                p.kill()
                p.communicate()


def test_recipe_stages_through_slurm(cluster, tmp_path):
    """Stages 1-5 of the Speech Commands recipe with cmd_backend=slurm: training in 3 rounds, one job array
    each (noisy, then cascade from noisy, then joint from both), and evaluation as a job array."""
    systems = ["noisy", "cascade", "joint"]
    env = {**cluster.env, "cmd_backend": "slurm", "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--data_args", "--mini_size debug", "--eval_config", str(eval_grid(tmp_path / "eval.yaml", [10, 0, -5])),
           "--datadir", str(tmp_path / "data"), "--expdir", str(tmp_path / "exp"), "--results", str(tmp_path / "R.md"),
           "--systems", " ".join(systems), "--stop_stage", "5"]
    proc = subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logdir = tmp_path / "exp" / "log"
    assert "training 3 run(s), each once the runs it starts from are trained: noisy, cascade (after noisy)," \
        " joint (after cascade,noisy)" in proc.stdout
    assert [tasks.strip() for tasks in re.findall(r"Slurm job \d+, tasks ([\d ]+)", proc.stdout)][:3] == ["1", "2", "3"]
    for j, system in enumerate(systems, 1):
        log = (logdir / f"train.{j}.log").read_text()
        assert log.startswith(f"# run_line.sh {logdir}/train.jobs {j}") and "(Slurm job " in log
        assert log.rstrip().endswith("exit status 0")
        assert (logdir / "q" / f"train.{j}.status").read_text().startswith("exit_status=0\n")
        assert (tmp_path / "exp" / system / "seed1" / "model.pt").is_file()
    assert f"frontend starts from {tmp_path}/exp/cascade/seed1/model.pt" in (logdir / "train.3.log").read_text()
    for j, system in enumerate(systems, 1):
        assert (logdir / f"eval.{j}.log").read_text().rstrip().endswith("exit status 0")
        assert len(list((tmp_path / "exp" / system / "seed1" / "eval").glob("*/metrics.json"))) == 7
    assert proc.stdout.count("slurm.sh: Slurm job ") == 4  # 3 training rounds + evaluation
    assert "--array=1-3%2 " in (logdir / "q" / "eval.sh").read_text()  # --nj 2: two evaluations at a time
