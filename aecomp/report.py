"""Results of a recipe: RESULTS.md for people, results.csv for programs, one plot per condition family.

Scores are read from ``<exp_dir>/<system>/<run>/eval/<set>/metrics.json``
(``<run>``: ``seed<k>`` or ``fold<k>_seed<s>``), each naming its condition,
family, level and unit (from the set's ``meta.json``) and the metrics the
system declares (``metrics: [{name, mode}, ...]``, the primary one first).
Values are the mean over every run of a system (folds x seeds).

- RESULTS.md: per family (noise, codec, ...) one table per condition: the
  test set as it is (family ``clean`` or ``as-is``), then every level; each
  cell holds every declared metric (``ua / wa``); the low-level summary for the
  families in :data:`LOW_LEVELS`; the front-ends' SI-SNR improvement, PESQ and
  STOI (:data:`FRONTEND_TABLES`) when the sets have references.
- ``results.csv``: ``system,condition,level,unit,metric,value`` (``value`` the
  mean over runs; a ``<metric>_std`` row the standard deviation; level and unit
  empty for a set without level), every declared metric and the signal metrics
  (:data:`SIGNAL_METRICS`) present; ``results_per_seed.csv`` the same per run
  (``system`` written ``<system>/<run>``).
- ``results_<family>.png``: per family, a panel per condition and declared
  metric, metric against level (the test set as it is at the right).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from aecomp.errors import AecompError
from aecomp.fs import atomic_output, atomic_write_text

#: families whose low levels are summarised: family -> (title, levels)
LOW_LEVELS = {"noise": ("Low SNR", (0.0, -5.0))}
#: families of the test set as it is: a column of every table, not a table of their own
REFERENCE_FAMILIES = ("clean", "as-is")
#: what the level of a family is (x axis of its plot)
LEVEL_NAMES = {"noise": "SNR", "codec": "bitrate", "reverb": "RT60"}
#: families whose level makes the condition harder as it grows (RT60); the others grow easier (SNR, bitrate).
#: Tables list levels from the easiest to the hardest
HARDER_AS_LEVEL_GROWS = ("reverb",)
#: metrics of the signal, reported when the sets have references (higher is better)
SIGNAL_METRICS = ("si_snr", "si_snri", "sdr", "sdri", "pesq", "stoi")
_FAMILY_ORDER = ("clean", "as-is", "custom", "noise", "reverb", "codec", "chain")
#: the columns of the signal table of the test set as it is (ESPnet's enh results show each metric a column)
SIGNAL_TABLE = ("si_snri", "sdri", "si_snr", "sdr", "pesq", "stoi")
SIGNAL_HEADS = {"si_snri": "SI-SNRi (dB)", "sdri": "SDRi (dB)", "si_snr": "SI-SNR (dB)", "sdr": "SDR (dB)",
                "pesq": "PESQ", "stoi": "STOI"}
#: the row of the unprocessed input in the front-ends' PESQ and STOI tables (the values of a system without front-end)
INPUT_ROW = "noisy input (no front-end)"
#: signal metrics of the systems with a front-end, one section each where present: (metric, title, digits)
FRONTEND_TABLES = (("si_snri", "SI-SNR improvement of the front-end (dB)", 2),
                   ("pesq", "PESQ of the front-end's output (MOS-LQO, 1 to 4.6)", 2),
                   ("stoi", "STOI of the front-end's output (0 to 1)", 3))

Key = Tuple[str, str, Optional[float]]  # (system, condition, level)
Agg = Tuple[float, float, int]  # (mean, std, number of runs)


def collect(exp_dir: Path) -> List[dict]:
    """One row per (system, run, evaluation set, metric): ``system, run, set, condition, family, level, unit,
    metric, mode, declared, value, frontend``. Two sets of one run at the same condition and level are an error."""
    from aecomp.data.evalsets import normalize_meta

    rows, seen = [], {}
    for f in sorted(Path(exp_dir).glob("*/*/eval/*/metrics.json")):
        m = normalize_meta(json.loads(f.read_text()))
        system, run = f.parts[-5], f.parts[-4]
        key = (system, run, m["condition"], m["level"])
        if key in seen:
            raise AecompError(f"{f.parent} and {seen[key]} are both condition '{m['condition']}' at level "
                              f"{m['level']} for {system}/{run}: remove the stale one (e.g. a set of an older grid)")
        seen[key] = f.parent
        declared = m.get("metrics") or [{"name": m["metric"], "mode": m["metric_mode"]}]
        base = {"system": system, "run": run, "set": f.parent.name, "condition": m["condition"],
                "family": m.get("family") or "custom", "level": m["level"], "unit": m.get("unit"),
                "frontend": _plugin_name(_read_yaml(f.parents[2] / "config.yaml").get("frontend", "?"))}
        names = [d["name"] for d in declared]
        for d in declared:
            if d["name"] in m:
                rows.append({**base, "metric": d["name"], "mode": d["mode"], "declared": True, "value": m[d["name"]]})
        for name in SIGNAL_METRICS:
            if name in m and name not in names and m[name] is not None:
                rows.append({**base, "metric": name, "mode": "max", "declared": False, "value": m[name]})
    return rows


def declared_metrics(rows: List[dict]) -> List[Tuple[str, str]]:
    """``(name, mode)`` of every declared metric, the primary one first."""
    return list(dict.fromkeys((r["metric"], r["mode"]) for r in rows if r["declared"]))


def aggregate(rows: List[dict], metric: str) -> Dict[Key, Agg]:
    """(system, condition, level) -> (mean, std, number of runs) of ``metric``."""
    groups: Dict[Key, List[float]] = defaultdict(list)
    for r in rows:
        if r["metric"] == metric:
            groups[(r["system"], r["condition"], r["level"])].append(r["value"])
    return {k: _stats(v) for k, v in groups.items()}


def conditions(rows: List[dict]) -> Dict[str, Dict[str, dict]]:
    """family -> condition -> ``{"unit", "levels"}`` (levels easiest first: :func:`easiest_first`), families and
    conditions in report order."""
    found: Dict[str, Dict[str, dict]] = defaultdict(dict)
    for r in rows:
        c = found[r["family"]].setdefault(r["condition"], {"unit": r["unit"], "levels": set()})
        if r["level"] is not None:
            c["levels"].add(r["level"])
    rank = {f: i for i, f in enumerate(_FAMILY_ORDER)}
    return {f: {c: {"unit": v["unit"], "levels": easiest_first(f, v["levels"])} for c, v in sorted(found[f].items())}
            for f in sorted(found, key=lambda f: (rank.get(f, len(rank)), f))}


def easiest_first(family: str, levels) -> list:
    """``levels`` of ``family`` from the easiest to the hardest (SNR and bitrate high to low, RT60 low to high)."""
    return sorted(levels, reverse=family not in HARDER_AS_LEVEL_GROWS)


def _title(cond: str, family: str) -> str:
    """``seen noise``; a condition named like its family once (``reverb``)."""
    return cond if cond == family else f"{cond} {family}"


def describe_runs(rows: List[dict]) -> str:
    """``3 runs (seed1, seed2, seed3)`` or ``6 runs (3 folds x 2 seeds)``."""
    runs = sorted({r["run"] for r in rows})
    folds = [re.fullmatch(r"(fold\d+)_(seed\d+)", r) for r in runs]
    if runs and all(folds):
        return (f"{len(runs)} run(s) ({len({m[1] for m in folds})} folds x {len({m[2] for m in folds})} seeds)")
    return f"{len(runs)} run(s) ({', '.join(runs)})"


def write_csv(rows: List[dict], exp_dir: Path) -> Tuple[Path, Path]:
    """``results.csv`` (mean and std over runs) and ``results_per_seed.csv`` (one row per run)."""
    header = ["system", "condition", "level", "unit", "metric", "value"]
    out, per_run = exp_dir / "results.csv", exp_dir / "results_per_seed.csv"
    units = {(r["condition"], r["level"]): r["unit"] for r in rows}
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    with atomic_output(out) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for metric in metrics:
            for (system, cond, level), (mean, std, _) in sorted(aggregate(rows, metric).items(), key=_order):
                place = [cond, _level_text(level), units[(cond, level)] or ""]
                w.writerow([system, *place, metric, f"{mean:.6g}"])
                w.writerow([system, *place, f"{metric}_std", f"{std:.6g}"])
    with atomic_output(per_run) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in sorted(rows, key=lambda r: (r["system"], r["run"], metrics.index(r["metric"]),
                                             *_order(((r["system"], r["condition"], r["level"]), None))[1:])):
            w.writerow([f"{r['system']}/{r['run']}", r["condition"], _level_text(r["level"]), r["unit"] or "",
                        r["metric"], f"{r['value']:.6g}"])
    return out, per_run


def write_markdown(rows: List[dict], path: Path, title: str, command: str = "", notes: str = "",
                   systems: Optional[Sequence[str]] = None, plots: Optional[Dict[str, str]] = None,
                   provenance: str = "", appendix: str = "") -> Path:
    """RESULTS.md: the command, ``provenance`` (see :func:`describe_provenance`), ``notes``, the tables,
    the plots (family -> file name, e.g. from :func:`plot`) and ``appendix`` (markdown, e.g. confusion
    matrices) at the end."""
    metrics = declared_metrics(rows)
    names = " / ".join(m for m, _ in metrics)
    aggs = {m: aggregate(rows, m) for m, _ in metrics}
    systems = _present(rows, systems)
    grid = conditions(rows)
    refs = [(c, None) for f in REFERENCE_FAMILIES for c in grid.get(f, {})]
    out = io.StringIO()
    out.write(f"# {title}\n\n")
    if command:
        out.write(f"Produced by:\n\n```\n{command}\n```\n\n")
    if provenance:
        out.write(provenance.strip() + "\n\n")
    said = ", ".join(f"**{m}** ({'higher' if mode == 'max' else 'lower'} is better)" for m, mode in metrics)
    out.write(f"Metric{'s' if len(metrics) > 1 else ''}: {said}{' in each cell' if len(metrics) > 1 else ''}, "
              f"mean over {describe_runs(rows)}; ± is the standard deviation over runs.\n\n")
    if notes:
        out.write(notes.strip() + "\n\n")

    def table(columns: List[Tuple[str, Optional[float]]], heads: List[str], source=None, digits: int = 3,
              only: Optional[Sequence[str]] = None) -> None:
        source = source or aggs
        out.write("| system | " + " | ".join(heads) + " |\n|---|" + "---:|" * len(heads) + "\n")
        for system in only or systems:
            row = [" / ".join(_cell(source[m].get((system, c, lv)), digits) for m in source) for c, lv in columns]
            out.write(f"| {system} | " + " | ".join(row) + " |\n")
        out.write("\n")

    families = [f for f in grid if f not in REFERENCE_FAMILIES]
    if not families:
        out.write(f"## {names}\n\n")
        table(refs, [c for c, _ in refs])
    for family in families:
        for cond, info in grid[family].items():
            levels = info["levels"] or [None]
            out.write(f"## {names} with {_title(cond, family)}\n\n")
            table(refs + [(cond, lv) for lv in levels],
                  [c for c, _ in refs] + [cond if lv is None else f"{lv:g} {info['unit']}" for lv in levels])
        if plots and family in plots:
            out.write(f"![{names} against {LEVEL_NAMES.get(family, 'level')}, {family}]({plots[family]})\n\n")
    for family, (what, lows) in LOW_LEVELS.items():
        low = {m: low_level_summary(rows, m, lows) for m, _ in metrics}
        conds = [c for c in grid.get(family, {}) if any((s, c, None) in low[m] for m in low for s in systems)]
        if conds:
            unit = next(iter(grid[family].values()))["unit"]
            out.write(f"## {what}: mean {names} over {', '.join(f'{v:g}' for v in lows)} {unit}\n\n")
            table([(c, None) for c in conds], conds, low)
    with_frontend = [s for s in systems if s not in without_frontend(rows)]
    if with_frontend and any(r["metric"] in SIGNAL_METRICS and r["family"] in REFERENCE_FAMILIES
                             and math.isfinite(r["value"]) for r in rows):
        # every signal metric of the test set as it is, a column each, as ESPnet's enh RESULTS.md show them
        out.write("## Signal metrics of the front-end's output on the test set as it is\n\n")
        names_sig = [m for m in SIGNAL_TABLE if any(r["metric"] == m for r in rows)]
        sig = {m: aggregate(rows, m) for m in names_sig}
        out.write("| system | set | " + " | ".join(SIGNAL_HEADS[m] for m in names_sig) + " |\n|---|---|"
                  + "---:|" * len(names_sig) + "\n")
        for system in with_frontend:
            for c, lv in refs:
                cells = [_cell(sig[m].get((system, c, lv)), 3 if m == "stoi" else 2) for m in names_sig]
                out.write(f"| {system} | {c} | " + " | ".join(cells) + " |\n")
        out.write("\n")
    for name, what, digits in FRONTEND_TABLES:
        si = aggregate(rows, name)
        if not si or any(m == name for m, _ in metrics) or not with_frontend:
            continue
        shown = with_frontend
        plain = [s for s in systems if s in without_frontend(rows)]
        if plain and name != "si_snri":  # the input's own value (an SI-SNR improvement is 0 by construction)
            shown = [INPUT_ROW] + with_frontend
            si.update({(shown[0], c, lv): v for (s, c, lv), v in list(si.items()) if s == plain[0]})
        if not any(k[2] is not None and any(k[1] in grid[f] for f in families) for k in si):
            continue  # no level of any condition: nothing beyond the table above
        out.write(f"## {what}\n\n")
        for family in families:
            for cond in grid[family]:
                levels = easiest_first(family, {k[2] for k in si if k[1] == cond and k[2] is not None})
                if levels:
                    out.write(f"{_title(cond, family)}:\n\n")
                    table([(cond, lv) for lv in levels], [f"{lv:g} {grid[family][cond]['unit']}" for lv in levels],
                          {name: si}, digits, shown)
    if appendix:
        out.write(appendix.strip() + "\n")
    atomic_write_text(path, out.getvalue())
    return path


def without_frontend(rows: List[dict]) -> set:
    """Systems whose front-end is the identity (their SI-SNR improvement is 0 by construction)."""
    return {r["system"] for r in rows if r.get("frontend") == "identity"}


def low_level_summary(rows: List[dict], metric: str, levels: Sequence[float]) -> Dict[Key, Agg]:
    """(system, condition, None) -> mean/std over runs of each run's mean of ``metric`` over ``levels``
    (runs missing one of the levels are left out)."""
    per_run: Dict[tuple, List[float]] = defaultdict(list)
    for r in rows:
        if r["metric"] == metric and r["level"] in levels:
            per_run[(r["system"], r["condition"], r["run"])].append(r["value"])
    groups: Dict[Key, List[float]] = defaultdict(list)
    for (system, cond, _), values in per_run.items():
        if len(values) == len(levels):
            groups[(system, cond, None)].append(statistics.fmean(values))
    return {k: _stats(v) for k, v in groups.items()}


def plot(rows: List[dict], path: Path, title: str, family: str, systems: Optional[Sequence[str]] = None) -> Path:
    """``family``'s plot: a panel per condition (columns) and declared metric (rows), the metric against the
    level, one line per system, the test set as it is at the right (not joined: it is no level)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = declared_metrics(rows)
    systems = _present(rows, systems)
    grid = conditions(rows)
    conds = {c: v for c, v in grid[family].items() if v["levels"]}
    refs = [c for f in REFERENCE_FAMILIES for c in grid.get(f, {})]
    fig, axes = plt.subplots(len(metrics), max(1, len(conds)), figsize=(5.5 * max(1, len(conds)), 4.2 * len(metrics)),
                             sharey="row", squeeze=False)
    for i, (metric, _) in enumerate(metrics):
        agg = aggregate(rows, metric)
        for ax, (cond, info) in zip(axes[i], conds.items()):
            levels = sorted(info["levels"])
            xs = list(range(len(levels) + len(refs)))
            for system in systems:
                points = [agg.get((system, cond, lv)) for lv in levels]
                line = ax.errorbar(xs[:len(levels)], [p[0] if p else math.nan for p in points],
                                   yerr=[p[1] if p else 0.0 for p in points], marker="o", capsize=3, label=system)
                for x, ref in zip(xs[len(levels):], refs):
                    point = agg.get((system, ref, None))
                    if point:
                        ax.errorbar([x], [point[0]], yerr=[point[1]], marker="s", capsize=3, color=line[0].get_color())
            ax.set_xticks(xs, [f"{lv:g}" for lv in levels] + refs)
            ax.set_xlabel(f"{LEVEL_NAMES.get(family, 'level')} ({info['unit']})")
            ax.set_title(_title(cond, family))
            ax.grid(alpha=0.3)
        axes[i][0].set_ylabel(metric)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(f"{title}: {family}")
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def plotted_families(rows: List[dict]) -> List[str]:
    """The families that get a plot: those with a condition at several levels or one."""
    return [f for f, conds in conditions(rows).items() if any(v["levels"] for v in conds.values())]


