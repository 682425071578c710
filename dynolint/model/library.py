"""What library functions do with the values and callables they are given, as data the
interpreter consults (a row per function, no branch per library in the interpreter).

``ITERATION``: how the elements of a call's result relate to its arguments.
``CALLBACKS``: which argument is a callable that the library calls, and with what.
``PAGES``: methods of a paginator's page iterator.
"""

from __future__ import annotations

from dataclasses import dataclass

# How a call's result iterates, by the function's dotted path:
#   ("same", i)      the elements of argument i (filter, sorted, islice, list, ...)
#   ("chain", -1)    the elements of every argument, in turn
#   ("flatten", i)   the elements of the elements of argument i
#   ("enumerate", i) (index, element of argument i) pairs
#   ("zip", -1)      tuples of one element of each argument
#   ("element", i)   one element of argument i (next: a value, not an iterable)
#   ("least", i)     min, max: one element of argument i, or given several arguments one of them
#                    (chosen by comparing them: a test of each one that derives from a read)
#   ("chunks", i)    sequences of elements of argument i (batched, chunked)
#   ("groups", i)    (key, elements of argument i) pairs (groupby)
ITERATION: dict[str, tuple[str, int]] = {
    "list": ("same", 0), "tuple": ("same", 0), "set": ("same", 0), "frozenset": ("same", 0),
    "sorted": ("same", 0), "reversed": ("same", 0), "iter": ("same", 0),
    "filter": ("same", 1), "itertools.filterfalse": ("same", 1),
    "itertools.islice": ("same", 0), "itertools.takewhile": ("same", 1),
    "itertools.dropwhile": ("same", 1), "itertools.compress": ("same", 0),
    "itertools.cycle": ("same", 0), "more_itertools.unique_everseen": ("same", 0),
    "itertools.chain": ("chain", -1), "itertools.chain.from_iterable": ("flatten", 0),
    "more_itertools.flatten": ("flatten", 0), "enumerate": ("enumerate", 0), "zip": ("zip", -1),
    "itertools.zip_longest": ("zip", -1), "itertools.product": ("zip", -1),
    "next": ("element", 0), "min": ("least", 0), "max": ("least", 0),
    "more_itertools.first": ("element", 0), "more_itertools.one": ("element", 0),
    "itertools.batched": ("chunks", 0), "more_itertools.chunked": ("chunks", 0),
    "more_itertools.batched": ("chunks", 0), "itertools.pairwise": ("chunks", 0),
    "itertools.groupby": ("groups", 0),
    # the futures (awaitables) given, in the order they finish
    "concurrent.futures.as_completed": ("same", 0), "asyncio.as_completed": ("same", 0),
    "collections.deque": ("same", 0), "heapq.heappop": ("element", 0), "heapq.heappushpop": ("element", 0),
    "heapq.nsmallest": ("same", 1), "heapq.nlargest": ("same", 1),
}
# sequences a call with nothing to iterate makes empty (``pending = deque()``), for the elements
# appended to it; and the methods that take one of a sequence's elements back out
EMPTY_SEQUENCES = frozenset({"list", "collections.deque"})
TAKE_ELEMENT = frozenset({"pop", "popleft"})
# methods that add an element to a container, and the position of the element among their arguments
# (``extend``: each element of the argument)
ELEMENT_ADDERS: dict[str, int] = {"append": 0, "appendleft": 0, "add": 0, "insert": 1, "extend": 0}

# Calls that make a dict: "pairs" from a mapping or an iterable of (key, value) pairs given
# first (``dict(zip(keys, rows))``), "default" from what follows the default factory given
# first, whose dict makes an entry on first use (``defaultdict(list)``: model/containers.py),
# "chain" a view of the mappings given, the first that has a key giving it (``ChainMap(changes,
# item)`` looks up as ``{**item, **changes}``)
DICT_MAKERS: dict[str, str] = {
    "dict": "pairs", "builtins.dict": "pairs", "collections.OrderedDict": "pairs",
    "collections.defaultdict": "default", "typing.DefaultDict": "default",
    "collections.ChainMap": "chain", "typing.ChainMap": "chain",
}

