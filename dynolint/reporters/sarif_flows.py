"""SARIF ``codeFlows`` for the read-then-write races (DYN101-DYN104): the race told as two
concurrent requests, A and B, one ``threadFlow`` each, whose steps interleave by
``executionOrder`` into the schedule that loses the update:

- DYN101, DYN102, DYN103: A reads the item, B reads it, A writes, B writes over A's change;
- DYN104 (cache stampede): A misses, B misses, A pays for the costly work, B pays again,
  A writes the key, B writes it again.

The read site is the finding's first related location (see ``dynolint.rules._race``); the
costly work of a stampede, the related location that names it.
"""

from __future__ import annotations

from dynolint.findings import Finding

RACE_CODES = ("DYN101", "DYN102", "DYN103", "DYN104")
_COSTLY = "costly work here"


def _step(place: dict[str, object], text: str, order: int) -> dict[str, object]:
    return {"location": {**place, "message": {"text": text}}, "executionOrder": order, "nestingLevel": 0}


def code_flows(finding: Finding, where: dict[str, object],
               related_place: dict[int, dict[str, object]]) -> list[dict[str, object]] | None:
    """The codeFlows of one result: ``where`` is the finding's physical location and
    ``related_place`` the physical location of each related location, by index (from 0).
    None for findings that are not races, or that carry no read site."""
    if finding.code not in RACE_CODES or not finding.related:
        return None
    read: dict[str, object] = {"physicalLocation": related_place[0]}
    write: dict[str, object] = {"physicalLocation": where}
    op = finding.message.split(" ", 1)[0]
    if finding.code == "DYN104":
        costly = next((index for index, related in enumerate(finding.related)
                       if related.message.startswith(_COSTLY)), None)
        if costly is None:
            return None
        paid: dict[str, object] = {"physicalLocation": related_place[costly]}
        a = [_step(read, "request A reads the key: a miss.", 1), _step(paid, "request A pays for the work.", 3),
             _step(write, f"request A writes the result ({op}).", 5)]
        b = [_step(read, "request B reads the key before A has written it: a miss too.", 2),
             _step(paid, "request B pays for the same work again.", 4),
             _step(write, f"request B writes the result again ({op}).", 6)]
        summary = "Two concurrent requests both miss the cache, and both pay for the work."
    else:
        a = [_step(read, "request A reads the item.", 1), _step(write, f"request A writes its change ({op}).", 3)]
        b = [_step(read, "request B reads the same item, before A writes.", 2),
             _step(write, f"request B writes its change ({op}) over A's: A's update is lost.", 4)]
        summary = "Two concurrent requests read the same item; the later write loses the earlier one."
    return [{"message": {"text": summary}, "threadFlows": [
        {"id": "request-A", "message": {"text": "Request A."}, "locations": a},
        {"id": "request-B", "message": {"text": "Request B."}, "locations": b},
    ]}]


__all__ = ["RACE_CODES", "code_flows"]
