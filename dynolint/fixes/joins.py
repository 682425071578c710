"""Is the value a counter fix would ``ADD`` a string or a list? Python's ``+`` joins them, an
atomic ``ADD`` (or ``SET a = a + :v``) only adds numbers: the fixed write would fail with a
ValidationException on every call. The model does not know a parameter's annotation; the
source does (``def append(note_id: str, line: str)``)."""

from __future__ import annotations

from typing import Mapping

import libcst as cst
from libcst.metadata import CodeRange

from dynolint.fixes.cstutil import walk

_STRINGS = frozenset({"str", "bytes", "LiteralString"})
_SEQUENCES = frozenset({"list", "List", "tuple", "Tuple", "Sequence", "MutableSequence"})


def _kind_of_annotation(annotation: cst.BaseExpression) -> str | None:
    """"a string" / "a list" when every type the annotation allows (but None) is one."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        kinds = {_kind_of_annotation(annotation.left), _kind_of_annotation(annotation.right)} - {"none"}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(annotation, cst.Name) and annotation.value == "None":
        return "none"
    base = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    name = base.attr.value if isinstance(base, cst.Attribute) else base.value if isinstance(base, cst.Name) else None
    if isinstance(annotation, cst.Subscript) and name == "Optional":
        inner = annotation.slice[0].slice
        return _kind_of_annotation(inner.value) if isinstance(inner, cst.Index) else None
    if name in _STRINGS:
        return "a string"
    if name in _SEQUENCES:
        return "a list"
    return None


# calls that compute a number from their arguments and nothing else: the same where the write is
PURE_CALLS = frozenset({"int", "float", "Decimal", "abs", "round", "len", "min", "max", "sum", "get"})


def reevaluated(delta: cst.BaseExpression, scope: cst.CSTNode, arithmetic: CodeRange, write: CodeRange,
                positions: Mapping[cst.CSTNode, CodeRange]) -> str | None:
    """Why the expression ``delta``, copied from the arithmetic to the write, may be another
    value there (None: it is the same): a call that does more than compute (``pending.pop()``,
    ``next(it)``, an await), or a name it uses bound again in between (``price = f"{price:.2f}"``)."""
    for node in walk(delta):
        if isinstance(node, (cst.Await, cst.Yield, cst.NamedExpr)):
            return "waits or assigns"
        if isinstance(node, cst.Call):
            func = node.func
            name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) \
                else None
            if name not in PURE_CALLS:
                return "has a call in it that may not give the same value twice"
    names = {node.value for node in walk(delta) if isinstance(node, cst.Name)}
    after, before = (arithmetic.end.line, arithmetic.end.column), (write.start.line, write.start.column)
    for node in walk(scope):
        where = positions.get(node) if isinstance(node, cst.SimpleStatementLine) else None
        if where is None or not after <= (where.start.line, where.start.column) < before:
            continue
        for part in walk(node):
            bound = part.target if isinstance(part, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)) else None
            if isinstance(bound, cst.Name) and bound.value in names:
                return f"uses {bound.value}, which is assigned again before the write"
    return None


def joined_kind(value: cst.BaseExpression, scope: cst.CSTNode) -> str | None:
    """"a string" or "a list" when ``value`` (the delta, as written in ``scope``) surely is
    one; None when it may be a number."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "a string"
    if isinstance(value, (cst.List, cst.Tuple, cst.ListComp)):
        return "a list"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("str", "repr"):
        return "a string"
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("list", "sorted"):
        return "a list"
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        return joined_kind(value.left, scope) or joined_kind(value.right, scope)
    if not isinstance(value, cst.Name) or not isinstance(scope, cst.FunctionDef):
        return None
    for param in walk(scope.params):
        if isinstance(param, cst.Param) and param.name.value == value.value and param.annotation is not None:
            return _kind_of_annotation(param.annotation.annotation)
    bound = [node for node in walk(scope.body) if isinstance(node, (cst.Assign, cst.AnnAssign))
             and any(isinstance(target, cst.Name) and target.value == value.value
                     for target in ([t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]))]
    if len(bound) == 1:
        only = bound[0]
        if isinstance(only, cst.AnnAssign):
            return _kind_of_annotation(only.annotation.annotation)
        if only.value is not value and only.value is not None:
            return joined_kind(only.value, scope) if not isinstance(only.value, cst.Name) else None
    return None


__all__ = ["joined_kind"]
