"""Race lab k: read, compute in Python, update_item of one attribute (no version attribute).

Two concurrent requests add a note to the same document: each reads the notes, adds its own
line and writes the text back with ``SET notes = :notes``. The interleaving is forced from outside
(a :class:`ReadGate` holds both GetItem calls until both were answered). Unfixed, both callers
are told their note was added and one of them is gone; fixed (the guard pins the attribute the
written value was computed from), the loser's request fails on the condition and nothing is
lost behind a success.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .harness import ReadGate, load_module, report, run_concurrently, unload
from .test_racelab import SCENARIOS, _errors, _statuses, fixed_copy

pytestmark = pytest.mark.racelab

NOTE_KEYS = ["notes", "survived", "silently_lost", "statuses", "gate_forced", "errors"]


def measure_notes(project_dir: str | Path, lab: Lab, notes: tuple[str, ...] = ("urgent", "legal"),
                  seed: str | None = "draft") -> dict[str, Any]:
    """Two concurrent notes on document d-9, seeded with ``seed`` as its notes (None: a document
    that has no notes yet, which the code reads with ``.get("notes", "")``)."""
    import boto3

    table_name = lab.table("document_id", env_var="DOCUMENTS_TABLE")
    item = {"document_id": "d-9"} if seed is None else {"document_id": "d-9", "notes": seed}
    lab.dynalite.resource().Table(table_name).put_item(Item=item)
    lab.fresh_boto3()
    boto3.setup_default_session()  # restored by the lab's monkeypatch at teardown
    gate = ReadGate(parties=len(notes))
    gate.install(boto3.DEFAULT_SESSION, "GetItem")
    mod = load_module(project_dir, "documents")
    try:
        events = [{"pathParameters": {"document_id": "d-9"}, "body": json.dumps({"note": note})}
                  for note in notes]
        burst = run_concurrently(mod.add_note, [(event, None) for event in events], threads=len(events))
    finally:
        unload(mod)
    final = lab.dynalite.resource().Table(table_name).get_item(
        Key={"document_id": "d-9"}, ConsistentRead=True)["Item"]
    kept = final.get("notes", "").splitlines()
    survived = [note for note in notes if note in kept]
    silently_lost = [note for note, outcome in zip(notes, burst)
                     if note not in kept and outcome.ok and outcome.result.get("statusCode") == 200]
    return {
        "notes": kept,
        "survived": survived,
        "silently_lost": silently_lost,
        "statuses": _statuses(burst),
        "gate_forced": gate.held == len(notes) and not gate.broken,
        "errors": _errors(burst),
    }


def test_update_from_read_unfixed_and_fixed(lab: Lab, tmp_path: Path) -> None:
    unfixed = measure_notes(SCENARIOS / "update_from_read", lab)
    project, fixed_codes = fixed_copy("update_from_read", tmp_path)
    assert fixed_codes == ["DYN101"]
    fixed = measure_notes(project, lab)
    report("update_from_read", "original", unfixed, NOTE_KEYS)
    report("update_from_read", "fixed", fixed, NOTE_KEYS)
    assert unfixed["gate_forced"] and unfixed["errors"] == []
    assert unfixed["statuses"] == {200: 2}  # both callers were told their note was added
    assert len(unfixed["silently_lost"]) == 1  # ... and one of the two notes is gone
    assert fixed["gate_forced"]
    assert fixed["silently_lost"] == []
    assert len(fixed["survived"]) == 1 and "draft" in fixed["notes"]
    assert fixed["statuses"] == {200: 1, "ConditionalCheckFailedException": 1}


def test_update_from_read_fixed_on_a_document_without_the_attribute(lab: Lab, tmp_path: Path) -> None:
    """The attribute is read with a default, so the guard must accept its absence (no KeyError)."""
    project, _ = fixed_copy("update_from_read", tmp_path)
    fixed = measure_notes(project, lab, seed=None)
    report("update_from_read", "fixed, no notes yet", fixed, NOTE_KEYS)
    assert not any(e.startswith("KeyError") for e in fixed["errors"])
    assert fixed["silently_lost"] == [] and len(fixed["survived"]) == 1
    assert fixed["statuses"] == {200: 1, "ConditionalCheckFailedException": 1}
