"""Optimizers and learning-rate schedulers from configuration."""

from __future__ import annotations

import math
from typing import Dict, List

import torch
from torch import nn

from aecomp.config import ConfigError, OptimConf, SchedulerConf

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
              "rmsprop": torch.optim.RMSprop}
#: scheduler name -> whether it steps every batch ("step") or every epoch ("epoch")
SCHEDULERS = {"none": "epoch", "cosine": "step", "warmup_cosine": "step", "cosine_restarts": "step", "step": "epoch",
              "exponential": "epoch", "plateau": "epoch"}


def build_optimizer(groups: Dict[str, List[nn.Parameter]], conf: OptimConf) -> torch.optim.Optimizer:
    """An optimizer over named parameter groups; the ``frontend`` group may get ``frontend_lr``."""
    if conf.name not in OPTIMIZERS:
        raise ConfigError(f"optim.name '{conf.name}' is unknown; choose one of {', '.join(OPTIMIZERS)}")
    param_groups = []
    for name, params in groups.items():
        if not params:
            continue
        group = {"params": params, "name": name}
        if name == "frontend" and conf.frontend_lr is not None:
            group["lr"] = conf.frontend_lr
        param_groups.append(group)
    try:
        return OPTIMIZERS[conf.name](param_groups, **conf.conf)
    except TypeError as exc:
        raise ConfigError(f"optim.conf for {conf.name}: {exc}") from None


def build_scheduler(optimizer: torch.optim.Optimizer, conf: SchedulerConf, total_steps: int, steps_per_epoch: int = 1):
    """``(scheduler or None, interval)`` where interval is "step" or "epoch". ``cosine_restarts``: cosine decay
    with warm restarts (SGDR; Keras' CosineDecayRestarts) every ``epochs`` epochs (``T_0``), each cycle
    ``mult`` times longer than the last, down to ``eta_min``."""
    if conf.name not in SCHEDULERS:
        raise ConfigError(f"scheduler.name '{conf.name}' is unknown; choose one of {', '.join(SCHEDULERS)}")
    c = dict(conf.conf)
    try:
        if conf.name == "none":
            return None, "epoch"
        if conf.name == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, total_steps), **c), "step"
        if conf.name == "warmup_cosine":
            warmup = int(c.pop("warmup_steps", 0))
            floor = float(c.pop("min_ratio", 0.0))
            if c:
                raise TypeError(f"unexpected keys {sorted(c)} (valid: warmup_steps, min_ratio)")

            def factor(step: int) -> float:
                if step < warmup:
                    return (step + 1) / warmup
                progress = (step - warmup) / max(1, total_steps - warmup)
                return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

            return torch.optim.lr_scheduler.LambdaLR(optimizer, factor), "step"
        if conf.name == "cosine_restarts":
            epochs, mult, floor = c.pop("epochs", 10), c.pop("mult", 1), c.pop("eta_min", 0.0)
            if c:
                raise TypeError(f"unexpected keys {sorted(c)} (valid: epochs, mult, eta_min)")
            return torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                optimizer, T_0=max(1, int(epochs * steps_per_epoch)), T_mult=int(mult), eta_min=float(floor)), "step"
        if conf.name == "step":
            return torch.optim.lr_scheduler.StepLR(optimizer, **c), "epoch"
        if conf.name == "exponential":
            return torch.optim.lr_scheduler.ExponentialLR(optimizer, **c), "epoch"
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **c), "epoch"
    except TypeError as exc:
        raise ConfigError(f"scheduler.conf for {conf.name}: {exc}") from None
