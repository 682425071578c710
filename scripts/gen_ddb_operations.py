"""Generate dynolint/model/ddb_operations.py from botocore's DynamoDB service model.

Run with the test extras installed: ``python scripts/gen_ddb_operations.py``. A test
(tests/test_ddb_operations.py) checks the generated table against mypy_boto3_dynamodb
from boto3-stubs, so neither can drift silently.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

import botocore
from botocore import xform_name

GUARDS = ("ConditionExpression", "Expected")
ITEM_PARAMS = ("Key", "Item", "RequestItems", "TransactItems", "KeyConditionExpression", "KeyConditions",
               "Statement", "Statements", "TransactStatements", "ScanFilter", "SearchVector")
READ_PREFIXES = ("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems", "SearchVectors")
WRITE_PREFIXES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
PARTIQL = ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction")


def main() -> int:
    path = Path(os.path.dirname(botocore.__file__)) / "data" / "dynamodb" / "2012-08-10" / "service-2.json.gz"
    model = json.load(gzip.open(path))
    shapes, operations = model["shapes"], model["operations"]
    rows = []
    for name, spec in sorted(operations.items()):
        members = shapes[spec["input"]["shape"]].get("members", {})
        params = [p for p in ITEM_PARAMS if p in members]
        if not params:
            continue
        if name in READ_PREFIXES:
            access = "read"
        elif name in WRITE_PREFIXES:
            access = "write"
        elif name in PARTIQL:
            access = "partiql"
        else:
            continue
        guards = tuple(g for g in GUARDS if g in members)
        nested = ()
        if "TransactItems" in members and access == "write":
            item_shape = shapes[shapes[members["TransactItems"]["shape"]]["member"]["shape"]]
            nested = tuple(sorted(m for m, ref in item_shape["members"].items()
                                  if "ConditionExpression" in shapes[ref["shape"]].get("members", {})))
        batch = name.startswith("Batch") and access == "write"
        rows.append((xform_name(name), name, access, tuple(params), guards, nested, batch))
    version = botocore.__version__
    out = [
        f'"""DynamoDB item-level operations, generated from botocore {version}\'s service model by',
        "scripts/gen_ddb_operations.py. Do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "",
        f'BOTOCORE_VERSION = "{version}"',
        "",
        "",
        "@dataclass(frozen=True, slots=True)",
        "class Operation:",
        "    api_name: str",
        "    access: str  # \"read\" | \"write\" | \"partiql\"",
        "    item_params: tuple[str, ...]  # where the key, item or statement goes",
        "    guard_params: tuple[str, ...]  # parameters that make a write conditional",
        "    nested_guards: tuple[str, ...]  # TransactItems elements that carry their own guard",
        "    unguardable: bool  # a batch write: no guard is possible",
        "",
        "",
        "OPERATIONS: dict[str, Operation] = {",
    ]
    for py_name, api, access, params, guards, nested, batch in rows:
        out.append(f"    {py_name!r}: Operation({api!r}, {access!r}, {params!r}, {guards!r}, {nested!r}, {batch!r}),")
    out.append("}")
    target = Path(__file__).resolve().parents[1] / "dynolint" / "model" / "ddb_operations.py"
    target.write_text("\n".join(out) + "\n")
    print(f"wrote {target} ({len(rows)} operations, botocore {version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