def describe_data(data_dir: Path) -> str:
    """A markdown paragraph: utterances, speakers and noise types of the recipe's data."""
    from aecomp.data.datadir import read_table

    lines = []
    for name in ("train", "dev", "test"):
        d = data_dir / name
        if (d / "wav.scp").is_file():
            utt2spk = read_table(d / "utt2spk") if (d / "utt2spk").is_file() else {}
            lines.append(f"{name}: {len(read_table(d / 'wav.scp'))} utterances, {len(set(utt2spk.values()))} speakers")
    for d in sorted(data_dir.glob("noise_*")):
        if (d / "utt2category").is_file():
            cats = sorted(set(read_table(d / "utt2category").values()))
            lines.append(f"{d.name}: {len(read_table(d / 'wav.scp'))} recordings ({', '.join(cats)})")
    return "Data: " + "; ".join(lines) + "." if lines else ""


def describe_systems(exp_dir: Path, systems: Sequence[str]) -> str:
    """A markdown table: what each system is, where it starts from, its size and its mean training
    time over seeds (its own training only)."""
    upstreams = describe_upstreams(exp_dir, systems)
    out = ["| system | paradigm | front-end | downstream | starts from | parameters | training time (s) |"
           + (" SSL upstream |" if upstreams else ""),
           "|---|---|---|---|---|---:|---:|" + ("---|" if upstreams else "")]
    for system in systems:
        runs = sorted((exp_dir / system).glob("*/config.yaml"))
        if not runs:
            continue
        cfg = _read_yaml(runs[0])
        init = cfg.get("init") or {}
        starts = ", ".join(f"{m}: {v}" for m, v in init.items() if v) or "–"
        seconds = [sum(h["seconds"] for h in json.loads((r.parent / "history.json").read_text()))
                   for r in runs if (r.parent / "history.json").is_file()]
        best = runs[0].parent / "best.json"
        params = json.loads(best.read_text()).get("parameters", "") if best.is_file() else ""
        took = f"{statistics.fmean(seconds):.0f}" if seconds else "–"
        out.append(f"| {system} | {_plugin_name(cfg['paradigm'])} | {_plugin_name(cfg['frontend'])} | "
                   f"{_plugin_name(cfg['downstream'])} | {starts} | {params} | {took} |"
                   + (f" {upstreams.get(system, '–')} |" if upstreams else ""))
    random = [s for s, u in upstreams.items() if "randomly initialised" in u]
    if random:
        out += ["", f"**{', '.join(random)}: the SSL upstream is randomly initialised, not pre-trained**; these "
                "rows measure the machinery of the SSL loss, not the benefit of self-supervised representations."]
    return "\n".join(out) if len(out) > 2 else ""


