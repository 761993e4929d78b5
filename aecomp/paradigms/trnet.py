"""TRNet, a two-level refinement network for noise-robust emotion recognition (seed 002).

A fixed, pre-trained front-end (any registered one: the U-Net of the recipe's cascade, an espnet2
separator, a checkpoint; started with ``init: {frontend: ...}``) enhances the noisy input. Per utterance:

- **SNR coefficient** (:class:`SNRCoefficient`): the cosine similarity of the noisy and enhanced magnitude
  spectra, frame by frame, averaged into ``sim_bins`` stretches of the utterance,
  ``S = hardtanh_[0,1](Linear(sims))`` ``[B]``: near 1 when the front-end changed little (high SNR);
- **low level** (``blend``): the downstream hears ``X = S * X_noisy + (1 - S) * X_enh``, a blend of the
  normalised log-mel spectrograms of the noisy and enhanced signals ``[B, M, N]``;
- **high level** (``film``): the emotion embedding ``e [B, D]`` is calibrated by a FiLM bridge
  ``f(S) * e + h(S)`` (:class:`FiLM`, the identity at the start) before the classifier.

Training loss per sample: ``CE + alpha * MSE(X, X_clean) + beta * MSE(e, e_teacher)`` (L_low and L_high),
where the teacher is the clean-trained recogniser, frozen (``init: {teacher: clean:downstream}``), fed the
clean spectrogram. Blend and FiLM run at test time too (:meth:`TRNet.infer`). Ablations as options:
``alpha: 0`` (no L_low), ``beta: 0`` (no L_high), ``blend: false`` (the downstream hears X_enh; L_low is then
a constant of no effect, since nothing trainable precedes it), ``film: false``.

The downstream must expose TRNet's levels, as :class:`aecomp.downstream.ser_cnn.SERCNN` does:
``spectrogram(wav, lengths) -> (X [B, M, N], frames [B])``, ``embed(X, frames) -> e [B, D]``,
``classify(e) -> logits [B, C]``.
"""

from __future__ import annotations

import copy
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from aecomp.data.dataset import Batch
from aecomp.metrics.signal import batch_signal_counts
from aecomp.paradigms.base import Inference, Paradigm, Phase
from aecomp.paradigms.fixed_frontend import ParadigmConfigError
from aecomp.registry import register

LEVELS = ("spectrogram", "embed", "classify")


