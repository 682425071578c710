"""Lowering, part one: expressions and assignment targets to the IR, and the sites of the
nodes that may be reported (see :mod:`dynolint.phase1.summarize`)."""

from __future__ import annotations

from typing import Any, Callable

import ast

import libcst as cst

from dynolint.phase1 import ir
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



class ExpressionLowerer:
    """The state of one module's lowering, its sites, and its expressions and assignment
    targets (the statements: :class:`dynolint.phase1.lower_stmt.Lowerer`)."""

    def __init__(self) -> None:
        self.wanted: dict[int, int] = {}
        self.nodes: list[cst.CSTNode] = []
        self.stmt_of: list[int] = []
        self.current_stmt = -1
        self.functions: list[ir.Function] = []
        self.classes: list[ir.Class] = []
        self.scope: list[str] = []  # qualname parts
        self.renamed: dict[int, str] = {}  # id(FunctionDef) -> its qualname part, when a later definition shadows it
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
        elif len(node.slice) == 1 and (start := _start_only(node.slice[0].slice)) is not None:
            return ir.Sub(base, ir.Const(ir.SliceFrom(start)), self.site(node), True)
        else:
            deps: list[ir.Expr] = []
            for element in node.slice:
                if isinstance(element.slice, cst.Index):
                    deps.append(self.expr(element.slice.value))
            index = ir.Opaque(tuple(deps), self.site(node.slice[0]) if node.slice else -1)
            sliced = len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice)
            return ir.Sub(base, index, self.site(node), sliced)
        return ir.Sub(base, index, self.site(node))

    def _call(self, node: cst.Call) -> ir.Expr:
        args: list[ir.Expr] = []
        star: list[ir.Expr] = []
        star_at: list[int] = []
        kwargs: list[tuple[str | None, ir.Expr]] = []
        for arg in node.args:
            value = self.expr(arg.value)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            elif arg.star == "**":
                kwargs.append((None, value))
            elif arg.star == "*":
                star.append(value)
                star_at.append(len(args))
            else:
                args.append(value)
        return ir.Call(self.expr(node.func), tuple(args), tuple(kwargs), self.site(node), tuple(star), tuple(star_at))

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
                parts.append(ir.Const(_fstring_text(part.value, node)))
            elif isinstance(part, cst.FormattedStringExpression):
                parts.extend(self._field(part, node))
        return ir.FStr(tuple(parts))

    def _field(self, part: cst.FormattedStringExpression, node: cst.FormattedString) -> list[ir.Expr]:
        """A field's text. A plain ``{x}`` is the value itself; a conversion or a format spec
        writes other text (``{n:#x}`` is never ``{n}``), kept in a Formatted. ``{x=}`` writes
        its own source first, then the value's repr unless a conversion or spec is given."""
        out: list[ir.Expr] = []
        conversion = part.conversion or ""
        if part.equal is not None:
            equal = part.equal
            out.append(ir.Const("".join((
                _whitespace(part.whitespace_before_expression), cst.Module([]).code_for_node(part.expression),
                _whitespace(equal.whitespace_before), "=", _whitespace(equal.whitespace_after),
                _whitespace(part.whitespace_after_expression)))))
            if not conversion and part.format_spec is None:
                conversion = "r"
        value = self.expr(part.expression)
        if not conversion and not part.format_spec:  # ``{x}`` and ``{x:}`` write str(x)
            out.append(value)
            return out
        spec: list[ir.Expr] = []
        for piece in part.format_spec or ():
            if isinstance(piece, cst.FormattedStringText):
                spec.append(ir.Const(_fstring_text(piece.value, node)))
            elif isinstance(piece, cst.FormattedStringExpression):
                spec.extend(self._field(piece, node))
        computed = any(not isinstance(piece, ir.Const) for piece in spec)
        text = "".join(str(piece.value) for piece in spec if isinstance(piece, ir.Const))
        out.append(ir.Formatted(value, conversion, ir.FStr(tuple(spec)) if computed else ir.Const(text)))
        return out

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
        return ir.IfExp(self.expr(node.test), self.expr(node.body), self.expr(node.orelse), self.site(node))

    def _lambda(self, node: cst.Lambda) -> ir.Expr:
        return ir.Lambda(self._params(node.params), self.expr(node.body), self.site(node))

    def _params(self, params: cst.Parameters) -> tuple[ir.Param, ...]:
        """The parameters of a ``def`` or a lambda, in Python's order of binding."""
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
        return ir.NamedExpr(target, self.expr(node.value), self.site(node))

    def _yield(self, node: cst.Yield) -> ir.Expr:
        if self.yields:
            self.yields[-1] = True
        value = node.value
        if isinstance(value, cst.From):
            return ir.Yield(self.expr(value.item), True, self.site(node))
        return ir.Yield(self.expr(value) if value is not None else None, False, self.site(node))

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


def _whitespace(node: cst.BaseParenthesizableWhitespace) -> str:
    return node.value if isinstance(node, cst.SimpleWhitespace) else ""


def _fstring_text(source: str, node: cst.FormattedString) -> str:
    """The text an f-string's literal part stands for: unless the string is raw, its escapes
    decoded (``f"FROM \\"orders\\""`` is ``FROM "orders"``), and doubled braces made single; the
    source itself where it does not decode alone (a part that ends next to a closing quote)."""
    text = source
    if "\\" in source and "r" not in node.prefix.lower():
        quote = node.start[len(node.prefix):]
        try:
            decoded = ast.literal_eval(quote + source + node.end)
        except (SyntaxError, ValueError):
            decoded = None
        if isinstance(decoded, str):
            text = decoded
    return text.replace("{{", "{").replace("}}", "}")


def no_return(annotation: cst.Annotation | None) -> bool:
    """``-> NoReturn``, ``-> typing.Never``, ``-> "NoReturn"``: the function never returns."""
    if annotation is None:
        return False
    node = annotation.annotation
    name = node.value.strip("\"'") if isinstance(node, cst.SimpleString) else \
        node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else ""
    return name.rsplit(".", 1)[-1] in ("NoReturn", "Never")


def _start_only(part: cst.BaseSlice) -> int | None:
    """``n`` of a slice ``[n:]`` (a small non-negative literal, no stop, no step)."""
    if isinstance(part, cst.Slice) and part.upper is None and part.step is None \
            and isinstance(part.lower, cst.Integer) and part.lower.value.isdigit() and len(part.lower.value) < 4:
        return int(part.lower.value)
    return None
