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
    # the write is still reached; the placeholder's value is work dynolint cannot see into, done
    # after the miss: a stampede (model/unseen.py), no longer a plain overwrite
    assert kinds(body) == {11: "stampede"}


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


MIXIN = '''class Expiring:
    def touch(self, ns):
        found = self.client.query(TableName=self.name, KeyConditionExpression="pk = :p",
                                  ExpressionAttributeValues={":p": {"S": ns}})
        for row in found["Items"]:
            self.client.update_item(TableName=self.name, Key={"pk": row["pk"], "sk": row["sk"]},
                                    UpdateExpression="SET ttl = :t", ExpressionAttributeValues={":t": {"N": "9"}})
'''


def test_a_mixin_method_uses_the_client_only_its_subclass_sets() -> None:
    """``self.client`` of a mixin's method analysed as a root: the class never sets it, the
    subclass's __init__ does; the instance may be of the subclass, so the read and the write
    are DynamoDB calls."""
    body = MIXIN + 'class Store(Expiring):\n    def __init__(self, name):\n        self.client = boto3.client("dynamodb")\n' \
        '        self.name = name\n'
    assert kinds(body) == {8: "overwrite"}


def test_a_mixin_used_by_a_subclass_in_another_module() -> None:
    files = {"mixins.py": MIXIN,
             "store.py": 'import boto3\nfrom mixins import Expiring\nclass Store(Expiring):\n'
                         '    def __init__(self):\n        self.client = boto3.client("dynamodb")\n'
                         '        self.name = "sessions"\n'}
    assert set(races(files).values()) == {"overwrite"}


def test_a_subclass_that_sets_another_client_gives_no_race() -> None:
    """What the subclasses set is what the mixin's calls run on: a subclass's own in-memory
    index is no DynamoDB client."""
    local = MIXIN + '''class Index:
    def __init__(self):
        self.rows = {}

    def query(self, **kwargs):
        return {"Items": list(self.rows.values())}

    def update_item(self, **kwargs):
        self.rows[str(kwargs["Key"])] = kwargs


class Memory(Expiring):
    def __init__(self):
        self.client = Index()
        self.name = "local"
'''
    assert kinds(local) == {}


ENUM = '''from enum import Enum, IntEnum
class Stage(Enum):
    WAITING = "Not Started"
    RUNNING = "Running"
class Level(str, Enum):
    LOW = "low"
class Tries(IntEnum):
    MAX = 3
def start(k):
    item = t.get_item(Key={"pk": k})["Item"]
'''
STAGE_WRITE = '''    t.update_item(Key={"pk": k}, UpdateExpression="SET stage = :s", ConditionExpression="attribute_exists(pk)",
                  ExpressionAttributeValues={":s": Stage.RUNNING.value})
'''


def decisions_at_write(body: str) -> list[tuple[str | None, str, object]]:
    model = model_of({"f.py": HEAD + ENUM + body})
    return [(d.attribute, d.op, getattr(d.other, "value", d.other)) for r in model.interp.writes for d in r.decisions]


def test_an_enumeration_called_on_a_read_value_is_that_value() -> None:
    """``Stage(item["stage"]) != Stage.WAITING``: the member of the value read, compared with a
    member, is a decision on the attribute read, held against the write's condition."""
    body = '    if Stage(item["stage"]) != Stage.WAITING:\n        return\n' + STAGE_WRITE
    assert decisions_at_write(body) == [("stage", "==", "Not Started")]
    assert kinds(ENUM + body) == {15: "overwrite"}


def test_an_enumeration_member_s_value_and_mixed_in_enumerations() -> None:
    for test in ('item["stage"] != Stage.WAITING.value', 'Level(item["level"]) != Level.LOW',
                 'Tries(item["tries"]) >= Tries.MAX', 'Stage(item["stage"]) is not Stage.WAITING'):
        body = f"    if {test}:\n        return\n" + STAGE_WRITE
        attribute = test.split('"')[1]
        assert [d[0] for d in decisions_at_write(body)] == [attribute], test


def test_a_condition_that_pins_the_enumerated_attribute_is_a_guard() -> None:
    body = '    if Stage(item["stage"]) != Stage.WAITING:\n        return\n' + STAGE_WRITE.replace(
        '"attribute_exists(pk)"', '"stage = :w"').replace('{":s": Stage.RUNNING.value}', '{":s": "Running", ":w": "Not Started"}')
    assert kinds(ENUM + body) == {}


