"""The same espnet2 separator trained by ESPnet's trainer and by the aecomp trainer.

Data: mini-corpus keyword clips mixed with training noise at 0 dB, written to disk once
(noisy ``wav.scp``, clean ``spk1.scp``), for training and validation. Model: a small
Conv-TasNet (espnet2 ``conv`` encoder/decoder, ``tcn`` separator), SI-SNR loss, Adam
(lr 1e-3), gradient clipping at 5, batches of 16 read from disk, the same number of epochs.

- ESPnet: ``python -m espnet2.bin.enh_train`` (shape files written here, no collect-stats run);
- aecomp: ``aecomp train`` with front-end ``espnet_enh`` (the same espnet2 modules), downstream
  ``none``, paradigm ``cascade`` with only its enhancement phase.

Both sides use seed 0 and run ``--repeats`` times, alternating (ESPnet, aecomp, ESPnet, ...), so
that a change in machine load hits both; each figure is the median over the repeats, with the
spread (min-max). Two times of each run:

- training-epoch time: each trainer's own timing of its training loops, validation left out
  (ESPnet: the ``time=`` of the ``[train]`` part of its "epoch results" lines in train.log;
  aecomp: ``train_seconds`` in history.json), summed over the epochs;
- wall time of the whole process (imports, data reading, validation, checkpoints included).

The final models of every run are loaded into the same module and scored with the same SI-SNR
code on the validation pairs.

``--task sep``: two-talker separation instead, on the mini corpus's WHAM! part (8 kHz noisy
mixtures of two speakers, the first ``--utts`` training mixtures and the dev set), the same
Conv-TasNet with two outputs, PIT SI-SNR on both sides (ESPnet's ``pit`` loss wrapper, aecomp's
``separation`` paradigm), scored as SI-SNRi over the two speakers (PIT-paired).

The figures at the end: each side's median training time per epoch and final validation score
(SI-SNR, or SI-SNRi for ``sep``), then the ESPnet/aecomp ratios of the medians (>= 1: aecomp at
least as fast), training epochs then wall time. Default size: 240 training
pairs x 2 epochs (about 3 minutes for 3 repeats on 2 cores).

    tools/venv/bin/python bench/vs_espnet.py [--utts 240] [--epochs 2] [--repeats 3] [--task enh|sep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

from aecomp.data.datadir import DataDir
from aecomp.data.evalsets import make_evalsets, noise_grid
from common import VENV_BIN, mini_data, result

#: the environment of both trainers: 2 threads, and the same code as this script (PYTHONPATH, e.g. a worktree)
ENV = {"OMP_NUM_THREADS": "2", "PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}

MODEL = {
    "encoder": "conv", "encoder_conf": {"channel": 64, "kernel_size": 16, "stride": 8},
    "decoder": "conv", "decoder_conf": {"channel": 64, "kernel_size": 16, "stride": 8},
    "separator": "tcn",
    "separator_conf": {"num_spk": 1, "layer": 4, "stack": 1, "bottleneck_dim": 64, "hidden_dim": 128, "kernel": 3,
                       "causal": False, "norm_type": "gLN", "nonlinear": "relu"},
}


#: per task: references, sample rate, ESPnet's loss wrapper, aecomp's paradigm
TASKS = {
    "enh": {"refs": 1, "rate": 16000, "wrapper": "fixed_order",
            "paradigm": lambda e: {"name": "cascade", "conf": {"ae_epochs": e, "ca_epochs": 0, "signal_loss": "si_snr"}}},
    "sep": {"refs": 2, "rate": 8000, "wrapper": "pit",
            "paradigm": lambda e: {"name": "separation", "conf": {"n_spk": 2, "epochs": e, "signal_loss": "si_snr"}}},
}


def model(task: str) -> dict:
    sep = {**MODEL["separator_conf"], "num_spk": TASKS[task]["refs"]}
    return {**MODEL, "separator_conf": sep}


def sep_pairs(data: Path, split: str, n: int, out: Path) -> Path:
    """The first ``n`` mixtures of a mini WHAM! split with their two speakers (no noise reference)."""
    from aecomp.data.datadir import write_datadir

    d = DataDir.load(data / split)
    keep = set(d.utts[:n])
    return write_datadir(out / f"{split}_sep", {k: {u: v for u, v in t.items() if u in keep}
                                                for k, t in d.tables.items() if k not in ("spk2utt", "noise1.scp")})


def pairs(data: Path, split: str, noise: str, n: int, out: Path) -> Path:
    """``split`` (first ``n`` utterances) mixed with ``noise`` at 0 dB: a paired data dir."""
    from aecomp.data.datadir import write_datadir

    d = DataDir.load(data / split)
    keep = d.utts[:n]
    small = write_datadir(out / f"{split}_subset", {k: {u: v for u, v in t.items() if u in keep}
                                                    for k, t in d.tables.items() if k != "spk2utt"})
    make_evalsets(DataDir.load(small), noise_grid({"mix": data / noise}, [0.0], seed=7), out / split, 16000)
    return out / split / "mix_0dB"


def espnet_run(train: Path, valid: Path, out: Path, epochs: int, task: str = "enh") -> dict:
    spec = TASKS[task]
    conf = {**model(task), "criterions": [{"name": "si_snr", "conf": {"eps": 1.0e-7}, "wrapper": spec["wrapper"],
                                     "wrapper_conf": {"weight": 1.0}}],
            "optim": "adam", "optim_conf": {"lr": 0.001}, "max_epoch": epochs, "batch_type": "unsorted",
            "batch_size": 16, "grad_clip": 5.0, "num_workers": 0, "keep_nbest_models": 1, "seed": 0,
            "num_att_plot": 0}
    out.mkdir(parents=True)
    (out / "enh.yaml").write_text(yaml.safe_dump(conf))
    args = [sys.executable, "-m", "espnet2.bin.enh_train", "--config", str(out / "enh.yaml"), "--ngpu", "0",
            "--output_dir", str(out / "exp")]
    for tag, d in (("train", train), ("valid", valid)):
        shape = out / f"{tag}_shape"
        durs = DataDir.load(d).durations()
        shape.write_text("".join(f"{u} {int(round(s * spec['rate']))}\n" for u, s in sorted(durs.items())))
        args += [f"--{tag}_data_path_and_name_and_type", f"{d}/wav.scp,speech_mix,sound"]
        for k in range(1, spec["refs"] + 1):
            args += [f"--{tag}_data_path_and_name_and_type", f"{d}/spk{k}.scp,speech_ref{k},sound"]
        args += [f"--{tag}_shape_file", str(shape)]
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"espnet2.bin.enh_train failed:\n{proc.stderr[-3000:]}")
    log_file = out / "exp" / "train.log"  # written when launched through ESPnet's run scripts; else stderr
    log = log_file.read_text() if log_file.is_file() else proc.stderr
    epoch_times = espnet_train_seconds(log)
    if len(epoch_times) != epochs:
        raise RuntimeError(f"ESPnet's log: found the training time of {len(epoch_times)} epochs, expected {epochs}:"
                           f"\n{log[-2000:]}")
    state = torch.load(out / "exp" / f"{epochs}epoch.pth", map_location="cpu", weights_only=True)
    return {"wall": wall, "train": sum(epoch_times), "state": state}


def espnet_train_seconds(log: str) -> list:
    """Seconds of each epoch's training loop from an ESPnet train.log: the ``time=`` of the ``[train]``
    part of its "<N>epoch results: [train] ..., time=1 minute and 3.2 seconds, ..., [valid] ..." lines."""
    out = []
    for train_part in re.findall(r"\d+epoch results: \[train\] (.*?)(?:, \[valid\] |$)", log, re.M):
        found = re.search(r"(?:^|, )time=(.+?)(?=, \w+=|$)", train_part)
        if found:
            out.append(_seconds(found.group(1)))
    return out


def aecomp_run(train: Path, valid: Path, out: Path, epochs: int, task: str = "enh") -> dict:
    conf = {"frontend": {"name": "espnet_enh", "conf": model(task)}, "downstream": {"name": "none"},
            "paradigm": TASKS[task]["paradigm"](epochs),
            "data": {"batch_size": 16, "num_workers": 0, "preload": False, "sample_rate": TASKS[task]["rate"]},
            "optim": {"name": "adam", "conf": {"lr": 0.001}},
            "trainer": {"grad_clip": 5.0, "keep_nbest": 1, "seed": 0}}
    out.mkdir(parents=True)
    (out / "conf.yaml").write_text(yaml.safe_dump(conf))
    t0 = time.perf_counter()
    proc = subprocess.run([str(VENV_BIN / "aecomp"), "train", "--config", str(out / "conf.yaml"), "--train_data",
                           str(train), "--valid_data", str(valid), "--out_dir", str(out / "exp")],
                          capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"aecomp train failed:\n{proc.stderr[-3000:]}")
    history = json.loads((out / "exp" / "history.json").read_text())
    last = torch.load(out / "exp" / "checkpoints" / f"ep{epochs:03d}.pt", map_location="cpu", weights_only=True)
    state = {k[len("frontend."):]: v for k, v in last["model"].items() if k.startswith("frontend.")}
    return {"wall": wall, "train": sum(h["train_seconds"] for h in history), "state": state}


@torch.no_grad()
def valid_si_snr(state: dict, valid: Path, task: str = "enh") -> float:
    """Mean validation SI-SNR (``enh``), or SI-SNRi over the two PIT-paired speakers (``sep``)."""
    from aecomp import registry
    from aecomp.losses.signal import si_snr
    from aecomp.metrics.signal import signal_metrics

    fe = registry.build("frontend", {"name": "espnet_enh", "conf": model(task)})
    fe.load_state_dict({k: v for k, v in state.items() if not k.startswith("loss_wrappers")})
    fe.eval()
    d = DataDir.load(valid)
    total = 0.0
    rate = TASKS[task]["rate"]
    for u in d.utts:
        noisy = torch.from_numpy(d.audio(u, rate))[None]
        n = torch.tensor([noisy.shape[1]])
        if task == "sep":
            refs = torch.stack([torch.from_numpy(d.audio(u, rate, f"spk{k}.scp")) for k in (1, 2)])[None]
            total += float(signal_metrics(fe(noisy, n), refs, noisy, n, sample_rate=rate)["si_snri"])
        else:
            clean = torch.from_numpy(d.audio(u, rate, "spk1.scp"))[None]
            total += float(si_snr(fe(noisy, n), clean, n))
    return total / len(d.utts)


def _seconds(text: str) -> float:
    """Seconds of a humanfriendly time span ("1 hour, 2 minutes and 3.5 seconds")."""
    total = 0.0
    for value, unit in re.findall(r"([0-9.]+) (hour|minute|second)", text):
        total += float(value) * {"hour": 3600, "minute": 60, "second": 1}[unit]
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utts", type=int, default=240)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--task", choices=sorted(TASKS), default="enh",
                        help="enh: one speaker in noise (16 kHz); sep: two speakers in noise (mini WHAM!, 8 kHz)")
    args = parser.parse_args()
    runs = {"ESPnet enh_train": [], "aecomp train": []}
    with tempfile.TemporaryDirectory(prefix="aecomp-bench-") as tmp:
        tmp = Path(tmp)
        if args.task == "sep":
            data = mini_data(tmp, size="default", task="wham")
            train, valid = sep_pairs(data, "train", args.utts, tmp / "pairs"), sep_pairs(data, "dev", 100, tmp / "pairs")
        else:
            data = mini_data(tmp, size="default")
            train = pairs(data, "train", "noise_train", args.utts, tmp / "pairs")
            valid = pairs(data, "dev", "noise_train", 120, tmp / "pairs")
        for r in range(args.repeats):  # alternating, so that load changes hit both sides
            for (name, side), run in zip(runs.items(), (espnet_run, aecomp_run)):
                done = run(train, valid, tmp / f"{name.split()[0]}{r}", args.epochs, args.task)
                done["si_snr"] = valid_si_snr(done.pop("state"), valid, args.task)
                side.append(done)
    what = "SI-SNRi over 2 speakers" if args.task == "sep" else "SI-SNR"
    print(f"task {args.task}: {args.utts} training pairs x {args.epochs} epochs, batches of 16, seed 0, {args.repeats} alternating "
          "runs per side; median (min-max):")
    med = {}
    for name, side in runs.items():
        med[name] = {k: statistics.median(r[k] for r in side) for k in ("train", "wall", "si_snr")}
        print(f"  {name}: training epochs {_spread(side, 'train')} s, whole process {_spread(side, 'wall')} s, "
              f"final valid {what} {_spread(side, 'si_snr', 2)} dB")
    esp, ours = med["ESPnet enh_train"], med["aecomp train"]
    prefix = "sep_" if args.task == "sep" else ""
    for side, m in (("espnet", esp), ("aecomp", ours)):  # the medians themselves, then the ratios
        result(f"{prefix}{side}_seconds_per_epoch", m["train"] / args.epochs, "{:.1f}")
        result(f"{prefix}{side}_final_valid_si_snr_db", m["si_snr"], "{:.2f}")
    result(f"{prefix}espnet_over_aecomp_epoch_time", esp["train"] / ours["train"])
    result(f"{prefix}espnet_over_aecomp_wall_time", esp["wall"] / ours["wall"])


def _spread(runs: list, key: str, digits: int = 1) -> str:
    values = [r[key] for r in runs]
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


if __name__ == "__main__":
    main()
