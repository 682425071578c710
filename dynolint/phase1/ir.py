"""The per-file intermediate representation that phase 1 produces and phase 2 interprets.

A :class:`FileSummary` is a lowered, position-free copy of one module: its functions,
classes and module body as small dataclasses. Every node that may be reported or
related carries a *site* (an index into ``FileSummary.spans``), so that the summary is
picklable, cacheable by content hash and cheap to send across processes.

The nodes (like the abstract values of phase 2) are never changed once made, but are not
declared ``frozen``: a frozen dataclass sets each field through ``object.__setattr__`` and
is built three times slower, and a dense project makes millions of them. They hash by
value (``unsafe_hash``), as frozen ones would.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from functools import lru_cache
from typing import Iterator, Union

from dynolint.phase1.ir_expr import (  # re-exported: ir.Name, ir.Call and the rest
    Name as Name, Const as Const, Attr as Attr, Sub as Sub, Call as Call, DictE as DictE, SeqE as SeqE,
    Starred as Starred, FStr as FStr, Formatted as Formatted, BinOp as BinOp, UnaryOp as UnaryOp, BoolOp as BoolOp,
    Compare as Compare, IfExp as IfExp, Comp as Comp, Lambda as Lambda, Param as Param, NamedExpr as NamedExpr,
    ImportE as ImportE, Yield as Yield, Opaque as Opaque, Expr as Expr, Target as Target, SliceFrom as SliceFrom,
    pickle_as_fields as pickle_as_fields, as_filter as as_filter, filter_as_comp as filter_as_comp,
    pairs_as_dict_comp as pairs_as_dict_comp,
)

# ---------------------------------------------------------------------------------------
# Statements


def quiet_tail(body: tuple[Stmt, ...]) -> int:
    """Where the statements at the end of ``body`` that cannot raise begin (a name given a
    constant: ``won = True``): an exception leaves the block before them (len: none)."""
    index = len(body)
    while index:
        last = body[index - 1]
        if not (isinstance(last, Assign) and type(last.value) is Const
                and all(type(target) is Name for target in last.targets)):
            break
        index -= 1
    return index


@dataclass(slots=True, unsafe_hash=True)
class Assign:
    targets: tuple[Target, ...]
    value: Expr
    site: int


@dataclass(slots=True, unsafe_hash=True)
class AugAssign:
    target: Target
    op: str
    value: Expr
    site: int


@dataclass(slots=True, unsafe_hash=True)
class ExprStmt:
    value: Expr
    site: int


@dataclass(slots=True, unsafe_hash=True)
class If:
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Loop:
    target: Target | None  # None for while loops
    iter: Expr  # the iterable, or the while test
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    site: int
    is_while: bool = False


@dataclass(slots=True, unsafe_hash=True)
class Handler:
    type: Expr | None
    name: str | None
    body: tuple[Stmt, ...]


@dataclass(slots=True, unsafe_hash=True)
class Try:
    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...]
    orelse: tuple[Stmt, ...]
    finalbody: tuple[Stmt, ...]
    site: int


@dataclass(slots=True, unsafe_hash=True)
class With:
    items: tuple[tuple[Expr, Target | None], ...]
    body: tuple[Stmt, ...]
    is_async: bool
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Return:
    value: Expr | None
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Raise:
    exc: Expr | None
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Jump:
    kind: str  # "break" | "continue"


@dataclass(slots=True, unsafe_hash=True)
class StarImport:
    """``from module import *``: the module's public names (its ``__all__``, else those not
    starting with ``_``) bound here."""

    module: str
    level: int


@dataclass(slots=True, unsafe_hash=True)
class Declare:
    kind: str  # "global" | "nonlocal"
    names: tuple[str, ...]


@dataclass(slots=True, unsafe_hash=True)
class Delete:
    """``del obj.attr``, where a property's deleter runs, or ``del obj[key]`` (an entry of process
    state removed: model/assign.py); a ``del`` of a name is dropped."""

    target: Attr | Sub
    site: int


@dataclass(slots=True, unsafe_hash=True)
class DefStmt:
    """Binds ``name`` to a function or class of this file (by qualified name); ``name.setter``: a property's setter."""

    name: str
    qualname: str
    is_class: bool
    site: int


Stmt = Union[Assign, AugAssign, ExprStmt, If, Loop, Try, With, Return, Raise, Jump, Declare, Delete, DefStmt,
             StarImport]

# ---------------------------------------------------------------------------------------
# Definitions


@dataclass(slots=True, unsafe_hash=True)
class Function:
    qualname: str
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    decorators: tuple[Expr, ...]
    is_async: bool
    site: int
    locals: frozenset[str]
    declared_global: frozenset[str]
    class_qualname: str | None  # the class it is a method of
    parent: str | None  # enclosing function, for closures
    is_generator: bool = False
    no_return: bool = False  # annotated ``-> NoReturn`` / ``-> Never``: a call to it ends the caller's path


