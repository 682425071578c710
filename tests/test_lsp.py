"""``dynolint server`` end to end: a real LSP client (pytest-lsp) starts
``python -m dynolint server`` and talks to it over stdio, as an editor does."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

pytestmark = pytest.mark.asyncio

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

WAIT = 30.0  # seconds; a run takes well under one


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics it receives, in order."""
    client = LanguageClient(converter_factory=default_converter)
    published: list[lsp.PublishDiagnosticsParams] = []

    def publish(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        published.append(params)

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES, lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    client.published = published  # type: ignore[attr-defined]
    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "dynolint", "server"],
                                              client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path: Path) -> Any:
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=tmp_path.as_uri(), name="project")]))
    yield
    await lsp_client.shutdown_session()


def open_file(client: LanguageClient, path: Path, text: str | None = None, version: int = 1) -> str:
    """Open ``path`` in the client (its text on disk unless ``text`` is given, unsaved)."""
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id="python", version=version, text=path.read_text() if text is None else text)))
    return uri


def edit(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """Replace the buffer's whole text (unsaved)."""
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))


async def published(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (waiting for them)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for params in reversed(client.published):  # type: ignore[attr-defined]
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


async def test_racy_handler_then_guarded_unsaved_buffer(client: LanguageClient, tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
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


async def test_the_read_in_another_saved_file(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "store.py").write_text(RESOURCE + '''def load(alias):
    return table.get_item(Key={"pk": alias})["Item"]
''')
    app = tmp_path / "app.py"
    app.write_text("")
    text = '''from store import load, table


def retitle(alias, title):
    item = load(alias)
    item["title"] = title
    table.put_item(Item=item)
'''
    uri = open_file(client, app, text)  # the buffer, unsaved, calls into the file on disk
    diagnostics = await published(client, uri, 1)
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("DYN101", 6)]
    related = diagnostics[0].related_information or []
    places = {(r.location.uri, r.location.range.start.line, r.message) for r in related}
    assert ((tmp_path / "store.py").as_uri(), 6, "item read here") in places
    assert (uri, 4, "called here") in places


async def test_quick_fix_applied_removes_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
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


async def test_suppression_comment_action(client: LanguageClient, tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
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


async def test_fix_all_safe(client: LanguageClient, tmp_path: Path) -> None:
    counter = tmp_path / "counter.py"
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


async def test_rapid_edits_publish_only_the_latest_version(client: LanguageClient, tmp_path: Path) -> None:
    handler = tmp_path / "handler.py"
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
