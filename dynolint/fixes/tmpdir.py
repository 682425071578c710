"""The DYN301 fix: the file goes into a directory of its own invocation, removed when the
function returns.

The statements of the function from the first that names the path to the last run inside
``with tempfile.TemporaryDirectory() as tmp_dir:``, and the path is built under ``tmp_dir``,
keeping its name (``"/tmp/report.csv"`` -> ``os.path.join(tmp_dir, "report.csv")``). A
``with`` keeps what the body does: a ``return`` still returns (after the directory is
removed), a file uploaded before the end is still there when it is uploaded.

No fix, and the reason, when the file may be meant to outlive the invocation: it is tested
for existence or read before it is written (a cache), its path is returned, stored outside
the function, held by a module-level name or used by other code of the module; nor when the
path is not a constant, an f-string or a join under the temp dir built in this function; nor
when the file is in a folder under the temp dir or is reached through other text (``tmppaths``).
A folder the function's own body makes before it writes there (``os.makedirs("/tmp/out",
exist_ok=True)``) moves with the files the function names right in it: it is made in the new
directory, and two findings there (the folder, a file) are fixed by one change."""

from __future__ import annotations

from typing import Any

import libcst as cst

from dynolint.fixes import imports
from dynolint.fixes.cstutil import FixSkipped, fresh, kwarg, literal_text, nodes_by_type, same, walk
from dynolint.fixes.plans import TmpDirPlan
from dynolint.fixes.scope import enclosing
from dynolint.fixes.tmppaths import anchor_of, check_folder, check_other_tmp_paths, folder_group, path_text
from dynolint.fixes.tmpuse import (
    BUILDER_METHODS, BUILDERS, GETTEMPDIR, MODULE_OPENS, assigned_names, bound_names, code_of, dotted, first_write,
    module_binds, reuse,
)

