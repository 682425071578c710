"""What a DynamoDB write carries: its guard, what its update expression sets and writes,
and whether it returns the item (``ReturnValues``)."""

from __future__ import annotations

import re

from dynolint.model.conditions import condition_pins
from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.events import NO_GUARD, Guard, UpdateSpec
from dynolint.model.expressions import UpdateAction, parse_update
from dynolint.model.literals import as_kwargs, const_text
from dynolint.model.values import NONE, UNKNOWN, ConstV, DictV, Val, alts, const_str


def guard_of(op: str, kwargs: dict[str, Val], spread_unknown: bool) -> Guard:
    """The guard a write carries: one of the operation's guard parameters, given and
    not empty (ConditionalOperator or ReturnValuesOnConditionCheckFailure alone guard
    nothing)."""
    if spread_unknown:
        return Guard("unknown", "arguments passed through ** that the model cannot see")
    for param in OPERATIONS[op].guard_params:
        value = kwargs.get(param)
        if value is None or any(_no_guard(alt) for alt in alts(value)):
            continue  # absent, or absent on some path (``**({"ConditionExpression": c} if strict else {})``)
        return Guard("condition", param, condition_pins(param, value, kwargs.get("ExpressionAttributeNames"),
                                                        kwargs.get("ExpressionAttributeValues")))
    return NO_GUARD


def _no_guard(value: Val) -> bool:
    return value == NONE or const_str(value) == "" or isinstance(value, DictV) and not value.items and not value.spreads


def update_spec(kwargs: dict[str, Val]) -> UpdateSpec:
    names = {k: const_str(v) or k for k, v in as_kwargs(kwargs.get("ExpressionAttributeNames", UNKNOWN)).items()}
    values = as_kwargs(kwargs.get("ExpressionAttributeValues", UNKNOWN))
    expression = kwargs.get("UpdateExpression")
    text = const_text(expression) if expression is not None else None
    texts = _texts(expression) if expression is not None and text is None else None
    return UpdateSpec(text, tuple(sorted(names.items())), tuple(sorted(values.items(), key=lambda kv: kv[0])),
                      tuple(sorted(texts)) if texts else ())


def _texts(expression: Val) -> list[str] | None:
    """Each text an update expression may be (``expression += " SET ..."`` on some paths: one per
    path); None when one of them is not known."""
    texts = [text for alt in alts(expression) if (text := const_text(alt)) is not None]
    return texts if texts and len(texts) == len(alts(expression)) else None


def update_values(kwargs: dict[str, Val]) -> tuple[bool, tuple[Val, ...]]:
    values_map = as_kwargs(kwargs.get("ExpressionAttributeValues", UNKNOWN))
    expression = kwargs.get("UpdateExpression")
    if expression is None:
        legacy = as_kwargs(kwargs.get("AttributeUpdates", UNKNOWN))
        if not legacy:
            return False, ()
        atomic, values = False, []
        for update in legacy.values():
            spec = as_kwargs(update)
            if const_str(spec.get("Action", ConstV("PUT"))) in ("ADD", "DELETE"):
                atomic = True
            if "Value" in spec:
                values.append(spec["Value"])
        return atomic, tuple(values)
    names = {k: const_str(v) or k for k, v in as_kwargs(kwargs.get("ExpressionAttributeNames", UNKNOWN)).items()}
    # values stored under placeholders the code computed (``values[f":s{i}"] = value`` in a loop
    # over the attributes to set): which clause each is in is not known, but each is written
    computed = tuple(item for alt in alts(kwargs.get("ExpressionAttributeValues", UNKNOWN)) if isinstance(alt, DictV)
                     for key, item in alt.items if const_str(key) is None)
    # (an expression the code extends on some paths, ``expression += " SET ..."``: each one it may be)
    parsed = [parse_update(text, names) for text in _texts(expression) or ()]
    if not parsed or any(actions is None for actions in parsed):
        return False, tuple(values_map.values()) + computed
    used = [values_map[p] for actions in parsed for action in actions or () for p in action.placeholders
            if p in values_map] + list(computed)
    # An update built around an atomic action (ADD, SET x = x + :n, if_not_exists,
    # list_append, set ADD/DELETE) is atomic; whether any of its values came from the
    # read is judged separately, from their taint.
    return all(any(action.atomic and action.clause != "REMOVE" for action in actions or ()) for actions in parsed), \
        tuple(used)



# ReturnValues that give the caller the item's attributes (NONE, the default, gives nothing)
_RETURNS_ITEM = ("ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


def returns_item(kwargs: dict[str, Val]) -> bool:
    """Does the write hand back the item's attributes (``ReturnValues="ALL_OLD"`` ...)?
    Then it is also a read of the item, at the instant of the write."""
    value = kwargs.get("ReturnValues")
    return value is not None and const_str(value) in _RETURNS_ITEM


# what ReturnValues="UPDATED_OLD" / "UPDATED_NEW" hand back: only attributes the update set
ONLY_SET = "*"


def attributes_set(kwargs: dict[str, Val]) -> tuple[str, ...]:
    """The top-level attributes an update changes (SET, ADD, REMOVE, DELETE, or legacy
    AttributeUpdates); () when the expression cannot be read; (ONLY_SET,) when the item
    returned holds only those (``UPDATED_OLD`` / ``UPDATED_NEW``), whichever they are. Each
    attribute changed by arithmetic on itself (``ADD n :one``, ``SET b = b - :a``) is there
    once more as ``ARITHMETIC + name``: each caller sees its own result, but not alone (every
    caller that overdraws sees a negative balance)."""
    spec = update_spec(kwargs)
    actions = parse_update(spec.expression, dict(spec.names)) if spec.expression is not None else None
    arithmetic = sorted(ARITHMETIC + name for name in _by_arithmetic(actions))
    if const_str(kwargs.get("ReturnValues", NONE)) in ("UPDATED_OLD", "UPDATED_NEW"):
        return (ONLY_SET, *arithmetic)
    if spec.expression is None:
        return tuple(sorted(as_kwargs(kwargs.get("AttributeUpdates", UNKNOWN))))
    if actions is None:
        return ()
    return (*sorted({_top(action.path) for action in actions if action.path}), *arithmetic)


def changed_by_arithmetic(spec: UpdateSpec | None) -> set[str]:
    """The top-level attributes an update changes by arithmetic on themselves (``ADD n :d``,
    ``SET b = b - :a``): what it writes there is a change of the value DynamoDB holds, not a
    copy of one the code read."""
    if spec is None:
        return set()
    return {name for text in spec.texts() for name in _by_arithmetic(parse_update(text, dict(spec.names)))}


def _by_arithmetic(actions: list[UpdateAction] | None) -> set[str]:
    return {_top(a.path) for a in actions or () if a.path and (
        a.clause == "ADD" or a.clause == "SET" and a.atomic and _SUMS.search(a.expression))}


ARITHMETIC = "+"  # the prefix of an attribute ``attributes_set`` says was changed by arithmetic
_SUMS = re.compile(r"[+-]")


def _top(path: str) -> str:
    for index, char in enumerate(path):
        if char in ".[":
            return path[:index]
    return path
