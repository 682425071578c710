"""Phase 1: parse one file with LibCST, once, and lower it to a :class:`FileSummary`.

The lowering is a single recursive walk over the CST (no visitor dispatch, no metadata
wrapper, no deep copy). Nodes that may be reported get a *site*; their positions are then
computed in one code generation pass that records offsets for those nodes only.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import libcst as cst

from dynolint import ir
from dynolint.positions import SiteCodegen, generate, line_starts, site_spans_of
from dynolint.suppression import suppressions_in

_BINOPS = {
    "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//",
    "Modulo": "%", "Power": "**", "LeftShift": "<<", "RightShift": ">>", "BitOr": "|",
    "BitAnd": "&", "BitXor": "^", "MatrixMultiply": "@",
}
_AUGOPS = {k + "Assign": v for k, v in _BINOPS.items()}
_CMPOPS = {
    "Equal": "==", "NotEqual": "!=", "LessThan": "<", "LessThanEqual": "<=",
    "GreaterThan": ">", "GreaterThanEqual": ">=", "Is": "is", "IsNot": "is not",
    "In": "in", "NotIn": "not in",
}
_UNOPS = {"Not": "not", "Minus": "-", "Plus": "+", "BitInvert": "~"}
_MENTIONS_SUPPRESSION = re.compile(rb"(?i)dynolint|noqa")


def plain_string_value(text: str) -> str | None:
    """The value of a string literal with no escapes, prefix ``r``/``u`` or none and no
    carriage return (which the tokenizer would translate): the text between the quotes.
    None for any other literal (``evaluated_value`` compiles it: a tenth of the lowering)."""
    if "\\" in text or "\r" in text:
        return None
    start = 0
    while start < len(text) and text[start] not in "'\"":
        start += 1
    if text[:start].lower() not in ("", "r", "u"):
        return None
    quote = 3 if len(text) - start >= 6 and text[start:start + 3] in ('"""', "'''") else 1
    return text[start + quote:len(text) - quote]


def _no_validation(node: cst.CSTNode) -> None:
    return None


def parse(source: bytes) -> cst.Module:
    """``libcst.parse_module`` without LibCST's per-node validation, which re-checks every
    node the parser builds (an eighth of the parse; LibCST's own comment on ``__post_init__``
    suggests skipping it for parsed trees). Only parsed trees skip it: nodes the fixes build
    are validated as usual. (The switch is process-wide for the duration of the parse: nodes
    another thread builds meanwhile are not validated either.)"""
    base = cst.CSTNode
    validate = base.__dict__.get("__post_init__")
    if validate is None:  # a LibCST that validates elsewhere: parse as it does
        return cst.parse_module(source)
    base.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        base.__post_init__ = validate  # type: ignore[method-assign]


