"""The plugin registry: registration, lookup, building from config, outside packages' entry points and their mistakes (aecomp/registry.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import pytest

from aecomp import registry
from aecomp.registry import Registry, RegistryError
from conftest import run_cli


def _make_plugin_dist(site, plugin_body: str, module: str = "acme_enhancers", dist: str = "acme-enhancers",
                      entry: str = "", files=None) -> None:
    """A real installed distribution (dist-info with an entry point) on a temporary sys.path entry:
    ``module/plugins.py`` holds ``plugin_body``, ``files`` more modules (path -> source); the entry
    point is ``acme = <entry or module.plugins>``."""
    (site / module).mkdir(parents=True, exist_ok=True)
    for rel, body in {"__init__.py": "", "plugins.py": plugin_body, **(files or {})}.items():
        (site / module / rel).write_text(textwrap.dedent(body))
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[aecomp.plugins]\nacme = {entry or module + '.plugins'}\n")
    (info / "RECORD").write_text("")


GAIN = '''
    import torch
    from aecomp.frontends.base import Frontend
    from aecomp.registry import register

    @register("frontend", "{name}")
    class AcmeGain(Frontend):
        """Multiplies the input by {init} (a test plugin)."""
        def __init__(self, init: float = {init}):
            super().__init__()
            self.gain = torch.nn.Parameter(torch.tensor(init))
        def forward(self, wav, lengths):
            return wav * self.gain
'''


def _path_env(site) -> dict:
    """Environment overrides that put ``site`` first on the module search path."""
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH", "")]))}


def _python(site, script: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh interpreter with ``site`` on its path."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env={**os.environ, **_path_env(site)},
                          capture_output=True, text=True)


# -- mistakes in outside plugins: each named, none breaks built-ins or other plugins --------------------
BUILTIN_CONFIG = """\
frontend: {name: wiener}
downstream:
  name: kws_cnn
  conf: {channels: [2, 2]}
