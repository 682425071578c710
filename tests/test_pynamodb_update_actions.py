"""PynamoDB ``update(actions=[...])`` whose values are computed in Python from the item read
(``Wallet.balance.set(w.balance - amount)``): a read-add-write however it is conditioned, unless the
condition compares the attribute for equality (model/guard_cover.py ``unpinned``; what a PynamoDB
comparison's operator is: model/evaluate.py, model/conditions.py); an instance's attribute the code
assigned reads as assigned (model/evaluate.py ``_attr_one``), in a caller too when a project function
assigned it (model/assign.py)."""

from __future__ import annotations

import pytest

from tests.modelkit import model_of, race_kinds

MODELS = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.models import Model


class Wallet(Model):
    class Meta:
        table_name = "wallets"

    uid = UnicodeAttribute(hash_key=True)
    balance = NumberAttribute(default=0)
    views = NumberAttribute(default=0)
    title = UnicodeAttribute(null=True)


class Locked(Model):
    class Meta:
        table_name = "locked"

    uid = UnicodeAttribute(hash_key=True)
    views = NumberAttribute(default=0)
    version = VersionAttribute()
'''

APP = '''from models import Locked, Wallet


def debit(uid, amount, title):
    w = {model}.get(uid)
{body}
'''


def _kind(body: str, model: str = "Wallet") -> str | None:
    lines = [f"    {line}" for line in body.splitlines()]
    source = APP.format(model=model, body="\n".join(lines))
    write = 1 + next(i for i, line in enumerate(source.splitlines()) if "# write" in line)
    return race_kinds(model_of({"models.py": MODELS, "app.py": source})).get(write)


@pytest.mark.parametrize(("body", "kind"), [
    # the value sent is the stale read changed in Python: a condition that the item exists pins nothing of it
    ("w.update(actions=[Wallet.balance.set(w.balance - amount)], condition=Wallet.uid.exists())  # write",
     "counter"),
    ("w.update([Wallet.views.set(w.views + 1)], Wallet.uid.exists())  # write", "counter"),
    ("left = w.balance - amount\nw.update(actions=[Wallet.balance.set(left)], condition=Wallet.uid.exists())  # write",
     "counter"),
    ('snap = {"b": w.balance}\n'
     'w.update(actions=[Wallet.balance.set(snap["b"] - amount)], condition=Wallet.uid.exists())  # write', "counter"),
    ("w.update(actions=[Wallet.views.add(1), Wallet.balance.set(w.balance - amount)],  # write\n"
     "         condition=Wallet.uid.exists())", "counter"),
    # a range is no pin: two debits that read 100 both pass ``balance >= 30`` and both write 70
    ("w.update(actions=[Wallet.balance.set(w.balance - amount)], condition=Wallet.balance >= amount)  # write",
     "counter"),
    ("w.balance -= amount\nw.save(condition=Wallet.balance >= amount)  # write", "counter"),
    # computed on the server, or the value read compared for equality, or a version PynamoDB adds: guarded
    ("w.update(actions=[Wallet.balance.set(Wallet.balance - amount)], condition=Wallet.uid.exists())  # write", None),
    ("w.update(actions=[Wallet.balance.set(Wallet.balance - amount)], condition=Wallet.balance >= amount)  # write",
     None),
    ("w.update(actions=[Wallet.views.add(1)], condition=Wallet.uid.exists())  # write", None),
    ("w.update(actions=[Wallet.views.set(w.views + 1)], condition=Wallet.views == w.views)  # write", None),
    ("w.update(actions=[Wallet.views.set(w.views + 1)], condition=(Wallet.views == w.views) & Wallet.uid.exists())"
     "  # write", None),
    ("w.update(actions=[Wallet.views.set(w.views + 1)], condition=w.views == Wallet.views)  # write",
     None),  # an operator the model does not read: counted as an equality
    # no arithmetic on the value read: the code set the attribute before (``w.views = 0``), or the
    # update copies an attribute the code did no arithmetic on (the counter is added atomically)
    ("w.views = 0\nw.update(actions=[Wallet.views.set(w.views + 1)], condition=Wallet.uid.exists())  # write", None),
    ("w.views += 1\nw.title = title or w.title\n"
     "w.update(actions=[Wallet.views.add(1), Wallet.title.set(w.title)], condition=Wallet.uid.exists())  # write",
     None),
])
def test_update_actions_computed_from_the_read(body, kind):
    assert _kind(body) == kind


def test_a_version_attribute_guards_the_update():
    assert _kind("w.update(actions=[Locked.views.set(w.views + 1)], condition=Locked.uid.exists())  # write",
                 model="Locked") is None


def test_read_and_update_in_different_modules():
    store = '''from models import Wallet


