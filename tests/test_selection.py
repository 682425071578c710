"""Phase 1's choice of files (dynolint/engine/pipeline.py, dynolint/phase1/prefilter.py): what words in
comments, docstrings and strings do not make a file DynamoDB or tenancy code; what a file that
mentions tenants needs to start an analysis of its own; and a multi-tenant sub-project makes
its own files roots, not the whole tree's."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynolint.config import Config, SubProject
from dynolint.engine.pipeline import select_files
from dynolint.phase1.prefilter import code_text, has_entry, makes_dynamodb, touches_tenancy
from tests.conftest import findings_in, triples, write_project


def test_comments_docstrings_and_other_strings_do_not_make_a_dynamodb_file() -> None:
    assert makes_dynamodb(b'import boto3\nT = boto3.resource("dynamodb").Table("t")\n')
    assert makes_dynamodb(b"from pynamodb.models import Model\n")
    assert makes_dynamodb(b"import boto3\nc = boto3.client(service_name='dynamodb')\n")
    assert makes_dynamodb(b"from mypy_boto3_dynamodb.service_resource import Table\n")
    # an analyser's own vocabulary: a module named pynamodb inside another package, a
    # docstring, a comment, a message that quotes the call
    assert not makes_dynamodb(b"from myapp.model.pynamodb import Mixin\n")
    assert not makes_dynamodb(b'"""Call boto3.resource("dynamodb").Table(name)."""\nx = 1\n')
    assert not makes_dynamodb(b"x = 1  # T = boto3.resource('dynamodb').Table('t')\n")
    assert not makes_dynamodb(b"MESSAGE = \"use boto3.client('dynamodb') and .Table(\"\n")
    assert not makes_dynamodb(b'WORDS = ("mypy_boto3_dynamodb", "pynamodb")\n')


def test_a_table_of_one_argument_is_a_dynamodb_handle_and_sqlalchemys_table_is_not() -> None:
    # a DynamoDB resource's Table takes the table's name, however it is computed
    for call in ('ddb.Table("t")', 'self.dynamodb.Table(name=cfg["table"])', "resource.Table(os.environ.get('T', 'a,b'))",
                 "ddb.Table(\n    f'{prefix}-orders',\n)", "ddb.Table(names[0])"):
        assert makes_dynamodb(f"def handle(ddb, resource, cfg):\n    return {call}\n".encode()), call
    # SQLAlchemy's Table(name, metadata, *columns), under any alias, on one line or several
    for call in ('sa.Table("users", meta, sa.Column("id", sa.Integer))', "schema.Table(\n    name,\n    meta,\n)",
                 'db.Table("tags", db.Column("tag_id", db.Integer), db.Column("post_id", db.Integer))'):
        assert not makes_dynamodb(f"def build(meta, name):\n    return {call}\n".encode()), call


def test_a_tenant_key_in_a_string_counts_but_a_tenant_in_a_comment_does_not() -> None:
    assert touches_tenancy(b'def h(event, context):\n    return event["tenantId"]\n')
    assert not touches_tenancy(b'def h(a):\n    """Per tenant."""\n    return a  # the tenant\n')


def test_code_text_blanks_comments_and_docstrings_keeping_every_byte_offset() -> None:
    source = 'def f(a):\n    """Doc é."""\n    s = "kept é"  # gone é\n    return a\n'.encode()
    code = code_text(source, False)
    assert len(code) == len(source) and code.count(b"\n") == source.count(b"\n")
    assert b"Doc" not in code and b"gone" not in code and "kept é".encode() in code
    bare = code_text(source, True)
    assert b"kept" not in bare and b"return a" in bare
    assert code_text(b"def broken(:\n  '''\n", False) == b"def broken(:\n  '''\n"  # as it is


def test_what_gives_a_file_an_invocation_of_its_own() -> None:
    assert has_entry(b"def handler(event, context):\n    pass\n")
    assert has_entry(b"def main(evt, _ctx):\n    pass\n")
    assert has_entry(b'@app.get("/orders/{tenant_id}")\ndef orders(tenant_id):\n    pass\n')
    assert has_entry(b"def h():\n    return app.current_event\n")
    assert has_entry(b"import boto3\ndef session_for(tenant_id):\n    pass\n")  # STS credentials
    assert not has_entry(b"def scope(tenant_id, items):\n    return [i for i in items if i.t == tenant_id]\n")
    assert not has_entry(b'def f(x):\n    """def handler(event, context): ..."""\n    return "import boto3"\n')


def test_a_tenant_helper_without_an_invocation_is_parsed_but_reached_only_through_its_callers() -> None:
    sources = {
        "handler.py": b"import helper\ndef handler(event, context):\n    return helper.scope(event['tenantId'])\n",
        "helper.py": b"import text\ndef scope(tenant_id):\n    return text.key(tenant_id)\n",
        "text.py": b"def key(tenant_id):\n    return 'T#' + tenant_id\n",
        "words.py": b"def describe(tenant):\n    return 'tenant ' + tenant\n",  # imported by nobody
    }
    selection = select_files(sources, Config())
    assert selection.roots is not None
    assert {"handler.py", "helper.py", "text.py"} <= selection.parse
    assert "handler.py" in selection.roots
    assert "helper.py" not in selection.roots and "words.py" not in selection.roots


def test_a_multi_tenant_sub_project_makes_its_own_files_roots_not_the_whole_tree() -> None:
    shared = Config(multi_tenant=True)
    config = Config(subprojects=(SubProject("svc", shared),))
    sources = {
        "svc/app.py": b"CACHE = {}\ndef handler(event, context):\n    CACHE[1] = event\n",
        "svc/util.py": b"def pad(x):\n    return x\n",
        "tool/report.py": b"def render(rows):\n    return rows\n",
        "tool/db.py": b"import boto3\nT = boto3.resource('dynamodb').Table('t')\n",
    }
    selection = select_files(sources, config)
    assert selection.roots is not None
    assert {"svc/app.py", "svc/util.py", "tool/db.py"} <= selection.roots
    assert "tool/report.py" not in selection.parse


def test_a_tenant_race_through_a_helper_module_is_still_found(tmp_path: Path) -> None:
    """The handler reads the tenant; the helper module (tenant words, no invocation, no
    table of its own) builds the key and writes; the table comes from a third module."""
    write_project(tmp_path, {
        "db.py": 'import boto3\nTABLE = boto3.resource("dynamodb").Table("orders")\n',
        "orders.py": ('from db import TABLE\n'
                      'def bump(tenant_id, order_id):\n'
                      '    key = {"pk": tenant_id + "#" + order_id}\n'
                      '    item = TABLE.get_item(Key=key)["Item"]\n'
                      '    item["count"] = item["count"] + 1\n'
                      '    TABLE.put_item(Item=item)\n'),
        "handler.py": ('import orders\n'
                       'def handler(event, context):\n'
                       '    orders.bump(event["tenantId"], event["orderId"])\n'),
    })
    found = {(f.path, f.code) for f in findings_in(tmp_path).findings}
    assert ("orders.py", "DYN102") in found


def test_the_text_scans_are_kept_by_digest_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run keeps what the two text scans said of each file (by its digest, in the cache):
    the next run asks them only of changed files, and selects the same files."""
    from dynolint.engine import selection

    sources = {
        "handler.py": b"import store\ndef handler(event, context):\n    return store.load(event['id'])\n",
        "store.py": b"import boto3\nT = boto3.resource('dynamodb').Table('t')\ndef load(k):\n"
                    b"    return T.get_item(Key={'pk': k})\n",
        "words.py": b"def describe(x):\n    return 'x ' + x\n",
    }
    known: dict[bytes, tuple[bool, bool]] = {}
    first = select_files(sources, Config(), known)
    assert len(known) == 3 and first == select_files(sources, Config())
    asked: list[bytes] = []
    real = selection.makes_dynamodb
    monkeypatch.setattr(selection, "makes_dynamodb", lambda data: asked.append(data) or real(data))
    assert select_files(sources, Config(), known) == first and asked == []
    changed = {**sources, "words.py": b"import boto3\nT = boto3.resource('dynamodb').Table('w')\n"}
    assert "words.py" in select_files(changed, Config(), known).parse
    assert asked == [changed["words.py"]] and len(known) == 4


