"""Enhancement trained through a frozen self-supervised model: the SSL representation loss (seed 001).

The loss compares enhanced and clean speech in the hidden layers of a frozen
s3prl upstream (WavLM, HuBERT, wav2vec 2.0, ...): a weighted sum over chosen
layers of L1, L2 or cosine distances, optionally plus a signal loss.

The upstream stays frozen (eval mode, no parameter updates) but gradients must
reach the enhancement model through it. Two s3prl behaviours would silently
stop them, and are undone or refused here:

- its WavLM/HuBERT/wav2vec 2.0 wrappers set ``feature_grad_mult = 0``, which
  runs the CNN feature encoder under ``torch.no_grad()``: it is set back to 1;
- its HuggingFace-based upstreams (``hf_*``) detach the input waveform: they are
  refused with an explanation.

Padding changes the features of wav2vec 2.0-style encoders (their first
layer normalises over the whole time axis), so a padded batch is encoded one
utterance at a time, on both sides. The clean side never changes: its features
are computed once per reference (the batch's ``keys``) and cached in memory; a
training step then runs the upstream only on the enhanced signal.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from aecomp import registry
from aecomp.errors import AecompError
from aecomp.losses.base import Loss
from aecomp.offline import offline_imports
from aecomp.registry import register

log = logging.getLogger(__name__)

SSL_RATE = 16000
DISTANCES = ("l1", "l2", "cosine")


class SSLLossError(AecompError, ValueError):
    """The SSL loss cannot be set up as asked; the message says why and what to use instead."""


@register("loss", "ssl")
class SSLRepresentationLoss(Loss):
    """Distance of enhanced to clean speech in a frozen s3prl upstream's layers (seed 001)."""

    def __init__(self, upstream: str = "wavlm_local", ckpt: Optional[str] = None,
                 layers: Sequence[int] = (-1,), layer_weights: Optional[Sequence[float]] = None,
                 distance: str = "l1", signal_loss: Any = None, signal_weight: float = 1.0,
                 ssl_weight: float = 1.0, cache: bool = True, sample_rate: int = 16000):
        """``upstream``: an s3prl hub name (``wavlm_base_plus`` downloads; ``wavlm_local``,
        ``hubert_local``, ``wav2vec2_local`` ... read ``ckpt``, a path). ``layers``: hidden
        states to compare (0 is the CNN output, -1 the last layer), weighted by
        ``layer_weights`` (default: equal, summing to 1). ``distance``: l1, l2 or cosine.
        ``signal_loss`` (a loss spec, e.g. wsdr) is added with ``signal_weight``; the SSL term
        gets ``ssl_weight``. Audio at another ``sample_rate`` is resampled to 16 kHz."""
        super().__init__()
        if upstream.startswith("hf_"):
            raise SSLLossError(
                f"upstream '{upstream}': s3prl's HuggingFace-based upstreams detach the input waveform, so no "
                "gradient would reach the enhancement model. Use the fairseq-format upstream of the same model "
                "(wavlm_*, hubert_*, wav2vec2_*), e.g. with a local checkpoint: upstream: wavlm_local, ckpt: PATH")
        if distance not in DISTANCES:
            raise SSLLossError(f"distance must be one of {', '.join(DISTANCES)}, got '{distance}'")
        if layer_weights is not None and len(layer_weights) != len(layers):
            raise SSLLossError(f"layer_weights has {len(layer_weights)} values for {len(layers)} layers")
        if upstream.endswith(("_local", "_custom")) and not ckpt:
            raise SSLLossError(f"upstream '{upstream}' reads a checkpoint: set ckpt to its path")
        self.name, self.ckpt = upstream, ckpt
        self.layers = list(layers)
        weights = torch.tensor(layer_weights if layer_weights is not None else [1.0] * len(layers))
        self.layer_weights = (weights / weights.sum()).tolist()
        self.distance, self.ssl_weight, self.signal_weight = distance, ssl_weight, signal_weight
        self.sample_rate, self.use_cache = sample_rate, cache
        self.signal = registry.build("loss", signal_loss, where="ssl.conf.signal_loss", sample_rate=sample_rate) \
            if signal_loss is not None else None
        # kept out of the module tree: not saved in checkpoints, not seen by optimizers
        self.__dict__["upstream"] = load_upstream(upstream, ckpt)
        n = self.upstream.num_layers
        bad = [i for i in self.layers if not -n <= i < n]
        if bad:
            raise SSLLossError(f"layers {bad} do not exist: upstream '{upstream}' has hidden states 0..{n - 1}")
        self._cache: Dict[str, List[torch.Tensor]] = {}
        self.cache_hits = self.cache_misses = 0

    def forward(self, est, ref, mix, lengths, keys=None) -> torch.Tensor:
        """``[B]``: weighted layer distances (plus the signal loss) of ``est`` against ``ref``."""
        self._upstream_on(est.device)
        hs_e, hl = self._encode(est, lengths)
        hs_c = self._clean_features(ref, lengths, keys, hs_e[0].shape[1])
        total = torch.zeros(est.shape[0], device=est.device)
        for w, i in zip(self.layer_weights, self.layers):
            total = total + w * self._distance(hs_e[i], hs_c[i].to(hs_e[i].dtype), hl[i])
        loss = self.ssl_weight * total
        if self.signal is not None:
            loss = loss + self.signal_weight * self.signal(est, ref, mix, lengths, keys)
        return loss

    def train(self, mode: bool = True):
        super().train(mode)
        self.upstream.eval()  # frozen: no dropout, whatever the paradigm does
        return self

    # -- internals ------------------------------------------------------------------
    def _upstream_on(self, device):
        if next(self.upstream.parameters()).device != device:
            self.upstream.to(device)
        return self.upstream

    def _to_16k(self, wav: torch.Tensor, lengths: torch.Tensor):
        if self.sample_rate == SSL_RATE:
            return wav, lengths
        import torchaudio.functional as AF

        out = AF.resample(wav, self.sample_rate, SSL_RATE)
        return out, (lengths * SSL_RATE + self.sample_rate - 1) // self.sample_rate

    def _encode(self, wav: torch.Tensor, lengths: torch.Tensor):
        """``(hidden states [B, N, D] per layer, frame lengths [B] per layer)`` of ``wav [B, T]``.

        A batch with padding is encoded one utterance at a time: wav2vec 2.0-style feature
        encoders (WavLM/HuBERT base) normalise over the whole time axis, padding included, so
        padding would change every frame's features.
        """
        return encode_unpadded(self.upstream, *self._to_16k(wav, lengths))

    @torch.no_grad()
    def _clean_features(self, ref, lengths, keys, frames: int) -> List[torch.Tensor]:
        """Hidden states ``[B, N, D]`` of the clean references, from the cache where possible.

        Each reference is encoded alone, without padding: padded batches change an
        utterance's features near its end, which would make cached features depend on
        the batch the reference first came in.
        """
        per_item = []
        for i in range(ref.shape[0]):
            key = keys[i] if (self.use_cache and keys) else None
            if key is not None and key in self._cache:
                self.cache_hits += 1
                per_item.append(self._cache[key])
                continue
            feats = [h[0].detach() for h in self._encode(ref[i:i + 1, :int(lengths[i])], lengths[i:i + 1])[0]]
            if key is not None:
                self.cache_misses += 1
                self._cache[key] = [f.to("cpu", copy=True) for f in feats]
            per_item.append(feats)
        out = []
        for layer in range(len(per_item[0])):
            padded = torch.zeros(len(per_item), frames, per_item[0][layer].shape[-1], device=ref.device)
            for b, item in enumerate(per_item):
                f = item[layer][:frames]
                padded[b, :f.shape[0]] = f.to(ref.device)
            out.append(padded)
        return out

    def _distance(self, a: torch.Tensor, b: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Per-sample distance of ``a, b [B, N, D]`` over the first ``lengths[b]`` frames."""
        n = min(a.shape[1], b.shape[1])
        a, b = a[:, :n], b[:, :n]
        mask = (torch.arange(n, device=a.device)[None, :] < lengths[:, None]).to(a.dtype)
        if self.distance == "l1":
            per_frame = (a - b).abs().mean(-1)
        elif self.distance == "l2":
            per_frame = (a - b).pow(2).mean(-1)
        else:
            per_frame = 1.0 - F.cosine_similarity(a, b, dim=-1, eps=1e-8)
        return (per_frame * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def encode_unpadded(upstream, wav: torch.Tensor, lengths: torch.Tensor):
    """``(hidden states [B, N, D] per layer, frame lengths [B] per layer)`` of ``wav [B, T]`` (16 kHz) through
    an s3prl ``upstream``, each utterance of a padded batch encoded alone (see :meth:`SSLRepresentationLoss._encode`)."""
    if bool((lengths == wav.shape[1]).all()):
        return upstream(wav, lengths)
    items = [upstream(wav[i:i + 1, :int(lengths[i])], lengths[i:i + 1]) for i in range(wav.shape[0])]
    n_layers = len(items[0][0])
    hs = [torch.nn.utils.rnn.pad_sequence([it[0][layer][0] for it in items], batch_first=True)
          for layer in range(n_layers)]
    hl = [torch.cat([it[1][layer] for it in items]) for layer in range(n_layers)]
    return hs, hl


def load_upstream(name: str, ckpt: Optional[str] = None):
    """A frozen ``s3prl.nn.S3PRLUpstream`` whose feature encoder passes gradients to its input."""
    offline_imports()
    try:
        from s3prl.nn import S3PRLUpstream
    except ImportError as exc:  # pragma: no cover - an installation problem
        raise SSLLossError(f"s3prl is not importable ({exc}); run tools/install.sh (package espnet-s3prl)") from None
    if name not in S3PRLUpstream.available_names():
        raise SSLLossError(f"unknown s3prl upstream '{name}'; e.g. wavlm_local, hubert_local, wav2vec2_local "
                           "(with ckpt), or wavlm_base_plus (downloads)")
    try:
        upstream = S3PRLUpstream(name, path_or_url=ckpt)
    except (AssertionError, FileNotFoundError, OSError) as exc:
        raise SSLLossError(f"cannot load s3prl upstream '{name}' from {ckpt}: {exc or type(exc).__name__}") from None
    undone = 0
    for module in upstream.modules():
        if getattr(module, "feature_grad_mult", None) == 0.0:
            module.feature_grad_mult = 1.0  # s3prl's wrappers set 0: the CNN would run without gradient
            undone += 1
    upstream.eval()
    for p in upstream.parameters():
        p.requires_grad_(False)
    log.info("SSL loss: upstream %s%s, %d hidden states, frozen; feature_grad_mult reset on %d module(s)",
             name, f" ({ckpt})" if ckpt else "", upstream.num_layers, undone)
    return upstream
