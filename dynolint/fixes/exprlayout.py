"""Long expressions a fix wrote as an argument (a PynamoDB ``condition=`` of ``&``, ``|`` and
conditionals), split as black splits them.

Black splits a line that does not fit at the operators that bind loosest on it (its delimiter
priorities: a conditional, then ``and``/``or``, comparisons, ``|``, ``^``, ``&``, shifts,
``+``/``-``, ``*``/``/``), each operator starting a line at the same indentation; a part that still
does not fit and is in parentheses gets its own lines between them, indented one level more
(its right-hand split), and is split again inside. Only an argument of a call laid out one
argument a line is split, inside that call's brackets (so no parentheses need adding).
"""

from __future__ import annotations

from typing import Callable

import libcst as cst

_code = cst.Module([]).code_for_node
EXPRESSIONS = (cst.BinaryOperation, cst.BooleanOperation, cst.IfExp, cst.Comparison)

# black's delimiter priorities (black/brackets.py) of the binary operators it splits at
_BINARY_PRIORITY: dict[type, int] = {
    cst.BitOr: 9, cst.BitXor: 8, cst.BitAnd: 7, cst.LeftShift: 6, cst.RightShift: 6, cst.Add: 5, cst.Subtract: 5,
    cst.Multiply: 4, cst.Divide: 4, cst.FloorDivide: 4, cst.Modulo: 4, cst.MatrixMultiply: 4,
}


def _break(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(first_line=cst.TrailingWhitespace(), empty_lines=[], indent=False,
                                       last_line=cst.SimpleWhitespace(indent))


_SPACE = cst.SimpleWhitespace(" ")


def split_expression(node: cst.BaseExpression, first: int, last: int, indent: str, unit: str,
                     limit: int) -> cst.BaseExpression:
    """``node`` (on one line, ``first`` columns into it and followed by ``last`` more) split
    until its lines fit in ``limit`` where black can split them; continuation lines start with
    ``indent``. It is returned as it is when it fits or black would not split it."""
    text = _code(node)
    if "\n" in text or first + len(text) + last <= limit:
        return node
    if node.lpar:
        if len(node.lpar) != 1 or len(node.rpar) != 1:
            return node
        inner_indent = indent + unit
        body = split_expression(node.with_changes(lpar=[], rpar=[]), len(inner_indent), 0, inner_indent, unit, limit)
        return body.with_changes(lpar=[cst.LeftParen(whitespace_after=_break(inner_indent))],
                                 rpar=[cst.RightParen(whitespace_before=_break(indent))])
    operands = _operands(node)
    if operands is None:
        return node
    # each operand's columns: the first starts where the node does, the others after their
    # operator at the start of a line; the last is followed by what follows the node
    laid: dict[int, cst.BaseExpression] = {}
    for index, (operand, operator) in enumerate(operands):
        start = first if index == 0 else len(indent) + len(operator) + 1
        end = last if index == len(operands) - 1 else 0
        laid[id(operand)] = split_expression(operand, start, end, indent, unit, limit)
    return _rebuild(node, laid, indent)


def _priority(node: cst.BaseExpression) -> int | None:
    if node.lpar:
        return None
    if isinstance(node, cst.IfExp):
        return 16
    if isinstance(node, cst.BooleanOperation):
        return 14
    if isinstance(node, cst.Comparison):
        return 10
    if isinstance(node, cst.BinaryOperation):
        return _BINARY_PRIORITY.get(type(node.operator))
    return None


def _operands(node: cst.BaseExpression) -> list[tuple[cst.BaseExpression, str]] | None:
    """The parts of ``node`` split at its loosest operators, each with the operator text that
    starts its line (empty for the first), in order; None when black would not split it."""
    priority = _priority(node)
    if priority is None:
        return None
    out: list[tuple[cst.BaseExpression, str]] = []

    def flatten(part: cst.BaseExpression, operator: str) -> None:
        if _priority(part) != priority:
            out.append((part, operator))
        elif isinstance(part, cst.IfExp):
            flatten(part.body, operator)
            flatten(part.test, "if")
            flatten(part.orelse, "else")
        elif isinstance(part, (cst.BooleanOperation, cst.BinaryOperation)):
            flatten(part.left, operator)
            flatten(part.right, _code(part.operator).strip())
        elif isinstance(part, cst.Comparison):
            flatten(part.left, operator)
            for target in part.comparisons:
                out.append((target.comparator, " ".join(_code(target.operator).split())))

    flatten(node, "")
    return out


def _rebuild(node: cst.BaseExpression, laid: dict[int, cst.BaseExpression], indent: str) -> cst.BaseExpression:
    """``node`` with each operator of its split starting a line, and its parts as ``laid``."""
    if id(node) in laid:
        return laid[id(node)]
    again: Callable[[cst.BaseExpression], cst.BaseExpression] = lambda part: _rebuild(part, laid, indent)
    if isinstance(node, cst.IfExp):
        return node.with_changes(body=again(node.body), test=again(node.test), orelse=again(node.orelse),
                                 whitespace_before_if=_break(indent), whitespace_after_if=_SPACE,
                                 whitespace_before_else=_break(indent), whitespace_after_else=_SPACE)
    if isinstance(node, (cst.BooleanOperation, cst.BinaryOperation)):
        operator = node.operator.with_changes(whitespace_before=_break(indent), whitespace_after=_SPACE)
        return node.with_changes(left=again(node.left), operator=operator, right=again(node.right))
    if isinstance(node, cst.Comparison):
        targets = [target.with_changes(operator=target.operator.with_changes(whitespace_before=_break(indent)),
                                       comparator=laid.get(id(target.comparator), target.comparator))
                   for target in node.comparisons]
        return node.with_changes(left=again(node.left), comparisons=targets)
    return node
