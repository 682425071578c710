"""The model follows Python as projects write it: calls that always raise, class-hierarchy
dispatch and super(), generators and pagination, callables handed to other code, keys
built in different spellings."""

from __future__ import annotations

from tests.modelkit import model_of

HEAD = 'import boto3\nt = boto3.resource("dynamodb").Table("n")\n'


def races(files: dict[str, str]) -> dict[tuple[str, int], str]:
    model = model_of(files)
    return {(r.write.loc[0], model.span(r.write.loc).line): r.kind for r in model.races()}


def kinds(body: str) -> dict[int, str]:
    return {line: kind for (_, line), kind in races({"f.py": HEAD + body}).items()}


# -- class 1: calls that raise, class hierarchies, super() --------------------------------

def test_a_call_that_always_raises_returns_an_unknown_value_and_the_path_goes_on() -> None:
    body = ('class Api:\n    def fetch(self, k):\n        raise NotImplementedError("configure me")\n'
            'def h(event, context):\n    hit = t.get_item(Key={"pk": event["k"]}).get("Item")\n'
            '    if hit:\n        return hit\n    data = Api().fetch(event["k"])\n'
            '    t.put_item(Item={"pk": event["k"], "d": data})\n')
    assert kinds(body) == {11: "overwrite"}


def test_a_call_on_self_dispatches_to_every_override() -> None:
    body = ('class Repo:\n    def load(self, k):\n        raise NotImplementedError\n'
            '    def store(self, item):\n        raise NotImplementedError\n'
            '    def rename(self, k, name):\n        item = self.load(k)\n        item["name"] = name\n'
            '        self.store(item)\n'
            'class DynamoRepo(Repo):\n    def __init__(self):\n        self.t = t\n'
            '    def load(self, k):\n        return self.t.get_item(Key={"pk": k})["Item"]\n'
            '    def store(self, item):\n        self.t.put_item(Item=item)\n')
    assert kinds(body) == {18: "overwrite"}


def test_an_exactly_known_instance_does_not_dispatch_to_subclasses() -> None:
    body = ('class Base:\n    def go(self, k):\n        return None\n'
            'class Sub(Base):\n    def go(self, k):\n        t.put_item(Item={"pk": k})\n'
            'def h(k):\n    t.get_item(Key={"pk": k})\n    Base().go(k)\n')
    assert kinds(body) == {}


def test_overrides_of_one_call_are_separate_paths() -> None:
    body = ('class Step:\n    def run(self, k):\n        raise NotImplementedError\n'
            '    def go(self, k):\n        self.run(k)\n'
            'class A(Step):\n    def run(self, k):\n        return t.get_item(Key={"pk": k})\n'
            'class B(Step):\n    def run(self, k):\n        t.put_item(Item={"pk": k})\n')
    assert kinds(body) == {}


PYN = ('from pynamodb.models import Model\nfrom pynamodb.attributes import UnicodeAttribute\n'
       'class Acct(Model):\n    class Meta:\n        table_name = "acct"\n'
       '    pk = UnicodeAttribute(hash_key=True)\n    status = UnicodeAttribute()\n'
       '    def save(self, condition=None, **kwargs):\n{save}\n'
       'def close(event, context):\n    a = Acct.get(event["id"])\n    if a.status == "OPEN":\n'
       '        a.status = "CLOSED"\n        a.save(condition=Acct.status == "OPEN")\n')


def test_super_save_that_drops_the_condition_is_reported_at_the_super_call() -> None:
    dropped = PYN.format(save="        return super().save()")
    assert races({"m.py": dropped}) == {("m.py", 9): "overwrite"}


def test_super_save_that_passes_the_condition_on_is_guarded() -> None:
    kept = PYN.format(save="        return super(Acct, self).save(condition=condition, **kwargs)")
    assert races({"m.py": kept}) == {}


def test_super_reaches_a_project_parent_method() -> None:
    body = ('class Base:\n    def store(self, item):\n        t.put_item(Item=item)\n'
            'class Child(Base):\n    def store(self, item):\n        item["seen"] = True\n'
            '        super().store(item)\n'
            'def h(k):\n    item = t.get_item(Key={"pk": k})["Item"]\n    Child().store(item)\n')
    assert kinds(body) == {5: "overwrite"}