TITLE = "write the file into a per-invocation temporary directory, removed when the function returns"
# calls that build a path from a path (the taint of the path follows them)
class _Reroot:
    """Builds the path under ``tmp_dir``; ``needs_os`` tells whether it used ``os.path.join``."""

    def __init__(self, tmp_dir: str) -> None:
        self.tmp_dir = tmp_dir
        self.needs_os = False

    def __call__(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """``node`` built under ``tmp_dir`` instead of the temp dir, or None (not a shape known)."""
        if isinstance(node, cst.SimpleString):
            text = literal_text(node)
            raw = node.raw_value
            if text is None or "b" in node.prefix.lower() or raw != text:
                return None  # bytes, or escapes: not rewritten by hand
            if text == "/tmp":
                return cst.Name(self.tmp_dir)
            if text.startswith("/tmp/"):
                rest = node.with_changes(value=f"{node.prefix}{node.quote}{raw[5:]}{node.quote}")
                return self._join(rest)
            return None
        if isinstance(node, cst.FormattedString):
            first = node.parts[0] if node.parts else None
            if not isinstance(first, cst.FormattedStringText) or not first.value.startswith("/tmp/"):
                return None
            tail = first.value[5:]
            parts = ([first.with_changes(value=tail)] if tail else []) + list(node.parts[1:])
            return self._join(node.with_changes(parts=parts)) if parts else None
        if isinstance(node, cst.Call):
            name = dotted(node.func)
            if name in GETTEMPDIR and not node.args:
                return cst.Name(self.tmp_dir)
            if name in BUILDERS and node.args and node.args[0].keyword is None and not node.args[0].star:
                first_arg = self(node.args[0].value)
                if first_arg is None:
                    return None
                return node.with_changes(args=[node.args[0].with_changes(value=first_arg), *node.args[1:]])
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in BUILDER_METHODS:
                receiver = self(node.func.value)
                return None if receiver is None else node.with_changes(func=node.func.with_changes(value=receiver))
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add) \
                and isinstance(node.left, cst.SimpleString) and literal_text(node.left) == "/tmp/":
            return self._join(node.right)  # "/tmp/" + name
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide)):
            left = self(node.left)
            return None if left is None else node.with_changes(left=left)
        return None

    def _join(self, rest: cst.BaseExpression) -> cst.Call:
        self.needs_os = True
        return cst.Call(cst.parse_expression("os.path.join"),
                        [cst.Arg(cst.Name(self.tmp_dir), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                         cst.Arg(rest)])


def path_argument(call: cst.Call, plan: TmpDirPlan) -> cst.BaseExpression:
    """The expression of the path ``call`` writes (as the sink table places it)."""
    func = call.func
    if plan.receiver or (plan.how == "open" and isinstance(func, cst.Attribute)
                         and not (isinstance(func.value, cst.Name) and func.value.value in MODULE_OPENS)):
        if not isinstance(func, cst.Attribute):
            raise FixSkipped("the file's path is not where the analysis saw it")
        return func.value
    if plan.keyword is not None:
        named = kwarg(call, plan.keyword)
        if named is not None:
            return named.value
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if any(arg.star for arg in call.args):
        raise FixSkipped("the call passes *args: the path may be among them")
    index = len(positional) - 1 if plan.position == -1 else plan.position
    if index is None or not 0 <= index < len(positional):
        raise FixSkipped("the file's path is not an argument of the call")
    return positional[index].value


class TmpDirBlock:
    """The change of the function's body: the statements from ``start`` on wrapped in a
    ``TemporaryDirectory``, the path expression ``path`` (as written) rebuilt under it."""

    def __init__(self, start: int, path: cst.BaseExpression, tmp_dir: str, wrap: bool = True,
                 also: tuple[cst.BaseExpression, ...] = ()) -> None:
        self.start = start
        self.widths: dict[int, int] = {}  # id of a call moved right -> the widest of its lines before
        self.limit = 88  # the project's line length (the engine sets it)
        self.wrap = wrap  # False: the statements are in the function's TemporaryDirectory already
        self.path = path
        self.reroot = _Reroot(tmp_dir)
        self.replacement = self.reroot(path)
        if self.replacement is None:
            raise FixSkipped("the path is not a constant, an f-string or a join under the temp dir")
        self.also: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []  # the folder made, the files in it
        for other in also:
            moved = self.reroot(other)
            if moved is None:
                raise FixSkipped(f"{code_of(other)} is not a constant, an f-string or a join under the temp dir")
            self.also.append((other, moved))

    @property
    def key(self) -> tuple[object, ...]:
        """What the change is: two findings that make the same change (a folder the function
        makes, and a file written in it) are fixed by one."""
        return (self.start, self.wrap, frozenset(path_text(path) or code_of(path)
                                                 for path in [self.path, *(a for a, _ in self.also)]))

    @property
    def relayout(self) -> frozenset[int]:
        """The calls that fitted in the line length before they moved right: laid out again where
        they pass it now (a line that was too long already is left as the code has it)."""
        return frozenset(call for call, width in self.widths.items() if width <= self.limit) if self.wrap \
            else frozenset()

    def __call__(self, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        moved: list[Any] = list(body[self.start:])
        for old, new in [(self.path, self.replacement), *self.also]:
            replaced = _ReplaceEqual(old, new)  # type: ignore[arg-type]
            for index, statement in enumerate(moved):
                replaced.holding = set()
                moved[index] = statement.visit(replaced)
        if not self.wrap:
            return [*body[:self.start], *moved]
        lead = moved[0].leading_lines
        moved[0] = moved[0].with_changes(leading_lines=())
        item = cst.WithItem(cst.parse_expression("tempfile.TemporaryDirectory()"),
                            asname=cst.AsName(cst.Name(self.reroot.tmp_dir)))
        wrapper = cst.With([item], cst.IndentedBlock(moved), leading_lines=lead)
        return [*body[:self.start], wrapper]


class _ReplaceEqual(cst.CSTTransformer):
    """Replaces the nodes equal to ``old`` by ``new``; only the nodes that hold one are rebuilt
    (the others keep their identity: the layout tells the calls a fix wrote by it)."""

    def __init__(self, old: cst.BaseExpression, new: cst.BaseExpression) -> None:
        self.old, self.new = old, new
        self.holding: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not self.holding and isinstance(node, cst.BaseStatement):
            self._mark(node)
        return id(node) in self.holding

    def _mark(self, statement: cst.CSTNode) -> None:
        parents: dict[int, cst.CSTNode] = {}
        for node in walk(statement, parents):
            if same(node, self.old):
                current: cst.CSTNode | None = node
                while current is not None:
                    self.holding.add(id(current))
                    current = parents.get(id(current))

    def on_leave(self, original: Any, updated: Any) -> Any:
        return self.new if id(original) in self.holding and same(original, self.old) else updated


def block_change(module: cst.Module, functions: list[cst.CSTNode], call: cst.Call, plan: TmpDirPlan,
                 positions: dict[cst.CSTNode, Any]) -> tuple[cst.IndentedBlock, TmpDirBlock, cst.Call]:
    """The block a DYN301 fix changes, how, and the write call (``functions``: the functions
    holding ``call``, outermost first; ``positions``: of the module's calls, to know how wide
    the lines that move right were)."""
    if not functions:
        raise FixSkipped("the file is written while the module initialises: every later invocation shares it; "
                         "move the write into the handler")
    # ``Path("/tmp/x").write_text(...)``, ``ZipFile(z).extractall("/tmp/x")``: the call starts where
    # its receiver does, and the position found the receiver
    chain = call
    for outer in reversed(enclosing(module, call, cst.Call, positions)):
        if not (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Attribute) and outer.func.value is chain):
            break
        chain = outer
        if outer.func.attr.value == plan.how.rsplit(".", 1)[-1]:
            call = outer
            break
    body, action = plan_block(module, cst.ensure_type(functions[-1], cst.FunctionDef), call, plan)
    lines = _lines_of(module)
    for statement in body.body[action.start:]:
        for node in walk(statement):
            where = positions.get(node) if type(node) is cst.Call else None
            if where is not None:
                action.widths[id(node)] = max(len(line) for line in lines[where.start.line - 1:where.end.line])
    return body, action, call


_lines: list[Any] = [None, []]  # the last module asked about, and the lines of its code


def _lines_of(module: cst.Module) -> list[str]:
    """``module.code.splitlines()``, generated once for the DYN301 fixes of a file (not per fix)."""
    if _lines[0] is not module:
        _lines[:] = [module, module.code.splitlines()]
    return _lines[1]  # type: ignore[no-any-return]


def add_imports(module: cst.Module, actions: list[object]) -> tuple[cst.Module, set[int]]:
    """``module`` with the imports the DYN301 fixes (``actions``, the block changes of the file)
    use: ``tempfile``, and ``os`` for ``os.path.join``, placed as ruff's isort puts them; and the
    ids of the statements added."""
    blocks = [action for action in actions if isinstance(action, TmpDirBlock)]
    added: set[int] = set()
    names = (["os"] if any(block.reroot.needs_os for block in blocks) else []) + (["tempfile"] if blocks else [])
    for name in names:
        present = imports.binds(module, name)
        if present is not None and present.strip().split(" as ")[0].split(",")[0] in (f"import {name}",
                                                                                         f"import {name}.path"):
            continue  # ``import os`` or ``import os.path``: the name is the module
        module, new = imports.add_import(module, f"import {name}", name, None)
        added |= new
    return module, added


def plan_block(module: cst.Module, function: cst.FunctionDef, call: cst.Call,
               plan: TmpDirPlan) -> tuple[cst.IndentedBlock, TmpDirBlock]:
    """The body of ``function`` and how it changes; FixSkipped, with the reason, when the
    file may be meant to outlive the invocation or the path is not built here."""
    block = function.body
    if not isinstance(block, cst.IndentedBlock):
        raise FixSkipped("the function is written on one line")
    parents: dict[int, cst.CSTNode] = {}
    nodes = list(walk(function, parents))
    if any(isinstance(node, cst.Yield) for node in nodes):
        raise FixSkipped("the function is a generator: the directory would be removed while the caller still runs")
    target = path_argument(call, plan)
    params = {param.name.value for param in walk(function.params) if isinstance(param, cst.Param)}
    path_name: str | None = None
    path = target
    if isinstance(target, cst.Name):
        path_name = target.value
        if path_name in params:
            raise FixSkipped(f"the path comes from the caller ({path_name}): fix it where the path is built")
        assigned = [node for node in nodes if isinstance(node, (cst.Assign, cst.AnnAssign))
                    and assigned_names(node) == [path_name]]
        others = [node for node in nodes if isinstance(node, (cst.AugAssign, cst.For, cst.AsName, cst.NamedExpr))
                  and path_name in bound_names(node)]
        if not assigned and module_binds(module, path_name):
            raise FixSkipped(f"the path is a module-level name ({path_name}): other code may read the file on a "
                             "later invocation")
        if len(assigned) != 1 or others or assigned[0].value is None:
            raise FixSkipped(f"{path_name} is not assigned once in this function: which path is written is not plain")
        path = assigned[0].value
    reroot = _Reroot("tmp_dir")
    if reroot(path) is None:
        raise FixSkipped("the path is not a constant, an f-string or a join under the temp dir built in this function")
    reuse(module, function, nodes, parents, call, path, path_name, params)
    also = tuple(folder_group(list(block.body), nodes, path))
    anchor = anchor_of(path)
    if anchor is not path and not any(same(anchor, member) for member in also):
        also = (*also, anchor)  # ``Path("/tmp/a.csv").write_text(...)``: ``"/tmp/a.csv"`` elsewhere is the file too
    for member in also:  # each checked up to where the function first writes it
        reuse(module, function, nodes, parents, first_write(nodes, member), member, None, params)
    check_other_tmp_paths(nodes, path, also)
    check_folder(path, plan.how, bool(also))
    statement_of = {id(node): index for index, statement in enumerate(block.body) for node in walk(statement)}
    uses = [statement_of[id(node)] for node in nodes if id(node) in statement_of
            and any(same(node, member) for member in (path, *also))]
    first = block.body[min(uses)]
    if len(set(uses)) == 1 and isinstance(first, cst.With) and isinstance(first.body, cst.IndentedBlock) \
            and len(first.items) == 1 and first.items[0].asname is not None \
            and isinstance(first.items[0].asname.name, cst.Name) \
            and code_of(first.items[0].item) in ("tempfile.TemporaryDirectory()", "TemporaryDirectory()"):
        # the function has its per-invocation directory already (an earlier fix made it): use it
        inner = {id(node): index for index, statement in enumerate(first.body.body) for node in walk(statement)}
        start = min(inner[id(node)] for node in nodes if id(node) in inner
                    and any(same(node, member) for member in (path, *also)))
        return first.body, TmpDirBlock(start, path, first.items[0].asname.name.value, wrap=False, also=also)
    taken = {node.value for node in nodes_by_type(module).get(cst.Name, ())}  # type: ignore[attr-defined]
    return block, TmpDirBlock(min(uses), path, fresh("tmp_dir", taken), also=also)


__all__ = ["TITLE", "TmpDirBlock", "add_imports", "block_change", "plan_block"]
