"""Signal metrics (aecomp/metrics/signal.py), checked against fast-bss-eval, torchmetrics, pesq and pystoi."""

from __future__ import annotations

import math

import fast_bss_eval
import numpy as np
import pytest
import torch
from torchmetrics.functional.audio import scale_invariant_signal_noise_ratio

from aecomp.losses.signal import si_snr
from aecomp.metrics.signal import differs, sdr, signal_counts, signal_metrics, summarize_signal


def speechlike(t, seed, sr=16000):
    """A voiced, amplitude-modulated harmonic signal ``[t]`` (PESQ and STOI need speech-like input)."""
    rng = np.random.default_rng(seed)
    n = np.arange(t) / sr
    f0 = 110 + 40 * rng.random()
    x = sum(np.sin(2 * np.pi * k * f0 * n + rng.random() * 6) / k for k in range(1, 20))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3 * n + rng.random() * 6)) ** 2
    return (0.1 * x * envelope).astype(np.float32)


def pair(t=16000, seed=0):
    rng = np.random.default_rng(seed)
    ref = torch.from_numpy(speechlike(t, seed))
    # filtered and noisy: SDR (which forgives a filter) and SI-SNR differ
    est = ref + 0.4 * torch.roll(ref, 3) + torch.from_numpy(0.02 * rng.standard_normal(t).astype(np.float32))
    return est, ref


def test_si_snr_matches_fast_bss_eval_and_torchmetrics():
    est, ref = pair()
    ours = float(si_snr(est[None].double(), ref[None].double(), torch.tensor([16000])))
    theirs = float(fast_bss_eval.si_sdr(ref[None].double(), est[None].double(), zero_mean=True))
    tm = float(scale_invariant_signal_noise_ratio(est.double(), ref.double()))
    assert abs(ours - theirs) < 1e-3 and abs(ours - tm) < 1e-3


def test_sdr_matches_fast_bss_eval_and_differs_from_si_snr():
    est, ref = pair()
    ours = float(sdr(est[None], ref[None], torch.tensor([16000])))
    theirs = float(fast_bss_eval.sdr(ref[None].double(), est[None].double()))
    assert abs(ours - theirs) < 1e-2
    assert ours > float(si_snr(est[None], ref[None], torch.tensor([16000]))) + 2  # the filter is forgiven


def test_padding_does_not_change_a_value():
    est, ref = pair(12000)
    pad = torch.zeros(4000)
    batch_est, batch_ref = torch.stack([torch.cat([est, pad]), pair(16000, 1)[0]]), \
        torch.stack([torch.cat([ref, pad]), pair(16000, 1)[1]])
    lengths = torch.tensor([12000, 16000])
    alone = float(fast_bss_eval.sdr(ref[None].double(), est[None].double()))
    assert abs(float(sdr(batch_est, batch_ref, lengths)[0]) - alone) < 1e-2
    batch_est[0, 12000:] = 1.0  # beyond the length: ignored
    assert abs(float(sdr(batch_est, batch_ref, lengths)[0]) - alone) < 1e-2


def test_improvements_are_over_the_mixture():
    est, ref = pair()
    mix = ref + torch.from_numpy(speechlike(16000, 7))
    values = signal_metrics(est[None], ref[None], mix[None], torch.tensor([16000]))
    lengths = torch.tensor([16000])
    assert abs(float(values["si_snri"]) - float(si_snr(est[None], ref[None], lengths)
                                                - si_snr(mix[None], ref[None], lengths))) < 1e-3
    assert abs(float(values["sdri"]) - float(sdr(est[None], ref[None], lengths)
                                             - sdr(mix[None], ref[None], lengths))) < 1e-3


def test_an_unchanged_input_has_the_inputs_values_and_no_improvement():
    (est, ref), (other, _) = pair(), pair(seed=3)
    lengths = torch.tensor([16000, 16000])
    mix, refs = torch.stack([est, other]), torch.stack([ref, ref])
    values = signal_metrics(mix.clone(), refs, mix, lengths)  # an identity front-end's output
    assert values["si_snri"].tolist() == [0.0, 0.0] and values["sdri"].tolist() == [0.0, 0.0]
    assert values["sdr"].tolist() == pytest.approx(sdr(mix, refs, lengths).tolist(), abs=1e-4)
    assert values["si_snr"].tolist() == pytest.approx(si_snr(mix, refs, lengths).tolist(), abs=1e-4)


