"""The names the deployment gives tables: a table value the code builds from environment
variables is the table the infrastructure fills them with.

Functions are handed their table names in environment variables (``TABLE: !Ref Orders``,
``aws_dynamodb_table.orders.name``, ``table.table_name`` in CDK, a nested stack's output) or
build them from variables that hold the parts (``f"{os.environ['APP']}-{os.environ['STAGE']}
-orders"`` where the template sets ``APP: !Ref Application`` and names the table
``!Sub ${Application}-${Stage}-orders``). Two spellings of one table are one table: a read
through one and a write through the other are a read and a write of the same items.

A name is text in which the deployment's unknowns stay placeholders (``${Application}``,
``${AWS::Region}``, ``${var.prefix}``, ``${self:service}``), so two names built from the same
parameters compare equal as text; a table the template names not at all is known by a marker of
its declaration. A variable is resolved only when every function that declares it gives it the
same value: code shared by functions that disagree is left as it was.

The infrastructure parsers (``model/infra.py``) record each variable's value as
``lit:<text>`` (a plain string), ``sub:<text>`` (a name with placeholders) or ``fn:<id>`` (a
resource of the template: a table, or a function another rule looks for).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import Any

from dynolint.model.project import Infra, TableDecl
from dynolint.model.values import ConstV, EnvV, StrV, Val, alts, const_str

PSEUDO = re.compile(r"AWS::[A-Za-z]+")
MAX_NAMES = 8  # alternatives of one value followed (a name is one text; more is a value the code chose)


def table_names(value: Val) -> set[str]:
    """Names a table value may have: a literal, or an environment variable's default."""
    names: set[str] = set()
    for alt in alts(value):
        text = const_str(alt)
        if text is not None:
            names.add(text)
        elif isinstance(alt, EnvV):
            if alt.default is not None and const_str(alt.default) is not None:
                names.add(const_str(alt.default))  # type: ignore[arg-type]
    return names


def table_label(value: Val) -> str:
    """A table's name for grouping and for telling tenant records apart: its literal
    names, or the names of the environment variables that hold it."""
    names = table_names(value)
    for alt in alts(value):
        if isinstance(alt, EnvV) and const_str(alt.name) is not None:
            names.add(const_str(alt.name))  # type: ignore[arg-type]
    return "|".join(sorted(names))



