"""Seed 004's tables: accuracy per codec category and fine-tuning epoch, and segmental fine-tuning.

Read by ``aecomp report`` beside the usual tables (:mod:`aecomp.report`) when the evaluation grid has
codec categories, i.e. conditions named ``cat<k>_<codec>`` (``cat2_mp3`` at 32 kbit/s: set
``cat2_mp3_32kbps``); the test set as it is (``clean``) is category 1's WAV row.

- **Table 2 style**: for every system whose kept epochs were scored (``<system>/<run>/eval_epoch<N>/``,
  ``trainer.keep_epochs``), accuracy per category and codec (rows) after each kept epoch (columns).
- **Segmental fine-tuning** (Experiment B): systems that train one part of the downstream
  (``paradigm.conf.train: [downstream.seg<k>]``) beside the system they start from (``init.downstream``,
  the pre-trained model), the full fine-tuning after as many epochs, and the other systems scored on the
  codec sets; and the Figure 2 style plot ``results_segments.png``: relative accuracy improvement over the
  pre-trained model per segment (solid) and of full fine-tuning (dashed), one colour per codec set.

The codecs that the training configs list as ``optional`` and that are not installed here (HE-AAC
without libfdk_aac) are named under the tables.
"""

from __future__ import annotations

import io
import json
import math
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from aecomp.fs import atomic_output
from aecomp.report import _cell, _stats

CATEGORY = re.compile(r"cat(\d+)_(.+)")
CODEC_NAMES = {"aac": "AAC", "he-aac": "HE-AAC", "mp3": "MP3", "opus": "Opus", "sbc": "SBC", "g722": "G.722",
               "lc3": "LC3", "speex": "Speex", "gsm": "GSM", "codec2": "Codec2"}
PLOT = "results_segments.png"

Cell = Tuple[str, str, Optional[float]]  # (category, condition, level)


def category_sets(rows: List[dict]) -> List[Cell]:
    """The codec-category cells present, in table order: category, then condition and level as listed."""
    cells = {("1", "clean", None)} if any(r["condition"] == "clean" for r in rows) else set()
    for r in rows:
        m = CATEGORY.fullmatch(r["condition"])
        if m:
            cells.add((m[1], r["condition"], r["level"]))
    if not any(c[1] != "clean" for c in cells):
        return []
    return sorted(cells, key=lambda c: (int(c[0]), c[1] != "clean", c[1], -(c[2] or 0)))


def label(cell: Cell) -> str:
    """``WAV``, ``MP3 32``."""
    _, cond, level = cell
    if cond == "clean":
        return "WAV"
    codec = CATEGORY.fullmatch(cond)[2]
    return f"{CODEC_NAMES.get(codec, codec)} {level:g}" if level is not None else CODEC_NAMES.get(codec, codec)


def epoch_rows(exp_dir: Path) -> List[dict]:
    """Primary-metric scores of the kept epochs: ``system, run, epoch, condition, level, value``."""
    from aecomp.data.evalsets import normalize_meta

    out = []
    for f in sorted(Path(exp_dir).glob("*/*/eval_epoch*/*/metrics.json")):
        m = normalize_meta(json.loads(f.read_text()))
        metric = (m.get("metrics") or [{"name": m.get("metric")}])[0]["name"]
        if metric in m:
            out.append({"system": f.parts[-5], "run": f.parts[-4], "epoch": int(f.parts[-3][len("eval_epoch"):]),
                        "condition": m["condition"], "level": m["level"], "value": m[metric]})
    return out


def _mean(values: List[float]) -> Optional[Tuple[float, float, int]]:
    """(mean, std, number of runs) as the report's tables aggregate, or None without values."""
    return _stats(values) if values else None


def _config(exp_dir: Path, system: str) -> dict:
    for path in sorted(Path(exp_dir).glob(f"{system}/*/config.yaml")):
        return yaml.safe_load(path.read_text()) or {}
    return {}


def trained_part(cfg: dict) -> Optional[str]:
    """The one downstream part a system's config trains (``seg7`` of ``[downstream.seg7]``), or None."""
    conf = (cfg.get("paradigm") or {}).get("conf") or {} if isinstance(cfg.get("paradigm"), dict) else {}
    train = conf.get("train")
    if isinstance(train, list) and len(train) == 1 and str(train[0]).startswith("downstream."):
        return str(train[0])[len("downstream."):]
    return None


def unavailable_codecs(exp_dir: Path, systems: Sequence[str]) -> List[str]:
    """``HE-AAC 16 kbps`` for every optional codec of the systems' training corruptions not installed here."""
    from aecomp.corruptions.codec import CODECS, missing_tools

    out = []
    for system in systems:
        for e in ((_config(exp_dir, system).get("data") or {}).get("corruptions") or []):
            conf = e.get("conf") or {}
            if e.get("optional") and e.get("name") == "codec" and conf.get("codec") in CODECS \
                    and missing_tools(CODECS[conf["codec"]]):
                text = f"{CODEC_NAMES.get(conf['codec'], conf['codec'])} {conf.get('bitrate', ''):g} kbit/s"
                if text not in out:
                    out.append(text)
    return out


