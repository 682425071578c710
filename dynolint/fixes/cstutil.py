"""LibCST helpers the fixes share: arguments, dicts, string literals and placeholders that
cannot collide, all built on the original nodes so that formatting is kept."""

from __future__ import annotations

import inspect
import re
from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable, Iterator

import libcst as cst

from dynolint.phase1.positions import node_classes

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


_NODE_TYPES = node_classes((cst.CSTNode,))
_FIELDS: dict[type, tuple[str, ...]] = {}
_VISITED_FIELD = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')


def _fields_in_visit_order(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of a node class in the order LibCST's visitors go through them (source
    order), read from its ``_visit_and_replace_children``; the dataclass order if that
    cannot be read."""
    declared = [f.name for f in fields(kind)]
    try:
        named = _VISITED_FIELD.findall(inspect.getsource(kind._visit_and_replace_children))
    except (OSError, TypeError):
        named = []
    ordered = list(dict.fromkeys(name for name in named if name in declared))
    return tuple(ordered + [name for name in declared if name not in ordered])


def _children_getter(kind: type[cst.CSTNode]) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    """One C call that reads every field of a node of class ``kind``, last field first."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = _fields_in_visit_order(kind)
    backwards = tuple(reversed(names))
    if len(backwards) > 1:
        return attrgetter(*backwards)
    if backwards:
        one = attrgetter(backwards[0])
        return lambda node: (one(node),)
    return lambda node: ()


_GETTERS: dict[type, Callable[[cst.CSTNode], tuple[Any, ...]]] = {}


def _reader(kind: type[cst.CSTNode]) -> Callable[[cst.CSTNode], tuple[Any, ...]]:
    """The (remembered) reader of the fields of a node of class ``kind``."""
    read = _GETTERS.get(kind)
    if read is None:
        read = _GETTERS[kind] = _children_getter(kind)
    return read


def walk(node: cst.CSTNode, parents: dict[int, cst.CSTNode] | None = None) -> Iterator[cst.CSTNode]:
    """``node`` and every node under it, depth first, in the order a CSTVisitor meets them
    (a test checks it), a few times cheaper than a CSTVisitor, which calls two hooks per
    attribute of every node. ``parents``, when given, gets each node's parent by its id.
    (The fields are read last first and the children pushed as they come, so that the first
    child is on top of the stack: walking is most of what several fixes cost.)"""
    stack = [node]
    pop, push = stack.pop, stack.append
    node_types = _NODE_TYPES
    getters = _GETTERS
    while stack:
        current = pop()
        yield current
        kind = type(current)
        read = getters.get(kind) or _reader(kind)
        for value in read(current):
            if type(value) in node_types:
                push(value)
                if parents is not None:
                    parents[id(value)] = current
            elif type(value) in (tuple, list):
                for item in reversed(value):
                    if type(item) in node_types:
                        push(item)
                        if parents is not None:
                            parents[id(item)] = current


_typed: list[Any] = [None, {}]  # the last root asked about, and its nodes by type


def nodes_by_type(root: cst.CSTNode) -> dict[type, list[cst.CSTNode]]:
    """The nodes under ``root`` (and ``root``), by their exact type, each list in walk order:
    from one walk, remembered for the last root (the DYN301 fixes of a file each look for
    their path and for names all over its module; nodes never change, so neither does this)."""
    if _typed[0] is not root:
        found: dict[type, list[cst.CSTNode]] = {}
        for node in walk(root):
            kind = type(node)
            if kind in found:
                found[kind].append(node)
            else:
                found[kind] = [node]
        _typed[:] = [root, found]
    return _typed[1]  # type: ignore[no-any-return]


def path_to(root: cst.CSTNode, target: cst.CSTNode,
            enter: Callable[[cst.CSTNode], bool]) -> list[cst.CSTNode] | None:
    """The nodes from ``root`` down to the parent of ``target``, outermost first (empty when
    ``target`` is ``root``), found by a depth-first search that goes only into the nodes
    ``enter`` accepts (those that may hold ``target``); None when it is not found so. A node
    is under one parent, so what is found is its one path; :func:`walk`'s parents map gives
    the same, after a walk of all of ``root``."""
    parents: dict[int, cst.CSTNode] = {}
    stack = [root]
    node_types = _NODE_TYPES
    while stack:
        current = stack.pop()
        if current is target:
            chain: list[cst.CSTNode] = []
            while id(current) in parents:
                current = parents[id(current)]
                chain.append(current)
            chain.reverse()
            return chain
        for value in _reader(type(current))(current):
            for item in value if type(value) in (tuple, list) else (value,):
                if type(item) in node_types and enter(item):
                    parents[id(item)] = current
                    stack.append(item)
    return None