def test_two_speakers_are_paired_by_pit():
    (e1, r1), (e2, r2) = pair(seed=0), pair(seed=1)
    refs = torch.stack([r1, r2])[None]
    mix = r1 + r2
    lengths = torch.tensor([16000])
    right = signal_metrics(torch.stack([e1, e2])[None], refs, mix[None], lengths)
    swapped = signal_metrics(torch.stack([e2, e1])[None], refs, mix[None], lengths)
    for name in right:
        assert abs(float(right[name]) - float(swapped[name])) < 1e-4
    both = float(fast_bss_eval.sdr(refs[0].double(), torch.stack([e2, e1]).double()).mean())  # it permutes too
    assert abs(float(right["sdr"]) - both) < 1e-2


@pytest.mark.parametrize("sample_rate,mode", [(16000, "wb"), (8000, "nb")])
def test_pesq_and_stoi_are_the_libraries_values(sample_rate, mode):
    from pesq import pesq
    from pystoi import stoi

    est, ref = pair(2 * sample_rate)
    mix = ref + 0.1 * torch.randn(2 * sample_rate, generator=torch.Generator().manual_seed(0))
    values = signal_metrics(est[None], ref[None], mix[None], torch.tensor([2 * sample_rate]), extended=True,
                            sample_rate=sample_rate)
    assert float(values["pesq"]) == pytest.approx(pesq(sample_rate, ref.numpy(), est.numpy(), mode), abs=1e-4)
    assert float(values["stoi"]) == pytest.approx(stoi(ref.numpy(), est.numpy(), sample_rate), abs=1e-4)
    assert 1.0 < float(values["pesq"]) < 4.7 and 0.5 < float(values["stoi"]) <= 1.0


def test_silence_gives_nan_and_is_left_out_of_the_counts():
    est, ref = pair(16000)
    est2 = torch.stack([est, torch.zeros(16000)])
    ref2 = torch.stack([ref, torch.zeros(16000)])
    values = signal_metrics(est2, ref2, est2, torch.tensor([16000, 16000]), extended=True)
    assert math.isnan(float(values["pesq"][1])) and math.isnan(float(values["stoi"][1]))
    counts = signal_counts(values)
    assert counts["pesq_n"] == 1 and counts["signal_n"] == 2
    assert summarize_signal(counts)["pesq"] == pytest.approx(float(values["pesq"][0]))


def test_counts_add_over_batches_and_clean_inputs_are_left_out():
    est, ref = pair()
    lengths = torch.tensor([16000, 16000])
    mix = torch.stack([ref + 0.1, ref])  # the second input is its reference
    keep = differs(mix, torch.stack([ref, ref]), lengths)
    assert keep.tolist() == [True, False]
    values = signal_metrics(torch.stack([est, est]), torch.stack([ref, ref]), mix, lengths)
    a, b = signal_counts(values, keep), signal_counts(values, keep)
    total = {k: a[k] + b[k] for k in a}
    assert total["signal_n"] == 2 and total["si_snr_n"] == 2
    assert summarize_signal(total)["si_snri"] == pytest.approx(float(values["si_snri"][0]), abs=1e-5)