# A Counter's methods that add to its counts (or take from them), by the arithmetic they are
COUNTERS = frozenset({"collections.Counter", "typing.Counter"})
COUNTER_METHODS: dict[str, str] = {"update": "+", "subtract": "-"}

# Methods of the page iterator a paginator's ``paginate()`` returns (botocore):
#   "element": one page merged from all of them; "items": the items of every page
PAGES: dict[str, str] = {"build_full_result": "element", "search": "items"}


@dataclass(frozen=True, slots=True)
class Callback:
    """A library call that calls a callable it is given.

    ``func``: where the callable is (an argument position, or a keyword); ``args``: where
    its positional arguments are (a position from which the rest are passed, or a keyword
    holding a tuple), ``kwargs``: the keyword holding its keyword arguments, ``rest_kwargs``:
    whether the call's other keyword arguments are passed on; ``each``: the position of an
    iterable whose elements it is called with, one at a time, or the keyword holding it, and
    ``each_in`` the entry of that value that is the iterable (Powertools' batch utilities call
    ``record_handler`` with each of ``event["Records"]``); ``key``: the keyword that
    holds a callable called with the elements of ``each`` (sorted(key=)); ``result``: what
    the call returns: "call" (the callable's result), "mapped" (an iterable of its
    results), "same" (the elements of ``each``), "handle" (an object to wait on), "fold" (the
    callable called with what it returned so far and each element in turn, from the
    argument at ``start`` (a position or a keyword) when given, else from the first element:
    ``functools.reduce``), "folds" (an iterable of every value so far of such a fold:
    ``itertools.accumulate``); ``default``: the callable called where none is given (the path of
    an operator function)."""

    func: int | str
    args: int | str | None = None
    kwargs: str | None = None
    rest_kwargs: bool = False
    each: int | str | None = None
    each_in: str | None = None
    key: str | None = None
    result: str = "handle"
    start: int | str | None = None
    default: str | None = None


CALLBACKS: dict[str, Callback] = {
    "threading.Thread": Callback("target", "args", "kwargs"),
    "threading.Timer": Callback(1, "args", "kwargs"),
    "multiprocessing.Process": Callback("target", "args", "kwargs"),
    "asyncio.to_thread": Callback(0, 1, rest_kwargs=True, result="call"),
    "anyio.to_thread.run_sync": Callback(0, 1, result="call"),
    # Starlette's (and FastAPI's re-export of) a sync function run in a worker thread: its result
    **dict.fromkeys(("starlette.concurrency.run_in_threadpool", "fastapi.concurrency.run_in_threadpool"),
                    Callback(0, 1, rest_kwargs=True, result="call")),
    "map": Callback(0, each=1, result="mapped"),
    "itertools.starmap": Callback(0, each=1, result="mapped"),
    "filter": Callback(0, each=1, result="same"),
    "itertools.filterfalse": Callback(0, each=1, result="same"),
    "sorted": Callback("key", each=0, key="key", result="same"),
    "min": Callback("key", each=0, key="key", result="same"),
    "max": Callback("key", each=0, key="key", result="same"),
    "re.sub": Callback(1, result="same"),
    "re.subn": Callback(1, result="same"),
    "atexit.register": Callback(0, 1, rest_kwargs=True, result="call"),
    **dict.fromkeys(("starlette.background.BackgroundTask", "fastapi.BackgroundTasks.add_task"),
                    Callback(0, 1, rest_kwargs=True)),
    "functools.reduce": Callback(0, each=1, result="fold", start=2),
    "_functools.reduce": Callback(0, each=1, result="fold", start=2),
    "itertools.accumulate": Callback(1, each=0, result="folds", start="initial", default="operator.add"),
    **dict.fromkeys((f"aws_lambda_powertools.utilities.batch.{name}" for name in (
        "process_partial_response", "async_process_partial_response")),
        Callback("record_handler", each="event", each_in="Records", result="same")),
}

