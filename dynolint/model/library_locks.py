"""Library rows for code that coordinates its callers: lock clients' methods and decorators
that claim each call's data (the interpreter side: :mod:`dynolint.model.locks`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LockMethod:
    """A lock client's method (``model/locks.py``): ``names`` are the keywords of the arguments
    that name the lock, in their positions, ``defaults`` their defaults (None: required);
    ``releases``: it releases the lock handle given first instead of taking one."""

    names: tuple[str, ...]
    defaults: tuple[str | None, ...] = ()
    releases: bool = False


_DDB_LOCK = ("python_dynamodb_lock.python_dynamodb_lock.DynamoDBLockClient", "python_dynamodb_lock.DynamoDBLockClient")
LOCK_METHODS: dict[str, LockMethod] = {
    **{f"{client}.acquire_lock": LockMethod(("partition_key", "sort_key"), (None, "-")) for client in _DDB_LOCK},
    **{f"{client}.release_lock": LockMethod(("lock",), releases=True) for client in _DDB_LOCK},
}


@dataclass(frozen=True, slots=True)
class ClaimDecorator:
    """A decorator that claims the data of each call before the function's body runs, until it
    returns (an idempotency record written create-only; a concurrent call with the same data
    raises): ``data_keyword`` is the decorator's keyword naming the parameter that holds the
    data (None: the first parameter, the Lambda event), ``config`` its keyword holding the
    configuration object, whose ``selects`` option is a dotted path into the data."""

    data_keyword: str | None
    config: str = "config"
    selects: str = "event_key_jmespath"


_IDEMPOTENCY = ("aws_lambda_powertools.utilities.idempotency", "aws_lambda_powertools.utilities.idempotency.idempotency")
CLAIM_DECORATORS: dict[str, ClaimDecorator] = {
    **{f"{module}.idempotent": ClaimDecorator(None) for module in _IDEMPOTENCY},
    **{f"{module}.idempotent_function": ClaimDecorator("data_keyword_argument") for module in _IDEMPOTENCY},
}


__all__ = ["CLAIM_DECORATORS", "ClaimDecorator", "LOCK_METHODS", "LockMethod"]
