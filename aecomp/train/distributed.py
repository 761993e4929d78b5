"""Distributed data-parallel training: one process per GPU (NCCL), or per CPU worker (gloo).

Who starts the processes:

- under ``srun`` (Slurm, one task per GPU, any number of nodes): every task is a
  rank; rank, world size and local rank come from ``SLURM_PROCID``,
  ``SLURM_NTASKS`` and ``SLURM_LOCALID``, the master address is the first node
  of ``SLURM_JOB_NODELIST``;
- under ``torchrun``: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
  ``MASTER_ADDR``/``MASTER_PORT`` are set already;
- otherwise :func:`launch` spawns ``num_procs`` local processes itself.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger(__name__)


@dataclass
class Distributed:
    """This process's place in a torch.distributed job (world_size 1: not distributed)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def from_environment() -> Optional[Distributed]:
    """The rank of this process if a launcher (srun with several tasks, torchrun) started it."""
    env = os.environ
    if "RANK" in env and "WORLD_SIZE" in env and int(env["WORLD_SIZE"]) > 1:
        return Distributed(int(env["WORLD_SIZE"]), int(env["RANK"]), int(env.get("LOCAL_RANK", 0)))
    if "SLURM_STEP_ID" in env and int(env.get("SLURM_NTASKS", "1")) > 1:
        world, rank = int(env["SLURM_NTASKS"]), int(env["SLURM_PROCID"])
        env.setdefault("MASTER_ADDR", _first_slurm_host())
        env.setdefault("MASTER_PORT", str(20000 + int(env.get("SLURM_JOB_ID", "0")) % 20000))
        return Distributed(world, rank, int(env.get("SLURM_LOCALID", 0)))
    return None


def launch(worker: Callable[[Distributed], int], num_procs: int) -> int:
    """Run ``worker(dist)`` on every rank: as launched by srun/torchrun, or in ``num_procs``
    processes spawned here; returns the exit status of rank 0 (non-zero if any rank failed)."""
    dist = from_environment()
    if dist is not None:
        return _run(worker, dist)
    if num_procs <= 1:
        return worker(Distributed())
    import torch.multiprocessing as mp

    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    log.info("starting %d training processes (master %s:%s)", num_procs, os.environ["MASTER_ADDR"],
             os.environ["MASTER_PORT"])
    ctx = mp.get_context("spawn")
    results = ctx.Manager().dict()
    procs = [ctx.Process(target=_spawned, args=(worker, Distributed(num_procs, r, r), results))
             for r in range(num_procs)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    codes = [results.get(r, p.exitcode if p.exitcode else 1) for r, p in enumerate(procs)]
    failed = [r for r, c in enumerate(codes) if c not in (0,)]
    if failed:
        log.error("training process(es) of rank %s failed (exit %s)", failed, [codes[r] for r in failed])
    return codes[0] if codes[0] else (max(codes) if failed else 0)


def _spawned(worker, dist: Distributed, results) -> None:
    from aecomp.cli import run, setup_logging

    setup_logging("INFO" if dist.is_main else "WARNING")
    results[dist.rank] = run(lambda _: _run(worker, dist), None)


def _run(worker, dist: Distributed) -> int:
    import torch
    import torch.distributed as td

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if torch.cuda.is_available():
        torch.cuda.set_device(dist.local_rank)
    td.init_process_group(backend, rank=dist.rank, world_size=dist.world_size)
    try:
        return worker(dist)
    finally:
        td.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _first_slurm_host() -> str:
    nodelist = os.environ.get("SLURM_JOB_NODELIST", "127.0.0.1")
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True, text=True, check=True)
        return out.stdout.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return nodelist.split(",")[0]