def codec_section(rows: List[dict], exp_dir: Path, systems: Sequence[str], plot_link: str = PLOT) -> str:
    """The markdown of both tables (empty without codec categories, rows of :func:`aecomp.report.collect`);
    writes the plot to ``exp_dir/results_segments.png``, linked in the markdown as ``plot_link``."""
    exp_dir = Path(exp_dir)
    primary = next((r["metric"] for r in rows if r["declared"]), None)
    rows = [r for r in rows if r["metric"] == primary]
    cells = category_sets(rows)
    if not cells:
        return ""
    values: Dict[tuple, List[float]] = defaultdict(list)
    for r in rows:
        values[(r["system"], r["condition"], r["level"])].append(r["value"])
    epochs: Dict[tuple, List[float]] = defaultdict(list)
    for r in epoch_rows(exp_dir):
        epochs[(r["system"], r["epoch"], r["condition"], r["level"])].append(r["value"])
    coded = [c for c in cells if c[1] != "clean"]
    out = io.StringIO()
    out.write(f"## Codec categories (seed 004): {primary}\n\n"
              "Category 1: the fine-tuning codecs at their bitrates (WAV: the test set as it is); 2: those codecs at "
              "other bitrates; 3: codecs never used in fine-tuning. Mean over runs (± standard deviation).\n\n")
    missing = unavailable_codecs(exp_dir, systems)
    if missing:
        out.write(f"**Not available on this machine**: {', '.join(missing)} (needs an ffmpeg with libfdk_aac): "
                  "left out of the fine-tuning set, its share going to the other codecs; no table row.\n\n")

    def row(head: str, aggs) -> None:
        out.write(f"| {head} | " + " | ".join(_cell(a) for a in aggs) + " |\n")

    def coded_mean(get) -> Optional[Tuple[float, float, int]]:
        per = [get(c) for c in coded]
        return (statistics.fmean(p[0] for p in per), 0.0, 1) if per and all(per) else None

    for system in [s for s in systems if any(k[0] == s for k in epochs)]:
        kept = sorted({k[1] for k in epochs if k[0] == system})
        out.write(f"### {system}: {primary} after each fine-tuning epoch (Table 2 style)\n\n")
        out.write("| category | codec | " + " | ".join(f"epoch {e}" for e in kept) + " |\n|---|---|"
                  + "---:|" * len(kept) + "\n")
        for c in cells:
            out.write(f"| cat {c[0]} | {label(c)} | " + " | ".join(
                _cell(_mean(epochs.get((system, e, c[1], c[2]), []))) for e in kept) + " |\n")
        out.write("| | mean of the coded sets | " + " | ".join(_cell(coded_mean(
            lambda c, e=e: _mean(epochs.get((system, e, c[1], c[2]), [])))) for e in kept) + " |\n\n")

    parts = {s: trained_part(_config(exp_dir, s)) for s in systems}
    segmental = [s for s in systems if parts[s]]
    if segmental:
        cfg = _config(exp_dir, segmental[0])
        base = (cfg.get("init") or {}).get("downstream")
        seg_epochs = ((cfg.get("paradigm") or {}).get("conf") or {}).get("epochs")
        full = next((s for s in systems if any(k[0] == s and k[1] == seg_epochs for k in epochs)), None)
        others = [s for s in systems if s not in segmental and s != base]
        columns = [(base, lambda s, c: _mean(values.get((s, c[1], c[2]), [])))] if base else []
        columns += [(s, lambda s, c: _mean(values.get((s, c[1], c[2]), []))) for s in segmental]
        if full:
            columns.append((f"{full} (epoch {seg_epochs})",
                            lambda s, c, f=full: _mean(epochs.get((f, seg_epochs, c[1], c[2]), []))))
        columns += [(f"{s} (best epoch)" if s == full else s, lambda s, c: _mean(values.get((s, c[1], c[2]), [])))
                    for s in others if any(values.get((s, c[1], c[2])) for c in cells)]
        out.write(f"### Segmental fine-tuning: one part of `{base}` trained for {seg_epochs} epoch(s), the rest frozen "
                  "(Experiment B)\n\n")
        out.write("| category | codec | " + " | ".join(n for n, _ in columns) + " |\n|---|---|"
                  + "---:|" * len(columns) + "\n")
        for c in cells:
            out.write(f"| cat {c[0]} | {label(c)} | " + " | ".join(_cell(get(n.split(' ')[0], c)) for n, get in columns)
                      + " |\n")
        out.write("| | mean of the coded sets | " + " | ".join(
            _cell(coded_mean(lambda c, n=n, get=get: get(n.split(" ")[0], c))) for n, get in columns) + " |\n\n")
        if base:
            plot_segments(exp_dir / PLOT, cells, segmental, parts, base, full, seg_epochs, values, epochs)
            out.write(f"![relative improvement per segment]({plot_link})\n\n")
    return out.getvalue()


def plot_segments(path: Path, cells: List[Cell], segmental: List[str], parts: Dict[str, str], base: str,
                  full: Optional[str], seg_epochs, values, epochs) -> Path:
    """Figure 2 style: relative improvement (%) over ``base`` per fine-tuned segment (solid, one line per codec
    set), full fine-tuning after ``seg_epochs`` epochs (dashed, same colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def mean(vs):
        return statistics.fmean(vs) if vs else math.nan

    fig, ax = plt.subplots(figsize=(9, 5))
    xs = list(range(1, len(segmental) + 1))
    for c in cells:
        ref = mean(values.get((base, c[1], c[2]), []))
        if not ref or math.isnan(ref):
            continue
        ys = [100 * (mean(values.get((s, c[1], c[2]), [])) - ref) / ref for s in segmental]
        line, = ax.plot(xs, ys, marker="o", label=label(c))
        if full:
            f = mean(epochs.get((full, seg_epochs, c[1], c[2]), []))
            ax.axhline(100 * (f - ref) / ref, linestyle="--", color=line.get_color(), linewidth=1)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(xs, [parts[s] for s in segmental])
    ax.set_xlabel("fine-tuned segment")
    ax.set_ylabel(f"relative improvement over {base} (%)")
    ax.set_title(f"Segmental fine-tuning (solid) vs full fine-tuning after {seg_epochs} epoch(s) (dashed)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
