"""The trainer: exact resume, stop on request, best checkpoints, kept epochs, non-finite losses, safe checkpoint files."""

from __future__ import annotations

import copy
import json

import errno

import pytest
import torch

from aecomp.config import config_from_dict
from aecomp.data.datadir import DataDir
from aecomp.data.dataset import AudioDataset, NoiseBank
from aecomp.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from aecomp.train.system import build_paradigm, prepare_vocabulary
from aecomp.train.trainer import Preempted, Trainer, TrainingError


def make_trainer(mini_data, out_dir, paradigm=None, downstream_pretrained=False, **trainer_conf):
    cfg = config_from_dict({
        "frontend": {"name": "unet", "conf": {"channels": [2, 2]}},
        "downstream": {"name": "kws_cnn", "conf": {"channels": [2, 4], "time_steps": 2, "dropout": 0.3}},
        "paradigm": paradigm or {"name": "iterative", "conf": {"ae_epochs": 1, "ca_epochs": 1, "rounds": 1,
                                                              "ae_phase_epochs": 1, "ca_phase_epochs": 0}},
        "data": {"batch_size": 8, "num_workers": 0, "preload": True},
        "scheduler": {"name": "cosine"},
        "trainer": {"keep_nbest": 1, **trainer_conf},
    })
    train, dev = DataDir.load(mini_data / "train"), DataDir.load(mini_data / "dev")
    vocabulary = prepare_vocabulary(cfg, list(train.get("text").values()), out_dir)
    torch.manual_seed(0)
    paradigm = build_paradigm(cfg, vocabulary)
    bank = NoiseBank(DataDir.load(mini_data / "noise_train"), 16000)
    tr = AudioDataset(train, 16000, paradigm.downstream.encode_target, bank, seed=cfg.trainer.seed, preload=True)
    va = AudioDataset(dev, 16000, paradigm.downstream.encode_target, bank, seed=5, fixed=True, preload=True)
    return Trainer(paradigm, cfg, out_dir, tr, va, downstream_pretrained=downstream_pretrained)


def params(trainer):
    return {k: v.clone() for k, v in trainer.paradigm.state_dict().items()}


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs"


@pytest.fixture(scope="module")
def reference(mini_data, tmp_path_factory):
    """Parameters after an uninterrupted run (3 epochs: ae, ca, weighted ae)."""
    t = make_trainer(mini_data, tmp_path_factory.mktemp("ref") / "exp")
    t.fit()
    return params(t), t


class Crash(Exception):
    pass


def test_resume_after_a_crash_mid_epoch_is_exact(mini_data, tmp_path, reference):
    out = tmp_path / "exp"
    t = make_trainer(mini_data, out, save_interval_steps=3)
    calls = {"n": 0}
    real_step = t.paradigm.train_step

    def crashing_step(batch, phase):
        calls["n"] += 1
        if calls["n"] == 13:  # in the second epoch, after the checkpoint of step 12
            raise Crash()
        return real_step(batch, phase)

    t.paradigm.train_step = crashing_step
    with pytest.raises(Crash):
        t.fit()
    assert (out / "checkpoints" / "latest").read_text().strip() == "ep001_step000004.pt"
    resumed = make_trainer(mini_data, out, save_interval_steps=3)
    resumed.fit()
    assert_same(params(resumed), reference[0])
    assert [h["epoch"] for h in resumed.state.history] == [1, 2, 3]


def test_stop_request_saves_and_resumes_exactly(mini_data, tmp_path, reference):
    out = tmp_path / "exp"
    t = make_trainer(mini_data, out)
    real_step = t.paradigm.train_step
    calls = {"n": 0}

    def step_then_signal(batch, phase):
        calls["n"] += 1
        if calls["n"] == 18:
            t.request_stop()  # what SIGUSR1 / SIGTERM do
        return real_step(batch, phase)

    t.paradigm.train_step = step_then_signal
    with pytest.raises(Preempted):
        t.fit()
    resumed = make_trainer(mini_data, out)
    resumed.fit()
    assert_same(params(resumed), reference[0])


