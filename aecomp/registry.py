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

Outside plugins never break built-ins or each other: an entry point whose
module is missing, a registration the scan cannot read (a name that is not a
literal) and a module that fails to import are reported with the distribution
and entry point; a name that is already taken (by a built-in, or by a package
whose name sorts first) stays with its first owner and the newcomer is
registered as ``<distribution>:<name>``, with a warning saying so. The scan
follows imports inside the plugin's own package (``from ._impl import X``).

Building from configuration: ``build("frontend", {"name": "unet", "conf":
{...}})``. An unknown name or an unknown ``conf`` key fails with the valid
ones listed.
"""

from __future__ import annotations

from aecomp.errors import AecompError, exception_line

import ast
import difflib
import importlib
import inspect
import logging
import sys
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "aecomp.plugins"

#: kind -> (module, class) of the base class every plugin of that kind extends.
KINDS: Dict[str, tuple] = {
    "frontend": ("aecomp.frontends.base", "Frontend"),
    "downstream": ("aecomp.downstream.base", "Downstream"),
    "loss": ("aecomp.losses.base", "Loss"),
    "paradigm": ("aecomp.paradigms.base", "Paradigm"),
    "corpus": ("aecomp.corpora.base", "Corpus"),
    "corruption": ("aecomp.corruptions.base", "Corruption"),
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
    source: str  # "aecomp" or the distribution and entry point that provided it
    dist: str = ""  # the distribution of an outside plugin; "" for built-ins


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
        #: what the scan of outside plugins found wrong (each also logged once as a warning)
        self.problems: List[str] = []

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
            name_ = self._indexed_name(kind, name, cls)
            old = self._classes[kind].get(name_)
            if old is not None and _qualified(old) != _qualified(cls):
                raise RegistryError(
                    f"{kind} '{name_}' is registered twice: by {_qualified(old)} and by "
                    f"{_qualified(cls)}; rename one of them"
                )
            self._classes[kind][name_] = cls
            cls.registered_name = name_
            return cls

        return decorator

    def _indexed_name(self, kind: str, name: str, cls: type) -> str:
        """The name the index gave ``cls`` of an outside package (``<dist>:<name>`` after a clash)."""
        if cls.__module__ == "aecomp" or cls.__module__.startswith("aecomp."):
            return name
        for ref in self.index()[kind].values():
            if (ref.module, ref.qualname) == (cls.__module__, cls.__qualname__) \
                    and ref.name.rpartition(":")[2] == name:
                return ref.name
        return name

    # -- discovery ----------------------------------------------------------
    def index(self) -> Dict[str, Dict[str, PluginRef]]:
        """kind -> name -> :class:`PluginRef` for every plugin that can be loaded."""
        if self._index is None:
            index: Dict[str, Dict[str, PluginRef]] = {k: {} for k in KINDS}
            problems: List[str] = []
            for path in sorted(self._package_dir.rglob("*.py")):
                module = _module_name(path, self._package_dir, "aecomp")
                refs, notes = _scan_source(path, module, "aecomp")
                if notes:  # a built-in that cannot be read is a bug of aecomp itself
                    raise RegistryError("; ".join(notes))
                for ref in refs:
                    _add_builtin(index, ref)
            for ep in _entry_points(self._group):
                refs, notes = _scan_entry_point(ep)
                problems += notes
                for ref in refs:
                    problems += _add_outside(index, ref)
            for problem in problems:
                log.warning("%s", problem)
            self._index, self.problems = index, problems
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

    def get(self, kind: str, name: str, where: str = "") -> type:
        """The class registered as ``name`` of ``kind`` (imports its module on first use).

        ``where`` (``config:LINE (frontend)``) starts every error message."""
        _check_kind(kind)
        place = f"{where}: " if where else ""
        if name not in self._classes[kind]:
            ref = self.index()[kind].get(name)
            if ref is None:
                raise RegistryError(place + _unknown_name_message(kind, name, self.names(kind), self.problems))
            _import_plugin(ref, place)
            if name not in self._classes[kind]:
                raise RegistryError(
                    f"{place}module {ref.module} was expected to register {kind} '{name}' "
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
        cls = self.get(kind, name, where)
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


def _scan_source(path: Path, module: str, source: str, dist: str = "") -> Tuple[List[PluginRef], List[str]]:
    """Every ``@register("kind", "name")`` class in one source file, and what could not be read."""
    refs, _, notes = _read_source(path, module, source, dist)
    return refs, notes


def _read_source(path: Path, module: str, source: str, dist: str = ""):
    """``(refs, imported modules, notes)`` of one source file (notes: registrations it cannot read)."""
    try:
        text = path.read_text(encoding="utf-8")
        if source == "aecomp" and "register(" not in text:  # most built-in files: nothing to parse
            return [], [], []
        tree = ast.parse(text, filename=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [], [f"{source}: cannot read {path}: {exc}; its plugins are not registered"]
    except SyntaxError as exc:
        return [], [], [f"{source}: {path}:{exc.lineno}: syntax error ({exc.msg}); its plugins are not registered"]
    consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
              and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
              for t in n.targets if isinstance(t, ast.Name)}
    refs: List[PluginRef] = []
    notes: List[str] = []

    def add(call: ast.Call, qualname: str, doc: Optional[str]) -> None:
        args = [consts.get(a.id) if isinstance(a, ast.Name) else a.value if isinstance(a, ast.Constant) else None
                for a in call.args]
        written = f"@register({', '.join(ast.unparse(a) for a in call.args)})"
        if len(args) != 2 or call.keywords or not all(isinstance(a, str) for a in args):
            notes.append(
                f"{source}: {path}:{call.lineno}: class {qualname} is not registered: {written} cannot be "
                f"read without importing the module (aecomp lists plugins without importing them); write "
                f"the kind and the name as literal strings, e.g. @register(\"frontend\", \"my_enhancer\")")
        elif args[0] not in KINDS:
            notes.append(f"{source}: {path}:{call.lineno}: class {qualname} is not registered: unknown kind "
                         f"'{args[0]}' in {written}; kinds are: {', '.join(KINDS)}")
        else:
            refs.append(PluginRef(args[0], args[1], module, qualname, _first_doc_line(doc), source, dist))

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and _call_name(dec.func) == "register":
                    add(dec, node.name, ast.get_docstring(node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call) \
                and _call_name(node.func.func) == "register" and len(node.args) == 1:
            target = node.args[0]  # register("kind", "name")(Class)
            add(node.func, target.id if isinstance(target, ast.Name) else ast.unparse(target), None)
    return refs, _imported_modules(tree, module, path.name == "__init__.py"), notes


def _imported_modules(tree: ast.Module, module: str, is_package: bool) -> List[str]:
    """Modules of the same top-level package that ``module`` imports (relative or absolute)."""
    top = module.split(".")[0]
    package = module if is_package else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.split(".")[0] == top]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name.split(".")[0] == top:
                out.append(name)
                out += [f"{name}.{a.name}" for a in node.names if a.name != "*"]  # from . import _impl
    return out


def _find_spec(module: str):
    """The spec of ``module`` found without importing it or its parent packages (None: not found)."""
    if module in sys.modules:
        return getattr(sys.modules[module], "__spec__", None)
    parts = module.split(".")
    spec, path = None, None
    for i in range(len(parts)):
        name = ".".join(parts[:i + 1])
        spec = None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            try:
                spec = find(name, path) if find else None
            except Exception:  # a finder that cannot answer is not the one we need
                spec = None
            if spec is not None:
                break
        if spec is None:
            return None
        path = spec.submodule_search_locations
        if path is None and i < len(parts) - 1:
            return None
    return spec


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _entry_points(group: str) -> list:
    """The entry points of ``group``, in a fixed order (by distribution, then name)."""
    try:
        eps = list(metadata.entry_points(group=group))
    except Exception as exc:  # a broken installed distribution must not break aecomp
        log.warning("could not read entry points of group %s: %s", group, exc)
        return []
    return sorted(eps, key=lambda ep: (_dist_name(ep), ep.name))


def _dist_name(ep) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else "(unknown distribution)"


def _scan_entry_point(ep) -> Tuple[List[PluginRef], List[str]]:
    """Plugins of an entry point ``name = package.module`` (or ``package.module:attr``), and problems.

    A package is read whole; a module is read with the modules of its own package that it imports."""
    module = ep.value.split(":")[0].strip()
    dist = _dist_name(ep)
    where = f"distribution {dist}, entry point '{ep.name}' ({ep.value}) of group {ENTRY_POINT_GROUP}"
    spec = _find_spec(module)
    if spec is None:
        return [], [f"{where}: module {module} not found: check your entry point (fix it in the package's "
                    f"setup metadata and reinstall the package, or uninstall it: pip uninstall {dist})"]
    if not spec.origin or not spec.origin.endswith(".py"):
        return [], [f"{where}: module {module} has no Python source to read ({spec.origin}); "
                    f"point the entry point at a .py module or package"]
    if spec.submodule_search_locations and Path(spec.origin).name == "__init__.py":  # a package
        root = Path(spec.origin).parent
        refs, notes = [], []
        for p in sorted(root.rglob("*.py")):
            r, n = _scan_source(p, _module_name(p, root, module), where, dist)
            refs, notes = refs + r, notes + n
        return refs, notes
    refs, notes, todo, seen = [], [], [module], set()
    while todo:
        name = todo.pop()
        found = spec if name == module else _find_spec(name)
        if name in seen or found is None or not (found.origin or "").endswith(".py"):
            continue
        seen.add(name)
        r, imported, n = _read_source(Path(found.origin), name, where, dist)
        refs, notes, todo = refs + r, notes + n, todo + imported
    return refs, notes


def _add_builtin(index: Dict[str, Dict[str, PluginRef]], ref: PluginRef) -> None:
    old = index[ref.kind].get(ref.name)
    if old is not None and (old.module, old.qualname) != (ref.module, ref.qualname):
        raise RegistryError(
            f"{ref.kind} '{ref.name}' is registered twice: by {old.module}.{old.qualname} "
            f"and by {ref.module}.{ref.qualname}; rename one"
        )
    index[ref.kind][ref.name] = ref


def _add_outside(index: Dict[str, Dict[str, PluginRef]], ref: PluginRef) -> List[str]:
    """Index an outside plugin; a taken name makes it ``<dist>:<name>``. Returns the warnings."""
    kind, names = ref.kind, index[ref.kind]
    old = names.get(ref.name)
    if old is None or (old.module, old.qualname) == (ref.module, ref.qualname):
        names[ref.name] = ref
        return []
    qualified = f"{ref.dist}:{ref.name}"
    if qualified in names:
        return [f"{ref.source}: {kind} '{ref.name}' is registered twice in that distribution "
                f"({names[qualified].module}.{names[qualified].qualname} and {ref.module}.{ref.qualname}); "
                f"the second is ignored: rename one"]
    names[qualified] = replace(ref, name=qualified)
    owner = "the built-in one" if not old.dist else f"the one of {old.source}"
    return [f"{kind} name clash: '{ref.name}' of {ref.source} ({ref.module}.{ref.qualname}) is already "
            f"{'a built-in' if not old.dist else 'taken'} ({old.module}.{old.qualname}). '{ref.name}' stays "
            f"{owner}; this one is registered as '{qualified}': write {kind}: {{name: \"{qualified}\"}} "
            f"in a config to use it, or rename it in its @register(...)"]


def _import_plugin(ref: PluginRef, place: str) -> None:
    """Import the module of ``ref``; an outside one that fails says which package and what to do."""
    try:
        importlib.import_module(ref.module)
    except Exception as exc:
        if not ref.dist:
            raise
        reason = exception_line(exc)
        raise RegistryError(
            f"{place}{ref.kind} '{ref.name}' comes from {ref.source}, but its module {ref.module} fails to "
            f"import: {reason}. Fix that package (python -c 'import {ref.module}' shows the traceback) and "
            f"reinstall it, or uninstall it (pip uninstall {ref.dist}); built-in plugins and other packages "
            f"still work") from exc


def _init_params(cls: type) -> Dict[str, inspect.Parameter]:
    """The constructor arguments of ``cls``. A constructor that passes ``**kwargs`` on to its parent
    takes the parent's arguments too (followed up the MRO), so a subclass that declares only its own
    options keeps unknown conf keys an error; ``**kwargs`` stays only if the chain ends in one."""
    params: Dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        own = dict(inspect.signature(klass.__init__).parameters)
        own.pop("self", None)
        kwargs = next((p for p in own.values() if p.kind is p.VAR_KEYWORD), None)
        for k, p in own.items():
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                params.setdefault(k, p)
        if kwargs is None:
            return params
    params[kwargs.name] = kwargs  # the chain ends in **kwargs (e.g. torch.nn.Module's): any key is taken
    return params


def _unknown_name_message(kind: str, name: str, valid: List[str], problems: List[str] = ()) -> str:
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    notes = "".join(f"\n  note: {p}" for p in problems)
    return (
        f"unknown {kind} '{name}'. Valid {kind} names: {', '.join(valid) or '(none)'}.{hint} "
        f"Run 'aecomp list' to see every plugin.{notes}"
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
