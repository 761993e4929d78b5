"""aecomp new-plugin: the generated package installs, is listed, passes its own test and trains (aecomp/bin/new_plugin.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import run_cli


def _path_env(site) -> dict:
    """Environment overrides that put ``site`` first on the module search path."""
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))}


# -- aecomp new-plugin ---------------------------------------------------------------------------------
def test_new_plugin_package_installs_is_listed_and_trains(tmp_path, mini_data):
    run_cli("new-plugin", "acme-front", "--kind", "frontend", cwd=tmp_path)
    again = run_cli("new-plugin", "acme-front", cwd=tmp_path, check=False)
    assert again.returncode == 1 and "acme-front already exists" in again.stderr
    taken = run_cli("new-plugin", "wiener", cwd=tmp_path, check=False)
    assert taken.returncode == 1 and "frontend 'wiener' exists already" in taken.stderr
    assert not (tmp_path / "wiener").exists()
    pkg, site = tmp_path / "acme-front", tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(site), str(pkg)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    env = _path_env(site)
    listed = run_cli("list", "frontend", env=env).stdout
    assert "acme_front  Residual 1-D convolutional enhancer (acme-front plugin).  [distribution acme-front" in listed
    own_test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pkg / "tests")],
                              env={**os.environ, **env}, cwd=tmp_path, capture_output=True, text=True)
    assert own_test.returncode == 0 and "1 passed" in own_test.stdout, own_test.stdout + own_test.stderr
    config = pkg / "conf" / "debug" / "train_acme_front.yaml"
    run_cli("check-config", str(config), env=env)
    out_dir = tmp_path / "exp" / "acme_front" / "seed1"
    run_cli("train", "--config", str(config), "--train_data", str(mini_data / "train"), "--valid_data",
            str(mini_data / "dev"), "--noise", str(mini_data / "noise_train"), "--out_dir", str(out_dir), env=env)
    assert (out_dir / "model.pt").is_file() and "name: acme_front" in (out_dir / "config.yaml").read_text()
    import json
    history = json.loads((out_dir / "history.json").read_text())
    assert len(history) == 2  # the cascade's two phases of one epoch each
