"""DYN104: the cache-aside miss becomes the claim pattern.

The read and the miss test run in a bounded retry loop: a hit (or a won claim) leaves the
loop; a lost claim waits with exponential backoff and reads again, so losers return the
winner's result. The claim is a conditional ``update_item`` with a lease (a crashed
claimant cannot block the key forever), and the completing write is fenced on the claim.
"""

from __future__ import annotations

import json
import re

import libcst as cst

from dynolint.fixes.cstutil import (
    FixSkipped, add_kwargs, kwarg, literal_text, replace_kwarg, set_dict_entry, string,
    taken_placeholders, fresh, walk, with_attributes,
)
from dynolint.fixes.plans import ClaimPlan

TITLE = ("Claim the key (conditional write with a lease) before the costly work; losers wait with bounded "
         "backoff for the winner's item; the completing write is fenced on the claim")

OWNER_ATTR = "dl_lease_owner"
UNTIL_ATTR = "dl_lease_until"
GENERATION_ATTR = "dl_generation"

HELPER_RESOURCE = '''

DYNOLINT_CLAIM_LEASE_SECONDS = 30
DYNOLINT_CLAIM_ATTEMPTS = 12


def _dynolint_claim(table, key, key_attribute, owner, seen):
    """Claim ``key`` for ``owner`` before costly work (inserted by ``dynolint fix``, DYN104).

    The claim only lands if the item is still what this caller read (``seen``): missing, a
    claim whose lease has lapsed, or the same completed generation. So exactly one of the
    concurrent callers wins; the others read again until the winner's item is there. The
    lease (DYNOLINT_CLAIM_LEASE_SECONDS) keeps a crashed claimant from blocking the key.
    """
    now = int(time.time())
    names = {"#dl_owner": "dl_lease_owner", "#dl_until": "dl_lease_until"}
    values = {":dl_owner": owner, ":dl_until": now + DYNOLINT_CLAIM_LEASE_SECONDS}
    if seen is None:
        condition = "attribute_not_exists(#dl_key)"
        names["#dl_key"] = key_attribute
    elif "dl_lease_until" in seen:
        condition = "#dl_until = :dl_seen AND #dl_until < :dl_now"
        values.update({":dl_seen": seen["dl_lease_until"], ":dl_now": now})
    elif "dl_generation" in seen:
        condition = "attribute_not_exists(#dl_until) AND #dl_gen = :dl_gen"
        names["#dl_gen"] = "dl_generation"
        values[":dl_gen"] = seen["dl_generation"]
    else:
        condition = "attribute_not_exists(#dl_until) AND attribute_not_exists(#dl_gen)"
        names["#dl_gen"] = "dl_generation"
    try:
        table.update_item(
            Key=key,
            UpdateExpression="SET #dl_owner = :dl_owner, #dl_until = :dl_until",
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return False
    return True
'''

HELPER_CLIENT = '''

DYNOLINT_CLAIM_LEASE_SECONDS = 30
DYNOLINT_CLAIM_ATTEMPTS = 12


def _dynolint_claim_client(client, table_name, key, key_attribute, owner, seen):
    """Claim ``key`` for ``owner`` before costly work (inserted by ``dynolint fix``, DYN104).

    The claim only lands if the item is still what this caller read (``seen``): missing, a
    claim whose lease has lapsed, or the same completed generation. So exactly one of the
    concurrent callers wins; the others read again until the winner's item is there. The
    lease (DYNOLINT_CLAIM_LEASE_SECONDS) keeps a crashed claimant from blocking the key.
    """
    now = int(time.time())
    names = {"#dl_owner": "dl_lease_owner", "#dl_until": "dl_lease_until"}
    values = {":dl_owner": {"S": owner}, ":dl_until": {"N": str(now + DYNOLINT_CLAIM_LEASE_SECONDS)}}
    if seen is None:
        condition = "attribute_not_exists(#dl_key)"
        names["#dl_key"] = key_attribute
    elif "dl_lease_until" in seen:
        condition = "#dl_until = :dl_seen AND #dl_until < :dl_now"
        values.update({":dl_seen": seen["dl_lease_until"], ":dl_now": {"N": str(now)}})
    elif "dl_generation" in seen:
        condition = "attribute_not_exists(#dl_until) AND #dl_gen = :dl_gen"
        names["#dl_gen"] = "dl_generation"
        values[":dl_gen"] = seen["dl_generation"]
    else:
        condition = "attribute_not_exists(#dl_until) AND attribute_not_exists(#dl_gen)"
        names["#dl_gen"] = "dl_generation"
    try:
        client.update_item(
            TableName=table_name,
            Key=key,
            UpdateExpression="SET #dl_owner = :dl_owner, #dl_until = :dl_until",
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except client.exceptions.ConditionalCheckFailedException:
        return False
    return True
'''


