"""The plugin registry: registration, lookup, building from config, third-party entry points."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from aecomp import registry
from aecomp.registry import Registry, RegistryError

from conftest import run_cli


def test_builtin_plugins_are_found_without_import():
    index = registry.REGISTRY.index()
    assert {"identity", "wiener", "unet"} <= set(index["frontend"])
    assert {"clean", "noisy", "cascade", "joint", "iterative"} <= set(index["paradigm"])
    assert index["frontend"]["unet"].module == "aecomp.frontends.unet"
    assert "U-Net" in registry.describe("frontend")["unet"]


def test_build_with_conf_and_injected_args():
    net = registry.build("frontend", {"name": "unet", "conf": {"channels": [2, 4]}})
    assert type(net).__name__ == "UNet"
    clf = registry.build("downstream", {"name": "kws_cnn", "conf": {"channels": [2, 2]}}, labels=["a", "b"])
    assert clf.labels == ["a", "b"]
    assert type(registry.build("frontend", "identity")).__name__ == "Identity"


def test_unknown_name_lists_valid_names():
    with pytest.raises(RegistryError) as err:
        registry.build("frontend", {"name": "unett"})
    msg = str(err.value)
    assert "unknown frontend 'unett'" in msg and "identity" in msg and "Did you mean 'unet'" in msg


def test_unknown_conf_key_lists_valid_keys():
    with pytest.raises(RegistryError) as err:
        registry.build("frontend", {"name": "unet", "conf": {"chanels": [2, 4]}}, where="conf/x.yaml:3 (frontend)")
    msg = str(err.value)
    assert "conf/x.yaml:3" in msg and "'chanels'" in msg and "channels=" in msg and "Did you mean 'channels'" in msg


def test_classes_without_options_refuse_any_key():
    with pytest.raises(RegistryError, match="unknown conf key 'foo'"):
        registry.build("frontend", {"name": "identity", "conf": {"foo": 1}})


def test_injected_keys_cannot_be_set_by_users():
    with pytest.raises(RegistryError, match="set by aecomp"):
        registry.build("downstream", {"name": "kws_cnn", "conf": {"labels": ["x"]}}, labels=["a"])


def test_malformed_spec():
    with pytest.raises(RegistryError, match="put options under 'conf'"):
        registry.build("frontend", {"name": "unet", "channels": [2]})
    with pytest.raises(RegistryError, match="unknown plugin kind"):
        registry.get("frontends", "unet")


def test_register_checks_base_class_and_duplicates(tmp_path):
    reg = Registry(tmp_path)  # an empty package: nothing built in
    from aecomp.frontends.base import Frontend

    with pytest.raises(RegistryError, match="must subclass aecomp.frontends.base.Frontend"):
        @reg.register("frontend", "bad")
        class NotAFrontend:  # noqa: F811
            pass

    @reg.register("frontend", "mine")
    class Mine(Frontend):
        """Mine."""

    assert reg.get("frontend", "mine") is Mine
    with pytest.raises(RegistryError, match="registered twice"):
        @reg.register("frontend", "mine")
        class Other(Frontend):
            pass


def _make_plugin_dist(site, plugin_body: str, module: str = "acme_enhancers") -> None:
    """A real installed distribution (dist-info with an entry point) on a temporary sys.path entry."""
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text("")
    (site / module / "plugins.py").write_text(textwrap.dedent(plugin_body))
    info = site / "acme_enhancers-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-enhancers\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[aecomp.plugins]\nacme = {module}.plugins\n")
    (info / "RECORD").write_text("")


def test_third_party_plugin_from_entry_point(tmp_path):
    _make_plugin_dist(tmp_path, '''
        import torch
        from aecomp.frontends.base import Frontend
        from aecomp.registry import register

        @register("frontend", "acme_gain")
        class AcmeGain(Frontend):
            """Multiplies the input by a learnt gain (a test plugin)."""
            def __init__(self, init: float = 1.0):
                super().__init__()
                self.gain = torch.nn.Parameter(torch.tensor(init))
            def forward(self, wav, lengths):
                return wav * self.gain
    ''')
    script = textwrap.dedent('''
        import sys, torch
        from aecomp import registry
        assert "acme_enhancers.plugins" not in sys.modules
        print(registry.describe("frontend")["acme_gain"])
        fe = registry.build("frontend", {"name": "acme_gain", "conf": {"init": 2.0}})
        print(float(fe(torch.ones(1, 4), torch.tensor([4]))[0, 0]))
    ''')
    env = {"PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], env={**__import__("os").environ, **env},
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["Multiplies the input by a learnt gain (a test plugin).", "2.0"]
    listed = run_cli("list", "frontend", env=env).stdout
    assert "acme_gain" in listed and "entry point 'acme'" in listed


def test_plugin_with_wrong_base_class_fails_when_used(tmp_path):
    _make_plugin_dist(tmp_path, '''
        from aecomp.registry import register

        @register("frontend", "acme_bad")
        class NotAModule:
            """Not a front-end."""
    ''')
    script = "from aecomp import registry; registry.get('frontend', 'acme_bad')"
    out = subprocess.run([sys.executable, "-c", script], env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
                         capture_output=True, text=True)
    assert out.returncode != 0 and "must subclass aecomp.frontends.base.Frontend" in out.stderr


def test_cli_list_and_help_do_not_import_torch():
    script = textwrap.dedent('''
        import sys, io, contextlib
        from aecomp.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            main(["list"])
        assert "torch" not in sys.modules, "aecomp list imported torch"
        print(out.getvalue())
    ''')
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for kind in registry.KINDS:
        assert f"{kind} (" in out.stdout
    assert "iterative" in out.stdout and "speech_commands" in out.stdout
    assert "usage: aecomp" in run_cli("--help").stdout
