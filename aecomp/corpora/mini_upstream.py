"""The mini corpus's ``upstream`` part: the SSL upstreams of the mini recipes, in s3prl's checkpoint format.

- ``tiny_hubert.pt``: a tiny HuBERT pre-trained here (``hubert_local``), by masked prediction of
  MFCC k-means targets on the training speech of the mini Speech Commands part (built first
  if missing: the same speakers every recipe's training split has; never dev or test
  speech), through the one trainer (:func:`aecomp.losses.tiny_upstream.pretrain_tiny_hubert`);
- ``tiny_wavlm.pt``: a tiny, randomly initialised WavLM (``wavlm_local``), the baseline;
- ``pretrain/``: how the pre-training went (``history.json`` per epoch with its time and the dev
  masked-prediction accuracy, ``best.json``, ``train.log``, ``config.yaml``, the targets' ``codebook.pt``).

The checkpoints are the same bytes for the same size and seed (on CPU, with the same number of
torch threads); the logs under ``pretrain/`` hold times, which differ between builds.

The pre-training works in ``<corpus>/.upstream_pretrain-<size>-<seed>/`` (kept until the part is
done), so an interrupted build resumes its training where it stopped.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

#: k-means clusters (targets) of the pre-training, per mini corpus size
N_CLUSTERS = {"default": 50, "debug": 20}


def build_upstream(out: Path, size_name: str, seed: int, nj: int) -> None:
    """Write the part into ``out`` (a temporary folder beside the part's final one, in the corpus root)."""
    from aecomp.corpora import mini
    from aecomp.corpora.speech_commands import SpeechCommands
    from aecomp.fs import atomic_write_text
    from aecomp.losses.tiny_upstream import DEBUG_OVERRIDES, build_tiny_wavlm, pretrain_tiny_hubert

    out = Path(out)
    root = out.parent
    build_tiny_wavlm(out / "tiny_wavlm.pt", seed=seed)
    log.info("mini corpus: wrote a tiny WavLM upstream (random init) to %s", out / "tiny_wavlm.pt")
    mini.build(root, parts=("speech_commands",), size=size_name, seed=seed, nj=nj)
    work = root / f".upstream_pretrain-{size_name}-{seed}"
    data = work / "data"
    if not (data / ".done").is_file():
        SpeechCommands(task="35", words=mini.WORDS).prepare(root / "speech_commands", data)
        atomic_write_text(data / ".done", "speech_commands\n")
    log.info("mini corpus: pre-training the tiny HuBERT on %s (work folder %s)", data / "train", work)
    pretrain_tiny_hubert(data / "train", data / "dev", work, out / "tiny_hubert.pt",
                         overrides=DEBUG_OVERRIDES if size_name == "debug" else (),
                         n_clusters=N_CLUSTERS[size_name], seed=seed + 1)
    (out / "pretrain").mkdir()
    for name in ("history.json", "best.json", "train.log", "config.yaml"):
        shutil.copyfile(work / "iter1" / "model" / name, out / "pretrain" / name)
    shutil.copyfile(work / "iter1" / "codebook.pt", out / "pretrain" / "codebook.pt")
    shutil.rmtree(work)
    log.info("mini corpus: wrote the pre-trained tiny HuBERT upstream to %s", out / "tiny_hubert.pt")
