"""Flow: order along execution paths, exclusive branches, calls across functions and
modules, what the written values derive from, and what makes a write safe."""

from __future__ import annotations

from tests.modelkit import model_of, race_kinds

HEAD = 'import boto3, requests\nt = boto3.resource("dynamodb").Table("n")\n'


def kinds(body: str, files: dict[str, str] | None = None) -> dict[int, str]:
    return race_kinds(model_of({"f.py": HEAD + body, **(files or {})}))


def test_write_before_read_is_not_a_race() -> None:
    assert kinds('def f(a):\n    t.put_item(Item={"pk": a})\n    return t.get_item(Key={"pk": a})\n') == {}


def test_exclusive_branches_do_not_pair() -> None:
    body = ('def f(a, m):\n    if m == "GET":\n        return t.get_item(Key={"pk": a})\n'
            '    elif m == "PUT":\n        t.put_item(Item={"pk": a})\n    else:\n        t.delete_item(Key={"pk": a})\n')
    assert kinds(body) == {}


def test_return_ends_the_path_but_the_other_branch_continues() -> None:
    body = ('def f(a):\n    x = t.get_item(Key={"pk": a}).get("Item")\n    if x is None:\n        return 404\n'
            '    x["n"] = 1\n    t.put_item(Item=x)\n')
    assert kinds(body) == {8: "overwrite"}


def test_match_cases_are_exclusive() -> None:
    body = ('def f(a, m):\n    match m:\n        case "GET":\n            return t.get_item(Key={"pk": a})\n'
            '        case _:\n            t.delete_item(Key={"pk": a})\n')
    assert kinds(body) == {}


def test_two_route_functions_do_not_pair() -> None:
    body = 'def read(a):\n    return t.get_item(Key={"pk": a})\n\ndef write(a):\n    t.put_item(Item={"pk": a})\n'
    assert kinds(body) == {}


def test_helpers_in_sequence_and_across_modules() -> None:
    files = {"repo.py": 'import boto3\nt = boto3.resource("dynamodb").Table("n")\n'
                        'def load(a):\n    return t.get_item(Key={"pk": a}).get("Item")\n'
                        'def save(item):\n    t.put_item(Item=item)\n',
             "handler.py": 'from repo import load, save\n\ndef h(event, context):\n'
                           '    item = load(event["id"])\n    item["s"] = "X"\n    save(item)\n'}
    model = model_of(files)
    races = model.races()
    assert [(r.write.loc[0], model.span(r.write.loc).line) for r in races] == [("repo.py", 6)]
    related = [r.message for r in __import__("dynolint.rules._race", fromlist=["x"]).race_finding(
        model, races[0], "DYN101", "n", "m").related]
    assert related.count("called here") == 2


def test_method_on_self_calls_in_sequence() -> None:
    body = ('class Repo:\n    def __init__(self):\n        self.t = t\n'
            '    def load(self, a):\n        return self.t.get_item(Key={"pk": a})["Item"]\n'
            '    def store(self, item):\n        self.t.put_item(Item=item)\n'
            '    def bump(self, a):\n        item = self.load(a)\n        item["v"] = 2\n        self.store(item)\n')
    assert kinds(body) == {9: "overwrite"}


def test_counter_is_arithmetic_on_the_read_value() -> None:
    body = ('def f(a):\n    item = t.get_item(Key={"pk": a})["Item"]\n    item["n"] += 1\n    t.put_item(Item=item)\n')
    assert kinds(body) == {6: "counter"}


def test_atomic_update_after_read_is_safe_unless_its_value_comes_from_the_read() -> None:
    safe = ('def f(a):\n    item = t.get_item(Key={"pk": a})["Item"]\n'
            '    t.update_item(Key={"pk": a}, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": 1})\n')
    racy = ('def f(a):\n    item = t.get_item(Key={"pk": a})["Item"]\n'
            '    t.update_item(Key={"pk": a}, UpdateExpression="SET n = n + :d",'
            ' ExpressionAttributeValues={":d": item["n"] * 2})\n')
    assert kinds(safe) == {}
    assert kinds(racy) == {5: "counter"}


def test_guards_in_every_spelling() -> None:
    spellings = [
        'ConditionExpression="attribute_exists(pk)"',
        'ConditionExpression=cond',
        'Expected={"pk": {"Exists": True}}',
        '**params',
    ]
    for spelling in spellings:
        body = ('from boto3.dynamodb.conditions import Attr\n'
                'def f(a):\n    item = t.get_item(Key={"pk": a})["Item"]\n    cond = Attr("v").eq(item["v"])\n'
                '    params = {"ConditionExpression": cond}\n'
                f'    t.put_item(Item=item, {spelling})\n')
        assert kinds(body) == {}, spelling


