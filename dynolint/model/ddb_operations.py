"""DynamoDB item-level operations, generated from botocore 1.44.18's service model by
scripts/gen_ddb_operations.py. Do not edit by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

BOTOCORE_VERSION = "1.44.18"


@dataclass(frozen=True, slots=True)
class Operation:
    api_name: str
    access: str  # "read" | "write" | "partiql"
    item_params: tuple[str, ...]  # where the key, item or statement goes
    guard_params: tuple[str, ...]  # parameters that make a write conditional
    nested_guards: tuple[str, ...]  # TransactItems elements that carry their own guard
    unguardable: bool  # a batch write: no guard is possible


OPERATIONS: dict[str, Operation] = {
    'batch_execute_statement': Operation('BatchExecuteStatement', 'partiql', ('Statements',), (), (), False),
    'batch_get_item': Operation('BatchGetItem', 'read', ('RequestItems',), (), (), False),
    'batch_write_item': Operation('BatchWriteItem', 'write', ('RequestItems',), (), (), True),
    'delete_item': Operation('DeleteItem', 'write', ('Key',), ('ConditionExpression', 'Expected'), (), False),
    'execute_statement': Operation('ExecuteStatement', 'partiql', ('Statement',), (), (), False),
    'execute_transaction': Operation('ExecuteTransaction', 'partiql', ('TransactStatements',), (), (), False),
    'get_item': Operation('GetItem', 'read', ('Key',), (), (), False),
    'put_item': Operation('PutItem', 'write', ('Item',), ('ConditionExpression', 'Expected'), (), False),
    'query': Operation('Query', 'read', ('KeyConditionExpression', 'KeyConditions'), (), (), False),
    'scan': Operation('Scan', 'read', ('ScanFilter',), (), (), False),
    'search_vectors': Operation('SearchVectors', 'read', ('SearchVector',), (), (), False),
    'transact_get_items': Operation('TransactGetItems', 'read', ('TransactItems',), (), (), False),
    'transact_write_items': Operation('TransactWriteItems', 'write', ('TransactItems',), (), ('ConditionCheck', 'Delete', 'Put', 'Update'), False),
    'update_item': Operation('UpdateItem', 'write', ('Key',), ('ConditionExpression', 'Expected'), (), False),
}
