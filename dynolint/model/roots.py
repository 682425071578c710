"""The parameters of an analysis root: what a function analysed with unknown callers
receives (a Lambda event and context, a route's path parameters, values its annotations
name, or opaque parameters)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar

from dynolint.phase1 import ir
from dynolint.phase1.prefilter import CONTEXT_PARAMS, EVENT_PARAMS, ROUTE_METHODS
from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.values import (
    UNKNOWN_CREDS, ArithV, AttrV, ClassV, ClientV, ContextV, EventV, ExtV, FuncV, InstanceV, Loc, OpaqueV,
    DictV, ParamV, ResourceV, SeqV, SessionV, SubV, TableV, Val, alts, const_str,
)
from dynolint.model.decorators import PROJECT_CALLABLE
from dynolint.model.event_fields import annotation_name as _annotation_name, framework_object
from dynolint.model.objects import made_attribute
from dynolint.model.library import SESSION_CLASSES
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

_DDB_TYPES = {
    "Table": "table", "DynamoDBClient": "client", "Client": "client",
    "DynamoDBServiceResource": "resource", "ServiceResource": "resource",
}
# frameworks whose views take the request as their first parameter, named ``request`` by
# convention and rarely annotated (Django's ``def detail(request, pk)``, Django REST
# framework's ``def get(self, request)``): such a parameter of a module that imports one of them
REQUEST_FIRST = ("django.", "rest_framework.")


# what a web framework hands a route that is not request data: the response being made, the
# tasks to run after it (Starlette's ``BackgroundTasks``), the scopes a security dependency asks for
_FRAMEWORK_SERVICES = frozenset({"BackgroundTasks", "Response", "SecurityScopes"})




_DDB_STUB_PACKAGES = ("mypy_boto3_dynamodb", "types_boto3_dynamodb", "types_aiobotocore_dynamodb",
                      "types_aioboto3_dynamodb")

POWERTOOLS_EVENT_PARSER = "aws_lambda_powertools.utilities.parser.event_parser"


_PLACEHOLDER = re.compile(r"[{<](?:\w+:)?(\w+)[+]?[}>]")  # ``{id}``, ``{proxy+}``, ``<id>``, ``<int:id>``


def supplied_by_decorator(function: ir.Function, name: str) -> bool:
    """Is a route's parameter ``name`` named by none of its URL paths while another decorator
    wraps it (``@app.route("/properties/{property_id}")`` over ``@as_verified_host`` that
    passes the verified ``host_id`` first): the wrapper supplies it, not the request."""
    paths = [d.args[0].value for d in function.decorators
             if isinstance(d, ir.Call) and isinstance(d.func, ir.Attr) and d.func.attr in ROUTE_METHODS
             and d.args and isinstance(d.args[0], ir.Const) and isinstance(d.args[0].value, str)
             and d.args[0].value.startswith("/")]
    others = [d for d in function.decorators
              if not (isinstance(d, ir.Call) and isinstance(d.func, ir.Attr) and d.func.attr in ROUTE_METHODS)]
    return bool(paths) and bool(others) and not any(name in _PLACEHOLDER.findall(path) for path in paths)


class RootsMixin(Mixin):
    # -- parameters of a root ------------------------------------------------------------
    def root_params(self: Machine, path: str, function: ir.Function, is_handler: bool, self_val: Val | None,
                    frame: Frame, entry: State | None = None) -> dict[str, Val]:
        """The values a root's parameters hold; the dependencies a web framework runs first run on
        ``entry``, the path the root's body continues (what they authorized holds in the body)."""
        env: dict[str, Val] = {}
        params = list(function.params)
        if self_val is not None and params and function.class_qualname is not None:
            kind_of = self.method_kind(FuncV(path, function.qualname))
            if kind_of == "class":
                env[params.pop(0).name] = ClassV(path, function.class_qualname)
            elif kind_of == "instance":
                env[params.pop(0).name] = self_val
        handler_shape = is_handler or self.handler_shaped(function)
        view = False  # a view that takes the request first: the parameters after it are the URL's
        for index, param in enumerate(params):
            value = self.parsed_event(path, function, frame) if index == 0 else None
            if value is None and (value := self.injected(path, param, frame, entry, function)) is not None:
                # a dependency that gives the route the request's tenant (``ctx: Tenant``, its
                # ``Depends(tenant_context)``): the route has obtained it, as from a call
                self.note_obtained(value, frame, (path, function.site))
            value = value or self.marked(path, param, frame) or self.annotated(path, param, function, frame)
            if value is None:
                lowered = param.name.lower()
                request_first = index == 0 and not handler_shape and \
                    (lowered == "request" or framework_object(param)) and self.imports_view_framework(path)
                view = view or request_first
                # (a parameter named ``event`` of a helper that project code calls is what its callers
                # pass: ``bump_daily(evt)`` with a dict built from a stream record is no invocation)
                event_named = lowered in EVENT_PARAMS and (
                    handler_shape or function.qualname.rsplit(".", 1)[-1] not in self.project.called_names())
                if handler_shape and index == 0 or event_named or framework_object(param) or request_first:
                    # (a web framework's request object is the request: headers, query, body)
                    value = EventV(())
                elif handler_shape and index == 1 or lowered in ("context", "lambda_context"):
                    value = ContextV()
                elif _annotation_name(param) in _FRAMEWORK_SERVICES:
                    value = self.param_value(function, param)
                elif not view and self.is_route(function) and supplied_by_decorator(function, param.name):
                    value = self.param_value(function, param)  # (``@as_verified_host`` passes ``host_id``)
                elif view or self.is_route(function) or graphql_resolver(function):
                    value = EventV(("arguments",) if graphql_resolver(function) else ("pathparameters",))
                    value = self.event_child(value, param.name, (path, function.site), frame, False)
                else:
                    value = self.param_default(path, function, param) or self.param_value(function, param)
                    self.default_alias(function, param, path, frame)  # ``_memo={}``: shared by the callers
            env[param.name] = value
        return env

    def parsed_event(self: Machine, path: str, function: ir.Function, frame: Frame) -> Val | None:
        """The event a handler decorated with Powertools' ``@event_parser(model=M, envelope=E)``
        is given: the model made of the event, or of what the envelope takes out of it (an API
        Gateway envelope: the body), as ``parse(event, model=M, envelope=E)`` makes it."""
        from dynolint.model.records import POWERTOOLS_PARSE
        from dynolint.model.state import State

        empty = State({})
        for decorator in function.decorators:
            if not isinstance(decorator, ir.Call) or not any(
                    isinstance(alt, ExtV) and alt.path == POWERTOOLS_EVENT_PARSER
                    for alt in alts(self.peek(decorator.func, empty, frame))):
                continue
            given = {name: self.peek(value, empty, frame) for name, value in decorator.kwargs if name}
            if "model" not in given and function.params and function.params[0].annotation is not None:
                given["model"] = self.peek(function.params[0].annotation, empty, frame)
            given["event"] = EventV(())
            return self.record_call(POWERTOOLS_PARSE, [], given, (path, function.site), empty, frame)
        return None

    def imports_view_framework(self: Machine, path: str) -> bool:
        """Does the module at ``path`` import a framework whose views take the request first
        (REQUEST_FIRST)?"""
        return any(isinstance(value, ExtV) and value.path.startswith(REQUEST_FIRST)
                   for value in self.run_module(path).values())

    def param_default(self: Machine, path: str, function: ir.Function, param: ir.Param) -> Val | None:
        """The object a default argument made where the function is defined, or the project
        callable it names (``uow_factory=new_unit_of_work``, a factory injected so that tests can
        pass a fake): what a root called without that argument (a Lambda handler) works with."""
        if isinstance(param.default, ir.Name) or isinstance(param.default, ir.Attr) and not made_attribute(param.default):
            # (looked up as a call binding it does)
            from dynolint.model.state import State

            value = self.peek(param.default, State({}), self.module_frame(path))
            return value if all(isinstance(alt, PROJECT_CALLABLE) for alt in alts(value)) else None
        if not isinstance(param.default, ir.Call) and not made_attribute(param.default):
            return None
        if function.class_qualname is None:
            self.run_module(path)
        else:
            self.class_env(ClassV(path, function.class_qualname))
        return self.default_of(path, function, param.name)

    def param_value(self: Machine, function: ir.Function, param: ir.Param) -> Val:
        return ParamV(function.qualname, param.name)

    def handler_shaped(self: Machine, function: ir.Function) -> bool:
        names = [p.name.lower() for p in function.params if p.kind == "pos"]
        if function.class_qualname is not None and names and names[0] in ("self", "cls"):
            names = names[1:]
        return len(names) == 2 and names[1] in CONTEXT_PARAMS

    def handler_objects(self: Machine, path: str) -> list[tuple[str, InstanceV, str, ir.Function]]:
        """The module globals of ``path`` that Lambda calls as objects (``handler =
        BriefingTask.from_env()``): an instance of a project class whose ``__call__`` is
        declared as the handler by its global's name, or takes ``(event, context)``; each with
        the instance, and the file and function of its ``__call__``, which runs on that
        instance as a root."""
        found: list[tuple[str, InstanceV, str, ir.Function]] = []
        for name, value in sorted(self.run_module(path).items()):
            options = [alt for alt in alts(value) if type(alt) is InstanceV]
            if len(options) != 1 or len(alts(value)) != 1:
                continue
            method = self.find_method(options[0].cls, "__call__")
            function = self.project.functions.get((method.path, method.qualname)) if method is not None else None
            if method is not None and function is not None and (self.handler_shaped(function)
                                         or self.project.handler_functions(path, name)):
                found.append((name, options[0], method.path, function))
        return found

    def is_route(self: Machine, function: ir.Function) -> bool:
        """A web framework's route: a decorator naming a URL path (``@app.get("/orders/<id>")``),
        whose parameters are the path's parameters."""
        for decorator in function.decorators:
            if (isinstance(decorator, ir.Call) and isinstance(decorator.func, ir.Attr)
                    and decorator.func.attr in ROUTE_METHODS
                    and decorator.args and isinstance(decorator.args[0], ir.Const)
                    and isinstance(decorator.args[0].value, str) and decorator.args[0].value.startswith("/")):
                return True
        return False

    def annotated(self: Machine, path: str, param: ir.Param, function: ir.Function, frame: Frame) -> Val | None:
        if param.annotation is None:
            return None
        from dynolint.model.state import State

        annotation = param.annotation
        candidates = [annotation]
        while candidates:
            current = candidates.pop()
            if isinstance(current, ir.BinOp):
                candidates.extend((current.left, current.right))
                continue
            if isinstance(current, ir.Sub):
                index = current.index
                if isinstance(index, ir.Opaque):  # of several: ``Annotated[Repo, ...]``, ``Union[Repo, None]``
                    candidates.extend(typing_args(self.peek(current.value, State({}), frame), index.deps))
                else:
                    candidates.append(index)
                    if isinstance(index, ir.SeqE):
                        candidates.extend(index.elts)
                candidates.append(current.value)  # (first) ``Repo[Order]``: a generic class of the project
                continue
            value = self.peek(current, State({}), frame)
            resolved = self.annotation_value(value, function, param, (path, function.site))
            if type(resolved) is InstanceV and not resolved.exact and self.is_route(function) \
                    and self.dataclass_fields(resolved.cls) is not None:
                # a route's parameter typed by a record (FastAPI's, Powertools' validated routes: a
                # pydantic model or dataclass) is the request's body, field by field
                body = self.record_from(resolved.cls, EventV(("body",)), (path, function.site), State({}), frame)
                return body if body is not None else resolved
            if resolved is not None:
                return resolved
        return None

    def annotation_value(self: Machine, value: Val, function: ir.Function, param: ir.Param, loc: Loc) -> Val | None:
        for alt in _typing_parts(value):
            if isinstance(alt, ExtV):
                parts = alt.path.split(".")
                if parts[0] in _DDB_STUB_PACKAGES and parts[-1] in _DDB_TYPES:
                    flavor = _DDB_TYPES[parts[-1]]
                    if flavor == "table":
                        return TableV(ParamV(function.qualname, param.name), UNKNOWN_CREDS)
                    if flavor == "client":
                        return ClientV("dynamodb", UNKNOWN_CREDS, "low")
                    return ResourceV("dynamodb", UNKNOWN_CREDS)
                if parts[-1] == "LambdaContext":
                    return ContextV()
                if alt.path in SESSION_CLASSES:  # ``session: boto3.Session``: a session, its credentials unknown
                    return SessionV(UNKNOWN_CREDS, SESSION_CLASSES[alt.path])
            if isinstance(alt, ClassV):
                instance = self.pyn_model_instance(alt, loc, ParamV(function.qualname, param.name))
                return instance if instance is not None else InstanceV(alt, loc, False)
        return None


