"""What the DYN301 fix (:mod:`dynolint.fixes.tmpdir`) must know of a function's use of a
path under the temp dir before it moves the file into a per-invocation directory: whether
the file may be meant for a later invocation or for other code (read back before it is
written, returned, stored outside the function, named elsewhere in the module), where it is
first written, and which names hold it."""

from __future__ import annotations

from typing import cast

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, kwarg, literal_text, nodes_by_type, same, walk
from dynolint.phase1.positions import node_classes

BUILDERS = frozenset({"os.path.join", "Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "str", "os.fspath",
                      "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.dirname"})
BUILDER_METHODS = frozenset({"joinpath", "with_suffix", "with_name", "with_stem", "resolve", "absolute"})
# calls that test whether a file is there: before a use, the mark of a cache
PROBES = frozenset({"os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.lexists", "os.path.getmtime",
                    "os.path.getsize", "os.stat", "os.access", "exists", "isfile", "glob.glob"})
PROBE_METHODS = frozenset({"exists", "is_file", "is_dir", "stat", "read_text", "read_bytes"})
STORES = frozenset({"append", "add", "extend", "insert", "update", "setdefault", "put"})
# calls that hand work to another thread, process or task, which may run after the block ends
BACKGROUND = frozenset({"submit", "map", "run_in_executor", "apply_async", "map_async", "create_task",
                        "ensure_future", "start_soon", "Thread", "Process", "Timer", "start_new_thread"})
MODULE_OPENS = frozenset({"io", "codecs", "gzip", "bz2", "aiofiles"})
GETTEMPDIR = frozenset({"tempfile.gettempdir", "gettempdir"})
_ASSIGNMENTS = node_classes((cst.Assign, cst.AnnAssign))
_CHECKED = node_classes((cst.Call, cst.Return, cst.Yield, cst.Global, cst.Nonlocal, cst.Assign, cst.AnnAssign,
                         cst.AugAssign, cst.FunctionDef, cst.Lambda, cst.ClassDef))


def code_of(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr.value}" if inner is not None else None
    return None


def reuse(module: cst.Module, function: cst.FunctionDef, nodes: list[cst.CSTNode], parents: dict[int, cst.CSTNode],
           call: cst.Call, path: cst.BaseExpression, path_name: str | None, params: set[str]) -> None:
    """FixSkipped when the file may be meant for a later invocation or for other code."""
    text = code_of(path)
    if "cache" in (text + (path_name or "")).lower():
        raise FixSkipped("the file is a cache (its name says so), meant to be read on later invocations: a "
                         "per-invocation directory would drop it; key it by tenant instead")
    tainted = {path_name} if path_name else set()
    assignments = [cast(cst.Assign | cst.AnnAssign, node) for node in nodes if type(node) in _ASSIGNMENTS]
    for _ in range(4):  # names built from the path (``archive = path + ".gz"``)
        for assignment in assignments:
            if assignment.value is not None and len(assigned_names(assignment)) == 1 \
                    and mentions(assignment.value, path, tainted):
                tainted.update(name for name in assigned_names(assignment) if isinstance(name, str))
    locals_ = params | {name for assignment in assignments for name in assigned_names(assignment)
                        if isinstance(name, str)}
    order = {id(node): number for number, node in enumerate(nodes)}
    # the nodes the checks below look at, in order (a set lookup per node rather than an ABC check per test)
    for node in (node for node in nodes if type(node) in _CHECKED):
        if isinstance(node, cst.Call) and order[id(node)] < order[id(call)]:
            name = dotted(node.func)
            probe = node.args and name in PROBES and mentions(node.args[0].value, path, tainted)
            method = isinstance(node.func, cst.Attribute) and node.func.attr.value in PROBE_METHODS \
                and mentions(node.func.value, path, tainted)
            reads = name == "open" and node.args and mentions(node.args[0].value, path, tainted) \
                and not any(c in open_mode(node) for c in "wax")
            if probe or method or reads:
                raise FixSkipped(f"the file is read back ({code_of(node)} before it is written): a cache kept for "
                                 "later invocations, which a per-invocation directory would drop; key it by tenant "
                                 "instead")
        if isinstance(node, (cst.Return, cst.Yield)) and node.value is not None and mentions(node.value, path,
                                                                                              tainted):
            raise FixSkipped("the path is returned to the caller, who may use the file after the function returns")
        if isinstance(node, (cst.Global, cst.Nonlocal)) and {n.name.value for n in node.names} & tainted:
            raise FixSkipped("the path is stored in a module global, where it outlives the invocation")
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and node.value is not None \
                and mentions(node.value, path, tainted) and any(not isinstance(t, str) for t in assigned_names(node)):
            raise FixSkipped("the path is stored in an attribute or a container, where it may outlive the "
                             "invocation")
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in STORES \
                and isinstance(node.func.value, cst.Name) and node.func.value.value not in locals_ \
                and any(mentions(arg.value, path, tainted) for arg in node.args):
            raise FixSkipped(f"the path is stored in {node.func.value.value}, which outlives the invocation")
        called = dotted(node.func) if isinstance(node, cst.Call) else None
        handed = called.rsplit(".", 1)[-1] if called else None
        if handed in BACKGROUND and isinstance(node, cst.Call) and any(mentions(arg.value, path, tainted)
                                                                         for arg in node.args):
            raise FixSkipped(f"the path is handed to work that runs in the background ({handed}): it may run "
                             "after the directory is removed")
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)) and node is not function \
                and mentions(node, path, tainted):
            raise FixSkipped("a nested function uses the path: it may run after the directory is removed")
    inside = {id(node) for node in nodes}
    for node in nodes_by_type(module).get(type(path), ()):  # ``same`` is False for nodes of other types
        if id(node) not in inside and same(node, path):
            raise FixSkipped("other code of this module uses the same path: the file may be read on a later "
                             "invocation")


