"""Choose the fix for a race from what the analysis knows: the key schema, the version
attribute, whether the path branched on the item's absence, what the write's values
derive from. Where a fix would need a guess, say which fact would enable it instead."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.fixes import versioning
from dynolint.fixes.counter_shapes import (
    arith_of, converted, counts_from, known_type, number_typed, numeric, reads_attr, result_template,
)
from dynolint.fixes.pins import decided, derived, pins
from dynolint.fixes.plans import AtomicPlan, ClaimPlan, Condition, GuardPlan, Plan, Skip
from dynolint.model.expressions import parse_update
from dynolint.model.key_schema import known_key_attrs
from dynolint.model.deployment import table_names
from dynolint.model.values import (
    ClassV, DictV, OneOf, PynModelV, ReadItemV, Val, alts, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.races import Race


def table_label(model: Model, table: Val) -> str:
    if isinstance(table, PynModelV):
        return table.cls.qualname
    names = sorted(table_names(table))
    return names[0] if names else "<table name>"


def version_attr(model: Model, table: Val) -> str | None:
    if isinstance(table, PynModelV):
        return model.interp.pyn_info(table).version
    facts = model.project.table_facts(table)
    return facts.version_attribute if facts is not None else None


def plan_for(model: Model, race: Race) -> Plan:
    write = race.write
    if race.kind == "batch" or write.batch:
        return Skip("batch writes cannot carry a condition: move the write to put_item/update_item with a "
                    "ConditionExpression, or to transact_write_items")
    if write.flavor == "partiql":
        return Skip("PartiQL: add a predicate on the version attribute to the statement's WHERE clause")
    if race.left_open:
        return Skip("the write already has a condition: extend it (AND) to pin what the code decided on, or a "
                    "version attribute that every writer bumps")
    if race.unpinned:
        return Skip("the write already has a condition: extend it (AND) to pin the attributes the written values "
                    "are computed from, or a version attribute that every writer bumps")
    if race.kind == "stampede":
        return _claim_plan(model, race)
    if race.kind == "allocate":
        model_name = _model_name(model, write.loc[0], write.table) if isinstance(write.table, PynModelV) else None
        return versioning.allocate_plan(model, race, known_key_attrs(model, write.table, write.loc[0]), table_label(model, write.table),
                                        model_name)
    if race.kind == "counter":
        atomic = _atomic_plan(model, race)
        if not isinstance(atomic, Skip):
            return atomic
        guard = _guard_plan(model, race)
        # no atomic rewrite of a PynamoDB save exists: why the guard cannot be added says more
        return guard if not isinstance(guard, Skip) or write.flavor == "pynamodb" else atomic
    return _guard_plan(model, race)


def _undecidable(model: Model, race: Race) -> Skip | None:
    """A Skip when the path decided on the read item through something no set of pinned
    attributes covers (the item passed whole to a call): a guard pinning only some
    attributes would let the write act where the code refused."""
    for decision in race.record.decisions:
        if decision.read == race.read.id and decision.attribute is None and decision.whole:
            return Skip(f"the code decides on the item read at line {model.line_of(race.read.loc)} with "
                        f"{decision.why} (line {model.span(decision.site).line}) that uses the item as a whole: no "
                        "condition can pin what it looked at, so there is no automatic fix")
    return None


def _item_name(model: Model, race: Race) -> str | None:
    names = [name for read, name, is_item in race.record.bindings if read == race.read.id and is_item]
    return sorted(names)[0] if names else None


def _presence_names(race: Race) -> tuple[str, ...]:
    return tuple(sorted({name for read, name, _ in race.record.bindings if read == race.read.id}))


def _changed_in_place(model: Model, race: Race) -> Skip | None:
    """A Skip when a part of the item read was changed in place before the write (``stages =
    item["Workflow"]["Stages"]; stages[name]["Status"] = s``): a guard pinning the values read
    would compare with the changed ones, and every write would fail."""
    where = model.interp.changed_in_place.get(race.read.id)
    if where is None:
        return None
    return Skip(f"a part of the item read at line {model.line_of(race.read.loc)} is changed in place at line "
                f"{model.span(where).line}: the values to pin are gone; set a version-attribute for the table "
                "for an optimistic-lock fix, or guard the write by hand with the values as read")


def _guard_plan(model: Model, race: Race) -> Plan:
    write, read, record = race.write, race.read, race.record
    span = model.span(write.loc)
    label = table_label(model, write.table)
    keys = known_key_attrs(model, write.table, write.loc[0])
    from_read = bool(model.taint_all(write.values).read_ids() & {read.id})
    absent = read.id in record.absent
    model_name = None
    if write.flavor == "pynamodb" and isinstance(write.table, PynModelV):
        model_name = _model_name(model, write.loc[0], write.table)
    mode = None
    if absent and not from_read:
        if write.op in ("put_item", "save"):
            mode = "not_exists"
        elif write.op in ("update", "delete"):
            mode = "exists"
        elif write.op in ("update_item", "delete_item"):
            mode = "pinned"
    if mode == "pinned" and write.flavor in ("resource", "low"):
        blocked = _undecidable(model, race) or _changed_in_place(model, race)
        if blocked is not None:
            return blocked
        if not keys:
            return Skip(f"the key schema of table {label} is not known: set [tool.dynolint.tables.{label}] "
                        "partition-key to enable the fix")
        kept, copied, changed = pins(model, race)
        return GuardPlan(span.line, span.column, write.flavor, write.op, "pinned", key_attr=keys[0],
                         item_expr=_item_name(model, race), presence=_presence_names(race),
                         decided=kept, derived=copied, changed=changed)
    if mode is not None:
        if not keys:
            return Skip(f"the key schema of table {label} is not known: set [tool.dynolint.tables.{label}] "
                        "partition-key to enable the fix")
        return GuardPlan(span.line, span.column, write.flavor, write.op, mode, key_attr=keys[0],
                         model_name=model_name, presence=_presence_names(race))
    version = version_attr(model, write.table)
    if version is None:
        item_name = _item_name(model, race)
        if write.flavor == "pynamodb":
            if write.op in ("save", "update") and item_name and model_name and keys:
                if absent:  # ``except DoesNotExist: acct = Account(id)``: the update's exists() fails there
                    return Skip(f"the code writes {label} also where the read found no item (it creates it): an "
                                "update conditioned on the item existing would fail there; give the model a "
                                "VersionAttribute, or guard the two paths by hand")
                blocked = _undecidable(model, race)
                return blocked or GuardPlan(span.line, span.column, write.flavor, write.op, "pyn_update",
                                            key_attr=keys[0], item_expr=item_name, model_name=model_name,
                                            table_label=label, decided=decided(model, race), derived=derived(race))
            return Skip(f"add a VersionAttribute to {label} (optimistic locking) or pass condition= to the write")
        if item_name is not None and write.flavor in ("resource", "low") and versioning.puts_read_item_back(race):
            return versioning.put_back_plan(model, race, item_name, keys[0] if keys else None, label)
        if item_name is not None and keys and write.flavor in ("resource", "low"):
            blocked = _undecidable(model, race) or _changed_in_place(model, race)
            if blocked is not None:
                return blocked
            # pin the attributes the write depends on, when the item read is not changed in Python
            kept, copied, changed = pins(model, race)
            return GuardPlan(span.line, span.column, write.flavor, write.op, "pinned", key_attr=keys[0],
                             item_expr=item_name, needs_pins=True, table_label=label,
                             presence=_presence_names(race), decided=kept, derived=copied, changed=changed)
        return Skip(f"no version attribute is known for table {label}: set [tool.dynolint.tables.{label}] "
                    "version-attribute to enable an optimistic-lock fix")
    if write.flavor == "pynamodb":
        return Skip(f"pass add_version_condition=True (the default) so {label}'s VersionAttribute guards the write")
    item_name = _item_name(model, race)
    if item_name is None:
        return Skip("the item that was read is not held in a variable where it is written; add the condition "
                    f"'{version} = <version read>' by hand")
    return GuardPlan(span.line, span.column, write.flavor, write.op, "version", key_attr=keys[0] if keys else None,
                     version_attr=version, item_expr=item_name, table_label=label, presence=_presence_names(race))


def _model_name(model: Model, path: str, table: PynModelV) -> str | None:
    env = model.interp.module_envs.get(path, {})
    for name, value in env.items():
        if isinstance(value, ClassV) and value == table.cls:
            return name
    return None


def _written_dict(item: Val | None, read: int) -> Val | None:
    """The dict a put writes, when every path's item is known attribute by attribute: the
    item itself, or, for the item read or a default (``resp.get("Item") or {...}``,
    ``items[0] if items else {...}``) changed attribute by attribute, the default's dict,
    which lists every attribute the code set on either (what the read item holds beyond
    them an update leaves as it is in the table)."""
    if not isinstance(item, OneOf):
        return item

    def the_read(alt: Val) -> bool:  # the item read, or it with entries set
        return isinstance(alt, ReadItemV) and alt.read == read or isinstance(alt, DictV) and len(alt.spreads) == 1 \
            and isinstance(alt.spreads[0], ReadItemV) and alt.spreads[0].read == read
    defaults = [a for a in alts(item) if isinstance(a, DictV) and not a.spreads]
    others = [a for a in alts(item) if a not in defaults]
    if len(defaults) == 1 and others and all(the_read(a) for a in others):
        return defaults[0]
    return item


def _put_counter_plan(model: Model, race: Race) -> Plan:
    """A put_item of a whole item whose counter is the read value plus a delta: the same
    write as an update_item that ADDs the delta and SETs the other attributes it writes."""
    write, read = race.write, race.read
    item = _written_dict(write.item, read.id)
    if write.flavor != "resource" or not isinstance(item, DictV) or item.spreads:
        return Skip("only a put_item of an item whose attributes are all known (a dict, or the item read and "
                    "changed attribute by attribute) can become an atomic update_item")
    keys = known_key_attrs(model, write.table, write.loc[0])
    label = table_label(model, write.table)
    if not keys:
        return Skip(f"the key schema of table {label} is not known: set [tool.dynolint.tables.{label}] "
                    "partition-key to enable the fix")
    written = [const_str(name) for name, _ in item.items]
    names = [name for name in written if name is not None]
    if len(names) != len(written) or any(key not in names for key in keys):
        return Skip("the item's attribute names, or its key, are not all written out")
    counters = []
    for attribute, (_, value) in zip(names, item.items):
        if len(alts(value)) > 1 and any(arith_of(alt) is not None for alt in alts(value)):
            return Skip(f"the value written to {attribute!r} is computed in more than one way (a branch, a "
                        "reset): an atomic ADD would apply one of them on every path")
        arith = arith_of(value)
        if arith is None or arith.loc is None or arith.op not in ("+", "-"):
            continue
        left, right = model.taint(arith.left).read_ids(), model.taint(arith.right).read_ids()
        if read.id in left and not right and reads_attr(arith.left, attribute):
            counters.append((attribute, arith, arith.loc, "right", arith.op == "-"))
        elif read.id in right and not left and arith.op == "+" and reads_attr(arith.right, attribute):
            counters.append((attribute, arith, arith.loc, "left", False))
    if len(counters) != 1:
        return Skip("the put_item does not write exactly one counter (an attribute read plus or minus a delta)")
    attribute, arith, delta_loc, side, negate = counters[0]
    if any(read.id in model.taint(value).read_ids() for name, value in item.items
           if const_str(name) != attribute and const_str(name) not in keys):
        return Skip("other attributes of the put_item are computed from the item read: an update cannot keep them")
    conditions = _conditions(model, race)
    if isinstance(conditions, Skip):
        return conditions
    counted = arith.left if side == "right" else arith.right
    if (skip := counts_from(model, read.id, counted, attribute, conditions)) is not None:
        return skip
    span, delta = model.span(write.loc), model.span(delta_loc)
    result = result_template(arith.left if side == "right" else arith.right)
    sets = tuple(n for n in names if n != attribute and n not in keys)
    return AtomicPlan(span.line, span.column, write.flavor, attribute, "", delta.line, delta.column, side, negate,
                      False, conditions, result, put=True, key_attrs=tuple(keys), sets=sets)


def _atomic_plan(model: Model, race: Race) -> Plan:
    write, read = race.write, race.read
    if write.op == "put_item":
        return _put_counter_plan(model, race)
    if write.op != "update_item" or write.flavor not in ("resource", "low"):
        return Skip("only an update_item with SET can be rewritten to an atomic ADD automatically")
    call = _write_kwargs(model, race)
    if call is None:
        return Skip("the update's arguments are not written out in the call")
    expression, names, values = call
    actions = parse_update(expression, names) if expression is not None else None
    if not actions:
        return Skip("the UpdateExpression is not a literal string")
    for number, action in enumerate(actions):
        if action.clause != "SET" or action.atomic or len(action.placeholders) != 1:
            continue
        placeholder = action.placeholders[0]
        value = values.get(placeholder)
        if value is None or action.expression.strip() != placeholder:
            continue
        if len(alts(value)) > 1 and any(arith_of(alt) is not None for alt in alts(value)):
            return Skip(f"the value written to {action.path!r} is computed in more than one way (a branch, a "
                        "reset): an atomic ADD would apply one of them on every path")
        arith = arith_of(value)
        if arith is None or arith.loc is None or arith.op not in ("+", "-"):
            continue
        left_reads = model.taint(arith.left).read_ids()
        right_reads = model.taint(arith.right).read_ids()
        if read.id in left_reads and not right_reads and reads_attr(arith.left, action.path):
            side, negate = "right", arith.op == "-"
        elif read.id in right_reads and not left_reads and arith.op == "+" and reads_attr(arith.right, action.path):
            side, negate = "left", False
        else:
            continue
        if any(read.id in model.taint(other).read_ids() for name, other in values.items() if name != placeholder):
            return Skip("other values of the update are computed from the item read: made atomic, the counter "
                        "would be written beside their stale copies")
        conditions = _conditions(model, race)
        if isinstance(conditions, Skip):
            return conditions
        counted = arith.left if side == "right" else arith.right
        if (skip := counts_from(model, read.id, counted, action.path, conditions)) is not None:
            return skip
        if write.flavor == "low" and not number_typed(arith.left if side == "right" else arith.right):
            return Skip(f"{action.path!r} is not read as a number ({{'N': ...}}): an atomic ADD needs one")
        span, delta = model.span(write.loc), model.span(arith.loc)
        counter = arith.left if side == "right" else arith.right
        result = result_template(counter)
        unsafe = _unsafe_because(model, race, counter, arith.right if side == "right" else arith.left, result,
                                 joins=arith.op == "+")
        return AtomicPlan(span.line, span.column, write.flavor, action.path, placeholder, delta.line, delta.column,
                          side, negate, not unsafe, conditions, result, unsafe_because=unsafe, action=number)
    return Skip("the counter is not a single SET of the attribute that was read plus or minus a delta")


def _conditions(model: Model, race: Race) -> tuple[Condition, ...] | Skip:
    """The path's decisions on the read item as conditions; a Skip naming the first one that
    cannot be a condition (an atomic update without it would act where the code refused)."""
    out: list[Condition] = []
    for decision in race.record.decisions:
        if decision.read != race.read.id:
            continue
        line = model.span(decision.site)
        if decision.attribute is None:
            return Skip(f"the code decides on the item read at line {model.line_of(race.read.loc)} with "
                        f"{decision.why} (line {line.line}), which cannot be the condition of an atomic update: "
                        "rewriting it to an atomic ADD would drop that decision, so there is no automatic fix")
        out.append(Condition(line.line, line.column, decision.part, decision.attribute, decision.op,
                             decision.swapped, decision.type_tag, decision.branch))
    return tuple(dict.fromkeys(out))


def _unsafe_because(model: Model, race: Race, counter: Val, delta: Val, result: str | None,
                    joins: bool = False) -> str:
    """Why an atomic update could raise, refuse or answer where the code did not ("" if it cannot).
    ``joins``: the code adds with ``+``, which also joins strings (and lists)."""
    if _item_name(model, race) is not None and result is None:
        return "the new value cannot be read back from the write: the code would go on with the stale one"
    if race.write.flavor != "low" and converted(counter):
        return ("the counter is converted (int(), Decimal()...) before the addition: stored as a string, the code "
                "added to it and an atomic ADD fails")
    if not _values_sendable(model, race, delta, race.write.flavor):
        return "a value the kept condition compares with may be a float, which boto3 refuses to send"
    if joins and race.write.flavor != "low" and not numeric(delta) and not numeric(counter):
        return ("the value added is not known to be a number: if the attribute holds a string, + joins it and "
                "an atomic ADD fails on every call")
    return ""


def _values_sendable(model: Model, race: Race, delta: Val, flavor: str) -> bool:
    """Can every value a kept condition compares with be sent to DynamoDB wherever the code ran?
    The delta itself can (a float delta failed the code's own write too); other values only
    when their type is known (a float compared in Python would make boto3 raise)."""
    for decision in race.record.decisions:
        if decision.read != race.read.id or decision.other is None:
            continue
        if decision.other == delta or (flavor == "low" and decision.type_tag == "N"):
            continue  # {"N": str(x)} holds any number
        if not known_type(decision.other):
            return False
    return True


def _write_kwargs(model: Model, race: Race) -> tuple[str | None, dict[str, str], dict[str, Val]] | None:
    """The UpdateExpression text, names and values of a write, as the interpreter saw them."""
    spec = race.write.update
    if spec is None:
        return None
    return spec.expression, dict(spec.names), dict(spec.values)


def _claim_plan(model: Model, race: Race) -> Plan:
    write, read = race.write, race.read
    if read.frame != write.frame:
        return Skip("the read and the write are in different functions: claim the key by hand "
                    "(see `dynolint explain DYN104`)")
    if write.flavor not in ("resource", "low"):
        return Skip("the claim rewrite supports boto3 tables and clients")
    test = model.interp.absence_sites.get(read.id)
    item_name = _item_name(model, race)
    keys = known_key_attrs(model, write.table, write.loc[0])
    label = table_label(model, write.table)
    if not keys:
        return Skip(f"the key schema of table {label} is not known: set [tool.dynolint.tables.{label}] partition-key")
    if test is None or item_name is None or test[0] != write.loc[0]:
        return Skip("the miss is not tested on a variable holding the read item in the writing function")
    span = model.span(write.loc)
    return ClaimPlan(span.line, span.column, model.stmt_span(read.loc).line, model.span(test).line,
                     False, write.flavor, keys[0], item_name, write.op)
