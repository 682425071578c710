"""The project index: every file's summary, how imports resolve, and the facts that come
from configuration and infrastructure (table key schemas, Lambda functions and tenancy)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from dynolint.phase1 import ir
from dynolint.config import Config, TableFacts
from dynolint.model.event_fields import tenant_key
from dynolint.model.stdlib import STDLIB_NAMES, stdlib_has, stdlib_may_define
from dynolint.model.values import Val


def clean_dir(code_dir: str) -> str:
    """A function's code folder as infrastructure wrote it, relative to the project ("" for
    the project's own folder)."""
    code_dir = code_dir.strip()
    return "" if code_dir in (".", "./") else code_dir.rstrip("/")


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """A Lambda function declared by the project's infrastructure."""

    ident: str  # logical id, resource name or construct id
    name: str | None  # FunctionName, when declared
    handler: str | None  # "module.function" (dotted module path relative to code_dir)
    code_dir: str  # posix path relative to the project root; "" for the root itself
    per_tenant: bool
    env: tuple[tuple[str, str], ...]  # variable -> "fn:<ident>" | "lit:<value>"
    source: str  # the file that declares it
    # who invokes it, as the infrastructure declares (model/invokers.py): "event",
    # "custom-resource", "state-machine", "authorizer", "api", "url", "function", "other:..."
    invokers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TableDecl:
    ident: str
    name: str | None
    partition_key: str | None
    sort_key: str | None
    source: str


@dataclass(frozen=True, slots=True)
class LayerDecl:
    """A Lambda layer declared by the project's infrastructure: its content folder (whose
    ``python/`` folder, or the folder itself when a build fills ``python/``, is on the
    ``sys.path`` of the functions that use it)."""

    ident: str
    content_dir: str  # posix path relative to the project root
    source: str  # the file that declares it


@dataclass(slots=True)
class Infra:
    functions: list[LambdaFunction] = field(default_factory=list)
    tables: list[TableDecl] = field(default_factory=list)
    layers: list[LayerDecl] = field(default_factory=list)
    errors: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, problem)


