"""Confusion matrices in the report: per chosen evaluation set, one panel per system.

A classifier scored by class recall writes ``eval/<set>/confusion.json`` (``labels``, ``matrix``: rows the
reference, columns the hypothesis; :class:`aecomp.downstream.classification.RecallClassificationMixin`).
:func:`confusion_figures` sums the matrices of every run of a system (folds x seeds) and draws, for each set
whose name matches the patterns (default: the test set as it is and every 0-dB set), a row of panels,
each cell the share of the reference class decoded as the hypothesis class (its row sums to 1), with counts.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from aecomp.fs import atomic_output

#: the sets whose confusion matrices the report draws (shell patterns)
DEFAULT_SETS = ("clean", "*_0dB")


def collect_confusions(exp_dir: Path, systems: Sequence[str],
                       sets: Sequence[str] = DEFAULT_SETS) -> Dict[str, Dict[str, Tuple[List[str], List[List[float]]]]]:
    """set -> system -> ``(labels, matrix)`` summed over the system's runs (sets and systems without
    ``confusion.json`` are absent)."""
    out: Dict[str, Dict[str, Tuple[List[str], List[List[float]]]]] = {}
    for system in systems:
        for path in sorted(Path(exp_dir).glob(f"{system}/*/eval/*/confusion.json")):
            name = path.parent.name
            if not any(fnmatch.fnmatchcase(name, p) for p in sets):
                continue
            cm = json.loads(path.read_text())
            labels, matrix = out.setdefault(name, {}).get(system, (cm["labels"], None))
            if matrix is None:
                matrix = [[0.0] * len(labels) for _ in labels]
            index = {lab: i for i, lab in enumerate(labels)}
            for r, row in zip(cm["labels"], cm["matrix"]):
                for h, v in zip(cm["labels"], row):
                    if v and (r not in index or h not in index):
                        raise ValueError(f"{path}: label {r if r not in index else h!r} is not among the labels "
                                         f"of the other runs of {system} ({', '.join(labels)})")
                    if v:
                        matrix[index[r]][index[h]] += v
            out[name][system] = (labels, matrix)
    return out


def plot_confusions(confusions: Dict[str, Tuple[List[str], List[List[float]]]], path: Path, title: str) -> Path:
    """One panel per system of ``confusions`` (system -> labels, matrix), rows normalised to recall."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    systems = list(confusions)
    cols = min(4, len(systems))
    rows = -(-len(systems) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[len(systems):]:
        ax.axis("off")
    for ax, system in zip(axes.flat, systems):
        labels, matrix = confusions[system]
        m = np.asarray(matrix, dtype=float)
        share = m / np.maximum(m.sum(1, keepdims=True), 1)
        ax.imshow(share, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, f"{share[i, j]:.2f}\n({int(m[i, j])})", ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.6 else "black")
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("decoded", fontsize=8)
        ax.set_ylabel("reference", fontsize=8)
        ua = float(np.mean([share[i, i] for i in range(len(labels)) if m[i].sum() > 0]))
        ax.set_title(f"{system} (UA {ua:.3f})", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
    plt.close(fig)
    return path


def confusion_figures(exp_dir: Path, systems: Sequence[str], out_md: Path,
                      sets: Sequence[str] = DEFAULT_SETS) -> Optional[str]:
    """Draw ``exp_dir/confusion_<set>.png`` for the chosen sets; the markdown section that shows them
    (image paths relative to ``out_md``), or None when no system wrote confusion matrices."""
    import os

    found = collect_confusions(Path(exp_dir), systems, sets)
    if not found:
        return None
    order = sorted(found, key=lambda s: (s != "clean", s))
    text = ["## Confusion matrices", "",
            "Per system, summed over its runs: each row a reference class, the share of it decoded as each "
            "class (count in brackets).", ""]
    for name in order:
        png = plot_confusions(found[name], Path(exp_dir) / f"confusion_{name}.png", f"confusion matrices: {name}")
        rel = os.path.relpath(png.resolve(), Path(out_md).resolve().parent)
        text += [f"![confusion matrices, {name}]({rel})", ""]
    return "\n".join(text)
