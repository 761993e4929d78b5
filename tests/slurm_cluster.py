"""A throw-away single-node Slurm cluster for tests: munged, slurmctld and slurmd in a temporary folder.

    with SlurmCluster() as cluster:           # raises ClusterError (with the daemons' logs) if it does not come up
        subprocess.run(["sbatch", "--wrap", "hostname"], env=cluster.env)

Everything lives in one temporary folder: its own munge key and socket (the system's munged,
if any, is not touched), a slurm.conf on two free ports, state, spool, pid and log files.
Clients find the cluster through SLURM_CONF, which ``cluster.env`` sets. Jobs run as the
current user (root) on this machine. On exit every job is cancelled, the daemons are
stopped through their pid files (anything left of the jobs is killed) and the folder is
removed; an atexit hook does the same if the interpreter ends first.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ("slurmd", "slurmctld", "munged")  # in the order they are stopped


class ClusterError(RuntimeError):
    """The cluster could not be started (the message has the daemons' log tails)."""


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports that are free now (bound to port 0 together, then released)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def node_hardware() -> dict[str, str]:
    """This machine as slurmd sees it (``slurmd -C``): CPUs, Boards, ..., RealMemory."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, timeout=30, check=True).stdout
    fields = dict(kv.split("=", 1) for kv in out.split("\n")[0].split() if "=" in kv)
    fields.pop("NodeName", None)
    return fields


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pids = [p for p in pids if _alive(p)]
        if not pids:
            break
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


class SlurmCluster:
    """munged + slurmctld + slurmd on this machine, configured in a fresh temporary folder."""

    def __init__(self, start_timeout: float = 60.0, cred_expire: int = 5, message_timeout: int = 10):
        self.start_timeout = start_timeout
        self.message_timeout = message_timeout  # seconds a client waits for the controller (Slurm's default: 10)
        self.cred_expire = cred_expire  # also how long a requeued job waits before it starts again
        self.root: Path | None = None
        self.host = socket.gethostname().split(".")[0]
        self.env: dict[str, str] = {}
        self.partition = "debug"

    # -- paths --
    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.sock"

    def pid_file(self, daemon: str) -> Path:
        return self.root / "run" / f"{daemon}.pid"

    def log_file(self, daemon: str) -> Path:
        return self.root / "log" / f"{daemon}.log"

    # -- start / stop --
    def __enter__(self) -> SlurmCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        # munged wants its socket folder (and the folders above it) searchable by everyone
        self.root = Path(tempfile.mkdtemp(prefix="aecomp-slurm-", dir="/tmp"))
        atexit.register(self.stop)
        for sub in ("munge", "run", "log", "state", "spool"):
            (self.root / sub).mkdir()
        os.chmod(self.root, 0o755)
        os.chmod(self.root / "munge", 0o755)
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        try:
            self._start_munge()
            self._write_conf()
            for daemon in ("slurmctld", "slurmd"):
                self._run([daemon, "-f", str(self.conf)], f"start {daemon}")
            self._wait_idle()
        except Exception as e:
            message = f"the test Slurm cluster did not come up: {e}\n{self.log_tails()}"
            self.stop()
            raise ClusterError(message) from None

    def _run(self, cmd: list[str], what: str, timeout: float = 30) -> subprocess.CompletedProcess:
        try:
            proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{what}: '{' '.join(cmd)}' took more than {timeout} s") from None
        if proc.returncode != 0:
            raise ClusterError(f"{what}: '{' '.join(cmd)}' failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
        return proc

    def _start_munge(self) -> None:
        key = self.root / "munge" / "munge.key"
        with open("/dev/urandom", "rb") as f, open(key, "wb") as k:
            k.write(f.read(1024))
        os.chmod(key, 0o400)
        m = self.root / "munge"
        self._run(["munged", f"--key-file={key}", f"--socket={self.munge_socket}",
                   f"--pid-file={self.pid_file('munged')}", f"--log-file={self.log_file('munged')}",
                   f"--seed-file={m / 'munged.seed'}"], "start munged")
        end = time.monotonic() + 15
        while True:
            enc = subprocess.run(["munge", "-n", "-S", str(self.munge_socket)], capture_output=True, timeout=10)
            if enc.returncode == 0 and subprocess.run(["unmunge", "-S", str(self.munge_socket)], input=enc.stdout,
                                                      capture_output=True, timeout=10).returncode == 0:
                return
            if time.monotonic() > end:
                raise ClusterError(f"munged does not answer on {self.munge_socket}: {enc.stderr.decode()}")
            time.sleep(0.2)

    def _write_conf(self) -> None:
        ctld_port, slurmd_port = free_ports(2)
        hw = node_hardware()
        cpus, mem = int(hw["CPUs"]), int(hw["RealMemory"])
        node = " ".join(f"{k}={hw[k]}" for k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket",
                                                  "ThreadsPerCore", "RealMemory") if k in hw)
        r = self.root
        self.conf.write_text(f"""\
# written by tests/slurm_cluster.py
ClusterName=aecomptest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket},cred_expire={self.cred_expire}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={self.pid_file('slurmctld')}
SlurmdPidFile={self.pid_file('slurmd')}
SlurmctldLogFile={self.log_file('slurmctld')}
SlurmdLogFile={self.log_file('slurmd')}
PlugStackConfig={r}/plugstack.conf
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU={max(100, mem // cpus // 2)}
ReturnToService=2
JobRequeue=1
MinJobAge=60
KillWait=5
MessageTimeout={self.message_timeout}
NodeName={self.host} NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName={self.partition} Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
""")
        (r / "plugstack.conf").write_text("")

    def _wait_idle(self) -> None:
        t0 = time.monotonic()
        state = ""
        while time.monotonic() < t0 + self.start_timeout:
            for daemon in ("slurmctld", "slurmd"):
                pid = self._pid(daemon)
                if pid is None and time.monotonic() > t0 + 10:
                    raise ClusterError(f"{daemon} is not running (pid file {self.pid_file(daemon)})")
                if pid is not None and not _alive(pid):
                    raise ClusterError(f"{daemon} (pid {pid}) exited")
            proc = subprocess.run(["sinfo", "-h", "-n", self.host, "-o", "%T"], env=self.env,
                                  capture_output=True, text=True, timeout=30)
            state = (proc.stdout + proc.stderr).strip()
            if proc.returncode == 0 and state == "idle":
                return
            time.sleep(0.5)
        raise ClusterError(f"node {self.host} not idle after {self.start_timeout} s (sinfo: {state!r})")

    def _pid(self, daemon: str) -> int | None:
        try:
            pid = int(self.pid_file(daemon).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:  # only our own daemon: its command line names our files
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        return pid if str(self.root) in cmdline else None

    def _job_processes(self) -> list[int]:
        """Processes started for this cluster's jobs (slurmstepd and the jobs' commands)."""
        mark = f"SLURM_CONF={self.conf}".encode()
        keep = {os.getpid(), os.getppid()}
        found = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit() and int(d.name) not in keep:
                try:
                    if mark in (d / "environ").read_bytes().split(b"\0"):
                        found.append(int(d.name))
                except OSError:
                    pass
        return [p for p in found if _alive(p)]

    def stop(self) -> None:
        """Cancel every job, stop the daemons (through their pid files), remove the folder. Safe to repeat."""
        if self.root is None or not self.root.exists():
            return
        try:
            if self._pid("slurmctld") is not None:
                subprocess.run(["scancel", "--user", str(os.getuid())], env=self.env, capture_output=True, timeout=20)
                end = time.monotonic() + 20
                while time.monotonic() < end:
                    q = subprocess.run(["squeue", "-h", "-o", "%i"], env=self.env, capture_output=True, text=True,
                                       timeout=20)
                    if q.returncode != 0 or not q.stdout.strip():
                        break
                    time.sleep(0.5)
        except (OSError, subprocess.SubprocessError):
            pass
        for daemon in DAEMONS:
            pid = self._pid(daemon)
            if pid is None:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
                if _wait_gone([pid], 15):
                    os.kill(pid, signal.SIGKILL)
                    _wait_gone([pid], 5)
            except ProcessLookupError:
                pass
        for p in self._job_processes():  # whatever the jobs left behind
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def running_daemons(self) -> list[int]:
        return [p for d in DAEMONS if (p := self._pid(d)) is not None]

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every daemon's log (for error messages)."""
        if self.root is None:
            return ""
        out = []
        for daemon in ("munged", "slurmctld", "slurmd"):
            f = self.log_file(daemon)
            text = f.read_text(errors="replace").splitlines()[-lines:] if f.exists() else ["(no log)"]
            out.append(f"--- {f}:\n" + "\n".join(text))
        return "\n".join(out)
