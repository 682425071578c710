"""What the four read-then-write rules share: turning a :class:`Race` into a finding, and
the message of a key allocated from a scan (DYN101, and DYN103 for a batch write)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.findings import Confidence, Finding, Severity

if TYPE_CHECKING:
    from dynolint.model.analysis import Model
    from dynolint.model.races import Race


def describe_write(race: Race) -> str:
    op = race.write.op
    if race.write.flavor == "pynamodb":
        return f"{op}()"
    return op


def race_finding(model: Model, race: Race, code: str, name: str, message: str,
                 severity: Severity = Severity.ERROR) -> Finding:
    write, read = race.write, race.read
    if race.kind == "allocate":
        related = [model.related(read.loc, f"{read.op} whose items the new key is counted from", "read")]
        if race.counted_at is not None:
            related.append(model.related(race.counted_at, "the key is counted here", "allocation"))
    else:
        what = "item read here" if read.sets is None else "item returned here (ReturnValues)"
        related = [model.related(read.loc, what, "read")]
    related.extend(model.chain_related(read.chain, write.chain, kinds=("read-call", "write-call")))
    if race.costly is not None:
        label = "work dynolint cannot see into here" if race.unseen else "costly work here"
        related.append(model.related(race.costly.loc, f"{label}: {race.costly.what}", "costly"))
    related.extend(model.related(other.loc, "another path to this write races with the item read here", "other-read")
                   for other in race.others)
    same_frame = read.frame == write.frame
    confidence = Confidence.HIGH if same_frame and not race.unseen else Confidence.MEDIUM
    from dataclasses import replace

    from dynolint.fixes.planning import plan_for

    finding = model.finding(code, name, write.loc, message, severity, confidence, related)
    return replace(finding, plan=plan_for(model, race))


def allocation_message(model: Model, race: Race) -> str:
    """A new item whose key was counted from a scan or query, created with no guard."""
    write, read = race.write, race.read
    where = f"the {read.op} at {model.line_ref(read.loc, write.loc)}"
    if write.batch:
        return (f"batch write of an item whose key is counted from {where}: two concurrent callers count the same "
                "key and the later write replaces the earlier item; a batch write cannot carry "
                "attribute_not_exists, so create it with put_item (or transact_write_items) under a "
                "ConditionExpression")
    guard = "no condition=" if write.flavor == "pynamodb" else "no ConditionExpression"
    return (f"{describe_write(race)} creates an item whose key is counted from {where} with {guard}: two "
            "concurrent callers count the same key and the later write replaces the earlier item")


def unpinned_message(race: Race, read_line: str) -> str:
    """A conditional write whose written values are computed from attributes of the item read
    that its condition pins none of (``Race.unpinned``)."""
    pins = race.write.guard.pins
    checks = pins.text if pins is not None else "something else"
    if len(checks) > 80:
        checks = checks[:77] + "..."
    named = ", ".join(race.unpinned[:3]) + (f" and {len(race.unpinned) - 3} more" if len(race.unpinned) > 3 else "")
    held = "hold" if len(race.unpinned) > 1 else "holds"
    return (f"{describe_write(race)}'s condition checks {checks} but not that {named} still {held} what was read "
            f"at {read_line}, which the value it writes is computed from: a concurrent change of {named} "
            "between the read and this write is lost")

