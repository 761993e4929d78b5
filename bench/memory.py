"""Peak resident memory of a command and all its child processes (summed), sampled every 0.2 s.

    tools/venv/bin/python bench/memory.py                 # a recipe run on the mini corpus (see below)
    tools/venv/bin/python bench/memory.py -- ./run_all.sh # any command, e.g. the whole main job

Without a command it runs the Speech Commands recipe on a debug-size mini corpus with the full
default configs of two systems (`noisy`, and `cascade` with its U-Net), stages 1-5: data
preparation, validation, evaluation sets, a training process and two evaluation processes at
once (the recipe's --nj), the jobs that set the peak of run_all.sh.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

from common import ROOT, result


def tree_rss_mb(root: int) -> float:
    """Sum of VmRSS of ``root`` and its descendants, in MiB."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def peak_of(cmd, cwd=None, env=None, log: Optional[Path] = None) -> float:
    """Peak resident memory (MiB) of ``cmd`` and its process tree, sampled every 0.2 s. Its output (stdout and
    stderr) goes to ``log``, or to a temporary file without one; a failure raises with the output's end."""
    out_path = log or Path(tempfile.mkstemp(prefix="aecomp-bench-", suffix=".log")[1])
    try:
        with open(out_path, "w") as out:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
            peak = 0.0
            while proc.poll() is None:
                peak = max(peak, tree_rss_mb(proc.pid))
                time.sleep(0.2)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}); the end of its output:\n"
                               f"{out_path.read_text(errors='replace')[-2000:]}")
        return peak
    finally:
        if log is None:
            out_path.unlink(missing_ok=True)


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        cmd = argv[1:]
        peak = peak_of(cmd)
        print(f"peak resident memory of {' '.join(cmd)}: {peak:.0f} MiB")
    else:
        with tempfile.TemporaryDirectory(prefix="aecomp-bench-") as tmp:
            env = {**os.environ, "AECOMP_MINI": f"{tmp}/mini"}
            cmd = ["./run.sh", "--stop_stage", "5", "--systems", "noisy cascade", "--data_args", "--mini_size debug",
                   "--datadir", f"{tmp}/data",
                   "--expdir", f"{tmp}/exp", "--results", f"{tmp}/RESULTS.md"]
            peak = peak_of(cmd, cwd=ROOT / "egs" / "speech_commands" / "scr1", env=env)
        print(f"peak resident memory of the Speech Commands recipe (stages 1-5, systems noisy and cascade, "
              f"debug-size mini corpus, full configs): {peak:.0f} MiB")
    result("peak_rss_mib", peak, "{:.0f}")


if __name__ == "__main__":
    main()
