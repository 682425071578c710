"""Unresolved work: values that derive from a call the model could not see into.

A call to a library the model has no row for (a third-party SDK function), a method of a
receiver it does not know (an injected client, a parameter, an object made by such a
library) or a project function whose body it cannot follow (a stub, a body that always
raises) may do anything, a paid API call included. On a cache-aside path that is enough to
call the write a stampede, at medium confidence (DYN104; provable HTTP and AWS work is
:class:`~dynolint.model.values.CostlyV`).

What is known to be cheap and local is data here, not branches in the interpreter:
``CHEAP_MODULES`` (the standard library, less its network modules, and pure third-party
libraries: clocks, ids, formatting, json, hashing, validation, logging), ``CHEAP_METHODS``
(methods of strings, dates, numbers, hashes, matches, models and protocol buffers),
``RECEIVER_METHODS`` (names data and SDK objects share: work only on a library's object), and
the kinds of receiver that are data, whatever the method; a library class made is not work
until a method is called on it. The interpreter stamps each call's result with where and
when it ran (:func:`stamp`, outside the value's identity); :class:`UnseenIndex` finds the
unresolved calls a value derives from, and ``races.classify`` keeps those made after the miss.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable

from dynolint.model.ddb_operations import OPERATIONS
from dynolint.model.values import (
    UNKNOWN, ArchiveV, ArithV, AttrV, BatchWriterV, CallV, ClaimsV, ClientV, ConstV, ContextV, ContextVarV,
    CostlyV, CredsV, DictV, ElemV, EnvV, EventV, ExtV, FileV, FreshV, InfraFnV, InstanceV, ManagedTmpV, MetaV,
    OneOf, OpaqueV, PaginatorV, ParamV, PynActionV, PynAttrV, PynBatchV, PynInstanceV, PynModelV, PynTransactV,
    ReadItemV, ReadV, ResourceV, S3ObjectV, SeqV, SessionV, StrV, SubV, TableV, TenantIdV, TmpRootV, Val,
    alts, children, const_str, options,
)

if TYPE_CHECKING:
    from dynolint.model.state import Frame

# Standard-library modules that talk to the network or run other programs: not cheap.
COSTLY_STDLIB = frozenset({
    "socket", "ssl", "http", "urllib", "ftplib", "smtplib", "imaplib", "poplib", "nntplib", "telnetlib",
    "xmlrpc", "subprocess", "asyncio", "multiprocessing", "concurrent", "socketserver", "webbrowser",
})
# Third-party packages that compute locally (ids, clocks, formats, parsing, validation,
# logging, the DynamoDB expression and type helpers of boto3).
CHEAP_PACKAGES = frozenset({
    "pydantic", "attr", "attrs", "cattrs", "dataclasses_json", "marshmallow", "msgspec", "jsonschema",
    "dateutil", "pytz", "arrow", "pendulum", "tzlocal", "babel", "orjson", "ujson", "simplejson",
    "rapidjson", "yaml", "toml", "tomli", "tomlkit", "ulid", "shortuuid", "nanoid", "ksuid", "humps",
    "inflection", "slugify", "unidecode", "markupsafe", "jinja2", "bleach", "structlog", "loguru",
    "jwt", "jose", "bcrypt", "nacl", "cryptography", "hashids", "sqids", "semver", "packaging",
    "mmh3", "xxhash", "blake3", "crc32c", "farmhash", "cityhash", "zstandard", "lz4", "brotli",
    "typing_extensions", "boto3.dynamodb.conditions", "boto3.dynamodb.types", "botocore.exceptions",
    "dynamodb_json", "aws_lambda_powertools.logging", "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.tracing", "aws_lambda_powertools.utilities.typing",
    "aws_lambda_powertools.utilities.data_classes", "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.validation", "aws_lambda_powertools.Logger",
    "aws_lambda_powertools.Metrics", "aws_lambda_powertools.Tracer",
})
CHEAP_MODULES = frozenset(sys.stdlib_module_names) - COSTLY_STDLIB | CHEAP_PACKAGES  # Python >= 3.10

# Methods that compute locally whatever their receiver is: strings and bytes, dates and
# numbers, hashes and regex matches, models and protocol buffers, logging.
CHEAP_METHODS = frozenset({
    # str / bytes
    "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "replace",
    "format", "format_map", "encode", "decode", "startswith", "endswith", "rfind", "rindex",
    "partition", "rpartition", "title", "capitalize", "casefold", "zfill", "ljust", "rjust", "center",
    "removeprefix", "removesuffix", "isdigit", "isalpha", "isalnum", "isnumeric", "isdecimal",
    "isspace", "islower", "isupper", "expandtabs", "hex", "fromhex",
    # containers
    "keys", "values", "items", "popitem", "sort", "reverse", "discard", "union", "intersection",
    "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint", "most_common",
    "to_list", "tolist",
    # dates, numbers
    "isoformat", "strftime", "timestamp", "astimezone", "total_seconds", "weekday", "isoweekday",
    "isocalendar", "timetuple", "utctimetuple", "quantize", "normalize", "to_integral",
    "to_integral_value", "as_integer_ratio", "is_integer", "bit_length", "conjugate", "in_timezone",
    "to_iso8601_string", "int_timestamp",
    # hashes, regex matches
    "hexdigest", "digest", "group", "groups", "groupdict", "span", "fullmatch", "findall", "finditer",
    "subn",
    # models, documents, buffers
    "model_dump", "model_dump_json", "model_copy", "to_dict", "to_json", "as_dict", "asdict",
    "parse_obj", "parse_raw", "model_validate", "model_validate_json", "getvalue", "raise_for_status",
    "readline", "readlines", "seek", "tell",
    # protocol buffers messages
    "SerializeToString", "SerializePartialToString", "ParseFromString", "MergeFromString", "CopyFrom",
    "MergeFrom", "HasField", "WhichOneof", "ListFields", "ClearField", "ByteSize", "IsInitialized",
    # logging, metrics, tracing
    "debug", "info", "warning", "warn", "error", "exception", "critical", "add_metric", "put_metric",
    "add_dimension", "add_metadata", "put_annotation", "put_metadata", "append_keys",
})
# Methods that are local on data (a dict, a list, a file, a response already received) but
# that SDK clients have too (``cache.get``, ``index.search``, ``translator.translate``): work
# only when the receiver is provably an object of a library the model has no row for.
RECEIVER_METHODS = frozenset({
    "get", "pop", "setdefault", "update", "append", "extend", "insert", "remove", "clear", "add",
    "copy", "count", "index", "find", "match", "search", "sub", "translate", "read", "write", "close",
    "flush", "load", "loads", "dump", "dumps", "json", "dict", "serialize", "validate", "render",
    "log", "date", "time", "start", "end", "shift", "floor", "ceil", "elements",
})

# Receivers that are data (or that the model already knows, AWS and PynamoDB objects): a
# method call on one of them is not work the model failed to see.
_DATA = (ConstV, StrV, DictV, SeqV, ArithV, FreshV, ReadItemV, ReadV, EventV, TenantIdV, EnvV,
         ClaimsV, CostlyV, ContextV, ContextVarV, FileV, ArchiveV, TmpRootV, ManagedTmpV, InfraFnV,
         TableV, ClientV, ResourceV, SessionV, CredsV, MetaV, BatchWriterV, PaginatorV, S3ObjectV,
         PynModelV, PynInstanceV, PynAttrV, PynActionV, PynBatchV, PynTransactV)


# Module-level functions that encode or decode data, whatever library they are of
# (``kombu.serialization.dumps``, ``msgpack.packb``, ``vendor.codec.b64encode``).
CODEC_FUNCTIONS = frozenset({
    "dumps", "loads", "serialize", "deserialize", "encode", "decode", "b64encode", "b64decode",
    "urlsafe_b64encode", "urlsafe_b64decode", "pack", "unpack", "packb", "unpackb", "hexlify",
    "unhexlify", "compress", "decompress", "escape", "unescape",
})


def cheap_path(path: str) -> bool:
    """Is an external function (by dotted path) known to compute locally? A class (a
    capitalised last name) only makes an object: the work is in the methods called on it."""
    if "." not in path:
        return path != "?"  # a builtin (``len``, ``str``, ``sorted``); "?" is an unknown callee
    parts = path.split(".")
    return parts[-1][:1].isupper() or parts[-1] in CODEC_FUNCTIONS or _cheap_module(path)


def _data_receiver(recv: Val, depth: int = 0) -> bool:
    """Is every alternative of a receiver data (or an object of a cheap library)?"""
    if depth > 12:
        return False
    for alt in alts(recv):
        if isinstance(alt, _DATA):
            continue
        if isinstance(alt, (SubV, AttrV)) and _data_receiver(alt.base, depth + 1):
            continue
        if isinstance(alt, ElemV) and _data_receiver(alt.of, depth + 1):
            continue
        if isinstance(alt, CallV) and alt.recv is None and (
                "." not in alt.fn and alt.fn != "?" or _cheap_module(alt.fn)):
            continue  # what a builtin or a cheap library returns
        if isinstance(alt, CallV) and alt.recv is not None and alt.fn != "?" and (
                alt.fn in CHEAP_METHODS or _data_receiver(alt.recv, depth + 1)):
            continue
        if isinstance(alt, ExtV) and _cheap_module(alt.path):
            continue
        return False
    return True


def cheap_call(call: CallV) -> bool:
    """Does a call the model did not resolve compute locally (by the tables above)?"""
    if call.recv is None:
        return cheap_path(call.fn)
    if call.fn == "?":  # the callee is the receiver: work when it is a callable given as a parameter
        return not any(isinstance(alt, ParamV) for alt in alts(call.recv))
    if call.fn in CHEAP_METHODS or call.fn.startswith("__") or _data_receiver(call.recv):
        return True
    if call.fn in OPERATIONS and _dynamodb_receiver(call.recv):
        return True  # DynamoDB itself (a table made from a session the model did not resolve): not work outside it
    return call.fn in RECEIVER_METHODS and not _library_object(call.recv)


def _dynamodb_receiver(recv: Val, depth: int = 0) -> bool:
    """Is the receiver a DynamoDB table or client by how it was made (``<?>.resource("dynamodb")
    .Table(name)``, ``<?>.client("dynamodb")``), whatever made the session?"""
    for alt in alts(recv):
        if depth > 6 or not isinstance(alt, CallV) or alt.recv is None:
            return False
        if alt.fn in ("resource", "client") and alt.args and const_str(alt.args[0]) == "dynamodb":
            continue
        if alt.fn != "Table" or not _dynamodb_receiver(alt.recv, depth + 1):
            return False
    return bool(alts(recv))


def _library_object(recv: Val, depth: int = 0) -> bool:
    """Is the receiver an object made by (or reached from) a library the model has no row
    for (``vendor.Client()``, ``vendor.Client().index``)?"""
    for alt in alts(recv):
        if depth > 6:
            return False
        if isinstance(alt, CallV) and alt.recv is None and "." in alt.fn and not _cheap_module(alt.fn):
            return True
        if isinstance(alt, CallV) and alt.recv is not None and alt.fn != "?" and _library_object(alt.recv, depth + 1):
            return True
        if isinstance(alt, AttrV) and _library_object(alt.base, depth + 1):
            return True
    return False


def _cheap_module(path: str) -> bool:
    parts = path.split(".")
    return any(".".join(parts[:n]) in CHEAP_MODULES for n in range(1, len(parts)))


def describe(value: CallV | OpaqueV) -> str:
    """What the unresolved work is, for a finding's message."""
    if isinstance(value, OpaqueV):
        return f"{value.what}() (a stub or a body that raises)"
    if value.fn == "?":
        return "a callable the code was given"
    if value.recv is None:
        return f"{value.fn}()"
    return f"{_name(value.recv)}.{value.fn}()"