# Functions of the operator module that apply a binary operator to their two arguments
# (``functools.reduce(operator.or_, [item, changes])`` merges as ``item | changes``)
# ``operator.itemgetter(*keys)`` / ``attrgetter(*names)``: a callable that takes those entries or
# attributes of the object it is given (one: the value; several: a tuple). Made, it is a
# partial of the path + GOT with the keys; called, that path takes them (model/library_calls.py).
GETTERS: dict[str, str] = {"operator.itemgetter": "item", "operator.attrgetter": "attr"}
GOT = "()"
# Powertools' ``@lambda_handler_decorator`` makes a function ``mw(handler, event, context, **kw)`` a
# decorator: ``@mw`` (or ``@mw(**kw)``) gives a handler that calls it with the handler first
MIDDLEWARE_FACTORIES = frozenset({
    "aws_lambda_powertools.middleware_factory.lambda_handler_decorator",
    "aws_lambda_powertools.middleware_factory.factory.lambda_handler_decorator",
})

OPERATOR_FUNCTIONS: dict[str, str] = {
    "operator.or_": "|", "operator.ior": "|", "operator.add": "+", "operator.iadd": "+",
    "operator.sub": "-", "operator.isub": "-", "operator.mul": "*", "operator.and_": "&",
}

# Methods of objects the project makes from a library class (by the constructor's path)
# or gets from a library function, and, for a receiver the model does not know, by the
# method name alone when its callable is a project function.
METHOD_CALLBACKS: dict[str, Callback] = {
    "concurrent.futures.ThreadPoolExecutor.submit": Callback(0, 1, rest_kwargs=True),
    "concurrent.futures.ProcessPoolExecutor.submit": Callback(0, 1, rest_kwargs=True),
    "concurrent.futures.ThreadPoolExecutor.map": Callback(0, each=1, result="mapped"),
    "concurrent.futures.ProcessPoolExecutor.map": Callback(0, each=1, result="mapped"),
    "multiprocessing.Pool.map": Callback(0, each=1, result="mapped"),
    "multiprocessing.pool.ThreadPool.map": Callback(0, each=1, result="mapped"),
    "multiprocessing.Pool.apply_async": Callback(0, "args", "kwds"),
    # an asyncio future, which the code awaits (``await`` is lowered away): the call's result
    "asyncio.get_event_loop.run_in_executor": Callback(1, 2, result="call"),
    "asyncio.get_running_loop.run_in_executor": Callback(1, 2, result="call"),
    "asyncio.new_event_loop.run_in_executor": Callback(1, 2, result="call"),
    # ``ctx.run(fn, *args, **kwargs)``: fn called now, in the copied context, and its result
    **dict.fromkeys(("contextvars.copy_context.run", "contextvars.Context.run"),
                    Callback(0, 1, rest_kwargs=True, result="call")),
}
# Methods that make a task of the coroutine they are given (``asyncio.create_task`` is a
# pass-through call, model/external.py): awaiting the task is the coroutine's value
TASK_MAKERS: frozenset[str] = frozenset({
    "asyncio.TaskGroup.create_task", "asyncio.get_event_loop.create_task", "asyncio.get_running_loop.create_task",
    "asyncio.new_event_loop.create_task", "anyio.create_task_group.start_soon",
})
# Methods of an event loop whose result is the value of the awaitable they are given
LOOP_RUNS: frozenset[str] = frozenset({"run_until_complete"})
ANY_RECEIVER_CALLBACKS: dict[str, Callback] = {
    "submit": Callback(0, 1, rest_kwargs=True),
    "run_in_executor": Callback(1, 2, result="call"),
    "apply_async": Callback(0, "args", "kwds"),
    "start_soon": Callback(0, 1),
    "add_task": Callback(0, 1, rest_kwargs=True),  # Starlette's (FastAPI's) BackgroundTasks: run after the response
    "call_soon": Callback(0, 1),
    "call_later": Callback(1, 2),
}

# Decorators that make a method read as an attribute: "property" runs the getter on every
# read, "cached" runs it once per instance and stores the result on the instance.
PROPERTIES: dict[str, str] = {
    "property": "property", "functools.cached_property": "cached", "cached_property": "cached",
    "abc.abstractproperty": "property", "django.utils.functional.cached_property": "cached",
    "werkzeug.utils.cached_property": "cached", "cachetools.cachedproperty": "cached",
}

