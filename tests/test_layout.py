"""Where projects keep their code: import roots (code folders, layers, src/, sub-projects)
and the nearest configuration of each file (as ruff finds it)."""

from __future__ import annotations

import json
from pathlib import Path

from dynolint.config import Config, SubProject
from dynolint.model.layout import Layout
from dynolint.model.project import Infra, LambdaFunction, LayerDecl
from dynolint.phase1.pyversions import finder_for
from tests.conftest import cli_json, findings_in, run_cli, triples, write_project

RACE = '''import boto3
table = boto3.resource("dynamodb").Table("t")
def rename(event, context):
    item = table.get_item(Key={"pk": event["id"]})["Item"]
    if item["title"] != event["title"]:
        item["title"] = event["title"]
        table.put_item(Item=item)
'''
TENANT_KEY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")
def handler(event, context):
    return table.get_item(Key={"pk": f"TENANT#{context.tenant_id}"})
'''


def _function(ident: str, code_dir: str, source: str) -> LambdaFunction:
    return LambdaFunction(ident, None, "app.handler", code_dir, False, (), source)


def test_own_roots_come_first_innermost_then_layers_then_the_root() -> None:
    files = ["svc/functions/a/app.py", "svc/layer/python/shared/db.py", "svc/src/pkg/x.py", "other/src/pkg/x.py"]
    infra = Infra(functions=[_function("A", "svc/functions/a", "svc/template.yaml")],
                  layers=[LayerDecl("L", "svc/layer", "svc/template.yaml")])
    layout = Layout(files, infra, packages=["svc", "other"])
    own = layout.roots("svc/functions/a/app.py")
    assert own == ("svc/functions/a", "svc", "svc/layer/python", "", "src")
    assert set(layout.everywhere) - set(own) == {"svc/src", "other/src", "other"}  # the others: installed
    # a layer declared by a template governs only the code of that template's folder
    assert "svc/layer/python" not in layout.roots("other/src/pkg/x.py")
    assert layout.providers("shared") == ("svc/layer/python",) and set(layout.providers("pkg")) == {"svc/src", "other/src"}


def test_a_layer_without_a_python_folder_is_its_own_root() -> None:
    infra = Infra(layers=[LayerDecl("L", "layers/common", "template.yaml")])
    layout = Layout(["layers/common/shared/db.py", "app.py"], infra)
    assert layout.roots("app.py")[0] == "layers/common"


def test_nearest_configuration_of_a_path() -> None:
    inner = Config(root=Path("/p/svc/a"), ignore=("DYN101",))
    config = Config(root=Path("/p"), subprojects=(SubProject("svc/a", inner), SubProject("svc")))
    assert config.for_path("svc/a/x.py") is inner
    assert config.folder_of("svc/a/x.py") == "svc/a"
    assert config.for_path("svc/b.py") is config  # a sub-project without settings of its own
    assert config.for_path("svc/ab/x.py") is config


def test_target_version_of_a_sub_project() -> None:
    inner = Config(root=Path("/p/a"), target_version=(3, 13))
    config = Config(root=Path("/p"), target_version=(3, 10), subprojects=(SubProject("a", inner),))
    finder = finder_for(config)
    assert finder.target("a/x.py") == (3, 13)
    assert finder.target("b/x.py") == (3, 10)


def _two_services(tmp_path: Path, notes_settings: str) -> Path:
    return write_project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'workspace'\n",
        "notes/pyproject.toml": f"[project]\nname = 'notes'\n\n[tool.dynolint]\n{notes_settings}\n",
        "notes/notes/api.py": RACE,
        "tasks/pyproject.toml": "[project]\nname = 'tasks'\n",
        "tasks/tasks/api.py": RACE,
    })


def test_a_sub_project_ignores_a_rule_for_its_own_files_only(tmp_path: Path) -> None:
    root = _two_services(tmp_path, 'ignore = ["DYN101"]')
    assert triples(findings_in(root)) == {("tasks/tasks/api.py", 7, "DYN101")}


def test_sub_project_per_file_ignores_and_excludes_are_relative_to_it(tmp_path: Path) -> None:
    root = _two_services(tmp_path, 'per-file-ignores = { "notes/api.py" = ["DYN1"] }\nextend-exclude = ["gen"]')
    write_project(root, {"notes/gen/models.py": RACE, "gen/models.py": RACE})
    assert triples(findings_in(root)) == {("tasks/tasks/api.py", 7, "DYN101"), ("gen/models.py", 7, "DYN101")}


def test_config_option_governs_every_file(tmp_path: Path) -> None:
    root = _two_services(tmp_path, 'ignore = ["DYN101"]')
    write_project(root, {"settings.toml": ""})
    got = cli_json(root, "--config", "settings.toml", ".")
    assert sorted(f["path"] for f in got) == ["notes/notes/api.py", "tasks/tasks/api.py"]


def test_sub_project_isolation_model(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'platform'\n",
        "keys/dynolint.toml": 'isolation = "application"\n',
        "keys/handler.py": TENANT_KEY,
        "roles/handler.py": TENANT_KEY,
    })
    assert {(p, c) for p, _, c in triples(findings_in(root))} == {("roles/handler.py", "DYN201")}


def test_a_bad_sub_project_setting_names_its_file(tmp_path: Path) -> None:
    root = _two_services(tmp_path, 'ignor = ["DYN101"]')
    proc = run_cli("check", "--no-cache", ".", cwd=root)
    assert proc.returncode == 2
    assert "notes/pyproject.toml" in proc.stderr and "ignore" in proc.stderr


def test_cached_run_sees_a_changed_sub_project_setting(tmp_path: Path) -> None:
    root = _two_services(tmp_path, 'ignore = ["DYN101"]')
    first = cli_json(root, ".")
    (root / "notes/pyproject.toml").write_text("[project]\nname = 'notes'\n\n[tool.dynolint]\nignore = []\n")
    second = cli_json(root, ".")
    assert len(first) == 1 and len(second) == 2
    assert json.loads(json.dumps(second))[0]["path"] == "notes/notes/api.py"


def test_sibling_sub_projects_import_their_own_package(tmp_path: Path) -> None:
    repo = """import boto3
_t = boto3.resource("dynamodb").Table("%s")
def load(k):
    return _t.get_item(Key={"pk": k})["Item"]
"""
    handler = """import boto3
from app.repo import load
_t = boto3.resource("dynamodb").Table("t")
def handler(event, context):
    item = load(event["id"])
    if item["state"] == "NEW":
        _t.put_item(Item=item)
"""
    root = write_project(tmp_path, {
        "pyproject.toml": "",
        "a/pyproject.toml": "", "a/src/app/__init__.py": "", "a/src/app/repo.py": repo % "t",
        "a/src/app/handler.py": handler,
        # b's load reads another table: its handler copies items across, with no race
        "b/setup.py": "", "b/src/app/__init__.py": "", "b/src/app/repo.py": repo % "staging",
        "b/src/app/handler.py": handler,
    })
    assert triples(findings_in(root)) == {("a/src/app/handler.py", 7, "DYN101")}


def _project(files: dict[str, str], infra: Infra | None = None, packages: tuple[str, ...] = ()):
    from dynolint.model.project import Project
    from dynolint.phase1.summarize import summarize

    summaries = [summarize(path, text.encode()) for path, text in sorted(files.items())]
    config = Config(subprojects=tuple(SubProject(p) for p in packages))
    return Project(summaries, config, infra or Infra())


def test_imports_resolve_in_the_importers_own_sub_project() -> None:
    project = _project({"a/src/app/__init__.py": "", "a/src/app/repo.py": "", "a/src/app/handler.py": "",
                        "b/src/app/__init__.py": "", "b/src/app/repo.py": "", "b/src/app/handler.py": "",
                        "c/src/app/__init__.py": "", "c/src/app/handler.py": "",
                        "tool/lib/helpers.py": ""}, packages=("a", "b", "c", "tool"))
    assert project.resolve_module("a/src/app/handler.py", "app.repo", 0) == "a/src/app/repo.py"
    assert project.resolve_module("b/src/app/handler.py", "app.repo", 0) == "b/src/app/repo.py"
    # c's own app package has no repo: Python stops there, never reaching a sibling's
    assert project.resolve_module("c/src/app/handler.py", "app.repo", 0) is None
    # a module only one other sub-project has is found there, as if that one were installed
    assert project.resolve_module("a/src/app/handler.py", "lib.helpers", 0) == "tool/lib/helpers.py"


def test_each_template_s_layer_serves_its_own_functions() -> None:
    infra = Infra(functions=[_function("A", "one/fn", "one/template.yaml"),
                             _function("B", "two/fn", "two/template.yaml")],
                  layers=[LayerDecl("L1", "one/layer", "one/template.yaml"),
                          LayerDecl("L2", "two/layer", "two/template.yaml")])
    project = _project({"one/fn/app.py": "", "one/layer/python/shared/db.py": "",
                        "two/fn/app.py": "", "two/layer/python/shared/db.py": "",
                        "two/fn/shared/__init__.py": "", "two/fn/shared/db.py": ""}, infra)
    assert project.resolve_module("one/fn/app.py", "shared.db", 0) == "one/layer/python/shared/db.py"
    # the function's own package shadows its layer's (/var/task before /opt/python)
    assert project.resolve_module("two/fn/app.py", "shared.db", 0) == "two/fn/shared/db.py"


def test_cdk_assets_are_import_roots() -> None:
    stack = '''from aws_cdk import aws_lambda as lambda_
