"""egs/TEMPLATE/utils/low_snr_claim.py on scores written here: the mean over the low levels, the paired
differences per run, the verdicts, an error rate's sign, and the errors for what is missing."""

import json
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "egs" / "TEMPLATE" / "utils" / "low_snr_claim.py"
SETS = ("clean", "matched_0dB", "matched_-5dB", "unmatched_0dB", "unmatched_-5dB")


def write(exp, metric, scores):
    """``scores``: system -> seed -> one value per set of SETS."""
    for system, runs in scores.items():
        for seed, values in runs.items():
            for name, value in zip(SETS, values):
                (exp / system / f"seed{seed}" / "eval" / name).mkdir(parents=True)
                (exp / system / f"seed{seed}" / "eval" / name / "metrics.json").write_text(json.dumps({metric: value}))


def claim(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_pairs_runs_and_says_whether_it_holds(tmp_path):
    write(tmp_path / "exp", "ua", {
        "clean": {1: (0.60, 0.30, 0.20, 0.35, 0.25), 2: (0.62, 0.32, 0.22, 0.33, 0.27)},
        "cascade": {1: (0.55, 0.42, 0.30, 0.40, 0.30), 2: (0.54, 0.44, 0.32, 0.38, 0.30)},
        "noisy": {1: (0.5, 0.35, 0.35, 0.3, 0.3), 2: (0.5, 0.42, 0.42, 0.3, 0.3)},
        "trnet": {1: (0.595, 0.50, 0.40, 0.34, 0.30), 2: (0.60, 0.46, 0.34, 0.40, 0.30), 3: (0.1,) * 5}})
    proc = claim("--exp", str(tmp_path / "exp"), "--metric", "ua", "--system", "trnet", "--beats", "cascade noisy",
                 "--conditions", "matched unmatched", "--within", "clean", "0.01")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| trnet | 3 | 0.432 ± 0.287 |" in out  # every run in the table (seed 3 too)
    # matched: trnet (0.45, 0.40) against cascade (0.36, 0.38): +0.09 and +0.02 (seed 3 has no cascade to pair)
    assert "| beats cascade in matched noise | +0.055 ± 0.049 | yes (2/2 runs) |" in out
    # unmatched: trnet (0.32, 0.35) against cascade (0.35, 0.34): -0.03 and +0.01
    assert "| beats cascade in unmatched noise | -0.010 ± 0.028 | no (1/2 runs) |" in out
    # matched against noisy (0.35, 0.42): +0.10 and -0.02: ahead on the mean, not in every run
    lines = {line.split(" | ")[0]: line for line in out.splitlines()}
    assert lines["| beats noisy in matched noise"].endswith("| mean only (1/2 runs) |")
    assert "| +0.040 ± " in lines["| beats noisy in matched noise"]
    assert lines["| beats noisy in unmatched noise"].endswith("| yes (2/2 runs) |")  # +0.02 and +0.05
    # clean: -0.005 and -0.02: within 0.01 on seed 1 only; the mean, -0.0125, is not
    assert "| within 0.01 of clean on clean speech | -0.013 ± 0.011 | no (1/2 runs) |" in out


def test_an_error_rate_is_better_when_lower(tmp_path):
    write(tmp_path / "exp", "wer", {"noisy": {1: (0.2, 0.6, 0.8, 0.7, 0.9)},
                                    "iterative": {1: (0.2, 0.5, 0.7, 0.8, 0.9)}})
    proc = claim("--exp", str(tmp_path / "exp"), "--metric", "wer", "--lower_is_better", "--system", "iterative",
                 "--beats", "noisy", "--conditions", "matched unmatched")
    assert proc.returncode == 0, proc.stderr
    assert "| beats noisy in matched noise | +0.100 ± 0.000 | yes (1/1 runs) |" in proc.stdout
    assert "| beats noisy in unmatched noise | -0.050 ± 0.000 | no (0/1 runs) |" in proc.stdout


def test_what_is_missing_is_named(tmp_path):
    write(tmp_path / "exp", "acc", {"noisy": {1: (0.9,) * 5}, "iterative": {2: (0.9,) * 5}})
    base = ["--exp", str(tmp_path / "exp"), "--system", "iterative", "--conditions", "matched"]
    absent = claim(*base, "--metric", "acc", "--beats", "noisy cascade")
    assert absent.returncode != 0 and 'no scored run of cascade; run stages 4-5 first' in absent.stderr
    unpaired = claim(*base, "--metric", "acc", "--beats", "noisy")
    assert unpaired.returncode != 0 and "iterative and noisy share no run" in unpaired.stderr
    metric = claim(*base, "--metric", "wer", "--beats", "noisy")
    assert metric.returncode != 0 and "no metric 'wer' (it has acc)" in metric.stderr
    (tmp_path / "exp" / "noisy" / "seed1" / "eval" / "matched_-5dB" / "metrics.json").unlink()
    lost = claim(*base, "--metric", "acc", "--beats", "noisy")
    assert lost.returncode != 0 and "matched_-5dB/metrics.json: not there; score it with stage 5" in lost.stderr