# Bases that make a class an enumeration: calling it with a value gives the member of that
# value, and the model keeps a member as its value (``Status("NEW")``, ``Status.NEW`` and
# ``Status.NEW.value`` are all "NEW"), as the item stores it.
ENUM_BASES = frozenset({
    "enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum",
    "django.db.models.TextChoices", "django.db.models.IntegerChoices", "django.db.models.Choices",
})

# ``Status[name]`` with a name from data, on an enumeration whose members are not named as their
# values: the function (of the name and the table of names to values) the member is kept as
ENUM_BY_NAME = "enum.EnumType.__getitem__"

# Classes whose instances hold the keyword arguments they are made with as attributes and give
# them back as a dict (``vars(ns)``, ``ns.__dict__``): ``SimpleNamespace(**item)`` is the item
# with attribute access (model/records.py). ``threading.local()`` is one per thread: a Lambda
# environment runs its invocations one after another on one thread, so what a request stores
# on a module-level one is there for the next request, as on a module-level namespace.
NAMESPACES = frozenset({"types.SimpleNamespace", "argparse.Namespace", "threading.local", "_thread._local",
                        "starlette.datastructures.State", "strawberry.types.Info"})

# a record class's table of its fields by name (dataclasses, pydantic v2 and v1, a namedtuple's)
FIELD_TABLES = frozenset({"__dataclass_fields__", "model_fields", "__fields__", "_fields"})
# Bases that make a class a typed dict: calling it makes a dict of what it is given
# (``Member(member_id=..., points=...)``, ``Member(item)``), as a ``dict(...)`` call does.
TYPED_DICT_BASES = frozenset({"typing.TypedDict", "typing_extensions.TypedDict", "mypy_extensions.TypedDict"})
# functions that encode a value as JSON text (what a decoder of the text gives back)
JSON_ENCODERS = frozenset({"json.dumps", "orjson.dumps", "ujson.dumps", "simplejson.dumps"})
# Methods of a library class's instances (and of a project class deriving from it) that give
# back the data they are given, by position: a schema's ``load``/``dump`` check and convert the
# fields, and what comes out is the same record (``OrderSchema().dump(OrderSchema().load(item))``).
PASSING_METHODS: dict[str, dict[str, int]] = {
    **{schema: {"load": 0, "dump": 0} for schema in ("marshmallow.Schema", "marshmallow.schema.Schema")},
    "pydantic.TypeAdapter": {"validate_python": 0, "dump_python": 0},
}
# dict and the mapping classes a project class subclasses to keep entries (model/mappings.py)
MAPPING_BASES = frozenset({"dict", "builtins.dict", "collections.UserDict", "collections.OrderedDict", "typing.Dict"})
# pydantic's models (and the libraries that re-export them): iterating one gives (field, value) pairs
PYDANTIC_BASES = frozenset({
    "pydantic.BaseModel", "pydantic.main.BaseModel", "pydantic.v1.BaseModel", "pydantic.v1.main.BaseModel",
    "sqlmodel.SQLModel",
    # Powertools' parser re-exports pydantic's
    "aws_lambda_powertools.utilities.parser.BaseModel", "aws_lambda_powertools.utilities.parser.pydantic.BaseModel",
})
# pydantic's settings models: a field the code does not give is read from the environment variable of
# its name (upper case, after the class's ``env_prefix``), else it takes its default (model/records.py)
SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings",
                            "pydantic.BaseSettings", "pydantic.v1.BaseSettings", "pydantic.env_settings.BaseSettings"})
