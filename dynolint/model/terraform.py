"""Terraform: Lambda functions (handler, code, tenancy, environment), layers and DynamoDB
tables, read from HCL text by a tolerant scanner (blocks by their braces, attributes by their
lines). An environment map may be written out, a ``local`` or built by ``merge(...)`` of both."""

from __future__ import annotations

import posixpath
import re

from dynolint.model import invokers
from dynolint.model.project import Infra, LambdaFunction, LayerDecl, TableDecl, clean_dir as _clean


_BLOCK = re.compile(r'^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"\s*\{', re.MULTILINE)
_OUTPUT = re.compile(r'^\s*output\s+"([^"]+)"\s*\{', re.MULTILINE)


def _hcl_body(text: str, start: int) -> str:
    depth, index = 0, start
    in_string = False
    while index < len(text):
        char = text[index]
        if char == '"' and text[index - 1] != "\\":
            in_string = not in_string
        elif not in_string:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start + 1:index]
        index += 1
    return text[start + 1:]


def _hcl_attr(body: str, name: str) -> str | None:
    match = re.search(rf'^\s*{name}\s*=\s*(.+?)\s*$', body, re.MULTILINE)
    return match.group(1).strip() if match else None


def _hcl_string(value: str | None) -> str | None:
    if value and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return None


def _hcl_block(body: str, name: str) -> str | None:
    match = re.search(rf'^\s*{name}\s*\{{', body, re.MULTILINE)
    if not match:
        match = re.search(rf'^\s*{name}\s*=\s*\{{', body, re.MULTILINE)
    if not match:
        return None
    return _hcl_body(body, match.end() - 1)


def _tf_path(text: str) -> str:
    """A path as a Terraform module writes it, relative to the module's folder (which
    ``${path.module}`` names)."""
    return posixpath.normpath(text.replace("${path.module}/", "").replace("${path.module}", "") or ".")


def _tf_archives(blocks: dict[tuple[str, str, str], str]) -> dict[str, str | None]:
    """What each ``archive_file`` zips (its ``source_dir`` or ``source_file``), by the two
    names a resource gives the zip: the data source's own (``data.archive_file.kit.output_path``)
    and the path it writes, which a literal ``filename`` of the same path names."""
    archives: dict[str, str | None] = {}
    for (kind, rtype, name), body in blocks.items():
        if kind == "data" and rtype == "archive_file":
            source = _hcl_string(_hcl_attr(body, "source_dir")) or _hcl_string(_hcl_attr(body, "source_file"))
            archives[f"data.archive_file.{name}"] = source
            output = _hcl_string(_hcl_attr(body, "output_path"))
            if output:
                archives.setdefault(_tf_path(output), source)
    return archives


def _tf_code_dir(body: str, base: str, archives: dict[str, str | None]) -> str:
    """The project folder a Terraform function or layer deploys (its ``filename``,
    ``source_dir`` or an ``archive_file``'s source), "" when none is named."""
    code = None
    for attr in ("filename", "source_dir", "image_uri"):
        raw = _hcl_attr(body, attr)
        if raw is None:
            continue
        archive = re.match(r"data\.archive_file\.[\w-]+", raw)
        literal = _hcl_string(raw)
        code = archives.get(archive.group(0)) if archive else \
            archives.get(_tf_path(literal), literal) if literal else None
        break
    if not code:
        return ""
    code = _tf_path(code)
    if code.endswith((".zip", ".py")):
        code = posixpath.dirname(code)
    return _clean(posixpath.normpath(posixpath.join(base, code)) if code else base)


def _without_comments(text: str) -> str:
    """``text`` without its ``#``, ``//`` and ``/* */`` comments; a ``//`` or ``#`` inside a
    string (``"https://api.example"``, ``"${var.a}#b"``) stays."""
    out: list[str] = []
    index, start, in_string = 0, 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 2
                continue
            if char == '"' or char == "\n":
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#" or text.startswith("//", index):
            out.append(text[start:index])
            end = text.find("\n", index)
            index = start = len(text) if end == -1 else end
            continue
        elif text.startswith("/*", index):
            out.append(text[start:index])
            end = text.find("*/", index + 2)
            index = start = len(text) if end == -1 else end + 2
            continue
        index += 1
    out.append(text[start:])
    return "".join(out)


_LOCAL = re.compile(r"local\.([\w-]+)")


