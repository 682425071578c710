"""Lowering, part two: statements, functions and classes to the IR (the expressions:
:mod:`dynolint.phase1.lower_expr`)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterator

import libcst as cst

from dynolint.phase1 import ir
from dynolint.phase1.lower_match import lower_match
from dynolint.phase1.lower_expr import _AUGOPS, ExpressionLowerer, no_return

# a property's accessors besides its getter: each is a method of its own, ``name.setter`` or
# ``name.deleter`` in its class's methods (qualname ``Order.status.setter``)
ACCESSORS = ("setter", "deleter")


class Lowerer(ExpressionLowerer):
    """A single recursive walk over one module's CST (no visitor dispatch, no metadata)."""

    # -- statements -------------------------------------------------------------------
    @contextmanager
    def header(self, node: cst.CSTNode) -> Iterator[int]:
        """Lower a compound statement's header (an if's or while's test, a for's iterable and
        target, a with item, a match's subject, a case's guard) under a site of its own: the
        statement its reportable nodes belong to."""
        saved = self.current_stmt
        self.current_stmt = -1
        site = self.site(node, stmt=True)
        self.current_stmt = site
        try:
            yield site
        finally:
            self.current_stmt = saved

    def block(self, body: Any) -> tuple[ir.Stmt, ...]:
        out: list[ir.Stmt] = []
        if isinstance(body, cst.SimpleStatementSuite):
            for small in body.body:
                self.small(small, out)
            return tuple(out)
        statements = body.body if isinstance(body, cst.IndentedBlock) else body
        for statement in statements:
            self.statement(statement, out)
        return tuple(out)

    def statement(self, node: cst.CSTNode, out: list[ir.Stmt]) -> None:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                self.small(small, out)
            return
        saved = self.current_stmt
        try:
            if type(node) is cst.If:
                out.append(self._if(node))
            elif type(node) is cst.For:
                with self.header(node.iter) as site:
                    iterable = self.expr(node.iter)
                    target = self.target(node.target)
                orelse = self.block(node.orelse.body) if node.orelse else ()
                out.append(ir.Loop(target, iterable, self.block(node.body), orelse, site))
            elif type(node) is cst.While:
                with self.header(node.test) as site:
                    test = self.expr(node.test)
                orelse = self.block(node.orelse.body) if node.orelse else ()
                out.append(ir.Loop(None, test, self.block(node.body), orelse, site, is_while=True))
            elif type(node) in (cst.Try, cst.TryStar):
                out.append(self._try(node))
            elif type(node) is cst.With:
                items: list[tuple[ir.Expr, ir.Expr | None]] = []
                first = -1
                for item in node.items:
                    with self.header(item.item) as site:
                        first = site if first < 0 else first
                        ctx = self.expr(item.item)
                        as_target = self.target(item.asname.name) if item.asname else None
                    items.append((ctx, as_target))
                out.append(ir.With(tuple(items), self.block(node.body), node.asynchronous is not None, first))
            elif type(node) is cst.FunctionDef:
                out.append(self.function(node))
            elif type(node) is cst.ClassDef:
                out.append(self.klass(node))
            elif type(node) is cst.Match:
                out.extend(lower_match(self, node))
        finally:
            self.current_stmt = saved

    def _if(self, node: cst.If) -> ir.Stmt:
        with self.header(node.test) as site:
            test = self.expr(node.test)
        body = self.block(node.body)
        orelse: tuple[ir.Stmt, ...] = ()
        if isinstance(node.orelse, cst.If):
            orelse = (self._if(node.orelse),)
        elif isinstance(node.orelse, cst.Else):
            orelse = self.block(node.orelse.body)
        return ir.If(test, body, orelse, site)

    def _try(self, node: Any) -> ir.Stmt:
        body = self.block(node.body)
        handlers: list[ir.Handler] = []
        for handler in node.handlers:
            name = None
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                name = handler.name.name.value
                self._bind(name)
            exc_type = self.expr(handler.type) if handler.type is not None else None
            handlers.append(ir.Handler(exc_type, name, self.block(handler.body)))
        orelse = self.block(node.orelse.body) if node.orelse else ()
        final = self.block(node.finalbody.body) if node.finalbody else ()
        site = self.site(node, stmt=True)
        return ir.Try(body, tuple(handlers), orelse, final, site)

    def small(self, node: cst.CSTNode, out: list[ir.Stmt]) -> None:
        saved = self.current_stmt
        self.current_stmt = -1
        site = self.site(node, stmt=True)
        self.current_stmt = site
        try:
            if type(node) is cst.Assign:
                value = self.expr(node.value)
                targets = tuple(self.target(t.target) for t in node.targets)
                out.append(ir.Assign(targets, value, site))
                record = _record_shape(node)
                if record is not None and isinstance(value, ir.Call):
                    self.record_class(*record, value.site)
            elif type(node) is cst.AnnAssign:
                if node.value is not None:
                    value = self.expr(node.value)
                    out.append(ir.Assign((self.target(node.target),), value, site))
                elif isinstance(node.target, cst.Name):
                    self._bind(node.target.value)
            elif type(node) is cst.AugAssign:
                value = self.expr(node.value)
                op = _AUGOPS.get(type(node.operator).__name__, "?")
                out.append(ir.AugAssign(self.target(node.target), op, value, site))
            elif type(node) is cst.Expr:
                value = self.expr(node.value)
                out.append(ir.ExprStmt(replace(value, discarded=True) if type(value) is ir.Call else value, site))
            elif type(node) is cst.Return:
                out.append(ir.Return(self.expr(node.value) if node.value is not None else None, site))
            elif type(node) is cst.Raise:
                out.append(ir.Raise(self.expr(node.exc) if node.exc is not None else None, site))
            elif type(node) is cst.Break:
                out.append(ir.Jump("break"))
            elif type(node) is cst.Continue:
                out.append(ir.Jump("continue"))
            elif type(node) is cst.Global or type(node) is cst.Nonlocal:
                names = tuple(n.name.value for n in node.names)
                if self.declared:
                    self.declared[-1].update(names)
                out.append(ir.Declare("global" if type(node) is cst.Global else "nonlocal", names))
            elif type(node) is cst.Import:
                for alias in node.names:
                    dotted = _dotted(alias.name)
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        bound = alias.asname.name.value
                        out.append(ir.Assign((ir.Name(bound),), ir.ImportE(dotted, None, 0), site))
                    else:
                        bound = dotted.split(".")[0]
                        out.append(ir.Assign((ir.Name(bound),), ir.ImportE(bound, None, 0), site))
                    self._bind(bound)
            elif type(node) is cst.ImportFrom:
                module = _dotted(node.module) if node.module is not None else ""
                level = len(node.relative)
                if isinstance(node.names, cst.ImportStar):
                    out.append(ir.StarImport(module, level))
                    return
                for alias in node.names:
                    name = _dotted(alias.name)
                    bound = (alias.asname.name.value
                             if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name)
                    self._bind(bound)
                    out.append(ir.Assign((ir.Name(bound),), ir.ImportE(module, name, level), site))
            elif type(node) is cst.TypeAlias:  # PEP 695: the name is bound to an alias of what it names
                # (``type RepoAlias = Repo[Order]``: the class; evaluated here, where Python waits for a use)
                out.append(ir.Assign((self.target(node.name),), self.expr(node.value), site))
            elif type(node) is cst.Del:
                listed = node.target.elements if isinstance(node.target, (cst.Tuple, cst.List)) else ()
                for deleted in [e.value for e in listed] or [node.target]:
                    lowered = self.expr(deleted) if isinstance(deleted, (cst.Attribute, cst.Subscript)) else None
                    if isinstance(lowered, (ir.Attr, ir.Sub)):
                        out.append(ir.Delete(lowered, site))
            elif type(node) is cst.Assert:  # goes on where the test holds, as ``if not test: raise``
                out.append(ir.If(self.expr(node.test), (), (ir.Raise(None, site),), site))
        finally:
            self.current_stmt = saved

    # -- definitions ------------------------------------------------------------------
    def shadowing(self, body: Any, in_class: bool) -> None:
        """Name apart the functions of one scope that a later definition of the same name
        replaces (``@f.register def _(...)`` of functools.singledispatch, a definition in each
        branch of an ``if``): each is a function of its own, analysed as one; the name stays
        bound to the last (``_#1``, ``_#2``, ..., then ``_``)."""
        found: dict[str, list[cst.FunctionDef]] = {}
        for node in _definitions(body):
            accessor = _accessor(node) if in_class else None
            found.setdefault(f"{node.name.value}.{accessor}" if accessor else node.name.value, []).append(node)
        for segment, nodes in found.items():
            for number, node in enumerate(nodes[:-1], 1):
                self.renamed[id(node)] = f"{segment}#{number}"

    def function(self, node: cst.FunctionDef) -> ir.Stmt:
        name = node.name.value
        self._bind(name)
        site = self.site(node, stmt=True)
        class_qualname = self.class_stack[-1] if self.class_stack else None
        # a property's setter or deleter is named apart from its getter (``status.setter``):
        # Python binds all three to one name, but each is a function of its own
        accessor = _accessor(node) if class_qualname is not None else None
        segment = self.renamed.get(id(node)) or (f"{name}.{accessor}" if accessor else name)
        qualname = ".".join((*self.scope, segment))
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        parent = self.func_stack[-1] if self.func_stack else None
        self.scope.append(segment)
        self.func_stack.append(qualname)
        self.class_stack.append(None)
        self.assigned.append(set())
        self.declared.append(set())
        self.yields.append(False)
        saved = self.current_stmt
        self.current_stmt = -1
        try:
            params = self._params(node.params)
            self.shadowing(node.body, False)
            body = self.block(node.body)
        finally:
            self.current_stmt = saved
            self.scope.pop()
            self.func_stack.pop()
            self.class_stack.pop()
            assigned = self.assigned.pop()
            declared = self.declared.pop()
            is_generator = self.yields.pop()
        local_names = frozenset((assigned | {p.name for p in params}) - declared)
        self.functions.append(ir.Function(
            qualname, name, params, body, decorators, node.asynchronous is not None, site,
            local_names, frozenset(declared), class_qualname, parent, is_generator, no_return(node.returns),
        ))
        return ir.DefStmt(segment, qualname, False, site)

    def record_class(self, name: str, fields: tuple[str, ...], call_site: int) -> None:
        """The class a namedtuple-shaped call may make (fields, no methods), at the call's site."""
        qualname = ".".join((*self.scope, name))
        self.classes.append(ir.Class(qualname, name, (), (), (), call_site, (), fields, record=True))

    def klass(self, node: cst.ClassDef) -> ir.Stmt:
        name = node.name.value
        self._bind(name)
        site = self.site(node, stmt=True)
        qualname = ".".join((*self.scope, name))
        bases = tuple(self.expr(a.value) for a in node.bases)
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        self.scope.append(name)
        self.class_stack.append(qualname)
        self.assigned.append(set())
        self.declared.append(set())
        saved = self.current_stmt
        self.current_stmt = -1
        try:
            self.shadowing(node.body, True)
            body = self.block(node.body)
        finally:
            self.current_stmt = saved
            self.scope.pop()
            self.class_stack.pop()
            self.assigned.pop()
            self.declared.pop()
        methods = tuple((s.name, s.qualname) for s in body if isinstance(s, ir.DefStmt) and not s.is_class)
        self.classes.append(ir.Class(qualname, name, bases, body, decorators, site, methods, _fields(node)))
        return ir.DefStmt(name, qualname, True, site)


