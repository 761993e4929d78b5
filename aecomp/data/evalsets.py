"""The evaluation grid of a recipe: the test set under every condition x level of ``conf/eval.yaml``.

``conf/eval.yaml`` (see :func:`load_grid`)::

    seed: 20240601              # seed of every random choice (noise recording, offset, ...)
    noise_reference: false      # also write noise1.scp (the added noise) for additive conditions
    conditions:
      - name: clean             # no corruption: the test set as it is
        family: clean           # default "as-is" (a test set that is already noisy)
      - name: seen
        corruption: {name: noise, conf: {bank: noise_test_seen}}   # any registered corruption
        vary: snr               # the conf key each level sets (dotted for nested: steps.1.conf.bitrate)
        levels: [20, 15, 10, 5, 0, -5]
        unit: dB
        family: noise           # default: the corruption's family

Relative paths in a corruption's conf (a noise ``bank``) resolve against the
data folder. A condition with ``levels`` gives one set per level, named
``<condition>_<level><unit>`` (``seen_5dB``, ``mp3_32kbps``); one without gives
the set ``<condition>``. Every utterance draws from a generator seeded by the
seed, the condition and the utterance's index, so the sets of a condition
differ only in level (same noise segment at every SNR). Layout under ``out_dir``::

    <set>/   wav.scp -> wav/<utt>.flac (corrupted), spk1.scp -> the clean reference
             (wav/<utt>.clean.flac where it differs from the test audio, e.g. a gain against
             clipping), noise1.scp (noise_reference), text, utt2spk, utt2dur,
             corruption.tsv (what was drawn per utterance), meta.json

``meta.json`` records ``condition, family, level, unit, corruption, seed,
sample_rate, test, data_dir``; a set whose ``meta.json`` matches the request is
kept. Each set is made in a temporary directory and checked there; only a set
without problems is moved into place (otherwise :class:`~aecomp.data.datadir.DataDirError`).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from aecomp.audio.io import write_audio
from aecomp.data.datadir import DataDir, write_checked_tables, write_datadir, write_table
from aecomp.errors import AecompError
from aecomp.fs import atomic_dir, atomic_write_text

log = logging.getLogger(__name__)

COPIED = ("text", "utt2spk", "utt2dur")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_UNIT = re.compile(r"^[A-Za-z%/]+$")
CONDITION_KEYS = ("name", "corruption", "vary", "levels", "unit", "family")
GRID_KEYS = ("seed", "noise_reference", "conditions")


@dataclass
class Condition:
    """One entry of ``conditions``; ``where`` is its place in the file (``conf/eval.yaml:7``)."""

    name: str
    corruption: Optional[dict] = None
    vary: Optional[str] = None
    levels: List[float] = field(default_factory=list)
    unit: Optional[str] = None
    family: Optional[str] = None
    where: str = "<grid>"


@dataclass
class Grid:
    """An evaluation grid: ``seed`` and its conditions (see the module docstring)."""

    seed: int
    conditions: List[Condition]
    noise_reference: bool = False
    source: str = "<grid>"


@dataclass
class EvalSet:
    """One set of the grid: ``spec`` is the corruption with the level set (None: the test set as it is)."""

    name: str
    condition: Condition
    level: Optional[float]
    spec: Optional[dict]


def load_grid(path: str | Path) -> Grid:
    """The grid of an ``eval.yaml``; a mistake raises :class:`~aecomp.config.ConfigError` with file and line."""
    import yaml

    from aecomp.config import read_yaml_with_lines

    data, lines = read_yaml_with_lines(path)
    items = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    item_lines = [n.start_mark.line + 1 for n in _value_node(items, "conditions")]
    return grid_from_dict(data, str(path), lines, item_lines)


def grid_from_dict(data: Any, source: str = "<grid>", lines: Optional[dict] = None,
                   item_lines: Optional[List[int]] = None) -> Grid:
    """A :class:`Grid` from the YAML content; ``lines``/``item_lines`` place errors in the file."""
    from aecomp.config import ConfigError

    lines, item_lines = lines or {}, item_lines or []

    def at(*keys):
        place = lines.get(keys)  # (file, line)
        return f"{place[0]}:{place[1]}" if place else source

    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with keys {', '.join(GRID_KEYS)}")
    for key in data:
        if key not in GRID_KEYS:
            raise ConfigError(f"{at(key)}: unknown key '{key}'; valid: {', '.join(GRID_KEYS)}")
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"{at('seed')}: seed must be an integer, got {seed!r}")
    conds = data.get("conditions")
    if not isinstance(conds, list) or not conds:
        raise ConfigError(f"{at('conditions')}: conditions must be a non-empty list of "
                          "{name, corruption, vary, levels, unit, family}")
    grid = Grid(seed, [], bool(data.get("noise_reference", False)), source)
    for i, item in enumerate(conds):
        where = f"{source}:{item_lines[i]}" if i < len(item_lines) else f"{source} (condition {i + 1})"
        grid.conditions.append(_condition(item, where))
    names = [s.name for s in grid_sets(grid)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"{source}: two conditions give the set name(s) {', '.join(dup)}; rename one")
    return grid


def _condition(item: Any, where: str) -> Condition:
    from aecomp.config import ConfigError

    def fail(what: str):
        raise ConfigError(f"{where}: {what}")

    if not isinstance(item, dict):
        fail(f"a condition is a mapping {{name, corruption, vary, levels, unit, family}}, got {item!r}")
    for key in item:
        if key not in CONDITION_KEYS:
            fail(f"unknown key '{key}' in condition; valid: {', '.join(CONDITION_KEYS)}")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        fail(f"condition name {name!r} must be a word of letters, digits, '_', '.', '+', '-' (it names a folder)")
    cond = Condition(name, item.get("corruption"), item.get("vary"), item.get("levels") or [], item.get("unit"),
                     item.get("family"), where)
    if cond.corruption is None:
        if cond.vary or cond.levels or cond.unit:
            fail(f"condition '{name}' has no corruption, so it has no levels: remove vary/levels/unit")
        return cond
    if not isinstance(cond.corruption, (dict, str)):
        fail(f"condition '{name}': corruption must be {{name: ..., conf: {{...}}}}, got {cond.corruption!r}")
    if cond.levels or cond.vary:
        if not isinstance(cond.levels, list) or not cond.levels or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in cond.levels):
            fail(f"condition '{name}': levels must be a non-empty list of numbers, got {cond.levels!r}")
        if not isinstance(cond.vary, str) or not cond.vary:
            fail(f"condition '{name}': vary must name the conf key that a level sets (e.g. snr, bitrate)")
        if not isinstance(cond.unit, str) or not _UNIT.match(cond.unit):
            fail(f"condition '{name}': unit must be a word such as dB or kbps (it is part of the set names), "
                 f"got {cond.unit!r}")
        try:
            with_level(cond.corruption, cond.vary, cond.levels[0])
        except (KeyError, IndexError, TypeError) as exc:
            fail(f"condition '{name}': vary '{cond.vary}' is no place in the corruption's conf ({exc})")
    elif cond.unit:
        fail(f"condition '{name}' has a unit but no levels")
    return cond


def noise_grid(banks: Mapping[str, str | Path], snrs: Sequence[float], seed: int = 0) -> Grid:
    """The grid of the recipes: ``clean``, then each noise bank (condition -> noise data dir) at ``snrs``."""
    return Grid(seed, [Condition("clean", family="clean")] + [
        Condition(name, {"name": "noise", "conf": {"bank": str(bank)}}, "snr", list(snrs), "dB")
        for name, bank in banks.items()])


def with_level(spec: Any, vary: str, level: float) -> dict:
    """A copy of the corruption ``spec`` with ``conf.<vary>`` set to ``level`` (dotted; numbers index lists)."""
    spec = copy.deepcopy({"name": spec} if isinstance(spec, str) else spec)
    if spec.get("conf") is None:
        spec["conf"] = {}
    node = spec["conf"]
    *path, last = vary.split(".")
    for key in path:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = level
    elif isinstance(node, dict):
        node[last] = level
    else:
        raise TypeError(f"'{'.'.join(path)}' holds {node!r}, not a mapping")
    return spec


def set_name(condition: str, level: Optional[float], unit: Optional[str]) -> str:
    """``<condition>`` for a set without level, else ``<condition>_<level><unit>`` (``seen_-5dB``)."""
    return condition if level is None else f"{condition}_{level:g}{unit}"


def grid_sets(grid: Grid) -> List[EvalSet]:
    """Every set of ``grid``, in the order of the file."""
    out = []
    for c in grid.conditions:
        if c.levels:
            out += [EvalSet(set_name(c.name, float(v), c.unit), c, float(v), with_level(c.corruption, c.vary, v))
                    for v in c.levels]
        else:
            out.append(EvalSet(c.name, c, None, None if c.corruption is None else copy.deepcopy(c.corruption)))
    return out


def make_evalsets(test: DataDir, grid: Grid, out_dir: str | Path, sample_rate: int,
                  data_dir: Optional[str | Path] = None, nj: int = 1) -> List[tuple]:
    """Write every set of ``grid`` under ``out_dir``; returns ``(path, made_now)`` per set (False: kept)."""
    return list(iter_evalsets(test, grid, out_dir, sample_rate, data_dir, nj))


def iter_evalsets(test: DataDir, grid: Grid, out_dir: str | Path, sample_rate: int,
                  data_dir: Optional[str | Path] = None, nj: int = 1) -> Iterator[tuple]:
    """:func:`make_evalsets` one set at a time: ``(path, made_now)`` as soon as the set is in place."""
    from aecomp.corruptions.base import build_corruption

    out_dir = Path(out_dir)
    sets = grid_sets(grid)
    # every corruption is built before any set is written: a mistake in the grid fails in seconds
    corruptions = [None if s.spec is None else build_corruption(
        s.spec, sample_rate=sample_rate, where=f"{s.condition.where} (set {s.name})", data_dir=data_dir)
        for s in sets]
    for s, corruption in zip(sets, corruptions):
        family = s.condition.family or (corruption.family if corruption is not None else "as-is")
        meta = {"condition": s.condition.name, "family": family, "level": s.level,
                "unit": s.condition.unit if s.level is not None else None, "corruption": s.spec,
                "seed": grid.seed, "sample_rate": sample_rate, "test": str(test.path),
                "data_dir": None if data_dir is None else str(data_dir)}
        path = out_dir / s.name
        want_noise = grid.noise_reference and corruption is not None and corruption.additive
        if _meta(path) == meta and (path / "noise1.scp").is_file() == want_noise:
            log.info("evaluation set %s exists; kept", path)
            yield path, False
            continue
        if corruption is None:
            _as_is_set(test, path, meta)
        else:
            _corrupted_set(test, corruption, path, meta, want_noise, nj, where=f"{s.condition.where} (set {s.name})")
        yield path, True


def _as_is_set(test: DataDir, path: Path, meta: dict) -> None:
    with atomic_dir(path) as tmp:
        write_datadir(tmp, {k: v for k, v in test.tables.items() if k not in ("spk2utt",)})
        atomic_write_text(tmp / "meta.json", json.dumps(meta, indent=1))
    log.info("evaluation set %s (%d utterances, as they are) -> %s", meta["condition"], len(test), path)


def _corrupted_set(test: DataDir, corruption, path: Path, meta: dict, want_noise: bool, nj: int, where: str) -> None:
    utts = test.utts
    segmented = test.has("segments") or any(test.tables["wav.scp"][u].endswith("|") for u in utts)
    condition = meta["condition"]
    with atomic_dir(path) as tmp:
        def corrupt_one(i: int):
            """Writes utterance ``i``'s audio; returns (reference written?, info)."""
            utt = utts[i]
            speech = test.audio(utt, meta["sample_rate"])
            rng = np.random.default_rng([meta["seed"], zlib.crc32(condition.encode()), i])
            try:
                out = corruption(speech, meta["sample_rate"], rng)
            except AecompError as exc:
                raise AecompError(f"{where}: utterance {utt} of {test.path}: {exc}") from exc
            write_audio(tmp / "wav" / f"{utt}.flac", out.audio, meta["sample_rate"])
            own_ref = segmented or not np.array_equal(out.speech, speech)
            if own_ref:
                write_audio(tmp / "wav" / f"{utt}.clean.flac", out.speech, meta["sample_rate"])
            if want_noise:
                write_audio(tmp / "wav" / f"{utt}.noise.flac", out.noise, meta["sample_rate"])
            return own_ref, out.info

        with ThreadPoolExecutor(max(1, nj)) as pool:
            rows = list(pool.map(corrupt_one, range(len(utts))))

        def tables_under(root: Path) -> Dict[str, dict]:
            tables = {"wav.scp": {u: str(root / "wav" / f"{u}.flac") for u in utts},
                      "spk1.scp": {u: str(root / "wav" / f"{u}.clean.flac") if own else test.tables["wav.scp"][u]
                                   for u, (own, _) in zip(utts, rows)}}
            if want_noise:
                tables["noise1.scp"] = {u: str(root / "wav" / f"{u}.noise.flac") for u in utts}
            return {**tables, **{name: test.get(name) for name in COPIED if test.has(name)}}

        # checked while the audio lies in the temporary directory, then pointed at the final place
        write_checked_tables(tmp, path, tables_under(tmp.resolve()),
                             hint=f"(evaluation set {path} was not written; check the test set with "
                                  f"'aecomp validate {test.path}')")
        for name, table in tables_under(path.resolve()).items():
            if name.endswith(".scp"):
                write_table(tmp / name, table)
        atomic_write_text(tmp / "corruption.tsv", _info_table(utts, [info for _, info in rows]))
        looped = sum(bool(v) for _, info in rows for k, v in info.items() if k.rsplit(".", 1)[-1] == "looped")
        if looped:
            log.warning("%s: noise looped for %d of %d utterances (recording shorter than the speech)",
                        path, looped, len(rows))
        atomic_write_text(tmp / "meta.json", json.dumps(meta, indent=1))
    log.info("evaluation set %s: %d utterances, %s -> %s", condition, len(utts), corruption.describe(), path)


