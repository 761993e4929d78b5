"""Experiment configuration: one YAML file per experiment, plus command-line overrides.

Layout of an experiment YAML (every section optional except the plugins)::

    frontend:   {name: unet, conf: {...}}        # registry kind "frontend"
    downstream: {name: kws_cnn, conf: {...}}     # registry kind "downstream"
    paradigm:   {name: iterative, conf: {...}}   # registry kind "paradigm"
    data:       {...}                            # DataConf
    optim:      {name: adam, conf: {lr: 0.001}}  # OptimConf
    scheduler:  {name: none}                     # SchedulerConf
    trainer:    {...}                            # TrainerConf
    evaluation: {sets: ["*"]}                    # EvaluationConf: the evaluation sets it is scored on
    init:       {frontend: cascade, downstream: noisy}  # module path -> system[:module] (init_from_dict)

A config may start from another one: ``base: common.yaml`` (a path relative to the
config's folder; a base may have its own base) gives every key the config does not
write itself; mappings merge key by key, lists and scalars replace (a plugin section naming another
plugin than its base's and writing its own ``conf``, e.g. ``downstream: {name: ssl_er, conf: ...}``,
replaces it whole). A key written
twice in one mapping is an error (YAML would let the second win silently).

Overrides use dotted keys and YAML values: ``trainer.seed=2 data.batch_size=8
paradigm.conf.rounds=4``. Every key is checked: a misspelt key fails with the
file, the line and the valid keys. ``${NAME}`` in a string value is replaced by
the environment variable NAME (an unset one is an error), so a config can name
files that live elsewhere on each machine, e.g. ``ckpt: ${AECOMP_MINI}/upstream/x.pt``.
"""

from __future__ import annotations

from aecomp.errors import AecompError

import copy
import dataclasses
import difflib
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml


class ConfigError(AecompError, ValueError):
    """A configuration file or override is wrong; the message names the place and the fix."""


# -- sections --------------------------------------------------------------------
@dataclass
class DataConf:
    """How training and validation batches are made.

    Training examples are corrupted on the fly: by ``corruptions`` when it is
    given, else (the shorthand) by the noise of ``aecomp train --noise`` at an
    SNR drawn uniformly from ``snr_range`` (dB), a fraction ``p_clean`` staying
    clean. Validation uses the same corruptions with a fixed seed, so the dev
    set is identical every epoch.
    """

    sample_rate: int = 16000
    batch_size: int = 32
    #: if > 0, batches hold at most this many seconds of audio (padding included)
    #: instead of a fixed number of utterances
    batch_seconds: float = 0.0
    num_workers: int = 1
    snr_range: List[float] = field(default_factory=lambda: [-5.0, 20.0])
    p_clean: float = 0.1
    #: corruptions of training examples, each ``{name, conf, p}`` (registry kind ``corruption``, e.g.
    #: ``{name: codec, conf: {codec: opus, bitrate: 16}, p: 0.5}``); ``1 - sum(p)`` of the examples stays
    #: clean; a ``noise`` without ``conf.bank`` uses ``--noise``. Empty: the ``snr_range``/``p_clean``
    #: shorthand, which must then keep its defaults
    corruptions: List[Dict[str, Any]] = field(default_factory=list)
    #: read all training audio into memory once (fast for small corpora)
    preload: bool = False
    #: crop training utterances longer than this (seconds) to a random segment of this length, drawn
    #: anew every epoch (input and clean reference alike; the label or transcript is kept whole, so
    #: use it where a segment still carries the target); counted in the log; 0 keeps them whole
    max_seconds: float = 0.0
    #: speed perturbation of training examples: a factor drawn per example and epoch from this list
    #: (e.g. [0.9, 1.0, 1.1], as Kaldi and ESPnet recipes do; resampling, so tempo and pitch change
    #: together), before any corruption; empty: none. Validation examples are never perturbed
    speed_perturb: List[float] = field(default_factory=list)
    #: seed of the fixed noisy validation set
    valid_seed: int = 777


@dataclass
class OptimConf:
    """Optimizer: a ``torch.optim`` class by lower-case name, and its arguments.

    ``frontend_lr`` gives the front-end its own learning rate (None: same as
    the rest).
    """

    name: str = "adam"
    conf: Dict[str, Any] = field(default_factory=lambda: {"lr": 1e-3})
    frontend_lr: Optional[float] = None


