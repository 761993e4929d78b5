"""Datasets of (noisy, clean, target) examples, corrupted on the fly (noise, codecs, ...) with seeded draws."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from aecomp.audio.io import resample
from aecomp.corruptions.noise import NoiseBank
from aecomp.corruptions.training import TrainingCorruptions
from aecomp.data.datadir import DataDir
from aecomp.errors import AecompError

log = logging.getLogger(__name__)


class DatasetError(AecompError, ValueError):
    """An example cannot be made; the message names the utterance."""


class AudioDataset(torch.utils.data.Dataset):
    """The utterances of a data directory as dicts ``{uttid, noisy [T], clean [T], noise [T] or None, target, snr,
    text, key}``, plus ``sources [S, T]`` (every speaker) for a paired set of several speakers.

    Where the noisy input comes from:

    - the directory has ``spk1.scp`` (a paired set: an evaluation set, a
      separation corpus): ``wav.scp`` is the noisy input, ``spk1.scp``,
      ``spk2.scp``, ... the speech references and ``noise1.scp`` (optional)
      the noise as added; every reference has the mixture's length;
    - ``corruptions`` are given (:class:`~aecomp.corruptions.training.TrainingCorruptions`): each
      example is clean or corrupted by one of them, drawn on the fly; or, without them, a ``noise``
      bank is given: noise is mixed on the fly at an SNR drawn uniformly from ``snr_range`` (a
      fraction ``p_clean`` stays clean). ``noise`` is the additive noise as added (None when the
      example is clean or the corruption is not additive), ``snr`` the SNR drawn (inf: none). The
      random choices depend only on ``(seed, epoch, index)``, so an epoch is
      reproducible whatever the worker count, and with ``fixed`` only on
      ``(seed, index)`` (the same validation set every epoch);
    - otherwise the input is the clean speech.

    ``speed_perturb`` (factors such as ``[0.9, 1.0, 1.1]``): each example is first played at a factor
    drawn uniformly from the list, as Kaldi's and ESPnet's speed perturbation (resampling: tempo and
    pitch change together), drawn like the noise from ``(seed, epoch, index)``; the input and every
    reference alike; the key then names the factor (``utt~sp0.9``).

    ``encode_target`` maps a ``text`` value to target ids (None: no targets).
    Utterances longer than ``max_seconds`` (if > 0) are cropped to a random
    ``max_seconds`` segment, drawn like the noise from ``(seed, epoch, index)``;
    input and clean reference are cut at the same place, the target is kept
    whole. ``durations`` are the cropped ones (for batching); how many
    utterances are cropped is logged.
    """

    def __init__(self, data: DataDir, sample_rate: int, encode_target: Optional[Callable[[str], List[int]]] = None,
                 noise: Optional[NoiseBank] = None, snr_range: Sequence[float] = (-5.0, 20.0),
                 p_clean: float = 0.0, seed: int = 0, fixed: bool = False, preload: bool = False,
                 max_seconds: float = 0.0, corruptions: Optional[TrainingCorruptions] = None,
                 speed_perturb: Sequence[float] = ()):
        self.speed_perturb = check_speed_factors(speed_perturb)
        self.data, self.sample_rate, self.noise, self.corruptions = data, sample_rate, noise, corruptions
        self.snr_range, self.p_clean, self.seed, self.fixed = tuple(snr_range), p_clean, seed, fixed
        self.paired = data.has("spk1.scp")
        self.speech_tables = speech_tables(data)
        durations = data.durations()
        self.utts = data.utts
        self.max_samples = int(round(max_seconds * sample_rate)) if max_seconds > 0 else 0
        self.durations = [durations[u] for u in self.utts]
        if max_seconds > 0:
            n_long = sum(d > max_seconds for d in self.durations)
            if n_long:
                log.info("%s: %d of %d utterances are longer than %g s: each is cropped to a random %g s "
                         "segment (data.max_seconds)", data.path, n_long, len(self.utts), max_seconds, max_seconds)
            self.durations = [min(d, max_seconds) for d in self.durations]
        self.targets: Dict[str, List[int]] = {}
        self.text = data.get("text")
        if encode_target is not None:
            text = self.text
            for u in self.utts:
                if u not in text:
                    raise DatasetError(f"{data.path}/text has no entry for '{u}'")
                try:
                    self.targets[u] = encode_target(text[u])
                except AecompError as exc:
                    raise type(exc)(f"{data.path}/text ({u}): {exc}") from None
        if noise is not None and not self.paired and self.durations:
            longest = max(self.durations)
            short = [n for n, d in noise.data.durations().items() if d < longest]
            if short:
                log.warning("%s: %d of %d noise recordings are shorter than the longest utterance (%.1f s); "
                            "they are looped from a random offset where needed", noise.data.path, len(short),
                            len(noise), longest)
        self.epoch = 0
        self._preloaded: Optional[Dict[str, np.ndarray]] = None
        if preload:
            self._preloaded = {u: self._read(u, "wav.scp") for u in self.utts}

    @property
    def sampler(self) -> Optional[TrainingCorruptions]:
        """What corrupts an example: ``corruptions``, else the shorthand of ``noise`` (read at every item,
        so changing ``snr_range`` or ``p_clean`` takes effect), else None (clean input)."""
        if self.corruptions is not None:
            return self.corruptions
        return None if self.noise is None else TrainingCorruptions.shorthand(self.noise, self.snr_range, self.p_clean)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.utts)

    def _read(self, utt: str, table: str) -> np.ndarray:
        if table == "wav.scp" and self._preloaded is not None:
            return self._preloaded[utt]
        return self.data.audio(utt, self.sample_rate, table)

    def rng(self, index: int) -> np.random.Generator:
        key = [self.seed, index] if self.fixed else [self.seed, self.epoch, index]
        return np.random.default_rng(key)

    def speed_factor(self, index: int) -> float:
        """The speed factor of example ``index`` this epoch (1.0 without ``speed_perturb``); its own generator,
        so the other draws are those of an unperturbed run."""
        if not self.speed_perturb:
            return 1.0
        key = [self.seed, index, 1] if self.fixed else [self.seed, self.epoch, index, 1]
        return float(self.speed_perturb[int(np.random.default_rng(key).integers(len(self.speed_perturb)))])

    def _perturb(self, wav: np.ndarray, factor: float) -> np.ndarray:
        """``wav`` played ``factor`` times faster (read as if recorded at ``factor`` times the rate)."""
        if factor == 1.0:
            return wav
        return resample(wav, int(round(self.sample_rate * factor)), self.sample_rate)

    def __getitem__(self, index: int) -> dict:
        utt = self.utts[index]
        wav = self._read(utt, "wav.scp")
        raw_length, factor = len(wav), self.speed_factor(index)
        wav = self._perturb(wav, factor)
        snr, noise = float("inf"), None
        key = utt if factor == 1.0 else f"{utt}~sp{factor:g}"  # names the clean reference's content (for caches)
        rng = self.rng(index)
        crop = slice(None)
        if self.max_samples and len(wav) > self.max_samples:
            start = int(rng.integers(len(wav) - self.max_samples + 1))
            crop, key = slice(start, start + self.max_samples), f"{utt}@{start}"
        sampler = self.sampler
        sources = None
        if self.paired:
            speech = [self._perturb(self._reference(utt, table, raw_length), factor)[crop]
                      for table in self.speech_tables]
            if self.data.has("noise1.scp"):
                noise = self._perturb(self._reference(utt, "noise1.scp", raw_length), factor)[crop]
            noisy, clean = wav[crop], speech[0]
            if len(speech) > 1:
                sources = np.stack(speech)
        elif sampler is not None:
            wav = wav[crop]
            try:
                corrupted = sampler(wav, self.sample_rate, rng)
            except AecompError as exc:
                raise type(exc)(f"{self.data.path} ({utt}): {exc}") from None
            if corrupted is None:
                noisy = clean = wav
            else:
                noisy, clean, noise = corrupted.audio, corrupted.speech, corrupted.noise
                snr = float(corrupted.info.get("snr_db", snr))
                gain = float(corrupted.info.get("gain", 1.0))
                if gain != 1.0:  # scaled down to avoid clipping: another reference signal
                    key = f"{key}*{gain:.6f}"
        else:
            noisy = clean = wav[crop]
        item = {"uttid": utt, "noisy": noisy, "clean": clean, "noise": noise, "target": self.targets.get(utt, []),
                "snr": snr, "text": self.text.get(utt, ""), "key": key}
        if sources is not None:
            item["sources"] = sources
        return item

    def _reference(self, utt: str, table: str, length: int) -> np.ndarray:
        """The samples of ``utt`` in reference ``table``, which must have the mixture's ``length``."""
        wav = self._read(utt, table)
        if len(wav) != length:
            raise DatasetError(f"{self.data.path}: '{utt}' has {length} samples in wav.scp but {len(wav)} in "
                               f"{table}; a reference must be sample-aligned with its mixture: fix {table}")
        return wav


