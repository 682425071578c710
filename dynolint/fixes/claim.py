"""DYN104: the cache-aside miss becomes the claim pattern, through a helper module.

The read and the miss test run in a loop: a hit (or a won claim) leaves it; a lost claim
waits and reads again, so losers return the winner's result. The claim, its lease and the
waiting are the helper module's (``claim_helper.py``, written once into the project as
``dynolint_claim.py`` or where ``claim-module`` says, and imported by each fixed module):
a conditional ``update_item`` with a lease (a crashed claimant cannot block the key
forever), waiters that wait as long as the lease they wait for. The completing write is
fenced on the claim's owner.

An awaited read (aioboto3, aiobotocore) gets the helper's ``AsyncClaim``: the claim's
conditional write and the waits are awaited (``asyncio.sleep``), the loop is the same.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Sequence

import libcst as cst

from dynolint.fixes.cstutil import (
    FixSkipped, add_kwargs, kwarg, literal_text, replace_kwarg, set_dict_entry, string,
    taken_placeholders, fresh, walk, with_attributes,
)
from dynolint.fixes.plans import ClaimPlan
from dynolint.fixes.tmpuse import assigned_names

TITLE = ("Claim the key (conditional write with a lease, through the project's claim helper module) before the "
         "costly work; losers wait for the winner's item as long as its lease lasts; the completing write is "
         "fenced on the claim")

OWNER_ATTR = "dl_lease_owner"
UNTIL_ATTR = "dl_lease_until"
GENERATION_ATTR = "dl_generation"

HELPER = "dynolint_claim"  # the helper module's default name (``claim-module`` in the configuration)


def helper_text() -> str:
    """The source of the helper module ``dynolint fix`` places once per project."""
    from importlib import resources

    return resources.files("dynolint.fixes").joinpath("claim_helper.py").read_text(encoding="utf-8")


def fence_call(call: cst.Call, plan: ClaimPlan, owner: str) -> cst.Call:
    """The completing write only lands while this caller still holds the claim."""
    if kwarg(call, "ConditionExpression") is not None or kwarg(call, "Expected") is not None:
        raise FixSkipped("the completing write already has a condition")
    taken = taken_placeholders(call)
    owner_name, owner_value = fresh("#dl_owner", taken), fresh(":dl_owner", taken)
    names: list[tuple[str, cst.BaseExpression]] = [(owner_name, string(OWNER_ATTR))]
    value = cst.parse_expression(f'{{"S": {owner}.owner}}' if plan.flavor == "low" else f"{owner}.owner")
    if plan.write_op == "update_item":
        until_name, generation = fresh("#dl_until", taken), fresh("#dl_gen", taken)
        names.extend([(until_name, string(UNTIL_ATTR)), (generation, string(GENERATION_ATTR))])
        expression = kwarg(call, "UpdateExpression")
        text = literal_text(expression.value) if expression is not None else None
        if text is None:
            raise FixSkipped("the completing UpdateExpression is not a string literal")
        removal = f"{owner_name}, {until_name}"
        updated = text.replace("REMOVE ", f"REMOVE {removal}, ", 1) if "REMOVE " in text else f"{text} REMOVE {removal}"
        match = re.search(r"\bSET\b", updated, re.IGNORECASE)
        setting = f"{generation} = {owner_value}"
        updated = (f"{updated[:match.end()]} {setting},{updated[match.end():]}" if match
                   else f"SET {setting} {updated}")
        call = replace_kwarg(call, "UpdateExpression", string(updated))
    else:
        item = kwarg(call, "Item")
        if item is None:
            raise FixSkipped("the completing put_item has no Item= argument")
        call = replace_kwarg(call, "Item", set_dict_entry(item.value, GENERATION_ATTR, value))
    return with_attributes(call, names, [(owner_value, value)],
                           [("ConditionExpression", string(f"{owner_name} = {owner_value}"))])


def _find_read_call(statements: list[cst.BaseStatement]) -> cst.Call | None:
    for statement in statements:
        for node in walk(statement):
            if type(node) is cst.Call and isinstance(node.func, cst.Attribute) \
                    and node.func.attr.value == "get_item":
                return node
    return None


LEASE_ATTRS = (OWNER_ATTR, UNTIL_ATTR, GENERATION_ATTR)


def _projected(read_call: cst.Call) -> str | None:
    """The read's ProjectionExpression with the claim's attributes added (None: it has none).
    A read that projects must read them back: without them a claim reads as a hit."""
    if kwarg(read_call, "AttributesToGet") is not None:
        raise FixSkipped("the read names its attributes with the legacy AttributesToGet: the claim's lease "
                         "attributes would not be read back; rewrite it as a ProjectionExpression first")
    projection = kwarg(read_call, "ProjectionExpression")
    if projection is None:
        return None
    text = literal_text(projection.value)
    if text is None:
        raise FixSkipped("the read's ProjectionExpression is not a string literal: the claim's lease attributes "
                         f"({', '.join(LEASE_ATTRS)}) must be read back; add them to it and claim the key by hand")
    listed = {part.strip() for part in text.split(",")}
    return ", ".join([text, *(name for name in LEASE_ATTRS if name not in listed)])


class _Consistent(cst.CSTTransformer):
    """The read made consistent once the claim was lost (``lost``, the loop's flag: the first
    read stays as the code wrote it, a re-read waits for the winner's claim or result and an
    eventually consistent one can miss both), and projecting the claim's attributes when it
    projects."""

    def __init__(self, lost: str) -> None:
        super().__init__()
        self.lost = lost

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Attribute) and updated.func.attr.value == "get_item":
            projected = _projected(updated)
            if projected is not None:
                updated = replace_kwarg(updated, "ProjectionExpression", string(projected))
            consistent = kwarg(updated, "ConsistentRead")
            if consistent is None:
                updated = add_kwargs(updated, [("ConsistentRead", cst.Name(self.lost))])
            elif not (isinstance(consistent.value, cst.Name) and consistent.value.value == "True"):
                value = consistent.value
                if isinstance(value, cst.Name) and value.value == "False":
                    read: cst.BaseExpression = cst.Name(self.lost)
                else:  # the code's own choice, or consistent once the claim was lost
                    code = cst.Module([]).code_for_node(value)
                    read = cst.parse_expression(f"({code}) or {self.lost}" if _needs_parentheses(value)
                                                else f"{code} or {self.lost}")
                updated = replace_kwarg(updated, "ConsistentRead", read)
        return updated


def _needs_parentheses(value: cst.BaseExpression) -> bool:
    """``value`` as ``or``'s left operand needs parentheses (a lambda, a conditional, a walrus,
    another ``or``...): anything but a name, an attribute, a call or a subscript."""
    return not isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not value.lpar


_TEMPLATES: dict[str, cst.Module] = {}


def _parsed(code: str) -> cst.Module:
    """``code`` parsed, once: a claim is built twice (checked while planning, then made),
    and LibCST nodes never change."""
    module = _TEMPLATES.get(code)
    if module is None:
        if len(_TEMPLATES) > 256:
            _TEMPLATES.clear()
        module = _TEMPLATES[code] = cst.parse_module(code)
    return module


def _awaited(read_part: list[cst.BaseStatement], read_call: cst.Call) -> bool:
    """The read's ``get_item`` is awaited (an async SDK: aioboto3's ``Table``, an aiobotocore
    client): ``await table.get_item(...)``, in parentheses or not."""
    return any(isinstance(node, cst.Await) and node.expression is read_call
               for statement in read_part for node in walk(statement))


def awaited_read(read_part: list[cst.BaseStatement]) -> bool:
    """The claim of this read is an ``AsyncClaim`` (its get_item is awaited)."""
    read_call = _find_read_call(read_part)
    return read_call is not None and _awaited(read_part, read_call)


ASYNC_CLASS = "class AsyncClaim"
RELEASE_METHOD = "def release("


def helper_has(path: Path | None, marker: str) -> bool:
    """The claim helper module at ``path`` (the project's, reused as it is) has ``marker``
    (``ASYNC_CLASS``, ``RELEASE_METHOD``: an older dynolint's may not); True while it is not
    written yet (this dynolint's helper, which has both, will be)."""
    if path is None:
        return True
    try:
        return marker in path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return True
    except OSError:
        return False


def runs_in_tail(tail: list[cst.BaseStatement], call: cst.Call, positions: object) -> bool:
    """The completing write is in ``tail`` (a ``finally`` after them runs after the write; a
    write in a function they define is declined before: the read and the write are then in
    different functions)."""
    first, last = positions[tail[0]].start, positions[tail[-1]].end  # type: ignore[index]
    where = positions[call]  # type: ignore[index]
    return (first.line, first.column) <= (where.start.line, where.start.column) \
        and (where.end.line, where.end.column) <= (last.line, last.column)


def claim_block(statements: list[cst.BaseStatement], read_index: int, if_index: int, plan: ClaimPlan,
                write_in_body: bool, owner: str, module: str = HELPER,
                release: bool = False) -> list[cst.BaseStatement]:
    """Wrap the read and the miss test in the claim loop; ``statements`` is one block. With
    ``release`` (the completing write is in the statements from the miss test on, run by them),
    those statements go in a ``try`` whose ``finally`` releases the claim: a path that leaves
    without the write (an early return, an exception) frees the key for the next caller at once
    instead of making every caller wait for the lease to lapse."""
    read_part = statements[read_index:if_index]
    test_statement = statements[if_index]
    if not isinstance(test_statement, cst.If):
        raise FixSkipped("the miss is not tested by an if statement")
    read_call = _find_read_call(read_part)
    if read_call is None or not isinstance(read_call.func, cst.Attribute):
        raise FixSkipped("the read is not a get_item call in the same block")
    awaited = _awaited(read_part, read_call)
    if not awaited and any(isinstance(node, cst.Await) for statement in read_part for node in walk(statement)):
        # the read is not awaited but something beside it is: which SDK the claim must call is unclear
        raise FixSkipped("the read awaits something but not its get_item: it is unclear whether the table is "
                         "async (the claim's conditional write must be awaited) or not; claim the key by hand")
    code = cst.Module([]).code_for_node
    receiver = code(read_call.func.value)
    _projected(read_call)  # FixSkipped when the claim could not be read back
    key = kwarg(read_call, "Key")
    if key is None:
        raise FixSkipped("the read has no Key= argument")
    # the code's test runs once a read, its value kept: a second run of it (a clock, a random
    # early refresh, a call) could call a miss the loop called a hit, and the miss path would
    # then pay without the claim, its fenced write refused
    verdict = f"{owner}_{'miss' if write_in_body else 'hit'}"
    hit = f"not {verdict}" if write_in_body else verdict
    table_name = ""
    if plan.flavor == "low":
        name_arg = kwarg(read_call, "TableName")
        if name_arg is None:
            raise FixSkipped("the read has no TableName= argument")
        table_name = f", table_name={code(name_arg.value)}"
    # aioboto3, aiobotocore: the claim's conditional write and the waits are awaited (AsyncClaim)
    wait = "await " if awaited else ""
    take = f"{owner}.take({receiver}, {code(key.value)}, {json.dumps(plan.key_attr)}, _dl_seen{table_name})"
    item = plan.item_name
    lost = f"{owner}_lost"
    template = _parsed(
        f"{owner} = {module}.{'AsyncClaim' if awaited else 'Claim'}()\n"
        f"{lost} = False\n"
        f"while True:\n"
        f"    pass\n"
        f"    _dl_seen, {item} = {item}, {module}.unclaimed({item})\n"
        f"    {verdict} = {_assigned(test_statement.test)}\n"
        f"    if {hit} or {wait}{take}:\n"
        f"        break\n"
        f"    {wait}{owner}.wait(_dl_seen)\n"
        f"    {lost} = True\n"
    )
    first, flag, loop = template.body
    assert isinstance(loop, cst.While) and isinstance(loop.body, cst.IndentedBlock)
    consistent = [s.visit(_Consistent(lost)) for s in read_part]
    if consistent and isinstance(consistent[0], (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        consistent[0] = consistent[0].with_changes(leading_lines=())
    # the item is taken out of a claim right where it is bound: what the code computes from
    # it before the hit test (``found = item is not None``) must see a claim as a miss
    bound = _last_binding(consistent, item)
    body = [*consistent[:bound + 1], loop.body.body[1], *consistent[bound + 1:], *loop.body.body[2:]]
    loop = loop.with_changes(body=loop.body.with_changes(body=body))
    leading = read_part[0].leading_lines if hasattr(read_part[0], "leading_lines") else ()
    first = first.with_changes(leading_lines=leading)
    tail = [_tested_by(test_statement, verdict), *statements[if_index + 1:]]
    if release:
        tail = [_released(tail, f"{wait}{owner}.release()")]
    return [*statements[:read_index], first, flag, loop, *tail]


def leaves(body: cst.BaseSuite) -> bool:
    """Does every path through ``body`` end in a return, raise, continue or break?"""
    statements = body.body
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(s, (cst.Return, cst.Raise, cst.Continue, cst.Break)) for s in last.body)
    if isinstance(last, cst.If):
        orelse = last.orelse
        if orelse is None:
            return False
        return leaves(last.body) and (leaves(orelse.body) if isinstance(orelse, cst.Else)
                                      else leaves(cst.IndentedBlock(body=[orelse])))
    return False


def _assigned(test: cst.BaseExpression) -> str:
    """The code of ``test`` as the right side of an assignment: a bare walrus (``if found :=
    read():``) needs parentheses there."""
    code = cst.Module([]).code_for_node(test)
    return f"({code})" if isinstance(test, cst.NamedExpr) and not test.lpar else code


def _tested_by(statement: cst.If, verdict: str) -> cst.If:
    """The code's ``if`` branching on ``verdict``, the value its test had in the loop (its
    ``elif`` tests stay: they run once, after the loop)."""
    space = statement.whitespace_before_test
    if isinstance(space, cst.SimpleWhitespace) and not space.value:  # ``if(fresh):``
        space = cst.SimpleWhitespace(" ")
    return statement.with_changes(test=cst.Name(verdict), whitespace_before_test=space)


def _released(tail: list[cst.BaseStatement], release: str) -> cst.Try:
    """``tail`` in ``try: ... finally: <release>`` (the first statement's leading comments
    and blank lines go before the ``try``)."""
    head = tail[0]
    leading = getattr(head, "leading_lines", ())
    if leading:
        tail[0] = head.with_changes(leading_lines=())
    template = _parsed(f"try:\n    pass\nfinally:\n    {release}\n")
    statement = template.body[0]
    assert isinstance(statement, cst.Try) and isinstance(statement.body, cst.IndentedBlock)
    return statement.with_changes(body=statement.body.with_changes(body=tail), leading_lines=leading)


def _last_binding(statements: Sequence[object], name: str) -> int:
    """The index of the last of ``statements`` that binds ``name`` (the last one when none
    does: the item is then bound before them)."""
    found = len(statements) - 1
    for index, statement in enumerate(statements):
        if isinstance(statement, cst.CSTNode) and any(
                isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and name in assigned_names(node)
                or isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name) and node.target.value == name
                for node in walk(statement)):
            found = index
    return found
