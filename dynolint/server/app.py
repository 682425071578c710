"""The language server (pygls 2): documents in, diagnostics and code actions out.

The message loop only records what changed and answers requests from what was last
published; the analysis runs on the scheduler's thread (:mod:`dynolint.server.scheduler`),
and its results come back to the loop, which publishes them only when no newer edit has
arrived since the run started.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from dynolint import __version__
from dynolint.server.actions import FIX_ALL, DocumentState, fix_all_action, quick_fixes, safe_findings, wanted
from dynolint.server.analysis import Buffer, ProjectOutcome, analyse, findings_for, real
from dynolint.server.convert import diagnostic, split_lines
from dynolint.server.scheduler import Scheduler

Snapshot = tuple[tuple[Buffer, ...], tuple[str, ...]]  # the open buffers, the workspace folders
Published = dict[str, tuple[DocumentState, tuple[lsp.Diagnostic, ...]]]

log = logging.getLogger("dynolint.server")
# files whose change on disk can change an open file's findings: code, configuration, infrastructure
WATCHED = ("**/*.py", "**/*.{toml,yaml,yml,json,tf}")


class DynolintServer(LanguageServer):
    """pygls's server with the analysis scheduler and what was last published per document."""

    def __init__(self, delay: float = 0.1) -> None:
        super().__init__("dynolint", __version__)
        self.documents: dict[str, DocumentState] = {}  # uri -> what its diagnostics were made from
        self.loop: asyncio.AbstractEventLoop | None = None
        self.reported: set[str] = set()  # messages already shown to the user
        self.scheduler: Scheduler[Snapshot, tuple[list[ProjectOutcome], Published]] = Scheduler(
            self._work, self._deliver, delay)

    # -- on the loop ---------------------------------------------------------------------
    def changed(self) -> None:
        """Something open changed: analyse again with the buffers as they are now."""
        self.loop = asyncio.get_running_loop()
        buffers = []
        for document in list(self.workspace.text_documents.values()):
            path = to_fs_path(document.uri) if document.uri.startswith("file:") else None
            if path:
                buffers.append(Buffer(document.uri, path, document.version, document.source))
        folders = [to_fs_path(folder.uri) for folder in self.workspace.folders.values()]
        if not folders and self.workspace.root_path:
            folders = [self.workspace.root_path]
        self.scheduler.submit((tuple(buffers), tuple(f for f in folders if f)))

    def _publish(self, generation: int, result: tuple[list[ProjectOutcome], Published] | BaseException) -> None:
        if generation != self.scheduler.generation:
            return  # a newer edit came in while this ran: its own run will publish
        if isinstance(result, BaseException):
            self._tell(f"dynolint: the analysis failed: {result!r}", lsp.MessageType.Error)
            return
        outcomes, published = result
        for outcome in outcomes:
            if outcome.config_error is not None:
                self._tell(f"dynolint: {outcome.config_error}", lsp.MessageType.Error)
            for error in outcome.errors:
                self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=f"dynolint: {error}"))
        for uri, (state, diagnostics) in published.items():
            document = self.workspace.text_documents.get(uri)
            if document is None or document.version != state.version:
                continue
            previous = self.documents.get(uri)
            self.documents[uri] = state
            if previous is not None and previous.version == state.version and previous.diagnostics == state.diagnostics:
                continue  # the same version with the same diagnostics: nothing new to say
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=list(diagnostics), version=state.version))

    def _tell(self, message: str, kind: lsp.MessageType) -> None:
        if message not in self.reported:
            self.reported.add(message)
            self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))

    # -- on the scheduler's thread ---------------------------------------------------------
    def _work(self, snapshot: Snapshot, cancelled: Any) -> tuple[list[ProjectOutcome], Published]:
        buffers, folders = snapshot
        outcomes = analyse(list(buffers), list(folders), cancelled)
        units = self.workspace.position_codec.client_num_units
        published: Published = {}
        for buffer in buffers:
            if not buffer.path.endswith(".py"):
                continue  # an open template.yaml stands for its file in the analysis, but has no findings
            outcome, findings = findings_for(outcomes, real(buffer.path))
            data = outcome.texts[real(buffer.path)] if outcome is not None else buffer.text.encode("utf-8", "replace")
            lines = split_lines(data)
            texts = outcome.texts if outcome is not None else {}
            cache: dict[str, list[str]] = {real(buffer.path): lines}

            def lines_of(path: str, texts: dict[str, bytes] = texts, cache: dict[str, list[str]] = cache) -> list[str]:
                if path not in cache:
                    cache[path] = split_lines(texts.get(path, b""))
                return cache[path]

            root = outcome.root if outcome is not None else None
            diagnostics = [diagnostic(f, lines, lines_of, units, root) for f in findings] if root else []
            state = DocumentState(buffer.version, data, list(findings), diagnostics)
            published[buffer.uri] = (state, tuple(diagnostics))
        return outcomes, published

    def _deliver(self, generation: int, result: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._publish, generation, result)