def check_speed_factors(factors: Sequence[float]) -> List[float]:
    """``factors`` as floats, refused unless each is a number in [0.5, 2]."""
    out = []
    for f in factors or ():
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.5 <= f <= 2.0:
            raise DatasetError(f"data.speed_perturb: each factor must be a number in [0.5, 2] (e.g. [0.9, 1.0, 1.1]), "
                               f"got {list(factors)!r}")
        out.append(float(f))
    return out


def speech_tables(data: DataDir) -> List[str]:
    """The speech reference tables of ``data``: ``spk1.scp``, ``spk2.scp``, ... without a gap."""
    present = [t for t in ("spk1.scp", "spk2.scp", "spk3.scp") if data.has(t)]
    expected = [f"spk{k + 1}.scp" for k in range(len(present))]
    if present != expected:
        raise DatasetError(f"{data.path}: speech references {', '.join(present)} have a gap: "
                           f"name them {', '.join(expected)}")
    if data.has("noise1.scp") and not present:
        raise DatasetError(f"{data.path}: noise1.scp without spk1.scp: a noise reference needs the speech one")
    return present


@dataclass
class Batch:
    """A padded batch: ``noisy [B, T]``, the references ``refs [B, S, T]`` (the speech sources,
    then the noise when ``has_noise``), ``lengths [B]``, ``targets [B, L]`` (pad -1), the reference
    ``texts`` (labels or transcripts), and ``keys`` naming each clean reference's content (the same
    key always means the same clean samples). A ``[B, T]`` tensor given as ``refs`` is one source."""

    uttids: List[str]
    texts: List[str]
    keys: List[str]
    noisy: torch.Tensor
    refs: torch.Tensor
    lengths: torch.Tensor
    targets: torch.Tensor
    target_lengths: torch.Tensor
    snr: torch.Tensor
    has_noise: bool = False

    def __post_init__(self):
        if self.refs.dim() == 2:
            self.refs = self.refs[:, None]
        if self.has_noise and self.refs.shape[1] < 2:
            raise ValueError(f"a batch with a noise reference needs a speech one too; refs {tuple(self.refs.shape)}")

    @property
    def clean(self) -> torch.Tensor:
        """The first speaker's reference ``[B, T]`` (single-speaker tasks use only this one)."""
        return self.refs[:, 0]

    @property
    def n_speakers(self) -> int:
        """How many of the ``S`` references are speech (the rest is the noise)."""
        return self.refs.shape[1] - int(self.has_noise)

    def to(self, device) -> "Batch":
        return Batch(self.uttids, self.texts, self.keys, *(t.to(device, non_blocking=True) for t in (
            self.noisy, self.refs, self.lengths, self.targets, self.target_lengths, self.snr)), self.has_noise)

    def __len__(self) -> int:
        return len(self.uttids)


