"""What a branch test says about the local names it tests, as Python's type checkers narrow:
under ``if x:``, ``if x is not None:``, ``if x and ...`` (the right operand included) or after
``if x is None: return``, the name no longer holds ``None`` (nor, for a truthiness test, a
falsy constant). A helper that returns ``None`` for a missing item and the item otherwise
gives its caller a value with both alternatives; without narrowing, the caller's test of the
item's attributes under ``if item:`` looks at ``None["status"]`` as well and decides nothing.

Only names are narrowed (not attributes or subscripts: another reference may change them)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from dynolint.phase1 import ir
from dynolint.model.conditions import is_condition
from dynolint.model.values import (
    ARITH_OPS, NONE, ArithV, BoundV, CallV, ClassV, ConstV, DictV, FreshV, FuncV, InstanceV, LambdaV, ModuleV, OneOf, PartialV,
    SeqV, StrV, Val, alts, one_of, parts,
)
from dynolint.model.values_aws import (
    BatchWriterV, ClientV, PaginatorV, PynActionV, PynInstanceV, PynModelV, ReadV, ResourceV, SessionV, TableV,
)

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

NOT_NONE = "not-none"
LITERAL_KINDS = frozenset({"list", "tuple"})  # sequences whose elements are the ones written
TRUTHY = "truthy"


def truthiness(machine: Machine, test: ir.Expr, state: State, frame: Frame) -> bool | None:
    """True or False when a branch condition can only go one way on this path, else None."""
    if isinstance(test, ir.UnaryOp) and test.op == "not":
        inner = truthiness(machine, test.operand, state, frame)
        return None if inner is None else not inner
    if isinstance(test, ir.Name) and not frame.loops and not frame.is_module and test.id in frame.locals:
        bound = state.env.get(test.id)  # a local holding one constant on this path (``ok = False``,
        if isinstance(bound, ConstV):  # what a generator's ``yield False`` gave ``with ... as ok``)
            return bool(bound.value)
        if _literal_argument(bound, test.id, frame):
            return True
    if isinstance(test, ir.Name) and not frame.loops and frame.closure is not None and test.id not in frame.locals \
            and test.id in frame.closure and test.id not in frame.nonlocals:
        # a free name of a nested function (``if adds:`` in the body ``update`` runs with
        # ``asyncio.run``): the enclosing function's constant, or the literal it was given
        bound = frame.closure[test.id]
        if isinstance(bound, ConstV):
            return bool(bound.value)
        enclosing = machine.project.functions.get((frame.path, frame.function.parent)) \
            if frame.function is not None and frame.function.parent else None
        if enclosing is not None and _literal_argument(bound, test.id, enclosing):
            return True
    if isinstance(test, (ir.Name, ir.Attr)):
        return True if machine.always_truthy(machine.peek(test, state, frame)) else None
    if isinstance(test, ir.BoolOp):  # ``a and b`` is false when either side is, ``a or b`` true when either is
        sides = [truthiness(machine, side, state, frame) for side in (test.left, test.right)]
        settles = test.op == "or"
        return settles if settles in sides else (not settles if sides == [not settles, not settles] else None)
    if (checked := instance_check(test)) is not None:
        return instance_truth(machine, machine.peek(checked[0], state, frame),
                              machine.peek(checked[1], state, frame))
    if (tested := none_test(test)) is not None:  # ``if condition is not None:``
        value = machine.peek(tested[0], state, frame)
        status = none_status(value)
        if status is None and frame.passed_values and value in used_in_arithmetic(frame.passed_values):
            status = False  # (asked only here: most calls test nothing for None)
        return None if status is None else status == tested[1]
    return None


def instance_check(test: ir.Expr) -> tuple[ir.Expr, ir.Expr] | None:
    """``isinstance(x, C)`` (also what a ``match`` class pattern tests, phase1/lower_match.py):
    (x, C); else None."""
    if isinstance(test, ir.Call) and isinstance(test.func, ir.Name) and test.func.id == "isinstance" \
            and len(test.args) == 2 and not test.kwargs and not test.star_args:
        return test.args[0], test.args[1]
    return None


def instance_truth(machine: Machine, value: Val, classes: Val) -> bool | None:
    """True when every alternative of ``value`` is an instance of a project class that has one
    of ``classes`` (a class, or a tuple of them) in its MRO; False when ``value`` is None; else
    None (an instance of another class may be of a subclass the model did not see made)."""
    wanted = {alt for alt in alts(classes) if isinstance(alt, ClassV)} | {
        elt for alt in alts(classes) if isinstance(alt, SeqV) for elt in alt.elts if isinstance(elt, ClassV)}
    if not wanted:
        return None
    from dynolint.model.mro import linearize

    def bases(cls: ClassV) -> list[ClassV]:
        return [parent for parent in machine.class_bases(cls) if isinstance(parent, ClassV)]

    found: set[bool | None] = set()
    for alt in alts(value):
        if alt == NONE:
            found.add(False)
        elif isinstance(alt, InstanceV):
            found.add(True if wanted & set(linearize(alt.cls, bases)) else None)
        else:
            found.add(None)
    return found.pop() if len(found) == 1 else None


def used_in_arithmetic(values: tuple[Val, ...], limit: int = 64) -> frozenset[Val]:
    """The values arithmetic in ``values`` was computed on (``{"version": version + 1}``):
    evaluated on this path, so none of them was None (Python raises a TypeError)."""
    found: set[Val] = set()
    for value in values:
        for part in parts(value, limit):
            if type(part) is ArithV and part.op in ARITH_OPS:
                found.update(side for side in (part.left, part.right) if type(side) is not ConstV)
    return frozenset(found)


def _literal_argument(bound: Val | None, name: str, frame: Frame | ir.Function) -> bool:
    """Is ``name`` a parameter (of the frame's function, or of ``function``) given a non-empty
    literal (``expect={"status": "HELD"}``)? Not a dict with parts the model does not know
    (what functions stored into a module's dict), nor a read's items or pages (one element
    stands for any number of them, none included)."""
    function = frame if isinstance(frame, ir.Function) else frame.function
    if function is None or not any(param.name == name for param in function.params):
        return False
    return type(bound) is DictV and bool(bound.items) and not bound.spreads \
        or type(bound) is SeqV and bound.kind in LITERAL_KINDS and bool(bound.elts)


def narrowings(test: ir.Expr, truth: bool) -> dict[str, str]:
    """The names ``test`` narrows when it evaluates to ``truth``: name -> NOT_NONE or TRUTHY."""
    found: dict[str, str] = {}
    _collect(test, truth, found)
    return found


def _collect(test: ir.Expr, truth: bool, found: dict[str, str]) -> None:
    if isinstance(test, ir.NamedExpr):  # ``if (item := load(k)):`` tests the name it binds
        test = ir.Name(test.target)
    elif isinstance(test, ir.Compare) and isinstance(test.left, ir.NamedExpr):  # ``(x := f()) is None``
        test = ir.Compare(ir.Name(test.left.target), test.ops, test.comparators)
    if isinstance(test, ir.Name):
        if truth:
            found[test.id] = TRUTHY
    elif isinstance(test, ir.UnaryOp) and test.op == "not":
        _collect(test.operand, not truth, found)
    elif isinstance(test, ir.BoolOp):
        if (test.op == "and") == truth:  # both sides hold (and: true), or both fail (or: false)
            _collect(test.left, truth, found)
            _collect(test.right, truth, found)
    elif (checked := instance_check(test)) is not None and isinstance(checked[0], ir.Name):
        if truth:
            found.setdefault(checked[0].id, NOT_NONE)
    elif isinstance(test, ir.Compare) and len(test.ops) == 1 and isinstance(test.left, ir.Name):
        right = test.comparators[0]
        if isinstance(right, ir.Const) and right.value is None and test.ops[0] in ("is", "is not"):
            if (test.ops[0] == "is not") == truth:
                found.setdefault(test.left.id, NOT_NONE)


# what is never None: what a literal, an operator, ``def``, ``class`` or a constructor makes,
# a client, resource, session or table, the response of a read (not the item it may hold)
_MADE = (DictV, SeqV, StrV, ArithV, FuncV, ClassV, InstanceV, BoundV, LambdaV, PartialV, ModuleV, FreshV,
         ReadV, TableV, ClientV, ResourceV, SessionV, BatchWriterV, PaginatorV, PynModelV, PynInstanceV, PynActionV)
# builtins that return a value of their type or raise: never None (``int(item.get("version", 0))``)
_NEVER_NONE_CALLS = frozenset({
    "int", "float", "str", "bool", "bytes", "len", "abs", "round", "sum", "min", "max", "sorted", "list", "tuple",
    "dict", "set", "frozenset", "repr", "format", "Decimal", "decimal.Decimal",
})


# methods that make an SDK object whatever they are called on (the receiver unknown: a session
# taken from a cache): they return the object or raise
SDK_FACTORIES = frozenset({"Table", "resource", "client", "Bucket", "Object", "Queue", "Topic"})
CAPPED_AT = 6  # values.one_of's default limit


def none_test(test: ir.Expr) -> tuple[ir.Expr, bool] | None:
    """``x is None`` / ``x == None`` (and ``None is x``): (x, True); ``is not`` / ``!=``:
    (x, False); else None."""
    if not isinstance(test, ir.Compare) or len(test.ops) != 1 or test.ops[0] not in ("is", "is not", "==", "!="):
        return None
    left, right = test.left, test.comparators[0]
    if isinstance(left, ir.Const) and left.value is None:
        left, right = right, left
    if not isinstance(right, ir.Const) or right.value is not None:
        return None
    return left, test.ops[0] in ("is", "==")


def none_status(value: Val) -> bool | None:
    """True when ``value`` is None, False when it cannot be (a constant other than None,
    anything :data:`_MADE` makes, a condition a builder made), else None (a parameter, an item
    a read may not have found, what an unknown call returned). Several alternatives decide
    nothing: they may be fewer than the paths had (capped, or a function's return values
    without the None of a path that falls off its end)."""
    if type(value) is OneOf:
        # alternatives all made (fewer than a cap keeps: none was dropped for them): never None
        made = len(value.alts) < CAPPED_AT and all(none_status(alt) is False for alt in value.alts)
        return False if made else None
    if value == NONE:
        return True
    if isinstance(value, _MADE) or type(value) is ConstV and value.value is not None or is_condition(value):
        return False
    if type(value) is CallV and value.recv is None and value.fn in _NEVER_NONE_CALLS:
        return False
    if type(value) is CallV and value.recv is not None and value.fn in SDK_FACTORIES:
        return False  # ``session.resource("dynamodb").Table(name)`` on a session the model does not know
    return None


def _falsy(value: Val, kind: str) -> bool:
    if value == NONE:
        return True
    return kind == TRUTHY and isinstance(value, ConstV) and not value.value


def narrowed(value: Val, kind: str) -> Val | None:
    """``value`` without the alternatives the test ruled out; None when nothing changes (or
    nothing would be left: the test cannot hold, which the interpreter does not decide here)."""
    if not isinstance(value, OneOf):
        return None
    kept = [alt for alt in alts(value) if not _falsy(alt, kind)]
    if len(kept) == len(alts(value)) or not kept:
        return None
    return one_of(kept)


def apply(env: dict[str, Val], names: dict[str, str]) -> dict[str, Val]:
    """Narrow ``env`` in place; return the previous values of the names it changed."""
    previous: dict[str, Val] = {}
    for name, kind in names.items():
        value = env.get(name)
        if value is None:
            continue
        new = narrowed(value, kind)
        if new is not None:
            previous[name] = value
            env[name] = new
    return previous


def undo(env: dict[str, Val], previous: dict[str, Val], applied: dict[str, Val]) -> None:
    """Put back the values ``apply`` replaced, where the name still holds what it put there."""
    for name, value in previous.items():
        if env.get(name) is applied.get(name):
            env[name] = value


@contextmanager
def assuming(env: dict[str, Val], test: ir.Expr, truth: bool) -> Iterator[None]:
    """Within the block, ``env``'s names as ``test`` evaluating to ``truth`` narrows them (the
    right operand of ``and``/``or``, the branches of a conditional expression)."""
    previous = apply(env, narrowings(test, truth))
    if not previous:
        yield
        return
    applied = {name: env[name] for name in previous}
    try:
        yield
    finally:
        undo(env, previous, applied)