LIBRARY_BASES: dict[str, frozenset[str]] = {
    "enum": ENUM_BASES, "typeddict": TYPED_DICT_BASES, "mapping": MAPPING_BASES, "pydantic": PYDANTIC_BASES,
    # a record model whose subclasses are models too, each with its own fields (model/records.py)
    "record_model": PYDANTIC_BASES | SETTINGS_BASES | frozenset({"msgspec.Struct"}),
    "settings": SETTINGS_BASES,
    # a middleware class whose ``dispatch(request, call_next)`` runs before each request (model/objects.py)
    "middleware": frozenset({"starlette.middleware.base.BaseHTTPMiddleware",
                             "fastapi.middleware.base.BaseHTTPMiddleware"}),
    "userdict": frozenset({"collections.UserDict"}), **{path: frozenset({path}) for path in PASSING_METHODS},
    # a thread or process whose ``start()`` runs the subclass's own ``run()`` (model/library_calls.py)
    "runnable": frozenset({"threading.Thread", "multiprocessing.Process", "multiprocessing.context.Process"}),
    # a structural type: its methods declare what implementations do (model/raising.py)
    "protocol": frozenset({"typing.Protocol", "typing_extensions.Protocol"}),
    # a PynamoDB index, declared on its model (``by_email = ByEmail()``): its query and scan read
    # the model's table (model/pynamodb.py)
    "pynamodb_index": frozenset({"pynamodb.indexes.GlobalSecondaryIndex", "pynamodb.indexes.LocalSecondaryIndex",
                                 "pynamodb.indexes.Index"}),
}
# library classes known by their package rather than one by one (every class-based view of Django
# and Django REST framework: View, TemplateView, DetailView, APIView, GenericAPIView, ViewSet, ...)
LIBRARY_BASE_PACKAGES: dict[str, tuple[str, ...]] = {
    "view": ("django.views.", "rest_framework.views.", "rest_framework.generics.", "rest_framework.viewsets."),
}
# What a class-based view's dispatch stores on the instance before it calls the handler method
# (``setup()`` / ``initial()``): the request being served and the URL's arguments, as the part of
# the request (an event path) each is.
VIEW_ATTRIBUTES: dict[str, tuple[str, ...]] = {"request": (), "kwargs": ("pathparameters",), "args": ("pathparameters",)}

# Calls that make a property from functions given to them (``status = property(get, set)``
# in a class body): the roles of their positional arguments, in order.
PROPERTY_MAKERS: dict[str, tuple[str, ...]] = {
    "property": ("fget", "fset", "fdel"), "builtins.property": ("fget", "fset", "fdel"),
}

# Builtin types whose methods code calls unbound, the instance first: ``str.join("-", parts)`` is
# ``"-".join(parts)``, ``dict.get(d, k)`` is ``d.get(k)``. Their alternative constructors are no such
# method (``dict.fromkeys(keys)`` makes a new dict).
UNBOUND_TYPES: frozenset[str] = frozenset({"str", "bytes", "dict", "list", "set", "frozenset", "tuple"})
CONSTRUCTORS: frozenset[str] = frozenset({"fromkeys", "maketrans", "fromhex"})

# Methods of library objects whose result is the value a context manager they are given
# gives when entered (``ExitStack.enter_context``), by method name.
ENTERS: frozenset[str] = frozenset({"enter_context", "enter_async_context"})

# methods of request text (a header, the body, a parameter) whose result is still that text,
# or pieces of it: ``token.removeprefix("Bearer ").split(".")[1]`` is a part of the header
REQUEST_TEXT_METHODS: frozenset[str] = frozenset({
    "strip", "lstrip", "rstrip", "removeprefix", "removesuffix", "lower", "upper", "casefold", "replace",
    "split", "rsplit", "partition", "rpartition", "splitlines", "encode", "decode",
})

# Exit stacks: a ``with`` (or ``async with``) block over one runs, where it ends, the callbacks
# pushed on the stack meanwhile (``stack.callback(fn, *args, **kwargs)``), the last pushed first.
EXIT_STACKS: frozenset[str] = frozenset({"contextlib.ExitStack", "contextlib.AsyncExitStack"})
EXIT_CALLBACKS: frozenset[str] = frozenset({"callback", "push_async_callback"})