_T = TypeVar("_T")


def typing_args(form: Val, args: tuple[_T, ...]) -> tuple[_T, ...]:
    """The parameters of a subscript of several that name a parameter's type: the first of
    ``Annotated[T, ...]`` (the rest is metadata), each of ``Union[A, B]``; none of another
    (``dict[str, Repo]`` is a dict)."""
    names = {alt.path.rsplit(".", 1)[-1] for alt in alts(form) if type(alt) is ExtV}
    return args[:1] if "Annotated" in names else args if "Union" in names else ()


def _typing_parts(value: Val, depth: int = 0) -> list[Val]:
    """The types an annotation's value names, as the annotation's own text is read (``annotated``):
    an alias of ``Optional[Repo]``, of ``Repo | None`` or of ``Annotated[Repo, ...]`` names Repo
    (the subscripted form first, then its parameters; a union's members in order)."""
    out: list[Val] = []
    for alt in alts(value):
        if depth < 4 and type(alt) is SubV:
            index = typing_args(alt.base, alt.index.deps) if type(alt.index) is OpaqueV else (alt.index,)
            out += [*_typing_parts(alt.base, depth + 1), *(p for i in index for p in _typing_parts(i, depth + 1))]
        elif depth < 4 and type(alt) is SeqV and alt.kind == "tuple":
            out += [part for elt in alt.elts for part in _typing_parts(elt, depth + 1)]
        elif depth < 4 and type(alt) is ArithV and alt.op == "|":
            out += [*_typing_parts(alt.left, depth + 1), *_typing_parts(alt.right, depth + 1)]
        else:
            out.append(alt)
    return out


