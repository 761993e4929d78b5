"""Signal metrics of estimated sources against their references, as additive counts.

Per sample (the mean over its speakers, paired by permutation-invariant SI-SNR when there are several):
``si_snr``, ``sdr`` (BSS Eval's SDR: the target is the estimate's projection on 512-tap filters of the
reference), their improvements over the mixture ``si_snri``, ``sdri``, and with ``extended`` ``pesq``
(wide band at 16 kHz, narrow band at 8 kHz; other rates are resampled to 16 kHz) and ``stoi``.
Validation and evaluation both sum :func:`signal_counts` over batches (and ranks) and read them
with :func:`summarize_signal`.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

import numpy as np
import torch

if TYPE_CHECKING:
    from aecomp.data.dataset import Batch

from aecomp.frontends.base import length_mask
from aecomp.losses.pit import pit
from aecomp.losses.signal import si_snr

METRICS = ("si_snr", "si_snri", "sdr", "sdri")
EXTENDED = ("pesq", "stoi")
EPS = 1e-10


def sdr(est: torch.Tensor, ref: torch.Tensor, lengths: torch.Tensor, filter_length: int = 512) -> torch.Tensor:
    """BSS Eval's signal-to-distortion ratio in dB, ``[N, T], [N, T], [N] -> [N]`` (computed in float64):
    the part of ``est`` that a ``filter_length``-tap filter of ``ref`` explains is the target.
    NaN for a silent reference."""
    mask = length_mask(lengths, est.shape[-1]).double()
    est, ref = est.double() * mask, ref.double() * mask
    est = est / (est.norm(dim=-1, keepdim=True) + EPS)
    ref = ref / (ref.norm(dim=-1, keepdim=True) + EPS)
    n_fft = 2 ** math.ceil(math.log2(est.shape[-1] + filter_length - 1))
    spec_ref, spec_est = torch.fft.rfft(ref, n_fft), torch.fft.rfft(est, n_fft)
    acf = torch.fft.irfft(spec_ref.abs().pow(2), n_fft)[:, :filter_length]  # [N, L]
    xcorr = torch.fft.irfft(spec_ref.conj() * spec_est, n_fft)[:, :filter_length]  # [N, L]
    silent = acf[:, 0] == 0
    acf[silent, 0] = 1.0  # any solvable system: the value is NaN
    coherence = (xcorr * solve_toeplitz(acf, xcorr)).sum(-1)  # the target's energy (|est| = 1)
    out = 10 * torch.log10((coherence + EPS) / (1 - coherence + EPS))
    return out.masked_fill(silent, float("nan"))


def solve_toeplitz(r: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``x`` with ``T x = y`` for the symmetric positive definite Toeplitz matrices ``T`` of first column
    ``r``: ``[N, L], [N, L] -> [N, L]``, by Levinson's recursion (O(L^2), where a general solver is O(L^3))."""
    length = r.shape[-1]
    r_rev = r.flip(-1)
    forward, x = torch.zeros_like(r), torch.zeros_like(r)  # T_n forward = e_1; T_n x = y[:n]
    forward[:, 0], x[:, 0] = 1 / r[:, 0], y[:, 0] / r[:, 0]
    for n in range(1, length):
        row = r_rev[:, length - 1 - n:length - 1]  # r[n], ..., r[1]: the new row of T_{n+1}
        err_f = (row * forward[:, :n]).sum(-1, keepdim=True)
        err_x = (row * x[:, :n]).sum(-1, keepdim=True)
        backward = forward[:, :n].flip(-1)
        forward[:, 1:n + 1] -= err_f * backward
        forward[:, :n + 1] /= 1 - err_f ** 2
        x[:, :n + 1] += (y[:, n:n + 1] - err_x) * forward[:, :n + 1].flip(-1)
    return x


def _neg_si_snr(est, ref, lengths):
    return -si_snr(est, ref, lengths)


#: the metrics whose improvement over the input is reported (``<name>i``), and so need the input's value
FROM_INPUT = (("si_snr", si_snr), ("sdr", sdr))


