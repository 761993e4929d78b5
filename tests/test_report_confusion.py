"""Confusion matrices in the report (aecomp/report_confusion.py): summed over runs, drawn per chosen set."""

from __future__ import annotations

import json

import pytest

from aecomp.report_confusion import collect_confusions, confusion_figures


def _write(exp, system, run, name, labels, matrix):
    d = exp / system / run / "eval" / name
    d.mkdir(parents=True)
    (d / "confusion.json").write_text(json.dumps({"labels": labels, "matrix": matrix}))


def test_runs_are_summed_and_only_chosen_sets_are_drawn(tmp_path):
    exp = tmp_path / "exp"
    for run, k in (("fold1_seed1", 1), ("fold2_seed1", 2)):
        for name in ("clean", "matched_0dB", "matched_5dB"):
            _write(exp, "clean", run, name, ["ang", "hap"], [[k, 0], [1, k]])
        _write(exp, "trnet", run, "clean", ["ang", "hap"], [[0, k], [0, 1]])
    found = collect_confusions(exp, ["clean", "trnet"])
    assert sorted(found) == ["clean", "matched_0dB"]
    assert found["clean"]["clean"] == (["ang", "hap"], [[3, 0], [2, 3]])
    assert found["clean"]["trnet"] == (["ang", "hap"], [[0, 3], [0, 2]])
    md = confusion_figures(exp, ["clean", "trnet"], tmp_path / "RESULTS.md")
    assert "![confusion matrices, clean](exp/confusion_clean.png)" in md
    assert md.index("confusion_clean.png") < md.index("confusion_matched_0dB.png")
    assert (exp / "confusion_clean.png").read_bytes()[:4] == b"\x89PNG" and not (exp / "confusion_matched_5dB.png").exists()
    assert confusion_figures(exp, ["noisy"], tmp_path / "RESULTS.md") is None


def test_runs_with_other_labels_are_an_error(tmp_path):
    exp = tmp_path / "exp"
    _write(exp, "clean", "seed1", "clean", ["ang", "hap"], [[1, 0], [0, 1]])
    _write(exp, "clean", "seed2", "clean", ["ang", "sad"], [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="seed2/eval/clean/confusion.json: label 'sad' is not among the labels"):
        collect_confusions(exp, ["clean"])
