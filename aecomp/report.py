"""Results of a recipe: RESULTS.md for people, results.csv for programs, a plot of metric against SNR.

Scores are read from ``<exp_dir>/<system>/<seed>/eval/<set>/metrics.json``.
``results.csv`` has the columns ``system,condition,snr_db,metric,value``:
``value`` is the mean over seeds, and a ``<metric>_std`` row gives the
standard deviation; ``results_per_seed.csv`` has the same columns with
``system`` written ``<system>/<seed>``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from aecomp.fs import atomic_output, atomic_write_text

LOW_SNRS = (0.0, -5.0)


def collect(exp_dir: Path) -> List[dict]:
    """One row per (system, seed, evaluation set) with the primary metric and SI-SNR values."""
    rows = []
    for f in sorted(Path(exp_dir).glob("*/*/eval/*/metrics.json")):
        m = json.loads(f.read_text())
        system, seed = f.parts[-5], f.parts[-4]
        row = {"system": system, "seed": seed, "condition": m["condition"], "snr_db": m["snr_db"],
               "metric": m["metric"], "mode": m["metric_mode"], "value": m[m["metric"]],
               "frontend": _plugin_name(_read_yaml(f.parents[2] / "config.yaml").get("frontend", "?"))}
        for extra in ("si_snr", "si_snri"):
            if extra in m:
                row[extra] = m[extra]
        rows.append(row)
    return rows


def aggregate(rows: List[dict], key: str = "value") -> Dict[Tuple[str, str, Optional[float]], Tuple[float, float, int]]:
    """(system, condition, snr) -> (mean, std, number of seeds)."""
    groups: Dict[tuple, List[float]] = defaultdict(list)
    for r in rows:
        if key in r:
            groups[(r["system"], r["condition"], r["snr_db"])].append(r[key])
    return {k: (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in groups.items()}


def write_csv(rows: List[dict], exp_dir: Path) -> Tuple[Path, Path]:
    metric = rows[0]["metric"]
    agg = aggregate(rows)
    out = exp_dir / "results.csv"
    per_seed = exp_dir / "results_per_seed.csv"
    with atomic_output(out) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["system", "condition", "snr_db", "metric", "value"])
        for (system, cond, snr), (mean, std, _) in sorted(agg.items(), key=_order):
            w.writerow([system, cond, _snr_text(snr), metric, f"{mean:.6g}"])
            w.writerow([system, cond, _snr_text(snr), f"{metric}_std", f"{std:.6g}"])
    with atomic_output(per_seed) as tmp, open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["system", "condition", "snr_db", "metric", "value"])
        for r in sorted(rows, key=lambda r: (r["system"], r["seed"], r["condition"], -(r["snr_db"] or 1e9))):
            w.writerow([f"{r['system']}/{r['seed']}", r["condition"], _snr_text(r["snr_db"]), metric, f"{r['value']:.6g}"])
    return out, per_seed


def write_markdown(rows: List[dict], path: Path, title: str, command: str = "", notes: str = "",
                   systems: Optional[Sequence[str]] = None, plot_name: Optional[str] = None,
                   provenance: str = "") -> Path:
    """RESULTS.md: the command, ``provenance`` (see :func:`describe_provenance`), ``notes``, the tables."""
    metric, mode = rows[0]["metric"], rows[0]["mode"]
    agg = aggregate(rows)
    systems = [s for s in (systems or sorted({r["system"] for r in rows})) if any(r["system"] == s for r in rows)]
    conditions = sorted({r["condition"] for r in rows if r["condition"] != "clean"})
    seeds = sorted({r["seed"] for r in rows})
    better = "higher" if mode == "max" else "lower"
    out = io.StringIO()
    out.write(f"# {title}\n\n")
    if command:
        out.write(f"Produced by:\n\n```\n{command}\n```\n\n")
    if provenance:
        out.write(provenance.strip() + "\n\n")
    out.write(f"Metric: **{metric}** ({better} is better), mean over {len(seeds)} seed(s) "
              f"({', '.join(seeds)}); ± is the standard deviation over seeds.\n\n")
    if notes:
        out.write(notes.strip() + "\n\n")
    for cond in conditions:
        snrs = sorted({r["snr_db"] for r in rows if r["condition"] == cond}, reverse=True)
        out.write(f"## {metric} with {cond} noise\n\n")
        out.write("| system | clean | " + " | ".join(f"{s:g} dB" for s in snrs) + " |\n")
        out.write("|---|---:|" + "---:|" * len(snrs) + "\n")
        for system in systems:
            cells = [_cell(agg.get((system, "clean", None)))]
            cells += [_cell(agg.get((system, cond, s))) for s in snrs]
            out.write(f"| {system} | " + " | ".join(cells) + " |\n")
        out.write("\n")
    low = low_snr_summary(rows)
    if low:
        out.write(f"## Low SNR: mean {metric} over {', '.join(f'{s:g}' for s in LOW_SNRS)} dB\n\n")
        out.write("| system | " + " | ".join(conditions) + " |\n|---|" + "---:|" * len(conditions) + "\n")
        for system in systems:
            out.write(f"| {system} | " + " | ".join(_cell(low.get((system, c))) for c in conditions) + " |\n")
        out.write("\n")
    si = {k: v for k, v in aggregate(rows, "si_snri").items() if k[0] not in without_frontend(rows)}
    if si:
        out.write("## SI-SNR improvement of the front-end (dB)\n\n")
        for cond in conditions:
            snrs = sorted({k[2] for k in si if k[1] == cond}, reverse=True)
            out.write(f"{cond} noise:\n\n| system | " + " | ".join(f"{s:g} dB" for s in snrs) + " |\n")
            out.write("|---|" + "---:|" * len(snrs) + "\n")
            for system in systems:
                if system not in without_frontend(rows):
                    out.write(f"| {system} | " + " | ".join(_cell(si.get((system, cond, s)), 2) for s in snrs) + " |\n")
            out.write("\n")
    if plot_name:
        out.write(f"![{metric} against SNR]({plot_name})\n")
    atomic_write_text(path, out.getvalue())
    return path


def without_frontend(rows: List[dict]) -> set:
    """Systems whose front-end is the identity (their SI-SNR improvement is 0 by construction)."""
    return {r["system"] for r in rows if r.get("frontend") == "identity"}


def low_snr_summary(rows: List[dict]) -> Dict[Tuple[str, str], Tuple[float, float, int]]:
    """(system, condition) -> mean/std over seeds of each seed's mean over the low SNRs."""
    per_seed: Dict[tuple, List[float]] = defaultdict(list)
    for r in rows:
        if r["snr_db"] in LOW_SNRS:
            per_seed[(r["system"], r["condition"], r["seed"])].append(r["value"])
    groups: Dict[tuple, List[float]] = defaultdict(list)
    for (system, cond, _), values in per_seed.items():
        if len(values) == len(LOW_SNRS):
            groups[(system, cond)].append(statistics.fmean(values))
    return {k: (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in groups.items()}


def plot(rows: List[dict], path: Path, title: str, systems: Optional[Sequence[str]] = None) -> Path:
    """Metric against SNR, one panel per noise condition, one line per system (clean at the right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metric = rows[0]["metric"]
    agg = aggregate(rows)
    systems = [s for s in (systems or sorted({r["system"] for r in rows})) if any(r["system"] == s for r in rows)]
    conditions = sorted({r["condition"] for r in rows if r["condition"] != "clean"})
    fig, axes = plt.subplots(1, max(1, len(conditions)), figsize=(5.5 * max(1, len(conditions)), 4.2),
                             sharey=True, squeeze=False)
    for ax, cond in zip(axes[0], conditions):
        snrs = sorted({r["snr_db"] for r in rows if r["condition"] == cond})
        xs = list(range(len(snrs) + 1))
        for system in systems:
            points = [agg.get((system, cond, s)) for s in snrs]
            line = ax.errorbar(xs[:-1], [p[0] if p else math.nan for p in points],
                               yerr=[p[1] if p else 0.0 for p in points], marker="o", capsize=3, label=system)
            clean = agg.get((system, "clean", None))
            if clean:  # not joined to the SNR curve: clean is no point on the SNR axis
                ax.errorbar([xs[-1]], [clean[0]], yerr=[clean[1]], marker="s", capsize=3,
                            color=line[0].get_color())
        ax.set_xticks(xs, [f"{s:g}" for s in snrs] + ["clean"])
        ax.set_xlabel("SNR (dB)")
        ax.set_title(f"{cond} noise")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(metric)
    axes[0][-1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


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
STAGES = {1: ("data", "data dir"), 2: ("validate", "data dir"), 3: ("evalsets", "data dir/eval"),
          4: ("train", "exp/<system>/<seed>"), 5: ("evaluate", "exp/<system>/<seed>/eval")}


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
    runs = sorted({(r["system"], r["seed"]) for r in rows})
    places = [(1, data_dir, "data"), (2, data_dir, "data"), (3, data_dir / "eval", "evaluation sets")]
    places += [(4, exp_dir / s / k, f"{s}/{k}") for s, k in runs] + [(5, exp_dir / s / k / "eval", f"{s}/{k}") for s, k in runs]
    made: Dict[tuple, List[str]] = defaultdict(list)  # (stage, command, options, commit, env) -> outputs
    missing: Dict[int, List[str]] = defaultdict(list)
    for stage, where, what in places:
        rec = read_stage_record(where / f".stage{stage}")
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


def _snr_text(snr: Optional[float]) -> str:
    return "inf" if snr is None else f"{snr:g}"


def _order(item):
    (system, cond, snr), _ = item
    return (system, cond != "clean", cond, -(snr if snr is not None else 1e9))