def build(scope):
    layer = lambda_.LayerVersion(scope, "Common", code=lambda_.Code.from_asset("layers/common"))
    lambda_.Function(scope, "Fn", handler="app.main", code=lambda_.Code.from_asset("lambdas/fn"), layers=[layer])
'''
    project = _project({"infra/stack.py": stack, "layers/common/python/shared/db.py": "",
                        "lambdas/fn/app.py": "", "other/shared/db.py": ""})
    assert project.resolve_module("lambdas/fn/app.py", "shared.db", 0) == "layers/common/python/shared/db.py"


def test_templates_under_other_names_declare_layers(tmp_path: Path) -> None:
    """A SAM template named tenant-template.yaml, or nested in nested_templates/, is read;
    a YAML file named like a template that is not one (a Helm chart) is left alone."""
    nested = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: ../layers/
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ../fn/
      Handler: app.handler
"""
    repo = """import boto3
_t = boto3.resource("dynamodb").Table("t")
def load(k):
    return _t.get_item(Key={"pk": k})["Item"]
def save(item):
    _t.put_item(Item=item)
"""
    app = """from shared.repo import load, save
def handler(event, context):
    item = load(event["id"])
    item["n"] = item["n"] + 1
    save(item)
"""
    root = write_project(tmp_path, {
        "pyproject.toml": "",
        "server/nested_templates/functions.yaml": nested,
        "server/layers/python/shared/__init__.py": "", "server/layers/python/shared/repo.py": repo,
        "server/fn/app.py": app,
        # the same package name elsewhere: without the layer, the import would be ambiguous
        "tools/shared/__init__.py": "", "tools/shared/repo.py": "def load(k):\n    return {}\n",
        "chart/templates/deployment.yaml": "kind: Deployment\nspec: {{ .Values.spec }}\n",
    })
    assert triples(findings_in(root)) == {("server/layers/python/shared/repo.py", 6, "DYN102")}


_REPO = '''import boto3

