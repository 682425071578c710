"""External functions the model knows: AWS, PynamoDB and CDK constructors (their mixins),
clocks and ids (fresh values), HTTP (paid work), the environment, JWT decoding (claims
trusted or not), JSON and base64 that keep an event's shape, and calls that return their
first argument. Anything else is a ``CallV`` of the function on its arguments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynolint.phase1 import ir
from dynolint.model.containers import dict_keys
from dynolint.model import apps, di
from dynolint.model.authz import VERIFIED
from dynolint.model.file_sinks import FUNCTIONS as FILE_FUNCTIONS
from dynolint.model.values import (
    NONE, UNKNOWN, ArithV, CallV, ClaimsV, ClassV, ConstV, ContextVarV, CostlyV, DictV, EnvV, EventV, FreshV, InstanceV, Loc, SeqV, StrV, Val,
    alts, const_str, one_of,
)
from dynolint.model.library import (
    JSON_ENCODERS, EMPTY_SEQUENCES, EVERY_ENTRY, NAMESPACES, OPERATOR_FUNCTIONS, PROCESS_REMOVES,
    PROCESS_STORES, SESSION_STATE, ProcessStore,
)
from dynolint.model.library_web import APP_STATE

from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine
    from dynolint.model.state import Frame, State

# the functions that make a namedtuple class (its shape is lowered: ``ir.Class.record``)
NAMEDTUPLE = frozenset({"collections.namedtuple", "typing.NamedTuple", "typing_extensions.NamedTuple"})
HTTP_PREFIXES = ("requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.", "http.client.",
                 "pycurl.", "treq.", "grequests.", "niquests.")
# what those libraries also hold that sends nothing: URL and header helpers, settings objects, a
# request built to be sent later (``urllib.request.Request``: ``urlopen`` sends it), a web server
NOT_REQUESTS = frozenset({"quote", "quote_plus", "unquote", "unquote_plus", "urlencode", "pathname2url",
                          "url2pathname", "Request", "Timeout", "Limits", "Retry", "ClientTimeout",
                          "HTTPBasicAuth", "HTTPDigestAuth", "BasicAuth", "HTTPAdapter", "Headers"})
NOT_REQUEST_PREFIXES = ("requests.exceptions.", "requests.utils.", "requests.structures.", "urllib3.util.",
                        "urllib3.exceptions.", "aiohttp.web", "httpx.codes", "http.client.responses")
FRESH_CALLS = frozenset({
    "uuid.uuid1", "uuid.uuid4", "uuid.uuid6", "uuid.uuid7", "time.time", "time.time_ns",
    "time.monotonic", "time.perf_counter", "datetime.datetime.now", "datetime.datetime.utcnow",
    "datetime.now", "datetime.utcnow", "datetime.date.today", "date.today", "os.urandom",
    "secrets.token_hex", "secrets.token_urlsafe", "secrets.token_bytes", "random.random",
    "random.randint", "random.choice", "ulid.new", "ksuid.Ksuid", "nanoid.generate",
})
# calls whose result is one of their arguments, by position (iteration helpers: model/library.py);
# ``typing.cast(T, value)`` is the value, a read-only view of a mapping (``MappingProxyType``) the mapping
PASSTHROUGH: dict[str, int] = {
    "dict": 0, "copy.copy": 0, "copy.deepcopy": 0, "asyncio.run": 0, "asyncio.wait_for": 0,
    "asyncio.create_task": 0, "asyncio.ensure_future": 0, "asyncio.shield": 0, "typing.cast": 1, "typing_extensions.cast": 1, "types.MappingProxyType": 0,
}
# calls whose result is the request data they are given, by the path's prefix -> the position
# and keyword of that argument: classes that wrap the event they are made of (Powertools data
# classes: ``APIGatewayProxyEvent(event)``, ``SQSEvent(data=event)``), whose properties read the
# event's fields (``request_context.authorizer.claims`` is ``["requestContext"]["authorizer"]
# ["claims"]``); parsers of request text (a form body, a cookie header, a token's base64
# payload), whose entries are still what the client sent; and regular expressions matched
# against request text, whose groups are parts of it (``re.match(ROUTE, path).group("tenant_id")``)
EVENT_WRAPPERS: dict[str, tuple[int, str]] = {
    "aws_lambda_powertools.utilities.data_classes.": (0, "data"),
    "urllib.parse.parse_qs": (0, "qs"), "urllib.parse.unquote": (0, "string"),
    "http.cookies.SimpleCookie": (0, "input"),
    "base64.b64decode": (0, "s"), "base64.urlsafe_b64decode": (0, "s"), "base64.standard_b64decode": (0, "s"),
    "base64.decodebytes": (0, "s"),
    "re.match": (1, "string"), "re.search": (1, "string"), "re.fullmatch": (1, "string"),
    "re.findall": (1, "string"), "re.finditer": (1, "string"), "regex.match": (1, "string"),
    "regex.search": (1, "string"), "regex.fullmatch": (1, "string"),
}
# a compiled pattern's methods that match the text given first (``ROUTE.match(path)``)
PATTERN_METHODS = frozenset({"match", "search", "fullmatch", "findall", "finditer"})
PATTERN_MAKERS = frozenset({"re.compile", "regex.compile"})
# a match's methods that answer its groups: by name, the event field of that name; by position, a part
MATCH_GROUPS = frozenset({"group", "groupdict", "groups"})
GATHERS = frozenset({"asyncio.gather"})  # (a coroutine's value is its result: ``await`` gives it)

# decoders -> the encoders whose output they turn back into the value encoded
ROUND_TRIPS: dict[str, frozenset[str]] = {
    **{decoder: JSON_ENCODERS for decoder in ("json.loads", "orjson.loads", "ujson.loads", "simplejson.loads")},
    "pickle.loads": frozenset({"pickle.dumps"}), "marshal.loads": frozenset({"marshal.dumps"}),
    "msgpack.unpackb": frozenset({"msgpack.packb"}), "yaml.safe_load": frozenset({"yaml.safe_dump", "yaml.dump"}),
}


JSON_DECODERS = frozenset({"json.loads", "json.load", "orjson.loads", "ujson.loads", "simplejson.loads"})


def decoded(path: str, text: Val) -> Val | None:
    """What the decoder at ``path`` gives for ``text``, where the model knows: the request (or
    claims) the text is part of, for a JSON decoder; what the matching encoder encoded
    (``json.loads(json.dumps(item, default=str))``: a copy of the item); None otherwise."""
    if path in JSON_DECODERS and any(isinstance(a, (EventV, ClaimsV)) for a in alts(text)):
        return text
    encoded = [a for a in alts(text) if isinstance(a, CallV) and a.recv is None
               and a.fn in ROUND_TRIPS.get(path, ()) and a.args]
    return one_of([a.args[0] for a in encoded]) if encoded else None


def verifies(given: list[dict[str, Val]]) -> bool:
    """Does a JWT decode given these keywords (the call's, and for PyJWT's class API its
    constructor's) verify the signature: not ``options={"verify_signature": False}`` nor
    ``verify=False``?"""
    for kwargs in given:
        for alt in alts(kwargs.get("options", UNKNOWN)):
            if isinstance(alt, DictV) and any(const_str(key) == "verify_signature" and isinstance(value, ConstV)
                                              and value.value is False for key, value in alt.items):
                return False
        verify = kwargs.get("verify")
        if isinstance(verify, ConstV) and verify.value is False:
            return False
    return True


class ExternalMixin(Mixin):
    def process_store(self: Machine, row: ProcessStore, args: list[Val], kwargs: dict[str, Val], node: ir.Call,
                      state: State, frame: Frame) -> None:
        """A function stores into state the process keeps (``os.environ.update(...)``,
        ``os.putenv(k, v)``): recorded as a store into a module global."""
        value = args[row.value] if len(args) > row.value else one_of(list(kwargs.values())) if kwargs else UNKNOWN
        key: Val
        if row.key >= 0:
            key = args[row.key] if len(args) > row.key else UNKNOWN
        else:
            key = dict_keys(value) if len(args) > row.value else SeqV("tuple", tuple(ConstV(k) for k in kwargs))
        self.process_stored(frame, self.stmt_site(frame, node), row.state, key, value, "method", state)

    def matched_request(self: Machine, recv: Val, name: str, args: list[Val], loc: Loc, frame: Frame) -> Val | None:
        """A compiled pattern matched against request text (``ROUTE.match(path)``: the text), and
        a group of such a match (``m.group("tenant_id")``, ``m["tenant_id"]`` is a subscript:
        the event field of that name; by position, a part of the text); None otherwise."""
        if name in PATTERN_METHODS and args and \
                any(isinstance(alt, CallV) and alt.fn in PATTERN_MAKERS for alt in alts(recv)):
            return request_text(args[0])
        events = [alt for alt in alts(recv) if isinstance(alt, EventV)]
        if name not in MATCH_GROUPS or not events:
            return None
        group = const_str(args[0]) if name == "group" and args else None
        if name == "groupdict":  # the named groups, each read by its name
            return one_of(events)
        # a group by name is that field; by position (``group(1)``, ``groups()``), a part of the text
        return one_of([self.event_child(event, group, loc, frame, False) if group
                       else EventV(event.path + ("?",), event.trusted) for event in events])

    # -- external functions --------------------------------------------------------------
    def call_external(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], spread_unknown: tuple[Val, ...],
                      node: ir.Call, loc: Loc, state: State, frame: Frame) -> Val:
        aws = self.aws_constructor(path, args, kwargs, loc, state, frame, spread_unknown)
        if aws is not None:
            return aws
        pyn = self.pyn_external(path)
        if pyn is not None:
            return pyn
        cdk = self.cdk_call(path, args, kwargs, loc)
        if cdk is not None:
            return cdk
        if path in NAMEDTUPLE and loc in self.project.records:
            return ClassV(loc[0], self.project.records[loc])  # the class the call makes (lowered)
        if path in FRESH_CALLS or path.endswith((".uuid4", ".uuid1", ".now", ".utcnow", ".today")):
            return FreshV(loc)
        if path.startswith(HTTP_PREFIXES) and path.rsplit(".", 1)[-1] not in NOT_REQUESTS \
                and not path.startswith(NOT_REQUEST_PREFIXES):
            if path in FILE_FUNCTIONS:  # a download to a path (urlretrieve)
                self.file_call(path, args, kwargs, loc, frame)
            if path in SESSION_STATE and self.roots[frame.root].module_root and len(self.module_instances) < 10_000:
                self.module_instances.add(loc)  # a session made at import: shared by every invocation
            return CostlyV(loc, f"HTTP request ({path})", tuple(args) + tuple(kwargs.values()), self.costly_seq())
        if path in OPERATOR_FUNCTIONS and len(args) == 2 and not kwargs:  # ``operator.or_(a, b)`` is ``a | b``
            return self.binop(OPERATOR_FUNCTIONS[path], args[0], args[1], loc)
        if path in NAMESPACES and not args:  # ``SimpleNamespace(**item)``: the item's entries as attributes
            return self.make_namespace(path, kwargs, spread_unknown, loc)
        record = self.record_call(path, args, kwargs, loc, state, frame)
        if record is not None:
            return record
        library = self.library_call(path, args, kwargs, node, loc, state, frame)
        if library is not None:
            return library
        if path in EMPTY_SEQUENCES and not args and not kwargs:
            return SeqV("list", ())
        if path in GATHERS:  # the awaitables' results in order; of ``*coros``, as many as there were
            return SeqV("items", (one_of(args),)) if node.star_args and args else SeqV("list", tuple(args))
        if path == "dict" and not args and spread_unknown:  # ``dict(**item, n=n + 1)`` is ``dict(item, n=...)``
            args = [one_of(spread_unknown)]  # as evaluated once, calls included (``dict(**get()["Item"])``)
        made = self.make_container(path, args, kwargs)  # dict(pairs), defaultdict(list)
        if made is not None:
            return made
        if path == "str" and len(args) == 1 and not kwargs and all(
                type(a) is EnvV or type(a) is ConstV and type(a.value) is str for a in alts(args[0])):
            return args[0]  # ``str(os.environ["FN"])``: the text it is
        if path in PASSTHROUGH:
            if path == "dict" and args and kwargs:  # ``dict(item, n=n + 1)``: a copy with entries set
                extra = tuple((ConstV(k), v) for k, v in kwargs.items())
                base = args[0]
                if isinstance(base, DictV):
                    return DictV(tuple((k, v) for k, v in base.items if const_str(k) not in kwargs) + extra,
                                 base.spreads)
                return DictV(extra, (base,))
            if len(args) > PASSTHROUGH[path]:
                return args[PASSTHROUGH[path]]
            return DictV(tuple((ConstV(k), v) for k, v in kwargs.items())) if path == "dict" else UNKNOWN
        handled = self.file_call(path, args, kwargs, loc, frame)
        if handled is not None:
            return handled
        if path in PROCESS_REMOVES:
            state_name, at = PROCESS_REMOVES[path]
            self.process_removed(state_name, ConstV(EVERY_ENTRY) if at < 0 else
                                 args[at] if len(args) > at else kwargs.get("key", UNKNOWN))
            return EnvV(args[at], args[at + 1] if len(args) > at + 1 else None) if path.endswith(".pop") and args \
                else NONE
        if path in PROCESS_STORES and frame.function is not None:
            self.process_store(PROCESS_STORES[path], args, kwargs, node, state, frame)
            if path.endswith(".setdefault"):
                return EnvV(args[0] if args else kwargs.get("key", UNKNOWN), args[1] if len(args) > 1 else None)
            return NONE
        if path in ("os.environ.get", "os.getenv", "environ.get", "os.environ.setdefault"):
            name = args[0] if args else kwargs.get("key", UNKNOWN)
            default = args[1] if len(args) > 1 else kwargs.get("default")
            stored = self.process_entry("os.environ", name)
            return EnvV(name, default) if stored is None else one_of((EnvV(name, default), stored))
        if path in ("jwt.decode", "jose.jwt.decode", "jwt.api_jwt.decode"):
            return ClaimsV(verifies([kwargs]))
        if path in ("jwt.get_unverified_claims", "jose.jwt.get_unverified_claims",
                    "jwt.decode_complete") or path.endswith("get_unverified_claims"):
            # trusted when a signature verification succeeded earlier on this path
            return ClaimsV(VERIFIED in self.path_facts)
        if (path in JSON_DECODERS or path in ROUND_TRIPS) and args:
            found = decoded(path, args[0])
            if found is not None:
                return found
            if path in ROUND_TRIPS:
                return CallV(path, None, tuple(args))
        wrapped = event_wrapped(path, args, kwargs)
        if wrapped is not None:
            return wrapped
        if path == "setattr" and len(node.args) == 3 and not node.kwargs and (attr := const_str(args[1])) is not None:
            # ``setattr(STATE, "tenant", tid)``: the assignment it stands for
            self.assign(ir.Attr(node.args[0], attr, node.site), args[2], state, frame, self.stmt_site(frame, node))
            return NONE
        if path == "getattr" and len(args) >= 2:
            found = self.dynamic_getattr(args[0], args[1], loc, state, frame)
            if found is not None:
                return found
        if path in ("contextvars.ContextVar",):
            return ContextVarV(loc)
        if path in ("print", "logging.info", "logging.debug", "logging.warning", "logging.error",
                    "isinstance", "hasattr", "issubclass", "callable", "setattr", "delattr"):
            return NONE
        if (registry := di.made_registry(self, path, loc, frame)) is not None:  # ``punq.Container()``
            return registry
        result = CallV(path, None, tuple(args), tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))
        if path in APP_STATE:  # a web application: what it keeps (model/apps.py)
            apps.made(self, path, result, kwargs, node, loc, state, frame)
        return result

    def dynamic_getattr(self: Machine, obj: Val, name: Val, loc: Loc, state: State, frame: Frame) -> Val | None:
        """``getattr(obj, name)``: the attribute, by a constant name; by a name built from a
        constant prefix (``getattr(self, "on_" + kind)``), each method of the instance's class
        whose name starts with it (a dispatch table)."""
        text = const_str(name)
        if text is not None:
            return self.get_attr(obj, text, loc, state, frame)
        prefix = const_str(name.parts[0]) if isinstance(name, StrV) and name.parts else None
        if not prefix:
            return None
        found: list[Val] = []
        for alt in alts(obj):
            klass = self.project.classes.get((alt.cls.path, alt.cls.qualname)) if isinstance(alt, InstanceV) else None
            if klass is not None:
                found.extend(self.get_attr(alt, method, loc, state, frame)
                             for method, _ in klass.methods if method.startswith(prefix))
        return one_of(found) if found else None

    def process_stored(self: Machine, frame: Frame, site: int, process: str, key: Val, value: Val, kind: str,
                       state: State) -> None:
        """A function stores ``value`` under ``key`` in process state: a store into a module
        global (rules), and what a later lookup of that entry finds (``process_entry``)."""
        self.global_store(frame, site, process, kind, key, value, state)
        keys = key.elts if isinstance(key, SeqV) else (key,)
        for one in keys:
            name = const_str(one)
            if name is not None:
                self.summaries.write((process, name), value, merged=True)

    def process_entry(self: Machine, process: str, key: Val) -> Val | None:
        """What functions stored under ``key`` in process state (``os.environ["TENANT_ID"]``
        set by the handler, read by a helper), or None."""
        name = const_str(key)
        return self.summaries.heap_get((process, name)) if name is not None else None

    def process_removed(self: Machine, process: str, key: Val) -> None:
        """Code removes the entry ``key`` of process state (``os.environ.pop("TENANT_ID")``; each
        name a loop over constant names may hold: ``for name in (...): os.environ.pop(name)``)."""
        for alt in alts(key):
            name = const_str(alt)
            if name is not None:
                self.removed_entries.add((process, name))


def event_wrapped(path: str, args: list[Val], kwargs: dict[str, Val]) -> Val | None:
    """The event (or a part of it) that a library class wrapping events is made of, when
    ``path`` is such a class and it is given one (``EVENT_WRAPPERS``); None otherwise."""
    where = next((row for prefix, row in EVENT_WRAPPERS.items() if path.startswith(prefix)), None)
    if where is None:
        return None
    position, keyword = where
    given = args[position] if len(args) > position else kwargs.get(keyword)
    return request_text(given) if given is not None else None


def request_text(value: Val, depth: int = 0) -> Val | None:
    """The request data ``value`` is made of: the event (or a part of it) itself, or one
    joined to constants (``payload + "=" * pad``); None when it is none of these."""
    found: list[Val] = []
    for alt in alts(value):
        if isinstance(alt, EventV):
            found.append(alt)
        elif depth < 4 and (isinstance(alt, ArithV) and alt.op == "+" or isinstance(alt, StrV)):
            parts = (alt.left, alt.right) if isinstance(alt, ArithV) else alt.parts
            found.extend(text for part in parts if (text := request_text(part, depth + 1)) is not None)
    return one_of(found) if found else None


__all__ = ["ExternalMixin", "EVENT_WRAPPERS", "event_wrapped", "FRESH_CALLS", "HTTP_PREFIXES", "PASSTHROUGH"]