# Methods of an HTTP client or session object (``httpx.Client()``, ``requests.Session()``,
# ``aiohttp.ClientSession()``) that send a request: costly work where they are called, not
# where the client was made (once per process, at import).
HTTP_CLIENT_METHODS: frozenset[str] = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream", "fetch",
    "urlopen", "getresponse", "open",  # urllib.request.build_opener().open(url)
})


# HTTP session objects and the attributes in which they keep state for every later request (headers
# sent with each request, cookies, credentials, default query parameters): one made at import and
# changed by a handler carries the change into the next invocation, another tenant's in a shared
# function (rules: DYN302), as a module global does. By the path of the call that makes one.
_REQUESTS_STATE = frozenset({"headers", "cookies", "auth", "params", "proxies", "cert"})
_HTTPX_STATE = frozenset({"headers", "cookies", "auth", "params"})
SESSION_STATE: dict[str, frozenset[str]] = {
    **dict.fromkeys(("requests.Session", "requests.session", "requests.sessions.Session",
                     "niquests.Session"), _REQUESTS_STATE),
    **dict.fromkeys(("httpx.Client", "httpx.AsyncClient"), _HTTPX_STATE),
    "aiohttp.ClientSession": frozenset({"headers", "cookie_jar"}),
}
# Other library objects that keep mutable state in an attribute (by the call that makes one):
# a logging adapter's ``extra`` dict (``log.extra["tenant"] = ...`` stays for the next request),
# a Flask application's ``config``
OBJECT_STATE: dict[str, frozenset[str]] = {
    "logging.LoggerAdapter": frozenset({"extra"}),
    "flask.Flask": frozenset({"config", "extensions"}), "quart.Quart": frozenset({"config", "extensions"}),
}
# what a response that carries credentials (STS, Cognito identity) holds of them; the rest (their
# expiry, the role assumed) is no credential
# the STS calls whose response carries credentials
STS_CREDENTIAL_CALLS = frozenset({"assume_role", "assume_role_with_web_identity", "assume_role_with_saml",
                                  "get_federation_token", "get_session_token"})
CREDENTIAL_PARTS = frozenset({"Credentials", "AccessKeyId", "SecretAccessKey", "SecretKey", "SessionToken",
                              "aws_access_key_id", "aws_secret_access_key", "aws_session_token"})
# comparisons in constant time: ``compare_digest(a, b)`` is ``a == b``
DIGEST_COMPARES = frozenset({"hmac.compare_digest", "secrets.compare_digest"})
# PyJWT's class API: ``PyJWT(options=...).decode(token, ...)`` decodes as ``jwt.decode`` does
JWT_CLASSES = frozenset({"jwt.PyJWT", "jwt.api_jwt.PyJWT"})
# Loggers are process state: the logger a module holds (``logging.getLogger()``, Powertools'
# ``Logger``) is the same object in every invocation, and what a request adds to it stays:
# filters and handlers (``addFilter(TenantFilter(tenant))``), Powertools' keys
# (``append_keys(tenant_id=...)``, kept across invocations unless ``inject_lambda_context``
# is given ``clear_state=True`` or the keys are removed). The methods that add, and those that
# take away again (in a ``finally``: model/objects.py).
# a queue made at import holds what every invocation puts on it until something takes it off
QUEUE_MAKERS = frozenset({"queue.Queue", "queue.SimpleQueue", "queue.LifoQueue", "queue.PriorityQueue",
                          "asyncio.Queue", "asyncio.LifoQueue", "asyncio.PriorityQueue", "multiprocessing.Queue"})
QUEUE_STORES = frozenset({"put", "put_nowait"})
# Powertools' ``Metrics`` is kept the same way: its default dimensions (``set_default_dimensions
# (tenant=...)``) outlive the flush at the end of each invocation, which clears only the metrics,
# metadata and ``add_dimension``'s dimensions.
LOGGER_MAKERS = frozenset({"logging.getLogger", "logging.Logger", "aws_lambda_powertools.Logger",
                           "aws_lambda_powertools.logging.Logger", "aws_lambda_powertools.logging.logger.Logger",
                           "aws_lambda_powertools.Metrics", "aws_lambda_powertools.metrics.Metrics",
                           "aws_lambda_powertools.metrics.metrics.Metrics"})
