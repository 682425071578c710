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


# -- class 2: generators and pagination ----------------------------------------------------

def test_items_yielded_by_a_helper_reach_the_callers_loop_with_their_read() -> None:
    body = ('def items(owner):\n    resp = t.query(KeyConditionExpression="o = :o", ExpressionAttributeValues={":o": owner})\n'
            '    for item in resp["Items"]:\n        yield item\n'
            'def h(owner):\n    for item in items(owner):\n        item["n"] = 1\n        t.put_item(Item=item)\n')
    assert kinds(body) == {10: "overwrite"}


def test_yield_from_pages_in_a_last_evaluated_key_loop() -> None:
    body = ('def items():\n    kwargs = {}\n    while True:\n        page = t.scan(**kwargs)\n'
            '        yield from page["Items"]\n        if "LastEvaluatedKey" not in page:\n            break\n'
            '        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]\n'
            'def h():\n    for item in items():\n        t.put_item(Item={**item, "s": "SEEN"})\n')
    assert kinds(body) == {13: "overwrite"}


def test_paginators_on_a_client_and_on_meta_client_give_pages_of_read_items() -> None:
    low = ('c = boto3.client("dynamodb")\ndef h():\n    for page in c.get_paginator("scan").paginate(TableName="n"):\n'
           '        for item in page["Items"]:\n            c.put_item(TableName="n", Item=item)\n')
    meta = ('def h():\n    pages = t.meta.client.get_paginator("query").paginate(TableName="n")\n'
            '    for item in pages.build_full_result()["Items"]:\n        t.put_item(Item=item)\n')
    assert kinds(low) == {7: "overwrite"}
    assert kinds(meta) == {6: "overwrite"}


def test_pages_concatenated_then_filtered_by_a_comprehension_and_itertools() -> None:
    body = ('import itertools\ndef h():\n    resp = t.scan()\n    items = resp["Items"]\n'
            '    while "LastEvaluatedKey" in resp:\n        resp = t.scan(ExclusiveStartKey=resp["LastEvaluatedKey"])\n'
            '        items += resp["Items"]\n    fresh = [i for i in items if i["s"] == "NEW"]\n'
            '    for n, item in enumerate(itertools.islice(fresh, 10)):\n        t.put_item(Item=item)\n')
    assert kinds(body) == {12: "overwrite"}


def test_yielded_items_written_atomically_or_under_another_key_are_clean() -> None:
    body = ('def items():\n    yield from t.scan()["Items"]\n'
            'def h():\n    for item in items():\n'
            '        t.update_item(Key={"pk": item["pk"]}, UpdateExpression="ADD n :one",'
            ' ExpressionAttributeValues={":one": 1})\n'
            '        t.put_item(Item={"pk": "audit#" + item["pk"], "seen": True})\n')
    assert kinds(body) == {}