@dataclass
class SchedulerConf:
    """Learning-rate scheduler by name: none, cosine, step, exponential, plateau."""

    name: str = "none"
    conf: Dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainerConf:
    """What the trainer does around the steps the paradigm defines."""

    seed: int = 1
    #: clip the global gradient norm to this value (0: no clipping)
    grad_clip: float = 5.0
    #: number of best checkpoints (by the validation metric) kept on disk
    keep_nbest: int = 2
    #: model.pt is the average of the weights of this many best checkpoints (at most keep_nbest), as ESPnet's
    #: ``valid.<metric>.ave_<N>best.pth``; 1: the best checkpoint itself
    average_nbest: int = 1
    #: log a progress line every this many steps when stderr is not a terminal
    log_interval: int = 50
    #: mixed precision on GPU (ignored on CPU)
    use_amp: bool = True
    #: what a non-finite loss does: "skip" the batch (counted, logged) or "stop"
    nan_policy: str = "skip"
    #: with nan_policy=skip, stop anyway after this many skipped batches
    max_nan_batches: int = 20
    #: save a checkpoint every this many steps inside an epoch (0: only at epoch ends)
    save_interval_steps: int = 0
    #: keep the model weights after these epochs as <out_dir>/epochs/epoch<N>.pt (0: before the first
    #: epoch, i.e. as initialised), for ``aecomp evaluate --checkpoint N``
    keep_epochs: List[int] = field(default_factory=list)


@dataclass
class EvaluationConf:
    """What ``aecomp evaluate`` (recipe stage 5) scores the system on."""

    #: shell patterns of the evaluation set names (``data/eval/<name>``) the system is scored on; the other
    #: sets given are not scored (named in the log), e.g. codec fine-tuning systems off the noise grid
    sets: List[str] = field(default_factory=lambda: ["*"])