class SNRCoefficient(nn.Module):
    """``(noisy [B, T], enhanced [B, T], lengths [B]) -> S [B]`` in [0, 1]: hardtanh of a linear layer over
    the frame-wise cosine similarities of the two magnitude spectra, averaged into ``bins`` stretches of
    each utterance's valid frames. Starts as the mean similarity (weights ``1 / bins``, bias 0)."""

    def __init__(self, n_fft: int = 400, hop_length: int = 160, bins: int = 16):
        super().__init__()
        self.n_fft, self.hop_length, self.bins = n_fft, hop_length, bins
        self.linear = nn.Linear(bins, 1)
        nn.init.constant_(self.linear.weight, 1.0 / bins)
        nn.init.zeros_(self.linear.bias)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def similarities(self, noisy: torch.Tensor, enhanced: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``[B, bins]``: frame-wise cosine similarity of the magnitude spectra, averaged per stretch."""
        mags = [torch.stft(x.float(), self.n_fft, self.hop_length, window=self.window, return_complex=True).abs()
                for x in (noisy, enhanced)]
        sim = F.cosine_similarity(mags[0], mags[1], dim=1, eps=1e-8)  # [B, N]
        frames = (lengths // self.hop_length + 1).clamp(1, sim.shape[-1])
        return torch.stack([F.adaptive_avg_pool1d(sim[b:b + 1, :int(n)], self.bins)[0] for b, n in enumerate(frames)])

    def forward(self, noisy: torch.Tensor, enhanced: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return F.hardtanh(self.linear(self.similarities(noisy, enhanced, lengths))[:, 0], 0.0, 1.0)


class FiLM(nn.Module):
    """``(e [B, D], S [B]) -> f(S) * e + h(S)``, ``f`` and ``h`` linear in ``S``; the identity at the start."""

    def __init__(self, dim: int):
        super().__init__()
        self.scale, self.shift = nn.Linear(1, dim), nn.Linear(1, dim)
        for layer, bias in ((self.scale, 1.0), (self.shift, 0.0)):
            nn.init.zeros_(layer.weight)
            nn.init.constant_(layer.bias, bias)

    def forward(self, e: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        s = s[:, None].to(e.dtype)
        return self.scale(s) * e + self.shift(s)


def _masked_mse(a: torch.Tensor, b: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared difference of ``a, b [B, M, N]`` over the first ``frames[b]`` frames."""
    mask = (torch.arange(a.shape[-1], device=a.device)[None, :] < frames[:, None]).to(a.dtype)[:, None, :]
    return ((a - b).pow(2) * mask).sum((1, 2)) / (mask.sum((1, 2)) * a.shape[1]).clamp(min=1)


@register("paradigm", "trnet")
class TRNet(Paradigm):
    """TRNet (seed 002): fixed front-end, SNR-aware spectrogram blend, FiLM bridge, L_low and L_high to a clean teacher."""

    frozen = ("signal_loss", "teacher")

    def __init__(self, frontend, downstream, epochs: int = 10, alpha: float = 0.5, beta: float = 0.5,
                 blend: bool = True, film: bool = True, sim_bins: int = 16, **common):
        """``epochs`` of training the downstream, the SNR coefficient and the FiLM bridge (the front-end
        stays fixed); ``alpha``, ``beta``: weights of L_low and L_high; ``blend``, ``film``: the two
        refinements (false: an ablation); ``sim_bins``: stretches of the similarity sequence."""
        super().__init__(frontend, downstream, **common)
        missing = [m for m in LEVELS if not callable(getattr(downstream, m, None))]
        if missing:
            raise ParadigmConfigError(
                f"paradigm 'trnet' refines the downstream's spectrogram and embedding, but "
                f"{type(downstream).__name__} has no {', '.join(missing)}; use a downstream with TRNet's levels "
                "(e.g. ser_cnn)")
        if alpha < 0 or beta < 0:
            raise ParadigmConfigError(f"trnet: alpha and beta must be >= 0, got {alpha} and {beta}")
        self.epochs, self.alpha, self.beta = epochs, alpha, beta
        self.use_blend, self.use_film = blend, film
        hop = getattr(getattr(downstream, "features", None), "hop_length", 160)
        n_fft = getattr(getattr(downstream, "features", None), "n_fft", 400)
        self.snr = SNRCoefficient(n_fft, hop, sim_bins)
        if film:
            dim = getattr(getattr(downstream, "classifier", None), "in_features", None)
            if dim is None:
                raise ParadigmConfigError("trnet: film needs the downstream's embedding size (its classifier layer)")
            self.film = FiLM(dim)
        # the clean-trained recogniser, frozen: weights from init (teacher: clean:downstream)
        self.teacher = copy.deepcopy(downstream)

    def phases(self) -> List[Phase]:
        train = ("downstream", "snr") + (("film",) if self.use_film else ())
        return [Phase("trnet", self.epochs, train=train)]

    # -- the two levels -------------------------------------------------------------
    def refine(self, noisy: torch.Tensor, lengths: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The forward pass of TRNet on ``noisy [B, T]``: ``enhanced`` (the fixed front-end's output), ``snr``
        ``[B]``, ``spec`` (the blended spectrogram ``[B, M, N]``), ``frames``, ``embedding`` (after FiLM) and
        ``logits``."""
        with torch.no_grad():
            enhanced = self.frontend(noisy, lengths)
        ds = self.downstream
        x_enh, frames = ds.spectrogram(enhanced, lengths)
        s = None
        if self.use_blend or self.use_film:
            cut = getattr(ds, "max_samples", noisy.shape[-1])
            s = self.snr(noisy[:, :cut], enhanced[:, :cut], lengths.clamp(max=cut))
        if self.use_blend:
            x_noisy, _ = ds.spectrogram(noisy, lengths)
            w = s[:, None, None].to(x_enh.dtype)
            spec = w * x_noisy + (1 - w) * x_enh
        else:
            spec = x_enh
        e = ds.embed(spec, frames)
        if self.use_film:
            e = self.film(e, s)
        out = {"enhanced": enhanced, "spec": spec, "frames": frames, "embedding": e, "logits": ds.classify(e)}
        if s is not None:
            out["snr"] = s
        return out

    def losses(self, batch: Batch, out: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
        """Per-sample ``ce``, ``low`` (MSE of the blended to the clean spectrogram) and ``high`` (MSE of the
        embedding to the teacher's of clean speech), each ``[B]``."""
        ce = F.cross_entropy(out["logits"], batch.targets[:, 0], reduction="none")
        zero = torch.zeros_like(ce)
        low = high = zero
        if self.alpha > 0 or self.beta > 0:
            with torch.no_grad():
                x_clean, frames = self.teacher.spectrogram(batch.clean, batch.lengths)
                e_teacher = self.teacher.embed(x_clean, frames) if self.beta > 0 else None
            if self.alpha > 0:
                n = min(x_clean.shape[-1], out["spec"].shape[-1])
                low = _masked_mse(out["spec"][..., :n], x_clean[..., :n], out["frames"].clamp(max=n))
            if self.beta > 0:
                high = (out["embedding"] - e_teacher).pow(2).mean(-1)
        return {"ce": ce, "low": low, "high": high}

    def train_step(self, batch: Batch, phase: Phase) -> Tuple[torch.Tensor, Dict[str, float]]:
        out = self.refine(batch.noisy, batch.lengths)
        parts = self.losses(batch, out)
        per_sample = parts["ce"] + self.alpha * parts["low"] + self.beta * parts["high"]
        stats = {"task_loss": float(parts["ce"].detach().mean()), "l_low": float(parts["low"].detach().mean()),
                 "l_high": float(parts["high"].detach().mean())}
        if "snr" in out:
            stats["snr_coef"] = float(out["snr"].detach().mean())
        return per_sample.mean(), stats

    @torch.no_grad()
    def valid_step(self, batch: Batch, phase: Phase) -> Dict[str, float]:
        out = self.refine(batch.noisy, batch.lengths)
        parts = self.losses(batch, out)
        counts = {"n": float(len(batch)), "task_loss": float(parts["ce"].sum()),
                  "signal_loss": float((self.alpha * parts["low"] + self.beta * parts["high"]).sum())}
        counts.update(batch_signal_counts(batch, out["enhanced"]))
        ds = self.downstream
        counts.update(ds.score([ds.labels[i] for i in out["logits"].argmax(-1).tolist()], batch.texts))
        return counts

    @torch.no_grad()
    def infer(self, batch: Batch) -> Inference:
        """Front-end, SNR coefficient, blend, embedding, FiLM and classifier; the estimate is the front-end's output."""
        out = self.refine(batch.noisy, batch.lengths)
        labels = self.downstream.labels
        return Inference([labels[i] for i in out["logits"].argmax(-1).tolist()], out["enhanced"])
