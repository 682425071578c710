"""Lowering, part three: ``match`` statements (PEP 634) to assignments and ``if`` chains.

The subject is evaluated once, into a name of its own. Each case becomes an ``if`` whose test
is what the pattern checks, spelled as the comparisons Python makes (``case {"Item": item}``
tests ``"Item" in subject``, ``case None`` tests ``subject is None``, ``case {"status":
"NEW"}`` tests ``subject["status"] == "NEW"``), and whose body starts by binding the
pattern's captures (``item = subject["Item"]``). So a match on a response or an item is a
presence test and a decision like the ``if`` it stands for; a class pattern tests
``isinstance(subject, cls)`` and then its keyword patterns on the subject's attributes. What
the model cannot spell (a sequence pattern's length) is an opaque test of the subject.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from dynolint.phase1 import ir

if TYPE_CHECKING:
    from dynolint.phase1.lower_stmt import Lowerer

Binding = tuple[str, ir.Expr]


def lower_match(lowerer: Lowerer, node: cst.Match) -> tuple[ir.Stmt, ...]:
    with lowerer.header(node.subject) as site:
        subject_value = lowerer.expr(node.subject)
    name = f"match${site}"  # not a Python identifier: no code can use or shadow it
    lowerer._bind(name)
    subject = ir.Name(name)
    chain: tuple[ir.Stmt, ...] = ()
    for case in reversed(node.cases):
        bindings: list[Binding] = []
        test = _pattern(lowerer, case.pattern, subject, bindings, site)
        if case.guard is not None:
            with lowerer.header(case.guard):
                guard = lowerer.expr(case.guard)
            test = guard if test is None else ir.BoolOp("and", test, guard)
        for bound, _ in bindings:
            lowerer._bind(bound)
        body: tuple[ir.Stmt, ...] = tuple(ir.Assign((ir.Name(bound),), value, site) for bound, value in bindings)
        body += lowerer.block(case.body)
        if test is None:  # an irrefutable case: the cases after it never run
            chain = body
        else:
            chain = (ir.If(test, body, chain, site),)
    return (ir.Assign((subject,), subject_value, site),) + chain


def _pattern(lowerer: Lowerer, pattern: cst.MatchPattern, at: ir.Expr, bindings: list[Binding],
             site: int) -> ir.Expr | None:
    """The test ``pattern`` makes of the value at ``at`` (None: it always matches), adding its
    captures to ``bindings``."""
    if isinstance(pattern, cst.MatchAs):
        test = _pattern(lowerer, pattern.pattern, at, bindings, site) if pattern.pattern is not None else None
        if pattern.name is not None:
            bindings.append((pattern.name.value, at))
        return test
    if isinstance(pattern, cst.MatchValue):
        return ir.Compare(at, ("==",), (lowerer.expr(pattern.value),))
    if isinstance(pattern, cst.MatchSingleton):
        return ir.Compare(at, ("is",), (lowerer.expr(pattern.value),))
    if isinstance(pattern, cst.MatchMapping):
        tests: list[ir.Expr] = []
        for entry in pattern.elements:
            key = lowerer.expr(entry.key)
            tests.append(ir.Compare(key, ("in",), (at,)))
            inner = _pattern(lowerer, entry.pattern, ir.Sub(at, key, site), bindings, site)
            if inner is not None:
                tests.append(inner)
        if pattern.rest is not None:
            bindings.append((pattern.rest.value, at))
        return _all(tests) if tests else ir.Opaque((at,), site)  # ``{}`` tests that it is a mapping
    if isinstance(pattern, cst.MatchClass):
        tests = [ir.Call(ir.Name("isinstance"), (at, lowerer.expr(pattern.cls)), (), site)]
        for keyword in pattern.kwds:
            inner = _pattern(lowerer, keyword.pattern, ir.Attr(at, keyword.key.value, site), bindings, site)
            if inner is not None:
                tests.append(inner)
        if isinstance(pattern.cls, cst.Name) and pattern.cls.value in SELF_MATCHING and len(pattern.patterns) == 1:
            # ``int(c)``: a builtin type's one positional pattern matches the subject itself
            inner = _pattern(lowerer, pattern.patterns[0].value, at, bindings, site)
            if inner is not None:
                tests.append(inner)
            return _all(tests)
        for positional in pattern.patterns:  # by __match_args__, not known here
            _capture_unknown(positional.value, bindings, site)
        return _all(tests)
    if isinstance(pattern, (cst.MatchList, cst.MatchTuple)):
        tests = [ir.Opaque((at,), site)]  # a sequence of this length
        index = 0
        starred = False
        for element in pattern.patterns:
            if isinstance(element, cst.MatchStar):
                starred = True
                if element.name is not None:
                    bindings.append((element.name.value, ir.Opaque((at,), site)))
                continue
            place = ir.Sub(at, ir.Const(index), site) if not starred else ir.Opaque((at,), site)
            inner = _pattern(lowerer, element.value, place, bindings, site)
            if inner is not None:
                tests.append(inner)
            index += 1
        return _all(tests)
    if isinstance(pattern, cst.MatchOr):
        alternatives: list[ir.Expr] = []
        for number, option in enumerate(pattern.patterns):
            found: list[Binding] = []
            test = _pattern(lowerer, option.pattern, at, found, site)
            if number == 0:
                bindings.extend(found)  # every alternative binds the same names (Python checks)
            if test is None:
                return None
            alternatives.append(test)
        result = alternatives[0]
        for other in alternatives[1:]:
            result = ir.BoolOp("or", result, other)
        return result
    return ir.Opaque((at,), site)


# the builtin types whose class pattern's one positional pattern matches the subject itself (PEP 634)
SELF_MATCHING = frozenset({"bool", "bytearray", "bytes", "dict", "float", "frozenset", "int", "list", "set", "str",
                           "tuple"})


def _capture_unknown(pattern: cst.MatchPattern, bindings: list[Binding], site: int) -> None:
    """The names a pattern binds to values the model cannot place."""
    if isinstance(pattern, cst.MatchAs) and pattern.name is not None:
        bindings.append((pattern.name.value, ir.Opaque((), site)))


def _all(tests: list[ir.Expr]) -> ir.Expr:
    result = tests[0]
    for test in tests[1:]:
        result = ir.BoolOp("and", result, test)
    return result
