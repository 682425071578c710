"""``dynolint server`` end to end: a real LSP client (pytest-lsp) starts
``python -m dynolint server`` and talks to it over stdio, as an editor does; then the pieces
whose cases are easier to reach directly (the scheduler, suppression comments, columns in
the client's encoding, files outside every project, the message without pygls)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from dynolint.findings import Confidence, Finding, Severity
from dynolint.server.actions import suppression_edit
from dynolint.server.scheduler import Scheduler

RESOURCE = '''import boto3

table = boto3.resource("dynamodb").Table("links")


'''
RACY_WRITE = 'table.put_item(Item={"pk": alias, "url": url})'
GUARDED_WRITE = 'table.put_item(Item={"pk": alias, "url": url}, ConditionExpression="attribute_not_exists(pk)")'
RACY = RESOURCE + f'''def create(alias, url):
    if "Item" in table.get_item(Key={{"pk": alias}}):
        return 409
    {RACY_WRITE}
    return 201
'''  # DYN101 at line 9 (the put_item), the read at line 7
GUARDED = RACY.replace(RACY_WRITE, GUARDED_WRITE)
COUNTER = RESOURCE + '''def hit(alias):
    clicks = table.get_item(Key={"pk": alias})["Item"]["clicks"] - 2
    table.update_item(Key={"pk": alias}, UpdateExpression="SET clicks = :c", ExpressionAttributeValues={":c": clicks})
'''  # DYN102 with a safe fix, line 8

STORE = RESOURCE + '''def load(alias):
    return table.get_item(Key={"pk": alias})["Item"]
'''
APP = '''from store import load, table


def retitle(alias, title):
    item = load(alias)
    item["title"] = title
    table.put_item(Item=item)
'''
NO_READ = STORE.replace('table.get_item(Key={"pk": alias})["Item"]', '{"pk": alias}')

WAIT = 30.0  # seconds; a run takes well under one


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics it receives, in order."""
    client = LanguageClient(converter_factory=default_converter)
    published: list[lsp.PublishDiagnosticsParams] = []

    def publish(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        published.append(params)

    registered: list[lsp.Registration] = []

    def register_capability(client: LanguageClient, params: lsp.RegistrationParams) -> None:
        registered.extend(params.registrations)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
                                   lsp.CLIENT_REGISTER_CAPABILITY: register_capability})
    client.published = published  # type: ignore[attr-defined]
    client.registered = registered  # type: ignore[attr-defined]
    return client


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "dynolint", "server"], client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server for the module (starting one costs more than the tests that use it)."""
    workspace = tmp_path_factory.mktemp("workspace")
    lsp_client.workspace = workspace  # type: ignore[attr-defined]
    lsp_client.opened = []  # type: ignore[attr-defined]
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")]))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def project(client: LanguageClient, request: pytest.FixtureRequest) -> Any:
    """A project of the test's own in the server's workspace (its dynolint.toml makes it the
    project root); the documents the test opened are closed after it."""
    root = client.workspace / request.node.name  # type: ignore[attr-defined]
    root.mkdir()
    (root / "dynolint.toml").write_text("")
    opened = len(client.opened)  # type: ignore[attr-defined]
    yield root
    for uri in client.opened[opened:]:  # type: ignore[attr-defined]
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))


def open_file(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    """Open ``path`` in the client (its text on disk unless ``text`` is given, unsaved)."""
    uri = path.as_uri()
    client.opened.append(uri)  # type: ignore[attr-defined]
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="python", version=version, text=path.read_text() if text is None else text)))
    return uri


def edit(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Replace the buffer's whole text (unsaved)."""
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client: LanguageClient, uri: str, version: int | None, after: int = 0) -> list[lsp.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (waiting for them), among the
    notifications from number ``after`` on."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for params in reversed(client.published[after:]):  # type: ignore[attr-defined]
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics for {uri} version {version}: {client.published}")  # type: ignore[attr-defined]


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """``text`` with LSP edits applied (positions in UTF-16 units; ASCII text here)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: lsp.Position) -> int:
        return len(text) if position.line >= len(lines) else starts[position.line] + position.character
    for item in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(item.range.start)] + item.new_text + text[offset(item.range.end):]
    return text


async def actions_at(client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic,
                     only: list[str] | None = None) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=diagnostic.range,
        context=lsp.CodeActionContext(diagnostics=[diagnostic], only=only)))
    return [action for action in result or [] if isinstance(action, lsp.CodeAction)]


@pytest.mark.asyncio(loop_scope="module")
async def test_racy_handler_then_guarded_unsaved_buffer(client: LanguageClient, project: Path) -> None:
    handler = project / "handler.py"
    handler.write_text(RACY)
    uri = open_file(client, handler)
    diagnostics = await published(client, uri, 1)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in diagnostics] == [("DYN101", 8, 4)]
    found = diagnostics[0]
    assert found.source == "dynolint" and found.severity == lsp.DiagnosticSeverity.Error
    assert found.code_description is not None and found.code_description.href.startswith("file://")
    assert found.code_description.href.endswith("/DYN101.md")
    page = Path(found.code_description.href[len("file://"):])
    assert page.is_file() and page.read_text().startswith("# DYN101 ")
    assert found.related_information is not None
    assert [(r.location.uri, r.location.range.start.line, r.message) for r in found.related_information] == \
        [(uri, 6, "item read here")]
    edit(client, uri, 2, GUARDED)  # not saved: the file on disk is still racy
    assert await published(client, uri, 2) == []
    assert handler.read_text() == RACY


@pytest.mark.asyncio(loop_scope="module")
async def test_the_read_in_another_saved_file(client: LanguageClient, project: Path) -> None:
    (project / "store.py").write_text(STORE)
    app = project / "app.py"
    app.write_text("")
    uri = open_file(client, app, APP)  # the buffer, unsaved, calls into the file on disk
    diagnostics = await published(client, uri, 1)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("DYN101", 6)]
    related = diagnostics[0].related_information or []
    places = {(r.location.uri, r.location.range.start.line, r.message) for r in related}
    assert ((project / "store.py").as_uri(), 6, "item read here") in places
    assert (uri, 4, "called here") in places


@pytest.mark.asyncio(loop_scope="module")
async def test_an_edit_in_one_open_file_updates_the_other(client: LanguageClient, project: Path) -> None:
    (project / "store.py").write_text(STORE)
    (project / "app.py").write_text(APP)
    app = open_file(client, project / "app.py")
    assert [d.code for d in await published(client, app, 1)] == ["DYN101"]
    store = open_file(client, project / "store.py")
    await published(client, store, 1)
    seen = len(client.published)  # type: ignore[attr-defined]
    edit(client, store, 2, NO_READ)  # unsaved: load() no longer reads the item
    assert await published(client, app, 1, after=seen) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_save_analyses_again_with_the_files_on_disk(client: LanguageClient, project: Path) -> None:
    (project / "store.py").write_text(STORE)
    (project / "app.py").write_text(APP)
    app = open_file(client, project / "app.py")
    assert [d.code for d in await published(client, app, 1)] == ["DYN101"]
    seen = len(client.published)  # type: ignore[attr-defined]
    (project / "store.py").write_text(NO_READ)  # changed outside the editor
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=app)))
    assert await published(client, app, 1, after=seen) == []
    seen = len(client.published)  # type: ignore[attr-defined]
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=app)))
    assert await published(client, app, None, after=seen) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_a_file_changed_on_disk_outside_the_editor(client: LanguageClient, project: Path) -> None:
    (project / "store.py").write_text(STORE)
    (project / "app.py").write_text(APP)
    app = open_file(client, project / "app.py")
    assert [d.code for d in await published(client, app, 1)] == ["DYN101"]
    [watching] = [r for r in client.registered if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    options = watching.register_options  # the client gets them as JSON: a dict
    assert "**/*.py" in [watcher["globPattern"] for watcher in options["watchers"]]  # type: ignore[index]
    seen = len(client.published)  # type: ignore[attr-defined]
    (project / "store.py").write_text(NO_READ)  # a checkout, say
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(
        uri=(project / "store.py").as_uri(), type=lsp.FileChangeType.Changed)]))
    assert await published(client, app, 1, after=seen) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_quick_fix_applied_removes_the_finding(client: LanguageClient, project: Path) -> None:
    handler = project / "handler.py"
    handler.write_text(RACY)
    uri = open_file(client, handler)
    [found] = await published(client, uri, 1)
    actions = await actions_at(client, uri, found)
    fixes = [a for a in actions if "suppress" not in a.title]
    assert len(fixes) == 1 and fixes[0].kind == lsp.CodeActionKind.QuickFix
    assert fixes[0].title.endswith("(unsafe)")  # a guard makes the write fail on a conflict
    assert fixes[0].edit is not None and fixes[0].edit.changes is not None
    fixed = apply_edits(RACY, list(fixes[0].edit.changes[uri]))
    assert "ConditionExpression" in fixed and fixed != RACY
    edit(client, uri, 2, fixed)
    assert await published(client, uri, 2) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_suppression_comment_action(client: LanguageClient, project: Path) -> None:
    handler = project / "handler.py"
    handler.write_text(RACY)
    uri = open_file(client, handler)
    [found] = await published(client, uri, 1)
    [suppress] = [a for a in await actions_at(client, uri, found) if "suppress" in a.title]
    assert suppress.edit is not None and suppress.edit.changes is not None
    suppressed = apply_edits(RACY, list(suppress.edit.changes[uri]))
    assert suppressed == RACY.replace(f"    {RACY_WRITE}",
                                      f"    # dynolint: ignore[DYN101] -- <reason>\n    {RACY_WRITE}")
    edit(client, uri, 2, suppressed)
    assert await published(client, uri, 2) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_fix_all_safe(client: LanguageClient, project: Path) -> None:
    counter = project / "counter.py"
    counter.write_text(COUNTER)
    uri = open_file(client, counter)
    [found] = await published(client, uri, 1)
    assert found.code == "DYN102"
    [fix_all] = await actions_at(client, uri, found, only=[lsp.CodeActionKind.SourceFixAll.value])
    assert fix_all.kind == "source.fixAll.dynolint"
    assert fix_all.edit is not None and fix_all.edit.changes is not None
    fixed = apply_edits(COUNTER, list(fix_all.edit.changes[uri]))
    assert 'UpdateExpression="ADD clicks :c"' in fixed
    edit(client, uri, 2, fixed)
    assert await published(client, uri, 2) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_rapid_edits_publish_only_the_latest_version(client: LanguageClient, project: Path) -> None:
    handler = project / "handler.py"
    handler.write_text(GUARDED)
    uri = open_file(client, handler)
    assert await published(client, uri, 1) == []
    # each intermediate version is racy with its write on a different line; the last is racy too
    versions = {version: RACY.replace("    return 409\n", "    return 409\n" + "\n" * version)
                for version in range(2, 12)}
    for version, text in versions.items():
        edit(client, uri, version, text)
    last = max(versions)
    diagnostics = await published(client, uri, last)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("DYN101", 8 + last)]
    await asyncio.sleep(0.5)  # anything still in flight would arrive now
    after_open = [p for p in client.published if p.uri == uri and p.version != 1]  # type: ignore[attr-defined]
    assert [p.version for p in after_open] == [last]


def test_without_pygls_the_server_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "pygls").mkdir()
    (tmp_path / "pygls" / "__init__.py").write_text("raise ImportError('No module named pygls')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "dynolint", "server"], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 2
    assert "pip install -e '.[lsp]'" in proc.stderr and "pip install 'pygls>=2,<3'" in proc.stderr
    assert proc.stdout == ""


def _finding(line: int, stmt_line: int, code: str = "DYN101") -> Finding:
    return Finding(code, "name", "x.py", line, 5, line, 10, "message", Severity.ERROR, Confidence.HIGH,
                   stmt_line=stmt_line, stmt_end_line=line)


def _applied(lines: list[str], finding: Finding) -> list[str]:
    edit = suppression_edit(lines, finding)
    text = "\n".join(lines) + "\n"
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    start = starts[edit.line - 1] + edit.column - 1
    end = starts[edit.end_line - 1] + edit.end_column - 1
    return (text[:start] + edit.content + text[end:]).splitlines()


def test_suppression_goes_above_the_statement_with_its_indentation() -> None:
    lines = ["def f():", "    table.put_item(", "        Item=item)"]
    assert _applied(lines, _finding(3, 2)) == [
        "def f():", "    # dynolint: ignore[DYN101] -- <reason>", "    table.put_item(", "        Item=item)"]


def test_suppression_joins_a_comment_that_a_new_line_would_push_out_of_reach() -> None:
    lines = ["def f():", "    # dynolint: ignore[DYN102] -- counted elsewhere", "    table.put_item(Item=item)"]
    assert _applied(lines, _finding(3, 3))[1] == \
        "    # dynolint: ignore[DYN102, DYN101] -- counted elsewhere; DYN101: <reason>"
    lines = ["def f():", "    # noqa: DYN102", "    table.put_item(Item=item)"]
    assert _applied(lines, _finding(3, 3))[1] == "    # noqa: DYN102, DYN101"
    from dynolint.suppression import suppressions_in

    for comment in ("# dynolint: ignore[DYN102, DYN101] -- a; DYN101: <reason>", "# noqa: DYN102, DYN101"):
        assert suppressions_in(comment)[0].codes == ("DYN102", "DYN101")


def test_the_scheduler_runs_the_newest_request_and_skips_the_ones_it_replaced() -> None:
    ran: list[int] = []
    delivered: list[tuple[int, object]] = []
    release = threading.Event()
    done = threading.Event()

    def work(request: int, cancelled: Any) -> int:
        ran.append(request)
        if request == 0:
            release.wait(10)  # a long run; newer requests queue up meanwhile
        return request * 10

    def deliver(generation: int, result: object) -> None:
        delivered.append((generation, result))
        if result == 50:
            done.set()

    scheduler: Scheduler[int, int] = Scheduler(work, deliver, delay=0.01)
    scheduler.submit(0)
    time.sleep(0.2)
    for request in range(1, 6):
        scheduler.submit(request)
    release.set()
    assert done.wait(10)
    scheduler.close()
    assert ran == [0, 5]  # 1 to 4 were replaced before they started
    assert delivered == [(1, 0), (6, 50)]  # the first run's result is stale (generation 1 < 6): the server drops it


def test_a_file_outside_every_project_is_checked_alone(tmp_path: Path) -> None:
    from dynolint.server.analysis import Buffer, analyse

    workspace, elsewhere = tmp_path / "workspace", tmp_path / "elsewhere"
    (elsewhere / "deep").mkdir(parents=True)
    workspace.mkdir()
    (elsewhere / "deep" / "other.py").write_text(RACY)  # would be found if the directory were walked
    opened = elsewhere / "lib.py"
    opened.write_text("")
    [outcome] = analyse([Buffer(opened.as_uri(), str(opened), 1, RACY)], [str(workspace)])
    assert set(outcome.texts) == {str(opened.resolve())}
    assert [f.code for f in outcome.findings[str(opened.resolve())]] == ["DYN101"]
    assert not (elsewhere / ".dynolint_cache").exists()


def test_columns_are_counted_again_in_the_clients_units() -> None:
    from pygls.workspace.position_codec import PositionCodec

    from dynolint.server.convert import span, split_lines

    lines = split_lines('x = "😋"; table.put_item(Item=item)\r\nnext\n'.encode())
    assert lines[:2] == ['x = "😋"; table.put_item(Item=item)', "next"]
    start = lines[0].index("table") + 1  # dynolint's 1-based code-point column
    utf16 = span(lines, 1, start, 1, len(lines[0]) + 1, PositionCodec(lsp.PositionEncodingKind.Utf16).client_num_units)
    utf32 = span(lines, 1, start, 1, len(lines[0]) + 1, PositionCodec(lsp.PositionEncodingKind.Utf32).client_num_units)
    assert (utf16.start.character, utf16.end.character) == (start, len(lines[0]) + 1)  # the emoji is two units
    assert (utf32.start.character, utf32.end.character) == (start - 1, len(lines[0]))
    assert span(lines, 9, 1, 9, 1, len).start == lsp.Position(line=len(lines), character=0)  # past the end