@dataclass(slots=True, unsafe_hash=True)
class Class:
    qualname: str
    name: str
    bases: tuple[Expr, ...]
    body: tuple[Stmt, ...]
    decorators: tuple[Expr, ...]
    site: int
    methods: tuple[tuple[str, str], ...]  # (method name, function qualname)
    fields: tuple[str, ...] = ()  # names annotated in the class body, in order (dataclass fields)
    # the class a namedtuple-shaped call (``P = f("P", ["x", "y"])``) makes when ``f`` is
    # ``collections.namedtuple`` or ``typing.NamedTuple``; ``site`` is the call's: its fields
    # are its ``__init__`` parameters, as a dataclass's
    record: bool = False


@dataclass(slots=True, unsafe_hash=True)
class Span:
    line: int
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive


@dataclass(slots=True, unsafe_hash=True)
class Suppression:
    line: int
    codes: tuple[str, ...] | None  # None: every code
    reason: str
    style: str  # "dynolint" | "noqa"


@dataclass(slots=True, unsafe_hash=True)
class FileSummary:
    path: str  # posix path relative to the project root
    module: str  # dotted module name relative to the project root
    body: tuple[Stmt, ...]
    functions: tuple[Function, ...]
    classes: tuple[Class, ...]
    spans: tuple[Span, ...]
    # site -> site of the statement that holds it (for suppression and for reporting
    # DYN203/DYN302 on "the assignment")
    stmt_of: tuple[int, ...]
    suppressions: tuple[Suppression, ...]
    lines: int = 0
    error: str | None = None  # set when the file could not be parsed (DYN000)
    error_span: Span | None = None
    # set when the file parses but could not be analysed (timed out, crashed the parser): a
    # per-file error, not a finding
    problem: str | None = None
    # True while ``spans`` is still to be computed (by the worker that kept the parsed module,
    # during the interpretation: see dynolint.engine.pipeline.complete_positions)
    deferred: bool = False


SOURCE_DIRS = ("src",)  # a project's import root when its packages live in it (the src layout)


@lru_cache(maxsize=1 << 16)  # pure; the import scanners ask for the same paths again and again
def module_name(path: str) -> str:
    """The dotted module name of a posix path relative to the project root: ``a/b.py`` is
    ``a.b``, ``a/__init__.py`` is ``a``, and in a src layout ``src/a/b.py`` is ``a.b``
    (``src`` is where the imports start, not a package)."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if len(parts) > 1 and parts[0] in SOURCE_DIRS:
        parts = parts[1:]
    return ".".join(p for p in parts if p and p != ".")


def unparameterized(base: Expr) -> Expr:
    """A class's base as the class it names: ``Repository[Order]`` (a generic's parameters) is
    ``Repository``."""
    return base.value if isinstance(base, Sub) else base


def is_stub(function: Function) -> bool:
    """A method whose body is only a docstring, ``...`` or ``pass``."""
    return function.class_qualname is not None and all(
        isinstance(s, ExprStmt) and isinstance(s.value, Const) for s in function.body)


def last_name(expr: Expr) -> str | None:
    """The name an expression ends with: ``NotImplementedError`` of ``NotImplementedError("x")``,
    ``abstractmethod`` of ``abc.abstractmethod``; None for other expressions."""
    if isinstance(expr, Name):
        return expr.id
    if isinstance(expr, Attr):
        return expr.attr
    if isinstance(expr, Call):
        return last_name(expr.func)
    return None


def attribute_of(expr: Expr | None) -> bool:
    """Is ``expr`` an attribute of a name (``self.cache``, ``repo.pending``)?"""
    return isinstance(expr, Attr) and isinstance(expr.value, Name)


def walk(node: object, depth: int = 0) -> Iterator[object]:
    """Every IR node under ``node`` (tuples and dataclass fields), not into nested functions,
    in preorder; nothing deeper than 200 levels of nesting (tuples count as levels)."""
    stack: list[tuple[object, int]] = [(node, depth)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > 200:
            continue
        if isinstance(node, tuple):
            for item in reversed(node):
                push((item, depth + 1))
            continue
        names = _field_names(type(node))
        if names is None:
            continue
        yield node
        for name in reversed(names):
            push((getattr(node, name), depth + 1))


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of an IR node's class, None for what :func:`walk` does not enter (a value
    that is no dataclass, a nested function)."""
    try:
        return _FIELDS[cls]
    except KeyError:
        names = _FIELDS[cls] = (tuple(f.name for f in fields(cls))
                                if is_dataclass(cls) and not issubclass(cls, Function) else None)
        return names


def statements(body: tuple[Stmt, ...]) -> Iterator[Stmt]:
    """The statements of ``body`` and of the blocks nested in them (branches, loops,
    handlers, ``with``), not into nested functions or classes."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, Try):
            blocks = (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody)
        elif isinstance(stmt, (If, Loop)):
            blocks = (stmt.body, stmt.orelse)
        elif isinstance(stmt, With):
            blocks = (stmt.body,)
        else:
            continue
        for block in reversed(blocks):
            stack.extend(reversed(block))


for _cls in list(globals().values()):
    if isinstance(_cls, type) and _cls.__module__ == __name__ and hasattr(_cls, "__dataclass_fields__"):
        pickle_as_fields(_cls)
del _cls