@torch.no_grad()
def input_values(refs: torch.Tensor, mix: torch.Tensor, lengths: torch.Tensor) -> Dict[str, torch.Tensor]:
    """The input's own SI-SNR and SDR against each reference, ``refs [B, S, T], mix [B, T], lengths [B] ->
    name -> [B, S]``: what :func:`signal_metrics` measures improvements from. They depend on the data alone,
    not on the system scored (evaluation computes them once per set: :mod:`aecomp.metrics.input_cache`)."""
    b, s, t = refs.shape
    flat_mix, flat_len = mix.float().repeat_interleave(s, 0), lengths.repeat_interleave(s)
    flat_ref = refs.reshape(b * s, t).float()
    return {name: fn(flat_mix, flat_ref, flat_len).view(b, s) for name, fn in FROM_INPUT}


@torch.no_grad()
def signal_metrics(est: torch.Tensor, refs: torch.Tensor, mix: torch.Tensor, lengths: torch.Tensor,
                   extended: bool = False, sample_rate: int = 16000,
                   inputs: Optional[Dict[str, torch.Tensor]] = None) -> Dict[str, torch.Tensor]:
    """Per-sample metrics ``name -> [B]`` (:data:`METRICS`, and :data:`EXTENDED` with ``extended``).

    ``est``, ``refs``: ``[B, T]`` or ``[B, S, T]`` speech sources (no noise); ``mix [B, T]`` the input;
    ``lengths [B]``. With ``S > 1`` the estimates are paired with the references by PIT on SI-SNR and
    every value is the mean over the speakers. A value that cannot be computed (a silent reference; PESQ
    or STOI on too little speech) is NaN. ``inputs``: the input's values, :func:`input_values` of ``refs,
    mix, lengths`` computed earlier (``name -> [B, S]``); without them they are computed here.
    """
    if est.dim() == 2:
        est, refs = est[:, None], refs[:, None] if refs.dim() == 2 else refs
    if est.shape != refs.shape:
        raise ValueError(f"estimate {tuple(est.shape)} and references {tuple(refs.shape)} differ in shape")
    b, s, t = est.shape
    if s > 1:
        _, perm = pit(_neg_si_snr, est, refs, lengths)
        est = est.gather(1, perm[..., None].expand(b, s, t))
    flat_est, flat_ref = est.reshape(b * s, t).float(), refs.reshape(b * s, t).float()
    flat_mix, flat_len = mix.float().repeat_interleave(s, 0), lengths.repeat_interleave(s)
    out = {}
    unchanged = torch.equal(flat_est, flat_mix)  # e.g. the identity front-end
    for name, fn in FROM_INPUT:
        if inputs is not None:  # the estimate's value alone (none for an unchanged input)
            value_in = inputs[name].reshape(b * s).to(flat_est.device)
            if unchanged:
                value = value_in
            else:
                value = fn(flat_est, flat_ref, flat_len)
                value_in = value_in.to(value.dtype)  # as computed in one call with the estimate
        elif unchanged:  # the input's value, and no improvement
            value = value_in = fn(flat_est, flat_ref, flat_len)
        else:  # the estimate and the input in one call (one Levinson recursion for SDR)
            value, value_in = fn(torch.cat([flat_est, flat_mix]), flat_ref.repeat(2, 1), flat_len.repeat(2)).split(b * s)
        out[name] = value.view(b, s).mean(-1).float()
        out[f"{name}i"] = (value - value_in).view(b, s).mean(-1).float()
    if extended:
        est_np, ref_np = flat_est.cpu().numpy(), flat_ref.cpu().numpy()
        n = flat_len.tolist()
        for name, fn in (("pesq", _pesq), ("stoi", _stoi)):
            values = [fn(ref_np[i, :n[i]], est_np[i, :n[i]], sample_rate) if ref_np[i].any() else float("nan")
                      for i in range(b * s)]  # a silent reference has no quality to measure
            out[name] = torch.tensor(values, dtype=torch.float32).view(b, s).mean(-1)
    return out