def init_from_dict(data: Any, source: str = "<config>", lines=None) -> Dict[str, str]:
    """The ``init`` section: module path of the paradigm -> where its weights come from.

    A module path names any module of the paradigm (``frontend``, ``downstream``,
    ``downstream.body``, ``teacher``, ...). A source is another system of the same
    recipe, optionally with the module to take from it (``noisy``: the same module of
    ``<exp>/noisy/seed<k>/model.pt``, which the recipe trains first; ``clean:downstream``:
    the downstream of the clean system, e.g. into a frozen ``teacher``), or the path of a
    ``model.pt`` (``path/model.pt`` or ``path/model.pt:downstream``). Only that module's
    weights are taken. A null source starts the module from random weights."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_loc(source, lines or {}, ('init',))}: expected a mapping module -> source "
                          f"(e.g. {{frontend: cascade, downstream: noisy}}), got {data!r}")
    for key, value in data.items():
        if not isinstance(key, str) or (value is not None and not isinstance(value, str)):
            raise ConfigError(f"{_loc(source, lines or {}, ('init', str(key)))}: init.{key} must name a system "
                              f"('noisy', 'clean:downstream') or a model.pt path, got {value!r}")
    return {k: v for k, v in data.items() if v is not None}


SECTIONS = {"data": DataConf, "optim": OptimConf, "scheduler": SchedulerConf, "trainer": TrainerConf,
            "evaluation": EvaluationConf}
PLUGIN_SECTIONS = ("frontend", "downstream", "paradigm")


@dataclass
class ExperimentConfig:
    """A resolved experiment configuration; ``raw`` keeps the plugin specs as written."""

    frontend: Any
    downstream: Any
    paradigm: Any
    data: DataConf
    optim: OptimConf
    scheduler: SchedulerConf
    trainer: TrainerConf
    evaluation: EvaluationConf = field(default_factory=EvaluationConf)
    #: module path -> source (see :func:`init_from_dict`)
    init: Dict[str, str] = field(default_factory=dict)
    source: str = "<config>"
    #: key path -> (file, 1-based line) where it was written (a base file's for an inherited key)
    lines: Dict[Tuple[str, ...], Tuple[str, int]] = field(default_factory=dict, repr=False)

    def where(self, *keys: str) -> str:
        """``file:line (a.b.c)`` of a key, for error messages."""
        return _loc(self.source, self.lines, keys)

    def to_dict(self) -> Dict[str, Any]:
        out = {k: copy.deepcopy(getattr(self, k)) for k in PLUGIN_SECTIONS}
        for k in SECTIONS:
            out[k] = dataclasses.asdict(getattr(self, k))
        out["init"] = dict(self.init)
        return out

    def dump(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None)


# -- loading -----------------------------------------------------------------------
def load_config(path: Optional[str | Path], overrides: Sequence[str] | str = ()) -> ExperimentConfig:
    """Read ``path`` (YAML), apply ``overrides`` (``a.b=value``) and check every key."""
    if isinstance(overrides, str):
        overrides = shlex.split(overrides)
    if path is None:
        data, lines, source = {}, {}, "<command line>"
    else:
        data, lines = read_config_file(path)
        source = str(path)
    for item in overrides:
        apply_override(data, item)
    return config_from_dict(data, source=source, lines=lines)


def config_from_dict(data: Mapping[str, Any], source: str = "<config>", lines=None) -> ExperimentConfig:
    lines = lines or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping of sections, got {type(data).__name__}")
    valid = list(PLUGIN_SECTIONS) + list(SECTIONS) + ["init"]
    for key in data:
        if key not in valid:
            raise ConfigError(_unknown(source, lines, (key,), key, valid, "section"))
    for key in PLUGIN_SECTIONS:
        if key not in data:
            raise ConfigError(f"{source}: missing section '{key}' (a mapping {{name: ..., conf: {{...}}}})")
    sections = {k: section_from_dict(cls, data.get(k) or {}, source, lines, (k,)) for k, cls in SECTIONS.items()}
    _check_corruptions(sections["data"], source, lines)
    return ExperimentConfig(
        frontend=copy.deepcopy(data["frontend"]),
        downstream=copy.deepcopy(data["downstream"]),
        paradigm=copy.deepcopy(data["paradigm"]),
        init=init_from_dict(data.get("init") or {}, source, lines),
        source=source,
        lines=dict(lines),
        **sections,
    )


def _check_corruptions(data: DataConf, source: str, lines) -> None:
    """``data.speed_perturb`` factors in range; ``data.corruptions`` well formed, and not given beside a changed shorthand (``snr_range``, ``p_clean``)."""
    from aecomp.corruptions.base import CorruptionError
    from aecomp.corruptions.training import check_entries

    from aecomp.data.dataset import DatasetError, check_speed_factors

    try:
        check_speed_factors(data.speed_perturb)
    except DatasetError as exc:
        raise ConfigError(f"{_loc(source, lines, ('data', 'speed_perturb'))}: {exc}") from None
    if not data.corruptions:
        return
    try:
        check_entries(data.corruptions, _loc(source, lines, ("data", "corruptions")))
    except CorruptionError as exc:
        raise ConfigError(str(exc)) from None
    for key in ("snr_range", "p_clean"):
        if getattr(data, key) != getattr(DataConf(), key):
            raise ConfigError(f"{_loc(source, lines, ('data', key))}: data.{key} is the shorthand for noise "
                              "without data.corruptions; with data.corruptions give the SNR in a noise "
                              "corruption's conf (snr: [low, high]) and the clean share as 1 - sum(p), "
                              f"and remove data.{key}")


def section_from_dict(cls, data: Any, source: str = "<config>", lines=None, keys: Tuple[str, ...] = ()):
    """Build dataclass ``cls`` from ``data``, refusing unknown keys and wrong types."""
    lines = lines or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_loc(source, lines, keys)}: expected a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    defaults = cls()
    for key, value in data.items():
        if key not in fields:
            raise ConfigError(_unknown(source, lines, keys + (key,), key, _with_defaults(defaults), "key"))
        expected = getattr(defaults, key)
        if not _type_ok(expected, value):
            raise ConfigError(
                f"{_loc(source, lines, keys + (key,))}: '{key}' should be "
                f"{type(expected).__name__} like {expected!r}, got {value!r}"
            )
    values = {k: (float(v) if isinstance(getattr(defaults, k), float) and isinstance(v, int) else v)
              for k, v in data.items()}
    return cls(**values)


def apply_override(data: Dict[str, Any], item: str) -> None:
    """Apply one ``a.b.c=value`` override in place (value parsed as YAML)."""
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like section.key=value, e.g. trainer.seed=2")
    key, _, raw = item.partition("=")
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override '{item}': empty key part in '{key}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{item}': value is not valid YAML ({exc})") from None
    node = data
    for p in parts[:-1]:
        if not isinstance(node.get(p, {}), dict):
            raise ConfigError(f"override '{item}': '{p}' is not a mapping")
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def read_config_file(path: str | Path, _children: Tuple[Path, ...] = ()) -> Tuple[Any, Dict[Tuple[str, ...], Tuple[str, int]]]:
    """Content of config ``path`` with its ``base:`` chain merged in, and where each key was written.

    ``_children``: the configs that named ``path`` as their base (to refuse a cycle).
    """
    path = Path(path)
    data, lines = read_yaml_with_lines(path)
    if not isinstance(data, dict) or "base" not in data:
        return data, lines
    base = data.pop("base")
    where = _loc(str(path), lines, ("base",))
    del lines[("base",)]
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{where}: 'base' must be the path of another config (relative to this one's folder), "
                          f"got {base!r}")
    base_path = path.parent / base
    chain = (*_children, path)
    if any(base_path.resolve() == p.resolve() for p in chain):
        names = " -> ".join(str(p) for p in (*chain, base_path))
        raise ConfigError(f"{where}: configs name each other as base in a cycle ({names}); break the cycle")
    if not base_path.is_file():
        raise ConfigError(f"{where}: base config {base_path} does not exist (the path is relative to {path.parent})")
    merged, base_lines = read_config_file(base_path, chain)
    if not isinstance(merged, dict):
        raise ConfigError(f"{base_path}: a base config must be a mapping of sections, got {type(merged).__name__}")
    _merge_into(merged, data, base_lines, ())
    base_lines.update(lines)
    return merged, base_lines


def _merge_into(base: Dict[str, Any], over: Mapping[str, Any], lines: Dict[Tuple[str, ...], Any],
                prefix: Tuple[str, ...]) -> None:
    """Deep-merge ``over`` into ``base`` (mappings merge, anything else replaces); a replaced
    key's inherited sub-keys leave ``lines``. A plugin mapping naming another plugin than the base's, with a
    ``conf`` of its own, replaces the base's whole (the base's ``conf`` was written for the other plugin);
    without ``conf`` it merges (``paradigm: {name: clean}`` keeps the base's ``epochs``)."""
    for key, value in over.items():
        keys = (*prefix, str(key))
        other_plugin = isinstance(value, dict) and isinstance(base.get(key), dict) and "conf" in value \
            and "name" in value and value["name"] != base[key].get("name", value["name"])
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not other_plugin:
            _merge_into(base[key], value, lines, keys)
            continue
        for k in [k for k in lines if k[:len(keys)] == keys]:
            del lines[k]
        base[key] = copy.deepcopy(value)


def read_yaml_with_lines(path: str | Path) -> Tuple[Any, Dict[Tuple[str, ...], Tuple[str, int]]]:
    """YAML content of ``path`` and where every mapping key is written: key path -> (file, 1-based line).

    A key written twice in one mapping is an error (YAML keeps the second silently)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{loc}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    lines: Dict[Tuple[str, ...], Tuple[str, int]] = {}
    _collect_lines(node, (), lines, path)
    data = _expand_env({} if data is None else data, path, lines, ())
    return data, lines


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand_env(value: Any, path: Path, lines, keys: Tuple[str, ...]) -> Any:
    """``value`` with ``${NAME}`` in strings replaced from the environment."""
    if isinstance(value, dict):
        return {k: _expand_env(v, path, lines, keys + (str(k),)) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, path, lines, keys) for v in value]
    if isinstance(value, str):
        def sub(m):
            if m.group(1) not in os.environ:
                raise ConfigError(f"{_loc(str(path), lines, keys)}: environment variable {m.group(1)} is not set "
                                  f"(used as ${{{m.group(1)}}}); set it, or write the value into the config")
            return os.environ[m.group(1)]
        return _ENV.sub(sub, value)
    return value


def _collect_lines(node, prefix, lines, path: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: Dict[str, int] = {}
        for key_node, value_node in node.value:
            name, line = str(key_node.value), key_node.start_mark.line + 1
            if name in seen:
                raise ConfigError(f"{path}:{line}: key '{'.'.join((*prefix, name))}' appears twice (lines "
                                  f"{seen[name]} and {line}); the second would silently win. Keep one")
            seen[name] = line
            lines[(*prefix, name)] = (str(path), line)
            _collect_lines(value_node, (*prefix, name), lines, path)


def _loc(source, lines, keys) -> str:
    """``file:line (a.b.c)`` of key path ``keys``; ``lines`` maps key paths to (file, line)."""
    place = lines.get(tuple(keys))
    loc = f"{place[0]}:{place[1]}" if place else source
    return f"{loc} ({'.'.join(keys)})"


def _unknown(source, lines, keys, key, valid, what) -> str:
    close = difflib.get_close_matches(key, [v.split("=")[0] for v in valid], n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"{_loc(source, lines, keys)}: unknown {what} '{key}'. Valid: {', '.join(valid)}.{hint}"


def _with_defaults(obj) -> List[str]:
    return [f"{f.name}={getattr(obj, f.name)!r}" for f in dataclasses.fields(obj)]


def _type_ok(expected: Any, value: Any) -> bool:
    if expected is None or value is None:
        return True
    if isinstance(expected, bool):
        return isinstance(value, bool)
    if isinstance(expected, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(expected, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(expected, (list, tuple)):
        return isinstance(value, (list, tuple))
    if isinstance(expected, dict):
        return isinstance(value, Mapping)
    return isinstance(value, type(expected))