def first_write(nodes: list[cst.CSTNode], path: cst.BaseExpression) -> cst.Call:
    """The first call that names ``path`` other than to test or read it (a probe before it is
    the mark of a file kept for later invocations); FixSkipped when there is none."""
    for node in nodes:
        if not isinstance(node, cst.Call):
            continue
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        held = [arg.value for arg in node.args] + ([arg.value for arg in receiver.args] if isinstance(receiver, cst.Call)
                                                   else [receiver] if receiver is not None else [])
        if not any(same(value, path) for value in held):
            continue
        name = dotted(node.func)
        probe = name in PROBES or (isinstance(node.func, cst.Attribute) and node.func.attr.value in PROBE_METHODS)
        if not probe and not (name == "open" and not any(c in open_mode(node) for c in "wax")):
            return node
    raise FixSkipped(f"the function only tests or reads {code_of(path)}: a file kept from an earlier invocation, "
                     "which a per-invocation directory would drop")


def open_mode(call: cst.Call) -> str:
    """The mode of an ``open`` call, as written ("?" when not a literal: a write, maybe)."""
    given = kwarg(call, "mode")
    positional = [arg for arg in call.args if arg.keyword is None]
    node = given.value if given is not None else positional[1].value if len(positional) > 1 else None
    return "r" if node is None else literal_text(node) or "w"


def mentions(node: cst.CSTNode, path: cst.BaseExpression, tainted: set[str]) -> bool:
    """Does ``node`` hold the path (the expression, or a name holding it), other than as an
    argument of a call that only reads or consumes it (``open(path).read()``)?"""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value in tainted or same(current, path):
            return True
        if isinstance(current, cst.Call) and current is not node and dotted(current.func) not in BUILDERS \
                and not (isinstance(current.func, cst.Attribute) and current.func.attr.value in BUILDER_METHODS):
            stack.append(current.func)
            continue
        stack.extend(child for child in current.children)
    return False


def assigned_names(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> list[str | cst.BaseExpression]:
    """The names an assignment binds (other targets as they are: attributes, subscripts)."""
    targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
    out: list[str | cst.BaseExpression] = []
    for target in targets:
        if isinstance(target, cst.Name):
            out.append(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.Name):
                    out.append(inner.value)
                elif isinstance(inner, (cst.Attribute, cst.Subscript, cst.Tuple, cst.List)):
                    out.extend(assigned_names(cst.Assign([cst.AssignTarget(inner)], cst.Name("_"))))
        else:
            out.append(target)
    return out


def bound_names(node: cst.CSTNode) -> set[str]:
    target = getattr(node, "target", None) or getattr(node, "name", None)
    return {n.value for n in walk(target) if isinstance(n, cst.Name)} if target is not None else set()


def module_binds(module: cst.Module, name: str) -> bool:
    for statement in module.body:
        for node in walk(statement) if isinstance(statement, cst.SimpleStatementLine) else ():
            if isinstance(node, (cst.Assign, cst.AnnAssign)) and name in assigned_names(node):
                return True
    return False