def module_name(path: str) -> str:
    """Dotted module name of a posix path relative to the project root."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(p for p in parts if p and p != ".")


class _Lowerer:
    def __init__(self) -> None:
        self.wanted: dict[int, int] = {}
        self.nodes: list[cst.CSTNode] = []
        self.stmt_of: list[int] = []
        self.current_stmt = -1
        self.functions: list[ir.Function] = []
        self.classes: list[ir.Class] = []
        self.scope: list[str] = []  # qualname parts
        self.func_stack: list[str] = []
        self.class_stack: list[str | None] = []
        # per-function bookkeeping
        self.assigned: list[set[str]] = []
        self.declared: list[set[str]] = []
        self.yields: list[bool] = []
        self._expr: dict[type, Callable[[Any], ir.Expr]] = {
            cst.Name: self._name, cst.Attribute: self._attribute, cst.Subscript: self._subscript,
            cst.Call: self._call, cst.Await: lambda n: self.expr(n.expression),
            cst.SimpleString: self._simple_string, cst.ConcatenatedString: self._concat,
            cst.FormattedString: self._fstring, cst.Integer: self._number,
            cst.Float: self._number, cst.Imaginary: lambda n: ir.Const(None),
            cst.Dict: self._dict, cst.List: self._seq("list"), cst.Tuple: self._seq("tuple"),
            cst.Set: self._seq("set"), cst.BinaryOperation: self._binop,
            cst.UnaryOperation: self._unop, cst.BooleanOperation: self._boolop,
            cst.Comparison: self._compare, cst.IfExp: self._ifexp, cst.Lambda: self._lambda,
            cst.ListComp: self._comp("list"), cst.SetComp: self._comp("set"),
            cst.GeneratorExp: self._comp("gen"), cst.DictComp: self._comp("dict"),
            cst.NamedExpr: self._named, cst.Yield: self._yield, cst.Ellipsis: lambda n: ir.Const(None),
            cst.StarredElement: lambda n: ir.Starred(self.expr(n.value)),
        }

    # -- sites ------------------------------------------------------------------------
    def site(self, node: cst.CSTNode, stmt: bool = False) -> int:
        key = id(node)
        existing = self.wanted.get(key)
        if existing is not None:
            return existing
        index = len(self.nodes)
        self.wanted[key] = index
        self.nodes.append(node)
        self.stmt_of.append(index if stmt or self.current_stmt < 0 else self.current_stmt)
        return index

    # -- expressions ------------------------------------------------------------------
    def expr(self, node: cst.CSTNode) -> ir.Expr:
        handler = self._expr.get(type(node))
        if handler is None:
            return ir.Opaque(tuple(self.expr(c) for c in node.children
                                   if isinstance(c, cst.BaseExpression)), self.site(node))
        return handler(node)

    def _name(self, node: cst.Name) -> ir.Expr:
        value = node.value
        if value == "True":
            return ir.Const(True)
        if value == "False":
            return ir.Const(False)
        if value == "None":
            return ir.Const(None)
        return ir.Name(value)

    def _attribute(self, node: cst.Attribute) -> ir.Expr:
        return ir.Attr(self.expr(node.value), node.attr.value, self.site(node))

    def _subscript(self, node: cst.Subscript) -> ir.Expr:
        base = self.expr(node.value)
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index = self.expr(node.slice[0].slice.value)
        else:
            deps: list[ir.Expr] = []
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    deps.append(self.expr(element.slice.value))
            index = ir.Opaque(tuple(deps), self.site(node.slice[0]) if node.slice else -1)
        return ir.Sub(base, index, self.site(node))

    def _call(self, node: cst.Call) -> ir.Expr:
        args: list[ir.Expr] = []
        star: list[ir.Expr] = []
        kwargs: list[tuple[str | None, ir.Expr]] = []
        for arg in node.args:
            value = self.expr(arg.value)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            elif arg.star == "**":
                kwargs.append((None, value))
            elif arg.star == "*":
                star.append(value)
            else:
                args.append(value)
        return ir.Call(self.expr(node.func), tuple(args), tuple(kwargs), self.site(node), tuple(star))

    def _simple_string(self, node: cst.SimpleString) -> ir.Expr:
        plain = plain_string_value(node.value)
        if plain is not None:
            return ir.Const(plain)
        try:
            return ir.Const(node.evaluated_value)
        except Exception:  # noqa: BLE001 - malformed escapes still parse in LibCST
            return ir.Const(None)

    def _concat(self, node: cst.ConcatenatedString) -> ir.Expr:
        parts: list[ir.Expr] = []
        for side in (node.left, node.right):
            lowered = self.expr(side)
            parts.extend(lowered.parts if isinstance(lowered, ir.FStr) else (lowered,))
        return ir.FStr(tuple(parts))

    def _fstring(self, node: cst.FormattedString) -> ir.Expr:
        parts: list[ir.Expr] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(ir.Const(part.value))
            elif isinstance(part, cst.FormattedStringExpression):
                parts.append(self.expr(part.expression))
        return ir.FStr(tuple(parts))

    def _number(self, node: cst.Integer | cst.Float) -> ir.Expr:
        try:
            return ir.Const(node.evaluated_value)
        except Exception:  # noqa: BLE001
            return ir.Const(None)

    def _dict(self, node: cst.Dict) -> ir.Expr:
        items: list[tuple[ir.Expr | None, ir.Expr]] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                items.append((self.expr(element.key), self.expr(element.value)))
            else:
                items.append((None, self.expr(element.value)))
        return ir.DictE(tuple(items), self.site(node))

    def _seq(self, kind: str) -> Callable[[Any], ir.Expr]:
        def lower(node: Any) -> ir.Expr:
            elts = tuple(
                ir.Starred(self.expr(e.value)) if isinstance(e, cst.StarredElement) else self.expr(e.value)
                for e in node.elements
            )
            return ir.SeqE(kind, elts, self.site(node))
        return lower

    def _binop(self, node: cst.BinaryOperation) -> ir.Expr:
        op = _BINOPS.get(type(node.operator).__name__, "?")
        left, right = self.expr(node.left), self.expr(node.right)
        return ir.BinOp(op, left, right, self.site(node))

    def _unop(self, node: cst.UnaryOperation) -> ir.Expr:
        return ir.UnaryOp(_UNOPS.get(type(node.operator).__name__, "?"), self.expr(node.expression))

    def _boolop(self, node: cst.BooleanOperation) -> ir.Expr:
        op = "and" if isinstance(node.operator, cst.And) else "or"
        return ir.BoolOp(op, self.expr(node.left), self.expr(node.right))

    def _compare(self, node: cst.Comparison) -> ir.Expr:
        ops = tuple(_CMPOPS.get(type(t.operator).__name__, "?") for t in node.comparisons)
        return ir.Compare(self.expr(node.left), ops, tuple(self.expr(t.comparator) for t in node.comparisons))

    def _ifexp(self, node: cst.IfExp) -> ir.Expr:
        return ir.IfExp(self.expr(node.test), self.expr(node.body), self.expr(node.orelse))

    def _lambda(self, node: cst.Lambda) -> ir.Expr:
        names = tuple(p.name.value for p in node.params.params)
        return ir.Lambda(names, self.expr(node.body), self.site(node))

    def _comp(self, kind: str) -> Callable[[Any], ir.Expr]:
        def lower(node: Any) -> ir.Expr:
            gens: list[tuple[ir.Expr, ir.Expr, tuple[ir.Expr, ...]]] = []
            comp_for = node.for_in
            while comp_for is not None:
                gens.append((self.target(comp_for.target, bind=False), self.expr(comp_for.iter),
                             tuple(self.expr(c.test) for c in comp_for.ifs)))
                comp_for = comp_for.inner_for_in
            if kind == "dict":
                return ir.Comp(kind, self.expr(node.key), self.expr(node.value), tuple(gens), self.site(node))
            return ir.Comp(kind, self.expr(node.elt), None, tuple(gens), self.site(node))
        return lower

    def _named(self, node: cst.NamedExpr) -> ir.Expr:
        target = node.target.value if isinstance(node.target, cst.Name) else "_"
        self._bind(target)
        return ir.NamedExpr(target, self.expr(node.value))

    def _yield(self, node: cst.Yield) -> ir.Expr:
        if self.yields:
            self.yields[-1] = True
        value = node.value
        if isinstance(value, cst.From):
            return ir.Opaque((self.expr(value.item),), self.site(node))
        return ir.Opaque((self.expr(value),) if value is not None else (), self.site(node))

    # -- targets ----------------------------------------------------------------------
    def _bind(self, name: str) -> None:
        if self.assigned:
            self.assigned[-1].add(name)

    def target(self, node: cst.CSTNode, bind: bool = True) -> ir.Expr:
        if isinstance(node, cst.Name):
            if bind:
                self._bind(node.value)
            return ir.Name(node.value)
        if isinstance(node, (cst.Tuple, cst.List)):
            return ir.SeqE("tuple", tuple(self.target(e.value, bind) if not isinstance(e, cst.StarredElement)
                                          else ir.Starred(self.target(e.value, bind))
                                          for e in node.elements), self.site(node))
        if isinstance(node, cst.StarredElement):
            return ir.Starred(self.target(node.value, bind))
        return self.expr(node)

    # -- statements -------------------------------------------------------------------
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
        kind = type(node)
        saved = self.current_stmt
        try:
            if kind is cst.If:
                out.append(self._if(node))
            elif kind is cst.For:
                self.current_stmt = -1
                site = self.site(node.iter, stmt=True)
                self.current_stmt = site
                iterable = self.expr(node.iter)
                target = self.target(node.target)
                self.current_stmt = saved
                orelse = self.block(node.orelse.body) if node.orelse else ()
                out.append(ir.Loop(target, iterable, self.block(node.body), orelse, site))
            elif kind is cst.While:
                self.current_stmt = -1
                site = self.site(node.test, stmt=True)
                self.current_stmt = site
                test = self.expr(node.test)
                self.current_stmt = saved
                orelse = self.block(node.orelse.body) if node.orelse else ()
                out.append(ir.Loop(None, test, self.block(node.body), orelse, site, is_while=True))
            elif kind in (cst.Try, cst.TryStar):
                out.append(self._try(node))
            elif kind is cst.With:
                items: list[tuple[ir.Expr, ir.Expr | None]] = []
                first = -1
                for item in node.items:
                    self.current_stmt = -1
                    site = self.site(item.item, stmt=True)
                    first = site if first < 0 else first
                    self.current_stmt = site
                    ctx = self.expr(item.item)
                    target = self.target(item.asname.name) if item.asname else None
                    items.append((ctx, target))
                self.current_stmt = saved
                out.append(ir.With(tuple(items), self.block(node.body), node.asynchronous is not None, first))
            elif kind is cst.FunctionDef:
                out.append(self.function(node))
            elif kind is cst.ClassDef:
                out.append(self.klass(node))
            elif kind is cst.Match:
                out.append(self._match(node))
        finally:
            self.current_stmt = saved

    def _if(self, node: cst.If) -> ir.Stmt:
        saved = self.current_stmt
        self.current_stmt = -1
        site = self.site(node.test, stmt=True)
        self.current_stmt = site
        test = self.expr(node.test)
        self.current_stmt = saved
        body = self.block(node.body)
        orelse: tuple[ir.Stmt, ...] = ()
        if isinstance(node.orelse, cst.If):
            orelse = (self._if(node.orelse),)
        elif isinstance(node.orelse, cst.Else):
            orelse = self.block(node.orelse.body)
        return ir.If(test, body, orelse, site)

    def _match(self, node: cst.Match) -> ir.Stmt:
        saved = self.current_stmt
        self.current_stmt = -1
        site = self.site(node.subject, stmt=True)
        self.current_stmt = site
        subject = self.expr(node.subject)
        self.current_stmt = saved
        result: tuple[ir.Stmt, ...] = ()
        for case in reversed(node.cases):
            test = ir.Opaque((subject,), site)
            result = (ir.If(test, self.block(case.body), result, site),)
        return result[0] if result else ir.ExprStmt(subject, site)

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
        kind = type(node)
        saved = self.current_stmt
        self.current_stmt = -1
        site = self.site(node, stmt=True)
        self.current_stmt = site
        try:
            if kind is cst.Assign:
                value = self.expr(node.value)
                targets = tuple(self.target(t.target) for t in node.targets)
                out.append(ir.Assign(targets, value, site))
            elif kind is cst.AnnAssign:
                if node.value is not None:
                    value = self.expr(node.value)
                    out.append(ir.Assign((self.target(node.target),), value, site))
                elif isinstance(node.target, cst.Name):
                    self._bind(node.target.value)
            elif kind is cst.AugAssign:
                value = self.expr(node.value)
                op = _AUGOPS.get(type(node.operator).__name__, "?")
                out.append(ir.AugAssign(self.target(node.target), op, value, site))
            elif kind is cst.Expr:
                out.append(ir.ExprStmt(self.expr(node.value), site))
            elif kind is cst.Return:
                out.append(ir.Return(self.expr(node.value) if node.value is not None else None, site))
            elif kind is cst.Raise:
                out.append(ir.Raise(self.expr(node.exc) if node.exc is not None else None, site))
            elif kind is cst.Break:
                out.append(ir.Jump("break"))
            elif kind is cst.Continue:
                out.append(ir.Jump("continue"))
            elif kind in (cst.Global, cst.Nonlocal):
                names = tuple(n.name.value for n in node.names)
                if self.declared:
                    self.declared[-1].update(names)
                out.append(ir.Declare("global" if kind is cst.Global else "nonlocal", names))
            elif kind is cst.Import:
                for alias in node.names:
                    dotted = _dotted(alias.name)
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        bound = alias.asname.name.value
                        out.append(ir.Assign((ir.Name(bound),), ir.ImportE(dotted, None, 0), site))
                    else:
                        bound = dotted.split(".")[0]
                        out.append(ir.Assign((ir.Name(bound),), ir.ImportE(bound, None, 0), site))
                    self._bind(bound)
            elif kind is cst.ImportFrom:
                module = _dotted(node.module) if node.module is not None else ""
                level = len(node.relative)
                if isinstance(node.names, cst.ImportStar):
                    return
                for alias in node.names:
                    name = _dotted(alias.name)
                    bound = (alias.asname.name.value
                             if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name)
                    self._bind(bound)
                    out.append(ir.Assign((ir.Name(bound),), ir.ImportE(module, name, level), site))
            elif kind is cst.Del:
                pass
            elif kind is cst.Assert:
                out.append(ir.ExprStmt(self.expr(node.test), site))
        finally:
            self.current_stmt = saved

    # -- definitions ------------------------------------------------------------------
    def _params(self, params: cst.Parameters) -> tuple[ir.Param, ...]:
        out: list[ir.Param] = []

        def add(param: cst.Param, kind: str) -> None:
            annotation = self._annotation(param.annotation.annotation) if param.annotation else None
            default = self.expr(param.default) if param.default is not None else None
            out.append(ir.Param(param.name.value, annotation, default, kind))

        for param in (*params.posonly_params, *params.params):
            add(param, "pos")
        if isinstance(params.star_arg, cst.Param):
            add(params.star_arg, "vararg")
        for param in params.kwonly_params:
            add(param, "kwonly")
        if isinstance(params.star_kwarg, cst.Param):
            add(params.star_kwarg, "kwarg")
        return tuple(out)

    def _annotation(self, node: cst.BaseExpression) -> ir.Expr:
        if isinstance(node, cst.SimpleString):
            try:
                text = node.evaluated_value
                if isinstance(text, str):
                    return self.expr(cst.parse_expression(text))
            except Exception:  # noqa: BLE001 - an unparsable string annotation means nothing
                return ir.Const(None)
        return self.expr(node)

    def function(self, node: cst.FunctionDef) -> ir.Stmt:
        name = node.name.value
        self._bind(name)
        site = self.site(node, stmt=True)
        qualname = ".".join((*self.scope, name))
        decorators = tuple(self.expr(d.decorator) for d in node.decorators)
        class_qualname = self.class_stack[-1] if self.class_stack else None
        parent = self.func_stack[-1] if self.func_stack else None
        self.scope.append(name)
        self.func_stack.append(qualname)
        self.class_stack.append(None)
        self.assigned.append(set())
        self.declared.append(set())
        self.yields.append(False)
        saved = self.current_stmt
        self.current_stmt = -1
        try:
            params = self._params(node.params)
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
            local_names, frozenset(declared), class_qualname, parent, is_generator,
        ))
        return ir.DefStmt(name, qualname, False, site)

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
            body = self.block(node.body)
        finally:
            self.current_stmt = saved
            self.scope.pop()
            self.class_stack.pop()
            self.assigned.pop()
            self.declared.pop()
        methods = tuple((s.name, s.qualname) for s in body if isinstance(s, ir.DefStmt) and not s.is_class)
        self.classes.append(ir.Class(qualname, name, bases, body, decorators, site, methods))
        return ir.DefStmt(name, qualname, True, site)


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _syntax_error(path: str, message: str, line: int = 1, column: int = 1) -> ir.FileSummary:
    span = ir.Span(max(line, 1), max(column, 1), max(line, 1), max(column, 1) + 1)
    return ir.FileSummary(path, module_name(path), (), (), (), (), (), (), 0, message, span)


def summarize(path: str, source: bytes,
              keeper: Callable[[cst.Module, dict[int, int], int], bool] | None = None) -> ir.FileSummary:
    """Parse ``source`` once and lower it. Never raises for bad input: a file CPython
    cannot compile becomes a summary with ``error`` set (DYN000); one that compiles but
    cannot be analysed, a summary with ``problem`` set.

    CPython's compiler decides what is a syntax error (it costs under a tenth of LibCST's
    parse): LibCST accepts some programs CPython rejects (``return`` outside a function,
    bad escapes), and its native parser overflows its stack on nesting CPython refuses."""
    rejected = _cpython_error(path, source)
    if rejected is not None:
        return rejected
    try:
        module = parse(source)
    except (UnicodeDecodeError, LookupError) as exc:
        # CPython 3.11 skips comments undecoded; the source is still not valid UTF-8 (PEP 3120)
        return _syntax_error(path, f"cannot decode: {exc}", *_decode_position(source, exc))
    except Exception as exc:  # noqa: BLE001 - the parser can fail in ways it does not document
        reason = exc.message if isinstance(exc, cst.ParserSyntaxError) else f"{type(exc).__name__}: {exc}"
        return _problem(path, f"LibCST cannot parse this file ({reason}); it was not analysed")
    try:
        return lower(path, module, source, keeper)
    except RecursionError:
        return _problem(path, "too deeply nested to analyse (RecursionError); it was not analysed")


def _cpython_error(path: str, source: bytes) -> ir.FileSummary | None:
    """DYN000 with CPython's own message and position, if CPython cannot compile ``source``.
    (Compiling runs nothing.)"""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are the project's business, not ours
            compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _syntax_error(path, f"cannot parse: {exc.msg}", exc.lineno or 1, exc.offset or 1)
    except (MemoryError, RecursionError):
        return _syntax_error(path, "cannot parse: too deeply nested for CPython's parser")
    except (ValueError, UnicodeDecodeError, LookupError) as exc:
        return _syntax_error(path, f"cannot parse: {exc}", *_decode_position(source, exc))
    return None


def _decode_position(source: bytes, exc: Exception) -> tuple[int, int]:
    """Where a NUL byte or undecodable bytes are (CPython does not say), else 1:1."""
    if b"\0" in source and "null" in str(exc):
        at = source.index(b"\0")
    else:
        try:
            source.decode("utf-8")
            return 1, 1
        except UnicodeDecodeError as bad:
            at = bad.start
    line = source.count(b"\n", 0, at) + 1
    start = source.rfind(b"\n", 0, at) + 1
    return line, len(source[start:at].decode("utf-8", "replace")) + 1


def _problem(path: str, reason: str) -> ir.FileSummary:
    return ir.FileSummary(path, module_name(path), (), (), (), (), (), (), 0, problem=reason)


def lower(path: str, module: cst.Module, source: bytes = b"",
          keeper: Callable[[cst.Module, dict[int, int], int], bool] | None = None) -> ir.FileSummary:
    """The summary of a parsed module. Its positions cost a code generation pass over the
    whole module: when ``keeper`` keeps the module (with the sites it asks positions for),
    they are left out (``deferred``) and computed later by :func:`site_spans`."""
    lowerer = _Lowerer()
    lowerer.assigned.append(set())
    lowerer.declared.append(set())
    body = lowerer.block(module.body)
    code = source.decode(module.encoding, "replace") if source else module.code
    deferred = keeper is not None and keeper(module, lowerer.wanted, len(lowerer.nodes))
    spans = () if deferred else site_spans(module, lowerer.wanted, len(lowerer.nodes))
    suppressions = suppressions_in(code) if _MENTIONS_SUPPRESSION.search(source) else ()
    return ir.FileSummary(
        path, module_name(path), body, tuple(lowerer.functions), tuple(lowerer.classes),
        spans, tuple(lowerer.stmt_of), suppressions, len(line_starts(code)), deferred=deferred,
    )


def site_spans(module: cst.Module, wanted: dict[int, int], count: int) -> tuple[ir.Span, ...]:
    """The spans of the ``count`` sites of a lowered module (``wanted``: id of node -> site),
    from one code generation pass that records offsets for those nodes only."""
    state = SiteCodegen(module.default_indent, module.default_newline, wanted)
    generate(module, state)
    return site_spans_of(state, count)


def iter_functions(summary: ir.FileSummary) -> Iterator[ir.Function]:
    yield from summary.functions
