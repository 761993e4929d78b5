"""The benchmark scripts' bookkeeping (their speed is measured in bench/, never asserted here)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


def test_espnet_epoch_time_is_the_train_part_even_past_a_minute():
    from vs_espnet import espnet_train_seconds

    log = ("INFO: 1epoch results: [train] iter_time=0.012, forward_time=0.5, train_time=0.9, time=1 minute and "
           "3.21 seconds, total_count=30, [valid] si_snr=4.1, loss=-4.1, time=3.1 seconds, total_count=30\n"
           "INFO: 2epoch results: [train] loss=1.0, time=1 hour, 2 minutes and 1.5 seconds, total_count=60, "
           "[valid] loss=1.0, time=2 seconds, total_count=60\n"
           "INFO: 3epoch results: [train] loss=1.0, time=4.5 seconds, total_count=90\n")
    assert espnet_train_seconds(log) == [63.21, 3721.5, 4.5]


def test_run_all_writes_results_with_commit_machine_and_targets(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([str(ROOT / "bench" / "run_all.sh"), "--quick", "--only", "startup", "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    md = out.read_text()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert f"- commit: {head.strip()}" in md
    assert "- machine: " in md and " cores, " in md and " GiB memory" in md
    assert "**Quick mode" in md
    (row,) = [line for line in md.splitlines() if "`aecomp_list_seconds`" in line]
    printed = [line for line in proc.stdout.splitlines() if line.startswith("aecomp_list_seconds: ")][-1]
    assert f"| {printed.split(': ')[1]} | < 1 " in row  # the figure as the benchmark printed it, with its target


def test_run_all_refuses_an_unknown_benchmark(tmp_path):
    proc = subprocess.run([str(ROOT / "bench" / "run_all.sh"), "--only", "nosuch", "--out", str(tmp_path / "R.md")],
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "no benchmark bench/nosuch.py" in proc.stderr
    assert not (tmp_path / "R.md").exists()


def test_recipe_time_reads_each_stage_span_from_the_template_log():
    from datetime import datetime

    from recipe_time import stage_times

    log = ("2026-12-02 10:00:00 (aecomp.sh stage 0) checking the configs of: a b\n"
           "other output\n"
           "2026-12-02 10:00:05 (aecomp.sh stage 1) data preparation -> data/\n"
           "2026-12-02 10:01:05 (aecomp.sh stage 0) building the mini corpus's SSL upstreams for x.yaml\n"
           "2026-12-02 10:02:05 (aecomp.sh stage 4) training a\n"
           "2026-12-02 10:03:00 (aecomp.sh stage 4) training b\n"
           "2026-12-02 10:05:05 (aecomp.sh stage 1-5) fold 1/5: stages 1-5\n")
    assert stage_times(log, datetime(2026, 12, 2, 10, 6, 0)) == [("0", 65.0), ("1", 60.0), ("4", 180.0),
                                                                  ("1-5", 55.0)]


def test_run_all_quick_sizes_go_to_their_own_benchmark_only(tmp_path):
    """--quick shrinks codec_speed (--clips 2); padding, which has no quick sizes, runs with no options."""
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run([str(ROOT / "bench" / "run_all.sh"), "--quick", "--only", "codec_speed padding", "--out",
                           str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    runs = [line.rstrip() for line in proc.stdout.splitlines() if line.startswith("=== bench/")]
    assert runs == ["=== bench/codec_speed.py --clips 2", "=== bench/padding.py"], runs
    assert f"=== figures written to {out}" in proc.stdout


def test_recipe_time_gives_run_sh_only_what_follows_the_double_dash():
    from recipe_time import split_args  # its own options may stand after the recipe (--keep DIR was run.sh's)

    assert split_args(["egs/wham/enh1", "--keep", "/tmp/w", "--", "--seeds", "1 2 3", "--"]) == \
        (["egs/wham/enh1", "--keep", "/tmp/w"], ["--seeds", "1 2 3", "--"])
    assert split_args(["egs/wham/enh1", "--budget_minutes", "30"]) == (["egs/wham/enh1", "--budget_minutes", "30"], [])
