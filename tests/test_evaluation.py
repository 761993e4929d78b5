"""Scoring a system on evaluation sets through Paradigm.infer (aecomp/evaluation.py evaluate_set)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from aecomp.data.datadir import DataDir
from aecomp.data.evalsets import make_evalsets, noise_grid
from aecomp.evaluation import evaluate_set
from aecomp.paradigms.base import Inference
from aecomp.train.system import build_paradigm, prepare_vocabulary
from aecomp.config import config_from_dict


@pytest.fixture(scope="module")
def sets(mini_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    make_evalsets(DataDir.load(mini_data / "test"), noise_grid({"seen": mini_data / "noise_test_seen"}, [0], seed=1),
                  out, 16000)
    return out


def make_system(mini_data, tmp_path, downstream=None):
    cfg = config_from_dict({
        "frontend": {"name": "unet", "conf": {"channels": [2, 2]}},
        "downstream": downstream or {"name": "kws_cnn", "conf": {"channels": [2, 4], "time_steps": 2}},
        "paradigm": {"name": "cascade", "conf": {"ae_epochs": 1, "ca_epochs": 1}},
    })
    texts = list(DataDir.load(mini_data / "train").get("text").values())
    torch.manual_seed(0)
    return build_paradigm(cfg, prepare_vocabulary(cfg, texts, tmp_path)).eval(), cfg


def test_evaluation_scores_what_infer_gives(mini_data, sets, tmp_path, monkeypatch, caplog):
    system, cfg = make_system(mini_data, tmp_path)
    calls = []

    def oracle(batch):  # the right answers and the clean speech: evaluation must score exactly these
        calls.append(len(batch))
        return Inference(list(batch.texts), batch.clean.clone())

    monkeypatch.setattr(system, "infer", oracle)
    result = evaluate_set(system, cfg, sets / "seen_0dB", tmp_path / "out", batch_size=4, device="cpu")
    n = len(DataDir.load(sets / "seen_0dB"))
    assert sum(calls) == n
    assert result["acc"] == 1.0 and result["counts"]["total"] == n
    assert result["si_snr"] > 60 and result["sdri"] > 30  # the reference itself
    assert result["pesq"] > 4.4 and result["stoi"] > 0.99
    hyp = (tmp_path / "out" / "hyp.txt").read_text().splitlines()
    assert len(hyp) == n
    caplog.clear()
    quick = evaluate_set(system, cfg, sets / "seen_0dB", tmp_path / "quick", batch_size=4, device="cpu",
                         pesq_stoi=False)
    assert "pesq" not in quick and "stoi" not in quick and quick["sdri"] == result["sdri"]
    assert "could not be computed" not in caplog.text  # not asked for is not failed


def test_metrics_json_fields(mini_data, sets, tmp_path):
    system, cfg = make_system(mini_data, tmp_path)
    result = evaluate_set(system, cfg, sets / "seen_0dB", tmp_path / "out", batch_size=8, device="cpu")
    meta = json.loads((sets / "seen_0dB" / "meta.json").read_text())
    assert result["set"] == "seen_0dB"
    assert {k: result[k] for k in ("condition", "family", "level", "unit")} == \
        {"condition": "seen", "family": "noise", "level": 0.0, "unit": "dB"} == {k: meta[k] for k in result if k in meta}
    assert result["metrics"] == [{"name": "acc", "mode": "max"}]
    assert (result["metric"], result["metric_mode"]) == ("acc", "max") and 0 <= result["acc"] <= 1
    for name in ("si_snr", "si_snri", "sdr", "sdri", "pesq", "stoi"):
        assert math.isfinite(result[name]), name
    clean = evaluate_set(system, cfg, sets / "clean", tmp_path / "clean", batch_size=8, device="cpu")
    assert "si_snr" not in clean and "pesq" not in clean and 0 <= clean["acc"] <= 1  # no references


def test_a_set_written_before_the_grid_reads_as_a_noise_set(mini_data, sets, tmp_path):
    import shutil

    old = tmp_path / "seen_snr5"
    shutil.copytree(sets / "seen_0dB", old)
    (old / "meta.json").write_text(json.dumps({"condition": "seen", "snr_db": 5.0, "seed": 1, "sample_rate": 16000}))
    system, cfg = make_system(mini_data, tmp_path)
    result = evaluate_set(system, cfg, old, tmp_path / "out", batch_size=8, device="cpu")
    assert {k: result[k] for k in ("condition", "family", "level", "unit")} == \
        {"condition": "seen", "family": "noise", "level": 5.0, "unit": "dB"}
    assert "snr_db" not in result and "seed" not in result


def test_an_enhancement_only_system_is_scored_on_its_signal(mini_data, sets, tmp_path, caplog):
    system, cfg = make_system(mini_data, tmp_path, downstream={"name": "none"})
    result = evaluate_set(system, cfg, sets / "seen_0dB", tmp_path / "out", batch_size=8, device="cpu")
    assert [m["name"] for m in result["metrics"]] == ["si_snri", "sdri"]
    assert result["metric"] == "si_snri" and math.isfinite(result["si_snri"])
    assert not (tmp_path / "out" / "hyp.txt").exists()  # nothing decoded
    clean = evaluate_set(system, cfg, sets / "clean", tmp_path / "clean", batch_size=8, device="cpu")
    assert math.isnan(clean["si_snri"]) and "metric 'si_snri' cannot be computed" in caplog.text


def test_the_inputs_metrics_are_computed_by_the_first_system_scored_on_a_set(mini_data, sets, tmp_path, monkeypatch):
    """Every system scored on a set shares the input's SI-SNR and SDR (aecomp/metrics/input_cache.py): the
    second system computes only its own, and its improvements are those computed from scratch."""
    import shutil

    from aecomp.metrics import input_cache

    data = tmp_path / "seen_0dB"
    shutil.copytree(sets / "seen_0dB", data, ignore=shutil.ignore_patterns(input_cache.FILE))
    computed = []
    real = input_cache.input_values
    monkeypatch.setattr(input_cache, "input_values", lambda refs, *a: computed.append(len(refs)) or real(refs, *a))
    system, cfg = make_system(mini_data, tmp_path)
    first = evaluate_set(system, cfg, data, tmp_path / "a", batch_size=8, device="cpu", pesq_stoi=False)
    n = len(DataDir.load(data))
    assert sum(computed) == n and (data / input_cache.FILE).is_file()
    other, _ = make_system(mini_data, tmp_path / "other")  # another system: other estimates, the same input
    monkeypatch.setattr(other, "infer", lambda batch: Inference(list(batch.texts), (batch.noisy + batch.clean[:, :batch.noisy.shape[-1]]) / 2))
    second = evaluate_set(other, cfg, data, tmp_path / "b", batch_size=8, device="cpu", pesq_stoi=False)
    assert sum(computed) == n  # nothing computed again
    (data / input_cache.FILE).unlink()
    scratch = evaluate_set(other, cfg, data, tmp_path / "c", batch_size=8, device="cpu", pesq_stoi=False)
    assert sum(computed) == 2 * n
    assert second["sdri"] > first["sdri"] + 1  # half the noise removed
    for name in ("si_snr", "si_snri", "sdr", "sdri"):
        assert second[name] == pytest.approx(scratch[name], abs=1e-6), name