def test_not_guards() -> None:
    for spelling in ('ConditionalOperator="AND"', 'ReturnValuesOnConditionCheckFailure="ALL_OLD"'):
        body = f'def f(a):\n    item = t.get_item(Key={{"pk": a}})["Item"]\n    t.put_item(Item=item, {spelling})\n'
        assert kinds(body) == {5: "overwrite"}, spelling


def test_python_side_version_check_is_not_a_guard() -> None:
    body = ('def f(a, v):\n    item = t.get_item(Key={"pk": a})["Item"]\n    if item["version"] != v:\n'
            '        raise ValueError\n    item["x"] = 1\n    t.put_item(Item=item)\n')
    assert kinds(body) == {8: "overwrite"}


def test_cache_miss_with_costly_work_is_a_stampede_and_a_claim_prevents_it() -> None:
    racy = ('def f(a):\n    hit = t.get_item(Key={"pk": a}).get("Item")\n    if hit:\n        return hit\n'
            '    v = requests.get("https://x").json()\n    t.put_item(Item={"pk": a, "v": v})\n')
    claimed = ('def f(a):\n    hit = t.get_item(Key={"pk": a}).get("Item")\n    if hit:\n        return hit\n'
               '    t.put_item(Item={"pk": a}, ConditionExpression="attribute_not_exists(pk)")\n'
               '    v = requests.get("https://x").json()\n    t.put_item(Item={"pk": a, "v": v})\n')
    assert kinds(racy) == {8: "stampede"}
    assert kinds(claimed) == {}


def test_clock_and_uuid_are_not_costly() -> None:
    body = ('import time, uuid\ndef f(a):\n    hit = t.get_item(Key={"pk": a}).get("Item")\n    if hit:\n'
            '        return hit\n    t.put_item(Item={"pk": a, "at": time.time(), "id": str(uuid.uuid4())})\n')
    assert kinds(body) == {8: "overwrite"}


def test_batch_writer_after_read() -> None:
    body = ('def f(a):\n    item = t.get_item(Key={"pk": a})["Item"]\n    with t.batch_writer() as b:\n'
            '        b.put_item(Item=item)\n')
    assert kinds(body) == {6: "batch"}


def test_unconditional_write_after_a_won_claim_is_safe_unless_it_spreads_a_stale_read() -> None:
    safe = ('def f(a, v):\n    old = t.get_item(Key={"pk": a}).get("Item")\n'
            '    t.update_item(Key={"pk": a}, UpdateExpression="SET s = :p", ConditionExpression="attribute_not_exists(s)",'
            ' ExpressionAttributeValues={":p": "P"})\n'
            '    t.update_item(Key={"pk": a}, UpdateExpression="SET s = :d", ExpressionAttributeValues={":d": v})\n')
    stale = ('def f(a, v):\n    old = t.get_item(Key={"pk": a})["Item"]\n'
             '    t.update_item(Key={"pk": a}, UpdateExpression="SET s = :p", ConditionExpression="attribute_not_exists(s)",'
             ' ExpressionAttributeValues={":p": "P"})\n'
             '    t.put_item(Item=old)\n')
    assert kinds(safe) == {}
    assert kinds(stale) == {6: "overwrite"}



STORE = '''
class Store:
    @staticmethod
    def load(key):
        return t.get_item(Key={"pk": key}).get("Item")

    @classmethod
    def save(cls, key, n):
        t.put_item(Item={"pk": key, "n": n})

    def plain(self, key):
        return self.load(key)
'''
BUMP = '''
    @classmethod
    def bump(cls, key):
        item = cls.load(key)
        cls.save(key, item["n"] + 1)
'''


def test_static_and_class_methods_bind_like_python_through_the_class() -> None:
    body = STORE + '\ndef f(a):\n    item = Store.load(a)\n    if item is None:\n        Store.save(a, 1)\n'
    assert kinds(body) == {11: "overwrite"}


def test_class_method_root_calls_static_method_through_cls() -> None:
    assert kinds(STORE + BUMP) == {11: "counter"}  # bump, analysed as a root, reads then adds


def test_static_method_through_an_instance_takes_no_self() -> None:
    body = STORE + '\ndef f(a):\n    s = Store()\n    item = s.plain(a)\n    s.save(a, item["n"] + 1)\n'
    assert kinds(body) == {11: "counter"}


def test_without_the_decorator_the_first_parameter_is_the_instance() -> None:
    # an undecorated load(key) called on an instance binds key to the instance: the key
    # read is not the key written, so no race is claimed
    body = STORE.replace("    @staticmethod\n", "") + \
        '\ndef f(a):\n    s = Store()\n    item = s.load(a)\n    s.save(a, item["n"] + 1)\n'
    assert kinds(body) == {}
