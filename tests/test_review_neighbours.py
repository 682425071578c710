"""Neighbouring spellings of this session's classes (the review of 2026-12-06, sixth): a
Counter kept on an object, and a class dependency behind an alias of ``Annotated``."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import line_codes


def test_a_counter_kept_on_an_object_counts_as_a_local_one(tmp_path: Path) -> None:
    source = '''
    from collections import Counter

    import boto3

    polls = boto3.resource("dynamodb").Table("polls")


    class Tally:
        def __init__(self, poll):
            self.poll = poll
            self.votes = Counter(poll["votes"])

        def vote(self, choice):
            self.votes[choice] += 1
            polls.put_item(Item={**self.poll, "votes": dict(self.votes)})


    def handler(event, context):
        Tally(polls.get_item(Key={"poll_id": event["poll"]})["Item"]).vote(event["choice"])
    '''
    assert (16, "DYN102") in line_codes(tmp_path, "polls.py", source)


def test_a_class_dependency_behind_an_alias_of_annotated(tmp_path: Path) -> None:
    source = '''
    import os
    from typing import Annotated as Given

    import boto3
    from fastapi import Depends, FastAPI, Header

    app = FastAPI()
    notes = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])


    class TenantContext:
        def __init__(self, x_tenant_id: str = Header()):
            self.tenant_id = x_tenant_id


    @app.get("/notes/{note_id}")
    def get_note(note_id: str, ctx: Given[TenantContext, Depends()]):
        return notes.get_item(Key={"pk": ctx.tenant_id, "sk": note_id}).get("Item")
    '''
    found = line_codes(tmp_path, "notes.py", source)
    assert {(13, "DYN204"), (19, "DYN201")} <= found, found
