"""A property's setter and deleter are methods of their own: ``obj.name = value`` calls the
setter with the value, ``del obj.name`` calls the deleter, both on the caller's path (after
whatever the getter read there). Phase 1 names them ``Class.name.setter`` and
``Class.name.deleter``: Python binds all three to one name, and the index kept only one."""

from __future__ import annotations

from dynolint.model.values import alts
from dynolint.phase1.summarize import summarize
from tests.modelkit import model_of, race_kinds

HEAD = '''import functools
import boto3

t = boto3.resource("dynamodb").Table("n")


'''

SHIPMENT = '''class Shipment:
    def __init__(self, pk):
        self.pk = pk
        self._note = ""

    @property
    def stage(self):
        return t.get_item(Key={"pk": self.pk})["Item"]["stage"]

    @stage.setter
    def stage(self, value):
        t.update_item(Key={"pk": self.pk}, UpdateExpression="SET stage = :v",
                      ExpressionAttributeValues={":v": value})

    @stage.deleter
    def stage(self):
        t.delete_item(Key={"pk": self.pk})

    @property
    def note(self):
        return self._note

    @note.setter
    def note(self, text):
        self._note = text


'''


def kinds(source: str) -> list[str]:
    return list(race_kinds(model_of({"f.py": HEAD + source})).values())


def test_the_accessors_are_functions_of_their_own() -> None:
    summary = summarize("f.py", (HEAD + SHIPMENT).encode())
    names = {f.qualname for f in summary.functions}
    assert {"Shipment.stage", "Shipment.stage.setter", "Shipment.stage.deleter", "Shipment.note.setter"} <= names
    (klass,) = summary.classes
    assert ("stage", "Shipment.stage") in klass.methods and ("stage.setter", "Shipment.stage.setter") in klass.methods


def test_a_write_in_the_setter_follows_the_read_in_the_getter() -> None:
    """The control: before, the setter's ``def`` replaced the getter in the project index and
    the assignment only stored a value on the instance; neither the read nor the write was seen."""
    source = SHIPMENT + 'def h(k):\n    s = Shipment(k)\n    if s.stage == "PACKED":\n        s.stage = "SHIPPED"\n'
    assert kinds(source) == ["overwrite"]


def test_the_getter_is_kept_beside_a_setter() -> None:
    source = SHIPMENT + '''def h(k):
    s = Shipment(k)
    if s.stage == "PACKED":
        t.put_item(Item={"pk": k, "stage": "SHIPPED"})
'''
    assert kinds(source) == ["overwrite"]


def test_an_augmented_assignment_gets_then_sets() -> None:
    """``obj.n += 1`` reads through the getter and writes the sum through the setter."""
    source = SHIPMENT.replace('["stage"]', '["count"]') + 'def h(k):\n    s = Shipment(k)\n    s.stage += 1\n'
    assert kinds(source) == ["counter"]


def test_del_runs_the_deleter() -> None:
    source = SHIPMENT + 'def h(k):\n    s = Shipment(k)\n    if s.stage == "RETURNED":\n        del s.stage\n'
    assert kinds(source) == ["overwrite"]


def test_a_setter_on_self_in_another_method() -> None:
    source = SHIPMENT.replace("        self._note = text\n", '''        self._note = text

    def dispatch(self):
        if self.stage == "PACKED":
            self.stage = "SHIPPED"
''')
    assert kinds(source) == ["overwrite"]


def test_a_conditional_setter_is_no_race() -> None:
    source = SHIPMENT.replace('ExpressionAttributeValues={":v": value})', '''ConditionExpression="stage = :seen",
                      ExpressionAttributeValues={":v": value, ":seen": "PACKED"})''')
    source += 'def h(k):\n    s = Shipment(k)\n    if s.stage == "PACKED":\n        s.stage = "SHIPPED"\n'
    assert kinds(source) == []


def test_a_setter_that_keeps_a_python_value_writes_nothing() -> None:
    source = SHIPMENT + 'def h(k):\n    s = Shipment(k)\n    if s.stage == "PACKED":\n        s.note = "ready"\n    return s.note\n'
    assert kinds(source) == []


def test_assigning_a_getter_only_property_writes_nothing() -> None:
    source = '''class Parcel:
    def __init__(self, pk):
        self.pk = pk

    @property
    def weight(self):
        return t.get_item(Key={"pk": self.pk})["Item"]["weight"]


def h(k):
    p = Parcel(k)
    if p.weight > 10:
        p.weight = 10
'''
    assert kinds(source) == []