def _info_table(utts: List[str], infos: List[dict]) -> str:
    """``corruption.tsv``: one row per utterance, one column per key of the corruption's info."""
    keys = list(dict.fromkeys(k for info in infos for k in info))

    def text(v):
        if v is None:
            return ""
        if isinstance(v, (bool, np.bool_)):
            return str(int(v))
        return f"{v:.6g}" if isinstance(v, float) else str(v)

    return "\t".join(["utt", *keys]) + "\n" + "".join(
        "\t".join([u, *(text(info.get(k)) for k in keys)]) + "\n" for u, info in zip(utts, infos))


def _value_node(node, key: str) -> list:
    """The items of the sequence under ``key`` of a composed YAML mapping (empty if none)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.SequenceNode):
                return v.value
    return []


def _meta(path: Path):
    f = path / "meta.json"
    return json.loads(f.read_text()) if f.is_file() else None


def read_meta(path: str | Path) -> dict:
    """The ``meta.json`` of an evaluation set (see :func:`normalize_meta`), or a 'custom' description for any
    other data dir."""
    meta = _meta(Path(path))
    if meta is None:
        return {"condition": Path(path).name, "family": "custom", "level": None, "unit": None}
    return normalize_meta(meta)


def normalize_meta(meta: dict) -> dict:
    """``meta`` (of a set, or the metrics.json that copies it) with ``level, unit, family``: a set written before
    the grid (``snr_db`` instead of ``level``) reads as a noise set in dB, or the clean set."""
    if "level" not in meta and "snr_db" in meta:
        level = meta.pop("snr_db")
        meta = {**meta, "level": level, "unit": None if level is None else "dB",
                "family": "clean" if level is None else "noise"}
    return meta
