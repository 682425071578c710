"""The operation table generated from botocore's service model agrees with the
mypy_boto3_dynamodb stubs (boto3-stubs), so neither can drift without a failing test."""

from __future__ import annotations

import ast
from pathlib import Path

import mypy_boto3_dynamodb

from dynolint.model.ddb_operations import OPERATIONS

STUBS = Path(mypy_boto3_dynamodb.__file__).parent


def _classes(source: str) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)}


CLIENT = _classes((STUBS / "client.pyi").read_text())["DynamoDBClient"]
TYPE_DEFS = _classes((STUBS / "type_defs.pyi").read_text())
TABLE = _classes((STUBS / "service_resource.pyi").read_text())["Table"]


def _kwargs_typeddict(method: ast.FunctionDef) -> str:
    annotation = method.args.kwarg.annotation if method.args.kwarg else None
    assert isinstance(annotation, ast.Subscript), method.name
    assert isinstance(annotation.slice, ast.Name)
    return annotation.slice.id


def _fields(typeddict: str) -> set[str]:
    node = TYPE_DEFS[typeddict]
    return {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


def _methods(cls: ast.ClassDef) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def test_every_operation_is_a_client_method_with_the_same_guards() -> None:
    methods = _methods(CLIENT)
    for name, operation in OPERATIONS.items():
        assert name in methods, name
        fields = _fields(_kwargs_typeddict(methods[name]))
        for param in operation.item_params:
            assert param in fields, (name, param)
        guards_in_stubs = {g for g in ("ConditionExpression", "Expected") if g in fields}
        assert guards_in_stubs == set(operation.guard_params), name


def test_conditional_operator_is_never_a_guard() -> None:
    for name, operation in OPERATIONS.items():
        assert "ConditionalOperator" not in operation.guard_params
        assert "ReturnValuesOnConditionCheckFailure" not in operation.guard_params


def test_the_table_resource_has_the_item_operations_but_no_transactions() -> None:
    table = _methods(TABLE)
    for name in ("get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_writer"):
        assert name in table
    assert not any(name.startswith("transact_") for name in table)


def test_transaction_elements_carry_their_own_guards() -> None:
    transact = OPERATIONS["transact_write_items"]
    assert transact.guard_params == ()
    assert set(transact.nested_guards) == {"ConditionCheck", "Delete", "Put", "Update"}
    for element in ("PutTypeDef", "UpdateTypeDef", "DeleteTypeDef", "ConditionCheckTypeDef"):
        assert "ConditionExpression" in _fields(element)


def test_batch_writes_cannot_be_guarded() -> None:
    assert OPERATIONS["batch_write_item"].unguardable
    assert "ConditionExpression" not in _fields(_kwargs_typeddict(_methods(CLIENT)["batch_write_item"]))
