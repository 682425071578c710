"""The expressions of the intermediate representation (``dynolint.phase1.ir`` re-exports
them with the statements and the file summary): small dataclasses that hash by value and
carry a *site* where they may be reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# ---------------------------------------------------------------------------------------
# Expressions


@dataclass(slots=True, unsafe_hash=True)
class Name:
    id: str


@dataclass(slots=True, unsafe_hash=True)
class Const:
    value: str | int | float | bool | bytes | SliceFrom | None


@dataclass(frozen=True, slots=True)
class SliceFrom:
    """The index of ``s[start:]`` (a constant start, no stop or step): what follows the first
    ``start`` characters of a string, as ``removeprefix`` gives it (model/key_parts.py)."""

    start: int


@dataclass(slots=True, unsafe_hash=True)
class Attr:
    value: Expr
    attr: str
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Sub:
    value: Expr
    index: Expr
    site: int
    is_slice: bool = False  # ``x[a:b]``, ``x[::2]``


@dataclass(slots=True, unsafe_hash=True)
class Call:
    func: Expr
    args: tuple[Expr, ...]
    # (keyword, value); keyword None means ``**value``
    kwargs: tuple[tuple[str | None, Expr], ...]
    site: int
    star_args: tuple[Expr, ...] = ()
    star_at: tuple[int, ...] = ()  # for each star, how many of ``args`` come before it (``f(*rest, b)``: 0)
    # a statement of its own (``conflict("busy")``, ``await notify(...)``): its value is unused
    # (a project function called so that it raises ends the caller's path: model/raising.py)
    discarded: bool = False


@dataclass(slots=True, unsafe_hash=True)
class DictE:
    # key None means ``**value``
    items: tuple[tuple[Expr | None, Expr], ...]
    site: int


@dataclass(slots=True, unsafe_hash=True)
class SeqE:
    kind: str  # "list" | "tuple" | "set"
    elts: tuple[Expr, ...]
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Starred:
    value: Expr


@dataclass(slots=True, unsafe_hash=True)
class FStr:
    parts: tuple[Expr, ...]


@dataclass(slots=True, unsafe_hash=True)
class Formatted:
    """A field of an f-string with a conversion or a format spec (``{n:06d}``, ``{s!r}``): its
    text is not the value's own, so the field keeps them (a plain ``{n}`` is the value itself).
    ``spec`` is a Const, or an FStr where nested fields compute it (``{n:{width}}``)."""

    value: Expr
    conversion: str  # "r", "s", "a" or ""
    spec: Expr


@dataclass(slots=True, unsafe_hash=True)
class BinOp:
    op: str
    left: Expr
    right: Expr
    site: int


@dataclass(slots=True, unsafe_hash=True)
class UnaryOp:
    op: str  # "not" | "-" | "+" | "~"
    operand: Expr


@dataclass(slots=True, unsafe_hash=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Expr
    right: Expr


@dataclass(slots=True, unsafe_hash=True)
class Compare:
    left: Expr
    ops: tuple[str, ...]  # "==", "!=", "<", "is", "is not", "in", "not in", ...
    comparators: tuple[Expr, ...]


@dataclass(slots=True, unsafe_hash=True)
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr
    site: int = -1


@dataclass(slots=True, unsafe_hash=True)
class Comp:
    kind: str  # "list" | "set" | "gen" | "dict"
    elt: Expr
    value: Expr | None  # dict comprehension value
    generators: tuple[tuple[Target, Expr, tuple[Expr, ...]], ...]
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Param:
    """A parameter of a function or a lambda (``annotation``: a function's only)."""

    name: str
    annotation: Expr | None
    default: Expr | None
    kind: str  # "pos" | "kwonly" | "vararg" | "kwarg"


@dataclass(slots=True, unsafe_hash=True)
class Lambda:
    params: tuple[Param, ...]
    body: Expr
    site: int


@dataclass(slots=True, unsafe_hash=True)
class NamedExpr:
    target: str
    value: Expr
    site: int  # (an assignment: where a store into module state is reported)


@dataclass(slots=True, unsafe_hash=True)
class ImportE:
    """``import module`` (name None) or ``from module import name`` (level = leading dots)."""

    module: str
    name: str | None
    level: int


@dataclass(slots=True, unsafe_hash=True)
class Yield:
    """``yield value`` (``yield from value`` when ``is_from``): what a generator hands the
    loop that iterates it."""

    value: Expr | None
    is_from: bool
    site: int


@dataclass(slots=True, unsafe_hash=True)
class Opaque:
    """A computation the model does not look into; its value depends on ``deps``."""

    deps: tuple[Expr, ...]
    site: int


Expr = Union[
    Name, Const, Attr, Sub, Call, DictE, SeqE, Starred, FStr, Formatted, BinOp, UnaryOp, BoolOp,
    Compare, IfExp, Comp, Lambda, NamedExpr, ImportE, Yield, Opaque,
]
Target = Expr  # Name | Attr | Sub | SeqE | Starred

def pickle_as_fields(cls: type) -> None:
    """Pickle ``cls`` as ``(cls, field values)``. The ``__getstate__`` that dataclasses give
    slotted classes calls ``fields()`` for every object and ``__setstate__`` sets each field
    through ``object.__setattr__``: pickling a dense project's summaries across processes
    (and into the cache) took twice as long as with this."""
    from dataclasses import fields
    from operator import attrgetter

    names = [f.name for f in fields(cls)]
    if len(names) == 1:
        getter = attrgetter(names[0])
        setattr(cls, "__reduce__", lambda self: (cls, (getter(self),)))
    else:
        values = attrgetter(*names)
        setattr(cls, "__reduce__", lambda self: (cls, values(self)))


for _cls in list(globals().values()):
    if isinstance(_cls, type) and _cls.__module__ == __name__ and hasattr(_cls, "__dataclass_fields__"):
        pickle_as_fields(_cls)
del _cls


def as_filter(comp: Comp) -> Comp:
    """``any(test for x in xs)`` as the list it is true with, ``[True for x in xs if test]``: the
    test filters the elements (a listing searched by key, ``any(r["sk"] == day for r in rows)``,
    reads that row as a comprehension's filter does)."""
    *outer, (target, iterable, conditions) = comp.generators
    return Comp("list", Const(True), None, (*outer, (target, iterable, (*conditions, comp.elt))), comp.site)



def filter_as_comp(call: Call) -> Comp | None:
    """``filter(pred, xs)`` as the generator it is, ``(x for x in xs if pred(x))``, and
    ``filter(lambda x: test, xs)`` as ``(x for x in xs if test)``: the predicate decides on
    each element kept, as a comprehension's filter does (a listing's items deleted after a
    test of their attributes). None for any other shape (``filter(None, xs)``, a spread)."""
    if len(call.args) != 2 or call.kwargs or call.star_args or type(call.args[0]) is Const:
        return None
    pred, iterable = call.args
    if type(pred) is Lambda:
        if len(pred.params) != 1 or pred.params[0].kind != "pos":
            return None
        element = Name(pred.params[0].name)
        return Comp("gen", element, None, ((element, iterable, (pred.body,)),), call.site)
    element = Name("<filtered>")  # no Python name: it cannot meet the code's own
    return Comp("gen", element, None, ((element, iterable, (Call(pred, (element,), (), call.site),)),), call.site)


def pairs_as_dict_comp(call: Call) -> Comp | None:
    """``dict((k.lower(), v) for k, v in headers.items())`` as the dict comprehension it is,
    ``{k.lower(): v for k, v in headers.items()}``. None for any other shape."""
    if len(call.args) != 1 or call.kwargs or call.star_args:
        return None
    comp = call.args[0]
    if type(comp) is not Comp or comp.kind not in ("gen", "list") or type(comp.elt) is not SeqE \
            or len(comp.elt.elts) != 2:
        return None
    key, value = comp.elt.elts
    return Comp("dict", key, value, comp.generators, comp.site)