def test_a_class_that_is_no_enumeration_is_still_instantiated() -> None:
    body = '''class Wrapper:
    def __init__(self, raw):
        self.raw = raw
def start(k):
    item = t.get_item(Key={"pk": k})["Item"]
    if Wrapper(item["stage"]).raw != "Not Started":
        return
''' + STAGE_WRITE.replace("Stage.RUNNING.value", '"Running"')
    model = model_of({"f.py": HEAD + body})
    assert [d.attribute for r in model.interp.writes for d in r.decisions] == ["stage"]  # through the instance


def test_items_appended_to_a_list_in_a_loop_are_its_elements() -> None:
    """``ready = []``, a loop that appends the items it keeps, then a loop over ``ready``: the
    list is empty or holds those items; an empty list gives its loop no element (its body
    does not run), so the second loop's element is the kept item, keyed as the query read it."""
    body = '''from boto3.dynamodb.conditions import Key
def start(flow):
    rows = t.query(KeyConditionExpression=Key("flow").eq(flow))["Items"]
    ready = []
    for row in rows:
        if row["state"] == "waiting":
            ready.append(row)
    for row in ready:
        t.update_item(Key={"pk": row["pk"]}, UpdateExpression="SET #s = :r",
                      ExpressionAttributeNames={"#s": "state"}, ExpressionAttributeValues={":r": "running"})
'''
    assert kinds(body) == {11: "overwrite"}
    none_kept = body.replace("            ready.append(row)\n", "            print(row)\n")
    assert kinds(none_kept) == {}  # nothing appended: the second loop writes no item read


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


# -- class 3: callables handed to other code -------------------------------------------------

CALLS = 'import threading, functools\nfrom concurrent.futures import ThreadPoolExecutor\n'


def test_thread_targets_and_executor_callables_run_with_their_arguments() -> None:
    thread = (CALLS + 'def save(item):\n    t.put_item(Item=item)\n'
              'def h(event, context):\n    item = t.get_item(Key={"pk": event["k"]})["Item"]\n    item["x"] = 1\n'
              '    threading.Thread(target=save, args=(item,)).start()\n')
    submit = (CALLS + 'def save(item, flag=False):\n    t.put_item(Item=item)\n'
              'def h(event, context):\n    item = t.get_item(Key={"pk": event["k"]})["Item"]\n'
              '    with ThreadPoolExecutor() as ex:\n        ex.submit(save, item, flag=True).result()\n')
    mapped = (CALLS + 'def bump(item):\n    item["n"] = item["n"] + 1\n    t.put_item(Item=item)\n'
              'def h(event, context):\n    with ThreadPoolExecutor() as ex:\n'
              '        list(ex.map(bump, t.scan()["Items"]))\n')
    assert kinds(thread) == {6: "overwrite"}
    assert kinds(submit) == {6: "overwrite"}
    assert kinds(mapped) == {7: "counter"}


def test_partial_lambda_and_map_call_what_they_hold() -> None:
    partial = (CALLS + 'def save(table, item):\n    table.put_item(Item=item)\n'
               'def h(event, context):\n    item = t.get_item(Key={"pk": event["k"]})["Item"]\n'
               '    functools.partial(save, t)(item)\n')
    lam = 'def h():\n    list(map(lambda i: t.put_item(Item=i), t.scan()["Items"]))\n'
    assert kinds(partial) == {6: "overwrite"}
    assert kinds(lam) == {4: "overwrite"}


def test_a_decorator_wrapper_is_the_root_and_calls_the_function_with_its_arguments() -> None:
    body = ('def with_item(fn):\n    def wrapper(event, context):\n'
            '        item = t.get_item(Key={"pk": event["k"]})["Item"]\n        return fn(event, context, item)\n'
            '    return wrapper\n@with_item\ndef h(event, context, item):\n    item["seen"] = True\n'
            '    t.put_item(Item=item)\n')
    assert kinds(body) == {11: "overwrite"}


def test_a_decorator_that_does_not_wrap_leaves_the_function_a_root_of_its_own() -> None:
    body = ('REGISTRY = []\ndef register(fn):\n    REGISTRY.append(fn)\n    return fn\n@register\n'
            'def h(event, context):\n    item = t.get_item(Key={"pk": event["k"]})["Item"]\n    t.put_item(Item=item)\n')
    assert kinds(body) == {10: "overwrite"}