def test_best_checkpoint_is_kept_and_exported(reference):
    _, t = reference
    files = sorted(p.name for p in t.ckpt_dir.glob("*.pt"))
    best = t.state.best[0]
    assert set(files) == {best["file"], "ep003.pt"}
    # the ae warm-up epoch cannot be the best: the recogniser had not trained yet
    assert best["epoch"] >= 2
    exported = load_checkpoint(t.out_dir / "model.pt")["model"]
    assert_same(exported, load_checkpoint(t.ckpt_dir / best["file"])["model"])
    assert (t.out_dir / "history.json").is_file() and (t.out_dir / "train.log").read_text().count("epoch 3/3") >= 1


def test_finished_training_refuses_a_fresh_start(mini_data, reference):
    _, t = reference
    again = make_trainer(mini_data, t.out_dir)
    with pytest.raises(TrainingError, match="already holds checkpoints"):
        again.fit(resume=False)


def _nan_on_second_batch(trainer):
    real = trainer.paradigm.train_step
    calls = {"n": 0}

    def step(batch, phase):
        calls["n"] += 1
        loss, stats = real(batch, phase)
        return (loss * float("nan") if calls["n"] == 2 else loss), stats

    trainer.paradigm.train_step = step


def test_nan_loss_is_skipped_and_counted(mini_data, tmp_path, caplog):
    t = make_trainer(mini_data, tmp_path / "exp", paradigm={"name": "cascade", "conf": {"ae_epochs": 1, "ca_epochs": 0}})
    _nan_on_second_batch(t)
    t.fit()
    assert t.state.nan_batches == 1 and "batch skipped (1 so far" in caplog.text
    assert all(torch.isfinite(p).all() for p in t.paradigm.parameters())


def test_nan_loss_stops_on_request(mini_data, tmp_path):
    t = make_trainer(mini_data, tmp_path / "exp", nan_policy="stop",
                     paradigm={"name": "cascade", "conf": {"ae_epochs": 1, "ca_epochs": 0}})
    _nan_on_second_batch(t)
    with pytest.raises(TrainingError, match="loss is nan at epoch 1, step 2.*nan_policy=stop"):
        t.fit()
    assert not list((tmp_path / "exp").glob("checkpoints/*.pt"))


