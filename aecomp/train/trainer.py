"""The one trainer: runs a paradigm's schedule, validates, checkpoints, logs and resumes.

The paradigm decides what a step computes and which modules train in which
phase; the trainer only runs steps. Per epoch it trains, validates on the
fixed noisy dev set, writes a checkpoint (atomically) and keeps the best
``keep_nbest`` by the paradigm's primary validation metric (``model.pt``: the best, or the average of the
``average_nbest`` best); the weights after the
epochs in ``keep_epochs`` are kept as ``epochs/epoch<N>.pt``. Resuming restores
model, optimizer, scheduler, gradient scaler, every RNG and the position in
the epoch, so an interrupted run ends with the same parameters as an
uninterrupted one (on CPU).
"""

from __future__ import annotations

import json
import logging
import math
import signal
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import torch

from aecomp.config import ExperimentConfig
from aecomp.data.dataset import AudioDataset, collate
from aecomp.data.prefetch import prefetched
from aecomp.data.sampler import BucketBatchSampler
from aecomp.errors import AecompError
from aecomp.fs import atomic_write_text
from aecomp.train.checkpoint import (CheckpointError, load_checkpoint, newest_checkpoint, remove_quietly,
                                     rng_state, save_checkpoint, set_rng_state)
from aecomp.train.distributed import Distributed
from aecomp.train.optim import build_optimizer, build_scheduler

log = logging.getLogger(__name__)


class TrainingError(AecompError, RuntimeError):
    """Training cannot go on (non-finite losses, say); the message says why and what to do."""


class Preempted(Exception):
    """Raised after a checkpoint was saved because the job was asked to stop (SIGUSR1/SIGTERM)."""


#: exit status of a training process that saved a checkpoint and stopped on request
PREEMPTED_EXIT = 75


@dataclass
class TrainState:
    """Where training stands; saved in every checkpoint."""

    epoch: int = 0  # completed epochs
    step_in_epoch: int = 0  # batches done in the epoch under way
    global_step: int = 0
    nan_batches: int = 0
    history: List[dict] = field(default_factory=list)
    best: List[dict] = field(default_factory=list)  # {"epoch", "value", "file"}, best first


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (model initialisation, dropout)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class _StepModule(torch.nn.Module):
    """DistributedDataParallel hooks into its wrapper's forward pass: this forward is a training step."""

    def __init__(self, paradigm):
        super().__init__()
        self.paradigm = paradigm

    def forward(self, batch, phase):
        return self.paradigm.train_step(batch, phase)


