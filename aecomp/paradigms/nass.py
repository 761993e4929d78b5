"""NASS (noise-aware speech separation): the noise as an extra source, and a patch-wise contrastive loss."""

from __future__ import annotations

import logging
from typing import Dict, Tuple

import torch

from aecomp.data.dataset import Batch
from aecomp.losses.patch_nce import PatchNCE
from aecomp.paradigms.separation import Separation
from aecomp.registry import register

log = logging.getLogger(__name__)


@register("paradigm", "nass")
class NASS(Separation):
    """Separation with ``n_spk + 1`` outputs (the noise last) plus PatchNCE on the separator's features.

    For each speaker ``s`` (paired with its output by the PIT of the signal loss), the queries are
    ``patches`` sampled frame positions of the output's masked encoder features ``[B, L, N]`` (the
    decoder's input), the positive is the encoder output of the true source ``s`` at the same
    position, the negatives the noise output's masked features at the sampled positions
    (:class:`~aecomp.losses.patch_nce.PatchNCE`, a ``proj_hidden``-``proj_dim`` MLP projector,
    ``temperature``). Loss per sample: the separation loss + ``contrast_weight`` times the contrastive
    loss averaged over the speakers. ``detach_positive``: no gradient through the encoding of the true
    sources. The front-end must expose ``forward_with_side`` and ``encode`` (``espnet_enh`` does).
    """

    def __init__(self, frontend, downstream, contrast_weight: float = 2.0, patches: int = 256,
                 temperature: float = 0.07, proj_dim: int = 256, proj_hidden: int = 256,
                 detach_positive: bool = False, noise_output: bool = True, **common):
        if not noise_output:
            raise ValueError("nass needs noise_output: true (the noise output gives the contrastive negatives)")
        super().__init__(frontend, downstream, noise_output=True, **common)
        missing = [m for m in ("forward_with_side", "encode", "feature_dim") if not hasattr(frontend, m)]
        if missing:
            raise ValueError(f"nass needs a mask-based front-end exposing {', '.join(missing)} (the masked encoder "
                             f"features); {type(frontend).__name__} does not: use frontend espnet_enh")
        if contrast_weight < 0:
            raise ValueError(f"contrast_weight must be >= 0, got {contrast_weight}")
        self.contrast = PatchNCE(frontend.feature_dim, proj_dim, proj_hidden, patches, temperature)
        self.contrast_weight, self.detach_positive = contrast_weight, detach_positive
        log.info("nass: contrastive projector of %d parameters (%d -> %d -> %d)", self.projector_parameters,
                 frontend.feature_dim, proj_hidden, proj_dim)

    @property
    def projector_parameters(self) -> int:
        """The parameters NASS adds to its backbone with noise output (the projector's)."""
        return sum(p.numel() for p in self.contrast.parameters())

    def contrastive_loss(self, batch: Batch, side: Dict[str, torch.Tensor], perm: torch.Tensor) -> torch.Tensor:
        """``[B]``: PatchNCE of each speaker's masked features against its true source's encoding, the noise
        output's features as negatives, averaged over the speakers."""
        b, s, t = len(batch), self.n_spk, batch.refs.shape[-1]
        masked, flens = side["masked"], side["feature_lengths"]  # [B, S + 1, L, N]
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.detach_positive):
            true, _ = self.frontend.encode(batch.refs[:, :s].reshape(b * s, t), batch.lengths.repeat_interleave(s))
        true = true.view(b, s, *true.shape[1:])
        if true.shape[2] != masked.shape[2]:
            raise ValueError(f"the encoder gives {true.shape[2]} frames for the sources but {masked.shape[2]} for "
                             "the mixture; NASS needs one frame grid")
        idx = self.contrast.sample(flens)  # the same positions for every speaker and the noise
        noise = masked[:, -1]
        per_speaker = [self.contrast(masked[torch.arange(b), perm[:, k]], true[:, k], noise, flens, idx)
                       for k in range(s)]
        return torch.stack(per_speaker, 0).mean(0)

    def losses(self, batch: Batch) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, float]]:
        est, side = self.separate(batch, side=True)
        loss, perm, stats = self.separation_loss(batch, est)
        contrast = self.contrastive_loss(batch, side, perm)
        stats["contrast_loss"] = float(contrast.detach().mean())
        return loss + self.contrast_weight * contrast, est, stats