def load(uid):
    return Wallet.get(uid)


def put_views(wallet, views):
    wallet.update(actions=[Wallet.views.set(views)], condition=Wallet.uid.exists())
'''
    app = '''from store import load, put_views


def view(uid):
    w = load(uid)
    put_views(w, w.views + 1)
'''
    model = model_of({"models.py": MODELS, "store.py": store, "app.py": app})
    [race] = [r for r in model.races() if model.span(r.write.loc).line == 9]
    assert race.kind == "counter" and race.unpinned == ("views",)


def _finding(body: str):
    from dynolint.rules.dyn102_non_atomic_counter import NonAtomicCounter

    source = APP.format(model="Wallet", body="    " + body)
    [found] = list(NonAtomicCounter().check(model_of({"models.py": MODELS, "app.py": source})))
    return found


def test_message_names_the_condition_and_the_attribute():
    exists = _finding("w.update(actions=[Wallet.balance.set(w.balance - amount)], condition=Wallet.uid.exists())")
    assert "(its condition checks Wallet.uid.exists() but not that balance still holds the value read)" \
        in exists.message
    assert exists.fix is None  # the condition is there: extending it is the author's call
    ranged = _finding("w.update(actions=[Wallet.balance.set(w.balance - amount)], condition=Wallet.balance >= amount)")
    assert "checks Wallet.balance >= ... but not that balance still holds" in ranged.message
    assert ranged.fix is None


def test_an_attribute_assigned_is_not_the_value_read():
    """``w.views = 0`` then ``set(w.views + 1)``: a blind overwrite of the item read, no counter."""
    source = '''from models import Wallet


def restart(uid):
    w = Wallet.get(uid)
    w.views = 0
    w.update(actions=[Wallet.views.set(w.views + 1)])
'''
    assert race_kinds(model_of({"models.py": MODELS, "app.py": source})).get(7) == "overwrite"


HELPERS = '''from models import Wallet


def reset(w):
    w.views = 0


def take(w, n):
    w.balance -= n


def view(uid):
    w = Wallet.get(uid)
    reset(w)
    w.update(actions=[Wallet.views.set(w.views + 1)], condition=Wallet.uid.exists())


def debit(uid, n):
    w = Wallet.get(uid)
    take(w, n)
    w.save(condition=Wallet.uid.exists())
'''


def test_an_attribute_a_helper_assigns_is_assigned_in_the_caller():
    """What a project function assigns to an instance it is given (``w.balance -= n``) the
    caller's instance holds afterwards: a value set there is not the read, arithmetic made
    there on the read is saved back by the caller."""
    kinds = race_kinds(model_of({"models.py": MODELS, "app.py": HELPERS}))
    assert kinds.get(15) is None  # the views set to 0 by reset(): not computed from the read
    assert kinds.get(21) == "counter"


def test_a_model_method_that_changes_self_is_a_counter_saved_by_the_caller():
    source = '''from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Purse(Model):
    class Meta:
        table_name = "purses"

    uid = UnicodeAttribute(hash_key=True)
    balance = NumberAttribute(default=0)

    def take(self, n):
        self.balance = self.balance - n


def debit(uid, n):
    purse = Purse.get(uid)
    purse.take(n)
    purse.save()
'''
    assert race_kinds(model_of({"app.py": source})).get(19) == "counter"
