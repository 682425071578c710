"""A read-then-write race told as two concurrent requests.

A DYN10x finding says "this write can lose an update"; the interleaving shows how: request A
and request B run the same path, their steps interleaved in the one order that loses A's
work. Only locations the finding has are used (the read site, the calls leading to the read
and to the write, the costly work, the write itself): nothing is invented.

- DYN101/DYN102/DYN103: A reads, B reads, A writes, B writes over A's write.
- DYN104 (stampede): A reads and misses, B reads and misses, A pays for the work, B pays
  again, A writes, B writes.

Used by the SARIF reporter (``codeFlows`` with one ``threadFlow`` per request) and by the
text reporter's ``--explain``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynolint.findings import Finding, Related

RACE_CODES = ("DYN101", "DYN102", "DYN103", "DYN104")


@dataclass(frozen=True, slots=True)
class Step:
    order: int  # 1-based position in the interleaving
    request: str  # "A" or "B"
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str


_LAST_WRITE = {
    "DYN101": "request B writes the item over A's write: A's update is lost",
    "DYN102": "request B writes its value, computed from the same stale read, over A's: A's change is lost",
    "DYN103": "request B's batch write replaces the item A wrote: A's update is lost",
    "DYN104": "request B writes the item again: both requests paid for the same work",
}


def _at(where: Related | Finding, order: int, request: str, message: str) -> Step:
    return Step(order, request, where.path, where.line, where.column, where.end_line, where.end_column, message)


def _work(costly: Related) -> str:
    """What the costly work is, from its related location's message ("costly work here: X")."""
    return costly.message.partition(": ")[2] or "the costly work"


def interleaving(finding: Finding) -> list[Step]:
    """The steps of the lost update (or the double payment), in execution order; empty for a
    finding that is not a read-then-write race or has no read site."""
    if finding.code not in RACE_CODES:
        return []
    reads = [r for r in finding.related if r.kind == "read"]
    if not reads:
        return []
    read = reads[0]
    to_read = [r for r in finding.related if r.kind == "read-call"]
    to_write = [r for r in finding.related if r.kind == "write-call"]
    costly = [r for r in finding.related if r.kind == "costly"]
    stampede = finding.code == "DYN104"
    plan: list[tuple[str, Related | Finding, str]] = []
    for request in ("A", "B"):
        plan.extend((request, call, f"request {request} calls towards the read") for call in to_read)
        plan.append((request, read, f"request {request} reads the key and finds no item" if stampede
                     else f"request {request} reads the item"))
    if stampede:
        for request in ("A", "B"):
            plan.extend((request, work, f"request {request} pays for {_work(work)}") for work in costly)
    for request in ("A", "B"):
        plan.extend((request, call, f"request {request} calls towards the write") for call in to_write)
        plan.append((request, finding, _LAST_WRITE[finding.code] if request == "B" else
                     "request A writes the item, decided on what it read"))
    return [_at(where, order, request, message) for order, (request, where, message) in enumerate(plan, start=1)]


def summary(finding: Finding) -> str:
    """One sentence for the whole flow."""
    if finding.code == "DYN104":
        return "Two concurrent requests both miss, both pay for the work, and both write."
    return "Two concurrent requests read the same item before either writes: the second write loses the first."


__all__ = ["RACE_CODES", "Step", "interleaving", "summary"]