def _name(recv: Val, depth: int = 0) -> str:
    """A short name for a receiver (``skycast.Client(...)``, ``client``, ``Gateway``)."""
    options = list(alts(recv))
    alt = options[0] if len(options) == 1 else None
    if depth > 3 or alt is None:
        return "<object>"
    if isinstance(alt, CallV):
        return f"{alt.fn}(...)" if alt.recv is None else f"{_name(alt.recv, depth + 1)}.{alt.fn}(...)"
    if isinstance(alt, AttrV):
        return f"{_name(alt.base, depth + 1)}.{alt.name}"
    if isinstance(alt, ParamV):
        return alt.name
    if isinstance(alt, InstanceV):
        return alt.cls.qualname
    if isinstance(alt, ExtV):
        return alt.path
    return "<object>"


def stamp(value: Val, frame: Frame, seq: int, loc: tuple[str, int]) -> Val:
    """The result of a call, stamped with where and when it ran (for ordering the work
    against the read that missed). Module bodies run once per process: never stamped."""
    if frame.qualname == "<module>":
        return value
    if type(value) is CallV:
        return _at(value, (frame.root, seq, loc)) if value.at is None else value
    if type(value) is OneOf and any(type(a) is CallV and a.at is None for a in value.alts):
        return options([_at(a, (frame.root, seq, loc)) if type(a) is CallV and a.at is None
                        else a for a in alts(value)])
    return value


