"""``with`` runs the project's context managers as Python does: ``__enter__`` (or
``__aenter__``) before the body and ``__exit__`` after it, also where the body returns; a
generator function made a context manager by ``contextlib.contextmanager`` runs up to its
``yield``, then the body, then the rest of the generator. The callbacks pushed on a
``contextlib`` exit stack run where its block ends, the last pushed first."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

HEAD = '''import contextlib
import boto3

t = boto3.resource("dynamodb").Table("n")


'''

LEASE_CLASS = '''class Lease:
    def __init__(self, pk):
        self.pk = pk

    def __enter__(self):
        t.update_item(Key={"pk": self.pk}, UpdateExpression="SET leased = :t",
                      ConditionExpression="attribute_not_exists(leased)", ExpressionAttributeValues={":t": True})
        return self

    def __exit__(self, *exc):
        t.update_item(Key={"pk": self.pk}, UpdateExpression="REMOVE leased")


'''

LEASE_GENERATOR = '''@contextlib.contextmanager
def lease(pk):
    t.update_item(Key={"pk": pk}, UpdateExpression="SET leased = :t",
                  ConditionExpression="attribute_not_exists(leased)", ExpressionAttributeValues={":t": True})
    try:
        yield pk
    finally:
        t.update_item(Key={"pk": pk}, UpdateExpression="REMOVE leased")


'''

EDIT = '''        item = t.get_item(Key={"pk": k})["Item"]
        item["n"] = item["n"] + 1
        t.put_item(Item=item)
'''


def kinds(source: str) -> list[str]:
    return list(race_kinds(model_of({"f.py": HEAD + source})).values())


@pytest.mark.parametrize("manager", ["Lease(k)", "lease(k)"])
def test_a_claim_taken_on_entering_covers_the_body(manager: str) -> None:
    source = LEASE_CLASS + LEASE_GENERATOR + f"def h(k):\n    with {manager}:\n" + EDIT
    assert kinds(source) == []


def test_without_the_manager_the_body_races() -> None:
    """The control: the same body outside the ``with``."""
    source = LEASE_CLASS + LEASE_GENERATOR + "def h(k):\n    if k:\n" + EDIT
    assert kinds(source) == ["counter"]


def test_an_async_manager_enters_with_aenter() -> None:
    source = LEASE_CLASS.replace("def __enter__", "async def __aenter__").replace(
        "def __exit__", "async def __aexit__") + "async def h(k):\n    async with Lease(k):\n" + EDIT
    assert kinds(source) == []


EDITOR = '''class Editing:
    def __init__(self, pk):
        self.pk = pk

    def __enter__(self):
        self.item = t.get_item(Key={"pk": self.pk})["Item"]
        return self.item

    def __exit__(self, *exc):
        t.put_item(Item=self.item)


'''


def test_a_write_in_exit_follows_the_read_in_enter() -> None:
    source = EDITOR + 'def h(k, v):\n    with Editing(k) as item:\n        item["v"] = v\n'
    assert kinds(source) == ["overwrite"]


def test_exit_runs_where_the_body_returns() -> None:
    source = EDITOR + 'def h(k, v):\n    with Editing(k) as item:\n        return item\n'
    assert kinds(source) == ["overwrite"]


def test_a_generator_manager_runs_the_body_at_its_yield() -> None:
    """What follows the ``yield`` runs after the body: the body's read comes before that
    write (run eagerly, the generator wrote first and the pair was never seen)."""
    source = '''@contextlib.contextmanager
def closing_out(pk):
    yield pk
    t.put_item(Item={"pk": pk, "status": "CLOSED"})


def h(k):
    with closing_out(k) as key:
        item = t.get_item(Key={"pk": key})["Item"]
        if item["status"] == "OPEN":
            notify(item)


def notify(item):
    return item
'''
    assert kinds(source) == ["overwrite"]


def test_a_manager_that_never_yields_skips_the_body() -> None:
    source = '''@contextlib.contextmanager
def never(pk):
    raise RuntimeError("no")
    yield


def h(k):
    item = t.get_item(Key={"pk": k})["Item"]
    with never(k):
        t.put_item(Item=item)
'''
    assert kinds(source) == []


FINISH = '''def finish(pk, state):
    t.put_item(Item={"pk": pk, "state": state})


async def finish_later(pk, state):
    t.put_item(Item={"pk": pk, "state": state})


'''


# the callback is pushed before the body reads the job: it runs after the read
PUSH_THEN_READ = '''def h(k):
    with contextlib.ExitStack() as stack:
        stack.callback(finish, k, "DONE")
        job = t.get_item(Key={"pk": k})["Item"]
        if job["state"] != "QUEUED":
            return None
        return job
'''


def test_a_callback_pushed_on_an_exit_stack_runs_where_the_block_ends() -> None:
    """``stack.callback(fn, *args)`` runs ``fn`` after the body: its put follows the body's read."""
    source = FINISH + PUSH_THEN_READ
    assert kinds(source) == ["overwrite"]


def test_an_async_exit_stack_runs_its_async_callbacks() -> None:
    source = FINISH + '''async def h(k):
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(finish_later, k, state="DONE")
        job = t.get_item(Key={"pk": k})["Item"]
        if job["state"] == "QUEUED":
            print(job)
'''
    assert kinds(source) == ["overwrite"]


def test_exit_stack_callbacks_run_last_pushed_first() -> None:
    """The store is pushed after the load, so it runs before it: no read precedes the write."""
    source = FINISH + '''def load(pk):
    return t.get_item(Key={"pk": pk})["Item"]


def h(k):
    with contextlib.ExitStack() as stack:
        stack.callback(load, k)
        stack.callback(finish, k, "DONE")
'''
    assert kinds(source) == []


def test_a_conditional_write_in_an_exit_callback_is_no_race() -> None:
    source = '''def finish(pk, state):
    t.put_item(Item={"pk": pk, "state": state}, ConditionExpression="attribute_not_exists(pk) OR #s = :q",
               ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":q": "QUEUED"})


''' + PUSH_THEN_READ
    assert kinds(source) == []


def test_a_manager_entered_on_an_exit_stack_is_entered_and_left() -> None:
    """``stack.enter_context(Lease(k))`` runs ``__enter__`` there (the claim covers the rest of
    the block) and ``__exit__`` where the block ends."""
    source = LEASE_CLASS + "def h(k):\n    with contextlib.ExitStack() as stack:\n        stack.enter_context(Lease(k))\n" + EDIT
    assert kinds(source) == []


def test_the_exit_of_a_manager_entered_on_an_exit_stack_runs_at_the_end() -> None:
    source = EDITOR + '''async def h(k, v):
    async with contextlib.AsyncExitStack() as stack:
        item = stack.enter_context(Editing(k))
        item["v"] = v
'''
    assert kinds(source) == ["overwrite"]
