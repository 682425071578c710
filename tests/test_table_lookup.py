"""The table lookup (model/key_schema.py) finds, for a table, exactly the tables of a
collection that the index calls the same table: it only skips the pairs that share no
signature, so asking for every table grows with the tables, not with their pairs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dynolint.model.key_schema import TableLookup, table_signatures
from tests.modelkit import model_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"

SPELLINGS = {
    "app/tables.py": textwrap.dedent("""
        import os
        import boto3
        from pynamodb.models import Model
        from pynamodb.attributes import UnicodeAttribute

        ddb = boto3.resource("dynamodb")
        ORDERS = ddb.Table(os.environ.get("ORDERS_TABLE", "orders"))
        ORDERS_AGAIN = ddb.Table("orders")
        STAGED = ddb.Table(f"{os.environ['APP']}-{os.environ['STAGE']}-carts")
        DEPLOYED = ddb.Table(os.environ["CART_TABLE"])
        OTHER = ddb.Table(os.environ.get("OTHER_TABLE", "other"))
        client = boto3.client("dynamodb")

        class Account(Model):
            class Meta:
                table_name = "accounts"
            pk = UnicodeAttribute(hash_key=True)

        class Ledger(Model):
            class Meta:
                table_name = "accounts"
            pk = UnicodeAttribute(hash_key=True)
    """),
    "app/handler.py": textwrap.dedent("""
        from app.tables import ORDERS, ORDERS_AGAIN, STAGED, DEPLOYED, OTHER, Account, Ledger, client

        def handler(event, context):
            k = {"pk": event["id"]}
            ORDERS.get_item(Key=k)
            ORDERS_AGAIN.put_item(Item={"pk": event["id"], "n": 1})
            STAGED.get_item(Key=k)
            DEPLOYED.put_item(Item={"pk": event["id"]})
            OTHER.update_item(Key=k, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": 1})
            client.get_item(TableName="orders", Key={"pk": {"S": event["id"]}})
            client.put_item(TableName=event["table"], Item={"pk": {"S": event["id"]}})
            Account.get(event["id"]).save()
            Ledger.get(event["id"]).save()
    """),
}
TEMPLATE = textwrap.dedent("""
    Parameters:
      App:
        Type: String
      Stage:
        Type: String
    Resources:
      Carts:
        Type: AWS::DynamoDB::Table
        Properties:
          TableName: !Sub "${App}-${Stage}-carts"
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Handler: app/handler.handler
          Environment:
            Variables:
              CART_TABLE: !Ref Carts
              APP: !Ref App
              STAGE: !Ref Stage
""")


def _tables(model) -> list:
    seen: dict = {}
    for read in model.interp.reads:
        seen.setdefault(read.table, None)
    for record in model.interp.writes:
        seen.setdefault(record.write.table, None)
    return list(seen)


def _check(model) -> int:
    tables = _tables(model)
    lookup = TableLookup(model.index, tables)
    for table in tables:
        expected = [other for other in tables if model.index.same_table(other, table)]
        assert lookup.matching(table) == expected, table
    return len(tables)


def test_every_spelling_of_one_table_is_found() -> None:
    model = model_of(SPELLINGS, infra={"template.yaml": TEMPLATE})
    tables = _tables(model)
    assert _check(model) >= 7
    lookup = TableLookup(model.index, tables)
    groups = {repr(table): sorted(repr(other) for other in lookup.matching(table)) for table in tables}

    def group_of(fragment: str) -> list[str]:
        return next(found for shown, found in groups.items() if fragment in shown)

    # an environment variable's default and the literal name (a resource's and a client's)
    assert any("'orders'" in shown and "ORDERS_TABLE" not in shown for shown in group_of("ORDERS_TABLE"))
    # the f-string of the variables the template fills and the variable holding !Ref Carts
    assert any("CART_TABLE" in shown for shown in group_of("'-carts'"))
    # two PynamoDB models are two tables to the index; another default name is another table
    assert group_of("Account") == [next(shown for shown in groups if "Account" in shown)]
    assert len(group_of("OTHER_TABLE")) == 1


def _projects_with_tables() -> list[Path]:
    chosen = []
    for case in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        text = "".join(f.read_text(errors="replace") for f in case.rglob("*.py"))
        if text.count("Table(") + text.count("TableName=") + text.count("table_name") >= 3:
            chosen.append(case)
    return chosen[:40]


@pytest.mark.parametrize("case", _projects_with_tables(), ids=lambda p: p.name)
def test_lookup_agrees_with_same_table_on_fixture_projects(case: Path) -> None:
    files = {str(f.relative_to(case)): f.read_text(errors="replace") for f in case.rglob("*.py")}
    infra = {str(f.relative_to(case)): f.read_text(errors="replace")
             for f in case.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file()}
    _check(model_of(files, infra=infra))