def _environment_maps(environment: str, text: str) -> list[str]:
    """The lines of a function's ``environment { variables = ... }``: a map written out, a
    ``local`` (``local.common_env``) or ``merge(...)`` of those (later maps win, as their
    lines come later)."""
    written = _hcl_block(environment, "variables")
    if written is not None:
        return _entries(written)
    found = re.search(r"^\s*variables\s*=\s*", environment, re.MULTILINE)
    if found is None:
        return []
    expression = environment[found.end():]
    merged = expression.startswith("merge(")
    lines: list[str] = []
    index, depth = len("merge(") if merged else 0, 0
    while index < len(expression):
        char = expression[index]
        if char == "{":
            body = _hcl_body(expression, index)
            lines.extend(_entries(body))
            index += len(body) + 2
            continue
        local = _LOCAL.match(expression, index)
        if local is not None and not (index and (expression[index - 1].isalnum() or expression[index - 1] in "_.")):
            lines.extend(_local_map(text, local.group(1)))
            index = local.end()
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:  # the end of merge(...)
                break
        elif char == "\n" and depth == 0 and not merged:  # the end of the one map named
            break
        index += 1
    return lines


def _entries(body: str) -> list[str]:
    """The entries of a map's body: one a line, or several on one line apart by commas
    (``{ A = "x", B = "y" }``); a comma in a string or a call's arguments stays."""
    entries, start, depth, in_string = [], 0, 0, False
    for index, char in enumerate(body):
        if in_string:
            in_string = char != '"' or body[index - 1] == "\\"
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char in ",\n" and depth == 0:
            entries.append(body[start:index])
            start = index + 1
    entries.append(body[start:])
    return [entry for entry in entries if entry.strip()]


def _local_map(text: str, name: str) -> list[str]:
    """The lines of the map ``locals { name = { ... } }`` defines (in any ``locals`` block)."""
    for block in re.finditer(r"^\s*locals\s*\{", text, re.MULTILINE):
        body = _hcl_body(text, block.end() - 1)
        found = re.search(rf"^\s*{re.escape(name)}\s*=\s*\{{", body, re.MULTILINE)
        if found is not None:
            return _entries(_hcl_body(body, found.end() - 1))
    return []


def terraform(path: str, text: str, infra: Infra) -> None:
    base = posixpath.dirname(path)
    text = _without_comments(text)
    blocks: dict[tuple[str, str, str], str] = {}
    for match in _BLOCK.finditer(text):
        blocks[(match.group(1), match.group(2), match.group(3))] = _hcl_body(text, match.end() - 1)
    for match in _OUTPUT.finditer(text):
        blocks[("output", "", match.group(1))] = _hcl_body(text, match.end() - 1)
    invoked_by = invokers.terraform_invokers(blocks)
    archives = _tf_archives(blocks)
    for (kind, rtype, name), body in blocks.items():
        if kind != "resource":
            continue
        if rtype == "aws_lambda_layer_version":
            content = _tf_code_dir(body, base, archives)
            if content:
                infra.layers.append(LayerDecl(name, content, path))
        elif rtype == "aws_lambda_function":
            tenancy = _hcl_block(body, "tenancy_config") or ""
            per_tenant = bool(re.search(r'tenant_isolation_mode\s*=\s*"PER_TENANT"', tenancy))
            code_dir = _tf_code_dir(body, base, archives)
            env = []
            environment = _hcl_block(body, "environment")
            for line in _environment_maps(environment, text) if environment else ():
                var_match = re.match(r'\s*"?([\w-]+)"?\s*=\s*(.+?)\s*,?\s*$', line)
                if not var_match:
                    continue
                var, value = var_match.group(1), var_match.group(2)
                literal = _hcl_string(value)
                ref = re.match(r"aws_lambda_function\.([\w-]+)\.", value)
                table_ref = re.match(r"aws_dynamodb_table\.([\w-]+)\.", value)
                if literal is not None:
                    env.append((var, f"lit:{literal}"))
                elif ref:
                    env.append((var, f"fn:{ref.group(1)}"))
                elif table_ref:
                    env.append((var, f"fn:{table_ref.group(1)}"))
                elif re.fullmatch(r"(var|local)\.[\w-]+", value):  # a name's part, as "${var.x}" in a string
                    env.append((var, "sub:${" + value + "}"))
            infra.functions.append(LambdaFunction(
                name, _hcl_string(_hcl_attr(body, "function_name")), _hcl_string(_hcl_attr(body, "handler")),
                code_dir, per_tenant, tuple(env), path, invokers.finish(invoked_by.get(name, ()))))
        elif rtype == "aws_dynamodb_table":
            infra.tables.append(TableDecl(name, _hcl_string(_hcl_attr(body, "name")),
                                          _hcl_string(_hcl_attr(body, "hash_key")),
                                          _hcl_string(_hcl_attr(body, "range_key")), path))
