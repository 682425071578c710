"""Abstract values of the AWS SDK and DynamoDB: credentials, sessions, clients, resources
and tables, responses of reads and the items in them, PynamoDB models, attributes and
instances (re-exported by :mod:`dynolint.model.values`)."""

from __future__ import annotations

from dataclasses import dataclass

from dynolint.model.values import ClassV, Loc, Val


@dataclass(slots=True, unsafe_hash=True)
class CredsV(Val):
    """Where a client's credentials come from.

    kind: "exec" (the function's execution role, default chain), "scoped" (STS
    assume_role whose tags or session policy name the tenant), "fixed" (other explicit
    credentials), "unknown"."""

    kind: str
    loc: Loc | None = None
    scope: Val | None = None  # the values that scope them (session tags, policy)


EXEC = CredsV("exec")
UNKNOWN_CREDS = CredsV("unknown")


@dataclass(slots=True, unsafe_hash=True)
class SessionV(Val):
    creds: CredsV
    flavor: str  # "boto3" | "aioboto3" | "aiobotocore" | "botocore"


@dataclass(slots=True, unsafe_hash=True)
class ClientV(Val):
    """A boto3 client. For DynamoDB, flavor "low" speaks AttributeValue JSON; "resource"
    is ``table.meta.client`` (native values)."""

    service: str
    creds: CredsV
    flavor: str = "low"


@dataclass(slots=True, unsafe_hash=True)
class ResourceV(Val):
    service: str
    creds: CredsV


@dataclass(slots=True, unsafe_hash=True)
class TableV(Val):
    name: Val
    creds: CredsV


@dataclass(slots=True, unsafe_hash=True)
class MetaV(Val):
    of: Val


@dataclass(slots=True, unsafe_hash=True)
class BatchWriterV(Val):
    table: Val  # TableV or PynModelV


@dataclass(slots=True, unsafe_hash=True)
class PaginatorV(Val):
    client: ClientV
    op: str


@dataclass(slots=True, unsafe_hash=True)
class S3ObjectV(Val):
    """``s3.Object(bucket, key)`` / ``s3.Bucket(b)`` (key None) from the S3 resource."""

    creds: CredsV
    bucket: Val
    key: Val | None


@dataclass(slots=True, unsafe_hash=True)
class ReadV(Val):
    """The response of a DynamoDB read; ``.get("Item")`` / ``["Items"]`` give its items."""

    read: int  # ReadEvent id


@dataclass(slots=True, unsafe_hash=True)
class ReadItemV(Val):
    """An item that a DynamoDB read returned (and maybe mutated in Python since).
    ``arith`` is set once an attribute was assigned arithmetic on a value read from it."""

    read: int
    arith: bool = False


@dataclass(slots=True, unsafe_hash=True)
class PynModelV(Val):
    cls: ClassV


@dataclass(slots=True, unsafe_hash=True)
class PynAttrV(Val):
    model: PynModelV
    name: str


@dataclass(slots=True, unsafe_hash=True)
class PynActionV(Val):
    """``Model.attr.set(v)`` / ``.add(v)`` / ``.remove()`` ... used in ``update(actions=)``."""

    attr: str
    action: str
    value: Val | None


@dataclass(slots=True, unsafe_hash=True)
class PynInstanceV(Val):
    model: PynModelV
    key: tuple[Val, ...]  # hash key value, then range key value when known
    read: int  # ReadEvent id it was loaded by, -1 for a fresh ``Model(...)``
    alloc: Loc
    arith: bool = False
    # attribute values given or assigned, by name: what the save writes, and what the code reads of them since
    attrs: tuple[tuple[str, Val], ...] = ()


@dataclass(slots=True, unsafe_hash=True)
class PynBatchV(Val):
    model: PynModelV


@dataclass(slots=True, unsafe_hash=True)
class PynTransactV(Val):
    kind: str  # "write" | "get"


# objects whose methods read or write data: a method of one is a callable (handed to a thread
# or an executor), and either of several of them is a path of its own
SDK_OBJECTS = (TableV, ClientV, ResourceV, BatchWriterV, PynModelV, PynInstanceV, S3ObjectV, SessionV)

# methods of a client, resource or session that give another handle made with the same
# credentials (a sub-resource's constructor is capitalised: ``Bucket``, ``Object``, ``Table``),
# or credentials themselves
HANDLE_METHODS = frozenset({
    "client", "resource", "create_client", "get_paginator", "get_waiter", "batch_writer", "meta",
    "get_credentials", "get_frozen_credentials", "paginate",
    # responses that are credentials, or carry their signature (a bearer's capability)
    "assume_role", "assume_role_with_web_identity", "assume_role_with_saml", "get_session_token",
    "get_federation_token", "get_credentials_for_identity", "get_open_id_token", "generate_db_auth_token",
    "generate_presigned_url", "generate_presigned_post", "generate_presigned_request",
})
# what makes a client when the session it is called on is not resolved (``sessions[t].client("s3")``)
CLIENT_MAKERS = frozenset({"client", "resource", "create_client"})


def data_response(fn: str, receiver: Val | None) -> bool:
    """Is ``receiver.fn(...)`` a service call whose response is data (``s3.head_object(...)``,
    an item, a queue's messages), not another handle carrying the credentials it was made with?
    Its receiver is a client, resource or table, or a call that makes one on a session the model
    did not resolve."""
    from dynolint.model.values import CallV, alts

    if receiver is None or fn in HANDLE_METHODS or fn[:1].isupper():
        return False
    return any(type(alt) in (ClientV, ResourceV, TableV)
               or type(alt) is CallV and alt.fn in CLIENT_MAKERS for alt in alts(receiver))


def sts_response(value: Val) -> bool:
    """Is ``value`` the response of an STS call that vends credentials, or its ``Credentials``,
    on a receiver the model did not resolve (``self._sts.assume_role(...)``)?"""
    from dynolint.model.library import STS_CREDENTIAL_CALLS
    from dynolint.model.values import CallV, SubV, const_str

    if type(value) is SubV and const_str(value.index) == "Credentials":
        value = value.base
    return type(value) is CallV and value.recv is not None and value.fn in STS_CREDENTIAL_CALLS
