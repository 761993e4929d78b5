"""HuBERT pre-training as a downstream task: masked prediction of frame cluster targets.

The model is s3prl's own HuBERT (``s3prl.upstream.hubert.hubert_model.HubertModel``, its
copy of fairseq's, pre-training head included), so the trained weights export unchanged
to the checkpoint format s3prl's ``hubert_local`` / ``hubert_custom`` upstreams read
(:func:`export_s3prl`) and the SSL loss (:mod:`aecomp.losses.ssl`) loads them like a real
HuBERT. ESPnet's HuBERT pre-training (``espnet2/hubert``) wraps the same fairseq model
behind a task of its own and a fairseq import; s3prl's copy needs neither.

Targets are computed here, from the audio the model hears (the ``clean`` paradigm: clean
speech): 39-dim MFCCs (13 + deltas + delta-deltas, 25-ms window, 20-ms hop: one target per
output frame of the CNN), normalised with the corpus statistics and assigned to the
nearest centroid of a codebook (:func:`fit_codebook`; HuBERT's first iteration). A
codebook fitted on a trained model's layer features (``features: {layer: L}``) gives the
second iteration's targets; then ``feature_model`` names that model's s3prl checkpoint.

Per-sample loss ``[B]``: cross-entropy of the masked frames (s3prl's contrastive logits
against every cluster embedding, temperature ``logit_temp``) averaged per utterance, plus
``feature_pen_weight`` times the CNN feature penalty (as HuBERT). Validation counts the
masked frames predicted right (``masked_acc``; chance is about 1 / ``n_clusters``), with
masks from a fixed seed so that every epoch is scored on the same masks.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from aecomp.downstream.base import Downstream, Metric
from aecomp.errors import AecompError
from aecomp.fs import atomic_output
from aecomp.losses.tiny_upstream import TINY_WAVLM
from aecomp.registry import register

log = logging.getLogger(__name__)

#: a tiny HuBERT: the sizes of the tiny WavLM (its CNN with stride 320, 20-ms frames; 2 transformer layers of width 48)
TINY_HUBERT: Dict[str, Any] = {
    "label_rate": 50.0,
    **{k: TINY_WAVLM[k] for k in ("extractor_mode", "encoder_layers", "encoder_embed_dim", "encoder_ffn_embed_dim",
                                  "encoder_attention_heads", "conv_feature_layers", "conv_pos", "conv_pos_groups")},
    "final_dim": 32,
    "mask_prob": 0.5,
    "mask_length": 5,
    "dropout": 0.1,
    "attention_dropout": 0.1,
    "activation_dropout": 0.0,
    "encoder_layerdrop": 0.0,
    "dropout_input": 0.0,
    "dropout_features": 0.0,
    "layer_norm_first": False,
    "logit_temp": 0.1,
    "skip_nomask": True,  # HuBERT Base: no loss on the unmasked frames
}
SAMPLE_RATE = 16000
MFCC_WINDOW, MFCC_HOP = 400, 320
#: numpy seed of the validation masks (s3prl draws masks from numpy's global generator)
VALID_MASK_SEED = 20240601


class PretrainError(AecompError, ValueError):
    """Pre-training cannot run as configured; the message says why and what to do."""


# -- targets ----------------------------------------------------------------------
def mfcc_features(wav: torch.Tensor) -> torch.Tensor:
    """``[B, N, 39]`` MFCCs with deltas of ``wav [B, T]`` (16 kHz), ``N = (T - 400) // 320 + 1``: one frame
    per output frame of a HuBERT/WavLM CNN with stride 320."""
    import torchaudio

    transform = _mfcc_transform(wav.device)
    if wav.shape[-1] < MFCC_WINDOW:
        wav = F.pad(wav, (0, MFCC_WINDOW - wav.shape[-1]))
    c = transform(wav.float())  # [B, 13, N]
    d1 = torchaudio.functional.compute_deltas(c)
    d2 = torchaudio.functional.compute_deltas(d1)
    return torch.cat([c, d1, d2], dim=1).transpose(1, 2)


_MFCC: Dict[str, torch.nn.Module] = {}


def _mfcc_transform(device) -> torch.nn.Module:
    key = str(device)
    if key not in _MFCC:
        import torchaudio

        _MFCC[key] = torchaudio.transforms.MFCC(
            SAMPLE_RATE, n_mfcc=13, log_mels=True,
            melkwargs=dict(n_fft=MFCC_WINDOW, win_length=MFCC_WINDOW, hop_length=MFCC_HOP, n_mels=40,
                           center=False)).to(device)
    return _MFCC[key]


def kmeans(x: torch.Tensor, k: int, seed: int = 0, iters: int = 30) -> torch.Tensor:
    """Centroids ``[k, D]`` of ``x [N, D]``: k-means++ seeding from a generator seeded with ``seed``, then
    ``iters`` Lloyd iterations (an emptied cluster is moved to the point farthest from its centroid)."""
    if x.shape[0] < k:
        raise PretrainError(f"k-means needs at least {k} frames, got {x.shape[0]}: use fewer clusters "
                            "(n_clusters) or more training speech")
    gen = torch.Generator().manual_seed(seed)
    x = x.double()
    centroids = [x[torch.randint(x.shape[0], (1,), generator=gen)].squeeze(0)]
    dist = ((x - centroids[0]) ** 2).sum(-1)
    for _ in range(1, k):
        i = torch.multinomial(dist / dist.sum(), 1, generator=gen)
        centroids.append(x[i].squeeze(0))
        dist = torch.minimum(dist, ((x - centroids[-1]) ** 2).sum(-1))
    c = torch.stack(centroids)
    for _ in range(iters):
        d = torch.cdist(x, c)
        assign = d.argmin(-1)
        counts = torch.bincount(assign, minlength=k)
        sums = torch.zeros_like(c).index_add_(0, assign, x)
        empty = counts == 0
        c = torch.where(empty[:, None], c, sums / counts.clamp(min=1)[:, None])
        if empty.any():
            far = d.gather(1, assign[:, None]).squeeze(1).argsort(descending=True)
            c[empty] = x[far[:int(empty.sum())]]
    return c.float()


def fit_codebook(train_dir: str | Path, out_path: str | Path, n_clusters: int = 50, max_frames: int = 60000,
                 seed: int = 0, features: Any = "mfcc", feature_model: Optional[str] = None) -> Path:
    """Fit the cluster codebook of the targets on the speech of ``train_dir`` and write it to ``out_path``:
    ``{"features", "feature_model", "mean" [D], "std" [D], "centroids" [K, D]}``. ``features``: "mfcc"
    (first iteration) or ``{"layer": L}`` (hidden state L of ``feature_model``, an s3prl HuBERT
    checkpoint: second iteration). At most ``max_frames`` frames (an even spread of the utterances,
    sorted by id) enter k-means; deterministic for a seed."""
    from aecomp.data.datadir import DataDir

    data = DataDir.load(train_dir)
    utts = data.utts
    if not utts:
        raise PretrainError(f"{train_dir}: no utterances to fit the codebook on")
    extractor = FeatureExtractor(features, feature_model)
    frames: List[torch.Tensor] = []
    for utt in utts:
        wav = torch.from_numpy(data.audio(utt, SAMPLE_RATE))[None]
        with torch.no_grad():
            frames.append(extractor(wav, torch.tensor([wav.shape[1]]))[0])
    x = torch.cat(frames)
    if x.shape[0] > max_frames:
        x = x[torch.linspace(0, x.shape[0] - 1, max_frames).long()]
    mean, std = x.mean(0), x.std(0).clamp(min=1e-5)
    centroids = kmeans((x - mean) / std, n_clusters, seed=seed)
    state = {"features": features, "feature_model": feature_model, "mean": mean, "std": std,
             "centroids": centroids, "frames": int(x.shape[0]), "utterances": len(utts)}
    with atomic_output(out_path) as tmp:
        torch.save(state, tmp)
    log.info("codebook: %d clusters of %s features from %d frames of %d utterances in %s -> %s", n_clusters,
             features if isinstance(features, str) else f"layer {features['layer']}", x.shape[0], len(utts),
             train_dir, out_path)
    return Path(out_path)


class FeatureExtractor(torch.nn.Module):
    """``(wav [B, T], lengths [B]) -> [B, N, D]``: the frame features targets are clustered from."""

    def __init__(self, features: Any = "mfcc", feature_model: Optional[str] = None):
        super().__init__()
        self.layer = None
        if isinstance(features, Mapping) and set(features) == {"layer"}:
            if not feature_model:
                raise PretrainError("features: {layer: L} clusters a trained model's layer: set feature_model "
                                    "to its s3prl checkpoint (the first iteration's upstream)")
            self.layer = int(features["layer"])
            if self.layer < 1:
                raise PretrainError(f"features: layer must be a transformer layer (>= 1), got {self.layer}")
            self.__dict__["model"] = load_s3prl_hubert(feature_model)  # frozen, not part of the state
        elif features != "mfcc":
            raise PretrainError(f"features must be 'mfcc' or {{layer: L}}, got {features!r}")

    @torch.no_grad()
    def forward(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.layer is None:
            return mfcc_features(wav)
        model = self.model.to(wav.device)
        pad = torch.arange(wav.shape[1], device=wav.device)[None, :] >= lengths[:, None]
        x, _ = model.extract_features(wav, padding_mask=pad, mask=False, output_layer=self.layer)
        return x


# -- the model --------------------------------------------------------------------
def _hubert_classes():
    from aecomp.offline import offline_imports

    offline_imports()
    from s3prl.upstream.hubert.hubert_model import HubertConfig, HubertModel, HubertPretrainingConfig
    from s3prl.upstream.utils import merge_with_parent

    return HubertConfig, HubertModel, HubertPretrainingConfig, merge_with_parent


def load_s3prl_hubert(path: str | Path):
    """s3prl's HubertModel (eval mode, frozen) of a checkpoint in s3prl's converted format."""
    HubertConfig, HubertModel, HubertPretrainingConfig, merge = _hubert_classes()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = HubertModel(merge(HubertConfig, state["model_cfg"]), merge(HubertPretrainingConfig, state["task_cfg"]),
                        state["dictionaries_symbols"])
    model.load_state_dict(state["model_weight"])
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


@register("downstream", "hubert_pretrain")
class HubertPretrain(Downstream):
    """HuBERT pre-training (masked prediction of cluster targets) on s3prl's HubertModel; per-sample loss."""

    metrics = (Metric("masked_acc", "max"),)
    decodes = False

    def __init__(self, codebook: str, model: Optional[Dict[str, Any]] = None, sample_rate: int = 16000,
                 feature_pen_weight: float = 10.0):
        """``codebook``: the file :func:`fit_codebook` wrote (its centroids set the number of targets);
        ``model``: HubertConfig keys over :data:`TINY_HUBERT`. Audio must be 16 kHz."""
        super().__init__()
        if sample_rate != SAMPLE_RATE:
            raise PretrainError(f"hubert_pretrain needs 16 kHz audio (data.sample_rate), got {sample_rate}")
        if not Path(codebook).is_file():
            raise PretrainError(f"codebook {codebook} does not exist: fit it first (aecomp pretrain-upstream "
                                "does, with the codebook's options)")
        cb = torch.load(codebook, map_location="cpu", weights_only=True)
        self.model_cfg = {**TINY_HUBERT, **(model or {})}
        HubertConfig, HubertModel, HubertPretrainingConfig, merge = _hubert_classes()
        self.task_cfg = {"label_rate": self.model_cfg["label_rate"], "sample_rate": SAMPLE_RATE, "normalize": False}
        self.symbols = [str(i) for i in range(cb["centroids"].shape[0])]
        try:
            self.model = HubertModel(merge(HubertConfig, self.model_cfg), merge(HubertPretrainingConfig, self.task_cfg),
                                     [self.symbols])
        except TypeError as exc:
            raise PretrainError(f"hubert_pretrain model: {exc}") from None
        self.feature_pen_weight = feature_pen_weight
        self.features = FeatureExtractor(cb["features"], cb.get("feature_model"))
        self.register_buffer("mean", cb["mean"].float())
        self.register_buffer("std", cb["std"].float())
        self.register_buffer("centroids", cb["centroids"].float())
        self._masks: Optional[torch.Tensor] = None
        self.model.apply_mask = self._recording(self.model.apply_mask)

    def _recording(self, apply_mask):
        """s3prl's ``apply_mask``, keeping the mask: per-sample losses need to know whose frames were masked."""
        def wrapped(x, padding_mask, target_list):
            x, mask = apply_mask(x, padding_mask, target_list)
            self._masks = mask
            return x, mask
        return wrapped

    def encode_target(self, text: str) -> List[int]:
        return []  # self-supervised: the targets come from the audio

    @torch.no_grad()
    def targets(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Cluster ids ``[B, N]`` of the frames of ``wav [B, T]``."""
        feats = (self.features(wav, lengths) - self.mean) / self.std
        d = torch.cdist(feats, self.centroids[None].expand(feats.shape[0], -1, -1))
        return d.argmin(-1)

    def _predict(self, wav: torch.Tensor, lengths: torch.Tensor):
        """``(logits [M, K + 1] of the M masked frames (column 0: the target), sample of each [M], masked
        frames per sample [B], feature penalty)``."""
        if wav.shape[1] < MFCC_WINDOW:
            wav = F.pad(wav, (0, MFCC_WINDOW - wav.shape[1]))
        target = self.targets(wav, lengths)
        pad = torch.arange(wav.shape[1], device=wav.device)[None, :] >= lengths[:, None]
        with self._mask_seed():
            out = self.model(wav, target_list=[target], padding_mask=pad, mask=True)
        masked = self._masks[:, :out["padding_mask"].shape[1]] & ~out["padding_mask"]
        return out["logit_m_list"][0], masked.nonzero()[:, 0], masked.sum(1), out["features_pen"]

    @contextlib.contextmanager
    def _mask_seed(self):
        """In eval mode, masks from a fixed seed (the global numpy state is put back afterwards)."""
        if self.training:
            yield
            return
        state = np.random.get_state()
        np.random.seed(VALID_MASK_SEED)
        try:
            yield
        finally:
            np.random.set_state(state)

    def forward(self, wav, lengths, targets=None, target_lengths=None) -> torch.Tensor:
        """Per-sample loss ``[B]`` of ``wav [B, T]`` (``targets`` unused: they come from the audio)."""
        logits, sample, n_masked, pen = self._predict(wav, lengths)
        ce = F.cross_entropy(logits.float(), torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device),
                             reduction="none")
        per = torch.zeros(wav.shape[0], device=wav.device).index_add(0, sample, ce)
        return per / n_masked.clamp(min=1) + self.feature_pen_weight * pen

    @torch.no_grad()
    def valid_counts(self, wav, lengths, targets, target_lengths) -> Dict[str, float]:
        logits, _, n_masked, _ = self._predict(wav, lengths)
        return {"masked_correct": float((logits.argmax(-1) == 0).sum()), "masked_total": float(n_masked.sum())}

    @torch.no_grad()
    def decode(self, wav, lengths) -> List[str]:
        return [""] * wav.shape[0]

    def score(self, hyps: Sequence[str], refs: Sequence[str]) -> Dict[str, float]:
        return {}

    @staticmethod
    def summarize(counts: Dict[str, float]) -> Dict[str, float]:
        total = counts.get("masked_total", 0.0)
        return {"masked_acc": counts.get("masked_correct", 0.0) / total if total else float("nan")}

    # -- export -------------------------------------------------------------------
    def s3prl_state(self) -> Dict[str, Any]:
        """This model as s3prl's converted HuBERT checkpoint (``hubert_local`` / ``hubert_custom`` read it)."""
        return {"task_cfg": dict(self.task_cfg), "model_cfg": dict(self.model_cfg),
                "model_weight": {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()},
                "dictionaries_symbols": [list(self.symbols)], "pretrained": True}


def export_s3prl(model_dir: str | Path, out_path: str | Path, info: Optional[Dict[str, Any]] = None) -> Path:
    """Write the HuBERT of a trained ``hubert_pretrain`` system (``model_dir/model.pt``) to ``out_path`` in
    s3prl's checkpoint format, with ``pretrained: True`` and ``info`` (what it was trained on) under ``aecomp``."""
    from aecomp.train.system import load_paradigm

    paradigm, _ = load_paradigm(model_dir)
    ds = paradigm.downstream
    if not isinstance(ds, HubertPretrain):
        raise PretrainError(f"{model_dir} is not a hubert_pretrain system (its downstream is {type(ds).__name__})")
    state = ds.s3prl_state()
    state["aecomp"] = dict(info or {})
    save_reproducibly(state, out_path)
    return Path(out_path)


def save_reproducibly(state: Any, path: str | Path) -> None:
    """``torch.save`` to ``path`` atomically, the same state giving the same bytes (a file written directly
    would name its archive after the temporary file)."""
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    with atomic_output(path) as tmp:
        tmp.write_bytes(buf.getvalue())
