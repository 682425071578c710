"""Attributes found at run time, as Python finds them: ``getattr`` by a constant name, by a
name built from a constant prefix (a dispatch to each method it can name), a class's
``__getattr__`` for what an instance lacks (a proxy); and ``dict(mapping, key=value)``, a
copy with entries set; closures see their definer's variables as they are when called."""

from __future__ import annotations

from tests.modelkit import model_of, race_kinds

HEAD = 'import boto3\nt = boto3.resource("dynamodb").Table("n")\n\n\n'


def kinds(source: str) -> list[str]:
    return list(race_kinds(model_of({"f.py": HEAD + source})).values())


BUMP = '''    item = {get}(Key={{"pk": k}})["Item"]
    item["n"] = item["n"] + 1
    {put}(Item=item)
'''


def test_getattr_by_a_constant_name() -> None:
    body = BUMP.format(get='getattr(t, "get_item")', put='getattr(t, "put_item")')
    assert kinds("def h(k):\n" + body) == ["counter"]


def test_a_proxy_forwards_through_getattr() -> None:
    proxy = '''class Proxy:
    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)


p = Proxy(t)


def h(k):
'''
    assert kinds(proxy + BUMP.format(get="p.get_item", put="p.put_item")) == ["counter"]


def test_without_getattr_an_unknown_attribute_stays_unknown() -> None:
    plain = '''class Plain:
    def __init__(self, inner):
        self._inner = inner


p = Plain(t)


def h(k):
'''
    assert kinds(plain + BUMP.format(get="p.get_item", put="p.put_item")) == []


DISPATCH = '''class Actions:
    def run(self, k, action):
        item = t.get_item(Key={"pk": k})["Item"]
        return getattr(self, PREFIX + action)(item)

    def on_close(self, item):
        item["status"] = "CLOSED"
        t.put_item(Item=item)

    def other(self, item):
        t.put_item(Item=item)
'''


def test_a_prefix_dispatches_to_the_methods_it_names() -> None:
    model = model_of({"f.py": HEAD + DISPATCH.replace("PREFIX", '"on_"')})
    # on_close's put follows the read made by run; other() is never named by the prefix
    assert [model.span(r.write.loc).line for r in model.races()] == [12]


def test_a_name_with_no_constant_prefix_dispatches_nowhere() -> None:
    assert kinds(DISPATCH.replace("PREFIX", "str()")) == []


def test_dict_of_a_mapping_with_keywords_is_a_changed_copy() -> None:
    body = '''def h(k):
    item = t.get_item(Key={"pk": k})["Item"]
    t.put_item(Item=dict(item, n=item["n"] + 1))
'''
    assert kinds(body) == ["counter"]


def test_a_nested_function_sees_its_definer_s_variables_as_they_are_when_called() -> None:
    """Closures bind late: ``save`` defined before the change, called after it, writes the
    changed item (a counter), not the item as it was at the ``def`` (an overwrite)."""
    body = '''def h(k):
    item = t.get_item(Key={"pk": k})["Item"]

    def save():
        t.put_item(Item=item)

    item["n"] = item["n"] + 1
    save()
'''
    assert kinds(body) == ["counter"]