class Trainer:
    """Train ``paradigm`` on ``train_set``, validating on ``valid_set``; outputs go to ``out_dir``."""

    def __init__(self, paradigm, cfg: ExperimentConfig, out_dir: str | Path, train_set: AudioDataset,
                 valid_set: AudioDataset, device: str = "cpu", dist: Optional[Distributed] = None,
                 downstream_pretrained: bool = False):
        """``downstream_pretrained``: the downstream model starts trained (``init``), so epochs before it
        trains may be selected as best; otherwise only epochs after it first trained. Either way, only once
        every module the schedule trains has trained (:meth:`_selectable`)."""
        self.dist = dist or Distributed()
        if self.dist.enabled and torch.device(device).type == "cuda":
            paradigm = torch.nn.SyncBatchNorm.convert_sync_batchnorm(paradigm)  # batch statistics over all ranks
        self.paradigm = paradigm.to(device)
        self.cfg, self.device = cfg, torch.device(device)
        self.out_dir = Path(out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.train_set, self.valid_set = train_set, valid_set
        self.downstream_pretrained = downstream_pretrained
        self._ddp = None  # the DistributedDataParallel wrapper of the current phase
        tc = cfg.trainer
        if tc.nan_policy not in ("skip", "stop"):
            raise TrainingError(f"{cfg.where('trainer', 'nan_policy')}: must be 'skip' or 'stop', "
                                f"got '{tc.nan_policy}'")
        if tc.log_interval < 1:
            raise TrainingError(f"{cfg.where('trainer', 'log_interval')}: must be >= 1 (steps between "
                                f"progress lines), got {tc.log_interval}")
        if not 1 <= tc.average_nbest <= max(1, tc.keep_nbest):
            raise TrainingError(f"{cfg.where('trainer', 'average_nbest')}: must be in 1..keep_nbest "
                                f"({tc.keep_nbest}): only kept checkpoints can be averaged; got {tc.average_nbest}")
        self.schedule = paradigm.schedule()
        bad = [e for e in tc.keep_epochs if not (isinstance(e, int) and 0 <= e <= len(self.schedule))]
        if bad:
            raise TrainingError(f"{cfg.where('trainer', 'keep_epochs')}: {bad} not in 0..{len(self.schedule)}: "
                                f"this paradigm trains {len(self.schedule)} epochs (0: the model before the first)")
        self.sampler = BucketBatchSampler(train_set.durations, cfg.data.batch_size, cfg.data.batch_seconds,
                                          shuffle=True, seed=tc.seed, num_replicas=self.dist.world_size,
                                          rank=self.dist.rank)
        self.valid_sampler = BucketBatchSampler(valid_set.durations, cfg.data.batch_size, cfg.data.batch_seconds,
                                                shuffle=False, num_replicas=self.dist.world_size,
                                                rank=self.dist.rank)
        self.optimizer = build_optimizer(paradigm.param_groups(), cfg.optim)
        self.scheduler, self.interval = build_scheduler(self.optimizer, cfg.scheduler,
                                                        len(self.sampler) * len(self.schedule), len(self.sampler))
        self.use_amp = tc.use_amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.state = TrainState()
        self._stop_requested = False
        self._writer = None

    # -- public -------------------------------------------------------------------
    def fit(self, resume: bool = True) -> Path:
        """Train to the end of the schedule; returns the path of ``model.pt`` (best epoch's weights)."""
        seed_everything(self.cfg.trainer.seed)
        if resume:
            self._resume()
        elif newest_checkpoint(self.ckpt_dir) is not None:
            raise TrainingError(f"{self.ckpt_dir} already holds checkpoints; resume, or remove the folder "
                                "to start again")
        with self._logging(), self._stop_signals():
            log.info("training %s: %d epochs (%s), %d steps per epoch -> %s", type(self.paradigm).__name__,
                     len(self.schedule), _phase_summary(self.schedule), len(self.sampler), self.out_dir)
            if self.state.epoch == self.state.step_in_epoch == 0:
                self._keep_epoch(0)
            for epoch in range(self.state.epoch, len(self.schedule)):
                phase = self.schedule[epoch]
                self.paradigm.configure(phase)
                self._wrap_for(phase)
                t0 = time.time()
                train_stats = self._train_epoch(epoch, phase)
                train_seconds = time.time() - t0
                valid = self._validate(phase)
                self._end_epoch(epoch, phase, train_stats, valid, time.time() - t0, train_seconds)
            return self._finish()

    def request_stop(self, *_args) -> None:
        """Ask the trainer to save and stop at the next step (signal handler)."""
        self._stop_requested = True

    # -- epochs -------------------------------------------------------------------
    def _train_epoch(self, epoch: int, phase) -> Dict[str, float]:
        self.sampler.set_epoch(epoch)
        self.sampler.start_batch = self.state.step_in_epoch
        self.train_set.set_epoch(epoch)
        loader = self._loader(self.train_set, self.sampler)
        sums: Dict[str, float] = {}
        n_steps = 0
        autocast = torch.autocast("cuda", enabled=True) if self.use_amp else nullcontext()
        params = [p for p in self.paradigm.parameters() if p.requires_grad]
        bar = _progress(len(self.sampler), f"epoch {epoch + 1}/{len(self.schedule)} [{phase.name}]",
                        self.cfg.trainer.log_interval, start=self.state.step_in_epoch, enabled=self.dist.is_main)
        try:
            for batch in loader:
                batch = batch.to(self.device)
                with autocast:
                    loss, stats = self._step(batch, phase)
                if not torch.isfinite(loss):
                    self._non_finite(f"loss is {float(loss.detach())} at epoch {epoch + 1}, "
                                     f"step {self.state.step_in_epoch + 1}",
                                     batch)
                else:
                    self.scaler.scale(loss).backward()
                    self.scaler.unscale_(self.optimizer)
                    norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.trainer.grad_clip or float("inf"))
                    if not torch.isfinite(norm):
                        self._non_finite(f"gradient norm is {float(norm)} at epoch {epoch + 1}", batch)
                    else:
                        self.scaler.step(self.optimizer)
                        self.scaler.update()
                        if self.scheduler is not None and self.interval == "step":
                            self.scheduler.step()
                        stats["loss"] = float(loss.detach())
                        for k, v in stats.items():
                            sums[k] = sums.get(k, 0.0) + v
                        n_steps += 1
                self.optimizer.zero_grad(set_to_none=True)
                self.state.step_in_epoch += 1
                self.state.global_step += 1
                bar.update(stats)
                if self.dist.is_main and self._writer is not None and self.state.global_step % 10 == 0:
                    for k, v in stats.items():
                        self._writer.add_scalar(f"train/{k}", v, self.state.global_step)
                if self.dist.enabled:  # every rank stops at the same step
                    flag = torch.tensor([float(self._stop_requested)], device=self.device)
                    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
                    self._stop_requested = bool(flag.item())
                every = self.cfg.trainer.save_interval_steps
                if self._stop_requested or (every and self.state.global_step % every == 0):
                    self._save(f"ep{epoch:03d}_step{self.state.step_in_epoch:06d}.pt")
                    if self._stop_requested:
                        log.warning("stop requested: saved a checkpoint at epoch %d step %d; rerun to resume",
                                    epoch + 1, self.state.step_in_epoch)
                        raise Preempted()
        finally:
            if hasattr(loader, "close"):  # stop the prefetch thread (a stop request leaves mid-epoch)
                loader.close()
        bar.close()
        return {k: v / max(n_steps, 1) for k, v in sums.items()}

    def _step(self, batch, phase):
        if self._ddp is not None:
            return self._ddp(batch, phase)
        return self.paradigm.train_step(batch, phase)

    def _wrap_for(self, phase) -> None:
        """A new DDP wrapper when the trainable parameters change (DDP tracks those it was built with)."""
        if not self.dist.enabled:
            return
        if self._ddp is None or self._ddp_modules != phase.train:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self._ddp = DistributedDataParallel(_StepModule(self.paradigm), device_ids=ids)
            self._ddp_modules = phase.train

    @torch.no_grad()
    def _validate(self, phase) -> Dict[str, float]:
        self.paradigm.eval()
        counts: Dict[str, float] = {}
        for batch in self._loader(self.valid_set, self.valid_sampler):
            for k, v in self.paradigm.valid_step(batch.to(self.device), phase).items():
                counts[k] = counts.get(k, 0.0) + v
        counts = self._all_reduce(counts)
        self.paradigm.configure(phase)  # restore train modes
        return self.paradigm.summarize_valid(counts)

    def _end_epoch(self, epoch: int, phase, train_stats, valid, seconds: float, train_seconds: float) -> None:
        """``seconds``: the epoch with its validation; ``train_seconds``: its training loop alone."""
        record = {"epoch": epoch + 1, "phase": phase.name, "seconds": round(seconds, 2),
                  "train_seconds": round(train_seconds, 2),
                  "lr": [g["lr"] for g in self.optimizer.param_groups], "train": train_stats, "valid": valid}
        self.state.history.append(record)
        self.state.epoch, self.state.step_in_epoch = epoch + 1, 0
        if self.scheduler is not None and self.interval == "epoch":
            if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                self.scheduler.step(valid.get(self.paradigm.metric, 0.0))
            else:
                self.scheduler.step()
        name = f"ep{epoch + 1:03d}.pt"
        eligible = self._selectable(epoch)
        value = valid.get(self.paradigm.metric)
        if eligible and value is not None and not math.isnan(value):
            self.state.best.append({"epoch": epoch + 1, "value": value, "file": name})
            higher = self.paradigm.metric_mode == "max"
            self.state.best.sort(key=lambda b: (-b["value"] if higher else b["value"], b["epoch"]))
            del self.state.best[self.cfg.trainer.keep_nbest:]
        self._keep_epoch(epoch + 1)  # before the checkpoint: a kill between the two redoes this epoch
        self._save(name)
        if self.dist.is_main:
            log.info("epoch %d/%d [%s] %.1f s | train %s | valid %s -> %s", epoch + 1, len(self.schedule),
                     phase.name, seconds, _fmt(train_stats), _fmt(valid), self.ckpt_dir / name)
            if self._writer is not None:
                for k, v in valid.items():
                    self._writer.add_scalar(f"valid/{k}", v, epoch + 1)
                self._writer.flush()
            atomic_write_text(self.out_dir / "history.json", json.dumps(self.state.history, indent=1))

    def _finish(self) -> Path:
        ranked = self.state.best or [{"epoch": self.state.epoch, "file": f"ep{self.state.epoch:03d}.pt"}]
        best, averaged = ranked[0], ranked[:self.cfg.trainer.average_nbest]
        model_path = self.out_dir / "model.pt"
        if self.dist.is_main:
            weights = average_weights([load_checkpoint(self.ckpt_dir / b["file"])["model"] for b in averaged])
            save_checkpoint(model_path, {"model": weights})
            record = next(h for h in self.state.history if h["epoch"] == best["epoch"])
            n_params = sum(p.numel() for p in self.paradigm.parameters())
            atomic_write_text(self.out_dir / "best.json", json.dumps(
                {**best, "valid": record["valid"], "parameters": n_params,
                 "averaged_epochs": [b["epoch"] for b in averaged]}, indent=1))
            metric = self.paradigm.metric
            log.info("best epoch %d (%s %.4g)%s -> %s", best["epoch"], metric,
                     record["valid"].get(metric, float("nan")),
                     f"; weights averaged over epochs {', '.join(str(b['epoch']) for b in averaged)}"
                     if len(averaged) > 1 else "", model_path)
        self._barrier()
        return model_path

    # -- checkpoints --------------------------------------------------------------
    def _keep_epoch(self, epoch: int) -> None:
        """Write the model weights as ``epochs/epoch<epoch>.pt`` if ``trainer.keep_epochs`` asks for them."""
        if epoch in self.cfg.trainer.keep_epochs and self.dist.is_main:
            save_checkpoint(epoch_weights(self.out_dir, epoch), {"model": self.paradigm.state_dict()})

    def _selectable(self, epoch: int) -> bool:
        """Whether the weights after ``epoch`` (0-based) may be chosen as the best: every module the
        schedule trains has trained at least once by then (a cascade's model is never its front-end after
        one enhancement epoch in front of a recogniser that has not adapted to it), and the downstream has
        trained unless it started trained or has no parameters."""
        done = self.schedule[:epoch + 1]
        modules = {m for p in self.schedule for m in p.train}
        if not all(any(m in p.train for p in done) for m in modules):
            return False
        ds = self.paradigm.downstream
        return (self.downstream_pretrained or not any(True for _ in ds.parameters())
                or any(p.trains("downstream") for p in done))

    def _save(self, name: str) -> None:
        """Write checkpoint ``name``, point ``latest`` at it, and delete all but it and the best."""
        if self.dist.is_main:
            for p in self.paradigm.parameters():
                if not torch.isfinite(p).all():
                    raise TrainingError("refusing to save a checkpoint with non-finite weights; "
                                        "lower the learning rate or enable gradient clipping")
            state = {
                "model": self.paradigm.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
                "scaler": self.scaler.state_dict(),
                "train_state": asdict(self.state),
                "rng": rng_state(),
            }
            save_checkpoint(self.ckpt_dir / name, state)
            atomic_write_text(self.ckpt_dir / "latest", name + "\n")
            keep = {b["file"] for b in self.state.best} | {name}
            for f in self.ckpt_dir.glob("ep*.pt"):
                if f.name not in keep:
                    remove_quietly(f)
        self._barrier()

    def _resume(self) -> None:
        for partial in self.ckpt_dir.glob(".*"):  # a write cut short by a kill
            log.info("removing the unfinished write %s", partial)
            remove_quietly(partial)
        newest = newest_checkpoint(self.ckpt_dir)
        if newest is None:
            return
        candidates = [newest] + sorted((p for p in self.ckpt_dir.glob("ep*.pt") if p != newest), reverse=True)
        for path in candidates:
            try:
                ckpt = load_checkpoint(path, map_location=self.device)
                break
            except CheckpointError as exc:
                log.warning("%s; trying an older checkpoint", exc)
        else:
            raise CheckpointError(f"no readable checkpoint in {self.ckpt_dir}; remove it to start again")
        self.paradigm.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt["scheduler"]:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        self.scaler.load_state_dict(ckpt["scaler"])
        self.state = TrainState(**ckpt["train_state"])
        set_rng_state(ckpt["rng"])
        log.info("resumed from %s: epoch %d, step %d of the epoch", path, self.state.epoch + 1,
                 self.state.step_in_epoch)

    def _non_finite(self, what: str, batch) -> None:
        self.state.nan_batches += 1
        utts = ", ".join(batch.uttids[:4])
        if self.cfg.trainer.nan_policy == "stop":
            raise TrainingError(f"{what} (batch {utts}, ...); trainer.nan_policy=stop. Lower optim.conf.lr, "
                                "or set trainer.nan_policy=skip")
        log.warning("%s; batch skipped (%d so far; utterances %s, ...)", what, self.state.nan_batches, utts)
        if self.state.nan_batches > self.cfg.trainer.max_nan_batches:
            raise TrainingError(f"{self.state.nan_batches} batches with non-finite loss or gradient, more than "
                                f"trainer.max_nan_batches={self.cfg.trainer.max_nan_batches}; lower the "
                                "learning rate or check the data with 'aecomp validate'")

    # -- plumbing -----------------------------------------------------------------
    def _loader(self, dataset, sampler):
        # an own generator: a DataLoader otherwise draws its workers' base seed from the global RNG,
        # which would shift dropout randomness between an interrupted run and its resumption
        generator = torch.Generator().manual_seed(self.cfg.trainer.seed * 100003 + sampler.epoch)
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=collate,
                                             num_workers=self.cfg.data.num_workers, generator=generator,
                                             pin_memory=self.device.type == "cuda")
        # Without workers, batches that mix noise on the fly are made in a thread while the previous
        # step computes (measured by bench/data_pipeline.py; figures in bench/RESULTS.md). Batches
        # that are only indexed from memory are cheaper made inline: there the thread's GIL
        # hand-offs cost more than they save (bench/trainer_overhead.py).
        if self.cfg.data.num_workers == 0 and getattr(dataset, "noise", None) is not None:
            return prefetched(loader)
        return loader

    def _all_reduce(self, counts: Dict[str, float]) -> Dict[str, float]:
        """Sums of every rank's validation counts."""
        if not self.dist.enabled:
            return counts
        keys = sorted(counts)
        values = torch.tensor([counts[k] for k in keys], dtype=torch.float64, device=self.device)
        torch.distributed.all_reduce(values)
        return dict(zip(keys, values.tolist()))

    def _barrier(self) -> None:
        if self.dist.enabled:
            torch.distributed.barrier()

    @contextmanager
    def _logging(self):
        if not self.dist.is_main:
            yield
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(self.out_dir / "train.log")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        root = logging.getLogger("aecomp")
        root.addHandler(handler)
        old_level = root.level
        if root.getEffectiveLevel() > logging.INFO:  # train.log gets progress even when the caller logs less
            root.setLevel(logging.INFO)
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.out_dir / "tensorboard"))
        except ImportError:  # tensorboard is optional
            log.info("tensorboard is not installed; logging to %s only", self.out_dir / "train.log")
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    @contextmanager
    def _stop_signals(self):
        """SIGUSR1 and SIGTERM (Slurm's warning before a time limit or preemption) stop at a safe point."""
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        old = {s: signal.signal(s, self.request_stop) for s in (signal.SIGUSR1, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)


def epoch_weights(model_dir: str | Path, epoch: int) -> Path:
    """Where the model weights after ``epoch`` epochs are kept (``trainer.keep_epochs``)."""
    return Path(model_dir) / "epochs" / f"epoch{epoch}.pt"


class _progress:
    """tqdm on a terminal, otherwise a log line (job logs) at every ``every``-th step of the epoch.

    ``start``: steps of the epoch already done (a resumed run counts on from there).
    """

    def __init__(self, total: int, desc: str, every: int, start: int = 0, enabled: bool = True):
        self.total, self.desc, self.n, self.every, self.enabled = total, desc, start, every, enabled
        self.bar = None
        self.t0 = time.time()
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=start, desc=desc, leave=False, dynamic_ncols=True)

    def update(self, stats: Dict[str, float]) -> None:
        self.n += 1
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.3g}" for k, v in stats.items()}, refresh=False)
            self.bar.update(1)
        elif self.enabled and (self.n % self.every == 0):
            log.info("%s: %d/%d steps (%.0f s) %s", self.desc, self.n, self.total, time.time() - self.t0, _fmt(stats))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fmt(d: Dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4g}" for k, v in d.items() if isinstance(v, (int, float)))


def _phase_summary(schedule) -> str:
    parts, prev = [], None
    for p in schedule:
        if p.name != prev:
            parts.append([p.name, 0])
            prev = p.name
        parts[-1][1] += 1
    return ", ".join(f"{n} x{k}" for n, k in parts)


def average_weights(states: List[Dict[str, torch.Tensor]]) -> Dict[str, torch.Tensor]:
    """The element-wise mean of several state dicts of one model (floating-point tensors; the others, e.g.
    batch norm's step counters, from the first)."""
    if len(states) == 1:
        return states[0]
    return {k: (torch.stack([s[k].float() for s in states]).mean(0).to(v.dtype) if v.is_floating_point() else v)
            for k, v in states[0].items()}
