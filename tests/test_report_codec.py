"""Seed 004's tables in RESULTS.md (aecomp/report_codec.py): per category and kept epoch, segmental fine-tuning."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from aecomp import report
from aecomp.report_codec import category_sets, codec_section, label

SETS = {"clean": ("clean", "clean", None, None), "cat1_aac_32kbps": ("cat1_aac", "codec", 32, "kbps"),
        "cat2_aac_64kbps": ("cat2_aac", "codec", 64, "kbps"), "cat2_aac_48kbps": ("cat2_aac", "codec", 48, "kbps"),
        "cat2_mp3_32kbps": ("cat2_mp3", "codec", 32, "kbps"), "cat3_opus_64kbps": ("cat3_opus", "codec", 64, "kbps"),
        "seen_0dB": ("seen", "noise", 0, "dB")}


def scored(run: Path, sub: str, acc: dict) -> None:
    for name, (cond, family, level, unit) in SETS.items():
        (run / sub / name).mkdir(parents=True)
        (run / sub / name / "metrics.json").write_text(json.dumps(
            {"set": name, "condition": cond, "family": family, "level": level, "unit": unit, "acc": acc.get(name, 0.5),
             "metrics": [{"name": "acc", "mode": "max"}], "metric": "acc", "metric_mode": "max"}))


def system(exp: Path, name: str, acc: dict, conf: dict, epochs: dict = None, corruptions=()) -> None:
    run = exp / name / "seed1"
    run.mkdir(parents=True)
    cfg = {"frontend": {"name": "identity"}, "downstream": {"name": "asc_fcnn"}, "data": {"corruptions": list(corruptions)},
           **conf}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    scored(run, "eval", acc)
    for epoch, values in (epochs or {}).items():
        scored(run, f"eval_epoch{epoch}", values)


def test_tables_rows_columns_and_plot(tmp_path, monkeypatch):
    from aecomp.corruptions import codec

    monkeypatch.setattr(codec, "missing_tools", lambda spec: "libfdk_aac" if spec.encoder == "libfdk_aac" else None)
    exp = tmp_path / "exp"
    he_aac = {"name": "codec", "conf": {"codec": "he-aac", "bitrate": 16}, "p": 0.2, "optional": True}
    system(exp, "pretrained", {"cat2_mp3_32kbps": 0.2}, {"paradigm": {"name": "clean", "conf": {"epochs": 3}}})
    system(exp, "finetune", {}, {"paradigm": {"name": "noisy", "conf": {"epochs": 4}}, "init": {"downstream": "pretrained"}},
           epochs={0: {"cat2_mp3_32kbps": 0.2}, 2: {"cat2_mp3_32kbps": 0.6}, 4: {"cat2_mp3_32kbps": 0.7}},
           corruptions=[he_aac])
    for k, v in ((1, 0.3), (7, 0.65)):
        system(exp, f"segment{k}", {"cat2_mp3_32kbps": v}, {
            "paradigm": {"name": "noisy", "conf": {"epochs": 2, "train": [f"downstream.seg{k}"]}},
            "init": {"downstream": "pretrained"}})
    rows = report.collect(exp)
    cells = category_sets(rows)
    assert [label(c) for c in cells] == ["WAV", "AAC 32", "AAC 64", "AAC 48", "MP3 32", "Opus 64"]
    assert [c[0] for c in cells] == ["1", "1", "2", "2", "2", "3"]
    md = codec_section(rows, exp, ["pretrained", "finetune", "segment1", "segment7"], "exp/results_segments.png")
    assert "**Not available on this machine**: HE-AAC 16 kbit/s" in md
    table2 = md.split("### finetune")[1].split("###")[0]
    assert "| category | codec | epoch 0 | epoch 2 | epoch 4 |" in table2
    assert "| cat 2 | MP3 32 | 0.200 | 0.600 | 0.700 |" in table2
    seg = md.split("### Segmental fine-tuning")[1]
    assert "trained for 2 epoch(s)" in seg
    assert "| category | codec | pretrained | segment1 | segment7 | finetune (epoch 2) | finetune (best epoch) |" in seg
    assert "| cat 2 | MP3 32 | 0.200 | 0.300 | 0.650 | 0.600 | 0.500 |" in seg
    assert (exp / "results_segments.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![relative improvement per segment](exp/results_segments.png)" in md


def test_no_codec_categories_no_section(tmp_path):
    exp = tmp_path / "exp"
    system(exp, "pretrained", {}, {"paradigm": {"name": "clean"}})
    rows = [r for r in report.collect(exp) if not r["condition"].startswith("cat")]
    assert category_sets(rows) == [] and codec_section(rows, exp, ["pretrained"]) == ""
