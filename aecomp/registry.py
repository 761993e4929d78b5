"""One plugin registry for every kind of aecomp component.

A plugin is a class decorated with :func:`register`::

    from aecomp.frontends.base import Frontend
    from aecomp.registry import register

    @register("frontend", "my_enhancer")
    class MyEnhancer(Frontend):
        \"\"\"One line that ``aecomp list`` prints.\"\"\"
        def __init__(self, hidden: int = 64): ...

That decorator is the one registry line: a built-in plugin is a file anywhere
under the ``aecomp`` package, a third-party plugin is a module named by an
entry point of the group ``aecomp.plugins`` (see README). Plugins are found
without importing them: the registry reads the sources with :mod:`ast` and
looks for ``@register("<kind>", "<name>")`` with literal arguments, so that
``aecomp list`` answers without importing torch. The module is imported when
the plugin is first used; the decorator then checks the base class.

Building from configuration: ``build("frontend", {"name": "unet", "conf":
{...}})``. An unknown name or an unknown ``conf`` key fails with the valid
ones listed.
"""

from __future__ import annotations

from aecomp.errors import AecompError

import ast
import difflib
import importlib
import importlib.util
import inspect
import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "aecomp.plugins"

#: kind -> (module, class) of the base class every plugin of that kind extends.
KINDS: Dict[str, tuple] = {
    "frontend": ("aecomp.frontends.base", "Frontend"),
    "downstream": ("aecomp.downstream.base", "Downstream"),
    "loss": ("aecomp.losses.base", "Loss"),
    "paradigm": ("aecomp.paradigms.base", "Paradigm"),
    "corpus": ("aecomp.corpora.base", "Corpus"),
    "codec": ("aecomp.audio.codecs", "Codec"),
}


class RegistryError(AecompError, ValueError):
    """A plugin name, base class or configuration is wrong; the message says how to fix it."""


@dataclass(frozen=True)
class PluginRef:
    """Where a plugin lives, known before its module is imported."""

    kind: str
    name: str
    module: str
    qualname: str
    description: str
    source: str  # "aecomp" or the entry point that provided it


class Registry:
    """Every registered plugin of every kind.

    Use the module-level instance through :func:`register`, :func:`get`,
    :func:`build`, :func:`names` and :func:`describe`.
    """

    def __init__(self, package_dir: Path, entry_point_group: str = ENTRY_POINT_GROUP):
        self._package_dir = package_dir
        self._group = entry_point_group
        self._classes: Dict[str, Dict[str, type]] = {k: {} for k in KINDS}
        self._index: Optional[Dict[str, Dict[str, PluginRef]]] = None

    # -- registration -------------------------------------------------------
    def register(self, kind: str, name: str) -> Callable[[type], type]:
        """Class decorator: make ``cls`` available as ``name`` of ``kind``."""
        _check_kind(kind)

        def decorator(cls: type) -> type:
            base = _base_class(kind)
            if not (inspect.isclass(cls) and issubclass(cls, base)):
                raise RegistryError(
                    f"cannot register {cls!r} as {kind} '{name}': a {kind} must subclass "
                    f"{base.__module__}.{base.__qualname__}"
                )
            old = self._classes[kind].get(name)
            if old is not None and _qualified(old) != _qualified(cls):
                raise RegistryError(
                    f"{kind} '{name}' is registered twice: by {_qualified(old)} and by "
                    f"{_qualified(cls)}; rename one of them"
                )
            self._classes[kind][name] = cls
            cls.registered_name = name
            return cls

        return decorator

    # -- discovery ----------------------------------------------------------
    def index(self) -> Dict[str, Dict[str, PluginRef]]:
        """kind -> name -> :class:`PluginRef` for every plugin that can be loaded."""
        if self._index is None:
            index: Dict[str, Dict[str, PluginRef]] = {k: {} for k in KINDS}
            for path in sorted(self._package_dir.rglob("*.py")):
                module = _module_name(path, self._package_dir, "aecomp")
                for ref in _scan_source(path, module, "aecomp"):
                    _add_ref(index, ref)
            for ep in _entry_points(self._group):
                for ref in _scan_entry_point(ep):
                    _add_ref(index, ref)
            self._index = index
        return self._index

    def names(self, kind: str) -> List[str]:
        _check_kind(kind)
        return sorted(set(self.index()[kind]) | set(self._classes[kind]))

    def describe(self, kind: str) -> Dict[str, str]:
        """name -> one-line description, without importing any plugin."""
        out = {}
        for name in self.names(kind):
            ref = self.index()[kind].get(name)
            if ref is not None:
                out[name] = ref.description
            else:
                out[name] = _first_doc_line(self._classes[kind][name].__doc__)
        return out

    def get(self, kind: str, name: str) -> type:
        """The class registered as ``name`` of ``kind`` (imports its module on first use)."""
        _check_kind(kind)
        if name not in self._classes[kind]:
            ref = self.index()[kind].get(name)
            if ref is None:
                raise RegistryError(_unknown_name_message(kind, name, self.names(kind)))
            importlib.import_module(ref.module)
            if name not in self._classes[kind]:
                raise RegistryError(
                    f"module {ref.module} was expected to register {kind} '{name}' "
                    f"(class {ref.qualname}) but did not"
                )
        return self._classes[kind][name]

    def build(self, kind: str, spec: Any, where: str = "", **injected: Any) -> Any:
        """Instantiate a plugin from ``{"name": ..., "conf": {...}}`` (or a bare name).

        ``injected`` are constructor arguments that the program supplies (the
        label list, the sample rate); setting them in ``conf`` is an error.
        ``where`` names the configuration place for error messages.
        """
        name, conf = parse_spec(kind, spec, where)
        cls = self.get(kind, name)
        params = _init_params(cls)
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
        place = where or kind
        for key in conf:
            if key in injected:
                raise RegistryError(
                    f"{place}: '{key}' is set by aecomp for {kind} '{name}'; remove it from conf"
                )
            if key not in params and not takes_kwargs:
                raise RegistryError(_unknown_key_message(kind, name, key, params, injected, place))
        usable = {k: v for k, v in injected.items() if k in params or takes_kwargs}
        missing = [
            k for k, p in params.items()
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and k not in conf and k not in usable
        ]
        if missing:
            raise RegistryError(f"{place}: {kind} '{name}' needs conf key(s) {', '.join(missing)}")
        return cls(**conf, **usable)