def helper_source(flavor: str) -> str:
    return HELPER_CLIENT if flavor == "low" else HELPER_RESOURCE


def helper_name(flavor: str) -> str:
    return "_dynolint_claim_client" if flavor == "low" else "_dynolint_claim"


def fence_call(call: cst.Call, plan: ClaimPlan, owner: str) -> cst.Call:
    """The completing write only lands while this caller still holds the claim."""
    if kwarg(call, "ConditionExpression") is not None or kwarg(call, "Expected") is not None:
        raise FixSkipped("the completing write already has a condition")
    taken = taken_placeholders(call)
    owner_name, owner_value = fresh("#dl_owner", taken), fresh(":dl_owner", taken)
    names: list[tuple[str, cst.BaseExpression]] = [(owner_name, string(OWNER_ATTR))]
    value = cst.parse_expression(f'{{"S": {owner}}}' if plan.flavor == "low" else owner)
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


class _Consistent(cst.CSTTransformer):
    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if isinstance(updated.func, cst.Attribute) and updated.func.attr.value == "get_item" \
                and kwarg(updated, "ConsistentRead") is None:
            return add_kwargs(updated, [("ConsistentRead", cst.Name("True"))])
        return updated


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


def claim_block(statements: list[cst.BaseStatement], read_index: int, if_index: int, plan: ClaimPlan,
                write_in_body: bool, owner: str) -> list[cst.BaseStatement]:
    """Wrap the read and the miss test in the claim loop; ``statements`` is one block."""
    read_part = statements[read_index:if_index]
    test_statement = statements[if_index]
    if not isinstance(test_statement, cst.If):
        raise FixSkipped("the miss is not tested by an if statement")
    read_call = _find_read_call(read_part)
    if read_call is None or not isinstance(read_call.func, cst.Attribute):
        raise FixSkipped("the read is not a get_item call in the same block")
    code = cst.Module([]).code_for_node
    receiver = code(read_call.func.value)
    key = kwarg(read_call, "Key")
    if key is None:
        raise FixSkipped("the read has no Key= argument")
    test = code(test_statement.test)
    hit = f"not ({test})" if write_in_body else f"({test})"
    if plan.flavor == "low":
        table_name = kwarg(read_call, "TableName")
        if table_name is None:
            raise FixSkipped("the read has no TableName= argument")
        claim = (f"{helper_name('low')}({receiver}, {code(table_name.value)}, {code(key.value)}, "
                 f"{json.dumps(plan.key_attr)}, {owner}, _dl_seen)")
    else:
        claim = f"{helper_name('resource')}({receiver}, {code(key.value)}, {json.dumps(plan.key_attr)}, {owner}, _dl_seen)"
    item = plan.item_name
    template = _parsed(
        f"{owner} = uuid.uuid4().hex\n"
        f"for _dl_attempt in range(DYNOLINT_CLAIM_ATTEMPTS):\n"
        f"    pass\n"
        f"    _dl_seen = {item}\n"
        f"    if {item} is not None and {json.dumps(UNTIL_ATTR)} in {item}:\n"
        f"        {item} = None  # another request holds the claim: not a hit yet\n"
        f"    if {hit} or {claim}:\n"
        f"        break\n"
        f"    time.sleep(min(0.05 * 2 ** _dl_attempt, 1.0))\n"
        f"else:\n"
        f"    raise TimeoutError(\"another request still holds the claim on this key (dynolint DYN104 fix)\")\n"
    )
    first, loop = template.body
    assert isinstance(loop, cst.For) and isinstance(loop.body, cst.IndentedBlock)
    consistent = [s.visit(_Consistent()) for s in read_part]
    if consistent and hasattr(consistent[0], "leading_lines"):
        consistent[0] = consistent[0].with_changes(leading_lines=())
    body = [*consistent, *loop.body.body[1:]]
    loop = loop.with_changes(body=loop.body.with_changes(body=body))
    leading = read_part[0].leading_lines if hasattr(read_part[0], "leading_lines") else ()
    first = first.with_changes(leading_lines=leading)
    return [*statements[:read_index], first, loop, *statements[if_index:]]