def _at(call: CallV, at: tuple[int, int, tuple[str, int]]) -> CallV:
    """``replace(call, at=at)`` without ``dataclasses.replace``'s look at the fields (a call
    in every stamped call's path)."""
    return CallV(call.fn, call.recv, call.args, call.kwargs, at)


def opaque_work(what: str, loc: tuple[str, int], deps: tuple[Val, ...], frame: Frame, seq: int) -> OpaqueV:
    """The value of a project call whose body returns nothing the model can follow (a stub,
    a body that raises on every path): unknown, and work the model cannot see into."""
    at = None if frame.qualname == "<module>" else (frame.root, seq, loc)
    return OpaqueV(loc, deps, what, at)


def overridden(results: list[Val]) -> list[Val]:
    """The results of one call dispatched to several project callables (an abstract method
    and its overrides): when one of them returns a value, the stubs among them are the
    declarations the overrides implement, not work the model failed to see."""
    if all(type(r) is OpaqueV and r.what for r in results):
        return results
    return [replace(r, what="", at=None) if type(r) is OpaqueV and r.what else r for r in results]


@dataclass(frozen=True, slots=True)
class Unseen:
    """One unresolved call a value derives from."""

    loc: tuple[str, int]
    root: int
    seq: int
    what: str
    call: Val  # the call's value (equal for the same call on the same inputs)