# What a call on an unknown parameter says the parameter is: boto3's spelling of a DynamoDB
# call (the operation's item parameter as a keyword: ``Key=``, ``Item=``,
# ``KeyConditionExpression=``) is a table, or a low-level client when it names its table
# (``TableName=``); ``.Table(name)`` is a DynamoDB resource; ``.client("dynamodb")`` and
# ``.resource(...)`` with a service's name are a session. Made with credentials the model
# cannot see (a function whose callers are not in the project receives them).
_SERVICE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


ANY_SERVICE = "?"  # a client of a service named by a value the model does not know


def dynamodb_call(name: str, kwargs: dict[str, Val]) -> bool:
    """Is ``name(**kwargs)`` a low-level DynamoDB item operation by its shape (the operation
    and its table or items named): what a client of a service not known must then be."""
    op = OPERATIONS.get(name)
    return op is not None and op.access in ("read", "write") and any(p in kwargs for p in op.item_params) \
        and ("TableName" in kwargs or name.startswith(("batch", "transact")))


def typed_by_use(recv: Val, name: str, args: list[Val], kwargs: dict[str, Val],
                 project_methods: set[str]) -> Val | None:
    """The SDK object an unknown parameter (or an attribute of one) must be, judged from one
    call on it; None when the call says nothing, or when a class of the project defines a
    method of that name (a stand-in with boto3's interface: a local JSON store, a fake)."""
    if name in project_methods:
        return None
    base = recv
    while isinstance(base, AttrV):
        base = base.base
    unseen = type(base) is SubV and name in ("client", "resource") and _unseen_entry(base)
    if not isinstance(base, ParamV) and not unseen:  # (``cache[key][0].resource("dynamodb")``: a session
        return None  # kept in a cache that holds nothing where the analysis looked)
    op = OPERATIONS.get(name)
    if op is not None and op.access in ("read", "write") and any(p in kwargs for p in op.item_params):
        if "TableName" in kwargs:
            return ClientV("dynamodb", UNKNOWN_CREDS, "low")
        if not name.startswith(("batch", "transact")):
            return TableV(recv, UNKNOWN_CREDS)
        return ResourceV("dynamodb", UNKNOWN_CREDS)
    if name == "batch_writer" and not args:
        return TableV(recv, UNKNOWN_CREDS)
    if name == "Table" and len(args) + len(kwargs) == 1:
        return ResourceV("dynamodb", UNKNOWN_CREDS)
    if name in ("client", "resource"):
        given = args[0] if args else kwargs.get("service_name")
        service = const_str(given) if given is not None else None
        if service is not None and _SERVICE.match(service):
            return SessionV(UNKNOWN_CREDS, "unknown")
    return None


def graphql_resolver(function: ir.Function) -> bool:
    """A GraphQL field resolver of Powertools' ``AppSyncResolver`` (``@app.resolver(type_name=
    "Query", field_name="getOrder")``): it is called with the field's arguments as keywords."""
    return any(isinstance(decorator, ir.Call) and isinstance(decorator.func, ir.Attr)
               and decorator.func.attr == "resolver"
               and any(name in ("field_name", "type_name") for name, _ in decorator.kwargs)
               for decorator in function.decorators)


def _unseen_entry(value: SubV) -> bool:
    """Is ``value`` an entry of a container whose contents the analysis does not know (an empty
    dict: nothing was stored in it where the code looked it up)?"""
    base = value.base
    for _ in range(4):
        if type(base) is not SubV:
            break
        base = base.base
    return type(base) is DictV and not base.items and not base.spreads
