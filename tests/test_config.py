"""Experiment configuration: loading, overrides, strict keys with file:line errors, every shipped config."""

from __future__ import annotations

from pathlib import Path

import pytest

from aecomp.config import ConfigError, load_config
from aecomp.errors import AecompError
from aecomp.train.system import build_paradigm, prepare_vocabulary

from conftest import ROOT, run_cli

BASE = """\
frontend: {name: identity}
downstream:
  name: kws_cnn
  conf: {channels: [2, 2]}
paradigm:
  name: noisy
  conf: {epochs: 2}
data:
  batch_size: 4
trainer:
  seed: 3
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "exp.yaml"
    p.write_text(text)
    return p


def test_defaults_and_overrides(tmp_path):
    cfg = load_config(write(tmp_path, BASE), ["trainer.seed=7", "data.snr_range=[0, 5]", "paradigm.conf.epochs=4"])
    assert cfg.trainer.seed == 7 and cfg.data.batch_size == 4 and cfg.data.snr_range == [0, 5]
    assert cfg.paradigm["conf"]["epochs"] == 4
    assert cfg.optim.name == "adam" and cfg.data.sample_rate == 16000
    dumped = cfg.dump()
    assert "seed: 7" in dumped and "kws_cnn" in dumped


def test_override_string_is_split_like_a_shell(tmp_path):
    cfg = load_config(write(tmp_path, BASE), "trainer.seed=2 'data.p_clean=0.5'")
    assert cfg.trainer.seed == 2 and cfg.data.p_clean == 0.5


def test_unknown_key_names_file_and_line(tmp_path):
    path = write(tmp_path, BASE.replace("  batch_size: 4", "  batch_size: 4\n  bach_seconds: 3"))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert f"{path}:10 (data.bach_seconds)" in msg and "Did you mean 'batch_seconds'" in msg


def test_speed_perturb_factor_out_of_range_names_the_line(tmp_path):
    good = write(tmp_path, BASE.replace("  batch_size: 4", "  batch_size: 4\n  speed_perturb: [0.9, 1.0, 1.1]"))
    assert load_config(good).data.speed_perturb == [0.9, 1.0, 1.1]
    path = write(tmp_path, BASE.replace("  batch_size: 4", "  batch_size: 4\n  speed_perturb: [0.9, 11]"))
    with pytest.raises(ConfigError, match=rf"{path}:10 \(data.speed_perturb\): .*must be a number in \[0.5, 2\]"):
        load_config(path)


def test_unknown_section_and_wrong_type(tmp_path):
    with pytest.raises(ConfigError, match="unknown section 'trainr'"):
        load_config(write(tmp_path, BASE + "trainr: {}\n"))
    with pytest.raises(ConfigError, match="'batch_size' should be int"):
        load_config(write(tmp_path, BASE), ["data.batch_size=big"])
    with pytest.raises(ConfigError, match="missing section 'paradigm'"):
        load_config(write(tmp_path, "frontend: identity\ndownstream: kws_cnn\n"))


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(ConfigError, match=r"exp.yaml:3: not valid YAML"):
        load_config(write(tmp_path, "frontend: {name: identity}\ndownstream: kws_cnn\n  bad: [\n"))


def test_plugin_conf_errors_carry_the_config_location(tmp_path):
    cfg = load_config(write(tmp_path, BASE.replace("{channels: [2, 2]}", "{channels: [2, 2], dropout_p: 0.1}")))
    with pytest.raises(Exception) as err:
        build_paradigm(cfg, {"labels": ["a", "b"]})
    assert f"{tmp_path / 'exp.yaml'}:2 (downstream)" in str(err.value) and "dropout_p" in str(err.value)


def test_print_config(tmp_path):
    out = run_cli("train", "--config", str(write(tmp_path, BASE)), "--override", "trainer.seed=9", "--print_config")
    assert "seed: 9" in out.stdout and "name: noisy" in out.stdout


def test_unknown_plugin_name_names_config_line(tmp_path):
    path = write(tmp_path, BASE.replace("name: kws_cnn", "name: kws_cnnn"))
    with pytest.raises(AecompError) as err:
        build_paradigm(load_config(path), {"labels": ["a", "b"]})
    assert f"{path}:2 (downstream): unknown downstream 'kws_cnnn'" in str(err.value)
    assert "Did you mean 'kws_cnn'" in str(err.value)


@pytest.mark.parametrize("changes, where, says", [
    ([("{name: identity}", "{name: unett}")], ":1 (frontend): unknown frontend 'unett'", "Did you mean 'unet'"),
    ([("{name: identity}", "{name: unet, conf: {n_fft: 64, hop_length: 128, channels: [2, 2]}}"),
      ("name: noisy\n  conf: {epochs: 2}", "name: cascade\n  conf: {ae_epochs: 1, ca_epochs: 1}")],
     ":1 (frontend): the system builds but its frontend fails on a dummy batch", "hop_length"),
    ([("{epochs: 2}", "{epochs: 0}")], ":5 (paradigm): the system builds but its paradigm fails", "no epoch to train"),
])
def test_print_config_builds_the_system(tmp_path, changes, where, says):
    """--print_config and check-config build the system and run it on a dummy batch: a config whose
    model cannot be built fails (status 1) with its file and line, without a traceback."""
    text = BASE
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path = write(tmp_path, text)
    for args in (["train", "--config", str(path), "--print_config"], ["check-config", str(path)]):
        out = run_cli(*args, check=False)
        assert out.returncode == 1 and f"{path}{where}" in out.stderr and says in out.stderr, out.stderr
        assert "Traceback" not in out.stderr


def test_check_config_reports_every_failing_config(tmp_path):
    good = write(tmp_path, BASE)
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("{name: identity}", "{name: unett}").replace("  batch_size: 4", "  bach_size: 4"))
    worse = tmp_path / "worse.yaml"
    worse.write_text(BASE.replace("name: noisy", "name: noisyy"))
    out = run_cli("check-config", str(bad), str(good), str(worse), check=False)
    assert out.returncode == 1
    assert f"{bad}:9 (data.bach_size): unknown key 'bach_size'" in out.stderr
    assert f"{worse}:5 (paradigm): unknown paradigm 'noisyy'" in out.stderr
    assert f"{good}: builds and runs a dummy batch" in out.stderr and "2 of 3 config(s) failed" in out.stderr


@pytest.fixture(scope="module")
def tiny_upstream(tmp_path_factory):
    from aecomp.losses.tiny_upstream import build_tiny_wavlm

    return build_tiny_wavlm(tmp_path_factory.mktemp("up") / "tiny_wavlm.pt")


def test_environment_variables_in_configs(tmp_path, monkeypatch):
    path = write(tmp_path, BASE.replace("conf: {epochs: 2}", "conf: {epochs: 2, signal_loss: \"${MY_LOSS}\"}"))
    with pytest.raises(ConfigError, match=r"exp.yaml:7 \(paradigm.conf.signal_loss\): environment variable MY_LOSS"):
        load_config(path)
    monkeypatch.setenv("MY_LOSS", "si_snr")
    assert load_config(path).paradigm["conf"]["signal_loss"] == "si_snr"


@pytest.mark.parametrize("path", sorted(ROOT.glob("egs/*/*/conf/**/train_*.yaml")), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_builds(path, tiny_upstream, monkeypatch, tmp_path):
    """Every training config of every recipe resolves and builds its system (a dry run)."""
    monkeypatch.setenv("SSL_UPSTREAM", str(tiny_upstream))
    monkeypatch.setenv("SSL_UPSTREAM_NAME", "wavlm_local")  # the pre-trained tiny HuBERT is tested in tests/downstream
    monkeypatch.setenv("SSL_UPSTREAM_RANDOM", str(tiny_upstream))
    cfg = load_config(path)
    texts = ["THE RED CAT SEES A DOG", "A BIG BIRD HELPS THE MAN", "THE SMALL CAR"] * 10
    cfg.init.clear()  # a dry run: the systems it would start from do not exist
    paradigm = build_paradigm(cfg, prepare_vocabulary(cfg, texts, tmp_path))
    assert paradigm.schedule(), f"{path} has an empty schedule"


def test_base_config_is_merged_under_the_system(tmp_path):
    """``base:`` gives every key the config does not write; mappings merge, lists and scalars replace."""
    (tmp_path / "common.yaml").write_text(BASE + "  grad_clip: 2.0\noptim:\n  name: sgd\n  conf: {lr: 0.1, momentum: 0.9}\n")
    path = write(tmp_path, "base: common.yaml\ndata:\n  snr_range: [0, 5]\ntrainer:\n  seed: 4\n"
                           "optim:\n  conf: {lr: 0.5}\nparadigm: {name: clean}\n")
    cfg = load_config(path)
    assert cfg.trainer.seed == 4 and cfg.trainer.grad_clip == 2.0  # own key, inherited sibling
    assert cfg.data.snr_range == [0, 5] and cfg.data.batch_size == 4
    assert cfg.optim.name == "sgd" and cfg.optim.conf == {"lr": 0.5, "momentum": 0.9}
    assert cfg.paradigm == {"name": "clean", "conf": {"epochs": 2}}  # a mapping merges: conf stays from the base
    assert cfg.where("trainer", "seed") == f"{path}:5 (trainer.seed)"
    assert cfg.where("trainer", "grad_clip") == f"{tmp_path / 'common.yaml'}:12 (trainer.grad_clip)"
    dumped = cfg.dump()
    assert "base" not in dumped and "momentum: 0.9" in dumped and "grad_clip: 2.0" in dumped


def test_a_section_naming_another_plugin_replaces_the_base_section(tmp_path):
    """The base's conf belongs to its plugin: a config that names another plugin with a conf gets none of it."""
    (tmp_path / "common.yaml").write_text(BASE)
    path = write(tmp_path, "base: common.yaml\ndownstream:\n  name: ser_cnn\n  conf: {channels: [2]}\n"
                           "paradigm: {name: noisy, conf: {epochs: 3}}\n")
    cfg = load_config(path)
    assert cfg.downstream == {"name": "ser_cnn", "conf": {"channels": [2]}}
    assert cfg.where("downstream", "conf") == f"{path}:4 (downstream.conf)"
    assert cfg.paradigm == {"name": "noisy", "conf": {"epochs": 3}}  # the same plugin: merged as before
    path = write(tmp_path, "base: common.yaml\ndownstream: {name: ser_cnn}\n")  # no conf: merged
    assert load_config(path).downstream == {"name": "ser_cnn", "conf": {"channels": [2, 2]}}