def test_a_handler_decorated_from_a_tenancy_module_is_a_root() -> None:
    """The decorator's wrapper runs each request (and may keep its tenant) only where the
    decorated handler is analysed, though the handler's own text names no tenant."""
    scope = (b"REQUEST = {}\n\ndef with_caller(fn):\n    def run(event, context):\n"
             b"        REQUEST['t'] = event['requestContext']['authorizer']['claims']['custom:tenant_id']\n"
             b"        return fn(event, context)\n    return run\n")
    decorated = b"from scope import with_caller\n\n@with_caller\ndef report(event, context):\n    return 1\n"
    undecorated = b"from scope import with_caller\n\ndef report(event, context):\n    return with_caller\n"
    unrelated = b"import functools\n\n@functools.cache\ndef report(event, context):\n    return 1\n"
    sources = {"scope.py": scope, "reports.py": decorated, "plain.py": undecorated, "other.py": unrelated}
    selection = select_files(sources, Config(Path(".")))
    assert selection.roots is not None
    assert "reports.py" in selection.roots and "reports.py" in selection.parse
    assert "plain.py" not in selection.parse and "other.py" not in selection.parse


DB = b'''import boto3

table = boto3.resource("dynamodb").Table("points")


def fetch(member_id):
    return table.get_item(Key={"id": member_id})["Item"]


def persist(member):
    table.put_item(Item=member)
'''
REPO = b'''from app import db


def load_member(member_id):
    return db.fetch(member_id)


def store_member(member):
    db.persist(member)
'''
SERVICE = b'''from app import repo


def award(member_id, points):
    member = repo.load_member(member_id)
    member["points"] = member["points"] + points
    repo.store_member(member)
'''
HANDLER = b'''from app import service


def handler(event, context):
    service.award(event["id"], int(event["points"]))
'''


