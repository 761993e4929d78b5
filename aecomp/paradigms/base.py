"""Base class of training paradigms: a schedule of phases over a front-end and a downstream model.

A *phase* fixes, for some epochs, which modules train, what the downstream
model hears (clean, noisy, or enhanced audio) and how the per-sample losses
combine::

    loss = mean_i( w_i * (signal_weight * L_signal_i + task_weight * L_task_i) )

with ``w_i = 1``, or importance weights from the detached per-sample task
losses (``importance``). Every paradigm of seed 000 is such a schedule, so one
``train_step`` serves them all; a paradigm with another kind of step (TRNet's
refinement, say) overrides :meth:`Paradigm.train_step` and
:meth:`Paradigm.valid_step`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Optional, Tuple

import torch
from torch import nn

from aecomp import registry
from aecomp.data.dataset import Batch
from aecomp.downstream.base import Downstream, Metric, PrimaryMetric
from aecomp.frontends.base import Frontend
from aecomp.losses.importance import SCHEMES, importance_weights
from aecomp.metrics.signal import batch_signal_counts, summarize_signal

log = logging.getLogger(__name__)

TASK_INPUTS = ("clean", "noisy", "enhanced")


@dataclass
class Inference:
    """What a paradigm gives at test time: ``hyps``, one per sample in the form of ``text`` (None
    without a task to decode), and ``estimate``, the enhanced or separated signal ``[B, T]`` or
    ``[B, S, T]`` (None without one)."""

    hyps: Optional[List[str]]
    estimate: Optional[torch.Tensor]


def within(path: str, module: str) -> bool:
    """Whether module path ``path`` is ``module`` or inside it (``downstream.body`` is in ``downstream``)."""
    return path == module or path.startswith(module + ".")


@dataclass(frozen=True)
class Phase:
    """A stretch of ``epochs`` epochs with fixed trainable modules and loss.

    ``train`` holds module paths of the paradigm: a part (``frontend``, ``downstream``, a paradigm's
    own module such as ``blend``) or any module inside one (``downstream.body``); a path trains its
    whole subtree, everything else is frozen (and in eval mode)."""

    name: str
    epochs: int
    train: Tuple[str, ...]
    task_input: str = "enhanced"
    signal_weight: float = 0.0
    task_weight: float = 1.0
    importance: Optional[str] = None
    temperature: float = 1.0
    max_weight: float = 0.0

    def __post_init__(self):
        if self.task_input not in TASK_INPUTS:
            raise ValueError(f"phase {self.name}: task_input must be one of {TASK_INPUTS}")
        if isinstance(self.train, str) or not all(isinstance(m, str) and m for m in self.train):
            raise ValueError(f"phase {self.name}: train must be a tuple of module paths, got {self.train!r}")
        if self.importance is not None and self.importance not in SCHEMES:
            raise ValueError(f"phase {self.name}: importance must be one of {', '.join(SCHEMES)}")
        if self.epochs < 0:
            raise ValueError(f"phase {self.name}: epochs must be >= 0")
        if 0 < self.max_weight < 1:
            raise ValueError(f"phase {self.name}: max_weight must be >= 1 (importance weights have mean 1), "
                             f"or 0 for no cap; got {self.max_weight}")

    def trains(self, module: str) -> bool:
        """Whether any parameter of ``module`` (a module path) trains in this phase."""
        return any(within(m, module) or within(module, m) for m in self.train)


class Paradigm(PrimaryMetric, nn.Module):
    """A training paradigm, registered under kind ``paradigm``.

    It owns the ``frontend`` and ``downstream`` modules (injected by the
    builder, with the task's ``sample_rate``), the signal loss, and any module a
    subclass adds (a blend, a projector; a frozen teacher listed in :attr:`frozen`).
    Subclasses implement :meth:`phases` and declare only their own options, passing
    the rest on: ``def __init__(self, frontend, downstream, epochs: int = 20, **common)``
    with ``super().__init__(frontend, downstream, **common)``; the YAML ``conf`` may set
    any of them (``signal_loss`` included), and a misspelt key is still an error.
    """

    #: child modules that never train (the signal loss may hold a frozen SSL model; a paradigm adds
    #: e.g. a frozen teacher here)
    frozen: Tuple[str, ...] = ("signal_loss",)

    def __init__(self, frontend: Frontend, downstream: Downstream, signal_loss: Any = "wsdr",
                 sample_rate: int = 16000):
        super().__init__()
        self.frontend = frontend
        self.downstream = downstream
        self.signal_loss = registry.build("loss", signal_loss, where="paradigm.conf.signal_loss",
                                          sample_rate=sample_rate)

    def references(self) -> Tuple[int, bool]:
        """``(speech sources, whether the noise too)`` a training batch's ``refs`` must hold (a separator:
        ``(2, True)``); the dry run of a config builds its dummy batch so."""
        return 1, False

    # -- schedule ---------------------------------------------------------------
    def phases(self) -> List[Phase]:  # pragma: no cover - abstract
        raise NotImplementedError

    def parts(self) -> List[str]:
        """The trainable parts: every child module but the :attr:`frozen` ones, in registration order
        (``frontend``, ``downstream``, then the paradigm's own modules)."""
        return [name for name, _ in self.named_children() if name not in self.frozen]

    def module_paths(self) -> List[str]:
        """Every module path a phase may train: the parts and the modules inside them."""
        parts = set(self.parts())
        return [name for name, _ in self.named_modules() if name and name.split(".")[0] in parts]

    def schedule(self) -> List[Phase]:
        """The phase of every epoch, in order; phases that would train only an untrainable
        front-end are left out (and logged). A path that names no trainable module is an error."""
        valid = set(self.module_paths())
        out = []
        for phase in self.phases():
            unknown = [m for m in phase.train if m not in valid]
            if unknown:
                raise ValueError(f"phase {phase.name}: {type(self).__name__} has no trainable module "
                                 f"{', '.join(repr(m) for m in unknown)}; its parts are {', '.join(self.parts())} "
                                 "(a module inside one is named part.child, e.g. downstream.body)")
            train = tuple(m for m in phase.train if self.frontend.trainable or not within(m, "frontend"))
            if not train and phase.epochs:
                log.info("phase '%s' skipped: %s has nothing to train", phase.name,
                         type(self.frontend).__name__)
                continue
            out += [replace(phase, train=train)] * phase.epochs
        if not out:
            raise ValueError(f"paradigm {type(self).__name__} has no epoch to train")
        return out

    def configure(self, phase: Phase) -> None:
        """Freeze every child module (eval mode, no gradient), then unfreeze the subtrees ``phase``
        trains (the :attr:`frozen` ones never train)."""
        for name, _ in self.named_children():
            module: nn.Module = getattr(self, name)
            module.train(False)
            for p in module.parameters():
                p.requires_grad_(False)
        for path in phase.train:
            module = self.get_submodule(path)
            module.train(True)
            for p in module.parameters():
                p.requires_grad_(True)

    def param_groups(self) -> Dict[str, List[nn.Parameter]]:
        """Parameters for the optimizer, grouped by part (the front-end may get its own learning rate)."""
        return {name: list(getattr(self, name).parameters()) for name in self.parts()}

    # -- steps ------------------------------------------------------------------
    def task_input(self, batch: Batch, phase: Phase, enhanced: Optional[torch.Tensor]) -> torch.Tensor:
        return {"clean": batch.clean, "noisy": batch.noisy, "enhanced": enhanced}[phase.task_input]

    def train_step(self, batch: Batch, phase: Phase) -> Tuple[torch.Tensor, Dict[str, float]]:
        """``(loss, stats)`` of one training batch in ``phase``."""
        needs_enhanced = phase.task_input == "enhanced" or phase.signal_weight > 0
        enhanced = None
        if needs_enhanced:
            with torch.set_grad_enabled(phase.trains("frontend")):
                enhanced = self.frontend(batch.noisy, batch.lengths)
        per_sample = torch.zeros(len(batch), device=batch.noisy.device)
        stats: Dict[str, float] = {}
        if phase.signal_weight > 0:
            sig = self.signal_loss(enhanced, batch.clean, batch.noisy, batch.lengths, batch.keys)
            per_sample = per_sample + phase.signal_weight * sig
            stats["signal_loss"] = float(sig.detach().mean())
        task = None
        if phase.task_weight > 0 or phase.importance:
            with torch.set_grad_enabled(phase.task_weight > 0 and torch.is_grad_enabled()):
                task = self.downstream(self.task_input(batch, phase, enhanced), batch.lengths,
                                       batch.targets, batch.target_lengths)
            stats["task_loss"] = float(task.detach().mean())
            if phase.task_weight > 0:
                per_sample = per_sample + phase.task_weight * task
        if phase.importance:
            w = importance_weights(task, phase.importance, phase.temperature, phase.max_weight)
            stats["weight_max"] = float(w.max())
            loss = (w * per_sample).mean()
        else:
            loss = per_sample.mean()
        return loss, stats

    @torch.no_grad()
    def valid_step(self, batch: Batch, phase: Phase) -> Dict[str, float]:
        """Additive validation counts of one batch (losses, :func:`~aecomp.metrics.signal.signal_metrics`
        of the front-end's output over the examples with a corrupted input, the downstream's scores);
        :meth:`summarize_valid` makes metrics."""
        enhanced = self.frontend(batch.noisy, batch.lengths)
        x = self.task_input(batch, phase, enhanced)
        task = self.downstream(x, batch.lengths, batch.targets, batch.target_lengths)
        sig = self.signal_loss(enhanced, batch.clean, batch.noisy, batch.lengths, batch.keys)
        counts = {"n": float(len(batch)), "task_loss": float(task.sum()), "signal_loss": float(sig.sum())}
        counts.update(batch_signal_counts(batch, enhanced))
        counts.update(self.downstream.valid_counts(x, batch.lengths, batch.targets, batch.target_lengths))
        if self.downstream.decodes:
            counts.update(self.downstream.score(self.downstream.decode(x, batch.lengths), batch.texts))
        return counts

    def summarize_valid(self, counts: Dict[str, float]) -> Dict[str, float]:
        n = max(counts.get("n", 0.0), 1.0)
        out = {k: counts[k] / n for k in ("task_loss", "signal_loss") if k in counts}
        out.update(summarize_signal(counts))
        out.update(self.downstream.summarize(counts))
        return out

    # -- inference ----------------------------------------------------------------
    @property
    def metrics(self) -> Tuple[Metric, ...]:
        """The metrics this paradigm reports, primary first (default: the downstream model's)."""
        return self.downstream.metrics

    @torch.no_grad()
    def infer(self, batch: Batch) -> Inference:
        """What evaluation scores: the front-end's output, and the downstream model's decoding of it."""
        estimate = self.frontend(batch.noisy, batch.lengths)
        hyps = self.downstream.decode(estimate, batch.lengths) if self.downstream.decodes else None
        return Inference(hyps, estimate)