def test_base_errors_name_the_file_that_wrote_the_key(tmp_path):
    (tmp_path / "common.yaml").write_text(BASE)
    path = write(tmp_path, "base: common.yaml\ntrainer:\n  sed: 2\n")
    with pytest.raises(ConfigError, match=r"exp.yaml:3 \(trainer.sed\): unknown key 'sed'"):
        load_config(path)
    (tmp_path / "common.yaml").write_text(BASE.replace("  batch_size: 4", "  batch_size: 4\n  bach_seconds: 3"))
    path = write(tmp_path, "base: common.yaml\ntrainer:\n  seed: 2\n")
    with pytest.raises(ConfigError, match=r"common.yaml:10 \(data.bach_seconds\): unknown key"):
        load_config(path)
    (tmp_path / "common.yaml").write_text(BASE.replace("{channels: [2, 2]}", "{channels: [2, 2], dropout_p: 0.1}"))
    with pytest.raises(AecompError) as err:
        build_paradigm(load_config(path), {"labels": ["a", "b"]})
    assert str(err.value).startswith(f"{tmp_path / 'common.yaml'}:2 (downstream): unknown conf key 'dropout_p'")


def test_base_chain_missing_base_and_cycle(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "root.yaml").write_text(BASE)
    (tmp_path / "conf" / "common.yaml").write_text("base: ../root.yaml\ndata: {batch_size: 6}\n")
    path = tmp_path / "conf" / "train_x.yaml"
    path.write_text("base: common.yaml\ntrainer: {seed: 5}\n")
    cfg = load_config(path)
    assert (cfg.data.batch_size, cfg.trainer.seed, cfg.downstream["name"]) == (6, 5, "kws_cnn")
    path.write_text("base: comon.yaml\n")
    with pytest.raises(ConfigError, match=r"train_x.yaml:1 \(base\): base config .*comon.yaml does not exist"):
        load_config(path)
    (tmp_path / "root.yaml").write_text("base: conf/train_x.yaml\n" + BASE)
    path.write_text("base: common.yaml\n")
    with pytest.raises(ConfigError, match=r"root.yaml:1 \(base\): configs name each other as base in a cycle"):
        load_config(path)


def test_duplicate_key_is_an_error_with_both_lines(tmp_path):
    path = write(tmp_path, BASE + "scheduler:\n  name: step\nscheduler:\n  name: cosine\n")
    with pytest.raises(ConfigError, match=r"exp.yaml:14: key 'scheduler' appears twice \(lines 12 and 14\); "
                                          "the second would silently win"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"exp.yaml:12: key 'trainer.seed' appears twice \(lines 11 and 12\)"):
        load_config(write(tmp_path, BASE + "  seed: 4\n"))