def cfn_text(value: Any, parameters: frozenset[str]) -> str | None:
    """A CloudFormation value as a name with placeholders, or None when it is not a name
    (a resource's attribute, a condition, a lookup in a map)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (kind, body), = value.items()
    if kind == "Ref" and isinstance(body, str) and (body in parameters or PSEUDO.fullmatch(body)):
        return "${" + body + "}"
    if kind == "Fn::Sub":
        if isinstance(body, str):
            return body
        if isinstance(body, list) and len(body) == 2 and isinstance(body[0], str) and isinstance(body[1], dict):
            given = {name: cfn_text(part, parameters) for name, part in body[1].items()}
            return substitute(body[0], {name: text for name, text in given.items() if text is not None})
    if kind == "Fn::Join" and isinstance(body, list) and len(body) == 2 and isinstance(body[0], str) \
            and isinstance(body[1], list):
        texts = [cfn_text(part, parameters) for part in body[1]]
        if all(text is not None for text in texts):
            return body[0].join(texts)  # type: ignore[arg-type]
    return None


def substitute(text: str, given: dict[str, str]) -> str:
    """``${Name}`` placeholders of ``text`` replaced where ``given`` has them (a nested stack's
    parameters in its parent's terms)."""
    return re.sub(r"\$\{([^}!]+)\}", lambda m: given.get(m.group(1), m.group(0)), text)


def table_marker(decl: TableDecl) -> str:
    """The name of a table its declaration does not name (the deployment chooses one)."""
    return f"<table {decl.source}#{decl.ident}>"


def declared_names(decl: TableDecl) -> set[str]:
    return {decl.name} if decl.name is not None else {table_marker(decl)}


class DeployedNames:
    """The names a table value has in the deployment. Built from the infrastructure when first
    asked and again when it has grown (a CDK app's declarations come after interpretation)."""

    def __init__(self, infra: Infra) -> None:
        self.infra = infra
        self._size = (-1, -1)
        self._bound: dict[str, frozenset[str]] = {}
        self._declared: tuple[int, dict[str, list[tuple[int, TableDecl]]]] = (-1, {})

    def names(self, value: Val) -> frozenset[str]:
        """Every name ``value`` may have: its text, or the text the deployment makes of the
        variables it is built from."""
        self._refresh()
        found: set[str] = set()
        for alt in list(alts(value))[:MAX_NAMES]:
            found.update(self._texts(alt))
        return frozenset(found)

    def tables(self, names: frozenset[str]) -> list[TableDecl]:
        """The declared tables known by any of ``names``, in the order they were declared."""
        count, by_name = self._declared
        if count != len(self.infra.tables):  # (CDK declarations come after interpretation)
            by_name = {}
            for index, decl in enumerate(self.infra.tables):
                for name in declared_names(decl):
                    by_name.setdefault(name, []).append((index, decl))
            self._declared = (len(self.infra.tables), by_name)
        found = dict(pair for name in names for pair in by_name.get(name, ()))
        return [found[index] for index in sorted(found)]

    def _texts(self, value: Val) -> set[str]:
        text = const_str(value)
        if text is not None:
            return {text}
        if isinstance(value, ConstV) and isinstance(value.value, int) and not isinstance(value.value, bool):
            return {str(value.value)}
        if isinstance(value, EnvV):
            name = const_str(value.name)
            return set(self._bound.get(name, ())) if name is not None else set()
        if isinstance(value, StrV):
            joined = ""
            for part in value.parts:
                texts = self._texts(part)
                if len(texts) != 1:
                    return set()
                joined += next(iter(texts))
            return {joined}
        return set()

    def _refresh(self) -> None:
        size = (len(self.infra.functions), len(self.infra.tables))
        if size == self._size:
            return
        self._size = size
        values: dict[str, set[frozenset[str]]] = {}
        for function in self.infra.functions:
            for variable, target in function.env:
                values.setdefault(variable, set()).add(frozenset(self._target_names(target, function.source)))
        self._bound = {}
        for variable, named in values.items():
            # functions that disagree (sibling projects each with their own ``Orders``, shared
            # code deployed in two functions): the code cannot tell which it runs in
            if len(named) == 1 and (names := next(iter(named))):
                self._bound[variable] = names

    def _target_names(self, target: str, source: str) -> set[str]:
        kind, _, value = target.partition(":")
        if kind in ("lit", "sub"):
            return {value}
        if kind == "fn":  # a resource of the function's own template (else the project's only one of that id)
            decls = [decl for decl in self.infra.tables if decl.ident == value]
            here = [decl for decl in decls if decl.source == source]
            names: set[str] = set()
            for decl in here or (decls if len({d.source for d in decls}) == 1 else []):
                names |= declared_names(decl)
            return names
        return set()


class NestedStacks:
    """Nested stacks (``AWS::CloudFormation::Stack``, a SAM application from a local
    template): a function of the parent handed ``!GetAtt Child.Outputs.OrdersTable`` is handed
    the child's table, named in the parent's terms (the child's parameters replaced by what the
    parent passes). Collected while the templates are read, resolved once all are."""

    STACK_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")

    def __init__(self) -> None:
        self.outputs: dict[tuple[str, str], str] = {}  # (template, output) -> what it gives, as _ref_target
        self.stacks: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}  # (template, id) -> (location, parameters)
        self.templates: list[str] = []

    def template(self, path: str, document: dict[str, Any], parameters: frozenset[str]) -> None:
        self.templates.append(path)
        outputs = document.get("Outputs")
        for name, spec in (outputs.items() if isinstance(outputs, dict) else ()):
            value = spec.get("Value") if isinstance(spec, dict) else None
            if isinstance(value, dict) and isinstance(value.get("Ref"), str) and value["Ref"] not in parameters:
                self.outputs[(path, str(name))] = f"fn:{value['Ref']}"
            else:
                text = cfn_text(value, parameters)
                if text is not None:
                    self.outputs[(path, str(name))] = f"sub:{text}"

    def stack(self, path: str, ident: str, properties: dict[str, Any], parameters: frozenset[str]) -> None:
        location = cfn_text(properties.get("TemplateURL", properties.get("Location")), parameters)
        passed = properties.get("Parameters")
        given = {str(name): text for name, value in (passed.items() if isinstance(passed, dict) else ())
                 if (text := cfn_text(value, parameters)) is not None}
        if location is not None:
            self.stacks[(path, ident)] = (location, given)

    def resolve(self, infra: Infra) -> None:
        for index, function in enumerate(infra.functions):
            env = tuple((variable, self._output(function.source, target[len("out:"):], infra)
                         if target.startswith("out:") else target) for variable, target in function.env)
            if env != function.env:
                infra.functions[index] = replace(function, env=env)

    def _output(self, source: str, reference: str, infra: Infra) -> str:
        stack, _, output = reference.partition(".")
        known = self.stacks.get((source, stack))
        child = self._child(source, known[0]) if known is not None else None
        given = self.outputs.get((child, output)) if child is not None else None
        if known is None or given is None:
            return f"out:{reference}"
        kind, _, value = given.partition(":")
        if kind == "fn":
            for decl in infra.tables:
                if decl.source == child and decl.ident == value and decl.name is not None:
                    name = substitute(decl.name, known[1])
                    if name != decl.name and replace(decl, name=name) not in infra.tables:
                        infra.tables.append(replace(decl, name=name))  # the table as the parent names it
                    return f"sub:{name}"
            return given
        return f"sub:{substitute(value, known[1])}"

    def _child(self, source: str, location: str) -> str | None:
        if "://" not in location and not location.startswith("$"):
            local = posixpath.normpath(posixpath.join(posixpath.dirname(source), location))
            if local in self.templates:
                return local
        name = location.rsplit("/", 1)[-1]
        found = [path for path in self.templates if posixpath.basename(path) == name]
        return found[0] if len(found) == 1 else None
