"""Paradigm cost: time per epoch of `iterative` over `joint`, same data, same front-end and recogniser.

Both start from the same modules and train 2 epochs on the mini Speech Commands training set
(iterative: one AE phase and one CA phase, so the figure averages its two kinds of epoch).
Target ratio < 1.3.

    tools/venv/bin/python bench/paradigm_cost.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aecomp.config import config_from_dict
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, NoiseBank
from aecomp.train.system import build_paradigm, prepare_vocabulary
from aecomp.train.trainer import Trainer, seed_everything
from common import mini_data, result

BASE = {
    "frontend": {"name": "unet", "conf": {"channels": [4, 8, 24, 48]}},
    "downstream": {"name": "kws_cnn"},
    "data": {"batch_size": 32, "num_workers": 0, "preload": True},
    "trainer": {"keep_nbest": 1},
}
PARADIGMS = {
    "joint": {"name": "joint", "conf": {"ae_epochs": 0, "joint_epochs": 2}},
    "iterative": {"name": "iterative", "conf": {"ae_epochs": 0, "ca_epochs": 0, "rounds": 1}},
}


def epoch_seconds(data: Path, paradigm: dict, out: Path) -> float:
    cfg = config_from_dict({**BASE, "paradigm": paradigm})
    train, dev = DataDir.load(data / "train"), DataDir.load(data / "dev")
    vocab = prepare_vocabulary(cfg, list(train.get("text").values()), out)
    seed_everything(0)
    paradigm = build_paradigm(cfg, vocab)
    bank = NoiseBank(DataDir.load(data / "noise_train"), 16000)
    t = Trainer(paradigm, cfg, out, AudioDataset(train, 16000, paradigm.downstream.encode_target, bank, preload=True),
                AudioDataset(dev, 16000, paradigm.downstream.encode_target, bank, fixed=True, preload=True))
    t.fit()
    return sum(h["seconds"] for h in t.state.history) / len(t.state.history)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="aecomp-bench-") as tmp:
        data = mini_data(Path(tmp), size="default")
        secs = {name: epoch_seconds(data, spec, Path(tmp) / name) for name, spec in PARADIGMS.items()}
    print(f"seconds per epoch: joint {secs['joint']:.1f}, iterative {secs['iterative']:.1f} (target ratio < 1.3)")
    result("iterative_over_joint_epoch_time", secs["iterative"] / secs["joint"])


if __name__ == "__main__":
    main()
