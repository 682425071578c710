"""PynamoDB model instances: an attribute the code assigned reads as assigned (model/evaluate.py
``_attr_one``), in a caller too when a project function assigned it (model/assign.py)."""

from __future__ import annotations

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
