"""A write in a shared helper that several paths reach after reads of their own is reported
once, at the write (one finding per location, the most direct path chosen); the reads of the
other racy paths are named beside it (related locations of kind ``other-read``), so a fix
made for the path the message tells of is not taken for the whole story."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in

STORE = '''
import boto3

jobs = boto3.resource("dynamodb").Table("jobs")

def set_state(job_id, state):
    jobs.update_item(Key={"job_id": job_id}, UpdateExpression="SET #s = :s",
                     ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":s": state})
'''

START = '''
from store import jobs, set_state

def handler(event, context):
    job = jobs.get_item(Key={"job_id": event["job_id"]})["Item"]
    if job["state"] == "WAITING":
        set_state(job["job_id"], "RUNNING")
'''

CANCEL = '''
from store import jobs, set_state

def handler(event, context):
    job = jobs.get_item(Key={"job_id": event["id"]}, ConsistentRead=True)["Item"]
    if job["state"] != "DONE":
        set_state(event["id"], "CANCELLED")
'''


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))


def test_the_other_racy_paths_to_a_shared_write_are_named(tmp_path: Path) -> None:
    _write(tmp_path, {"store.py": STORE, "start.py": START, "cancel.py": CANCEL})
    (finding,) = findings_in(tmp_path).findings
    assert (finding.code, finding.path, finding.line) == ("DYN101", "store.py", 7)
    reads = {(r.path, r.line) for r in finding.related if r.kind == "read"}
    others = {(r.path, r.line) for r in finding.related if r.kind == "other-read"}
    assert len(reads) == 1 and len(others) == 1
    assert reads | others == {("start.py", 5), ("cancel.py", 5)}


def test_one_racy_path_names_no_other(tmp_path: Path) -> None:
    _write(tmp_path, {"store.py": STORE, "start.py": START})
    (finding,) = findings_in(tmp_path).findings
    assert [r for r in finding.related if r.kind == "other-read"] == []
    assert {(r.path, r.line) for r in finding.related if r.kind == "read"} == {("start.py", 5)}
