"""Scoring a trained system on evaluation sets."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch

from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, collate
from aecomp.data.evalsets import read_meta
from aecomp.data.sampler import BucketBatchSampler
from aecomp.errors import AecompError
from aecomp.examples import ExampleKeeper, chosen
from aecomp.fs import atomic_write_text
from aecomp.metrics.input_cache import InputMetricsCache
from aecomp.metrics.signal import batch_signal_values, signal_counts, summarize_signal
from aecomp.train.checkpoint import CheckpointError
from aecomp.train.system import load_paradigm
from aecomp.train.trainer import epoch_weights

log = logging.getLogger(__name__)


class EvaluationError(AecompError):
    """An evaluation that cannot run as asked (the message says why and what to do)."""


def evaluate_sets(model_dir: str | Path, data_dirs: Sequence[str | Path], out_dir: str | Path,
                  batch_size: int = 32, device: str = "cpu", epoch: Optional[int] = None,
                  pesq_stoi: bool = True, keep_examples: int = 0, example_sets: Sequence[str] = ("*",),
                  pesq_stoi_sets: Sequence[str] = ()) -> Dict[str, dict]:
    """Score the system of ``model_dir`` on every data directory; returns set name -> metrics.

    ``pesq_stoi``: add PESQ and STOI to the signal metrics (tens of ms per second of audio on a CPU);
    ``pesq_stoi_sets``: shell patterns of the set names that get them even without ``pesq_stoi``.

    ``keep_examples``: keep the first N utterances of the sets whose names match ``example_sets`` (shell
    patterns) as clips and spectrograms in ``<set>/examples/`` (:mod:`aecomp.examples`).

    ``epoch``: score the weights kept after that epoch (``trainer.keep_epochs``) instead of ``model.pt``.
    """
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    weights = model_dir / "model.pt" if epoch is None else kept_epoch(model_dir, epoch)
    paradigm, cfg = load_paradigm(model_dir, device, weights)
    data_dirs = _sets_of_system(cfg, model_dir, [Path(d) for d in data_dirs])
    stamp = weights.stat().st_mtime
    checkpoint = "model.pt" if epoch is None else f"epoch{epoch}"
    scored = model_dir if epoch is None else f"{model_dir} ({checkpoint})"  # in log lines
    results = {}
    for d in data_dirs:
        d = Path(d)
        dest = out_dir / d.name / "metrics.json"
        examples = keep_examples if chosen(d.name, example_sets) else 0
        extended = pesq_stoi or chosen(d.name, pesq_stoi_sets)
        if dest.is_file():
            old = json.loads(dest.read_text())
            if old.get("model_mtime") == stamp and old.get("checkpoint", "model.pt") == checkpoint \
                    and old.get("pesq_stoi", True) >= extended and old.get("examples", 0) >= examples:
                log.info("%s already scored on %s; kept", scored, d)
                results[d.name] = old
                continue
        results[d.name] = evaluate_set(paradigm, cfg, d, dest.parent, batch_size, device, extended, examples)
        results[d.name].update(model_mtime=stamp, model_dir=str(model_dir), checkpoint=checkpoint,
                               pesq_stoi=extended, **({"examples": examples} if examples else {}))
        atomic_write_text(dest, json.dumps(results[d.name], indent=1))
        log.info("%s on %s: %s=%.4f -> %s", scored, d.name, paradigm.metric, results[d.name][paradigm.metric], dest)
    return results


def _sets_of_system(cfg, model_dir: Path, data_dirs: List[Path]) -> List[Path]:
    """The sets of ``data_dirs`` that the system's ``evaluation.sets`` patterns choose; the others are
    named in the log. An error when the patterns choose none of them."""
    patterns = cfg.evaluation.sets
    kept = [d for d in data_dirs if chosen(d.name, patterns)]
    left = [d.name for d in data_dirs if d not in kept]
    if data_dirs and not kept:
        raise EvaluationError(f"{model_dir}/config.yaml: evaluation.sets {patterns} chooses none of the "
                              f"{len(data_dirs)} set(s) given ({', '.join(d.name for d in data_dirs)}); "
                              "give other sets, or other patterns in the system's training config")
    if left:
        log.info("%s: %d of %d set(s) not scored, outside its evaluation.sets %s: %s", model_dir, len(left),
                 len(data_dirs), patterns, ", ".join(left))
    return kept


def kept_epoch(model_dir: Path, epoch: int) -> Path:
    """The weights kept after ``epoch`` epochs of ``model_dir``; a clear error naming the kept ones if absent."""
    path = epoch_weights(model_dir, epoch)
    if not path.is_file():
        numbers = (p.stem.removeprefix("epoch") for p in path.parent.glob("epoch*.pt"))
        kept = sorted(int(n) for n in numbers if n.isdigit())
        raise CheckpointError(f"{path} does not exist: the weights after epoch {epoch} were not kept "
                              f"(kept: {', '.join(map(str, kept)) or 'none'}). Keep them with "
                              f"trainer.keep_epochs=[{epoch}] in the config and train again")
    return path


#: what metrics.json copies from an evaluation set's meta.json
META_KEYS = ("condition", "family", "level", "unit")


@torch.no_grad()
def evaluate_set(paradigm, cfg, data_path: Path, out_dir: Path, batch_size: int, device: str,
                 pesq_stoi: bool = True, examples: int = 0) -> dict:
    """Metrics of ``paradigm`` on one data directory, from :meth:`Paradigm.infer` alone; writes ``hyp.txt``
    (and the downstream's report) into ``out_dir``. The declared metrics (``paradigm.metrics``) come
    first; signal metrics (with PESQ and STOI unless ``pesq_stoi`` is False) when the set has references
    (``spk1.scp``), each utterance's in ``signal_per_utt.tsv`` (``utt`` and one column per metric).
    ``examples`` > 0: the first that many utterances (sorted ids) are kept in ``out_dir/examples/`` (:class:`aecomp.examples.ExampleKeeper`)."""
    data = DataDir.load(data_path)
    ds = paradigm.downstream
    texts = data.get("text")
    unseen = ds.unknown_references(list(texts.values()))
    if unseen:
        n = sum(t.strip() in unseen for t in texts.values())
        log.warning("%s: %d utterance(s) have label(s) never seen in training (%s); they count as errors",
                    data_path, n, ", ".join(unseen[:5]))
    dataset = AudioDataset(data, cfg.data.sample_rate)
    sampler = BucketBatchSampler(dataset.durations, batch_size, shuffle=False)
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
    counts: Dict[str, float] = {}
    hyps: Dict[str, str] = {}
    per_utt: Dict[str, Dict[str, float]] = {}  # the signal metrics of each scored utterance
    decoded = False
    meta = read_meta(data_path)
    inputs = InputMetricsCache(data_path) if dataset.paired else None  # the same for every system
    keeper = ExampleKeeper(sorted(dataset.utts)[:examples], cfg.data.sample_rate,
                           {"set": data_path.name, "data": str(data_path), **{k: meta[k] for k in META_KEYS if k in meta}})

    def add(new: Dict[str, float]) -> None:
        for k, v in new.items():
            counts[k] = counts.get(k, 0.0) + v

    for batch in loader:
        batch = batch.to(device)
        out = paradigm.infer(batch)
        if out.hyps is not None:
            decoded = True
            hyps.update(zip(batch.uttids, out.hyps))
            add(ds.score(out.hyps, batch.texts))
        if dataset.paired and out.estimate is not None:
            values, keep = batch_signal_values(batch, out.estimate, extended=pesq_stoi, sample_rate=cfg.data.sample_rate,
                                               inputs_of=inputs)
            add(signal_counts(values, keep))
            for i in keep.nonzero().flatten().tolist():
                per_utt[batch.uttids[i]] = {k: float(v[i]) for k, v in values.items()}
        if examples:
            keeper.add(batch, out.estimate, out.hyps)
    if inputs is not None:
        inputs.save()
    values = {**ds.summarize(counts), **summarize_signal(counts)}
    if dataset.paired:
        left_out = len(dataset) - counts.get("signal_n", 0.0)
        if left_out:
            log.warning("%s: %d of %d utterance(s) have an input equal to their reference: left out of the "
                        "signal metrics", data_path, left_out, len(dataset))
        for name in ("pesq", "stoi"):
            failed = counts.get("signal_n", 0.0) - counts.get(f"{name}_n", 0.0)
            if failed and f"{name}_n" in counts:  # absent: not asked for (pesq_stoi false)
                log.warning("%s: %s could not be computed for %d utterance(s) (silent reference or too little "
                            "speech): left out of its mean", data_path, name.upper(), failed)
    result = {"set": data_path.name, **{k: meta[k] for k in META_KEYS if k in meta},
              "metrics": [m._asdict() for m in paradigm.metrics], "metric": paradigm.metric,
              "metric_mode": paradigm.metric_mode}
    for m in paradigm.metrics:
        if m.name not in values:
            log.warning("%s: metric '%s' cannot be computed on this set (%s); written as NaN", data_path, m.name,
                        "no references" if not dataset.paired else "no value")
        result[m.name] = values.get(m.name, float("nan"))
    result.update({k: v for k, v in values.items() if k not in result}, counts=counts)
    out_dir.mkdir(parents=True, exist_ok=True)
    if decoded:
        atomic_write_text(out_dir / "hyp.txt", "".join(f"{u} {hyps[u]}\n" for u in sorted(hyps)))
        ds.write_report(hyps, {u: texts[u] for u in hyps}, out_dir)
    if per_utt:
        names = list(next(iter(per_utt.values())))
        atomic_write_text(out_dir / "signal_per_utt.tsv", "\t".join(["utt", *names]) + "\n" + "".join(
            "\t".join([u, *(f"{per_utt[u][k]:.4f}" for k in names)]) + "\n" for u in sorted(per_utt)))
    if examples:
        log.info("%s: %d example(s) kept -> %s", data_path, len(keeper.kept), keeper.write(out_dir / "examples"))
    elif (out_dir / "examples").is_dir():  # kept from an earlier model: they would be shown as this one's
        shutil.rmtree(out_dir / "examples")
    return result
