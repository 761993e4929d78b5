"""Systems: a *system* is a named configuration of a recipe (``conf/train_<system>.yaml``, ``exp/<system>/``).

Built, its configuration gives a *paradigm* (:func:`build_paradigm`): the
``nn.Module`` that holds the front-end, the downstream model and any module of
its own, and knows how to train and infer. A trained system lives in a model directory::

    exp/<system>/
      config.yaml      the resolved configuration
      labels.txt       the label (or token) list; bpe.model for speech recognition
      model.pt         weights of the best epoch (written last: its presence means "trained")
      best.json        which epoch, and its validation metrics
      checkpoints/     per-epoch training state (for --resume)
      train.log, tensorboard/
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from aecomp import registry
from aecomp.config import ConfigError, ExperimentConfig, load_config
from aecomp.errors import AecompError, exception_line
from aecomp.fs import atomic_write_text


def downstream_class(cfg: ExperimentConfig):
    """``(class, conf)`` of the configured downstream model."""
    name, conf = registry.parse_spec("downstream", cfg.downstream, cfg.where("downstream"))
    return registry.get("downstream", name, cfg.where("downstream")), conf


def prepare_vocabulary(cfg: ExperimentConfig, texts: List[str], model_dir: Path) -> Dict[str, Any]:
    """The downstream's vocabulary for a new system in ``model_dir``: taken from the system its
    downstream starts from (``init``), else derived from the training ``texts``."""
    import shutil

    cls, conf = downstream_class(cfg)
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    source = init_sources(cfg, model_dir).get("downstream", (None,))[0]
    if source is not None and cls.vocabulary_files:
        for name in cls.vocabulary_files:
            if not (source.parent / name).is_file():
                from aecomp.train.checkpoint import CheckpointError

                raise CheckpointError(f"{cfg.where('init', 'downstream')}: {source.parent / name} is missing; "
                                      "the system it names must be trained first")
            shutil.copyfile(source.parent / name, model_dir / name)
        return cls.load_vocabulary(model_dir, conf)
    return cls.vocabulary(texts, model_dir, conf)


def build_paradigm(cfg: ExperimentConfig, vocabulary: Optional[Dict[str, Any]] = None):
    """The paradigm (holding front-end and downstream) that ``cfg`` describes; ``vocabulary``
    (labels, tokenizer, ...; see :meth:`Downstream.vocabulary`) goes to the downstream."""
    sr = cfg.data.sample_rate
    frontend = _build(cfg, "frontend", sample_rate=sr)
    downstream = _build(cfg, "downstream", sample_rate=sr, **(vocabulary or {}))
    return _build(cfg, "paradigm", frontend=frontend, downstream=downstream, sample_rate=sr)


def _build(cfg: ExperimentConfig, kind: str, **injected):
    """``registry.build`` of section ``kind``; a plugin constructor's own error names the config place."""
    where = cfg.where(kind)
    try:
        return registry.build(kind, getattr(cfg, kind), where=where, **injected)
    except AecompError as exc:
        if cfg.source in str(exc) or where in str(exc):  # the error names the place already
            raise
        raise ConfigError(f"{where}: {exc}") from exc  # e.g. a loss inside the paradigm's conf
    except Exception as exc:
        raise ConfigError(f"{where}: the {kind} cannot be built from this config: {exception_line(exc)}") from exc


#: transcripts of the dummy batch of :func:`dry_run` (also the dummy training text of vocabularies)
DUMMY_TEXTS = ["yes", "go left", "stop the red car", "no"]