def test_a_subclass_setter_extends_the_base_property() -> None:
    """``@Shipment.stage.setter`` in a subclass makes a property of the base's getter and the
    subclass's setter: the subclass's unguarded put runs, not the base's guarded update."""
    base = SHIPMENT.replace('ExpressionAttributeValues={":v": value})', """ConditionExpression="stage = :seen",
                      ExpressionAttributeValues={":v": value, ":seen": "PACKED"})""")
    source = base + '''class Express(Shipment):
    @Shipment.stage.setter
    def stage(self, value):
        t.put_item(Item={"pk": self.pk, "stage": value, "express": True})


def h(k):
    s = Express(k)
    if s.stage == "PACKED":
        s.stage = "SHIPPED"
'''
    assert kinds(source) == ["overwrite"]


def test_a_subclass_inherits_the_setter() -> None:
    source = SHIPMENT + '''class Express(Shipment):
    pass


def h(k):
    s = Express(k)
    if s.stage == "PACKED":
        s.stage = "SHIPPED"
'''
    assert kinds(source) == ["overwrite"]


def test_a_function_nested_in_a_setter_is_named_under_it() -> None:
    source = '''class Cart:
    @property
    def total(self):
        def inner():
            return 1
        return inner()

    @total.setter
    def total(self, value):
        def inner():
            return value
        self._total = inner()
'''
    names = {f.qualname for f in summarize("f.py", source.encode()).functions}
    assert {"Cart.total.inner", "Cart.total.setter.inner"} <= names


def test_a_cached_property_still_runs_once() -> None:
    source = '''class Ledger:
    def __init__(self, pk):
        self.pk = pk

    @functools.cached_property
    def entry(self):
        return t.get_item(Key={"pk": self.pk})["Item"]


def h(k, v):
    ledger = Ledger(k)
    ledger.entry["v"] = v
    t.put_item(Item=ledger.entry)
'''
    assert kinds(source) == ["overwrite"]


# the same accessors made the older way: functions of the class given to ``property``
CRATE = '''class Crate:
    def __init__(self, pk):
        self.pk = pk
        self._label = ""

    def _get_stage(self):
        return t.get_item(Key={"pk": self.pk})["Item"]["stage"]

    def _set_stage(self, value):
        t.update_item(Key={"pk": self.pk}, UpdateExpression="SET stage = :v",
                      ExpressionAttributeValues={":v": value})

    def _drop_stage(self):
        t.delete_item(Key={"pk": self.pk})

    def _get_label(self):
        return self._label

    def _set_label(self, text):
        self._label = text

    stage = property(_get_stage, _set_stage, _drop_stage, "where the crate is")
    label = property(fget=_get_label, fset=_set_label)


'''


def test_a_property_made_by_calling_property_runs_its_getter_and_setter() -> None:
    source = CRATE + 'def h(k):\n    c = Crate(k)\n    if c.stage == "PACKED":\n        c.stage = "SHIPPED"\n'
    assert kinds(source) == ["overwrite"]


def test_a_property_made_by_calling_property_runs_its_deleter() -> None:
    source = CRATE + 'def h(k):\n    c = Crate(k)\n    if c.stage == "RETURNED":\n        del c.stage\n'
    assert kinds(source) == ["overwrite"]


def test_a_property_made_by_calling_property_with_keywords_keeps_a_python_value() -> None:
    """The getter's read and no write: ``label``'s setter stores a Python attribute, and what
    it stored is what the getter gives back."""
    source = CRATE + '''def h(k):
    c = Crate(k)
    if c.stage == "PACKED":
        c.label = "ready"
    return c.label
'''
    assert kinds(source) == []
    model = model_of({"f.py": HEAD + CRATE + 'def h(k):\n    c = Crate(k)\n    c.label = "x"\n    return c.label\n'})
    (root,) = [r for r in model.interp.roots if r.func == "h"]
    (returned,) = root.returns  # attributes stored on an object are joined: the first value and "x"
    assert "x" in {getattr(v, "value", None) for v in alts(returned)}


def test_a_method_given_to_property_is_still_a_method() -> None:
    source = CRATE + 'def h(k):\n    c = Crate(k)\n    if c._get_stage() == "PACKED":\n        c._set_stage("SHIPPED")\n'
    assert kinds(source) == ["overwrite"]
