"""How deep calls are followed. A root's calls are run to MAX_DEPTH (model/interp.py) calls
deep; past it a call returns an unknown value made of its arguments. Up to EXTRA_DEPTH more,
a helper that only computes is still run: its body is one ``return`` of an expression that
neither delegates through ``self`` or ``cls`` nor calls a DynamoDB operation, a PynamoDB
item method or another AWS action (a key or codec helper: ``tenant_pk``, ``to_ddb``,
``_key``). Each such frame adds an expression, not paths or reads, and chains through a
service, a repository and a codec end in them: the key a read was made with is then known.
(Running every function two levels deeper cost a layered project a third more time and 80 %
more memory; running every one-``return`` function four deeper, the reads they make, as much.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from dynolint.model.ddb_operations import OPERATIONS
from dynolint.phase1 import ir

if TYPE_CHECKING:
    from dynolint.model.interp import Machine

EXTRA_DEPTH = 4

# method names that act rather than compute: DynamoDB operations, PynamoDB's item methods,
# the AWS actions a helper returns the result of
ACTIONS = frozenset(OPERATIONS) | frozenset({
    "save", "update", "delete", "refresh", "batch_get", "batch_write", "batch_writer", "invoke",
    "send_message", "publish", "put_object", "get_object", "upload_file", "download_file"})


def may_run(machine: Machine, function: ir.Function, path: str, depth: int) -> bool:
    """May a call ``depth`` calls deep run ``function``'s body?"""
    from dynolint.model.interp import MAX_DEPTH

    if depth < MAX_DEPTH:
        return True
    if depth >= MAX_DEPTH + EXTRA_DEPTH:
        return False
    key = (path, function.qualname)
    memo: dict[tuple[str, str], bool] = machine.computes_memo
    if key not in memo:
        memo[key] = computes(function, machine.project.functions, path)
    return memo[key]


def computes(function: ir.Function, functions: Mapping[tuple[str, str], ir.Function] | None = None,
             path: str = "", depth: int = 0) -> bool:
    """Is ``function``'s body (after its docstring) one ``return`` of an expression that calls
    nothing through ``self`` or ``cls``, no action (:data:`ACTIONS`) and no class's ``get``
    (a PynamoDB model's)? Nested functions it defines first (of ``path``, in ``functions``)
    must be such helpers too (``async def _body(): return x`` run by ``asyncio.run(_body())``)."""
    body = function.body
    if body and type(body[0]) is ir.ExprStmt and type(body[0].value) is ir.Const:
        body = body[1:]
    while body and type(body[0]) is ir.DefStmt and not body[0].is_class and functions is not None and depth < 2:
        nested = functions.get((path, body[0].qualname))
        if nested is None or not computes(nested, functions, path, depth + 1):
            return False
        body = body[1:]
    if not (len(body) == 1 and type(body[0]) is ir.Return and body[0].value is not None):
        return False
    for node in ir.walk(body[0].value):
        if type(node) is not ir.Call or type(node.func) is not ir.Attr:
            continue
        base = node.func.value
        while type(base) is ir.Attr:
            base = base.value
        name = node.func.attr
        if name in ACTIONS or type(base) is ir.Name and (
                base.id in ("self", "cls") or name == "get" and base.id[:1].isupper()):
            return False
    return True