def test_callbacks_stored_and_handler_tables_are_called() -> None:
    stored = ('class Job:\n    def __init__(self, on_done):\n        self.on_done = on_done\n'
              '    def run(self, k):\n        self.on_done(t.get_item(Key={"pk": k})["Item"])\n'
              'def write_back(item):\n    t.put_item(Item=item)\n'
              'def h(event, context):\n    Job(write_back).run(event["k"])\n')
    table = ('def close(k):\n    t.put_item(Item={"pk": k, "s": "CLOSED"})\ndef noop(k):\n    return None\n'
             'OPS = {"close": close, "noop": noop}\n'
             'def h(event, context):\n    t.get_item(Key={"pk": event["k"]})\n    OPS[event["op"]](event["k"])\n')
    assert kinds(stored) == {9: "overwrite"}
    assert kinds(table) == {4: "overwrite"}


def test_a_tenant_id_handed_to_a_thread_makes_the_target_tenant_aware() -> None:
    body = (CALLS + 'def work(tenant_id):\n    t.query(KeyConditionExpression="pk = :t",'
            ' ExpressionAttributeValues={":t": tenant_id})\n'
            'def h(event, context):\n    threading.Thread(target=work, args=(context.tenant_id,)).start()\n')
    model = model_of({"f.py": HEAD + body})
    work = [f for f in model.interp.frames if f.func == "work" and f.called_with_tenant]
    assert work


# -- class 5: keys equal by meaning ---------------------------------------------------------

def test_keys_built_from_the_same_values_in_any_spelling_are_the_same_key() -> None:
    spellings = ['"{0}#{1}".format(a, b)', '"{}#{}".format(a, b)', '"{x}#{y}".format(x=a, y=b)',
                 '"%s#%s" % (a, b)', '"%(x)s#%(y)s" % {"x": a, "y": b}', 'a + "#" + b', '"#".join([a, b])',
                 '"#".join((a, b))', 'string.Template("$a#${b}").substitute(a=a, b=b)',
                 'str.join("#", (a, b))', 'str.format("{}#{}", a, b)', '"{x}#{y}".format_map({"x": a, "y": b})',
                 'str.format_map("{x}#{y}", dict(x=a, y=b))']
    for spelling in spellings:
        body = ('import string\ndef h(a, b):\n    item = t.get_item(Key={"pk": f"{a}#{b}"})["Item"]\n'
                f'    t.put_item(Item={{"pk": {spelling}, "v": item["v"]}})\n')
        assert kinds(body) == {6: "overwrite"}, spelling


def test_keys_from_other_values_order_or_formatting_are_not_the_same_key() -> None:
    for spelling in ['"{0}#{1}".format(b, a)', '"{0:>4}#{1}".format(a, b)', '"%s-%s" % (a, b)',
                     'str.join("-", (a, b))', '"{y}#{x}".format_map({"x": a, "y": b})']:
        body = ('def h(a, b):\n    item = t.get_item(Key={"pk": f"{a}#{b}"})["Item"]\n'
                f'    t.put_item(Item={{"pk": {spelling}, "v": item["v"]}})\n')
        assert kinds(body) == {}, spelling


def test_a_method_of_a_builtin_type_called_unbound_is_the_bound_call() -> None:
    """``dict.get(resp, "Item")`` is ``resp.get("Item")``, ``dict.update(item, ...)`` changes the
    item, ``list.append(rows, item)`` keeps it; ``dict.fromkeys`` makes a new dict."""
    got = ('def h(event, context):\n    resp = t.get_item(Key={"pk": event["k"]})\n'
           '    item = dict.get(resp, "Item")\n    dict.update(item, {"seen": True})\n'
           '    rows = []\n    list.append(rows, item)\n    t.put_item(Item=rows[0])\n')
    fresh = ('def h(event, context):\n    t.get_item(Key={"pk": event["k"]})\n'
             '    item = dict.fromkeys(["pk", "v"], event["k"])\n    t.put_item(Item=item)\n')
    assert kinds(got) == {9: "overwrite"}
    assert kinds(fresh) == {}


def test_an_instance_of_a_project_class_is_true_in_a_test() -> None:
    body = ('class Record:\n    def __init__(self, key):\n        self.key = key\n'
            'def load(key):\n    return Record(t.get_item(Key={"pk": key})["Item"]["pk"])\n'
            'def h(event, context):\n    record = event.get("cached") or load(event["k"])\n'
            '    if not record:\n        t.put_item(Item={"pk": event["k"]})\n'
            'def g(event, context):\n    record = event.get("cached") or load(event["k"])\n'
            '    if record is not None:\n        t.put_item(Item={"pk": event["k"]})\n')
    assert kinds(body) == {15: "overwrite"}


