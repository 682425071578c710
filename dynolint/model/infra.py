"""Infrastructure as code: Lambda functions (handler, code directory, tenancy, environment)
and DynamoDB tables (key schema), from SAM/CloudFormation (YAML or JSON), serverless.yml
and Terraform. CDK apps in Python are read by the interpreter itself (see ``cdk_call``).

Every parser is tolerant: a file it cannot read is recorded as a problem and skipped.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from dynolint.phase1 import ir
from dynolint.model import invokers
from dynolint.model.deployment import NestedStacks, cfn_text
from dynolint.model.template_text import TemplateError, read_json, read_yaml, read_yaml_salvaged
from dynolint.model.project import Infra, LambdaFunction, LayerDecl, TableDecl, clean_dir as _clean
from dynolint.model.terraform import terraform as _terraform

FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
LAYER_TYPES = {"AWS::Serverless::LayerVersion": "ContentUri", "AWS::Lambda::LayerVersion": "Content"}
TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable", "AWS::DynamoDB::GlobalTable")


def load_infra(files: dict[str, bytes], summaries: list[ir.FileSummary]) -> Infra:
    infra = Infra()
    nested = NestedStacks()
    for path, data in sorted(files.items()):
        text = data.decode("utf-8", errors="replace")
        try:
            if path.endswith((".tf", ".tf.json")):
                _terraform(path, text, infra)
            elif posixpath.basename(path).startswith("serverless."):
                document = read_yaml(text)
                if isinstance(document, dict):
                    _serverless(path, document, infra)
            elif path.endswith(".json"):
                document = read_json(text)
                if isinstance(document, dict) and "Resources" in document:
                    _cloudformation(path, document, infra, nested)
            else:
                document, left_out = read_yaml_salvaged(text)
                if isinstance(document, dict) and "Resources" in document:
                    _cloudformation(path, document, infra, nested)
                for line, problem in left_out:  # said, as the error it is (AWS refuses the template)
                    infra.errors.append((path, line, f"cannot be read as a template: {problem}; the lines "
                                                     "it spoils left out, the rest of the template read"))
        except TemplateError as exc:
            infra.errors.append((path, exc.line, f"cannot be read as a template: {exc}; its functions and "
                                                 "tables are left out"))
        except Exception as exc:  # noqa: BLE001 - a broken template must not stop the run
            infra.errors.append((path, 1, f"cannot be read as a template: {type(exc).__name__}: {exc}; "
                                          "its functions and tables are left out"))
    nested.resolve(infra)
    return infra


# -- CloudFormation / SAM -------------------------------------------------------------------


ARTIFACTS = (".zip", ".jar")  # a CodeUri naming a built package, not a source folder


def _ref_target(value: Any, functions: set[str], parameters: frozenset[str] = frozenset()) -> str | None:
    """What an environment variable is set to: ``fn:<id>`` (a resource: a function another
    rule looks for, a table), ``lit:<text>``, ``sub:<name with placeholders>`` (a name built
    from parameters, ``model/deployment.py``) or ``out:<stack>.<output>`` (a nested stack's
    output, resolved once every template is read)."""
    if isinstance(value, str):
        return f"lit:{value}"
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            text = cfn_text(value, parameters)
            return f"sub:{text}" if text is not None else f"fn:{value['Ref']}"
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):
                target = target.split(".", 1)
            if isinstance(target, list) and len(target) == 2 and isinstance(target[1], str) \
                    and target[1].startswith("Outputs."):
                return f"out:{target[0]}.{target[1][len('Outputs.'):]}"
            if isinstance(target, list) and target:
                return f"fn:{target[0]}"
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            template = sub[0] if isinstance(sub, list) and sub else sub
            if isinstance(template, str):
                match = re.search(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", template)
                if match and match.group(1) in functions:
                    return f"fn:{match.group(1)}"
        text = cfn_text(value, parameters)
        if text is not None:
            return f"sub:{text}"
    return None


def _per_tenant(properties: dict[str, Any]) -> bool:
    tenancy = properties.get("TenancyConfig") or properties.get("tenancyConfig")
    if isinstance(tenancy, dict):
        mode = tenancy.get("TenantIsolationMode") or tenancy.get("tenantIsolationMode")
        return isinstance(mode, str) and mode.upper() == "PER_TENANT"
    return False


def _cloudformation(path: str, document: dict[str, Any], infra: Infra, nested: NestedStacks) -> None:
    base = posixpath.dirname(path)
    resources = document.get("Resources") or {}
    if not isinstance(resources, dict):
        return
    declared = document.get("Parameters")
    parameters = frozenset(declared) if isinstance(declared, dict) else frozenset()
    nested.template(path, document, parameters)
    globals_function = ((document.get("Globals") or {}).get("Function") or {}) if isinstance(
        document.get("Globals"), dict) else {}
    function_ids = {name for name, spec in resources.items()
                    if isinstance(spec, dict) and spec.get("Type") in FUNCTION_TYPES}
    invoked_by = invokers.cfn_invokers(resources, outputs=document.get("Outputs"))
    for ident, spec in resources.items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("Type")
        properties = spec.get("Properties") or {}
        if not isinstance(properties, dict):
            continue
        if kind in FUNCTION_TYPES:
            merged = {**globals_function, **properties} if kind == "AWS::Serverless::Function" else properties
            code = merged.get("CodeUri") if kind == "AWS::Serverless::Function" else merged.get("Code")
            if isinstance(code, str) and code.lower().endswith(ARTIFACTS):
                code = None  # a built package (``./deployment.zip``): its sources are the project's
            code_dir = posixpath.normpath(posixpath.join(base, code)) if isinstance(code, str) else (base or ".")
            env_vars = ((merged.get("Environment") or {}).get("Variables") or {})
            global_env = ((globals_function.get("Environment") or {}).get("Variables") or {})
            env = []
            for name, value in {**global_env, **env_vars}.items():
                target = _ref_target(value, function_ids, parameters)
                if target is not None:
                    env.append((name, target))
            name_value = merged.get("FunctionName")
            handler = merged.get("Handler")
            kinds = invoked_by.get(ident, set()) | invokers.sam_events(merged)
            infra.functions.append(LambdaFunction(
                # (a name built with ``!Sub``: its text, ``rentals-${Stage}-pusher``, which an
                # environment variable set with the same ``!Sub`` names: ``_by_reference``)
                ident, name_value if isinstance(name_value, str) else cfn_text(name_value, parameters),
                handler if isinstance(handler, str) else None, _clean(code_dir), _per_tenant(merged),
                tuple(env), path, invokers.finish(kinds)))
        elif kind in TABLE_TYPES:
            _cfn_table(path, ident, properties, infra, parameters)
        elif kind in nested.STACK_TYPES:
            nested.stack(path, ident, properties, parameters)
        elif kind in LAYER_TYPES:
            content = properties.get(LAYER_TYPES[kind])
            if isinstance(content, str) and "://" not in content:  # a local folder, not an S3 URI
                infra.layers.append(LayerDecl(ident, _clean(posixpath.normpath(posixpath.join(base, content))), path))


def _cfn_table(path: str, ident: str, properties: dict[str, Any], infra: Infra,
               parameters: frozenset[str] = frozenset()) -> None:
    name = cfn_text(properties.get("TableName"), parameters)
    pk = sk = None
    primary = properties.get("PrimaryKey")
    if isinstance(primary, dict):
        pk = primary.get("Name")
    for element in properties.get("KeySchema") or []:
        if isinstance(element, dict):
            if element.get("KeyType") == "HASH":
                pk = element.get("AttributeName")
            elif element.get("KeyType") == "RANGE":
                sk = element.get("AttributeName")
    infra.tables.append(TableDecl(ident, name if isinstance(name, str) else None, pk, sk, path))


# -- serverless.yml --------------------------------------------------------------------------


def _serverless_logical_id(name: str) -> str:
    normalized = name[:1].upper() + name[1:]
    normalized = normalized.replace("-", "Dash").replace("_", "Underscore")
    return f"{normalized}LambdaFunction"


_SLS_STAGE = re.compile(r"\$\{(?:sls:stage|opt:stage(?:\s*,[^}]*)?|self:provider\.stage)\}")


def _sls_name_target(value: object, service: object, functions: dict[str, Any]) -> str | None:
    """The function a value names by Serverless's default name, ``${self:service}-${sls:stage}-
    <function>`` (the stage in any of its spellings): ``fn:`` its logical id, as a ``!Ref``, or None."""
    if not isinstance(value, str) or not isinstance(service, str) or "${" not in value:
        return None
    text = _SLS_STAGE.sub("{stage}", value.replace("${self:service}", service))
    for name, spec in functions.items():
        given = spec.get("name") if isinstance(spec, dict) else None
        if text == f"{service}-{{stage}}-{name}" and not given:
            return "fn:" + _serverless_logical_id(name)
    return None


def _serverless(path: str, document: dict[str, Any], infra: Infra) -> None:
    base = posixpath.dirname(path)
    service = document.get("service")
    service_name = service.get("name") if isinstance(service, dict) else service
    provider = document.get("provider") or {}
    stage = provider.get("stage", "dev") if isinstance(provider, dict) else "dev"
    provider_env = (provider.get("environment") or {}) if isinstance(provider, dict) else {}
    resources = ((document.get("resources") or {}).get("Resources") or {}) if isinstance(
        document.get("resources"), dict) else {}
    extensions = ((document.get("resources") or {}).get("extensions") or {}) if isinstance(
        document.get("resources"), dict) else {}
    functions = document.get("functions") or {}
    if not isinstance(functions, dict):
        return
    logical = {_serverless_logical_id(name): name for name in functions}
    names = {**{key: key for key in logical}, **{str(name): key for key, name in logical.items()}}
    outputs = (document.get("resources") or {}).get("Outputs") if isinstance(document.get("resources"), dict) \
        else None
    invoked_by = invokers.cfn_invokers(resources if isinstance(resources, dict) else {}, names, outputs)
    for ident, kinds in invokers.serverless_state_machines(document, names).items():
        invoked_by.setdefault(ident, set()).update(kinds)
    for name, spec in functions.items():
        if not isinstance(spec, dict):
            continue
        ident = _serverless_logical_id(name)
        # what ``resources.Resources`` overrides, or ``resources.extensions`` adds, of the
        # function's generated resource (``RenderLambdaFunction: {Properties: {TenancyConfig: ...}}``)
        per_tenant = _per_tenant(spec) or any(
            _per_tenant((override.get("Properties") or {}) if isinstance(override, dict) else {})
            for section in (resources, extensions) if isinstance(section, dict)
            for override in (section.get(ident, {}),))
        function_name = spec.get("name") or (f"{service_name}-{stage}-{name}" if service_name else name)
        env = []
        for var, value in {**provider_env, **(spec.get("environment") or {})}.items():
            target = _sls_name_target(value, service_name, functions) or _ref_target(value, set(logical))
            if target is not None:
                env.append((var, target))
        handler = spec.get("handler")
        module_path = None
        if isinstance(handler, str) and "." in handler:
            module, _, func = handler.rpartition(".")
            module_path = module.replace("/", ".")
            handler = f"{module_path}.{func}"
        # serverless-python-requirements' ``module``: the function's code (and sys.path) is that folder
        code_module = spec.get("module")
        code_dir = posixpath.normpath(posixpath.join(base, code_module)) if isinstance(code_module, str) else base
        kinds = invoked_by.get(ident, set()) | invokers.serverless_events(spec)
        infra.functions.append(LambdaFunction(
            ident, function_name if isinstance(function_name, str) else None,
            handler if isinstance(handler, str) else None, _clean(code_dir), per_tenant, tuple(env), path,
            invokers.finish(kinds)))
    layers = document.get("layers")
    for name, spec in (layers.items() if isinstance(layers, dict) else ()):
        folder = spec.get("path") if isinstance(spec, dict) else None
        if isinstance(folder, str):
            infra.layers.append(LayerDecl(str(name), _clean(posixpath.normpath(posixpath.join(base, folder))), path))
    for ident, spec in (resources.items() if isinstance(resources, dict) else ()):
        if isinstance(spec, dict) and spec.get("Type") in TABLE_TYPES:
            _cfn_table(path, ident, spec.get("Properties") or {}, infra)
