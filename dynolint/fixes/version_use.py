"""What the function around a put-back does with the version attribute the fix would guard it
with (``versioning``): the fix compares the stored version with ``item.get(<version>)`` read at
the write and writes it plus one, which is right only when that is still the value the item
was read with, and when the attribute is the fix's to keep.

- A path that changes the attribute before the write (``item["version"] += 1``, ``update``,
  ``setdefault``, ``pop``, ``del``), on the item or on any name bound to it (a copy), gets no
  fix: the fix would compare with the changed value (every write after the first fails) and
  bump a version the code already bumped.
- A version attribute the fix starts keeping (``introduce``) must be a name the code does not
  read: items that already have it hold something else (``pkg["version"].split(".")``).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, literal_text, walk
from dynolint.fixes.plans import GuardPlan
from dynolint.phase1.positions import node_classes

_SETTERS = frozenset({"setdefault", "pop", "__setitem__", "__delitem__"})
_STATEMENTS = node_classes((cst.BaseStatement,))
_CHANGING = node_classes((cst.AssignTarget, cst.AugAssign, cst.Del, cst.Call))  # what ``_changes`` may accept
_READING = node_classes((cst.Subscript, cst.Call))  # what ``_reads`` may accept
_EMPTIERS = frozenset({"clear", "popitem"})


def _keyed(node: cst.CSTNode, names: frozenset[str], attribute: str) -> bool:
    """Is ``node`` ``<name>["<attribute>"]`` for one of ``names``?"""
    return isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value in names \
        and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index) \
        and literal_text(node.slice[0].slice.value) == attribute


def _changes(node: cst.CSTNode, names: frozenset[str], attribute: str) -> str | None:
    """How ``node`` changes ``attribute`` of a dict one of ``names`` holds (None: it does not)."""
    if isinstance(node, (cst.AssignTarget, cst.AugAssign)) and _keyed(node.target, names, attribute):
        return "assigns"
    if isinstance(node, cst.Del) and any(_keyed(inner, names, attribute) for inner in walk(node.target)):
        return "deletes"
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and isinstance(node.func.value, cst.Name) and node.func.value.value in names):
        return None
    method, args = node.func.attr.value, node.args
    if method in _EMPTIERS:
        return f"empties the item with {method}(), which removes"
    if method in _SETTERS and args and literal_text(args[0].value) == attribute:
        return f"changes with {method}()"
    if method == "update":
        for arg in args:
            if arg.keyword is not None and arg.keyword.value == attribute:
                return "assigns with update()"
            if isinstance(arg.value, cst.Dict) and any(
                    isinstance(e, cst.DictElement) and literal_text(e.key) == attribute for e in arg.value.elements):
                return "assigns with update()"
    return None


def _reads(node: cst.CSTNode, names: frozenset[str], attribute: str) -> bool:
    """Does ``node`` read ``attribute`` of a dict one of ``names`` holds?"""
    if _keyed(node, names, attribute):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
        and isinstance(node.func.value, cst.Name) and node.func.value.value in names \
        and node.func.attr.value == "get" and bool(node.args) and literal_text(node.args[0].value) == attribute


T = TypeVar("T")
# per function (by object, keeping it so that its id is not reused), what one walk of it found:
# a function of many writes was walked once per write
_WALKED: dict[tuple[int, object], tuple[cst.CSTNode, object]] = {}


def _once(scope: cst.CSTNode, what: object, compute: Callable[[], T]) -> T:
    """``compute()`` for ``scope`` and ``what``, computed once while the function is fixed."""
    found = _WALKED.get((id(scope), what))
    if found is not None and found[0] is scope:
        return found[1]  # type: ignore[return-value]
    result = compute()
    if len(_WALKED) > 64:
        _WALKED.clear()
    _WALKED[(id(scope), what)] = (scope, result)
    return result


def _uses(scope: cst.CSTNode, names: frozenset[str], attribute: str,
          positions: Any) -> tuple[list[tuple[int, str]], list[int]]:
    """Where ``scope`` changes ``attribute`` of the item (line, how) and where it reads it (lines)."""
    def compute() -> tuple[list[tuple[int, str]], list[int]]:
        changes: list[tuple[int, str]] = []
        reads: list[int] = []
        line = 0
        for node in walk(scope):  # by type first: a set lookup, not the ABC checks of the tests, per node
            kind = type(node)
            if kind in _STATEMENTS and node in positions:
                line = positions[node].start.line
            how = _changes(node, names, attribute) if kind in _CHANGING else None
            if how is not None:
                changes.append((line, how))
            if kind in _READING and _reads(node, names, attribute):
                reads.append(line)
        return changes, reads
    return _once(scope, (names, attribute), compute)


_READS = frozenset({"get_item", "query", "scan", "batch_get_item"})


def _read_arguments(scope: cst.CSTNode) -> list[dict[str, cst.BaseExpression]]:
    """The keyword arguments of each read in ``scope``."""
    return _once(scope, _READS, lambda: [
        {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None} for node in walk(scope)
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _READS])


def projected_without(scope: cst.CSTNode, attribute: str) -> str | None:
    """How a read of the function leaves ``attribute`` out of the items it returns (a
    ProjectionExpression that does not name it, one that is not a literal, AttributesToGet),
    or None when every read returns whole items (or names it)."""
    for named in _read_arguments(scope):
        if "AttributesToGet" in named:
            return "names its attributes with AttributesToGet"
        projection = named.get("ProjectionExpression")
        if projection is None:
            continue
        text = literal_text(projection)
        if text is None:
            return "projects attributes the fix cannot read (ProjectionExpression is not a string literal)"
        aliases: dict[str, str] = {}
        names = named.get("ExpressionAttributeNames")
        if isinstance(names, cst.Dict):
            for element in names.elements:
                if isinstance(element, cst.DictElement):
                    key, value = literal_text(element.key), literal_text(element.value)
                    if key is not None and value is not None:
                        aliases[key] = value
        listed = {aliases.get(part.strip(), part.strip()) for part in text.split(",")}
        if attribute not in listed:
            return f"projects {text!r}, without {attribute!r}"
    return None


def check(scope: cst.CSTNode, call: cst.Call, plan: GuardPlan, positions: Any) -> None:
    """Raise FixSkipped, saying why, when the version guard of ``call`` (a put of the item
    read) cannot compare with the version read or would take over an attribute the code uses."""
    attribute = plan.version_attr
    if attribute is None or plan.item_expr is None:
        return
    projected = projected_without(scope, attribute)
    if projected is not None:
        # the version would read as missing: every write to an item that has one fails the guard
        raise FixSkipped(f"the read {projected}: the guard would compare the stored {attribute!r} with a version "
                         f"never read, and every write to an item that has one would fail; add {attribute!r} to "
                         "the projection first")
    names = frozenset({plan.item_expr, *plan.presence})
    label = plan.table_label or "<table>"
    changes, reads = _uses(scope, names, attribute, positions)
    start, end = positions[call].start.line, positions[call].end.line
    for line, how in changes:
        if line < start:
            raise FixSkipped(
                f"the code {how} the item's {attribute!r} at line {line}, before the write: the guard would compare "
                f"with that value instead of the version read, and bump a version the code already changed; guard "
                f"the write by hand with the version as read (ConditionExpression on {attribute!r})")
    if plan.mode == "introduce":
        for line in reads:
            if not start <= line <= end:
                raise FixSkipped(
                    f"the code reads the item's {attribute!r} at line {line}: its items already hold something "
                    f"there, which a new version number would overwrite; set [tool.dynolint.tables.{label}] "
                    "version-attribute to an attribute every writer bumps to enable an optimistic-lock fix")


__all__ = ["check"]