class UnseenIndex:
    """The unresolved calls values derive from. Memoised by object, not by equality: two
    equal calls (same function, same inputs) ran at different times on different paths."""

    def __init__(self) -> None:
        # by object; ``_memo_kept`` keeps each value alive so that its id is not reused while cached
        self._memo: dict[int, frozenset[Unseen]] = {}
        self._memo_kept: list[Val] = []

    def after(self, values: Iterable[Val], root: int, seq: int, key: Val | None) -> list[Unseen]:
        """The unresolved calls ``values`` derive from that ran in ``root`` after ``seq``,
        less those that only compute the key the read used (a key helper run again)."""
        in_key = {u.call for u in self.of([key])} if key is not None else set()
        return [u for u in self.of(values) if u.root == root and u.seq > seq and u.call not in in_key]

    def of(self, values: Iterable[Val]) -> frozenset[Unseen]:
        found: frozenset[Unseen] = frozenset()
        for value in values:
            found |= self._walk(value, 0)
        return found

    def forget_values(self) -> None:
        self._memo.clear()
        self._memo_kept.clear()
        forget_stamps()

    def _walk(self, value: Val, depth: int) -> frozenset[Unseen]:
        if depth > 40 or value is UNKNOWN or type(value) is ConstV:
            return _NO_UNSEEN
        memo = self._memo.get(id(value))
        if memo is not None:
            return memo
        found: set[Unseen] = set()
        if isinstance(value, CallV) and value.at is not None and not cheap_call(value) or \
                isinstance(value, OpaqueV) and value.at is not None and value.what:
            root, seq, loc = value.at
            found.add(Unseen(loc, root, seq, describe(value), value))
        for child in children(value):
            found |= self._walk(child, depth + 1)
        result = frozenset(found) if found else _NO_UNSEEN  # (one empty set, not one per value)
        if len(self._memo) > 200_000:
            self._memo.clear()
            self._memo_kept.clear()
        self._memo[id(value)] = result
        self._memo_kept.append(value)
        return result