LOGGER_STORES = frozenset({"addFilter", "addHandler", "append_keys",
                           "structure_logs",  # Powertools' older name of append_keys (it still has it)
                           "thread_safe_append_keys",  # kept in a module-level ContextVar, never reset
                           "set_default_dimensions"})
LOGGER_REMOVES = frozenset({"removeFilter", "removeHandler", "remove_keys", "clear_state",
                            "thread_safe_remove_keys", "thread_safe_clear_keys", "clear_default_dimensions"})
# decorators of a logger's own (``@logger.inject_lambda_context(clear_state=True)``) that clear
# what each invocation added to it, by method name: the keyword that asks for it
CLEARING_DECORATORS: dict[str, str] = {"inject_lambda_context": "clear_state"}
# Methods that store into such an attribute's mapping, and those that remove an entry again (a header
# removed after the request lives for one request, as a ContextVar reset does)
SESSION_STORES: frozenset[str] = frozenset({"update", "setdefault", "__setitem__", "set", "update_cookies"})
SESSION_REMOVES: frozenset[str] = frozenset({"pop", "__delitem__"})


@dataclass(frozen=True, slots=True)
class ProcessStore:
    """A library call that stores into state the process keeps for its whole life (not a
    module global of the project, but just as lasting: the next invocation the process serves
    sees it). ``key`` and ``value`` are the positions of what is stored; ``key`` -1 for a call
    given a mapping of entries at ``value`` (``update``)."""

    state: str  # the state's name, as messages show it
    key: int
    value: int


# The process environment: an entry set in a function stays for every later invocation (and every
# boto3 Session made without credentials reads AWS_ACCESS_KEY_ID and friends from it)
PROCESS_STATE: dict[str, str] = {"os.environ": "os.environ", "environ": "os.environ",
                                  # structlog's bound context: module-level ContextVars the process keeps
                                  "structlog.contextvars": "structlog.contextvars"}
EVERY_ENTRY = "*"  # an entry name that stands for all of a state's entries (``clear_contextvars()``)
PROCESS_STORES: dict[str, ProcessStore] = {
    "os.environ.__setitem__": ProcessStore("os.environ", 0, 1),
    "os.environ.setdefault": ProcessStore("os.environ", 0, 1),
    "os.environ.update": ProcessStore("os.environ", -1, 0),
    "os.putenv": ProcessStore("os.environ", 0, 1),
    "environ.__setitem__": ProcessStore("os.environ", 0, 1),
    "environ.setdefault": ProcessStore("os.environ", 0, 1),
    "environ.update": ProcessStore("os.environ", -1, 0),
    "putenv": ProcessStore("os.environ", 0, 1),
    "structlog.contextvars.bind_contextvars": ProcessStore("structlog.contextvars", -1, 0),
}
# Calls that remove an entry (at the position given) from process state: an entry the code removes
# again (in a ``finally``, after the request) lives for one request, as a ContextVar reset does
PROCESS_REMOVES: dict[str, tuple[str, int]] = {
    "os.environ.pop": ("os.environ", 0), "os.unsetenv": ("os.environ", 0), "os.environ.__delitem__": ("os.environ", 0),
    "environ.pop": ("os.environ", 0), "unsetenv": ("os.environ", 0), "environ.__delitem__": ("os.environ", 0),
    "structlog.contextvars.unbind_contextvars": ("structlog.contextvars", 0),
    "structlog.contextvars.clear_contextvars": ("structlog.contextvars", -1),  # every entry
}


# SDK session classes (and factories), with their flavour (model/values_aws.py): a call makes a
# session, an annotation types a parameter as one
SESSION_CLASSES = {
    "boto3.Session": "boto3", "boto3.session.Session": "boto3", "aioboto3.Session": "aioboto3",
    "aioboto3.session.Session": "aioboto3", "aiobotocore.session.get_session": "aiobotocore",
    "aiobotocore.session.AioSession": "aiobotocore", "botocore.session.get_session": "botocore",
    "botocore.session.Session": "botocore",
}
