"""AWS SDK objects other than DynamoDB tables: sessions, clients and resources and the
credentials they are built on, STS token vending, S3 data access, Lambda invokes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.handler_context import run_var_setters
from dynolint.model.events import DataCall, GlobalStore, Invoke, ScopedCredsMint, ScopingUse, asks_for_tenant
from dynolint.model.values import (
    EXEC, NONE, UNKNOWN, UNKNOWN_CREDS, CallV, ClientV, ConstV, ContextVarV, CostlyV, CredsV, DictV, EnvV, EventV, InfraFnV, Loc,
    AttrV, FuncV, MetaV, PaginatorV, ParamV, ResourceV, S3ObjectV, SeqV, SessionV, SubV, TableV, Val, alts, const_str,
)
from dynolint.model.library import SESSION_CLASSES
from dynolint.model.mixin import Mixin
from dynolint.model.roots import ANY_SERVICE, dynamodb_call, typed_by_use

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

CRED_KWARGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
# the environment variables botocore's first credential provider reads, for each keyword above
CRED_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
DEFAULT_SESSION = ("boto3", "default session")  # the heap cell of boto3.setup_default_session()
S3_KEYED = {
    "get_object": "Key", "put_object": "Key", "delete_object": "Key", "head_object": "Key",
    "copy_object": "Key", "get_object_tagging": "Key", "put_object_tagging": "Key",
    "create_multipart_upload": "Key", "upload_part": "Key", "complete_multipart_upload": "Key",
    "abort_multipart_upload": "Key", "list_parts": "Key", "upload_part_copy": "Key",
    "get_object_acl": "Key", "put_object_acl": "Key", "get_object_attributes": "Key",
    "get_object_retention": "Key", "put_object_retention": "Key", "get_object_legal_hold": "Key",
    "put_object_legal_hold": "Key", "restore_object": "Key", "select_object_content": "Key",
    "list_objects": "Prefix", "list_objects_v2": "Prefix", "list_object_versions": "Prefix",
    "list_multipart_uploads": "Prefix",
}
S3_TRANSFER = {"download_file": (1, "Key"), "upload_file": (2, "Key"), "download_fileobj": (1, "Key"),
               "upload_fileobj": (2, "Key"),
               # a presigned POST grants whoever holds it an upload to Key with the signer's credentials
               "generate_presigned_post": (1, "Key")}
# reads of one object by its key: of a literal key, shared data (a template, a setting), the same
# for every tenant
S3_OBJECT_READS = frozenset({"get_object", "head_object", "get_object_tagging", "get_object_acl",
                             "select_object_content", "download_file", "download_fileobj"})
LAMBDA_INVOKES = ("invoke", "invoke_async", "invoke_with_response_stream")


class AwsMixin(Mixin):
    def silo(self: Machine, container: Val | None) -> Val | None:
        """The table or bucket when its name derives from the tenant (``f"acme-{tenant}-docs"``: a
        silo, whose contents are the tenant's), else None."""
        return container if container is not None and self.taint(container).tenants else None

    def set_default_session(self: Machine, session: Val, loc: Loc, frame: Frame,
                            name: str = "boto3's default session") -> None:
        """``boto3.setup_default_session(...)`` or ``boto3.DEFAULT_SESSION = Session(...)``: every
        client made after it without credentials of its own uses these; a module-level store when
        made in a function (it outlives the invocation)."""
        self.summaries.write(DEFAULT_SESSION, session, merged=False)
        if frame.function is not None:
            self.global_stores.append(GlobalStore(loc, loc[0], name, "assign", None, session, frame.info, frame.root))

    # -- constructors ----------------------------------------------------------------------
    def aws_constructor(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                        state: State, frame: Frame, spread_unknown: tuple[Val, ...] = ()) -> Val | None:
        if path in ("boto3.client", "boto3.resource", "boto3.session.Session.client"):
            creds = self.creds_from(kwargs)
            if creds is EXEC and path != "boto3.session.Session.client":  # boto3's default session
                default = self.summaries.heap_get(DEFAULT_SESSION)
                found = [alt.creds for alt in alts(default) if isinstance(alt, SessionV)] if default else []
                creds = next((c for c in found if c.kind == "scoped"), found[0] if found else EXEC)
            return self.service_object(path.rsplit(".", 1)[-1], creds, args, kwargs, spread_unknown)
        if path == "boto3.setup_default_session":
            self.set_default_session(SessionV(self.creds_from(kwargs), "boto3"), loc, frame)
            return NONE
        if path in SESSION_CLASSES:
            if path.startswith(("boto3.", "aioboto3.")) and args:  # ``boto3.Session(key, secret, token)``
                kwargs = {**dict(zip(CRED_KWARGS, args)), **kwargs}
            creds = self.creds_from(kwargs)
            if creds is EXEC and spread_unknown:
                creds = self.spread_creds(spread_unknown)
            if creds is EXEC and "profile_name" not in kwargs:
                creds = self.environment_creds() or creds
            return SessionV(creds, SESSION_CLASSES[path])
        return None

    def environment_creds(self: Machine) -> CredsV | None:
        """The credentials a new session made without any reads from the process environment
        when functions stored some there (``os.environ["AWS_ACCESS_KEY_ID"] = ...``: botocore's
        first provider); None when none did. Only a new session reads them: boto3's default
        session (``boto3.client(...)``) keeps the credentials it resolved first."""
        stored = {keyword: found for keyword, variable in zip(CRED_KWARGS, CRED_VARIABLES)
                  if (found := self.process_entry("os.environ", ConstV(variable))) is not None}
        return self.creds_from(stored) if stored else None

    def creds_from(self: Machine, kwargs: dict[str, Val]) -> CredsV:
        given = [kwargs[k] for k in CRED_KWARGS if k in kwargs]
        if not given:
            session = kwargs.get("botocore_session") or kwargs.get("boto3_session")
            if session is not None:
                for alt in alts(session):
                    if isinstance(alt, SessionV):
                        return alt.creds
            return EXEC
        for value in given:
            taint = self.taint(value)
            for alt in taint.creds:
                if alt.kind == "scoped":
                    return alt
        for value in given:
            for alt in alts(value):
                if isinstance(alt, EventV) and "authorizer" in alt.path:
                    # credentials an authorizer vended for this request's tenant
                    return CredsV("scoped", None, alt)
        for value in given:
            if any(c.kind == "fixed" for c in self.taint(value).creds) or any(
                    isinstance(a, (EnvV, ConstV)) for a in alts(value)):
                return CredsV("fixed")
        return UNKNOWN_CREDS

    def spread_creds(self: Machine, spreads: tuple[Val, ...]) -> CredsV:
        """The credentials keywords spread from values the model cannot enumerate may give
        (``create_client(service, **creds.client_kwargs())``): tenant-scoped ones when they derive
        from such, else unknown (not the execution role: the keywords may name any)."""
        for spread in spreads:
            for alt in self.taint(spread).creds:
                if alt.kind == "scoped":
                    return alt
        return UNKNOWN_CREDS

    def service_object(self: Machine, kind: str, creds: CredsV, args: list[Val], kwargs: dict[str, Val],
                       spread_unknown: tuple[Val, ...] = ()) -> Val:
        service = const_str(args[0]) if args else const_str(kwargs.get("service_name", UNKNOWN))
        if service is None and kind not in ("client", "create_client"):
            return UNKNOWN
        if kwargs and any(k in kwargs for k in CRED_KWARGS):
            creds = self.creds_from(kwargs)
        elif spread_unknown and creds.kind == "exec":  # (a tenant's session keeps its credentials)
            creds = self.spread_creds(spread_unknown)
        if kind in ("client", "create_client"):  # (a service named by a value not known: typed by its use)
            return ClientV(service if service is not None else ANY_SERVICE, creds, "low")
        return ResourceV(service, creds) if service is not None else UNKNOWN

    # -- methods of SDK objects --------------------------------------------------------
    def domain_method(self: Machine, recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                      spread_unknown: tuple[Val, ...], node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val | None:
        if type(recv) in (ParamV, AttrV, SubV):
            recv = typed_by_use(recv, name, args, kwargs, self.project.method_names) or recv
        if type(recv) is SessionV:
            if name in ("client", "resource", "create_client"):
                return self.service_object(name, recv.creds, args, kwargs, spread_unknown)
            return CallV(name, recv, tuple(args))
        if type(recv) is ClientV and recv.service == ANY_SERVICE:  # ``{n: session.client(n) for n in services}``
            recv = ClientV("dynamodb", recv.creds) if dynamodb_call(name, kwargs) else recv
        dynamo = self.dynamo_method(recv, name, args, kwargs, spread_unknown, node, loc, state, frame)
        if dynamo is not None:
            return dynamo
        if type(recv) is ClientV:
            return self.client_call(recv, name, args, kwargs, loc, state, frame)
        if type(recv) is ResourceV:
            if recv.service == "s3" and name in ("Object", "Bucket", "ObjectSummary"):
                bucket = args[0] if args else kwargs.get("bucket_name", UNKNOWN)
                key = args[1] if len(args) > 1 else kwargs.get("key")
                return S3ObjectV(recv.creds, bucket, key if name != "Bucket" else None)
            return CostlyV(loc, f"{recv.service} {name}", tuple(args), self.costly_seq())
        if type(recv) is S3ObjectV:
            return self.s3_object_call(recv, name, args, kwargs, loc, state, frame)
        if type(recv) is ContextVarV:
            if name == "set" and args:
                self.summaries.write((recv.loc, "value"), args[0], merged=True)
                self.vars_set.add((frame.root, recv.loc))
                if frame.function is not None:  # kept past the request unless the code resets it (rules)
                    self.global_stores.append(GlobalStore(loc, loc[0], "context variable (set, never reset)",
                                                          "contextvar", None, args[0], frame.info, frame.root,
                                                          var=recv.loc))
                return CallV("token", recv, ())
            if name == "reset":
                self.reset_vars.add(recv.loc)
            if name == "get":
                held = self.summaries.heap_get((recv.loc, "value"))
                if (frame.root, recv.loc) not in self.vars_set and frame.root >= 0 \
                        and (frame.root, f"var {recv.loc}") not in self.request_hooked:
                    # nothing set it in this invocation yet (what another root set is another
                    # request's): the middlewares that bind it run first (once a root)
                    self.request_hooked.add((frame.root, f"var {recv.loc}"))
                    run_var_setters(self, recv.loc, loc, state, frame)
                    held = self.summaries.heap_get((recv.loc, "value"))
                if held is not None:  # (the function reading the request's tenant from it has it, as from ``g``)
                    self.note_obtained(held, frame, loc)
                # (nothing set it where this runs, and it has no default: what a caller elsewhere
                # sets, typed by its use as a parameter is: ``_session.get().client("dynamodb")``)
                return held if held is not None else args[0] if args else ParamV("contextvar", f"{recv.loc[0]}:{recv.loc[1]}")
            return NONE
        if type(recv) is MetaV:
            return CallV(name, recv, tuple(args))
        if type(recv) is InfraFnV:
            self.cdk_method(recv, name, args, loc)
            return CallV(name, recv, tuple(args))
        return None

    def client_call(self: Machine, client: ClientV, name: str, args: list[Val], kwargs: dict[str, Val],
                    loc: Loc, state: State, frame: Frame) -> Val:
        service = client.service
        if name in ("get_paginator", "get_waiter", "close", "can_paginate") or \
                name == "generate_presigned_post" and service != "s3":
            if name == "get_paginator" and args:
                return PaginatorV(client, const_str(args[0]) or "?")
            return CallV(name, client, tuple(args))
        if service == "sts" and name in ("assume_role", "assume_role_with_web_identity", "get_federation_token"):
            return self.assume_role(kwargs, loc, frame)
        if service == "s3":
            self.s3_call(client.creds, name, args, kwargs, loc, frame)
            if name == "put_object" and "Body" in kwargs:  # (an archive's copy of an item read)
                self.note_contents_used(kwargs["Body"], state)
            if name in ("generate_presigned_url", "generate_presigned_post"):
                return CallV(name, client, tuple(args))
        if service == "lambda" and name in LAMBDA_INVOKES:
            tenant = kwargs.get("TenantId")
            has_tenant = tenant is not None and tenant != NONE
            self.invokes.append(Invoke(loc, kwargs.get("FunctionName", args[0] if args else UNKNOWN),
                                       has_tenant, frame.info, frame.root))
            if tenant is not None:
                self.note_scoping(tenant, loc, frame, "invoke")
        return CostlyV(loc, f"{service} {name}", tuple(args) + tuple(kwargs.values()), self.costly_seq())

    # -- STS ----------------------------------------------------------------------------
    def assume_role(self: Machine, kwargs: dict[str, Val], loc: Loc, frame: Frame) -> Val:
        scope = [kwargs[k] for k in ("Tags", "Policy", "PolicyArns", "TransitiveTagKeys") if k in kwargs]
        scoped = [v for v in scope if not self.is_constant(v)]
        role = kwargs.get("RoleArn")
        if role is not None and self.tenants_role(role):
            scoped.append(role)  # a role of the tenant's own (its account's, or one per tenant)
        if not scoped:
            return CredsV("fixed", loc)
        self.mints.append(ScopedCredsMint(loc, tuple(scoped), frame.info, frame.root))
        for value in scoped:
            self.note_scoping(value, loc, frame, "sts")
        return CredsV("scoped", loc, SeqV("tuple", tuple(scoped)))

    def tenants_role(self: Machine, role: Val) -> bool:
        """Is ``role`` the tenant's own role: named from the tenant id (``f"arn:...:role/t-{tenant}"``)
        or read from the tenant's item (the role a customer's account link names)? One role every
        tenant assumes (a literal, a setting) scopes nothing by itself."""
        taint = self.taint(role)
        return bool(taint.tenants) or any(
            0 <= read < len(self.reads) and asks_for_tenant(self.reads[read], lambda v: bool(self.taint(v).tenants))
            for read in taint.read_ids())

    def is_constant(self: Machine, value: Val) -> bool:
        for alt in alts(value):
            if isinstance(alt, ConstV):
                continue
            if isinstance(alt, (DictV, SeqV)):
                inner = [v for pair in alt.items for v in pair] if isinstance(alt, DictV) else list(alt.elts)
                if all(self.is_constant(v) for v in inner) and not getattr(alt, "spreads", ()):
                    continue
            return False
        return True

    def note_scoping(self: Machine, value: Val, loc: Loc, frame: Frame, kind: str = "key") -> None:
        """Tenant ids used to scope access (STS tags, keys, invoke TenantId): DYN204 looks
        at where they came from."""
        for tenant in self.taint(value).tenants:
            self.scoping_uses.append(ScopingUse(tenant, loc, frame.root, kind, self.path_facts))

    # -- S3 -----------------------------------------------------------------------------
    def s3_call(self: Machine, creds: CredsV, name: str, args: list[Val], kwargs: dict[str, Val], loc: Loc,
                frame: Frame) -> None:
        scope: list[Val] = []
        unscoped = False
        if name in S3_KEYED:
            field = S3_KEYED[name]
            if field in kwargs:
                scope.append(kwargs[field])
            elif field == "Prefix":
                unscoped = True
            if name == "copy_object" and "CopySource" in kwargs:
                scope.append(kwargs["CopySource"])
        elif name == "copy":  # the managed transfer: copy(CopySource, Bucket, Key)
            scope.extend(v for v in (args[2] if len(args) > 2 else kwargs.get("Key"),
                                     args[0] if args else kwargs.get("CopySource")) if v is not None)
        elif name in S3_TRANSFER:
            index, field = S3_TRANSFER[name]
            key = args[index] if len(args) > index else kwargs.get(field)
            if key is not None:
                scope.append(key)
            if name == "download_file":
                target = args[2] if len(args) > 2 else kwargs.get("Filename", UNKNOWN)
                self.tmp_write(target, "download_file", loc, frame)
        elif name == "generate_presigned_url":
            params = kwargs.get("Params", args[1] if len(args) > 1 else UNKNOWN)
            for alt in alts(params):
                if isinstance(alt, DictV):
                    scope.extend(v for k, v in alt.items if const_str(k) in ("Key", "Prefix"))
        elif name == "delete_objects":
            scope.append(kwargs.get("Delete", UNKNOWN))
        else:
            return
        # the bucket: by keyword (the client's methods), else where it comes before the key (a
        # transfer), the copy's second argument, or first (a resource Bucket's call, shifted)
        index = S3_TRANSFER[name][0] - 1 if name in S3_TRANSFER else 1 if name == "copy" else 0
        bucket = kwargs.get("Bucket", args[index] if 0 <= index < len(args) else UNKNOWN)
        self.data_calls.append(DataCall(loc, "s3", name, creds, tuple(scope), unscoped and not scope,
                                        frame.chain + (loc,), frame.info, frame.root, self.path_facts,
                                        container=self.silo(bucket)))
        for value in scope:
            self.note_scoping(value, loc, frame)

    def s3_object_call(self: Machine, obj: S3ObjectV, name: str, args: list[Val], kwargs: dict[str, Val],
                       loc: Loc, state: State, frame: Frame) -> Val:
        if obj.key is None:  # a Bucket
            if name == "copy" and len(args) >= 2:  # ``bucket.copy(CopySource, Key)``
                self.s3_call(obj.creds, "copy", [args[0], obj.bucket, args[1]], kwargs, loc, frame)
                return CostlyV(loc, "s3 copy", tuple(args), self.costly_seq())
            if name in ("put_object", "Object", "upload_file", "download_file", "delete_objects"):
                if name == "Object":
                    return S3ObjectV(obj.creds, obj.bucket, args[0] if args else kwargs.get("key", UNKNOWN))
                mapped = {"download_file": "download_file", "upload_file": "upload_file"}.get(name, name)
                shifted = [obj.bucket] + list(args)
                self.s3_call(obj.creds, mapped, shifted, kwargs, loc, frame)
                return CostlyV(loc, f"s3 {name}", tuple(args), self.costly_seq())
            if name in ("objects", "filter", "all", "page_size", "limit"):
                prefix = kwargs.get("Prefix")
                if name in ("filter", "all"):
                    self.data_calls.append(DataCall(loc, "s3", "list_objects", obj.creds,
                                                    (prefix,) if prefix is not None else (), prefix is None,
                                                    frame.chain + (loc,), frame.info, frame.root, self.path_facts,
                                                    container=self.silo(obj.bucket)))
                return obj
            return CallV(name, obj, tuple(args))
        if name in ("get", "put", "delete", "download_file", "upload_file", "download_fileobj", "copy_from", "copy"):
            if name == "put" and "Body" in kwargs:
                self.note_contents_used(kwargs["Body"], state)
            source = args[0] if name == "copy" and args else kwargs.get("CopySource")
            keys = (obj.key,) if source is None else (obj.key, source)
            self.data_calls.append(DataCall(loc, "s3", f"object.{name}", obj.creds, keys, False,
                                            frame.chain + (loc,), frame.info, frame.root, self.path_facts,
                                            container=self.silo(obj.bucket)))
            self.note_scoping(obj.key, loc, frame)
            if name == "download_file":
                target = args[0] if args else kwargs.get("Filename", UNKNOWN)
                self.tmp_write(target, "download_file", loc, frame)
            return CostlyV(loc, f"s3 object {name}", (obj.key,), self.costly_seq())
        return CallV(name, obj, tuple(args))

    def paginate(self: Machine, paginator: PaginatorV, kwargs: dict[str, Val], loc: Loc, state: State,
                 frame: Frame) -> Val:
        client = paginator.client
        if client.service == "s3":
            self.s3_call(client.creds, paginator.op, [], kwargs, loc, frame)
            return CostlyV(loc, f"s3 {paginator.op}", tuple(kwargs.values()), self.costly_seq())
        if client.service == "dynamodb":  # the pages, each the response of one request
            return SeqV("pages", (self.ddb_client_op(client, paginator.op, [], kwargs, (), loc, state, frame),))
        return CostlyV(loc, f"{client.service} {paginator.op}", tuple(kwargs.values()), self.costly_seq())


__all__ = ["AwsMixin", "TableV"]