__all__ = ["forget_stamps", "CHEAP_METHODS", "CODEC_FUNCTIONS", "CHEAP_MODULES", "RECEIVER_METHODS", "Unseen", "UnseenIndex", "cheap_call", "cheap_path", "opaque_work", "overridden", "stamp"]


# Whether a value holds a stamped call result, by object (``_HOLDS_KEPT`` keeps the value alive
# so that its id is not reused while cached); restamp descends only into the parts that do.
_HOLDS_STAMP: dict[int, bool] = {}
_HOLDS_KEPT: list[Val] = []
_NO_UNSEEN: frozenset[Unseen] = frozenset()
_INIT_FIELDS: dict[type, tuple[str, ...]] = {}


def _init_fields(kind: type) -> tuple[str, ...]:
    names = _INIT_FIELDS.get(kind)
    if names is None:
        from dataclasses import fields

        names = _INIT_FIELDS[kind] = tuple(item.name for item in fields(kind) if item.init)
    return names


def forget_stamps() -> None:
    """Drop the memo of :func:`stamped` (and the values it keeps alive): a new analysis."""
    _HOLDS_STAMP.clear()
    _HOLDS_KEPT.clear()


def stamped(value: Val, depth: int = 0) -> bool:
    """Does ``value`` hold a call result stamped with where and when it ran?"""
    from dynolint.model.values import children

    known = _HOLDS_STAMP.get(id(value))
    if known is not None:
        return known
    if (type(value) is CallV or type(value) is OpaqueV) and value.at is not None:
        holds = True
    elif depth > 200:
        holds = True  # too deep to look: restamp keeps it as it is
    else:
        holds = any(stamped(child, depth + 1) for child in children(value))
    if len(_HOLDS_STAMP) > 200_000:
        _HOLDS_STAMP.clear()
        _HOLDS_KEPT.clear()
    _HOLDS_STAMP[id(value)] = holds
    _HOLDS_KEPT.append(value)
    return holds


def restamp(value: Val, root: int, seq: int, limit: int = 20_000) -> Val:
    """``value`` with every stamped call result in it stamped as run in ``root`` at ``seq``
    (a call's summary reused: the work it stands for runs again, here and now). Values share
    their parts, so each part is rebuilt once, and only the parts that hold a stamp are
    visited; a value of over ``limit`` such parts keeps its stamps."""
    done: dict[int, object] = {}
    budget = [limit]

    def again(current: object) -> object:
        key = id(current)
        if key in done:
            return done[key]
        result = current
        if isinstance(current, Val):
            if not stamped(current):
                return current
            budget[0] -= 1
            if budget[0] < 0:
                raise OverflowError
            changes: dict[str, Any] = {}  # field name -> new value, of the field's type
            for name in _init_fields(type(current)):
                old = getattr(current, name)
                new = again(old)
                if new is not old:
                    changes[name] = new
            if (type(current) is CallV or type(current) is OpaqueV) and current.at is not None:
                changes["at"] = (root, seq, current.at[2])
            result = replace(current, **changes) if changes else current
        elif isinstance(current, (tuple, frozenset)):
            items = [again(item) for item in current]
            if not all(a is b for a, b in zip(items, current)):
                result = type(current)(items)
        done[key] = result
        return result

    try:
        return again(value)  # type: ignore[return-value]
    except OverflowError:
        return value