class Evil:
    def __reduce__(self):
        return (print, ("this would run code",))


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    torch.save({"model": {}, "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="refusing to load .*evil.pt: it holds pickled Python objects"):
        load_checkpoint(tmp_path / "evil.pt")


def test_truncated_checkpoint_is_reported(tmp_path):
    save_checkpoint(tmp_path / "ok.pt", {"w": torch.ones(1000)})
    data = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(tmp_path / "cut.pt")


def test_disk_full_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint(path, {"w": torch.zeros(3)})

    def full(obj, f, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(CheckpointError, match="No space left on device.*previous checkpoint is kept"):
        save_checkpoint(path, {"w": torch.ones(3)})
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["w"], torch.zeros(3))
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_init_from_another_system(mini_data, reference, tmp_path):
    from aecomp.train.checkpoint import CheckpointError
    from aecomp.train.system import init_sources, init_system_names, load_init

    _, ref = reference  # trained in <tmp>/exp: plays the role of a system "exp" of seed dir "exp"
    t = make_trainer(mini_data, tmp_path / "mine")
    cfg = t.cfg
    cfg.init.update(frontend=str(ref.out_dir / "model.pt"), downstream="noisy")
    assert init_system_names(cfg) == ["noisy"]
    assert init_sources(cfg, tmp_path / "exp" / "iterative" / "seed2")["downstream"] == \
        (tmp_path / "exp" / "noisy" / "seed2" / "model.pt", "downstream")
    with pytest.raises(CheckpointError, match=r"init.downstream.*noisy/seed2/model.pt does not exist; train"):
        load_init(t.paradigm, cfg, tmp_path / "exp" / "iterative" / "seed2")
    del cfg.init["downstream"]
    load_init(t.paradigm, cfg, tmp_path / "x" / "y")
    trained = load_checkpoint(ref.out_dir / "model.pt")["model"]
    assert torch.equal(t.paradigm.frontend.out.weight, trained["frontend.out.weight"])
    cfg.init["downstream"] = str(ref.out_dir / "model.pt")
    with pytest.raises(CheckpointError, match="labels.txt differs"):
        (ref.out_dir / "labels.txt").write_text("a\nb\n")
        load_init(t.paradigm, cfg, tmp_path / "x" / "y", labels=["go", "no"])


def test_init_any_module_path_from_a_system_module(mini_data, reference, tmp_path):
    """``init`` maps any module of the paradigm (a frozen teacher, one block of the downstream) to
    ``<system>:<module>`` or ``<model.pt>:<module>``; a wrong path names the modules there are."""
    from torch import nn

    from aecomp.train.checkpoint import CheckpointError
    from aecomp.train.system import init_system_names, load_init

    _, ref = reference
    t = make_trainer(mini_data, tmp_path / "mine")
    t.paradigm.teacher = copy.deepcopy(t.paradigm.downstream)  # as TRNet's clean-trained model
    for p in t.paradigm.teacher.parameters():
        nn.init.zeros_(p)
    cfg = t.cfg
    trained = load_checkpoint(ref.out_dir / "model.pt")["model"]
    cfg.init.clear()
    cfg.init["teacher"] = "clean:downstream"
    assert init_system_names(cfg) == ["clean"]
    cfg.init["teacher"] = f"{ref.out_dir / 'model.pt'}:downstream"
    assert init_system_names(cfg) == []
    load_init(t.paradigm, cfg, tmp_path / "x" / "y")
    teacher = t.paradigm.teacher.state_dict()
    assert teacher and all(torch.equal(v, trained[f"downstream.{k}"]) for k, v in teacher.items())
    assert not torch.equal(t.paradigm.downstream.classifier.weight, trained["downstream.classifier.weight"])

    cfg.init.clear()
    cfg.init["downstream.classifier"] = str(ref.out_dir / "model.pt")  # one child module, same path in the source
    load_init(t.paradigm, cfg, tmp_path / "x" / "y")
    assert torch.equal(t.paradigm.downstream.classifier.weight, trained["downstream.classifier.weight"])
    cfg.init.clear()
    cfg.init["blend"] = str(ref.out_dir / "model.pt")
    with pytest.raises(CheckpointError, match="the paradigm has no module 'blend'; its modules are frontend, "
                                              "downstream"):
        load_init(t.paradigm, cfg, tmp_path / "x" / "y")
    cfg.init.clear()
    cfg.init["teacher"] = f"{ref.out_dir / 'model.pt'}:teacher"
    with pytest.raises(CheckpointError, match="holds no module 'teacher' \\(it holds downstream, frontend"):
        load_init(t.paradigm, cfg, tmp_path / "x" / "y")


@pytest.mark.parametrize("log_interval,expected", [(3, [3, 6]), (100, [])])
def test_progress_lines_follow_log_interval(mini_data, tmp_path, monkeypatch, log_interval, expected):
    import re
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)  # job logs: progress goes to log lines
    t = make_trainer(mini_data, tmp_path / "exp", log_interval=log_interval)
    assert len(t.sampler) == 8
    t.fit()
    lines = re.findall(r"epoch (\d)/3 \[[\w-]+\]: (\d+)/8 steps", (tmp_path / "exp" / "train.log").read_text())
    assert lines == [(str(e), str(s)) for e in (1, 2, 3) for s in expected]


def test_log_interval_below_one_is_refused(mini_data, tmp_path):
    with pytest.raises(TrainingError, match="log_interval.*must be >= 1"):
        make_trainer(mini_data, tmp_path / "exp", log_interval=0)


def kept(out_dir, epoch):
    return load_checkpoint(out_dir / "epochs" / f"epoch{epoch}.pt")["model"]


def test_kept_epochs_hold_the_weights_before_and_after_those_epochs(mini_data, tmp_path, reference):
    out = tmp_path / "exp"
    t = make_trainer(mini_data, out, keep_epochs=[0, 1, 3])
    initial = params(t)
    t.fit()
    assert sorted(p.name for p in (out / "epochs").iterdir()) == ["epoch0.pt", "epoch1.pt", "epoch3.pt"]
    assert_same(kept(out, 0), initial)
    assert_same(kept(out, 3), params(t))
    assert_same(kept(out, 3), reference[0])  # keeping epochs changes nothing in training
    changed = [k for k in initial if not (kept(out, 1)[k] == initial[k]).all()]
    assert changed, "epoch 1 holds the initial weights: no training step reached it"


def test_kept_epochs_survive_a_crash_and_resume(mini_data, tmp_path, reference):
    out = tmp_path / "exp"
    t = make_trainer(mini_data, out, save_interval_steps=3, keep_epochs=[0, 2, 3])
    real_step, calls = t.paradigm.train_step, {"n": 0}

    def crashing_step(batch, phase):
        calls["n"] += 1
        if calls["n"] == 13:  # in the second epoch
            raise Crash()
        return real_step(batch, phase)

    t.paradigm.train_step = crashing_step
    initial = params(t)
    with pytest.raises(Crash):
        t.fit()
    assert sorted(p.name for p in (out / "epochs").iterdir()) == ["epoch0.pt"]
    resumed = make_trainer(mini_data, out, save_interval_steps=3, keep_epochs=[0, 2, 3])
    resumed.fit()
    assert sorted(p.name for p in (out / "epochs").iterdir()) == ["epoch0.pt", "epoch2.pt", "epoch3.pt"]
    assert_same(kept(out, 0), initial)
    assert_same(kept(out, 3), reference[0])


def test_keep_epochs_beyond_the_schedule_is_refused(mini_data, tmp_path):
    with pytest.raises(TrainingError, match=r"\(trainer.keep_epochs\): \[4\] not in 0..3"):
        make_trainer(mini_data, tmp_path / "exp", keep_epochs=[0, 4])


def test_best_is_chosen_only_once_every_trained_module_has_trained(mini_data, tmp_path):
    """A cascade whose recogniser starts trained: its two enhancement epochs are never the best model (the
    front-end half-trained in front of a recogniser not adapted to it); only the adaptation epoch is."""
    t = make_trainer(mini_data, tmp_path / "exp", downstream_pretrained=True, keep_nbest=3,
                     paradigm={"name": "cascade", "conf": {"ae_epochs": 2, "ca_epochs": 1}})
    t.fit()
    assert [b["epoch"] for b in t.state.best] == [3]
    assert json.loads((t.out_dir / "best.json").read_text())["epoch"] == 3


def test_model_is_the_average_of_the_nbest_checkpoints(mini_data, tmp_path):
    out = tmp_path / "exp"
    t = make_trainer(mini_data, out, keep_nbest=2, average_nbest=2)
    t.fit()
    ranked = [b["file"] for b in t.state.best]
    assert len(ranked) == 2
    a, b = (load_checkpoint(out / "checkpoints" / f)["model"] for f in ranked)
    model = load_checkpoint(out / "model.pt")["model"]
    floats = [k for k in model if model[k].is_floating_point()]
    differ = [k for k in floats if not torch.equal(a[k], b[k])]
    assert differ, "the two best checkpoints are equal: nothing to average"
    for k in floats:
        torch.testing.assert_close(model[k], (a[k] + b[k]) / 2)
    best = json.loads((out / "best.json").read_text())
    assert best["averaged_epochs"] == [t.state.best[0]["epoch"], t.state.best[1]["epoch"]]


def test_averaging_more_than_the_kept_checkpoints_is_refused(mini_data, tmp_path):
    with pytest.raises(TrainingError, match=r"average_nbest.*must be in 1..keep_nbest \(1\)"):
        make_trainer(mini_data, tmp_path / "exp", keep_nbest=1, average_nbest=3)


def test_print_init_systems_reads_every_config_in_one_call(tmp_path, capsys, caplog):
    """The recipe template reads the systems each config starts from in one call: a line per config, in
    order, an empty one for a config that starts from nothing; a broken config fails with its name."""
    from aecomp.cli import main

    base = "frontend: {name: identity}\ndownstream: {name: kws_cnn}\nparadigm: {name: noisy}\n"
    (tmp_path / "a.yaml").write_text(base)
    (tmp_path / "b.yaml").write_text(base + "init: {downstream: noisy, frontend: 'cascade:frontend'}\n")
    (tmp_path / "c.yaml").write_text(base + "init: {downstream: /abs/model.pt}\n")  # a file: no system
    assert main(["train", "--print_init_systems", *(str(tmp_path / f"{x}.yaml") for x in "abc")]) == 0
    assert capsys.readouterr().out == "\ncascade noisy\n\n"
    (tmp_path / "d.yaml").write_text(base + "paradigm: [\n")
    assert main(["train", "--print_init_systems", str(tmp_path / "a.yaml"), str(tmp_path / "d.yaml")]) == 1
    assert "d.yaml:5: not valid YAML" in caplog.text