def contains(outer: CodeRange, inner: CodeRange) -> bool:
    """Does the range ``outer`` hold the range ``inner`` (or equal it)?"""
    return (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column) and \
        (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)


def same(node: cst.CSTNode, other: cst.CSTNode) -> bool:
    """``node.deep_equals(other)``, which is False for nodes of two types, without the call
    (a DYN301 fix compares its path with every node of the module)."""
    return type(node) is type(other) and node.deep_equals(other)


class FixSkipped(Exception):
    """A fix that cannot be made exactly; the message says why and what to do."""


def kwarg(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def has_star_kwargs(call: cst.Call) -> bool:
    return any(arg.star == "**" for arg in call.args)


def string(text: str) -> cst.SimpleString:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return cst.SimpleString(f'"{escaped}"')


def literal_text(node: cst.BaseExpression | None) -> str | None:
    """The value of a plain string literal (or an implicit concatenation of them)."""
    if isinstance(node, cst.SimpleString):
        value = _string_value(node)
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = literal_text(node.left), literal_text(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _string_value(node: cst.SimpleString) -> object:
    """``node.evaluated_value``, without compiling plain literals."""
    from dynolint.phase1.lower_expr import plain_string_value

    plain = plain_string_value(node.value)
    return plain if plain is not None else node.evaluated_value


def with_attributes(call: cst.Call, names: list[tuple[str, cst.BaseExpression]],
                    values: list[tuple[str, cst.BaseExpression]],
                    additions: list[tuple[str, cst.BaseExpression]]) -> cst.Call:
    """``call`` with ``names`` and ``values`` merged into its ExpressionAttributeNames and
    ExpressionAttributeValues (new arguments where it has none), and ``additions`` added."""
    additions = list(additions)
    for field, entries in (("ExpressionAttributeNames", names), ("ExpressionAttributeValues", values)):
        if not entries:
            continue
        present = kwarg(call, field)
        if present is not None:
            call = replace_kwarg(call, field, merge_dict(present.value, entries))
        else:
            additions.append((field, merge_dict(None, entries)))
    return add_kwargs(call, additions)


def taken_placeholders(node: cst.CSTNode) -> set[str]:
    """Every ``#name`` / ``:value`` token already used in the strings under ``node``."""
    found: set[str] = set()
    for inner in walk(node):
        if type(inner) is cst.SimpleString:
            value = _string_value(inner)
            if isinstance(value, str):
                found.update(PLACEHOLDER.findall(value))
        elif type(inner) is cst.FormattedStringText:
            found.update(PLACEHOLDER.findall(inner.value))
    return found


def fresh(base: str, taken: set[str]) -> str:
    """``base`` or ``base_2``, ``base_3``... whichever is not used yet (then reserved)."""
    candidate, counter = base, 2
    while candidate in taken:
        candidate = f"{base}_{counter}"
        counter += 1
    taken.add(candidate)
    return candidate


def parse_expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    for arg in call.args[:-1]:
        if isinstance(arg.comma, cst.Comma):
            return arg.comma.whitespace_after
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return call.whitespace_before_args
    return cst.SimpleWhitespace(" ")


def _bare(whitespace: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """``whitespace`` without its comments: the line break and indentation alone (what a new
    argument or entry is laid out with: a comment belongs to the element it was written beside)."""
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return whitespace.with_changes(first_line=cst.TrailingWhitespace(newline=whitespace.first_line.newline),
                                       empty_lines=[])
    return whitespace


def _continued(own: cst.BaseParenthesizableWhitespace,
               separator: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """What follows the last existing element when new ones are appended: its own comments
    (``own``, which led to the closing bracket), then the line start of ``separator``."""
    if isinstance(own, cst.ParenthesizedWhitespace):
        if isinstance(separator, cst.ParenthesizedWhitespace):
            return own.with_changes(indent=separator.indent, last_line=separator.last_line)
        return own  # a comment ends the line: the new elements start where the bracket did
    return separator


def add_kwargs(call: cst.Call, pairs: list[tuple[str, cst.BaseExpression]]) -> cst.Call:
    """Append keyword arguments, in the call's own layout (one per line when it has one); the
    comments of the existing arguments stay with them, the new ones get none."""
    new = [cst.Arg(value=value, keyword=cst.Name(name),
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))
           for name, value in pairs]
    if not new:
        return call
    args = list(call.args)
    if not args:
        return call.with_changes(args=new)
    separator = _bare(_separator(call))
    last = args[-1]
    trailing, tail = last.comma, last.whitespace_after_arg
    if isinstance(trailing, cst.Comma) and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace):
        args[-1] = last.with_changes(comma=trailing.with_changes(
            whitespace_after=_continued(trailing.whitespace_after, separator)))
        trailing = trailing.with_changes(whitespace_after=_bare(trailing.whitespace_after))
    else:  # the last argument's comments are before the closing parenthesis
        comma = trailing if isinstance(trailing, cst.Comma) else cst.Comma()
        args[-1] = last.with_changes(comma=comma.with_changes(whitespace_after=_continued(tail, separator)),
                                     whitespace_after_arg=cst.SimpleWhitespace(""))
        tail = _bare(tail)
    for index, arg in enumerate(new):
        if index == len(new) - 1:
            new[index] = arg.with_changes(comma=trailing, whitespace_after_arg=tail)
        else:
            new[index] = arg.with_changes(comma=cst.Comma(whitespace_after=separator))
    return call.with_changes(args=[*args, *new])


def replace_kwarg(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    return call.with_changes(args=[arg.with_changes(value=value) if arg.keyword is not None
                                   and arg.keyword.value == name else arg for arg in call.args])


def and_condition(call: cst.Call, condition: str) -> tuple[cst.Call, list[tuple[str, cst.BaseExpression]]]:
    """``condition`` joined with AND to the call's own ``ConditionExpression`` (which must be a
    string literal), or, when it has none, the keyword argument still to add."""
    existing = kwarg(call, "ConditionExpression")
    if existing is None:
        return call, [("ConditionExpression", string(condition))]
    old = literal_text(existing.value)
    if old is None:
        raise FixSkipped("the existing ConditionExpression is not a string literal")
    return replace_kwarg(call, "ConditionExpression", string(f"({old}) AND {condition}")), []


def merge_dict(existing: cst.BaseExpression | None, entries: list[tuple[str, cst.BaseExpression]]) -> cst.BaseExpression:
    """A dict literal gets the entries appended in its layout; any other expression is
    spread into a new dict: ``{**names, "#dl_key": "pk"}``."""
    new = [cst.DictElement(string(key), value) for key, value in entries]
    if existing is None:
        return cst.Dict(new)
    if isinstance(existing, cst.Dict):
        elements = list(existing.elements)
        if not elements:
            return existing.with_changes(elements=new)
        separator: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        for element in elements[:-1]:
            if isinstance(element.comma, cst.Comma):
                separator = element.comma.whitespace_after
                break
        else:
            if isinstance(existing.lbrace.whitespace_after, cst.ParenthesizedWhitespace):
                separator = existing.lbrace.whitespace_after
        separator = _bare(separator)
        last = elements[-1]
        trailing = last.comma
        rbrace = existing.rbrace
        if isinstance(trailing, cst.Comma) and isinstance(trailing.whitespace_after, cst.ParenthesizedWhitespace):
            elements[-1] = last.with_changes(comma=trailing.with_changes(
                whitespace_after=_continued(trailing.whitespace_after, separator)))
            trailing = trailing.with_changes(whitespace_after=_bare(trailing.whitespace_after))
        else:  # the last entry's comments are before the closing brace (LibCST keeps them there)
            comma = trailing if isinstance(trailing, cst.Comma) else cst.Comma()
            elements[-1] = last.with_changes(comma=comma.with_changes(
                whitespace_after=_continued(rbrace.whitespace_before, separator)))
            rbrace = rbrace.with_changes(whitespace_before=_bare(rbrace.whitespace_before))
        for index, element in enumerate(new):
            if index == len(new) - 1:
                new[index] = element.with_changes(comma=trailing)
            else:
                new[index] = element.with_changes(comma=cst.Comma(whitespace_after=separator))
        return existing.with_changes(elements=[*elements, *new], rbrace=rbrace)
    return cst.Dict([cst.StarredDictElement(existing), *new])


def set_dict_entry(expr: cst.BaseExpression, key: str, value: cst.BaseExpression) -> cst.BaseExpression:
    """``expr`` with ``key`` set to ``value``: replaced in a literal, else spread."""
    if isinstance(expr, cst.Dict):
        for element in expr.elements:
            if isinstance(element, cst.DictElement) and literal_text(element.key) == key:
                return expr.with_changes(elements=[
                    e.with_changes(value=value) if e is element else e for e in expr.elements])
        return merge_dict(expr, [(key, value)])
    return cst.Dict([cst.StarredDictElement(expr), cst.DictElement(string(key), value)])