class Project:
    def __init__(self, summaries: list[ir.FileSummary], config: Config, infra: Infra) -> None:
        self.config = config
        self.infra = infra
        self._tenant_keys: dict[str, re.Pattern[str]] = {}
        self._callers: dict[str, list[tuple[str, str]]] | None = None
        self._rebound: frozenset[tuple[str, str]] | None = None
        self.files: dict[str, ir.FileSummary] = {s.path: s for s in summaries if s.error is None}
        self.by_module: dict[str, str] = {}
        self.by_last_name: dict[str, list[tuple[str, str]]] = {}  # last dotted part -> (module, path)
        for summary in self.files.values():
            self.by_module.setdefault(summary.module, summary.path)
            self.by_last_name.setdefault(summary.module.rsplit(".", 1)[-1], []).append(
                (summary.module, summary.path))
        self.functions: dict[tuple[str, str], ir.Function] = {}
        self.classes: dict[tuple[str, str], ir.Class] = {}
        # the last name of each base a class is written with -> the classes that name it (the
        # candidates for the subclasses of a class of that name)
        self.named_as_base: dict[str, list[tuple[str, str]]] = {}
        self.records: dict[tuple[str, int], str] = {}  # (path, call site) -> a namedtuple class it may make
        # the names of the methods the project's classes define (a class of its own that
        # answers ``put_item`` makes an unknown object's ``put_item`` no evidence of boto3)
        self.method_names: set[str] = set()
        # the property setters and deleters some class defines, by method name (``status.setter``):
        # an assignment to or a ``del`` of an attribute of another name calls none
        self.accessors: set[str] = set()
        for summary in self.files.values():
            for function in summary.functions:
                self.functions[(summary.path, function.qualname)] = function
                if function.class_qualname is not None:
                    self.method_names.add(function.name)
            for klass in summary.classes:
                self.classes[(summary.path, klass.qualname)] = klass
                self.accessors.update(name for name, _ in klass.methods if "." in name)
                self.accessors.update(_made_property_accessors(klass))
                if klass.record:
                    self.records[(summary.path, klass.site)] = klass.qualname
                for base in map(ir.unparameterized, klass.bases):
                    name = base.id if isinstance(base, ir.Name) else base.attr if isinstance(base, ir.Attr) else None
                    if name is not None:
                        self.named_as_base.setdefault(name, []).append((summary.path, klass.qualname))
        # the item dunders some class defines (``repo[k]`` of one runs it; most projects have none)
        self.item_methods = frozenset(self.method_names & {"__getitem__", "__setitem__", "__delitem__"})
        self._resolved: dict[tuple[str, str, int], str | None] = {}
        from dynolint.model.layout import Layout

        self.layout = Layout(self.files, infra, (p.folder for p in config.subprojects), self.files.values())
        from dynolint.model.deployment import DeployedNames

        self.deployed = DeployedNames(infra)
        self._functions_of: dict[str, tuple[int, list[LambdaFunction]]] = {}
        self._by_code_dir: tuple[int, dict[str, list[int]]] = (-1, {})
        self._folders: set[str] | None = None  # the folders that hold the project's files
        self._reached: dict[str, frozenset[str]] = {}  # a handler's module: the files its imports reach
        self._imports: dict[str, tuple[str, ...]] = {}  # a file: the project files its own imports name
        self._components: dict[str, frozenset[str]] | None = None

    # -- imports ------------------------------------------------------------------------
    def resolve_module(self, importer: str, module: str, level: int) -> str | None:
        """The path of the project file that ``import module`` (with ``level`` leading
        dots) names from ``importer``, or None when it is not part of the project.
        Memoised by the importer's folder: what ``_resolve`` looks at of the importer is its
        folder (the folder's import roots, the folder the import is relative to, whether it is
        under a root, ``importer.startswith(root + "/")``, which holds exactly when
        ``folder + "/"`` starts with it, or never for a file at the top)."""
        key = (posixpath.dirname(importer), module, level)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(importer, module, level)
        return self._resolved[key]

    def _resolve(self, importer: str, module: str, level: int) -> str | None:
        rel = module.replace(".", "/") if module else ""
        directory = posixpath.dirname(importer)
        if level:
            for _ in range(level - 1):
                directory = posixpath.dirname(directory)
            return self._file_at(posixpath.join(directory, rel) if rel else directory)
        top = module.split(".", 1)[0]
        found = self._file_at(posixpath.join(directory, rel)) if directory else None
        if found and (top not in STDLIB_NAMES or self._folder_on_path(directory, module)):
            return found
        own = self.layout.roots(importer)
        shadowed = False
        for root in own:  # sys.path in order: the first root that has the top package wins
            if self.layout.provides(root, top):
                found = self._file_at(posixpath.join(root, rel) if root else rel)
                if found or self.layout.is_package(root, top):
                    return found
                shadowed = True
        if shadowed:  # the file's own code has that package without this module: never a sibling's
            return None
        # other roots of the project (sibling sub-projects, layers of other functions), as if
        # installed: only a module exactly one of them has
        candidates = {self._file_at(posixpath.join(root, rel)) for root in self.layout.providers(top)
                      if root not in own} - {None}
        if len(candidates) == 1:
            return candidates.pop()
        if candidates:
            return None
        return self._by_name(importer, module, top in STDLIB_NAMES)

    def resolve_from(self, importer: str, module: str, name: str, level: int) -> str | None:
        """The project file ``from module import name`` takes ``name`` from: as
        :meth:`resolve_module`, and also a project module named like a standard one whose
        namesake cannot give ``name`` (``from platform import ADMIN``: the code's own
        ``platform`` package, wherever its code folder is)."""
        found = self.resolve_module(importer, module, level)
        if found is None and not level and module.split(".", 1)[0] in STDLIB_NAMES \
                and not stdlib_may_define(module, name):
            return self._by_name(importer, module, False)
        return found

    def _by_name(self, importer: str, module: str, standard: bool) -> str | None:
        """The one project module whose dotted name ends with ``module`` (a code folder the
        configuration does not name). ``import collections`` is the standard library's, not a
        project's ``x.collections``, unless ``standard`` is false or it shadows the standard one."""
        suffix = "." + module
        matches = [path for name, path in self.by_last_name.get(module.rsplit(".", 1)[-1], ())
                   if name == module or name.endswith(suffix)]
        if standard:
            matches = [path for path in matches if self._shadows_stdlib(importer, module, path)]
        return matches[0] if len(matches) == 1 else None

    def _folder_on_path(self, directory: str, module: str) -> bool:
        """Whether a module beside the importer named like a standard one (``app/json.py``
        beside ``app/orders.py``) is what ``import json`` gives it: the standard library has no
        such module, or the folder is one the project imports from; a regular package's folder
        (``app/__init__.py``, imported as ``app.json``) is not on ``sys.path``, a folder of
        handlers (the code folder, or the script's own) is."""
        return not stdlib_has(module) or directory in self.layout.imported_roots() \
            or (posixpath.join(directory, "__init__.py") not in self.files
                and not self.layout.imported_as_package(directory))

    def _shadows_stdlib(self, importer: str, module: str, path: str) -> bool:
        """Whether the project's ``path`` is what ``import module`` (a standard library name)
        gives ``importer``: the standard library has no such module (``platform.access``), or
        the folder holding it is one the importer's code imports from (its code folder, first
        on ``sys.path`` in Lambda, so its own ``platform/`` hides the standard one)."""
        if not stdlib_has(module):
            return True
        stem = path[:-len("/__init__.py")] if path.endswith("/__init__.py") else path[:-len(".py")]
        rel = module.replace(".", "/")
        if stem != rel and not stem.endswith("/" + rel):
            return False
        root = stem[:-len(rel)].rstrip("/")
        return root in self.layout.imported_roots() and importer.startswith(root + "/")

    def _file_at(self, base: str) -> str | None:
        base = posixpath.normpath(base) if base else ""
        for candidate in (base + ".py", posixpath.join(base, "__init__.py") if base else "__init__.py"):
            if candidate in self.files:
                return candidate
        return None

    # -- facts ---------------------------------------------------------------------------
    def table_facts(self, table: Val) -> TableFacts | None:
        """Key schema of a table value (config first, then IaC), known by its literal names,
        an environment variable's default, or the names the deployment gives it
        (``model/deployment.py``)."""
        from dynolint.model.deployment import table_names

        names = table_names(table)
        deployed = self.deployed.names(table)
        for name in sorted(names | deployed):
            facts = self.config.table(name)
            if facts is not None:
                return facts
        for decl in self.infra.tables:
            if decl.name in names or decl.ident in names:
                return TableFacts(decl.partition_key, decl.sort_key, None)
        for decl in self.deployed.tables(deployed):
            return TableFacts(decl.partition_key, decl.sort_key, None)
        return None

    def functions_for_file(self, path: str) -> list[LambdaFunction]:
        """Lambda functions whose deployed code contains ``path``. (Asked for every call the
        interpreter follows; remembered per file while the list of functions stays the same:
        CDK declarations are added to it after interpretation.)"""
        known = len(self.infra.functions)
        remembered = self._functions_of.get(path)
        if remembered is not None and remembered[0] == known:
            return remembered[1]
        if self._by_code_dir[0] != known:  # the functions by their code folder: "" for the project's root
            by_dir: dict[str, list[int]] = {}
            for position, function in enumerate(self.infra.functions):
                by_dir.setdefault(self.deployed_dir(function), []).append(position)
            self._by_code_dir = (known, by_dir)
        by_dir = self._by_code_dir[1]
        parts = path.split("/")
        folders = [""] + ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]  # the file itself too
        positions = sorted(p for folder in folders for p in by_dir.get(folder, ()))
        found = [self.infra.functions[p] for p in positions]
        self._functions_of[path] = (known, found)
        return found

    def handler_function(self, path: str, qualname: str) -> LambdaFunction | None:
        """The Lambda function whose handler is ``qualname`` in ``path`` (the first declared)."""
        found = self.handler_functions(path, qualname)
        return found[0] if found else None

    def handler_functions(self, path: str, qualname: str) -> list[LambdaFunction]:
        """Every Lambda function whose handler is ``qualname`` in ``path``."""
        found = []
        for function in self.functions_for_file(path):
            if not function.handler or "." not in function.handler:
                continue
            module, _, name = function.handler.rpartition(".")
            code_dir = self.deployed_dir(function)
            rel = path[len(code_dir) + 1:] if code_dir else path
            if name != qualname:
                continue
            if rel[:-3].replace("/", ".") == module or not code_dir and "." in module \
                    and self.resolve_module(path, module, 0) == path:
                # (a package deployed from a folder the declaration does not name, a zip built
                # from a ``src/`` layout: the handler's module is found as an import of it is)
                found.append(function)
        return found

    def called_names(self) -> Collection[str]:
        """The names the project's functions call (``bump(``, ``repo.bump(``): a function of
        one of those names is called by project code, which hands it its arguments."""
        return self.callers_by_name().keys()

    def callers_by_name(self) -> dict[str, list[tuple[str, str]]]:
        """The functions (path, qualname) whose code calls a function by each name, in order."""
        if self._callers is None:
            found: dict[str, set[tuple[str, str]]] = {}
            for (path, qualname), function in self.functions.items():
                for node in ir.walk(function.body):
                    if type(node) is ir.Call and (name := ir.last_name(node.func)) is not None:
                        found.setdefault(name, set()).add((path, qualname))
            self._callers = {name: sorted(callers) for name, callers in found.items()}
        return self._callers

    def rebound_globals(self) -> frozenset[tuple[str, str]]:
        """The module names (path, name) some function of their module declares ``global``
        (or ``nonlocal``: phase 1 keeps both): state function code may rebind."""
        if self._rebound is None:
            self._rebound = frozenset((path, name) for (path, _), function in self.functions.items()
                                      for name in function.declared_global)
        return self._rebound

    def tenant_names(self, path: str) -> tuple[str, ...]:
        """The words of the ``tenant-names`` setting that governs ``path``."""
        return self.config.for_path(path).tenant_names

    def tenant_key(self, path: str) -> re.Pattern[str]:
        """What a field holding a tenant id is called in ``path``: "tenant", and the words of
        the ``tenant-names`` setting that governs the file."""
        found = self._tenant_keys.get(path)
        if found is None:
            found = self._tenant_keys[path] = tenant_key(self.tenant_names(path))
        return found

    def isolation(self, path: str, qualname: str | None) -> str:
        """How the function running code in ``path`` is isolated: "per-tenant",
        "declared-shared" (config says several tenants share it), "normal" (declared in
        infrastructure without PER_TENANT) or "unknown". A handler's own declaration wins
        over the code directories that hold the file."""
        folder = self.config.folder_of(path)
        inner = path[len(folder) + 1:] if folder else path  # a sub-project's patterns are relative to it
        for pattern, mode in self.config.for_path(path).tenant_isolation:
            if fnmatch.fnmatch(inner, pattern) or fnmatch.fnmatch(inner, pattern.rstrip("/") + "/*"):
                return "per-tenant" if mode == "per-tenant" else "declared-shared"
        if qualname is not None:
            own = self.handler_function(path, qualname)
            if own is not None:
                return "per-tenant" if own.per_tenant else "normal"
        functions = self.functions_for_file(path)
        handlers = [f for f in functions if self._handler_module(f) == path]
        relevant = handlers or [f for f in functions if self._runs(f, path)]
        if relevant:
            if all(f.per_tenant for f in relevant):
                return "per-tenant"
            return "normal"
        return "unknown"

    def _runs(self, function: LambdaFunction, path: str) -> bool:
        """Does ``function`` run the code of ``path``: its handler's module imports it (directly
        or not), or its handler's module is not one of the project's files (nothing to follow)?"""
        handler = self._handler_module(function)
        if handler is None or handler not in self.files:
            return True
        return self.imports_reach(handler, path)

    def component_of(self, path: str) -> frozenset[str]:
        """The project files connected to ``path`` by imports, in either direction: what a run
        of ``path``'s import component alone sees (engine/incremental.py splits a project so).
        A fact made of every write of a table (the version attribute it keeps) is asked of the
        writes in one component, so that a warm run that analyses some components alone gives
        what the whole run gave."""
        if self._components is None:
            from dynolint.model.reach import _imports_of

            parent = {file: file for file in self.files}

            def find(file: str) -> str:
                while parent[file] != file:
                    parent[file] = parent[parent[file]]
                    file = parent[file]
                return file

            for file in sorted(self.files):
                targets = self._imports.get(file)
                if targets is None:
                    targets = self._imports[file] = _imports_of(self, file)
                for target in targets:
                    if target in parent:
                        parent[find(target)] = find(file)
            groups: dict[str, set[str]] = {}
            for file in parent:
                groups.setdefault(find(file), set()).add(file)
            self._components = {file: frozenset(group) for group in groups.values() for file in group}
        return self._components.get(path, frozenset({path}))

    def imports_reach(self, start: str, path: str) -> bool:
        """Do ``start``'s imports (directly or not) bring ``path`` into its process?"""
        if start not in self._reached:
            from dynolint.model.reach import imported_from

            self._reached[start] = imported_from(self, start, self._imports)
        return path in self._reached[start]

    def _handler_module(self, function: LambdaFunction) -> str | None:
        if not function.handler or "." not in function.handler:
            return None
        module = function.handler.rpartition(".")[0].replace(".", "/") + ".py"
        code_dir = self.deployed_dir(function)
        return posixpath.normpath(posixpath.join(code_dir, module)) if code_dir else module

    def deployed_dir(self, function: LambdaFunction) -> str:
        """The project folder a function's code is deployed from: the one its declaration names
        (``CodeUri``, a Terraform ``filename``'s folder), or the project's root ("") when that
        folder holds none of the project's files (a zip a build step makes in ``build/`` or
        ``dist/`` from the sources elsewhere: its handler is found as an import of it is)."""
        code_dir = function.code_dir.strip("/")
        if code_dir in ("", "."):
            return ""
        if self._folders is None:
            self._folders = {path.rsplit("/", 1)[0] for path in self.files if "/" in path}
            self._folders |= {folder.rsplit("/", i)[0] for folder in self._folders for i in range(1, folder.count("/") + 1)}
        return code_dir if code_dir in self._folders else ""

    def is_declared_handler(self, path: str, qualname: str) -> bool:
        return self.handler_function(path, qualname) is not None


def _made_property_accessors(klass: ir.Class) -> list[str]:
    """The setter and deleter names of the properties a class body makes by calling
    ``property`` (``status = property(get, set)``): where an assignment may run a function."""
    found: list[str] = []
    for stmt in klass.body:
        if type(stmt) is ir.Assign and type(stmt.value) is ir.Call:
            func = stmt.value.func
            called = func.id if type(func) is ir.Name else func.attr if type(func) is ir.Attr else None
            if called == "property":
                for target in stmt.targets:
                    if type(target) is ir.Name:
                        found += [f"{target.id}.setter", f"{target.id}.deleter"]
    return found