def test_every_layer_above_the_table_that_calls_its_wrappers_is_parsed() -> None:
    """handler -> service -> repository -> db, where only db names the table and the helpers are
    called neither ``save`` nor anything with an item operation: each layer calls a function of
    the one below that wraps an item operation, so each is parsed, however many there are."""
    sources = {"app/db.py": DB, "app/repo.py": REPO, "app/service.py": SERVICE, "app/handler.py": HANDLER,
               "app/report.py": b"from app import service\n\n\ndef title():\n    return 'Points'\n"}
    selection = select_files(sources, Config())
    assert {"app/db.py", "app/repo.py", "app/service.py", "app/handler.py"} <= selection.parse
    # an importer that calls none of the wrappers is two levels up from them, still parsed as a
    # caller may be, and a module importing nothing of them is not
    sources["app/unrelated.py"] = b"import json\n\n\ndef dump(value):\n    return json.dumps(value)\n"
    assert "app/unrelated.py" not in select_files(sources, Config()).parse


def test_names_passed_on_by_re_exports_are_followed() -> None:
    """``from .db import fetch, persist`` in a package's modules passes the wrappers on under
    their names: the caller of the re-exported names is parsed (two re-exports and a deeper
    caller than the two levels taken above every user)."""
    sources = {"pkg/db.py": DB, "pkg/api.py": b"from pkg.db import fetch, persist\n",
               "pkg/__init__.py": b"from pkg.api import (\n    fetch,\n    persist,\n)\n",
               "svc/logic.py": b"import pkg\n\n\ndef bump(i):\n    m = pkg.fetch(i)\n    m['n'] = m['n'] + 1\n"
                               b"    pkg.persist(m)\n",
               "svc/mid.py": b"from svc import logic\n\n\ndef run(i):\n    logic.bump(i)\n",
               "svc/top.py": b"from svc import mid\n\n\ndef go(i):\n    mid.run(i)\n",
               "svc/entry.py": b"from svc import top\n\n\ndef handler(event, context):\n    top.go(event['id'])\n"}
    parsed = select_files(sources, Config()).parse
    assert {"pkg/api.py", "pkg/__init__.py", "svc/logic.py", "svc/mid.py", "svc/top.py"} <= parsed


def test_a_race_across_four_layers_is_found(tmp_path: Path) -> None:
    """The read and the write meet only in the handler, three layers above the table."""
    service = "from app import repo\n\n\ndef get(i):\n    return repo.load_member(i)\n\n\n" \
              "def put(member):\n    repo.store_member(member)\n"
    handler = "from app import service\n\n\ndef handler(event, context):\n    m = service.get(event['id'])\n" \
              "    m['points'] = m['points'] + int(event['points'])\n    service.put(m)\n"
    write_project(tmp_path, {"app/__init__.py": "", "app/db.py": DB.decode(), "app/repo.py": REPO.decode(),
                             "app/service.py": service, "app/handler.py": handler})
    assert set(triples(findings_in(tmp_path))) == {("app/db.py", 11, "DYN102")}
