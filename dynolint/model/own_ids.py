"""Keys rebuilt from the item read: a written key part that is the read item's own id
attribute, where the read's key part was the id itself (read by ``key(account_id)``, written
by ``key(account["account_id"])``). The index (model/keys.py) asks these when the parts are
not equal values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.model.event_fields import TENANT_KEY
from dynolint.model.literals import leading_text
from dynolint.model.key_parts import after_prefix, converted_from, prefix_put_back, field_of, id_name, leaf_name, typed, untyped
from dynolint.model.values import AttrV, CallV, ConstV, DictV, ElemV, OneOf, ReadItemV, StrV, SubV, TenantIdV, UnknownV, Val, alts, const_str

if TYPE_CHECKING:
    from dynolint.model.events import ReadEvent
    from dynolint.model.keys import TaintIndex as KeyIndex

MAX_NESTING = 4
SPLITS = frozenset({"split", "rsplit", "partition", "rpartition"})
TAG_SEPARATORS = "#:|/-_."


def own_id(index: KeyIndex, pinned: Val, written: Val, read: ReadEvent, depth: int = 0,
           tenant: bool = False, tag: str | None = None) -> bool:
    """Is ``written`` the part ``pinned`` of the key ``read`` read the item by, rebuilt from
    the item's own attribute? The item stores the id it is keyed by under the name the code
    gave it (``account_id``, ``accountId``), as ``id``, or under the name the key's literal
    tag gives it (``ROLLOUT#{x}``: ``rollout_id``, ``tag``: the literal before the part); an
    attribute of another name (``manager_id``) may name another item of the same kind, so it
    is not the same key. ``tenant``: the tenant id the item keeps under the platform's name
    (``tenant_id``) stands for this part, whatever the code called it."""
    written, pinned = put_back(written), put_back(pinned)
    if pinned == written and not isinstance(pinned, UnknownV):
        return True
    deeper = depth < MAX_NESTING  # (how far a part's alternatives, strings and calls are followed)
    if type(written) is OneOf or type(pinned) is OneOf:  # (a part with alternatives: one of them, as ``equal``)
        return deeper and any(own_id(index, x, y, read, depth + 1, tenant, tag) for x in alts(pinned) for y in alts(written))
    if type(pinned) is StrV and type(written) is StrV:
        if len(pinned.parts) == len(written.parts):
            return deeper and _parts(index, pinned.parts, written.parts, read, depth, tenant)
        # a prefix one side builds in a helper (``f"{ctx.key_prefix()}#PLAYER#{id}"``, the
        # prefix ``f"STUDIO#{studio}"``) and the other writes out: their parts spelled out
        return deeper and any(len(left) == len(right) and _parts(index, left, right, read, depth, tenant)
                   for left in spelled_out(pinned) for right in spelled_out(written))
    if type(pinned) is AttrV and type(written) is AttrV and pinned.name == written.name:
        # the same attribute of both (``dim.value`` of an enum member, ``Dimension(item["dimension"]).value``)
        return deeper and own_id(index, pinned.base, written.base, read, depth + 1, tenant, tag)
    if type(pinned) is CallV and type(written) is CallV and pinned.fn == written.fn and pinned.args \
            and len(pinned.args) == len(written.args) and pinned.kwargs == written.kwargs \
            and pinned.recv == written.recv and pinned.args[1:] == written.args[1:]:
        # the same formatting of both (``format(wave, "02d")``, ``format(int(item["wave"]), "02d")``)
        return deeper and own_id(index, pinned.args[0], written.args[0], read, depth + 1, tenant, tag)
    written = untyped(converted_from(written))  # (``item["accountId"]["S"]`` of a low-level client's item)
    if type(written) is OneOf:  # ``str(x)`` of one of several values (``str(item["org_id"])`` of either read)
        return deeper and any(own_id(index, pinned, alt, read, depth + 1, tenant, tag) for alt in alts(written))
    if type(written) is SubV and type(written.base) is DictV and written.base.spreads \
            and (name := const_str(written.index)) is not None \
            and all(const_str(key) != name for key, _ in written.base.items):
        # an entry of ``{**item, "updated_at": now}`` that the dict does not set: the spread item's
        return deeper and any(own_id(index, pinned, SubV(alt, written.index), read, depth + 1, tenant, tag)
                   for spread in written.base.spreads for alt in alts(spread))
    if type(written) is ElemV and type(written.of) is CallV and written.of.fn in SPLITS and written.of.recv is not None:
        # a piece of the item's own key split apart (``_, op, _, wh = item["pk"].split("#")``) and
        # put back together: the parts compared around it hold the same literals
        return _attribute_of(written.of.recv, read) in (index.key_map(read.key) or {})
    attr = _attribute_of(written, read)
    if attr is None:
        return False
    if (tenant or type(pinned) is TenantIdV) and TENANT_KEY.search(id_name(attr)) is not None:
        return True  # the tenant id the item keeps beside its key (``item["tenant_id"]``)
    stored = id_name(attr)
    word = tag_word(tag)
    if word is not None and stored in (word, word + "id"):
        return True  # ``ROLLOUT#{item["rollout_id"]}``: the item at ROLLOUT#x keeps x as its rollout id
    name = leaf_name(pinned) if type(pinned) is not TenantIdV else field_of(pinned.how)
    if name is None:
        return False
    # (a Cognito user's custom attribute, ``custom:fleet_id``, kept by the item as ``fleet_id``)
    spelled = id_name(name)
    if _abbreviated(spelled, stored, word):
        return True
    return stored in (spelled, "id", spelled[len("custom"):] if spelled.startswith("custom") else spelled)


def _abbreviated(spelled: str, stored: str, word: str | None) -> bool:
    """``SUB#{sub_id}`` of an item that keeps it as ``subscription_id``: the code's name and the
    key's tag both abbreviate the stored id's name (each a beginning of it, of three letters or more)."""
    if word is None or len(word) < 3 or not (spelled.endswith("id") and stored.endswith("id")):
        return False
    short, long = spelled[:-2], stored[:-2]
    return len(short) >= 3 and short != long and long.startswith(short) and long.startswith(word)


def put_back(value: Val) -> Val:
    """A string made again from a value its prefix was taken off (:func:`prefix_put_back`)."""
    if type(value) is not StrV:
        return value
    parts = prefix_put_back(value.parts, lambda whole: whole)
    return value if parts == value.parts else parts[0] if len(parts) == 1 else StrV(parts)


def _attribute_of(value: Val, read: ReadEvent) -> str | None:
    """The attribute of the item ``read`` returned that ``value`` is (through a conversion or
    a low-level type tag: ``str(item["pk"])``, ``item["pk"]["S"]``), else None."""
    value = untyped(converted_from(value))
    if type(value) is SubV and isinstance(value.base, ReadItemV) and value.base.read == read.id:
        return const_str(value.index)
    return None


def _parts(index: KeyIndex, left: tuple[Val, ...], right: tuple[Val, ...], read: ReadEvent, depth: int,
           tenant: bool) -> bool:
    """Each part of one string the other's, each told the literal before it."""
    tag: str | None = None
    for a, b in zip(left, right):
        if not own_id(index, a, b, read, depth + 1, tenant, tag):
            return False
        tag = a.value if type(a) is ConstV and isinstance(a.value, str) else None
    return True


def tag_word(tag: str | None) -> str | None:
    """The word a key's literal ends with before the value it tags (``TENANT#t1#ROLLOUT#``:
    ``rollout``), as :func:`id_name` spells it; None when there is none of two letters."""
    if not tag or tag[-1] not in TAG_SEPARATORS:
        return None
    text = tag.rstrip(TAG_SEPARATORS)
    cut = max(text.rfind(sep) for sep in TAG_SEPARATORS)
    word = id_name(text[cut + 1:])
    return word if len(word) >= 2 and word.isalpha() else None


def rebuilt_in_tenant(index: KeyIndex, read_map: dict[str, Val], item_map: dict[str | None, Val],
                      read: ReadEvent) -> bool:
    """A composite key rebuilt from the item read: every part but one is the item's own id
    (:func:`own_id`), and that one is rebuilt in the same shape from the tenant id the item
    keeps beside its key under the platform's name, whatever the code calls it (read by
    ``CLINIC#{clinic_id}``, written by ``CLINIC#{item["tenant_id"]}``: a mapping layer that
    renames the attribute), or it was read as a value given whole and is written rebuilt from
    the item's own attributes (:func:`_whole_rebuilt`). The rest names this item."""
    if len(read_map) < 2 or read.key is None or not all(name in item_map for name in read_map):
        return False
    loose = [name for name in read_map if not index.same_part(read_map[name], item_map[name], read)]
    return len(loose) == 1 and any(
        own_id(index, x, y, read, tenant=True) or _whole_rebuilt(x, y, read)
        for x in alts(index.canon(read_map[loose[0]])) for y in alts(index.canon(item_map[loose[0]])))


def _whole_rebuilt(pinned: Val, written: Val, read: ReadEvent) -> bool:
    """A key part read as one value the code was given whole (``run_key``, a path parameter)
    and written as a string rebuilt from the item's own attributes (``f"RUN#{item['company_id']}
    #{item['period']}"``): the item's key as its model spells it, the other parts the same."""
    if type(pinned) in (StrV, ConstV, OneOf) or type(written) is not StrV:
        return False
    own = 0
    for part in written.parts:
        if type(part) is ConstV:
            continue
        # (a part with alternatives: the item's attribute on one of them, as ``own_id``)
        if all(_attribute_of(option, read) is None for option in alts(part)):
            return False
        own += 1
    return own > 0


def spelled_out(value: StrV, limit: int = 8) -> list[tuple[Val, ...]]:
    """The parts of a string with its nested strings spelled out in place, one tuple per
    alternative of a part that has strings among its alternatives (at most ``limit``)."""
    out: list[tuple[Val, ...]] = [()]
    for part in value.parts:
        options: list[tuple[Val, ...]] = []
        for alt in alts(part) if type(part) is OneOf else (part,):
            options.extend(spelled_out(alt, limit) if type(alt) is StrV else [(alt,)])
        out = [done + more for done in out for more in options][:limit]
    return out


# -- the rows of a listing (a query's items have no key of their own read: model/keys.py) ----
def rebuilt_row_key(index: KeyIndex, pinned: Val, written: Val, read: ReadEvent) -> bool:
    """Is ``written`` the value a listing's key condition gave an attribute (``pinned``)
    rebuilt from the row's own id (``f"LOAD#{bid.load_id}"`` of a row listed by
    ``Key("pk").eq(f"LOAD#{load_id}")``): the row kept in its partition, not moved?"""
    return any(own_id(index, x, y, read) for x in alts(index.canon(pinned)) for y in alts(index.canon(written)))


def row_key_part(value: Val, read: ReadEvent, name: str) -> bool:
    """Is ``value`` attribute ``name`` built of the listed row's own attributes, pieces of them
    split apart, and literals (``f"BID#{bid.bid_id}"``, ``f"MEMBER#{item['sk'].split('#')[1]}"``),
    starting as the query's key condition says the rows do there (``begins_with``: a
    ``NOTICE#`` key beside rows listed as ``HOLD#`` is another item)?"""
    prefix = dict(read.starts).get(name)
    if prefix is not None and not all(leading_text(alt).startswith(prefix) for alt in alts(value)):
        return False
    parts = [part for alt in alts(value) for part in (alt.parts if type(alt) is StrV else (alt,))]
    made = [part for part in parts if type(part) is not ConstV]
    # (a part with alternatives: one of them the row's, as the index's ``_taken_from``; the row's
    # own value of this very attribute dressed up, ``"audit#" + item["pk"]``, names another item)
    return bool(made) and all(any(_of_row(alt, read, name) for alt in alts(part)) for part in made)


def _of_row(part: Val, read: ReadEvent, name: str) -> bool:
    """An attribute of the row ``read`` listed other than ``name`` itself, or a piece of one
    split apart."""
    part = untyped(converted_from(typed(part)))
    if type(part) is OneOf:  # ``str(x)`` of one of several values: one of them the row's
        return any(_of_row(alt, read, name) for alt in alts(part))
    whole = part.of if type(part) is ElemV else part.base if type(part) is SubV else None
    piece = type(whole) is CallV and whole.fn in SPLITS and whole.recv is not None
    if piece:
        part = untyped(converted_from(typed(whole.recv)))  # type: ignore[union-attr]
    elif (rest := after_prefix(part)) is not None:  # what follows its prefix (``pk.removeprefix("ADV#")``)
        part, piece = untyped(converted_from(typed(rest[0]))), True
    return type(part) is SubV and type(part.base) is ReadItemV and part.base.read == read.id \
        and (piece or const_str(part.index) != name)