def collate(examples: List[dict]) -> Batch:
    """Pad a list of :class:`AudioDataset` items into a :class:`Batch`; the noise is a reference
    only when every item has one."""
    lengths = torch.tensor([len(e["noisy"]) for e in examples], dtype=torch.long)
    t = int(lengths.max()) if len(examples) else 0
    speech = [np.asarray(e["sources"] if e.get("sources") is not None else [e["clean"]], dtype=np.float32)
              for e in examples]
    n_speakers = {len(s) for s in speech}
    if len(n_speakers) > 1:
        raise DatasetError(f"a batch mixes items with {sorted(n_speakers)} speakers "
                           f"({', '.join(e['uttid'] for e in examples[:4])}, ...); batch one set at a time")
    has_noise = bool(examples) and all(e.get("noise") is not None for e in examples)
    n_sources = (n_speakers.pop() if examples else 1) + int(has_noise)
    noisy = torch.zeros(len(examples), t)
    refs = torch.zeros(len(examples), n_sources, t)
    for i, e in enumerate(examples):
        noisy[i, :len(e["noisy"])] = torch.from_numpy(np.asarray(e["noisy"], dtype=np.float32))
        refs[i, :len(speech[i]), :speech[i].shape[-1]] = torch.from_numpy(speech[i])
        if has_noise:
            refs[i, -1, :len(e["noise"])] = torch.from_numpy(np.asarray(e["noise"], dtype=np.float32))
    target_lengths = torch.tensor([len(e["target"]) for e in examples], dtype=torch.long)
    targets = torch.full((len(examples), max([1, *target_lengths.tolist()])), -1, dtype=torch.long)
    for i, e in enumerate(examples):
        if e["target"]:
            targets[i, :len(e["target"])] = torch.tensor(e["target"], dtype=torch.long)
    snr = torch.tensor([e["snr"] for e in examples], dtype=torch.float32)
    return Batch([e["uttid"] for e in examples], [e["text"] for e in examples], [e["key"] for e in examples],
                 noisy, refs, lengths, targets, target_lengths, snr, has_noise)