def parse_spec(kind: str, spec: Any, where: str = "") -> tuple:
    """``spec`` as ``(name, conf)``: accepts a name or ``{name: ..., conf: {...}}``."""
    place = where or kind
    if isinstance(spec, str):
        return spec, {}
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise RegistryError(
            f"{place}: expected a {kind} name or a mapping {{name: ..., conf: {{...}}}}, got {spec!r}"
        )
    extra = set(spec) - {"name", "conf"}
    if extra:
        raise RegistryError(
            f"{place}: unknown key(s) {sorted(extra)} beside 'name'; put options under 'conf'"
        )
    conf = spec.get("conf") or {}
    if not isinstance(conf, Mapping):
        raise RegistryError(f"{place}.conf: expected a mapping, got {conf!r}")
    return spec["name"], dict(conf)


# -- helpers -------------------------------------------------------------------
def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise RegistryError(f"unknown plugin kind '{kind}'; kinds are: {', '.join(KINDS)}")


def _base_class(kind: str) -> type:
    module, cls = KINDS[kind]
    return getattr(importlib.import_module(module), cls)


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _first_doc_line(doc: Optional[str]) -> str:
    return (inspect.cleandoc(doc).splitlines() or [""])[0] if doc else ""


def _module_name(path: Path, package_dir: Path, package: str) -> str:
    """Dotted name of ``path`` inside ``package`` whose files live in ``package_dir``."""
    parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _scan_source(path: Path, module: str, source: str) -> List[PluginRef]:
    """Every ``@register("kind", "name")`` class in one source file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    if "register(" not in text:
        return []
    refs = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if not isinstance(node, ast.ClassDef):
            continue
        for dec in node.decorator_list:
            if not (isinstance(dec, ast.Call) and _call_name(dec.func) == "register"):
                continue
            args = [a.value for a in dec.args if isinstance(a, ast.Constant)]
            if len(args) == 2 and all(isinstance(a, str) for a in args) and args[0] in KINDS:
                desc = _first_doc_line(ast.get_docstring(node))
                refs.append(PluginRef(args[0], args[1], module, node.name, desc, source))
    return refs


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _entry_points(group: str) -> list:
    try:
        return list(metadata.entry_points(group=group))
    except Exception as exc:  # a broken installed distribution must not break aecomp
        log.warning("could not read entry points of group %s: %s", group, exc)
        return []


def _scan_entry_point(ep) -> List[PluginRef]:
    """Plugins of an entry point ``name = package.module`` (or ``package.module:attr``)."""
    module = ep.value.split(":")[0].strip()
    where = f"entry point '{ep.name}' ({ep.value})"
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        log.warning("skipping %s: %s", where, exc)
        return []
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        log.warning("skipping %s: module %s has no Python source to read", where, module)
        return []
    if spec.submodule_search_locations:  # a package: read every module below it
        root = Path(spec.origin).parent
        return [
            ref for p in sorted(root.rglob("*.py"))
            for ref in _scan_source(p, _module_name(p, root, module), where)
        ]
    return _scan_source(Path(spec.origin), module, where)


def _add_ref(index: Dict[str, Dict[str, PluginRef]], ref: PluginRef) -> None:
    old = index[ref.kind].get(ref.name)
    if old is not None and (old.module, old.qualname) != (ref.module, ref.qualname):
        raise RegistryError(
            f"{ref.kind} '{ref.name}' is registered twice: by {old.module}.{old.qualname} "
            f"({old.source}) and by {ref.module}.{ref.qualname} ({ref.source}); rename one"
        )
    index[ref.kind][ref.name] = ref


def _init_params(cls: type) -> Dict[str, inspect.Parameter]:
    params = dict(inspect.signature(cls.__init__).parameters)
    params.pop("self", None)
    return {k: p for k, p in params.items() if p.kind is not p.VAR_POSITIONAL}


def _unknown_name_message(kind: str, name: str, valid: List[str]) -> str:
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (
        f"unknown {kind} '{name}'. Valid {kind} names: {', '.join(valid) or '(none)'}.{hint} "
        f"Run 'aecomp list' to see every plugin."
    )


def _unknown_key_message(kind, name, key, params, injected, place) -> str:
    valid = [
        f"{k}={p.default!r}" if p.default is not p.empty else k
        for k, p in params.items()
        if k not in injected and p.kind is not p.VAR_KEYWORD
    ]
    close = difflib.get_close_matches(key, [k for k in params if k not in injected], n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (
        f"{place}: unknown conf key '{key}' for {kind} '{name}'. "
        f"Valid keys (with defaults): {', '.join(valid) or '(none)'}.{hint}"
    )


REGISTRY = Registry(Path(__file__).resolve().parent)

register = REGISTRY.register
get = REGISTRY.get
build = REGISTRY.build
names = REGISTRY.names
describe = REGISTRY.describe
