"""What the guard fixes need to know about the function around a write, gathered in one
walk of it and shared by every write in it.

A file's fixes are planned one finding at a time; asking each finding's questions of its
whole function ("which attributes of the item do the ``if`` tests read? is the item changed
in Python? which statements hold this call?") walked the function once per finding: a
function with 400 writes took a minute. Here the function is walked once, and each
finding's answers are looked up (the last few functions asked about are remembered).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from dynolint.fixes.cstutil import contains, literal_text, path_to, walk

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"})
_REMEMBERED = 8  # functions whose facts are kept (a file's findings come function by function)


@dataclass
class ScopeFacts:
    """One walk of a function (or module): parents of its nodes, the item attributes its
    ``if``/``while`` tests read, and the Python mutations of each name, in walk order."""

    parents: dict[int, cst.CSTNode] = field(default_factory=dict)  # id(node) -> parent
    tested: dict[str, dict[str, bool]] = field(default_factory=dict)  # name -> key -> only via .get()
    mutations: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # name -> (order, kind)
    deletes: list[int] = field(default_factory=list)  # orders of ``del`` statements (any name)
    accessed: dict[str, dict[str, bool]] = field(default_factory=dict)  # as ``tested``, anywhere in the scope

    def holds(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        """Is ``inner`` ``outer`` or under it (both in this scope)?"""
        node: cst.CSTNode | None = inner
        while node is not None:
            if node is outer:
                return True
            node = self.parents.get(id(node))
        return False

    def first_mutation(self, name: str) -> str | None:
        """The first change made in Python to the value ``name`` holds, in walk order."""
        found = list(self.mutations.get(name, ()))
        if self.deletes:
            found.append((self.deletes[0], "del"))
        return min(found)[1] if found else None


def accesses(node: cst.CSTNode, into: dict[str, dict[str, bool]], only: str | None = None) -> None:
    """The literal keys read from a name under ``node`` (``x["k"]``: False, ``x.get("k")``:
    True unless also subscripted), by name (``only``: that name alone)."""
    for inner in walk(node):
        _access(inner, into, only)


def _access(node: cst.CSTNode, into: dict[str, dict[str, bool]], only: str | None = None) -> None:
    """``accesses`` for one node."""
    if type(node) is cst.Subscript:
        value = node.value
        if isinstance(value, cst.Name) and (only is None or value.value == only) and len(node.slice) == 1 \
                and isinstance(node.slice[0].slice, cst.Index):
            key = literal_text(node.slice[0].slice.value)
            if key is not None:
                into.setdefault(value.value, {})[key] = False
    elif type(node) is cst.Call:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and (only is None or func.value.value == only) and func.attr.value == "get" \
                and node.args:
            key = literal_text(node.args[0].value)
            if key is not None:
                into.setdefault(func.value.value, {}).setdefault(key, True)


def _gather(scope: cst.CSTNode) -> ScopeFacts:
    facts = ScopeFacts()
    parents = facts.parents
    for order, node in enumerate(walk(scope, parents)):
        kind = type(node)
        _access(node, facts.accessed)
        if kind in (cst.If, cst.While):
            accesses(node.test, facts.tested)  # type: ignore[attr-defined]
        elif kind is cst.AssignTarget or kind is cst.AugAssign:
            target = node.target  # type: ignore[attr-defined]
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                what = "item assignment" if kind is cst.AssignTarget else "augmented assignment"
                facts.mutations.setdefault(target.value.value, []).append((order, what))
        elif kind is cst.Call:
            func = node.func  # type: ignore[attr-defined]
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in MUTATORS:
                facts.mutations.setdefault(func.value.value, []).append((order, func.attr.value))
        elif kind is cst.Del:
            facts.deletes.append(order)
    return facts


_known: OrderedDict[int, tuple[cst.CSTNode, ScopeFacts]] = OrderedDict()


def facts_of(scope: cst.CSTNode) -> ScopeFacts:
    """The facts of ``scope``, from one walk of it (remembered for the next findings)."""
    entry = _known.get(id(scope))
    if entry is not None and entry[0] is scope:
        _known.move_to_end(id(scope))
        return entry[1]
    facts = _gather(scope)
    _known[id(scope)] = (scope, facts)
    while len(_known) > _REMEMBERED:
        _known.popitem(last=False)
    return facts


_walked: list[tuple[cst.CSTNode, dict[int, cst.CSTNode]]] = []  # the last root asked about, and its parents


def _parents_of(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    """The parents of the nodes under ``root``, by id: from its facts when they are remembered,
    else from a walk of it alone, kept for the next question about the same root (the findings
    of a file all ask about its module, between questions about their functions, which pushed
    the module's facts out of :data:`_known` and had it gathered again)."""
    entry = _known.get(id(root))
    if entry is not None and entry[0] is root:
        return entry[1].parents
    if _walked and _walked[0][0] is root:
        return _walked[0][1]
    parents: dict[int, cst.CSTNode] = {}
    for _ in walk(root, parents):
        pass
    _walked[:] = [(root, parents)]
    return parents


_paths: list[Any] = [None, {}]  # the last root asked about, and id(node) -> (node, its path) under it


def _path(root: cst.CSTNode, node: cst.CSTNode, positions: dict[cst.CSTNode, CodeRange] | None) -> list[cst.CSTNode]:
    """The nodes from ``root`` down to the parent of ``node`` (:func:`enclosing`'s question).
    With ``positions`` (ranges of ``root``'s positioned nodes, ``node`` among them), from a
    search that skips every positioned node whose range does not hold ``node``'s: the
    statements and blocks around it and the few nodes beside them, not the whole module
    (walking each module whole for its parents map was a fifth of rendering a project's
    fixes). Remembered per node for the last root: a finding's fix asks about its call
    several times. Without positions, or if the ranges do not nest as the tree does (a call
    in a decorator), from the parents map of one walk of ``root``."""
    if _paths[0] is not root:
        _paths[:] = [root, {}]
    known = _paths[1].get(id(node))
    if known is not None and known[0] is node:
        return known[1]  # type: ignore[no-any-return]
    where = positions.get(node) if positions is not None else None
    found = None
    if where is not None:
        found = path_to(root, node, lambda inner: (at := positions.get(inner)) is None  # type: ignore[union-attr]
                        or contains(at, where))
    if found is None:
        parents = _parents_of(root)
        found = []
        current = parents.get(id(node))
        while current is not None:
            found.append(current)
            current = parents.get(id(current))
        found.reverse()
    _paths[1][id(node)] = (node, found)
    return found


def enclosing(root: cst.CSTNode, node: cst.CSTNode, kind: type,
              positions: dict[cst.CSTNode, CodeRange] | None = None) -> list[cst.CSTNode]:
    """The nodes of type ``kind`` that hold ``node`` (not ``node`` itself) under ``root``,
    outermost first: asking for every finding of a file costs the depth of each, not the
    size of the file (see :func:`_path`; pass ``root``'s ``positions`` when known)."""
    return [current for current in _path(root, node, positions) if isinstance(current, kind)]
