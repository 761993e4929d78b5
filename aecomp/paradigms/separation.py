"""Speech separation: a mask-based separator trained with permutation-invariant training (PIT)."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch

from aecomp.data.dataset import Batch, DatasetError
from aecomp.losses.pit import pit
from aecomp.metrics.signal import batch_signal_counts, summarize_signal
from aecomp.paradigms.base import Inference, Paradigm, Phase
from aecomp.registry import register


@register("paradigm", "separation")
class Separation(Paradigm):
    """A separator trained alone on a PIT signal loss; with ``noise_output`` the noise is one more output.

    The front-end maps ``noisy [B, T]`` to ``[B, n_spk, T]``, or with ``noise_output`` to
    ``[B, n_spk + 1, T]``, the noise last (its ``separator_conf.num_spk`` must say so). The batch's
    references ``refs [B, S, T]`` hold the ``n_spk`` speakers, then the noise (``noise1.scp``).

    Loss per sample: the signal loss (default negative SI-SNR) at the best speaker order (PIT over the
    speakers), and with ``noise_output`` the loss of the noise output against the true noise (a fixed
    slot, never permuted), weighted ``noise_weight``: ``(sum over speakers + noise_weight * noise) /
    (n_spk + noise_weight)`` (1: the mean over every source, as PIT over ``n_spk + 1`` sources with the
    noise held in place). Inference and scoring use the speakers only: the noise output is dropped.
    """

    def __init__(self, frontend, downstream, n_spk: int = 2, noise_output: bool = False, noise_weight: float = 1.0,
                 epochs: int = 20, signal_loss="si_snr", **common):
        super().__init__(frontend, downstream, signal_loss=signal_loss, **common)
        if n_spk < 1 or noise_weight < 0 or epochs < 1:
            raise ValueError(f"separation needs n_spk >= 1, noise_weight >= 0 and epochs >= 1; got n_spk={n_spk}, "
                             f"noise_weight={noise_weight}, epochs={epochs}")
        self.n_spk, self.noise_output, self.noise_weight, self.epochs = n_spk, bool(noise_output), noise_weight, epochs

    def references(self) -> Tuple[int, bool]:
        return self.n_spk, self.noise_output

    @property
    def n_outputs(self) -> int:
        return self.n_spk + int(self.noise_output)

    def phases(self) -> List[Phase]:
        return [Phase("separation", self.epochs, train=tuple(p for p in self.parts() if p != "downstream"),
                      signal_weight=1.0, task_weight=0.0)]

    # -- steps ------------------------------------------------------------------------
    def separate(self, batch: Batch, side: bool = False) -> Tuple[torch.Tensor, Optional[Dict[str, torch.Tensor]]]:
        """``(estimates [B, n_outputs, T], side outputs or None)``; a front-end with another number of
        outputs is an error naming the setting."""
        if side:
            est, extra = self.frontend.forward_with_side(batch.noisy, batch.lengths)
        else:
            est, extra = self.frontend(batch.noisy, batch.lengths), None
        est = est if est.dim() == 3 else est[:, None]
        if est.shape[1] != self.n_outputs:
            raise ValueError(f"the front-end gives {est.shape[1]} output(s); separation of {self.n_spk} speaker(s)"
                             f"{' plus the noise' if self.noise_output else ''} needs {self.n_outputs}: set its "
                             f"separator_conf.num_spk to {self.n_outputs}")
        return est, extra

    def check_references(self, batch: Batch) -> None:
        if batch.n_speakers != self.n_spk:
            raise DatasetError(f"the data has {batch.n_speakers} speech reference(s) (spk<k>.scp) but the paradigm "
                               f"separates {self.n_spk} (paradigm.conf.n_spk)")
        if self.noise_output and not batch.has_noise:
            raise DatasetError("paradigm.conf.noise_output needs the noise as a reference: noise1.scp in every "
                               "training and validation data dir")

    def separation_loss(self, batch: Batch, est: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, float]]:
        """``(loss [B], perm [B, n_spk], stats)``: the PIT loss over the speakers (``perm[b, s]`` the output
        paired with speaker ``s``), with the noise output's term when there is one."""
        self.check_references(batch)
        b = len(batch)

        def pair_loss(e, r, lengths):
            return self.signal_loss(e, r, batch.noisy.repeat_interleave(e.shape[0] // b, 0), lengths)

        speech, perm = pit(pair_loss, est[:, :self.n_spk], batch.refs[:, :self.n_spk], batch.lengths)
        stats = {"speech_loss": float(speech.detach().mean())}
        loss = speech
        if self.noise_output:
            noise = self.signal_loss(est[:, -1], batch.refs[:, -1], batch.noisy, batch.lengths)
            stats["noise_loss"] = float(noise.detach().mean())
            loss = (self.n_spk * speech + self.noise_weight * noise) / (self.n_spk + self.noise_weight)
        stats["signal_loss"] = float(loss.detach().mean())
        return loss, perm, stats

    def losses(self, batch: Batch) -> Tuple[torch.Tensor, torch.Tensor, Dict[str, float]]:
        """``(total loss [B], estimates [B, n_outputs, T], stats)`` of one batch (stats: ``signal_loss``, the
        separation loss, and its parts); a subclass adds terms."""
        est, _ = self.separate(batch)
        loss, _, stats = self.separation_loss(batch, est)
        return loss, est, stats

    def train_step(self, batch: Batch, phase: Phase) -> Tuple[torch.Tensor, Dict[str, float]]:
        loss, _, stats = self.losses(batch)
        return loss.mean(), stats

    @torch.no_grad()
    def valid_step(self, batch: Batch, phase: Phase) -> Dict[str, float]:
        loss, est, stats = self.losses(batch)
        counts = {"n": float(len(batch)), "loss_sum": float(loss.sum())}
        counts.update({f"{k}_sum": v * len(batch) for k, v in stats.items()})  # the batch means, as sums
        counts.update(batch_signal_counts(batch, est[:, :self.n_spk]))
        return counts

    def summarize_valid(self, counts: Dict[str, float]) -> Dict[str, float]:
        n = max(counts.get("n", 0.0), 1.0)
        out = {k[:-4]: v / n for k, v in counts.items() if k == "loss_sum" or k.endswith("_loss_sum")}
        out.update(summarize_signal(counts))
        return out

    @torch.no_grad()
    def infer(self, batch: Batch) -> Inference:
        """The separated speakers ``[B, n_spk, T]`` (the noise output dropped); nothing to decode."""
        est, _ = self.separate(batch)
        return Inference(None, est[:, :self.n_spk])
