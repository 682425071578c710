"""Keep the decisions a path made on the item it read when its write becomes atomic.

An atomic ``ADD`` no longer reads the item, so a check the code made on the value read
(``if balance < amount: refuse``) would be lost: two concurrent spends both pass the check
on the old balance and overdraw it. Here each such check becomes part of the update's
``ConditionExpression`` (``#dl_balance >= :dl_balance``), the write is wrapped in
``try``/``except ConditionalCheckFailedException`` whose handler runs what the Python check
ran on refusal, and the name holding the new value is read back from the write
(``ReturnValues="UPDATED_NEW"``) instead of computed from the stale read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence, cast

import libcst as cst

from dynolint.model.ddb_operations import OPERATIONS

from dynolint.fixes.cstutil import (
    FixSkipped, and_condition, kwarg, literal_text, parse_expr, string, taken_placeholders, fresh,
    walk, with_attributes,
)
from dynolint.fixes.absent import allows_absence, unknown as absent_unknown
from dynolint.fixes.plans import AtomicPlan, Condition
from dynolint.fixes.reads import unsafe_read

DYNAMO_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}
_SIMPLE = (cst.Name, cst.Attribute, cst.Subscript, cst.SubscriptElement, cst.Index, cst.Integer, cst.Float,
           cst.SimpleString, cst.UnaryOperation, cst.BinaryOperation, cst.Minus, cst.Plus, cst.Add, cst.Subtract,
           cst.Multiply, cst.Dot, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
           cst.SimpleWhitespace, cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.Newline, cst.EmptyLine,
           cst.Comment)


@dataclass
class Kept:
    """What keeping the decisions adds to the call, and how the write's statement changes."""

    condition: str = ""
    names: list[tuple[str, cst.BaseExpression]] | None = None
    values: list[tuple[str, cst.BaseExpression]] | None = None
    block: cst.IndentedBlock | None = None  # the block whose statements change (None: only the call)
    change: Callable[[list[cst.BaseStatement]], list[cst.BaseStatement]] | None = None
    returns: bool = False  # ask the write for the new values
    unsafe: str | None = None  # why the fix may raise or refuse where the code did not (None: it keeps every outcome)


def placeholder(attribute: str) -> str:
    """An attribute name as it goes into a ``#dl_``/``:dl_`` placeholder."""
    return re.sub(r"\W", "_", attribute)


