"""Has the tiny pre-trained upstream learned anything? Linear probes of its layers against the mini corpus's words.

For each upstream (the pre-trained tiny HuBERT of the mini corpus, the same architecture
untrained, and the random tiny WavLM that ``cascade_ssl_random`` uses) and each hidden
state (0: the CNN's output, 1-2: the transformer layers), every clip of the mini Speech
Commands part becomes one vector (the frames averaged over 4 equal stretches of time,
concatenated: the order of sounds matters, "on" is not "no"), and a linear classifier
(softmax regression, features standardised) is trained on the train speakers' clips and
scored on the test speakers' (never seen in pre-training, either). MFCCs pooled the same
way give the floor a learned representation should beat. It also reports the pre-training's
dev masked-prediction accuracy against always guessing the most frequent cluster.

Writes ``probe.png``, ``RESULTS.md`` and ``probe.json`` to ``--out`` (default
docs/results/ssl_probe/).

  tools/venv/bin/python docs/ssl_probe.py --corpus mini_corpus
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aecomp.corpora import mini  # noqa: E402
from aecomp.corpora.speech_commands import SpeechCommands  # noqa: E402
from aecomp.data.datadir import DataDir  # noqa: E402
from aecomp.downstream.hubert_pretrain import HubertPretrain, mfcc_features, save_reproducibly  # noqa: E402
from aecomp.losses.ssl import load_upstream  # noqa: E402

log = logging.getLogger("ssl_probe")
CHUNKS = 4


def pooled(frames: torch.Tensor) -> torch.Tensor:
    """``[N, D] -> [CHUNKS * D]``: the mean of each of CHUNKS equal stretches of frames."""
    return torch.cat([c.mean(0) for c in torch.tensor_split(frames, CHUNKS)])


@torch.no_grad()
def features(data: DataDir, upstream=None):
    """``(per hidden state: [U, CHUNKS * D], labels [U])`` of every clip of ``data`` (MFCCs without upstream)."""
    layers, labels = None, []
    text = data.get("text")
    for utt in data.utts:
        wav = torch.from_numpy(data.audio(utt, 16000))[None]
        if upstream is None:
            hs = [mfcc_features(wav)]
        else:
            hs, _ = upstream(wav, torch.tensor([wav.shape[1]]))
        vecs = [pooled(h[0]) for h in hs]
        layers = [[] for _ in vecs] if layers is None else layers
        for store, v in zip(layers, vecs):
            store.append(v)
        labels.append(text[utt])
    classes = sorted(set(labels))
    return [torch.stack(v) for v in layers], torch.tensor([classes.index(t) for t in labels]), classes


def probe(x_train, y_train, x_test, y_test, n_classes: int, seed: int = 0, steps: int = 500) -> float:
    """Test accuracy of softmax regression (standardised inputs, weight decay) trained on the train vectors."""
    mean, std = x_train.mean(0), x_train.std(0).clamp(min=1e-5)
    xtr, xte = (x_train - mean) / std, (x_test - mean) / std
    torch.manual_seed(seed)
    layer = torch.nn.Linear(xtr.shape[1], n_classes)
    opt = torch.optim.Adam(layer.parameters(), lr=0.01, weight_decay=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(layer(xtr), y_train).backward()
        opt.step()
    return float((layer(xte).argmax(-1) == y_test).float().mean())


def random_hubert(codebook: Path, path: Path) -> Path:
    """The tiny HuBERT as initialised (the pre-training's seed), in s3prl's format: the untrained control."""
    torch.manual_seed(0)
    save_reproducibly(HubertPretrain(codebook=str(codebook)).s3prl_state() | {"pretrained": False}, path)
    return path


def masked_baseline(codebook: Path, dev: DataDir) -> float:
    """Share of the dev frames in their most frequent cluster: what always guessing it scores."""
    ds = HubertPretrain(codebook=str(codebook))
    counts = Counter()
    for utt in dev.utts:
        wav = torch.from_numpy(dev.audio(utt, 16000))[None]
        counts.update(ds.targets(wav, torch.tensor([wav.shape[1]]))[0].tolist())
    return max(counts.values()) / sum(counts.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT / "mini_corpus",
                        help="a built mini corpus (its speech_commands and upstream parts)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "ssl_probe")
    parser.add_argument("--codebook", type=Path, default=None,
                        help="the pre-training's codebook (default: CORPUS/upstream/pretrain/codebook.pt)")
    parser.add_argument("--plot_only", action="store_true", help="redraw probe.png from OUT/probe.json")
    args = parser.parse_args()
    if args.plot_only:
        done = json.loads((args.out / "probe.json").read_text())
        _plot(done["probe_test_acc"], done["masked_prediction"], args.out / "probe.png")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    t0 = time.time()
    up = args.corpus / "upstream"
    codebook = args.codebook or up / "pretrain" / "codebook.pt"
    with tempfile.TemporaryDirectory() as tmp:
        SpeechCommands(task="35", words=mini.WORDS).prepare(args.corpus / "speech_commands", Path(tmp) / "data")
        sets = {s: DataDir.load(Path(tmp) / "data" / s) for s in ("train", "dev", "test")}
        upstreams = {"tiny HuBERT, pre-trained": ("hubert_local", up / "tiny_hubert.pt"),
                     "tiny HuBERT, untrained": ("hubert_local", random_hubert(codebook, Path(tmp) / "random_hubert.pt")),
                     "tiny WavLM, random (cascade_ssl_random)": ("wavlm_local", up / "tiny_wavlm.pt")}
        results = {}
        xtr, ytr, classes = features(sets["train"])
        xte, yte, _ = features(sets["test"])
        results["MFCC (no upstream)"] = [probe(xtr[0], ytr, xte[0], yte, len(classes))]
        for name, (kind, ckpt) in upstreams.items():
            model = load_upstream(kind, str(ckpt))
            xtr, ytr, _ = features(sets["train"], model)
            xte, yte, _ = features(sets["test"], model)
            results[name] = [probe(a, ytr, b, yte, len(classes)) for a, b in zip(xtr, xte)]
            log.info("%s: %s", name, results[name])
        majority = masked_baseline(codebook, sets["dev"])
    history = json.loads((up / "pretrain" / "history.json").read_text())
    best = json.loads((up / "pretrain" / "best.json").read_text())
    masked = {"dev_masked_acc_best": best["valid"]["masked_acc"], "best_epoch": best["epoch"],
              "dev_masked_acc_per_epoch": [h["valid"]["masked_acc"] for h in history],
              "majority_cluster_share": majority, "n_clusters": int(torch.load(codebook)["centroids"].shape[0]),
              "pretrain_train_seconds": round(sum(h["train_seconds"] for h in history), 1),
              "pretrain_epoch_seconds": round(sum(h["seconds"] for h in history), 1)}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "probe.json").write_text(json.dumps({"probe_test_acc": results, "masked_prediction": masked,
                                                     "train_clips": len(ytr), "test_clips": len(yte),
                                                     "commit": commit}, indent=1))
    _plot(results, masked, args.out / "probe.png")
    _table(results, masked, args, commit, len(ytr), len(yte), time.time() - t0)
    log.info("wrote %s", args.out)
    return 0


def _plot(results, masked, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [2, 1.2]})
    names = [n for n in results if len(results[n]) > 1]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = np.arange(len(results[name])) + (i - (len(names) - 1) / 2) * width
        ax.bar(xs, results[name], width, label=name)
    ax.axhline(results["MFCC (no upstream)"][0], color="k", ls="--", lw=1, label="MFCC (no upstream)")
    ax.axhline(0.1, color="gray", ls=":", lw=1, label="chance (10 words)")
    ax.set_xticks(range(3), ["0 (CNN)", "1", "2"])
    ax.set_xlabel("hidden state")
    ax.set_ylabel("linear-probe word accuracy (test speakers)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3)
    ax.set_title("Linear probe of each layer: 10 words, mini Speech Commands")
    epochs = range(1, len(masked["dev_masked_acc_per_epoch"]) + 1)
    ax2.plot(epochs, masked["dev_masked_acc_per_epoch"], marker="o", label="pre-trained tiny HuBERT")
    ax2.axhline(masked["majority_cluster_share"], color="gray", ls=":", label="most frequent cluster")
    ax2.axhline(1 / masked["n_clusters"], color="k", ls="--", lw=1, label=f"1 / {masked['n_clusters']} clusters")
    ax2.set_xticks(list(epochs))
    ax2.set_xlabel("pre-training epoch")
    ax2.set_ylabel("dev masked-prediction accuracy")
    ax2.set_ylim(0, 1)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17))
    ax2.set_title("Masked prediction (dev speakers)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _table(results, masked, args, commit, n_train, n_test, seconds) -> None:
    cmd = "tools/venv/bin/python docs/ssl_probe.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    lines = ["# Linear probes of the tiny SSL upstreams (mini corpus)", "",
             f"Made by `{cmd}` at commit {commit} in {seconds:.0f} s (2-core machine shared with other jobs).",
             f"Softmax regression on {n_train} clips of the train speakers, accuracy on {n_test} clips of the test "
             "speakers; each clip's frames averaged over 4 stretches of time. Chance: 0.100.", "",
             "| upstream | hidden state 0 (CNN) | 1 | 2 |", "|---|---:|---:|---:|"]
    for name, accs in results.items():
        cells = [f"{a:.3f}" for a in accs] + ["–"] * (3 - len(accs))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Pre-training (the mini corpus's `upstream` part; `upstream/pretrain/history.json`): "
              f"{len(masked['dev_masked_acc_per_epoch'])} epochs, {masked['pretrain_train_seconds']:.0f} s of "
              f"training steps ({masked['pretrain_epoch_seconds']:.0f} s with validation; measured beside other jobs), "
              f"dev masked-prediction accuracy {masked['dev_masked_acc_best']:.3f} (epoch {masked['best_epoch']}) "
              f"against {masked['majority_cluster_share']:.3f} for always guessing the most frequent of the "
              f"{masked['n_clusters']} clusters (1/{masked['n_clusters']} = {1 / masked['n_clusters']:.3f}).", "",
              "![probe](probe.png)", ""]
    (args.out / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
