"""A *system*: a front-end and a downstream model held by a paradigm, built from one config.

A trained system lives in a model directory::

    exp/<system>/
      config.yaml      the resolved configuration
      labels.txt       the label list (classification tasks)
      model.pt         weights of the best epoch (written last: its presence means "trained")
      best.json        which epoch, and its validation metrics
      checkpoints/     per-epoch training state (for --resume)
      train.log, tensorboard/
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from aecomp import registry
from aecomp.config import ExperimentConfig, load_config
from aecomp.fs import atomic_write_text


def needs_labels(cfg: ExperimentConfig) -> bool:
    """Whether the configured downstream model takes a label list."""
    name, _ = registry.parse_spec("downstream", cfg.downstream, cfg.where("downstream"))
    cls = registry.get("downstream", name)
    return "labels" in inspect.signature(cls.__init__).parameters


def labels_for(cfg: ExperimentConfig, texts: List[str]) -> Optional[List[str]]:
    """The label list of a classification downstream from the training ``text`` values."""
    if not needs_labels(cfg):
        return None
    name, _ = registry.parse_spec("downstream", cfg.downstream)
    return registry.get("downstream", name).labels_from_text(texts)


def build_system(cfg: ExperimentConfig, labels: Optional[List[str]] = None):
    """The paradigm (holding front-end and downstream) that ``cfg`` describes."""
    sr = cfg.data.sample_rate
    frontend = registry.build("frontend", cfg.frontend, where=cfg.where("frontend"), sample_rate=sr)
    injected = {"sample_rate": sr}
    if labels is not None:
        injected["labels"] = labels
    downstream = registry.build("downstream", cfg.downstream, where=cfg.where("downstream"), **injected)
    return registry.build("paradigm", cfg.paradigm, where=cfg.where("paradigm"),
                          frontend=frontend, downstream=downstream, sample_rate=sr)


def init_sources(cfg: ExperimentConfig, out_dir: Path) -> Dict[str, Path]:
    """module -> ``model.pt`` that ``cfg.init`` names; system names resolve beside ``out_dir``
    (``<exp>/<system>/<seed dir>``) to ``<exp>/<name>/<seed dir>/model.pt``."""
    out = {}
    for module in ("frontend", "downstream"):
        source = getattr(cfg.init, module)
        if source is None:
            continue
        if "/" in source or source.endswith(".pt"):
            out[module] = Path(source)
        else:
            out[module] = Path(out_dir).parent.parent / source / Path(out_dir).name / "model.pt"
    return out


def init_system_names(cfg: ExperimentConfig) -> List[str]:
    """The other systems of the recipe that ``cfg.init`` starts from (they must be trained first)."""
    names = [getattr(cfg.init, m) for m in ("frontend", "downstream")]
    return sorted({n for n in names if n and "/" not in n and not n.endswith(".pt")})


def load_init(system, cfg: ExperimentConfig, out_dir: Path, labels: Optional[List[str]] = None) -> Dict[str, Path]:
    """Load the modules named in ``cfg.init`` into ``system``; returns module -> source.

    A downstream classifier must come from a system with the same label list."""
    from aecomp.train.checkpoint import CheckpointError, load_checkpoint

    sources = init_sources(cfg, out_dir)
    for module, path in sources.items():
        if not path.is_file():
            raise CheckpointError(
                f"{cfg.where('init', module)}: {path} does not exist; train the system it names first "
                "(in a recipe it must be listed in --systems; it is then trained before this one)")
        theirs = path.parent / "labels.txt"
        if module == "downstream" and labels is not None and theirs.is_file() \
                and theirs.read_text(encoding="utf-8").split("\n")[:-1] != list(labels):
            raise CheckpointError(f"{cfg.where('init', module)}: {theirs} differs from this system's labels; "
                                  "both must be trained on the same data")
        state = load_checkpoint(path)["model"]
        prefix = f"{module}."
        weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        try:
            getattr(system, module).load_state_dict(weights)
        except RuntimeError as exc:
            raise CheckpointError(f"{cfg.where('init', module)}: the {module} of {path} does not fit this "
                                  f"config's {module}: {str(exc).splitlines()[0]}") from None
    return sources


def write_model_meta(model_dir: Path, cfg: ExperimentConfig, labels: Optional[List[str]]) -> None:
    atomic_write_text(model_dir / "config.yaml", cfg.dump())
    if labels is not None:
        atomic_write_text(model_dir / "labels.txt", "".join(f"{lab}\n" for lab in labels))


def load_system(model_dir: str | Path, device: str = "cpu") -> Tuple[object, ExperimentConfig]:
    """``(paradigm in eval mode, config)`` of a trained model directory."""
    from aecomp.train.checkpoint import CheckpointError, load_checkpoint

    model_dir = Path(model_dir)
    if not (model_dir / "model.pt").is_file():
        raise CheckpointError(f"{model_dir} holds no model.pt: train the system first (run.sh training stage)")
    cfg = load_config(model_dir / "config.yaml")
    labels_file = model_dir / "labels.txt"
    labels = labels_file.read_text(encoding="utf-8").split("\n")[:-1] if labels_file.is_file() else None
    system = build_system(cfg, labels)
    state = load_checkpoint(model_dir / "model.pt", map_location=device)
    system.load_state_dict(state["model"])
    return system.to(device).eval(), cfg


def read_best(model_dir: Path) -> dict:
    path = Path(model_dir) / "best.json"
    return json.loads(path.read_text()) if path.is_file() else {}