def _pesq(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """ITU-T P.862 PESQ (MOS-LQO), NaN where it cannot be computed."""
    from pesq import pesq

    if sample_rate not in (8000, 16000):
        from aecomp.audio.io import resample

        ref, est, sample_rate = resample(ref, sample_rate, 16000), resample(est, sample_rate, 16000), 16000
    try:
        return float(pesq(sample_rate, ref, est, "wb" if sample_rate == 16000 else "nb"))
    except Exception:  # pesq's errors (no utterance found, ...) make this one value unknown, not the set
        return float("nan")


def _stoi(ref: np.ndarray, est: np.ndarray, sample_rate: int) -> float:
    """Short-time objective intelligibility, NaN where too few speech frames remain (pystoi would
    return 1e-5 with a warning)."""
    from pystoi import stoi

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return float(stoi(ref, est, sample_rate))
        except (Warning, ValueError):
            return float("nan")


def batch_signal_counts(batch: "Batch", estimate: torch.Tensor, extended: bool = False,
                        sample_rate: int = 16000) -> Dict[str, float]:
    """:func:`signal_counts` of ``estimate`` (``[B, T]``, or ``[B, S, T]`` with the speakers first) against
    the speech references of ``batch``, over the examples whose input is not their reference. A
    single estimate is scored against the first speaker."""
    return signal_counts(*batch_signal_values(batch, estimate, extended, sample_rate))


def batch_signal_values(batch: "Batch", estimate: torch.Tensor, extended: bool = False, sample_rate: int = 16000,
                        inputs_of: Optional[Callable[["Batch", int], Dict[str, torch.Tensor]]] = None
                        ) -> Tuple[Dict[str, torch.Tensor], torch.Tensor]:
    """``(values, keep)``: the per-sample :func:`signal_metrics` ``name -> [B]`` of ``estimate`` (as in
    :func:`batch_signal_counts`) and ``keep [B]``, the examples whose input is not their reference (a
    batch with none is not computed: every value NaN). ``inputs_of(batch, n)``: the input's values against
    the first ``n`` references (``name -> [B, n]``, e.g. from :class:`aecomp.metrics.input_cache.InputMetricsCache`)
    instead of computing them here."""
    est = estimate if estimate.dim() == 3 else estimate[:, None]
    n = 1 if est.shape[1] == 1 else batch.n_speakers
    if est.shape[1] < n:
        raise ValueError(f"{est.shape[1]} estimated sources for {n} speakers")
    keep = differs(batch.noisy, batch.clean, batch.lengths)
    if not keep.any():  # a clean set: nothing would be counted
        nan = torch.full((len(keep),), float("nan"))
        return {name: nan for name in METRICS + (EXTENDED if extended else ())}, keep
    inputs = inputs_of(batch, n) if inputs_of is not None else None
    values = signal_metrics(est[:, :n], batch.refs[:, :n], batch.noisy, batch.lengths, extended, sample_rate, inputs)
    return values, keep


def differs(mix: torch.Tensor, ref: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``[B]`` bool: the input ``mix [B, T]`` is not its reference ``ref [B, T]`` (a clean example's
    SI-SNR is unbounded and would swamp any mean)."""
    mask = length_mask(lengths, mix.shape[-1])
    return ((mix - ref).abs() * mask).amax(-1) > 0


def signal_counts(values: Dict[str, torch.Tensor], keep: Optional[torch.Tensor] = None) -> Dict[str, float]:
    """Additive counts of per-sample ``values`` (over the samples where ``keep [B]``): ``<name>_sum`` and
    ``<name>_n`` (finite values only), and ``signal_n``, the samples kept."""
    first = next(iter(values.values()))
    keep = torch.ones_like(first, dtype=torch.bool) if keep is None else keep.to(first.device)
    counts = {"signal_n": float(keep.sum())}
    for name, v in values.items():
        ok = keep & torch.isfinite(v)
        counts[f"{name}_sum"], counts[f"{name}_n"] = float(v[ok].sum()), float(ok.sum())
    return counts


def summarize_signal(counts: Dict[str, float]) -> Dict[str, float]:
    """The mean of every metric in ``counts`` (NaN where no sample had a value)."""
    out = {}
    for name in METRICS + EXTENDED:
        if f"{name}_n" in counts:
            n = counts[f"{name}_n"]
            out[name] = counts[f"{name}_sum"] / n if n else float("nan")
    return out