def make_server(delay: float = 0.1) -> DynolintServer:
    server = DynolintServer(delay)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DynolintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DynolintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DynolintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DynolintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        ls.changed()  # its file on disk stands for it again, which may change the other files' findings

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: DynolintServer, params: lsp.InitializedParams) -> None:
        """Ask to hear of files changed outside the editor (a checkout, a generator): the
        open files' findings depend on them."""
        from pygls.capabilities import get_capability

        if not get_capability(ls.client_capabilities, "workspace.did_change_watched_files.dynamic_registration",
                              False):
            return
        watchers = [lsp.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="dynolint-watched-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
        except Exception as exc:  # noqa: BLE001 - the client declined: changes on disk show at the next edit
            log.info("file watching not registered: %r", exc)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: DynolintServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if ls.workspace.text_documents:
            ls.changed()

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False))
    async def code_action(ls: DynolintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        state = ls.documents.get(uri)
        document = ls.workspace.text_documents.get(uri)
        if state is None or document is None or document.version != state.version:
            return None  # the findings are of an older text: their ranges no longer hold
        units = ls.workspace.position_codec.client_num_units
        only = [str(kind) for kind in params.context.only] if params.context.only else None
        actions: list[lsp.CodeAction] = []
        if wanted(lsp.CodeActionKind.QuickFix.value, only):
            actions.extend(quick_fixes(uri, state, params.range, units))
        if wanted(FIX_ALL, only) and safe_findings(state):
            action = await asyncio.to_thread(fix_all_action, uri, state, units)
            if action is not None and document.version == state.version:
                actions.append(action)
        return actions

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: DynolintServer, params: None) -> None:
        ls.scheduler.close()

    return server


def serve() -> int:
    """Run the server over stdio until the client says exit."""
    gc.enable()  # the CLI turns the collector off for one short run; a server runs for hours
    _warm_up()
    stdin, stdout = _protocol_streams()
    make_server().start_io(stdin, stdout)
    return 0


def _protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """The client's pipes on file objects of the server's own; file descriptors 0 and 1 (and
    so ``sys.stdin`` and ``sys.stdout``) then read /dev/null and write to stderr.

    Parsing workers are forked while the protocol's reader thread waits in a read of stdin
    and holds its buffer's lock; the fork copies the lock held and multiprocessing closes
    ``sys.stdin`` (and flushes ``sys.stdout``) in the child, which would then wait for that
    lock for ever. A stray print can no longer corrupt the protocol either."""
    stdin = os.fdopen(os.dup(0), "rb")
    stdout = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
    finally:
        os.close(null)
    os.dup2(2, 1)
    return stdin, stdout


def _warm_up() -> None:
    """Import what every analysis needs now, before the first fork of a parsing worker from
    a process that already runs other threads."""
    import libcst  # noqa: F401

    import dynolint.api  # noqa: F401
    import dynolint.fixes.edits  # noqa: F401
    import dynolint.model.analysis  # noqa: F401
    import dynolint.rules  # noqa: F401
    import dynolint.phase1.summarize  # noqa: F401


__all__ = ["DynolintServer", "make_server", "serve"]