def _record_shape(node: cst.Assign) -> tuple[str, tuple[str, ...]] | None:
    """``Point = f("Point", ["x", "y"])`` (also ``"x y"``, ``"x, y"``, and ``[("x", int), ...]``):
    the shape of a namedtuple made by a call, the name bound and the fields, when literal.
    Whether ``f`` is ``collections.namedtuple`` or ``typing.NamedTuple`` (under any alias) is
    for the model to say, where the names resolve (``Interpreter.record_class``)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
        return None
    call = node.value
    if not isinstance(call, cst.Call):
        return None
    name = node.targets[0].target.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    first = positional[0] if positional else named.get("typename")
    if not isinstance(first, cst.SimpleString) or first.evaluated_value != name:
        return None
    spec = positional[1] if len(positional) > 1 else named.get("field_names", named.get("fields"))
    names: list[str] = []
    if isinstance(spec, cst.SimpleString):
        names = spec.evaluated_value.replace(",", " ").split() if isinstance(spec.evaluated_value, str) else []
    elif isinstance(spec, (cst.List, cst.Tuple)):
        for element in spec.elements:
            item = element.value
            if isinstance(item, cst.Tuple) and item.elements:  # NamedTuple's (name, type)
                item = item.elements[0].value
            if not isinstance(item, cst.SimpleString) or not isinstance(item.evaluated_value, str):
                return None
            names.append(item.evaluated_value)
    if not names or not all(field.isidentifier() for field in names):
        return None
    return name, tuple(names)


def _definitions(body: Any) -> Iterator[cst.FunctionDef]:
    """The functions a block defines in its own scope, in order: its ``def`` statements and those
    of the blocks of its compound statements (an ``if``'s branches, a ``try``'s clauses), not
    those of the functions and classes it defines."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else body if isinstance(body, (list, tuple)) else ()
    for statement in statements:
        if isinstance(statement, cst.FunctionDef):
            yield statement
        elif isinstance(statement, (cst.If, cst.Else, cst.For, cst.While, cst.With, cst.Try, cst.TryStar,
                                    cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase)):
            yield from _definitions(statement.body)
            for part in ("orelse", "handlers", "finalbody"):
                value = getattr(statement, part, None)
                for inner in value if isinstance(value, (list, tuple)) else (value,) if value is not None else ():
                    yield from _definitions([inner])
        elif isinstance(statement, cst.Match):
            for case in statement.cases:
                yield from _definitions([case])


def _accessor(node: cst.FunctionDef) -> str | None:
    """"setter" or "deleter" for a method decorated ``@name.setter`` or ``@name.deleter``
    (also ``@Base.name.setter``, which extends a base's property), where ``name`` is the
    method's own name: the property's other accessors, found in the class as ``name.setter``."""
    name = node.name.value
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Attribute) and expr.attr.value in ACCESSORS:
            owner = expr.value
            if (isinstance(owner, cst.Name) and owner.value == name) or \
                    (isinstance(owner, cst.Attribute) and owner.attr.value == name):
                return expr.attr.value
    return None


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _fields(node: cst.ClassDef) -> tuple[str, ...]:
    """The names annotated directly in a class body (``name: T`` or ``name: T = v``), in
    order: the fields a dataclass decorator makes ``__init__`` parameters of."""
    out: list[str] = []
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for line in body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                annotation = small.annotation.annotation
                text = annotation.value if isinstance(annotation, cst.Name) else ""
                if text != "ClassVar" and not (isinstance(annotation, cst.Subscript)
                                               and isinstance(annotation.value, cst.Name)
                                               and annotation.value.value == "ClassVar"):
                    out.append(small.target.value)
    return tuple(out)
