"""Where a project keeps its code: the folders an absolute import starts from (the entries
of ``sys.path``) for each file of the project.

A deployed Lambda function imports from its code folder (SAM ``CodeUri``, serverless'
service folder or ``module``, CDK ``Code.from_asset``/``entry``, Terraform's archive) and
from the ``python/`` folder of each layer it uses; a package with a ``src/`` layout imports
from ``src/``; a sub-project of a monorepo (a folder with its own ``pyproject.toml``,
``setup.py``, ``setup.cfg`` or ``dynolint.toml``) imports from its own folder. A file's own
roots come first, innermost first, so two sub-projects that each have a package ``app`` import
their own ``app``, never the sibling's.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterable, Iterator

from dynolint.phase1 import ir
from dynolint.model.project import Infra, LayerDecl
from dynolint.model.stdlib import STDLIB_NAMES

SOURCE_DIR_NAMES = frozenset(ir.SOURCE_DIRS)
LAYER_FOLDER = "python"  # where a Python layer's importable code lives (/opt/python)
_CDK_LAYERS = ("LayerVersion", "PythonLayerVersion")
_CDK_FUNCTIONS = ("Function", "PythonFunction", "SingletonFunction")


@dataclass(frozen=True, slots=True)
class LayerRoot:
    folder: str  # the import root: the layer's python/ folder, else its content folder
    scope: tuple[str, ...]  # folders whose files may import from it ("" for every file)


def _inside(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


class Layout:
    """The import roots of each file of a project."""

    def __init__(self, files: Iterable[str], infra: Infra, packages: Iterable[str] = (),
                 summaries: Iterable[ir.FileSummary] = ()) -> None:
        self.files = set(files)
        self._summaries = list(summaries)
        self.dirs: set[str] = set()
        for path in self.files:
            folder = posixpath.dirname(path)
            while folder and folder not in self.dirs:
                self.dirs.add(folder)
                folder = posixpath.dirname(folder)
        code_dirs = {f.code_dir.strip("/") for f in infra.functions}
        layers = list(infra.layers)
        cdk_code, cdk_layers = cdk_assets(self._summaries, self.dirs)
        code_dirs |= cdk_code
        layers += cdk_layers
        src_dirs = {d for d in self.dirs if posixpath.basename(d) in SOURCE_DIR_NAMES}
        self.own_candidates = sorted((code_dirs | set(packages) | src_dirs) - {"", "."}, key=len, reverse=True)
        self.root_is_code = bool(code_dirs & {"", "."})  # a function deploys the whole project
        self.layers = [self._layer_root(layer, infra) for layer in layers]
        self.everywhere = [*self.own_candidates, *(layer.folder for layer in self.layers)]
        self._roots: dict[str, tuple[str, ...]] = {}
        # (root, top) -> provides: every import a file resolves asks each other root of the
        # project (a monorepo's sub-projects) for its top package
        self._provides: dict[tuple[str, str], bool] = {}
        self._providers: dict[str, tuple[str, ...]] = {}
        # what the project's own imports say about its folders (``_scan_imports``)
        self._imported_from: frozenset[str] | None = None
        self._dotted: set[str] = set()  # every dotted prefix of an absolute import
        self._relative_folders: set[str] = set()  # folders of files with a relative import

    def _layer_root(self, layer: LayerDecl, infra: Infra) -> LayerRoot:
        inner = posixpath.join(layer.content_dir, LAYER_FOLDER) if layer.content_dir else LAYER_FOLDER
        folder = inner if inner in self.dirs else layer.content_dir
        if layer.source.endswith(".py"):  # CDK: the app deploys the whole project
            return LayerRoot(folder, ("",))
        home = posixpath.dirname(layer.source)
        scope = {home} | {f.code_dir.strip("/") for f in infra.functions if f.source == layer.source}
        return LayerRoot(folder, tuple(sorted(scope)))

    def roots(self, path: str) -> tuple[str, ...]:
        """The roots ``path`` imports from, in order (its code and source folders innermost
        first, the layers it may use, then the project root and its ``src/``). The other
        roots of the project (installed sub-projects and layers: used only when exactly one
        of them has the module) are those of :meth:`providers` not among these."""
        folder = posixpath.dirname(path)
        found = self._roots.get(folder)
        if found is None:
            own = [root for root in self.own_candidates if _inside(folder, root)]
            if self.root_is_code:  # the function's own code (/var/task) before its layers (/opt/python)
                own.append("")
            # the layers declared nearest the file first (a Terraform module's own layer before
            # the root module's)
            usable = [(max(len(s) + 1 for s in layer.scope if _inside(folder, s)), layer.folder)
                      for layer in self.layers if any(_inside(folder, s) for s in layer.scope)]
            own += [root for _, root in sorted(usable, key=lambda pair: -pair[0])]
            own += ["", *ir.SOURCE_DIRS]
            found = self._roots[folder] = tuple(dict.fromkeys(own))
        return found

    def provides(self, root: str, top: str) -> bool:
        """Whether ``root`` has a module or package named ``top``."""
        key = (root, top)
        found = self._provides.get(key)
        if found is None:
            base = f"{root}/{top}" if root else top
            found = self._provides[key] = base + ".py" in self.files or base in self.dirs
        return found

    def providers(self, top: str) -> tuple[str, ...]:
        """The roots of the project (``everywhere``, in order) that have a module or package
        named ``top``: asked once per name, not once per importer and root."""
        found = self._providers.get(top)
        if found is None:
            found = self._providers[top] = tuple(dict.fromkeys(
                root for root in self.everywhere if self.provides(root, top)))
        return found

    def imported_roots(self) -> frozenset[str]:
        """Folders the project's own absolute imports start from although no configuration
        names them: a file under ``backend/`` that imports ``handlers.common`` (not a standard
        module) which only ``backend/handlers/`` has, and that none of the file's known roots
        provides, is code deployed with ``backend/`` first on ``sys.path``."""
        if self._imported_from is None:
            self._scan_imports()
        assert self._imported_from is not None
        return self._imported_from

    def imported_as_package(self, folder: str) -> bool:
        """Whether the project imports ``folder`` as a package (``from app.json import x``
        for ``app/``, or a relative import in one of its files): not a ``sys.path`` entry."""
        if self._imported_from is None:
            self._scan_imports()
        parts = ir.module_name(folder).split(".")
        return folder in self._relative_folders or any(".".join(parts[k:]) in self._dotted for k in range(len(parts)))

    def _scan_imports(self) -> None:
        found: set[str] = set()
        for summary in self._summaries:
            own: tuple[str, ...] | None = None
            for stmt in summary.body:
                if type(stmt) is not ir.Assign or type(stmt.value) is not ir.ImportE:
                    continue
                if stmt.value.level:
                    self._relative_folders.add(posixpath.dirname(summary.path))
                    continue
                dotted = stmt.value.module.split(".")
                self._dotted.update(".".join(dotted[:n]) for n in range(1, len(dotted) + 1))
                if not dotted[0] or dotted[0] in STDLIB_NAMES:
                    continue
                own = own if own is not None else self.roots(summary.path)
                if any(self.provides(root, dotted[0]) for root in own):
                    continue
                folder = posixpath.dirname(summary.path)
                while folder and not self.provides(folder, dotted[0]):
                    folder = posixpath.dirname(folder)
                if folder:
                    found.add(folder)
        self._imported_from = frozenset(found)

    def is_package(self, root: str, top: str) -> bool:
        """Whether ``top`` under ``root`` is a regular package (has ``__init__.py``): Python
        looks no further along ``sys.path`` for its submodules."""
        base = posixpath.join(root, top) if root else top
        return base + "/__init__.py" in self.files


def cdk_assets(summaries: Iterable[ir.FileSummary], dirs: set[str]) -> tuple[set[str], list[LayerDecl]]:
    """The code folders of CDK functions and the content folders of CDK layers, read from
    the constructs' literal ``Code.from_asset(...)``/``entry=`` arguments before the
    interpreter runs (imports must resolve while it runs)."""
    code: set[str] = set()
    layers: list[LayerDecl] = []
    for summary in summaries:
        if not any(isinstance(s, ir.Assign) and isinstance(s.value, ir.ImportE)
                   and (s.value.module or s.value.name or "").startswith("aws_cdk") for s in summary.body):
            continue
        for call in _calls(summary):
            name = call.func.attr if isinstance(call.func, ir.Attr) else \
                call.func.id if isinstance(call.func, ir.Name) else ""
            if name not in _CDK_LAYERS and name not in _CDK_FUNCTIONS:
                continue
            kwargs = dict((k, v) for k, v in call.kwargs if k is not None)
            asset = kwargs.get("entry") or kwargs.get("code")
            if isinstance(asset, ir.Call) and isinstance(asset.func, ir.Attr) and asset.func.attr == "from_asset" \
                    and asset.args:
                asset = asset.args[0]
            folder = _asset_folder(asset, summary.path, dirs) if asset is not None else None
            if folder is None:
                continue
            if name in _CDK_LAYERS:
                ident = call.args[1].value if len(call.args) > 1 and isinstance(call.args[1], ir.Const) else name
                layers.append(LayerDecl(str(ident), folder, summary.path))
            else:
                code.add(folder)
    return code, layers


def _asset_folder(expr: ir.Expr, source: str, dirs: set[str]) -> str | None:
    """The project folder an asset argument names: a literal, or ``os.path.join`` of
    literals after a base (``os.path.dirname(__file__)``), relative to the project root or
    to the file that names it, whichever holds code."""
    parts: list[str] = []
    if isinstance(expr, ir.Const) and isinstance(expr.value, str):
        parts = [expr.value]
    elif isinstance(expr, ir.Call) and isinstance(expr.func, ir.Attr) and expr.func.attr == "join":
        parts = [a.value for a in expr.args if isinstance(a, ir.Const) and isinstance(a.value, str)]
    if not parts:
        return None
    relative = posixpath.normpath(posixpath.join(*parts))
    here = posixpath.normpath(posixpath.join(posixpath.dirname(source), relative))
    for candidate in (relative, here):
        if candidate in dirs:
            return candidate
    return None


_IR_MODULES = frozenset({ir.__name__, ir.Call.__module__})  # statements and files; expressions


def _calls(summary: ir.FileSummary) -> Iterator[ir.Call]:
    """Every call expression of a file (module body, functions, classes)."""
    stack: list[object] = [summary.body, *(f.body for f in summary.functions), *summary.classes]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
            continue
        slots = getattr(type(node), "__slots__", None)
        if slots is None or type(node).__module__ not in _IR_MODULES:
            continue
        if isinstance(node, ir.Call):
            yield node
        stack.extend(getattr(node, slot) for slot in slots)