paradigm: {name: noisy, conf: {epochs: 1}}
"""


def _config(tmp_path, text: str, name: str = "exp.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


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
    out = _python(tmp_path, script)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["Multiplies the input by a learnt gain (a test plugin).", "2.0"]
    listed = run_cli("list", "frontend", env=_path_env(tmp_path)).stdout
    assert "acme_gain" in listed and "distribution acme-enhancers, entry point 'acme'" in listed


def test_plugin_with_wrong_base_class_fails_when_used(tmp_path):
    _make_plugin_dist(tmp_path, '''
        from aecomp.registry import register

        @register("frontend", "acme_bad")
        class NotAModule:
            """Not a front-end."""
    ''')
    script = "from aecomp import registry; registry.get('frontend', 'acme_bad')"
    out = _python(tmp_path, script)
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


def test_plugin_module_that_fails_to_import(tmp_path):
    site = tmp_path / "site"
    _make_plugin_dist(site, "import acme_missing_dependency\n" + textwrap.dedent(GAIN.format(name="acme_gain", init=2.0)))
    _make_plugin_dist(site, GAIN.format(name="other_gain", init=3.0), module="other_enhancers", dist="other-enhancers")
    out = _python(site, '''
        import torch
        from aecomp import registry
        from aecomp.registry import RegistryError
        print(type(registry.build("frontend", "unet")).__name__, type(registry.build("frontend", "other_gain")).__name__)
        try:
            registry.get("frontend", "acme_gain")
        except RegistryError as exc:
            print(exc)
    ''')
    assert out.returncode == 0, out.stderr
    built, msg = out.stdout.split("\n", 1)
    assert built == "UNet AcmeGain"  # built-ins and the other package still work
    for part in ("frontend 'acme_gain'", "distribution acme-enhancers", "entry point 'acme' (acme_enhancers.plugins)",
                 "group aecomp.plugins", "module acme_enhancers.plugins fails to import",
                 "ModuleNotFoundError: No module named 'acme_missing_dependency'", "pip uninstall acme-enhancers"):
        assert part in msg, (part, msg)
    # a config naming it fails with its place and the reason; one with built-ins only passes
    env = _path_env(site)
    bad = run_cli("check-config", _config(tmp_path, BUILTIN_CONFIG.replace("wiener", "acme_gain")), env=env, check=False)
    assert bad.returncode == 1 and f"{tmp_path}/exp.yaml:1 (frontend): frontend 'acme_gain'" in bad.stderr
    assert "No module named 'acme_missing_dependency'" in bad.stderr and "Traceback" not in bad.stderr
    assert run_cli("check-config", _config(tmp_path, BUILTIN_CONFIG, "ok.yaml"), env=env, check=False).returncode == 0
    assert "acme_gain" in run_cli("list", "frontend", env=env).stdout


def test_plugin_package_whose_init_raises_does_not_break_list(tmp_path):
    _make_plugin_dist(tmp_path, GAIN.format(name="acme_gain", init=2.0),
                      files={"__init__.py": "raise RuntimeError('broken package init')\n"})
    listed = run_cli("list", "frontend", env=_path_env(tmp_path), check=False)
    assert listed.returncode == 0 and "wiener" in listed.stdout and "acme_gain" in listed.stdout, listed.stderr
    out = _python(tmp_path, "from aecomp import registry; registry.get('frontend', 'acme_gain')")
    assert "RuntimeError: broken package init" in out.stderr and "distribution acme-enhancers" in out.stderr


def test_reexported_class_is_found_by_following_relative_imports(tmp_path):
    _make_plugin_dist(tmp_path, "from ._impl import AcmeGain\n",
                      files={"_impl.py": GAIN.format(name="acme_gain", init=2.0)})
    out = _python(tmp_path, '''
        import torch
        from aecomp import registry
        fe = registry.build("frontend", {"name": "acme_gain", "conf": {"init": 3.0}})
        print(type(fe).__module__, float(fe(torch.ones(1, 2), torch.tensor([2]))[0, 0]))
    ''')
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "acme_enhancers._impl 3.0"


def test_registration_that_cannot_be_read_statically_warns(tmp_path):
    _make_plugin_dist(tmp_path, GAIN.format(name="acme_gain", init=2.0)
                      .replace('@register("frontend", "acme_gain")', 'NAME = "acme_const"\n    @register("frontend", NAME)')
                      + '''
    def make_name():
        return "acme_dynamic"

    @register("frontend", make_name())
    class AcmeDynamic(Frontend):
        """Never found without importing."""
    ''')
    listed = run_cli("list", "frontend", env=_path_env(tmp_path))
    assert "acme_const" in listed.stdout  # a module-level string constant is read
    plugins = tmp_path / "acme_enhancers" / "plugins.py"
    line = plugins.read_text().splitlines().index('@register("frontend", make_name())') + 1
    assert f"{plugins}:{line}: class AcmeDynamic is not registered: @register('frontend', make_name())" in listed.stderr
    assert "distribution acme-enhancers, entry point 'acme'" in listed.stderr
    assert 'write the kind and the name as literal strings, e.g. @register("frontend", "my_enhancer")' in listed.stderr
    out = _python(tmp_path, "from aecomp import registry; registry.get('frontend', 'acme_dynamic')")
    assert "unknown frontend 'acme_dynamic'" in out.stderr and "note: " in out.stderr and "AcmeDynamic" in out.stderr


def test_entry_point_naming_a_missing_module(tmp_path):
    _make_plugin_dist(tmp_path, GAIN.format(name="acme_gain", init=2.0), entry="acme_enhancers.plugin")
    listed = run_cli("list", "frontend", env=_path_env(tmp_path))
    assert "wiener" in listed.stdout
    assert ("distribution acme-enhancers, entry point 'acme' (acme_enhancers.plugin) of group aecomp.plugins: "
            "module acme_enhancers.plugin not found: check your entry point") in listed.stderr


def test_name_clash_with_a_builtin_keeps_the_builtin(tmp_path):
    _make_plugin_dist(tmp_path, GAIN.format(name="wiener", init=2.0))
    env = _path_env(tmp_path)
    listed = run_cli("list", "frontend", env=env)
    assert "acme-enhancers:wiener" in listed.stdout and "Wiener filter" in listed.stdout
    assert listed.stderr.count("name clash") == 1
    assert ("'wiener' stays the built-in one; this one is registered as 'acme-enhancers:wiener': "
            'write frontend: {name: "acme-enhancers:wiener"}') in listed.stderr
    assert run_cli("check-config", _config(tmp_path, BUILTIN_CONFIG), env=env).returncode == 0
    out = _python(tmp_path, '''
        from aecomp import registry
        print(type(registry.build("frontend", "wiener")).__module__)
        print(type(registry.build("frontend", {"name": "acme-enhancers:wiener", "conf": {"init": 2.0}})).__module__)
        import aecomp.frontends.wiener  # both modules imported: still no clash at registration
        print(registry.get("frontend", "acme-enhancers:wiener").registered_name)
    ''')
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["aecomp.frontends.wiener", "acme_enhancers.plugins", "acme-enhancers:wiener"]


def test_name_clash_between_two_plugins_first_distribution_wins(tmp_path):
    _make_plugin_dist(tmp_path, GAIN.format(name="gain", init=2.0), module="zed_enhancers", dist="zed-enhancers")
    _make_plugin_dist(tmp_path, GAIN.format(name="gain", init=3.0), module="acme_enhancers", dist="acme-enhancers")
    out = _python(tmp_path, '''
        from aecomp import registry
        print(float(registry.build("frontend", "gain").gain), float(registry.build("frontend", "zed-enhancers:gain").gain))
    ''')
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3.0", "2.0"]
    assert "'gain' stays the one of distribution acme-enhancers" in out.stderr
    assert "registered as 'zed-enhancers:gain'" in out.stderr
