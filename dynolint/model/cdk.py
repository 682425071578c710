"""CDK apps in Python: Lambda functions and DynamoDB tables declared by constructs, read
while the interpreter runs the stack code (so names, environment maps and helper functions
resolve the way they do for any other code)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dynolint.model.literals import as_kwargs
from dynolint.model.invokers import CDK_METHODS, cdk_construct_kind, finish
from dynolint.model.project import LambdaFunction, TableDecl
from dynolint.model.values import (
    UNKNOWN, AttrV, CallV, ConstV, DictV, ExtV, InfraFnV, Loc, SeqV, Val, alts, const_str,
)
from dynolint.model.mixin import Mixin

if TYPE_CHECKING:
    from dynolint.model.interp import Machine

FUNCTION_CONSTRUCTS = ("aws_lambda.Function", "aws_lambda.DockerImageFunction", "aws_lambda.CfnFunction",
                       "aws_lambda_python_alpha.PythonFunction", "aws_lambda_python.PythonFunction")
_VERSIONS = ("current_version", "latest_version")
TABLE_CONSTRUCTS = ("aws_dynamodb.Table", "aws_dynamodb.TableV2", "aws_dynamodb.CfnTable")


@dataclass
class CdkFunction:
    ident: str
    source: str
    name: str | None = None
    handler: str | None = None
    code_dir: str = ""
    per_tenant: bool = False
    env: dict[str, str] = field(default_factory=dict)
    invokers: set[str] = field(default_factory=set)


class CdkMixin(Mixin):
    def cdk_call(self: Machine, path: str, args: list[Val], kwargs: dict[str, Val], loc: Loc) -> Val | None:
        if not path.startswith("aws_cdk."):
            return None
        short = path[len("aws_cdk."):]
        ident = const_str(args[1]) if len(args) > 1 else None
        if short.endswith(FUNCTION_CONSTRUCTS) and ident:
            self.cdk_function(ident, kwargs, loc)
            return InfraFnV(ident)
        if short.endswith(TABLE_CONSTRUCTS) and ident:
            self.cdk_table(ident, kwargs, loc)
            return InfraFnV(ident)
        for keyword, value in [(None, arg) for arg in args] + list(kwargs.items()):
            for function in self.cdk_functions_in(value, keyword == "service_token"):
                kind = cdk_construct_kind(short, keyword)
                if kind is not None:
                    self.cdk_invokers.append((function, kind))
        return None

    def cdk_functions_in(self: Machine, value: Val, arn: bool, depth: int = 0) -> list[str]:
        """The construct ids of the CDK functions ``value`` is (or lists; with ``arn``, also
        their ``function_arn``)."""
        found = []
        for alt in alts(value):
            if isinstance(alt, InfraFnV):
                found.append(alt.ident)
            elif isinstance(alt, CallV) and isinstance(alt.recv, InfraFnV) and alt.fn in ("add_alias", "add_version"):
                found.append(alt.recv.ident)  # an alias or version of the function invokes its code
            elif isinstance(alt, AttrV) and isinstance(alt.base, InfraFnV) and (
                    alt.name in _VERSIONS or arn and alt.name == "function_arn"):
                found.append(alt.base.ident)
            elif isinstance(alt, SeqV) and depth < 2:
                for element in alt.elts:
                    found += self.cdk_functions_in(element, arn, depth + 1)
        return found

    def cdk_function(self: Machine, ident: str, kwargs: dict[str, Val], loc: Loc) -> None:
        record = self.cdk_functions.setdefault((loc[0], ident), CdkFunction(ident, loc[0]))
        record.name = const_str(kwargs.get("function_name", UNKNOWN)) or record.name
        handler = const_str(kwargs.get("handler", UNKNOWN))
        entry = const_str(kwargs.get("entry", UNKNOWN))
        if entry is not None:  # PythonFunction(entry=dir, index="index.py", handler="handler")
            index = const_str(kwargs.get("index", UNKNOWN)) or "index.py"
            record.code_dir = self.cdk_asset_dir(entry, loc)
            record.handler = f"{index[:-3].replace('/', '.')}.{handler or 'handler'}"
        else:
            record.handler = handler or record.handler
            code = kwargs.get("code", UNKNOWN)
            for alt in alts(code):
                if isinstance(alt, CallV) and alt.fn.endswith(".from_asset") and alt.args:
                    directory = const_str(alt.args[0])
                    if directory is not None:
                        record.code_dir = self.cdk_asset_dir(directory, loc)
        tenancy = kwargs.get("tenancy_config")
        if tenancy is not None and self.mentions_per_tenant(tenancy):
            record.per_tenant = True
        for key, value in as_kwargs(kwargs.get("environment", UNKNOWN)).items():
            target = self.cdk_reference(value)
            if target is not None:
                record.env[key] = target

    def cdk_method(self: Machine, ref: InfraFnV, name: str, args: list[Val], loc: Loc) -> None:
        if name in CDK_METHODS:
            self.cdk_invokers.append((ref.ident, CDK_METHODS[name]))
        if name == "add_environment" and len(args) >= 2:
            key = const_str(args[0])
            target = self.cdk_reference(args[1])
            for (path, ident), record in self.cdk_functions.items():
                if ident == ref.ident and key is not None and target is not None:
                    record.env[key] = target

    def cdk_reference(self: Machine, value: Val) -> str | None:
        for alt in alts(value):
            text = const_str(alt)
            if text is not None:
                return f"lit:{text}"
            if isinstance(alt, AttrV) and isinstance(alt.base, InfraFnV):
                return f"fn:{alt.base.ident}"
        return None

    def mentions_per_tenant(self: Machine, value: Val, depth: int = 0) -> bool:
        for alt in alts(value):
            if isinstance(alt, ExtV) and alt.path.endswith("PER_TENANT"):
                return True
            if const_str(alt) == "PER_TENANT":
                return True
            if isinstance(alt, CallV) and depth < 4:
                if any(self.mentions_per_tenant(v, depth + 1) for v in (*alt.args, *(v for _, v in alt.kwargs))):
                    return True
            if isinstance(alt, DictV) and depth < 4:
                if any(self.mentions_per_tenant(v, depth + 1) for _, v in alt.items):
                    return True
        return False

    def cdk_asset_dir(self: Machine, directory: str, loc: Loc) -> str:
        normalized = posixpath.normpath(directory)
        candidates = [normalized, posixpath.normpath(posixpath.join(posixpath.dirname(loc[0]), directory))]
        for candidate in candidates:
            if candidate == ".":  # (``Code.from_asset("..")`` in ``infra/stack.py``: the project itself)
                return ""
            prefix = candidate.rstrip("/") + "/"
            if any(path.startswith(prefix) for path in self.project.files):
                return candidate
        return normalized

    def cdk_table(self: Machine, ident: str, kwargs: dict[str, Val], loc: Loc) -> None:
        def attribute(value: Val | None) -> str | None:
            if value is None:
                return None
            for alt in alts(value):
                if isinstance(alt, CallV):
                    found = const_str(dict(alt.kwargs).get("name", UNKNOWN))
                    if found:
                        return found
                if isinstance(alt, DictV):
                    found = const_str(as_kwargs(alt).get("name", UNKNOWN))
                    if found:
                        return found
            return None

        self.cdk_tables[(loc[0], ident)] = TableDecl(
            ident, const_str(kwargs.get("table_name", UNKNOWN)), attribute(kwargs.get("partition_key")),
            attribute(kwargs.get("sort_key")), loc[0])

    def cdk_declarations(self: Machine) -> tuple[list[LambdaFunction], list[TableDecl]]:
        invoked_by: dict[str, set[str]] = {}
        for ident, kind in self.cdk_invokers:
            invoked_by.setdefault(ident, set()).add(kind)
        for record in self.cdk_functions.values():  # another function given its name or ARN
            for target in record.env.values():
                if target.startswith("fn:") and target[3:] != record.ident:
                    invoked_by.setdefault(target[3:], set()).add("function")
        functions = [LambdaFunction(r.ident, r.name, r.handler, r.code_dir, r.per_tenant,
                                    tuple(sorted(r.env.items())), r.source, finish(invoked_by.get(r.ident, ())))
                     for r in self.cdk_functions.values()]
        return functions, list(self.cdk_tables.values())


__all__ = ["CdkMixin", "ConstV"]
