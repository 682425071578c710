"""Reading an infrastructure file's text: JSON, and YAML with CloudFormation's short tags
(``!Ref``, ``!Sub``, ``!GetAtt``), nesting limited so a hostile file cannot exhaust the stack."""

from __future__ import annotations

import json
from typing import Any, cast

MAX_DEPTH = 100  # templates nest a dozen levels; PyYAML recursed (and rescanned) without end


class TemplateError(ValueError):
    """A template that cannot be read as a template, with the line where it went wrong."""

    def __init__(self, problem: str, line: int = 1) -> None:
        super().__init__(problem)
        self.line = line


def read_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:  # the C decoder stops at the interpreter's recursion limit
        raise TemplateError("not valid JSON: nested too deeply") from None


# -- YAML with CloudFormation tags -------------------------------------------------------


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
        raise TemplateError(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else 1) from None
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