def dry_run(cfg: ExperimentConfig, seconds: float = 0.5) -> object:
    """Build the system of ``cfg`` (vocabulary from :data:`DUMMY_TEXTS`, in a temporary folder; the
    ``init`` section is not loaded) and run one training step of each distinct phase on a dummy batch
    of two noise signals ``[2, seconds * sample_rate]``, without an optimizer step. Returns the paradigm;
    any failure is a :class:`ConfigError` naming the config (and line, where known)."""
    import tempfile

    import torch

    from aecomp.data.dataset import Batch

    cls, conf = downstream_class(cfg)
    with tempfile.TemporaryDirectory(prefix="aecomp-dry-run-") as tmp:
        try:
            vocabulary = cls.vocabulary(DUMMY_TEXTS, Path(tmp), conf)
        except AecompError:
            raise
        except Exception as exc:
            raise ConfigError(f"{cfg.where('downstream')}: its vocabulary cannot be made: {exception_line(exc)}") from exc
        paradigm = build_paradigm(cfg, vocabulary)
    sr = cfg.data.sample_rate
    n = int(seconds * sr)
    gen = torch.Generator().manual_seed(0)
    clean = 0.1 * torch.randn(2, n, generator=gen)
    texts = DUMMY_TEXTS[:2]

    def attempt(section: str, step) -> None:
        try:
            step()
        except AecompError:
            raise
        except Exception as exc:
            raise ConfigError(f"{cfg.where(section)}: the system builds but its {section} fails on a dummy batch "
                              f"of shape [2, {n}]: {exception_line(exc)}") from exc

    targets = []
    attempt("downstream", lambda: targets.extend(paradigm.downstream.encode_target(t) for t in texts))
    width = max(len(t) for t in targets)
    speakers, with_noise = paradigm.references()  # a separator's batch: more speakers, the noise
    refs = torch.stack([clean] + [0.1 * torch.randn(2, n, generator=gen) for _ in range(speakers - 1)]
                       + [0.05 * torch.randn(2, n, generator=gen)], 1)
    noisy = refs.sum(1)
    batch = Batch(["dry-0", "dry-1"], texts, ["dry-0", "dry-1"], noisy, refs if with_noise else refs[:, :-1],
                  torch.tensor([n, n * 3 // 4]), torch.tensor([t + [-1] * (width - len(t)) for t in targets]),
                  torch.tensor([len(t) for t in targets]), torch.tensor([5.0, float("inf")]), with_noise)
    with torch.no_grad():  # each module alone first, so that an error names its section
        attempt("frontend", lambda: paradigm.frontend(batch.noisy, batch.lengths))
        attempt("downstream", lambda: paradigm.downstream(batch.clean, batch.lengths, batch.targets,
                                                        batch.target_lengths))

    def train_steps() -> None:
        for phase in dict.fromkeys(paradigm.schedule()):  # distinct phases, in order
            paradigm.configure(phase)
            loss, _ = paradigm.train_step(batch, phase)
            if loss.requires_grad:
                loss.backward()  # gradients reach the trainable modules (no optimizer step)
            paradigm.zero_grad(set_to_none=True)

    attempt("paradigm", train_steps)
    return paradigm


def init_sources(cfg: ExperimentConfig, out_dir: Path) -> Dict[str, Tuple[Path, str]]:
    """module path -> (``model.pt``, module path inside it) that ``cfg.init`` names.

    A source is ``<system>[:<module>]`` (resolved beside ``out_dir``, ``<exp>/<system>/<run dir>``, to
    ``<exp>/<name>/<run dir>/model.pt``) or ``<path>.pt[:<module>]``; the module taken defaults to the
    one being initialised."""
    out = {}
    for target, source in cfg.init.items():
        where, module = _split_source(source)
        if _is_path(where):
            path = Path(where)
        else:
            path = Path(out_dir).parent.parent / where / Path(out_dir).name / "model.pt"
        out[target] = (path, module or target)
    return out


def _split_source(source: str) -> Tuple[str, str]:
    """``(system or path, module or "")`` of an init source ``x[:module]``."""
    head, sep, tail = source.rpartition(":")
    return (head, tail) if sep and head and tail and "/" not in tail else (source, "")


def _is_path(where: str) -> bool:
    return "/" in where or where.endswith(".pt")


def init_system_names(cfg: ExperimentConfig) -> List[str]:
    """The other systems of the recipe that ``cfg.init`` starts from (they must be trained first)."""
    return sorted({w for w, _ in map(_split_source, cfg.init.values()) if not _is_path(w)})


def load_init(paradigm, cfg: ExperimentConfig, out_dir: Path, labels: Optional[List[str]] = None) -> Dict[str, Path]:
    """Load the modules named in ``cfg.init`` into ``paradigm``; returns module path -> source file.

    A module taken from a system's downstream must come from one with the same label (or token) list."""
    from aecomp.train.checkpoint import CheckpointError, load_checkpoint

    modules = dict(paradigm.named_modules())
    out = {}
    for target, (path, module) in init_sources(cfg, out_dir).items():
        where = cfg.where("init", target)
        if target not in modules or not target:
            tops = ", ".join(n for n in modules if n and "." not in n)
            raise CheckpointError(f"{where}: the paradigm has no module '{target}'; its modules are {tops} "
                                  "(and their children, e.g. downstream.<name>)")
        if not path.is_file():
            raise CheckpointError(
                f"{where}: {path} does not exist; train the system it names first "
                "(in a recipe it must be listed in --systems; it is then trained before this one)")
        theirs = path.parent / "labels.txt"
        if module.split(".")[0] == "downstream" and labels is not None and theirs.is_file() \
                and theirs.read_text(encoding="utf-8").split("\n")[:-1] != list(labels):
            raise CheckpointError(f"{where}: {theirs} differs from this system's labels; "
                                  "both must be trained on the same data")
        state = load_checkpoint(path)["model"]
        prefix = f"{module}."
        weights = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not weights and any(True for _ in modules[target].state_dict()):
            held = sorted({k.split(".")[0] for k in state})
            raise CheckpointError(f"{where}: {path} holds no module '{module}' (it holds {', '.join(held)}); "
                                  f"name one of them after ':' (e.g. {where.split(' ')[0]} -> 'system:{held[0]}')")
        try:
            modules[target].load_state_dict(weights)
        except RuntimeError as exc:
            raise CheckpointError(f"{where}: the {module} of {path} does not fit this config's {target}: "
                                  f"{str(exc).splitlines()[0]}") from None
        out[target] = path
    return out


def write_model_meta(model_dir: Path, cfg: ExperimentConfig) -> None:
    atomic_write_text(Path(model_dir) / "config.yaml", cfg.dump())


def load_paradigm(model_dir: str | Path, device: str = "cpu",
                weights: Optional[str | Path] = None) -> Tuple[object, ExperimentConfig]:
    """``(paradigm in eval mode, config)`` of a trained model directory, with the weights of its
    ``model.pt`` or of ``weights`` (a file holding ``{"model": state_dict}``, e.g. an epoch's)."""
    from aecomp.train.checkpoint import CheckpointError, load_checkpoint

    model_dir = Path(model_dir)
    if weights is None and not (model_dir / "model.pt").is_file():
        raise CheckpointError(f"{model_dir} holds no model.pt: train the system first (run.sh training stage)")
    cfg = load_config(model_dir / "config.yaml")
    cls, conf = downstream_class(cfg)
    paradigm = build_paradigm(cfg, cls.load_vocabulary(model_dir, conf))
    state = load_checkpoint(weights or model_dir / "model.pt", map_location=device)
    paradigm.load_state_dict(state["model"])
    return paradigm.to(device).eval(), cfg


def read_best(model_dir: Path) -> dict:
    path = Path(model_dir) / "best.json"
    return json.loads(path.read_text()) if path.is_file() else {}