def test_a_protocol_or_abstract_stub_returns_an_unknown_value() -> None:
    body = ('from typing import Protocol\nclass Geo(Protocol):\n    def lookup(self, ip: str) -> dict:\n'
            '        """Resolve an address."""\n        ...\n'
            'def h(event, context, geo: Geo):\n    where = geo.lookup(event["ip"])\n'
            '    t.put_item(Item={"pk": event["ip"], "where": where})\n')
    model = model_of({"f.py": HEAD + body})
    written = [w.write.item for w in model.interp.writes if model.interp.roots[w.root].func == "h"]
    assert written and all("OpaqueV" in repr(item) for item in written)


def test_coroutines_handed_to_asyncio_run_with_their_arguments() -> None:
    body = ('import asyncio\nasync def save(key, v):\n    t.put_item(Item={"pk": key, "v": v})\n'
            'async def h(event, context):\n    cur = t.get_item(Key={"pk": event["k"]})["Item"]\n'
            '    task = asyncio.create_task(save(event["k"], cur["v"]))\n'
            '    await asyncio.gather(task, asyncio.sleep(0))\n')
    assert kinds(body) == {5: "overwrite"}


def test_a_module_whose_class_a_dynamodb_module_subclasses_is_an_analysis_root() -> None:
    from dynolint.config import Config
    from dynolint.engine.pipeline import select_files

    sources = {
        "base.py": b"class Repo:\n    def rename(self, k):\n        self.store(self.load(k))\n",
        "dynamo.py": b"import boto3\nfrom base import Repo\nclass DynamoRepo(Repo):\n"
                     b"    t = boto3.resource('dynamodb').Table('n')\n",
        "other.py": b"class Unrelated:\n    pass\n",
    }
    selection = select_files(sources, Config())
    assert selection.roots is not None and "base.py" in selection.roots and "other.py" not in selection.parse


def test_a_namedtuple_is_a_class_whose_fields_are_its_init_parameters() -> None:
    """``namedtuple("K", "name kind")``, ``namedtuple("K", ["name", "kind"])``,
    ``NamedTuple("K", [("name", str), ...])`` and ``class K(NamedTuple)`` instances keep their
    fields, by position, by keyword and by default: key attribute names read from them resolve."""
    from dynolint.model.values import alts, const_str

    source = ('import collections\nfrom collections import namedtuple\nfrom typing import NamedTuple\n'
              'A = namedtuple("A", "name kind")\n'
              'B = collections.namedtuple("B", ["name", "kind"])\n'
              'C = NamedTuple("C", [("name", str), ("kind", str)])\n'
              'class D(NamedTuple):\n    name: str\n    kind: str = "S"\n'
              'a = A("pk", "S").name\nb = B(kind="N", name="sk").kind\nc = C("id", "B").kind\n'
              'd = D("gsi1pk").kind\n')
    env = model_of({"m.py": source}).interp.module_envs["m.py"]
    assert [[const_str(v) for v in alts(env[name])] for name in "abcd"] == [["pk"], ["N"], ["B"], ["S"]]


def test_a_namedtuple_made_through_an_alias_is_a_class_and_the_same_shape_of_another_call_is_not() -> None:
    from dynolint.model.values import ClassV, alts, const_str

    source = ('import collections as c\nfrom collections import namedtuple as nt\n'
              'A = nt("A", "name kind")\nB = c.namedtuple("B", ["name"])\n'
              'def make(*args):\n    return args\n'
              'C = make("C", ["name"])\n'
              'a = A("pk", "S").kind\nb = B(name="sk").name\n')
    env = model_of({"m.py": source}).interp.module_envs["m.py"]
    assert [const_str(v) for v in alts(env["a"])] == ["S"] and [const_str(v) for v in alts(env["b"])] == ["sk"]
    assert not any(isinstance(v, ClassV) for v in alts(env["C"]))  # make() is no namedtuple


def test_a_standard_library_import_never_resolves_to_a_project_module_of_the_same_last_name() -> None:
    """``from collections import namedtuple`` beside the project's ``app/utils/collections.py``."""
    from dynolint.model.values import alts, const_str

    files = {"app/utils/collections.py": "def namedtuple(*args):\n    return args\n",
             "app/store.py": 'from collections import namedtuple\nK = namedtuple("K", "name")\nk = K("pk").name\n'}
    model = model_of(files)
    assert model.interp.project.resolve_module("app/store.py", "collections", 0) is None
    assert [const_str(v) for v in alts(model.interp.module_envs["app/store.py"]["k"])] == ["pk"]
