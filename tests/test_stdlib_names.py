"""Project modules named like standard-library ones (``platform``, ``json``, ``profile``):
which one an import gives, as a deployed Lambda function would (its code folder first on
``sys.path``), without taking a standard module for a project's namesake."""

from __future__ import annotations

from dynolint.model.stdlib import stdlib_has, stdlib_may_define
from tests.conftest import findings_in, triples
from tests.modelkit import model_of, race_kinds

ADMIN_CHECK = '''import boto3
{imports}
seats = boto3.resource("dynamodb").Table("seats")
def remove_seat(event, context):
    groups = event["requestContext"]["authorizer"]["claims"].get("cognito:groups", "").split(",")
    if {constant} not in groups:
        return {{"statusCode": 403}}
    seats.delete_item(Key={{"pk": event["pathParameters"]["tenantId"]}})
'''


def test_what_the_standard_library_has_is_read_from_its_files() -> None:
    assert stdlib_has("json") and stdlib_has("json.decoder") and stdlib_has("os.path")
    assert stdlib_has("xml.etree.ElementTree") and stdlib_has("logging.handlers")
    assert not stdlib_has("json.schemas") and not stdlib_has("platform.access") and not stdlib_has("boto3")
    assert stdlib_may_define("platform", "system") and stdlib_may_define("json", "loads")
    assert not stdlib_may_define("platform", "ADMIN")


def _resolve(files: dict[str, str], importer: str, module: str) -> str | None:
    return model_of(files).interp.project.resolve_module(importer, module, 0)


def test_a_submodule_the_standard_library_lacks_is_the_projects() -> None:
    files = {"backend/platform/__init__.py": "", "backend/platform/access.py": 'ADMIN = "saas-operators"\n',
             "backend/handlers/quota.py": "from platform.access import ADMIN\n"}
    assert _resolve(files, "backend/handlers/quota.py", "platform.access") == "backend/platform/access.py"
    # the package itself could still be the standard one: nothing says backend/ is on sys.path
    assert _resolve(files, "backend/handlers/quota.py", "platform") is None


def test_a_name_the_standard_module_never_defines_comes_from_the_projects_namesake() -> None:
    files = {"backend/platform/__init__.py": 'ADMIN = "saas-operators"\n',
             "backend/handlers/quota.py": "from platform import ADMIN\nfrom platform import system\n"}
    project = model_of(files).interp.project
    assert project.resolve_from("backend/handlers/quota.py", "platform", "ADMIN", 0) == "backend/platform/__init__.py"
    assert project.resolve_from("backend/handlers/quota.py", "platform", "system", 0) is None


def test_a_folder_the_project_imports_from_shadows_the_standard_library() -> None:
    """``from handlers.common import ...`` under backend/ shows backend/ is a code folder: its
    ``platform`` package is what ``import platform`` gives the code there, not elsewhere."""
    files = {"backend/platform/__init__.py": 'ADMIN = "saas-operators"\n',
             "backend/handlers/__init__.py": "", "backend/handlers/common.py": "X = 1\n",
             "backend/handlers/quota.py": "import platform\nfrom handlers.common import X\n",
             "tools/report.py": "import platform\n"}
    assert _resolve(files, "backend/handlers/quota.py", "platform") == "backend/platform/__init__.py"
    assert _resolve(files, "tools/report.py", "platform") is None


def test_a_module_beside_the_importer_in_a_regular_package_is_not_the_standard_one() -> None:
    """``app/json.py`` (imported as ``app.json``) beside ``app/orders.py``: ``import json`` there
    is the standard library's; in a folder of handlers (no package) the sibling still wins."""
    files = {"app/__init__.py": "", "app/json.py": "def default(v):\n    return str(v)\n",
             "app/orders.py": "import json\nfrom app.json import default\n",
             "functions/json.py": "X = 1\n", "functions/handler.py": "import json\n"}
    assert _resolve(files, "app/orders.py", "json") is None
    assert _resolve(files, "functions/handler.py", "json") == "functions/json.py"


def test_an_admin_constant_in_a_package_named_like_a_standard_module_is_an_admin_check(project) -> None:
    """Through a phase-1 selection and the whole run: with the check seen, the execution-role
    delete on the path's tenant is control plane (clean); with a tenant's own role it is not."""
    for imports, constant in (("from platform.access import ADMIN", "ADMIN"),
                              ("from platform import access", "access.ADMIN"),
                              ("import platform.access as access", "access.ADMIN")):
        root = project({"pyproject.toml": "", "backend/platform/__init__.py": "",
                        "backend/platform/access.py": 'ADMIN = "saas-operators"\nOWNER = "workspace-owner"\n',
                        "backend/ops/seats.py": ADMIN_CHECK.format(imports=imports, constant=constant)})
        assert not triples(findings_in(root)), imports
        (root / "backend/ops/seats.py").write_text(ADMIN_CHECK.format(imports=imports,
                                                                      constant=constant.replace("ADMIN", "OWNER")))
        assert {code for _, _, code in triples(findings_in(root))} == {"DYN201", "DYN204"}, imports


def test_a_race_through_a_helper_in_a_package_named_like_a_standard_module() -> None:
    files = {"service/profile/__init__.py": "",
             "service/profile/store.py": ('import boto3\nt = boto3.resource("dynamodb").Table("p")\n'
                                          'def load(uid):\n    return t.get_item(Key={"id": uid})["Item"]\n'
                                          'def save(p):\n    t.put_item(Item=p)\n'),
             "service/handlers/rename.py": ('from profile.store import load, save\n'
                                            'def handler(event, context):\n    p = load(event["id"])\n'
                                            '    if p["name"] != event["name"]:\n        p["name"] = event["name"]\n'
                                            '        save(p)\n')}
    assert race_kinds(model_of(files)) == {6: "overwrite"}
