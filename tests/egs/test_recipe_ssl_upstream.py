"""cascade_ssl through the pre-trained tiny HuBERT against cascade_ssl_random (the random tiny WavLM), end to end
on the debug corpus: stage 1 pre-trains the upstream, the configs naming it are checked after it, and the
report says which upstream each system used."""

from __future__ import annotations

import os
import subprocess

import pytest

from conftest import ROOT, eval_grid

RECIPE = ROOT / "egs" / "speech_commands" / "scr1"
SYSTEMS = ["noisy", "cascade_ssl", "cascade_ssl_random"]


@pytest.mark.slow
def test_pretrained_and_random_upstream_systems_end_to_end(tmp_path):
    env = {**os.environ, "AECOMP_MINI": str(tmp_path / "mini"), "SPEECH_COMMANDS": ""}
    for var in ("SSL_UPSTREAM", "SSL_UPSTREAM_NAME", "SSL_UPSTREAM_RANDOM"):
        env.pop(var, None)
    cmd = ["./run.sh", "--conf_dir", "conf/debug", "--systems", " ".join(SYSTEMS), "--data_args", "--mini_size debug",
           "--eval_config", str(eval_grid(tmp_path / "eval.yaml", [0])), "--keep_examples", "0",
           "--datadir", str(tmp_path / "data"), "--expdir", str(tmp_path / "exp"), "--results", str(tmp_path / "R.md")]
    proc = subprocess.run(cmd, cwd=RECIPE, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    # stage 0 checks noisy at once; the SSL systems after stage 1 has pre-trained their upstream
    assert out.index("checking the configs of: noisy cascade_ssl cascade_ssl_random") < out.index("stage 1)") \
        < out.index("checking the configs that name the SSL upstream")
    upstream = tmp_path / "mini" / "upstream"
    assert (upstream / "tiny_hubert.pt").is_file() and (upstream / "tiny_wavlm.pt").is_file()
    assert (upstream / "pretrain" / "history.json").is_file()
    for system in SYSTEMS:
        assert (tmp_path / "exp" / system / "seed1" / "model.pt").is_file()
    rows = {line.split(" | ")[0]: line for line in (tmp_path / "R.md").read_text().splitlines()
            if line.startswith("| cascade_ssl") and "| cascade |" in line}  # the table of what each system is
    assert f"tiny_hubert (hubert_local, {upstream / 'tiny_hubert.pt'}): pre-trained here" in rows["| cascade_ssl"]
    assert f"tiny_wavlm (wavlm_local, {upstream / 'tiny_wavlm.pt'}): randomly initialised" in rows["| cascade_ssl_random"]
    page = (tmp_path / "exp" / "index.html").read_text()
    assert "SSL upstream" in page and "pre-trained here" in page and "randomly initialised" in page