def test_a_batch_is_scored_on_its_speakers_not_its_noise():
    from aecomp.data.dataset import Batch
    from aecomp.metrics.signal import batch_signal_counts

    (e1, r1), (e2, r2) = pair(seed=0), pair(seed=1)
    noise = torch.from_numpy(speechlike(16000, 5))
    refs = torch.stack([r1, r2, noise])[None]
    b = Batch(["u"], [""], ["u"], refs.sum(1), refs, torch.tensor([16000]), torch.zeros(1, 1, dtype=torch.long),
              torch.ones(1, dtype=torch.long), torch.zeros(1), has_noise=True)
    assert b.n_speakers == 2
    swapped = batch_signal_counts(b, torch.stack([e2, e1])[None])
    expected = signal_metrics(torch.stack([e1, e2])[None], refs[:, :2], b.noisy, b.lengths)
    assert summarize_signal(swapped) == pytest.approx({k: float(v) for k, v in expected.items()}, abs=1e-4)
    with pytest.raises(ValueError, match="2 estimated sources for 3 speakers"):
        batch_signal_counts(Batch(["u"], [""], ["u"], b.noisy, torch.stack([r1, r2, noise])[None],
                                  b.lengths, b.targets, b.target_lengths, b.snr), torch.stack([e2, e1])[None])
    single = batch_signal_counts(b, e1[None])  # one estimate: scored against the first speaker
    assert summarize_signal(single)["si_snr"] == pytest.approx(float(si_snr(e1[None], r1[None], b.lengths)), abs=1e-4)


def test_levinson_solves_toeplitz_systems_like_a_general_solver():
    from aecomp.metrics.signal import solve_toeplitz

    x = torch.randn(3, 4000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x[:, 1:] += 0.9 * x[:, :-1].clone()  # correlated: a harder system than white noise
    r = torch.stack([(x[:, :4000 - k] * x[:, k:]).sum(-1) for k in range(64)], -1)  # autocorrelation [3, 64]
    lag = torch.arange(64)
    y = torch.randn(3, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    expected = torch.linalg.solve(r[:, (lag[:, None] - lag[None, :]).abs()], y)
    assert torch.allclose(solve_toeplitz(r, y), expected, rtol=1e-8, atol=1e-12)


def test_the_inputs_values_given_change_no_metric():
    """Evaluation passes the input's values computed once per set (input_values); the metrics must be those
    computed in one call, for one speaker and for two paired by PIT."""
    from aecomp.metrics.signal import input_values

    (e1, r1), (e2, r2) = pair(seed=0), pair(seed=1)
    lengths = torch.tensor([16000, 12000])
    mix = torch.stack([r1 + 0.3 * r2, r2 + 0.3 * r1])
    for est, refs in ((torch.stack([e1, e2]), torch.stack([r1, r2])[:, None]),
                      (torch.stack([e1, e2])[None].repeat(2, 1, 1), torch.stack([r1, r2])[None].repeat(2, 1, 1))):
        inputs = input_values(refs, mix, lengths)
        assert inputs["sdr"].shape == refs.shape[:2]
        plain = signal_metrics(est, refs, mix, lengths)
        given = signal_metrics(est, refs, mix, lengths, inputs=inputs)
        assert set(given) == set(plain)
        for name in plain:
            assert given[name].tolist() == pytest.approx(plain[name].tolist(), abs=1e-4), name
        assert plain["sdri"].abs().min() > 0.1  # the inputs' values were used, not the estimates'
        identity = signal_metrics(mix.clone() if refs.shape[1] == 1 else mix[:, None].repeat(1, 2, 1), refs, mix,
                                  lengths, inputs=inputs)
        assert identity["sdri"].tolist() == [0.0, 0.0]
        assert identity["sdr"].tolist() == pytest.approx(inputs["sdr"].mean(-1).tolist(), abs=1e-5)


def test_a_batch_of_clean_inputs_is_not_computed():
    from aecomp.data.dataset import Batch
    from aecomp.metrics.signal import batch_signal_values

    est, ref = pair()
    b = Batch(["u"], [""], ["u"], ref[None].clone(), ref[None], torch.tensor([16000]),
              torch.zeros(1, 1, dtype=torch.long), torch.ones(1, dtype=torch.long), torch.zeros(1))
    called = []
    values, keep = batch_signal_values(b, est[None], extended=True, inputs_of=lambda *a: called.append(a))
    assert keep.tolist() == [False] and not called
    assert sorted(values) == sorted(["si_snr", "si_snri", "sdr", "sdri", "pesq", "stoi"])
    counts = signal_counts(values, keep)
    assert counts["signal_n"] == 0 and counts["sdr_n"] == 0 and math.isnan(summarize_signal(counts)["sdr"])
