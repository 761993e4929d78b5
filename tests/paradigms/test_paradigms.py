"""Training paradigms: what each phase trains, schedules, importance in the AE phase (aecomp/paradigms/)."""

from __future__ import annotations

import pytest
import torch

from aecomp import registry
from aecomp.losses.importance import importance_weights
from aecomp.paradigms.fixed_frontend import ParadigmConfigError
from conftest import batch, tiny


def system(paradigm, frontend="unet", **conf):
    fe = tiny("frontend", frontend, **({"channels": [2, 4]} if frontend == "unet" else {}))
    ds = tiny("downstream", "kws_cnn", channels=[2, 4], time_steps=2)
    return registry.build("paradigm", {"name": paradigm, "conf": conf}, frontend=fe, downstream=ds)


def test_schedules():
    assert [p.name for p in system("cascade", ae_epochs=2, ca_epochs=1).schedule()] == ["ae", "ae", "ca"]
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=2, ae_phase_epochs=1, ca_phase_epochs=1)
    names = [p.name for p in it.schedule()]
    assert names == ["ae", "ca", "round1-ae", "round1-ca", "round2-ae", "round2-ca"]
    assert it.schedule()[2].importance == "softmax" and it.schedule()[2].task_weight == 0.0
    # a fixed front-end has nothing to train: front-end-only phases are dropped
    assert [p.name for p in system("cascade", frontend="wiener", ae_epochs=2, ca_epochs=1).schedule()] == ["ca"]


def test_paradigms_that_never_train_the_frontend_refuse_a_trainable_one():
    with pytest.raises(ParadigmConfigError, match="would stay untrained"):
        system("noisy")
    assert system("noisy", frontend="wiener").schedule()[0].task_input == "enhanced"


def test_iterative_ae_phase_trains_only_the_frontend_through_the_frozen_recogniser():
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1,
                task_weight=1.0)
    phase = it.schedule()[2]
    it.configure(phase)
    assert it.frontend.training and not it.downstream.training
    loss, stats = it.train_step(batch(), phase)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in it.frontend.parameters())
    assert all(p.grad is None for p in it.downstream.parameters())
    assert stats["weight_max"] > 1.0 and "task_loss" in stats and "signal_loss" in stats


def test_importance_only_ae_phase_weights_the_signal_loss():
    it = system("iterative", ae_epochs=0, ca_epochs=0, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1)
    phase = it.schedule()[0]
    assert phase.task_weight == 0.0 and phase.importance == "softmax"
    it.configure(phase)
    b = batch()
    loss, stats = it.train_step(b, phase)
    with torch.no_grad():
        enhanced = it.frontend(b.noisy, b.lengths)
        task = it.downstream(enhanced, b.lengths, b.targets, b.target_lengths)
        sig = it.signal_loss(enhanced, b.clean, b.noisy, b.lengths)
    expected = (importance_weights(task, "softmax", 1.0) * sig).mean()
    assert torch.allclose(loss.detach(), expected, atol=1e-6)
    loss.backward()
    assert all(p.grad is not None for p in it.frontend.parameters())
    assert all(p.grad is None for p in it.downstream.parameters())


def test_ca_phase_trains_only_the_recogniser():
    it = system("iterative", ae_epochs=1, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1)
    phase = it.schedule()[1]
    it.configure(phase)
    loss, _ = it.train_step(batch(), phase)
    loss.backward()
    assert all(p.grad is None for p in it.frontend.parameters())
    assert any(p.grad is not None for p in it.downstream.parameters())


def test_valid_step_counts():
    s = system("joint", ae_epochs=1, joint_epochs=1)
    counts = s.valid_step(batch(), s.schedule()[1])
    metrics = s.summarize_valid(counts)
    assert counts["n"] == 3 and counts["total"] == 3 and 0 <= metrics["acc"] <= 1
    assert {"si_snr", "si_snri", "sdr", "sdri"} <= set(metrics) and "pesq" not in metrics


def test_valid_signal_metrics_leave_out_clean_inputs_and_add_over_batches():
    s = system("joint", ae_epochs=1, joint_epochs=1)
    phase = s.schedule()[1]
    b = batch()
    b.noisy[1] = b.clean[1]  # a clean example: its unbounded SI-SNR would swamp the mean
    one = s.valid_step(b, phase)
    assert one["signal_n"] == 2 and one["si_snr_n"] == 2
    twice, once = (s.summarize_valid({k: m * v for k, v in one.items()}) for m in (2, 1))
    assert twice.pop("total") == 2 * once.pop("total") and twice == pytest.approx(once)  # means stay means
    enhanced = s.frontend(b.noisy, b.lengths)
    from aecomp.losses.signal import si_snr

    keep = [0, 2]
    expected = (si_snr(enhanced, b.clean, b.lengths) - si_snr(b.noisy, b.clean, b.lengths))[keep].mean()
    assert s.summarize_valid(one)["si_snri"] == pytest.approx(float(expected), abs=1e-4)


def test_infer_gives_the_hypotheses_and_the_estimate():
    s = system("joint", ae_epochs=1, joint_epochs=1).eval()
    b = batch()
    out = s.infer(b)
    assert torch.allclose(out.estimate, s.frontend(b.noisy, b.lengths))
    assert out.hyps == s.downstream.decode(out.estimate, b.lengths) and len(out.hyps) == 3


def test_metrics_are_declared_by_the_downstream_model():
    s = system("joint", ae_epochs=1, joint_epochs=1)
    assert [m._asdict() for m in s.metrics] == [{"name": "acc", "mode": "max"}]
    assert (s.metric, s.metric_mode) == ("acc", "max")
    fe = tiny("frontend", "unet", channels=[2, 4])
    enh = registry.build("paradigm", {"name": "cascade", "conf": {"ae_epochs": 1, "ca_epochs": 0}}, frontend=fe,
                         downstream=tiny("downstream", "none"))
    assert [m.name for m in enh.metrics] == ["si_snri", "sdri"] and enh.metric_mode == "max"
    assert enh.infer(batch()).hyps is None  # no task model: nothing decoded
    assert "si_snri" in enh.summarize_valid(enh.valid_step(batch(), enh.schedule()[0]))


def test_ca_importance_weights_the_recogniser_loss_of_the_rounds():
    plain = system("iterative", ae_epochs=0, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1)
    it = system("iterative", ae_epochs=0, ca_epochs=1, rounds=1, ae_phase_epochs=1, ca_phase_epochs=1,
                ca_importance=True, temperature=2.0)
    warmup, round_ca = it.schedule()[0], it.schedule()[2]
    assert round_ca.name == "round1-ca" and round_ca.importance == "softmax" and round_ca.temperature == 2.0
    assert warmup.importance is None and plain.schedule()[2].importance is None  # warm-up and default: unweighted
    it.configure(round_ca)
    b = batch()
    torch.manual_seed(0)  # the same dropout draws in the step and in the check
    loss, stats = it.train_step(b, round_ca)
    torch.manual_seed(0)
    with torch.no_grad():
        task = it.downstream(it.frontend(b.noisy, b.lengths), b.lengths, b.targets, b.target_lengths)
    assert torch.allclose(loss.detach(), (importance_weights(task, "softmax", 2.0) * task).mean(), atol=1e-5)
    assert not torch.allclose(loss.detach(), task.mean(), atol=1e-5) and stats["weight_max"] > 1.0
