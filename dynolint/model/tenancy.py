"""Multi-tenant questions over the model: which code runs in a function shared by
tenants, which data calls are tenant-aware and through which credentials, which invokes
target a PER_TENANT function."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.authz import ADMIN, AUTHORIZED, DEPLOY_SWITCH, authorized
from dynolint.model.event_fields import REQUEST
from dynolint.model.events import DataCall, GlobalStore, Invoke, RootInfo, ScopingUse, asks_for_tenant
from dynolint.model.aws import S3_OBJECT_READS
from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.key_facts import constant_key, item_key_attr, made_of, names_tenant, tenants_table
from dynolint.model.project import LambdaFunction
from dynolint.model.library import EVERY_ENTRY, PROCESS_STATE
from dynolint.model.key_parts import id_name
from dynolint.model.values import (
    CallV, ConstV, CredsV, EnvV, Loc, OneOf, ParamV, ReadItemV, SeqV, StrV, SubV, TenantIdV, Val, alts, children, const_str,
)

if TYPE_CHECKING:
    from dynolint.model.analysis import Model

# who invokes a function, when it is not a tenant's request (RootInfo.roles: from the event
# the handler reads, or from the infrastructure's invokers, model/invokers.py)
CONTROL_PLANE_ROLES = frozenset({"authorizer", "custom-resource", "event", "state-machine"})
# a handler named for an operation on tenants as objects: verb, "tenant(s)", and at most a
# word saying which record of the tenant (not get_tenant_orders: that scopes a tenant's data)
_TENANT_OPERATION = re.compile(
    r"^_*(create|register|provision|deprovision|onboard|offboard|delete|remove|activate|deactivate|update|get"
    r"|list|disable|enable|suspend)_?tenants?(_?(admin|admin_?user|registration|registrations|stack|config"
    r"|details|settings))?$", re.IGNORECASE)
_ITEM_OPS = frozenset({"get_item", "put_item", "update_item", "delete_item"})


def root_tenancy(model: Model, root_id: int) -> str:
    """"per-tenant" (isolated per tenant), "shared" (one function serves several tenants:
    tenant-aware code, or declared multi-tenant) or "single" (single-tenant code)."""
    root = model.root(root_id)
    isolation = model.project.isolation(root.path, None if root.module_root else root.func)
    if isolation == "per-tenant":
        return "per-tenant"
    if not root.module_root and not root.is_handler and _called_per_tenant(model, root.path, root.func):
        return "per-tenant"
    if isolation == "declared-shared" or model.config.for_path(root.path).multi_tenant:
        return "shared"
    if tenant_aware_root(model, root):
        return "shared"
    return "single"


def write_tenancy(model: Model, root_id: int, frame: int) -> str:
    """``root_tenancy`` for an effect made in ``frame`` of a root: "per-tenant" also when a
    function on the way to it is the handler of a PER_TENANT function (a handler run inside
    another root to bind a ContextVar the root reads: what it writes is that function's)."""
    frames = model.interp.frames
    for _ in range(64):
        if not 0 <= frame < len(frames):
            break
        info = frames[frame]
        if info.func != "<module>" and model.project.isolation(info.path, info.func) == "per-tenant":
            return "per-tenant"
        if info.parent == frame:
            break
        frame = info.parent
    return root_tenancy(model, root_id)


def _called_per_tenant(model: Model, path: str, qualname: str, depth: int = 0) -> bool:
    """Is every function of the project that may call ``qualname`` (a call naming it, by its
    name alone) a PER_TENANT handler or itself called only from those, and is there one? A
    helper analysed alone (``push_property``, called by the PER_TENANT pusher's handler) runs
    in that function's execution environments."""
    if depth > 3:
        return False
    memo = model.memo.setdefault("called_per_tenant", {})
    key = (path, qualname)
    if key not in memo:
        memo[key] = False  # (a cycle of calls: not known to be per-tenant)
        function = model.project.functions.get(key)
        # (a nested function is called where it is defined: ``asyncio.run(_body())`` in its encloser)
        callers = [(path, function.parent)] if function is not None and function.parent is not None \
            else _callers(model).get(qualname.rsplit(".", 1)[-1], [])
        memo[key] = bool(callers) and all(
            model.project.isolation(caller_path, caller) == "per-tenant"
            and model.project.handler_function(caller_path, caller) is not None
            or _called_per_tenant(model, caller_path, caller, depth + 1)
            for caller_path, caller in callers)
    return bool(memo[key])


def _callers(model: Model) -> dict[str, list[tuple[str, str]]]:
    """The functions whose code calls a function by each name (``push(``, ``pusher.push(``);
    only asked of a project that declares a PER_TENANT function."""
    if any(function.per_tenant for function in model.project.infra.functions):
        return model.project.callers_by_name()
    return {}


def tenant_aware_root(model: Model, root: RootInfo) -> bool:
    if root.tenant_aware:
        return True
    if root.module_root:
        return any(other.tenant_aware for other in model.interp.roots
                   if other.path == root.path and not other.module_root)
    return False


def root_source(model: Model, root_id: int) -> TenantIdV | None:
    root = model.root(root_id)
    if root.tenant_sources:
        return root.tenant_sources[0]
    if root.module_root:
        for other in model.interp.roots:
            if other.path == root.path and other.tenant_sources:
                return other.tenant_sources[0]
    return None


def frame_source(model: Model, frame_id: int) -> TenantIdV | None:
    """The tenant source that makes a function invocation tenant-aware, if any."""
    frame = model.frame(frame_id)
    if frame.tenant_sources:
        return frame.tenant_sources[0]
    if frame.called_with_tenant:
        current = frame.parent
        while current >= 0:
            parent = model.frame(current)
            if parent.tenant_sources:
                return parent.tenant_sources[0]
            current = parent.parent
    return None


def frame_tenant_aware(model: Model, frame_id: int) -> bool:
    return model.frame(frame_id).tenant_aware


def per_request(model: Model, store: GlobalStore) -> bool:
    """A ContextVar set by code that also resets it (``token = var.set(x)`` ... ``var.reset(token)``,
    token vending around each invocation): it does not outlive the request. One set and never
    reset keeps its value into the next invocation the process serves. So does an entry of process
    state (``os.environ["TENANT_ID"] = ...``) or of a module-level HTTP session's headers or cookies
    unless code removes it again (``os.environ.pop(...)``, ``del SESSION.headers[...]``): removed, it
    lives for one request."""
    if store in model.interp.cleared_stores:  # cleared again in a finally (model/objects.py)
        return True
    if store.kind == "contextvar":
        return store.var in model.interp.reset_vars
    if store.name not in PROCESS_STATE.values() and store.name not in model.interp.session_states or store.key is None:
        return False
    keys = store.key.elts if isinstance(store.key, SeqV) else (store.key,)
    names = [const_str(key) for key in keys]
    removed = model.interp.removed_entries
    return bool(names) and ((store.name, EVERY_ENTRY) in removed or all(
        name is not None and (store.name, name) in removed for name in names))


# cachetools' key functions: a tuple of their arguments (``hashkey("firm-session", firm_id)``)
KEY_MAKERS = frozenset({"hashkey", "typedkey", "methodkey", "typedmethodkey"})


def keyed_by_tenant(model: Model, key: Val | None, value: Val | None = None,
                    held: frozenset[CredsV] = frozenset(), path: str | None = None) -> bool:
    """Is a module-level store keyed by the tenant: the key derives from a tenant id, or from
    the tenant id an item read under the tenant's key keeps beside it (``rollout["fleet_id"]``,
    as the code of ``path`` names tenants), or from the same input that scoped the credentials
    being stored (``held``: those an object being stored holds)?"""
    if key is None:
        return False
    if model.taint(key).tenants and names_tenant(key, lambda item, attr: item_key_attr(model, item, attr)):
        return True
    if path is not None and _named_for_tenant(model, key, path):
        return True
    if value is None:
        return False
    key_inputs = model.index.leaves(key)
    # a key of several parts (a cached function's arguments, ``(operator_id, window)``, a
    # ``hashkey(...)``) files the credentials per tenant when one of its parts scoped them
    parts = [part for alt in alts(key) for part in (
        alt.elts if type(alt) is SeqV else alt.args if type(alt) is CallV and alt.fn.rsplit(".", 1)[-1] in KEY_MAKERS
        else ()) if type(part) is not ConstV]
    for creds in model.taint(value).creds | held:
        if creds.kind == "scoped" and creds.scope is not None and (
                key_inputs & model.index.leaves(creds.scope) or made_of(key, creds.scope)
                or any(made_of(part, creds.scope) for part in parts)):
            return True
    return False


def _named_for_tenant(model: Model, key: Val, path: str) -> bool:
    """Is ``key`` (or a part of it) an item's attribute named for the tenant (``rollout["fleet_id"]``,
    ``resp["Item"]["tenant_id"]``: the item keeps its tenant's id beside its key), or a parameter
    named for the tenant (``fleet_id`` of a function analysed alone, its callers unknown)? Named
    so, it is a tenant's id whichever item it came from; the store is filed per tenant."""
    named = model.project.tenant_key(path)
    pending: list[Val] = [key]
    for _ in range(64):
        if not pending:
            return False
        value = pending.pop()
        if type(value) is ParamV and named.search(id_name(value.name)) is not None:
            return True
        if type(value) is SubV and (attr := const_str(value.index)) is not None \
                and named.search(id_name(attr)) is not None and (
                    type(value.base) is ReadItemV
                    or type(value.base) is SubV and const_str(value.base.index) == "Item"
                    and type(value.base.base) is CallV and value.base.base.fn in OPERATIONS):
            return True
        if type(value) in (OneOf, SeqV, StrV):
            pending.extend(children(value))
    return False


# -- data calls ------------------------------------------------------------------------


def tenant_data_calls(model: Model) -> list[tuple[DataCall, str, TenantIdV | None]]:
    """Tenant-aware DynamoDB/S3 calls of the data plane made with credentials that do not
    scope the tenant: (call, "tenant-key" | "unscoped-key" | "scan", tenant source), one
    verdict per call site (a key that includes the tenant on some path wins)."""
    scoped_sites = {call.loc for call in model.interp.data_calls
                    if call.creds.kind == "scoped" and DEPLOY_SWITCH in call.facts}
    verdicts: dict[Loc, tuple[DataCall, str, TenantIdV | None]] = {}
    for call in model.interp.data_calls:
        if call.creds.kind not in ("exec", "fixed") or call.loc in scoped_sites:
            continue  # scoped, or the silo deployment's side of a pooled/silo switch
        if control_plane_call(model, call):
            continue
        # (a table or bucket of the tenant's own, a silo, scopes what it holds)
        scope_taint = model.taint_all(call.scope_values + ((call.container,) if call.container is not None else ()))
        # a call naming several objects (a copy's source and destination) is scoped only when each is
        # the tenant's, or a literal one every tenant shares
        partial = call.container is None and len(call.scope_values) > 1 and any(
            not model.taint(value).tenants and not constant_key(value) for value in call.scope_values)
        source = frame_source(model, call.frame)
        if source is None and scope_taint.event and not call.unscoped \
                and not tenants_table(call.table, model.project.tenant_names(call.loc[0])):
            # a helper the tenant was not passed to, reaching an item the request names
            # (``load_note(event["pathParameters"]["id"])`` after the handler read the tenant):
            # the request picked the item, and nothing picked the tenant's. (Not on a table of
            # tenants: a tenant looked up by its name is the tenant as the object.)
            source = root_source(model, call.root)
        if source is None and not scope_taint.tenants:
            continue
        if call.unscoped and call.container is None:
            verdict = (call, "scan", source)
        elif scope_taint.tenants and not partial and any(names_tenant(value) for value in call.scope_values
                                                         + ((call.container,) if call.container is not None else ())):
            # (a key taken from what a read of the tenant's item gave back, a segment id in a rule
            # the tenant wrote, is the item's data: it scopes nothing)
            verdict = (call, "tenant-key", source or min(scope_taint.tenants, key=lambda t: t.loc))
        elif (call.service == "dynamodb" and call.op in _ITEM_OPS
              or call.service == "s3" and call.op in S3_OBJECT_READS) \
                and call.scope_values and all(constant_key(value) for value in call.scope_values):
            continue  # one item (or object read) named by literals (a setting), the same for every tenant
        else:
            verdict = (call, "unscoped-key", source)
        if verdict[1] != "tenant-key" and AUTHORIZED in call.facts:
            continue  # the code compared the tenant with the caller's before this access
        known = verdicts.get(call.loc)
        if known is None or (known[1] != "tenant-key" and verdict[1] == "tenant-key"):
            verdicts[call.loc] = verdict
    return list(verdicts.values())


def control_plane_call(model: Model, call: DataCall) -> bool:
    """Is the call control-plane work on tenants as objects, not access to a tenant's data:
    under a platform-administrator check, in an API Gateway authorizer, a CloudFormation
    custom resource or an EventBridge-invoked function, or on the tenant's own record
    (the partition key is the tenant id, in a table of tenants)?"""
    if ADMIN in call.facts or call.subject:
        return True
    return control_plane_root(model, call.root)


def control_plane_root(model: Model, root_id: int) -> bool:
    """Is the analysis root invoked by the platform (an authorizer, a custom resource, an
    EventBridge rule or schedule, a Step Functions state machine), or a handler named for an operation on tenants as objects
    (``create_tenant``, ``provision_tenant``, ``deactivate_tenant``,
    ``create_tenant_admin_user``)?"""
    root = model.root(root_id)
    platform = root.roles & CONTROL_PLANE_ROLES
    if platform and not (REQUEST in root.roles and platform == {"event"}):
        return True  # an EventBridge event's field read beside a request's: the handler serves requests too
    return bool(_TENANT_OPERATION.match(root.func.rsplit(".", 1)[-1]))


def scoping_use_counts(model: Model, use: ScopingUse) -> bool:
    """Does a tenant id's use scope access to some tenant's data (for DYN204)? Not when the
    code authorized it (compared it with the caller's tenant, or checked for a platform
    administrator, where it is used or where it is read), not when the id names the tenant record an operation acts on, and not
    for the lookups an authorizer makes before it has verified anything."""
    if use.kind == "subject" or ADMIN in use.facts:
        return False
    if AUTHORIZED in use.facts:
        compared = {fact for fact in use.facts if fact.startswith(AUTHORIZED + "@")}
        if not compared or authorized(use.tenant.loc) in compared:
            return False  # (an id compared with the caller's; not another one read beside it)
    if model.interp.source_facts.get(use.tenant.loc, frozenset()) & {ADMIN, AUTHORIZED}:
        return False  # an administrator names the tenant, by design
    roles = model.root(use.root).roles
    if "authorizer" in roles:
        return use.kind != "key"
    return not control_plane_root(model, use.root)


# -- invokes ---------------------------------------------------------------------------


def invoke_target(model: Model, invoke: Invoke) -> LambdaFunction | None:
    """The declared Lambda function an invoke's FunctionName resolves to."""
    functions = model.project.infra.functions
    caller_functions = model.project.functions_for_file(invoke.loc[0])
    for alt in alts(invoke.function):
        text = const_str(alt)
        if text is not None:
            found = _by_name(functions, text)
            if found is not None:
                return found
            continue
        if isinstance(alt, EnvV):
            variable = const_str(alt.name)
            scopes = caller_functions or functions
            for function in scopes:
                for name, target in function.env:
                    if name != variable:
                        continue
                    resolved = _by_reference(functions, target)
                    if resolved is not None:
                        return resolved
            if alt.default is not None and const_str(alt.default) is not None:
                found = _by_name(functions, const_str(alt.default) or "")
                if found is not None:
                    return found
    return None


def _by_name(functions: list[LambdaFunction], text: str) -> LambdaFunction | None:
    # a FunctionName is a name, a partial ARN (``123456789012:function:name``) or an ARN, each
    # possibly qualified by a version or alias (``name:live``)
    name = text.split(":function:", 1)[1] if ":function:" in text else text
    name = name.split(":", 1)[0]
    for function in functions:
        if name in (function.name, function.ident):
            return function
    return None


def _by_reference(functions: list[LambdaFunction], target: str) -> LambdaFunction | None:
    kind, _, value = target.partition(":")
    for function in functions:
        if kind == "fn" and value == function.ident:
            return function
        if kind == "lit" and value in (function.name, function.ident):
            return function
        if kind == "sub" and value == function.name:  # the same ``!Sub`` text as the function's FunctionName
            return function
        if kind == "lit" and value.startswith("arn:"):
            return _by_name([function], value)
    return None


def returned_by_root(model: Model, root_id: int, value: Val) -> bool:
    """Whether a function root's result holds ``value`` (directly or inside what it builds):
    the very object stored, since two counters can hold equal values (``0 + 1``)."""
    pending = [(r, 0) for r in model.root(root_id).returns]
    seen: set[int] = set()
    while pending:
        current, depth = pending.pop()
        if current is value:
            return True
        if depth > 12 or id(current) in seen:
            continue
        seen.add(id(current))
        pending.extend((child, depth + 1) for child in children(current))
    return False


def read_by_request(model: Model, read_ids: set[int]) -> bool:
    """Whether any of these reads fetched what the request named: its key, or the values its
    key condition was given, derive from the event (``Key("invoice_id").eq(invoice_id)`` of a
    path parameter). In tenant-aware code that is the data of the tenant asking (or of the one
    it named), not configuration every tenant shares (``Key={"pk": "CONFIG"}``)."""
    for read_id in read_ids:
        if 0 <= read_id < len(model.interp.reads):
            read = model.interp.reads[read_id]
            if any(model.taint(value).event for value in (read.key, *read.asked) if value is not None):
                return True
    return False


def read_under_tenant(model: Model, read_ids: set[int]) -> bool:
    """Whether any of these reads fetched an item whose key derives from the tenant id:
    the tenant's own data, even though the value read carries no tenant id."""
    reads = model.interp.reads
    return any(0 <= read_id < len(reads) and asks_for_tenant(reads[read_id], lambda v: bool(model.taint(v).tenants))
               for read_id in read_ids)