#: the stages whose outputs a table depends on: number -> (name, where its record lies)
STAGES = {1: ("data", "data dir"), 2: ("validate", "data dir"), 3: ("evalsets", "data dir/eval/<set>"),
          4: ("train", "exp/<system>/<run>"), 5: ("evaluate", "exp/<system>/<run>/eval")}


def read_stage_record(path: Path) -> Optional[dict]:
    """A ``.stage<N>`` file written by the recipe (``key: value`` lines) as a dict, or None if absent."""
    if not path.is_file():
        return None
    record: Dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(": ")
        record[key] = f"{record[key]}; {value}" if key in record else value
    return record


def describe_provenance(data_dir: Path, exp_dir: Path, rows: List[dict], command: str) -> str:
    """A markdown section: how each stage's outputs behind the table were made (the ``.stage<N>``
    records), and whether the command shown reproduces the table."""
    runs = sorted({(r["system"], r["run"]) for r in rows})
    sets = sorted({r["set"] for r in rows})
    places = [(1, data_dir, "data"), (2, data_dir, "data")] + [(3, data_dir / "eval" / s, s) for s in sets]
    places += [(4, exp_dir / s / k, f"{s}/{k}") for s, k in runs] + [(5, exp_dir / s / k / "eval", f"{s}/{k}") for s, k in runs]
    made: Dict[tuple, List[str]] = defaultdict(list)  # (stage, command, options, commit, env) -> outputs
    missing: Dict[int, List[str]] = defaultdict(list)
    for stage, where, what in places:
        # each evaluation set has its own record (sets of a later grid are added beside the kept ones);
        # data/eval/.stage3 is where recipes recorded the whole grid before
        rec = read_stage_record(where / f".stage{stage}") or (
            read_stage_record(where.parent / ".stage3") if stage == 3 else None)
        if rec is None:
            missing[stage].append(what)
        else:
            made[(stage, rec.get("command", "?"), rec.get("options", ""), rec.get("commit", "?"),
                  rec.get("env", ""))].append(what)
    out = ["## How each stage's outputs were made", "",
           "| stage | outputs | command | options | commit | environment |", "|---|---|---|---|---|---|"]
    for (stage, cmd, options, commit, env), whats in sorted(made.items()):
        shown = "the command shown" if cmd == command else f"`{cmd}`"
        out.append(f"| {stage} {STAGES[stage][0]} | {', '.join(whats)} | {shown} | `{options}` | {commit} | {env} |")
    for stage, whats in sorted(missing.items()):
        out.append(f"| {stage} {STAGES[stage][0]} | {', '.join(whats)} | **no record** | | | |")
    out.append("")
    if missing:
        stages = ", ".join(f"{n} ({STAGES[n][0]})" for n in sorted(missing))
        out.append(f"**NOT reproducible from the command shown**: nothing records how stage(s) {stages} made "
                   f"their outputs (no `.stage<N>` file: made by hand, or before the recipes wrote these records).")
    elif {k[1] for k in made} == {command}:
        out.append("Every stage was run by the command shown.")
    else:
        out.append("The command shown did not run every stage: to reproduce the table, run the commands above "
                   "in the order of the stages.")
    return "\n".join(out)