def leaves(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The comparisons and other tests of an ``if``, left to right (as the model numbers them)."""
    if isinstance(test, cst.BooleanOperation):
        return leaves(test.left) + leaves(test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return leaves(test.expression)
    return [test]


def _find_if(ifs: list[cst.If], positions: Any, condition: Condition) -> cst.If:
    candidates = [node for node in ifs if positions[node].start.line == condition.line
                  and positions[node].start.column + 1 < condition.column]
    if not candidates:
        raise FixSkipped(f"the test at line {condition.line} is no if statement (an assert): an atomic update "
                         "cannot route its refusal there, so there is no automatic fix")
    return max(candidates, key=lambda node: positions[node].start.column)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _assigned(scope: cst.CSTNode, positions: Any, first: int, last: int) -> set[str]:
    """Names (re)bound by the statements that start between lines ``first`` and ``last``."""
    bound: set[str] = set()
    for node in walk(scope):
        where = positions.get(node)
        if where is None or not first < where.start.line <= last:
            continue
        if isinstance(node, cst.SimpleStatementLine):
            for inner in walk(node):
                target = None
                if isinstance(inner, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
                    target = inner.target
                elif isinstance(inner, cst.Del):
                    target = inner.target
                if target is not None:
                    bound.update(n.value for n in walk(target) if isinstance(n, cst.Name))
        elif isinstance(node, (cst.For, cst.With)):
            targets = [node.target] if isinstance(node, cst.For) else \
                [item.asname.name for item in node.items if item.asname is not None]
            for target in targets:
                bound.update(n.value for n in walk(target) if isinstance(n, cst.Name))
    return bound


def _value(other: cst.BaseExpression, condition: Condition, low: bool) -> cst.BaseExpression:
    if not all(isinstance(node, _SIMPLE) for node in walk(other)):
        raise FixSkipped(f"the value compared with {condition.attribute!r} at line {condition.line} is computed "
                         "by a call or an expression that cannot be repeated in the write's condition")
    other = other.with_changes(lpar=[], rpar=[]) if hasattr(other, "lpar") else other
    if not low:
        return other
    if condition.type_tag == "N":
        return parse_expr(f'{{"N": str({_code(other)})}}')
    if condition.type_tag == "S":
        return parse_expr(f'{{"S": {_code(other)}}}')
    raise FixSkipped(f"the type of attribute {condition.attribute!r} on the low-level client is not known")


def _exits(suite: cst.BaseSuite) -> bool:
    body = list(suite.body)
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, (cst.Return, cst.Raise, cst.Continue, cst.Break))


# what a module's body holds: every statement (cst.BaseStatement) is one or the other
_ModuleBody = list[cst.SimpleStatementLine | cst.BaseCompoundStatement]


def _statements(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(suite, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(list(suite.body))]
    return list(suite.body)  # type: ignore[arg-type]


def keep(plan: AtomicPlan, call: cst.Call, scope: cst.CSTNode, positions: Any, ifs: list[cst.If],
         blocks: Sequence[cst.IndentedBlock], names_in_scope: set[str], decimal_name: str | None = None,
         rebind_to: tuple[str | None, str | None] | None = None, numbers: dict[str, float] | None = None) -> Kept:
    """How the write ``call`` keeps ``plan.conditions`` and reads its result back: into
    ``rebind_to`` (the variable to look for after the write, and what to assign), by
    default the variable the counter's value is written from."""
    kept = Kept(names=[], values=[])
    taken = taken_placeholders(call)
    if plan.put:  # the update the put becomes uses these
        taken |= {f"{sign}dl_{placeholder(a)}" for a in (*plan.sets, plan.attribute) for sign in "#:"}
    low = plan.flavor == "low"
    write_line = positions[call].start.line
    tests: set[int] = set()
    refusals: list[tuple[bool, cst.If]] = []
    branch = None
    the_if: cst.If | None = None
    parts: list[str] = []
    for condition in plan.conditions:
        node = _find_if(ifs, positions, condition)
        found = leaves(node.test)
        leaf = found[condition.part] if condition.part < len(found) else None
        if not isinstance(leaf, cst.Comparison) or len(leaf.comparisons) != 1:
            raise FixSkipped(f"the comparison at line {condition.line} is not where the analysis saw it")
        other = leaf.left if condition.swapped else leaf.comparisons[0].comparator
        kept.unsafe = kept.unsafe or unsafe_read(leaf.comparisons[0].comparator if condition.swapped else leaf.left,
                                                  condition, low)
        used = {n.value for n in walk(other) if isinstance(n, cst.Name)}
        rebound = used & _assigned(scope, positions, positions[node].start.line, write_line)
        if rebound:
            raise FixSkipped(f"{sorted(rebound)[0]!r}, compared at line {condition.line}, is assigned again before "
                             "the write: the condition would not compare what the code compared")
        name = fresh("#dl_" + placeholder(condition.attribute), taken)
        value = fresh(":dl_" + placeholder(condition.attribute), taken)
        kept.names.append((name, string(condition.attribute)))  # type: ignore[union-attr]
        kept.values.append((value, _value(other, condition, low)))  # type: ignore[union-attr]
        compared = f"{name} {DYNAMO_OPS[condition.op]} {value}"
        allowed = allows_absence(scope, condition.attribute, condition.op, other, numbers or {})
        if allowed:
            compared = f"(attribute_not_exists({name}) OR {compared})"  # as the default read lets it through
        elif allowed is None:
            kept.unsafe = kept.unsafe or absent_unknown(condition.attribute)
        parts.append(compared)
        if id(node) not in tests:
            tests.add(id(node))
            refusals.append((condition.branch, node))
        branch, the_if = condition.branch, node
    if len(refusals) > 1:
        # several tests refuse: one failed condition cannot tell which, unless they refuse alike
        bodies = {_code(cst.Module(cast(_ModuleBody, _statements(node.body)))) if not taken else None
                  for taken, node in refusals}
        if len(bodies) != 1 or None in bodies:
            raise FixSkipped("the code decides on the item in several tests that refuse differently: one failed "
                             "condition cannot tell which refusal to take; combine the tests or fix by hand")
        for _, node in refusals:
            if node.orelse is not None or not _exits(node.body):
                raise FixSkipped(f"the refusal at line {positions[node].start.line} does not end in return or "
                                 "raise: route the failed condition by hand")
        the_if = max((node for _, node in refusals), key=lambda node: positions[node].start.line)
    kept.condition = " AND ".join(parts)
    if parts and kwarg(call, "ConditionExpression") is not None:
        kept.unsafe = kept.unsafe or ("the write has a condition of its own: when that one fails, the fixed code "
                                      "takes the refusal branch instead of raising")
    _statement_change(kept, plan, call, scope, positions, blocks, the_if, branch, names_in_scope, decimal_name,
                      rebind_to)
    return kept


def decimal_in(module: cst.Module) -> str | None:
    """How the module names ``decimal.Decimal`` at top level (``Decimal``, ``decimal.Decimal``), if it does."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) \
                    and small.module.value == "decimal" and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    if alias.evaluated_name == "Decimal":
                        return alias.evaluated_alias or "Decimal"
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.evaluated_name == "decimal" and alias.asname is None:
                        return "decimal.Decimal"
    return None


def _held_in(value: cst.BaseExpression) -> str | None:
    """The variable an update value is written from: ``n``, ``{"N": str(n)}``, ``Decimal(n)``."""
    if isinstance(value, cst.Dict) and len(value.elements) == 1 and isinstance(value.elements[0], cst.DictElement):
        return _held_in(value.elements[0].value)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and len(value.args) == 1 \
            and value.func.value in ("str", "int", "Decimal", "float") and value.args[0].keyword is None:
        return _held_in(value.args[0].value)
    return value.value if isinstance(value, cst.Name) else None


def _unwrapped(value: cst.BaseExpression) -> cst.BaseExpression:
    """The number an update value writes, out of ``{"N": ...}`` and ``str()``/``Decimal()``."""
    if isinstance(value, cst.Dict) and len(value.elements) == 1 and isinstance(value.elements[0], cst.DictElement):
        return _unwrapped(value.elements[0].value)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and len(value.args) == 1 \
            and value.func.value in ("str", "int", "Decimal", "float") and value.args[0].keyword is None:
        return _unwrapped(value.args[0].value)
    return value


def _counter_of(value: cst.BaseExpression, plan: AtomicPlan) -> tuple[str | None, str]:
    """``balance - amount`` written: the counter's variable (``balance``), which code after
    the write still reads as the value it read (``return balance - amount``), and what makes
    the value read back from the write that value again (`` + (amount)``); (None, "") unless
    the delta is a plain expression (names, attributes, constants) evaluated again safely."""
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, (cst.Add, cst.Subtract)):
        return None, ""
    counter, delta = (value.left, value.right) if plan.delta_side == "right" else (value.right, value.left)
    if not isinstance(counter, cst.Name) or not all(
            isinstance(n, (cst.Name, cst.Attribute, cst.Integer, cst.Float, cst.Dot)) for n in walk(delta)):
        return None, ""
    back = " + " if isinstance(value.operator, cst.Subtract) else " - "
    return counter.value, f"{back}({_code(delta)})"


def _write_statement(block: cst.IndentedBlock, call: cst.Call) -> tuple[int, str | None] | None:
    """The index of the statement of ``block`` that is the write (a bare call or ``x = call``)
    and the name it assigns."""
    for index, statement in enumerate(block.body):
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
        if isinstance(value, cst.Await):
            value = value.expression
        if value is not call:
            continue
        if isinstance(small, cst.Assign):
            if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                return index, small.targets[0].target.value
            return None
        return index, None
    return None


def _statement_change(kept: Kept, plan: AtomicPlan, call: cst.Call, scope: cst.CSTNode, positions: Any,
                      blocks: Sequence[cst.IndentedBlock], the_if: cst.If | None, branch: bool | None,
                      names_in_scope: set[str], decimal_name: str | None,
                      rebind_to: tuple[str | None, str | None] | None) -> None:
    values = kwarg(call, "ExpressionAttributeValues")
    target, assign_to = (rebind_to if rebind_to is not None else (None, None))
    adjust = ""  # what turns the value read back into the counter as the write found it
    if rebind_to is None and values is not None and isinstance(values.value, cst.Dict):
        for element in values.value.elements:
            if isinstance(element, cst.DictElement) and literal_text(element.key) == plan.placeholder:
                target = assign_to = _held_in(element.value)
                if target is None:  # ``{"N": str(left - qty)}`` writes ``left - qty``
                    target, adjust = _counter_of(_unwrapped(element.value), plan)
                    assign_to = target
    holder = next(((block, found) for block in blocks if (found := _write_statement(block, call)) is not None), None)
    if holder is None:
        if the_if is not None:
            raise FixSkipped("the write is not a statement of its own: the refusal cannot be routed around it")
        return
    block, (index, assigned) = holder
    later = target is not None and plan.result is not None and \
        _used_after(target, scope, positions, positions[call].end.line)
    if the_if is None and not later:
        return
    receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
    response = assigned or fresh("written", set(names_in_scope))
    kept.returns = later
    rebind: list[cst.BaseStatement] = []
    if later and plan.result is not None:
        source = plan.result.replace("{}", response + '["Attributes"]')
        if plan.flavor == "resource" and plan.result.startswith("{}") and decimal_name:
            # the resource returns numbers as Decimal: say so for type checkers (exact for any number)
            source = f"{decimal_name}(str({source}))"
        rebind.append(cst.parse_statement(f"{assign_to} = {source}{adjust}\n"))
    if the_if is None:
        def change(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
            return [*body[:index], _assigned_write(body[index], response), *rebind, *body[index + 1:]]
        kept.block, kept.change = block, change
        return
    if receiver is None or not all(isinstance(n, (cst.Name, cst.Attribute, cst.Dot)) for n in walk(receiver)):
        raise FixSkipped("the write's receiver is not a plain name: catch ConditionalCheckFailedException by hand")
    exceptions = f"{_code(receiver)}.meta.client.exceptions" if plan.flavor == "resource" else \
        f"{_code(receiver)}.exceptions"
    caught = parse_expr(f"{exceptions}.ConditionalCheckFailedException")
    if branch is False:
        if the_if.orelse is not None or not _exits(the_if.body):
            raise FixSkipped(f"the refusal at line {positions[the_if].start.line} does not end in return or raise: "
                             "route the failed condition by hand")
        if positions[the_if].end.line >= positions[call].start.line:
            raise FixSkipped("the write is not after the test that refuses")
        handler, rest = _statements(the_if.body), None
    else:
        if block is not the_if.body:
            raise FixSkipped("the write is not directly in the body of the test that allows it")
        orelse = the_if.orelse
        handler = [cst.SimpleStatementLine([cst.Pass()])] if orelse is None else \
            [orelse] if isinstance(orelse, cst.If) else _statements(orelse.body)
        rest = True

    writing = next((node for statement in handler for node in walk(statement) if isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute) and node.func.attr.value in _WRITES), None)
    if writing is not None:
        raise FixSkipped(f"the refusal writes to DynamoDB itself (line {positions[writing].start.line}): run where "
                         "the condition fails, it would write what was read before the concurrent change; route "
                         "the failed condition by hand")

    def route(body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
        write = _assigned_write(body[index], response) if rebind else body[index]
        after = body[index + 1:] if rest else []
        statement = cst.Try(
            body=cst.IndentedBlock([write.with_changes(leading_lines=()), *rebind]),
            handlers=[cst.ExceptHandler(cst.IndentedBlock(handler), type=caught)],
            orelse=cst.Else(cst.IndentedBlock(after)) if after else None,
            leading_lines=write.leading_lines if isinstance(write, cst.SimpleStatementLine) else (),
        )
        return [*body[:index], statement, *(body[index + 1:] if not rest else [])]

    kept.block, kept.change = block, route


# calls that write an item (boto3's writes, PartiQL, PynamoDB's save)
_WRITES = frozenset({name for name, op in OPERATIONS.items() if op.access in ("write", "partiql")} | {"save"})


def _used_after(name: str, scope: cst.CSTNode, positions: Any, line: int) -> bool:
    """Is ``name`` read by a statement that starts after ``line`` in ``scope``?"""
    for node in walk(scope):
        where = positions.get(node)
        if where is not None and isinstance(node, cst.BaseStatement) and where.start.line > line:
            if any(isinstance(inner, cst.Name) and inner.value == name for inner in walk(node)):
                return True
    return False


def _assigned_write(statement: cst.BaseStatement, response: str) -> cst.BaseStatement:
    """``call`` as ``response = call`` (unchanged when it already assigns)."""
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    if isinstance(small, cst.Assign):
        return statement
    assert isinstance(small, cst.Expr)
    assign = cst.Assign([cst.AssignTarget(cst.Name(response))], small.value, semicolon=small.semicolon)
    return statement.with_changes(body=[assign])


def apply_to_call(call: cst.Call, kept: Kept) -> cst.Call:
    """Add the kept condition (and ``ReturnValues``) to the atomic call."""
    additions: list[tuple[str, cst.BaseExpression]] = []
    if kept.condition:
        call, additions = and_condition(call, kept.condition)
    if kept.returns:
        current = kwarg(call, "ReturnValues")
        if current is None:
            additions.append(("ReturnValues", string("UPDATED_NEW")))
        elif literal_text(current.value) not in ("UPDATED_NEW", "ALL_NEW"):
            raise FixSkipped("the write asks for other ReturnValues than the new ones")
    return with_attributes(call, kept.names or [], kept.values or [], additions) if (kept.names or additions) \
        else call