table = boto3.resource("dynamodb").Table("notes")

__all__ = ["load", "save"]


def load(k):
    return table.get_item(Key={"id": k})["Item"]


def save(item):
    table.put_item(Item=item)


def _purge(item):
    table.put_item(Item={**item, "purged": True})
'''
_CALLER = '''from pkg import {names}


def handler(event, context):
    note = load(event["id"])
    note["text"] = event["text"]
    {call}(note)
'''


def test_a_package_that_re_exports_with_a_star_import(tmp_path: Path) -> None:
    # ``from .repo import *`` in pkg/__init__.py binds repo's __all__: the handler importing
    # from the package is analysed (the import scan follows star imports) and reaches the write
    root = write_project(tmp_path, {"pkg/__init__.py": "from .repo import *\n", "pkg/repo.py": _REPO,
                                    "handler.py": _CALLER.format(names="load, save", call="save")})
    assert triples(findings_in(root)) == {("pkg/repo.py", 13, "DYN101")}
    # a name __all__ does not list is not bound by the star import: nothing reaches _purge
    write_project(tmp_path, {"handler.py": _CALLER.format(names="load, _purge", call="_purge")})
    assert triples(findings_in(root)) == set()


_TF_LAYER = '''data "archive_file" "kit" {
  type        = "zip"
  source_dir  = "{source}"
  output_path = "{zip}"
}
data "archive_file" "fn" {
  type        = "zip"
  source_dir  = "function"
  output_path = "fn.zip"
}
resource "aws_lambda_layer_version" "kit" {
  layer_name = "kit"
  filename   = "{filename}"
}
resource "aws_lambda_function" "f" {
  function_name = "notes"
  filename      = data.archive_file.fn.output_path
  handler       = "notes.handler"
  runtime       = "python3.12"
  role          = "arn:aws:iam::1:role/r"
  layers        = [aws_lambda_layer_version.kit.arn]
}
'''
_NOTES = '''import boto3
from kit.writer import save
notes = boto3.resource("dynamodb").Table("notes")
def handler(event, context):
    note = notes.get_item(Key={"nid": event["nid"]})["Item"]
    note["title"] = event["title"]
    save(notes, note)