def describe_upstreams(exp_dir: Path, systems: Sequence[str]) -> Dict[str, str]:
    """system -> its SSL upstream, said to be random where the checkpoint says it is not pre-trained
    (``pretrained: False``, as :func:`aecomp.losses.tiny_upstream.build_tiny_wavlm` writes)."""
    found = {}
    for system in systems:
        runs = sorted((exp_dir / system).glob("*/config.yaml"))
        if runs:
            ups = [_upstream_text(u) for u in _upstreams(_read_yaml(runs[0]))]
            if ups:
                found[system] = "; ".join(ups)
    return found


def _upstreams(cfg) -> List[dict]:
    """Every mapping in a config that names an s3prl ``upstream`` (the SSL loss's conf)."""
    if isinstance(cfg, dict):
        here = [cfg] if isinstance(cfg.get("upstream"), str) else []
        return here + [u for v in cfg.values() for u in _upstreams(v)]
    if isinstance(cfg, list):
        return [u for v in cfg for u in _upstreams(v)]
    return []


def _upstream_text(conf: dict) -> str:
    ckpt = conf.get("ckpt")
    if not ckpt:
        return f"{conf['upstream']} (s3prl hub)"
    name = f"{Path(ckpt).stem} ({conf['upstream']}, {ckpt})"
    if not Path(ckpt).is_file():
        return f"{name}: checkpoint not found, pre-training unknown"
    import torch

    from aecomp.losses.tiny_upstream import TINY_WAVLM

    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    # checkpoints of the tiny WavLM written before it carried "pretrained" are known by their config
    if isinstance(state, dict) and (state.get("pretrained") is False or state.get("cfg") == TINY_WAVLM):
        return f"{name}: randomly initialised, not pre-trained"
    info = state.get("aecomp") if isinstance(state, dict) and state.get("pretrained") is True else None
    if isinstance(info, dict):  # pre-trained here (aecomp pretrain-upstream)
        acc = info.get("valid_masked_acc")
        return (f"{name}: pre-trained here (masked prediction of {info.get('targets')} k-means targets, "
                f"{info.get('epochs')} epochs" + (f", dev masked-prediction accuracy {acc:.2f}" if acc is not None else "")
                + ")")
    return name


def _read_yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def _plugin_name(spec) -> str:
    return spec if isinstance(spec, str) else str(spec.get("name"))


def _cell(agg: Optional[Tuple[float, float, int]], digits: int = 3) -> str:
    if agg is None:
        return "–"
    mean, std, n = agg
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if n > 1 else f"{mean:.{digits}f}"


def _level_text(level: Optional[float]) -> str:
    return "" if level is None else f"{level:g}"


def _order(item):
    """Sort key of an aggregate item: system, the test set as it is first, condition, level high to low."""
    (system, cond, level), _ = item
    return (system, level is not None, cond, -(level if level is not None else 0.0))


def _stats(values: List[float]) -> Agg:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values)


def _present(rows: List[dict], systems: Optional[Sequence[str]]) -> List[str]:
    """``systems`` (default: all, sorted) that have scores."""
    return [s for s in (systems or sorted({r["system"] for r in rows})) if any(r["system"] == s for r in rows)]
