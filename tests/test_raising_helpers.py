"""Calls into project code that raise on every path (model/raising.py). A helper called for its
effect that raises (``conflict("busy")``, ``self._fail(...)``, one in another module) ends the
caller's path, as ``raise`` does: the work and the write after it are not reached, so no race
and no stampede there (each of those was a false finding before). A placeholder (a body raising
``NotImplementedError``, an abstract method, a method of a Protocol), or a call whose value is
used, returns an unknown value and the caller goes on, as before."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.conftest import findings_in, triples

TABLE = '''import boto3
import requests

table = boto3.resource("dynamodb").Table("results")
'''

CLAIMED = '''
class ConflictError(Exception):
    pass


def conflict(msg):
    raise ConflictError(msg)


def claim(key):
    try:
        table.put_item(Item={"pk": key, "state": "PENDING"}, ConditionExpression="attribute_not_exists(pk)")
        return True
    except table.meta.client.exceptions.ConditionalCheckFailedException:
        return False


def handler(event, context):
    key = event["k"]
    if "Item" in table.get_item(Key={"pk": key}):
        return None
    if not claim(key):
        conflict("busy")
    value = requests.get("https://rates.example.com/" + key).json()
    table.put_item(Item={"pk": key, "state": "READY", "value": value})
    return value
'''

SHIP = '''
class Busy(Exception):
    pass


def busy(why):
    raise Busy(why)


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    if order["state"] != "NEW":
        busy("not new")
    busy("orders are read-only")
    order["state"] = "SHIPPED"
    table.put_item(Item=order)
'''


def run(tmp_path: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    return set(triples(findings_in(tmp_path)))


def app(source: str) -> dict[str, str]:
    return {"app.py": TABLE + source}


def line_of(source: str, text: str) -> int:
    return (TABLE + source).splitlines().index(text) + 1


WRITE = "    table.put_item(Item=order)"
STAMPEDE_WRITE = '    table.put_item(Item={"pk": key, "state": "READY", "value": value})'


def test_a_helper_that_raises_after_a_lost_claim_ends_the_losers_path(tmp_path: Path) -> None:
    assert run(tmp_path, app(CLAIMED)) == set()  # only the claim's winner does the work
    # without the helper the loser goes on to the work: a stampede
    unclaimed = CLAIMED.replace('        conflict("busy")\n', '        pass\n')
    assert run(tmp_path, app(unclaimed)) == {("app.py", line_of(unclaimed, STAMPEDE_WRITE), "DYN104")}


def test_a_placeholder_that_raises_not_implemented_error_lets_the_path_go_on(tmp_path: Path) -> None:
    for raised in ("NotImplementedError", "NotImplementedError(msg)", "builtins.NotImplementedError(msg)"):
        placeholder = CLAIMED.replace("raise ConflictError(msg)", f"raise {raised}")
        assert run(tmp_path, app("import builtins\n" + placeholder)) == {
            ("app.py", line_of("import builtins\n" + placeholder, STAMPEDE_WRITE), "DYN104")}


def test_a_helper_in_another_module_ends_the_path(tmp_path: Path) -> None:
    errors = '''class Busy(Exception):
    pass


def reject(reason, code=409):
    if code >= 500:
        raise RuntimeError(reason)
    raise Busy(reason)
'''
    handler = '''
from errors import reject


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    reject("orders are read-only")
    order["state"] = "SHIPPED"
    table.put_item(Item=order)
'''
    assert run(tmp_path, {"errors.py": errors, "app.py": TABLE + handler}) == set()
    # a placeholder in the other module: the path goes on to the write
    placeholder = errors.replace("raise Busy(reason)", "raise NotImplementedError(reason)")
    assert run(tmp_path, {"errors.py": placeholder, "app.py": TABLE + handler}) == {
        ("app.py", line_of(handler, WRITE), "DYN101")}


def test_a_no_return_helper_called_again_ends_the_path_each_time(tmp_path: Path) -> None:
    """The second call of ``busy`` with the same arguments reuses the first one's summary: it
    ends the path too (one annotated ``-> NoReturn`` did not, on reuse)."""
    annotated = "from typing import NoReturn\n" + SHIP.replace("def busy(why):", "def busy(why) -> NoReturn:")
    again = annotated.replace('    busy("orders are read-only")', '    busy("not new")')
    assert run(tmp_path, app(again)) == set()
    once = again.replace('    busy("not new")\n    order', "    order")  # the path where the item is new goes on
    assert run(tmp_path, app(once)) == {("app.py", line_of(once, WRITE), "DYN101")}


def test_a_helper_called_for_its_effect_ends_the_path(tmp_path: Path) -> None:
    assert run(tmp_path, app(SHIP)) == set()


def test_a_helper_through_another_helper_ends_the_path(tmp_path: Path) -> None:
    nested = SHIP + '''

def reject(why):
    print("rejecting", why)
    busy(why)


def other(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    reject("done")
    order["state"] = "SHIPPED"
    table.put_item(Item=order)
'''
    assert run(tmp_path, app(nested)) == set()


def test_methods_that_raise_end_the_path(tmp_path: Path) -> None:
    source = '''
class Busy(Exception):
    pass


class Service:
    def _fail(self, why):
        raise Busy(why)

    @staticmethod
    def _refuse(why):
        raise Busy(why)

    async def _afail(self, why):
        raise Busy(why)

    async def ship(self, event):
        order = table.get_item(Key={"pk": event["id"]})["Item"]
        if event.get("a"):
            self._fail("x")
        elif event.get("b"):
            Service._refuse("y")
        await self._afail("z")
        order["state"] = "SHIPPED"
        table.put_item(Item=order)


async def handler(event, context):
    await Service().ship(event)
'''
    assert run(tmp_path, app(source)) == set()
    write = "        table.put_item(Item=order)"
    goes_on = source.replace('        await self._afail("z")\n', "")  # the paths where no helper ran
    assert run(tmp_path, app(goes_on)) == {("app.py", line_of(goes_on, write), "DYN101")}


def test_a_placeholder_called_for_effect_lets_the_path_go_on(tmp_path: Path) -> None:
    source = '''
class Payments:
    def charge(self, card):
        raise NotImplementedError("configure the payment gateway")


payments = Payments()


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    payments.charge(order["card"])
    order["paid"] = True
    table.put_item(Item=order)
'''
    assert run(tmp_path, app(source)) == {("app.py", line_of(source, WRITE), "DYN101")}


def test_a_stub_that_raises_ignoring_what_it_is_given_lets_the_path_go_on(tmp_path: Path) -> None:
    """A body of one raise that uses none of the parameters (a "configure me" placeholder, any
    exception) stands for the work to come; a helper that raises what it was given refuses."""
    source = '''
class Notifier:
    def publish(self, subject):
        """Send the restock mail."""
        raise RuntimeError("configure me")


def page(team, text):
    raise ValueError("no pager configured")


notifier = Notifier()


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    notifier.publish("restock")
    page("ops", "restock")
    order["state"] = "AVAILABLE"
    table.put_item(Item=order)
'''
    assert run(tmp_path, app(source)) == {("app.py", line_of(source, WRITE), "DYN101")}
    refusing = source.replace('raise RuntimeError("configure me")', "raise RuntimeError(subject)")
    assert run(tmp_path, app(refusing)) == set()  # publish refuses what it is given: the path ends there
    no_params = source.replace("def page(team, text):", "def page():").replace('page("ops", "restock")', "page()")
    no_params = no_params.replace('    notifier.publish("restock")\n', "")
    assert run(tmp_path, app(no_params)) == set()  # a helper with nothing to ignore exists to raise


def test_abstract_and_protocol_methods_let_the_path_go_on(tmp_path: Path) -> None:
    source = '''
from abc import ABC, abstractmethod
from typing import Protocol


class Notifier(ABC):
    @abstractmethod
    def notify(self, order):
        raise RuntimeError("subclasses send the notice")


class Auditor(Protocol):
    def audit(self, order) -> None:
        raise RuntimeError("implemented by the deployment")


def handle(notifier: Notifier, auditor: Auditor, event):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    notifier.notify(order)
    auditor.audit(order)
    order["notified"] = True
    table.put_item(Item=order)
'''
    assert run(tmp_path, app(source)) == {("app.py", line_of(source, WRITE), "DYN101")}
    # a plain class's method that raises with what it is given is a helper: the path ends at it
    concrete = source.replace("    @abstractmethod\n", "").replace("class Auditor(Protocol):", "class Auditor:")
    concrete = concrete.replace('RuntimeError("subclasses send the notice")', "RuntimeError(order)")
    concrete = concrete.replace('RuntimeError("implemented by the deployment")', 'RuntimeError(order["pk"])')
    assert run(tmp_path, app(concrete)) == set()
    # one that ignores it ("implemented by the deployment") is a placeholder as the abstract one is
    stub = source.replace("    @abstractmethod\n", "").replace("class Auditor(Protocol):", "class Auditor:")
    assert run(tmp_path, app(stub)) == {("app.py", line_of(stub, WRITE), "DYN101")}


def test_a_raising_call_whose_value_is_used_lets_the_path_go_on(tmp_path: Path) -> None:
    source = '''
def lookup_price(sku):
    raise RuntimeError("price service not wired")


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]})["Item"]
    order["price"] = lookup_price(order["sku"])
    table.put_item(Item=order)
'''
    assert run(tmp_path, app(source)) == {("app.py", line_of(source, WRITE), "DYN101")}


def test_a_helper_whose_error_is_caught_lets_the_handler_go_on(tmp_path: Path) -> None:
    caught = SHIP.replace('    busy("orders are read-only")\n',
                          '    try:\n        busy("again")\n    except Busy:\n        pass\n')
    assert run(tmp_path, app(caught)) == {("app.py", line_of(caught, WRITE), "DYN101")}


def test_a_generator_called_for_its_effect_runs_none_of_its_body(tmp_path: Path) -> None:
    generator = SHIP.replace("    raise Busy(why)\n", "    raise Busy(why)\n    yield why\n")
    assert run(tmp_path, app(generator)) == {("app.py", line_of(generator, WRITE), "DYN101")}