'''
_WRITER = "def save(table, item):\n    table.put_item(Item=item)\n"
_GUARDED_WRITER = 'def save(table, item):\n    table.put_item(Item=item, ConditionExpression="attribute_exists(nid)")\n'


def test_a_terraform_layer_s_literal_filename_names_the_archive_that_builds_it(tmp_path: Path) -> None:
    """``filename = "kit.zip"`` is the zip an ``archive_file`` writes to that path (with or without
    ``${path.module}/``), as ``data.archive_file.kit.output_path`` is: the layer deploys its source."""
    def project(name: str, source: str, zip_path: str, filename: str) -> Path:
        tf = _TF_LAYER.replace("{source}", source).replace("{zip}", zip_path).replace("{filename}", filename)
        return write_project(tmp_path / name, {
            "main.tf": tf, "function/notes.py": _NOTES,
            "kit/python/kit/__init__.py": "", "kit/python/kit/writer.py": _WRITER,
            "other/python/kit/__init__.py": "", "other/python/kit/writer.py": _GUARDED_WRITER})

    assert triples(findings_in(project("plain", "kit", "kit.zip", "kit.zip"))) == {
        ("kit/python/kit/writer.py", 2, "DYN101")}
    module = project("module", "${path.module}/kit", "${path.module}/kit.zip", "${path.module}/kit.zip")
    assert triples(findings_in(module)) == {("kit/python/kit/writer.py", 2, "DYN101")}
    # the zip at that path is built from other/, whose writer is guarded: kit/ is not deployed
    other = project("other", "other", "build/kit.zip", "./build/kit.zip")
    assert triples(findings_in(other)) == set()
    write_project(other, {"other/python/kit/writer.py": _WRITER})
    assert triples(findings_in(other)) == {("other/python/kit/writer.py", 2, "DYN101")}
