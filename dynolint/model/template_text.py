"""Reading an infrastructure file's text: JSON, and YAML with CloudFormation's short tags
(``!Ref``, ``!Sub``, ``!GetAtt``), nesting limited so a hostile file cannot exhaust the stack."""

from __future__ import annotations

import json
import re
from typing import Any, cast

MAX_DEPTH = 100  # templates nest a dozen levels; PyYAML recursed (and rescanned) without end


class TemplateError(ValueError):
    """A template that cannot be read as a template, with the line where it went wrong."""

    def __init__(self, problem: str, line: int = 1) -> None:
        super().__init__(problem)
        self.line = line
        self.span: tuple[int, int] | None = None  # YAML: the lines (0-based, inclusive) to read around


def read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:  # the C decoder stops at the interpreter's recursion limit
        raise TemplateError("not valid JSON: nested too deeply") from None


# -- YAML with CloudFormation tags -------------------------------------------------------


SALVAGE_ROUNDS = 10  # unreadable places a template may have and still be read around


def read_yaml_salvaged(text: str) -> tuple[Any, list[tuple[int, str]]]:
    """The document, read around the places YAML cannot read (a flow mapping with a ``{`` in a
    plain scalar: ``{ Path: /items/{id}, Method: get }``, which AWS refuses too): each such
    line is left out (a key on it kept, as ``key: null``) and the rest read again. Returns the
    document and, for each place left out, the line of its problem and the problem; raises the first
    TemplateError when the template cannot be read even so."""
    lines = text.split("\n")
    dropped: list[tuple[int, str]] = []
    first: TemplateError | None = None
    for _ in range(SALVAGE_ROUNDS + 1):
        try:
            return read_yaml("\n".join(lines)), dropped
        except TemplateError as exc:
            first = first or exc
            if exc.span is None or len(dropped) >= SALVAGE_ROUNDS:
                raise first from None
            start, end = exc.span
            dropped.append((exc.line, str(exc)))
            for number in range(start, min(end, len(lines) - 1) + 1):
                key = _KEY.match(lines[number]) if number == start else None
                lines[number] = f"{key.group(1)} null" if key else ""
    raise first or TemplateError("not valid YAML")


# a line that opens a flow collection after a key (``Properties: {...``, ``- Key: [...``)
_KEY = re.compile(r"^(\s*(?:-\s+)?[\w.:-]+:)\s*[\[{]")


def read_yaml(text: str) -> Any:
    import yaml  # PyYAML comes with libcst

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: a 4 MB template in a second, not a minute

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    def construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(cast(yaml.MappingNode, node), deep=True)  # the third kind of node
        return {name: value}

    Loader.add_multi_constructor("!", construct)
    try:
        _check_depth(yaml, text, base)  # before the composer and constructor, which recurse
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        error = TemplateError(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else 1)
        if mark is not None:  # the lines from where the flow collection it broke opened (when near) to the problem
            flow = exc.context_mark is not None and "flow" in (exc.context or "")
            opened = exc.context_mark.line if flow and exc.context_mark is not None else mark.line
            error.span = (opened if 0 <= mark.line - opened < 20 else mark.line, mark.line)
        raise error from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise TemplateError("not valid YAML: nested too deeply") from None


def _check_depth(yaml: Any, text: str, loader: type) -> None:
    """Raise a TemplateError when collections nest deeper than MAX_DEPTH. The parser's
    events stream (libyaml's when there is one) without recursion or lookahead."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise TemplateError(f"nested more than {MAX_DEPTH} levels deep", event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
