"""Values through project code (issue 14, class 4): a table kept in a dict cache, in a
default argument, behind a property or cached_property, in dataclass fields, and a client
entered through an ExitStack and kept on an object."""

from __future__ import annotations

from tests.modelkit import model_of

READ_WRITE = ('        item = {t}.get_item(Key={{"pk": pk}})["Item"]\n'
              '        item["n"] = 1\n'
              '        {t}.put_item(Item=item)\n')


def races(files: dict[str, str]) -> dict[tuple[str, int], str]:
    model = model_of(files)
    return {(r.write.loc[0], model.span(r.write.loc).line): r.kind for r in model.races()}


def test_a_dict_cache_of_resources_by_name_gives_the_cached_resource() -> None:
    src = ('import boto3\n_res = {}\n'
           'def resource(name):\n    if name not in _res:\n        _res[name] = boto3.resource(name)\n'
           '    return _res[name]\n'
           'def h(event, context):\n    t = resource("dynamodb").Table("x")\n'
           '    item = t.get_item(Key={"pk": event["k"]})["Item"]\n    item["n"] = 1\n    t.put_item(Item=item)\n')
    assert races({"f.py": src}) == {("f.py", 11): "overwrite"}


def test_setdefault_on_a_module_dict_returns_the_entry() -> None:
    src = ('import boto3\n_c = {}\n'
           'def client(name):\n    return _c.setdefault(name, boto3.client(name))\n'
           'def h(event, context):\n    c = client("dynamodb")\n'
           '    item = c.get_item(TableName="x", Key={"pk": {"S": event["k"]}})["Item"]\n'
           '    c.put_item(TableName="x", Item=item)\n')
    assert races({"f.py": src}) == {("f.py", 8): "overwrite"}


REPO = ('import boto3\nclass Repo:\n    def __init__(self, table):\n        self.t = table\n'
        '    def load(self, pk):\n        return self.t.get_item(Key={"pk": pk})["Item"]\n'
        '    def save(self, item):\n        self.t.put_item(Item=item)\n')


def test_a_default_argument_is_made_where_the_function_is_defined() -> None:
    src = REPO + ('def h(event, context, repo=Repo(boto3.resource("dynamodb").Table("x"))):\n'
                  '    item = repo.load(event["k"])\n    repo.save(item)\n')
    assert races({"f.py": src}) == {("f.py", 8): "overwrite"}


def test_a_default_argument_that_is_data_stays_a_parameter() -> None:
    src = REPO + ('def h(event, context, repo=Repo(boto3.resource("dynamodb").Table("x")), tags=list()):\n'
                  '    return tags\n')
    model = model_of({"f.py": src})
    assert model.races() == []


def test_a_property_runs_its_getter_and_a_cached_property_keeps_its_result() -> None:
    for decorator in ("property", "functools.cached_property"):
        src = ('import functools\nimport boto3\nclass S:\n'
               f'    @{decorator}\n    def tbl(self):\n        return boto3.resource("dynamodb").Table("x")\n'
               '    def go(self, pk):\n' + READ_WRITE.format(t="self.tbl"))
        assert races({"f.py": src}) == {("f.py", 10): "overwrite"}, decorator


def test_a_method_that_is_not_a_property_stays_a_bound_method() -> None:
    src = ('import boto3\nclass S:\n    def tbl(self):\n        return boto3.resource("dynamodb").Table("x")\n'
           '    def go(self, pk):\n' + READ_WRITE.format(t="self.tbl"))
    assert races({"f.py": src}) == {}


def test_dataclass_fields_come_from_arguments_and_default_factories() -> None:
    src = ('from dataclasses import dataclass, field\nimport boto3\n'
           '@dataclass\nclass S:\n    name: str\n'
           '    tbl: object = field(default_factory=lambda: boto3.resource("dynamodb").Table("x"))\n'
           '    def go(self, pk):\n' + READ_WRITE.format(t="self.tbl") +
           's = S("n")\ndef h(event, context):\n    s.go(event["k"])\n')
    assert races({"f.py": src}) == {("f.py", 10): "overwrite"}


def test_two_dataclass_fields_hold_two_tables() -> None:
    src = ('from dataclasses import dataclass, field\nimport boto3\nr = boto3.resource("dynamodb")\n'
           '@dataclass\nclass S:\n    a: object = field(default_factory=lambda: r.Table("a"))\n'
           '    b: object = field(default_factory=lambda: r.Table("b"))\n'
           '    def go(self, pk):\n        item = self.a.get_item(Key={"pk": pk})["Item"]\n'
           '        self.b.put_item(Item=item)\n'
           's = S()\ndef h(event, context):\n    s.go(event["k"])\n')
    assert races({"f.py": src}) == {}


def test_a_client_entered_through_an_exit_stack_in_aenter_is_kept_on_the_object() -> None:
    src = ('import contextlib\nfrom aiobotocore.session import get_session\n'
           'class W:\n    async def __aenter__(self):\n        self._s = contextlib.AsyncExitStack()\n'
           '        self.c = await self._s.enter_async_context(get_session().create_client("dynamodb"))\n'
           '        return self\n'
           '    async def go(self, pk):\n        await put(self.c, pk)\n'
           'async def put(c, pk):\n    item = (await c.get_item(TableName="x", Key={"pk": {"S": pk}}))["Item"]\n'
           '    await c.put_item(TableName="x", Item=item)\n')
    assert races({"f.py": src}) == {("f.py", 12): "overwrite"}


def test_a_copy_of_a_read_item_given_another_key_is_another_item() -> None:
    head = ('import boto3\nt = boto3.resource("dynamodb").Table("x")\n'
            'def h(event, context):\n    item = t.get_item(Key={"pk": event["k"]})["Item"]\n'
            '    c = dict(item)\n')
    assert races({"f.py": head + '    c["pk"] = "ARCHIVE#" + event["k"]\n    t.put_item(Item=c)\n'}) == {}
    assert races({"f.py": head + '    t.put_item(Item={**item, "pk": "OLD#" + event["k"]})\n'}) == {}
    assert races({"f.py": head + '    c["pk"] = event["k"]\n    t.put_item(Item=c)\n'}) == {("f.py", 7): "overwrite"}


def test_values_that_share_parts_compare_in_time_linear_in_their_parts() -> None:
    """Two equal values built apart (distinct objects) that share their parts as a DAG: the
    comparison visits each pair of parts once (compared as trees, 2**60 visits)."""
    from dynolint.model.values import ArithV, ConstV, ParamV, StrV

    def chain(leaf: object, depth: int) -> ArithV:
        value = ArithV("+", leaf, leaf)  # type: ignore[arg-type]
        for _ in range(depth):
            value = ArithV("+", value, value)
        return value

    left, right = chain(ParamV("f", "x"), 60), chain(ParamV("f", "x"), 60)
    assert left is not right and left == right and hash(left) == hash(right)
    assert chain(ParamV("f", "y"), 60) != left
    assert {left: 1}[right] == 1
    # equality is structural, as the generated one was: fields with compare=False do not count
    assert ArithV("+", ConstV(1), ConstV(2), ("a.py", 1)) == ArithV("+", ConstV(1), ConstV(2), ("b.py", 9))
    assert StrV((ConstV("a"), ParamV("f", "x"))) == StrV((ConstV("a"), ParamV("f", "x")))
    assert StrV((ConstV("a"),)) != StrV((ConstV("b"),))
