"""Code actions on a document's findings: each finding's fix as a quick fix (the same edits
the JSON report carries, unsafe ones labelled so), a suppression comment with a reason to
fill in, and every safe fix of the file at once (``source.fixAll.dynolint``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lsprotocol import types as lsp

from dynolint.findings import Edit, Finding
from dynolint.server.convert import Units, split_lines, text_edits

FIX_ALL = f"{lsp.CodeActionKind.SourceFixAll.value}.dynolint"
REASON = "<reason>"
_DYNOLINT_COMMENT = re.compile(r"#\s*dynolint\s*:\s*ignore\[(?P<codes>[^\]]*)\](?P<rest>.*)$", re.IGNORECASE)
_NOQA_COMMENT = re.compile(r"#\s*noqa\s*:\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*", re.IGNORECASE)


@dataclass
class DocumentState:
    """What was last published for one document: the version and bytes analysed, the
    findings in it and their diagnostics (in the same order)."""

    version: int | None
    data: bytes
    findings: list[Finding]
    diagnostics: list[lsp.Diagnostic]
    lines: list[str] = field(default_factory=list)
    fix_all: list[lsp.TextEdit] | None = None  # computed on first request

    def __post_init__(self) -> None:
        self.lines = split_lines(self.data)


def wanted(kind: str, only: list[str] | None) -> bool:
    """Did the client ask for actions of ``kind`` (``only`` names kinds and their parents)?"""
    return only is None or any(kind == asked or kind.startswith(asked + ".") for asked in only)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)
    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def quick_fixes(uri: str, state: DocumentState, where: lsp.Range, units: Units) -> list[lsp.CodeAction]:
    """For each finding whose range meets ``where``: its fix, then its suppression comment."""
    actions: list[lsp.CodeAction] = []
    for finding, diagnostic in zip(state.findings, state.diagnostics):
        if not _overlaps(diagnostic.range, where):
            continue
        fix = finding.fix
        if fix is not None and fix.edits:
            unsafe = fix.applicability != "safe"
            actions.append(lsp.CodeAction(
                title=f"dynolint: {fix.title or 'fix ' + finding.code}{' (unsafe)' if unsafe else ''}",
                kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=not unsafe,
                edit=lsp.WorkspaceEdit(changes={uri: text_edits(fix.edits, state.lines, units)})))
        if finding.code != "DYN000":
            edit = suppression_edit(state.lines, finding, _newline(state.data))
            actions.append(lsp.CodeAction(
                title=f"dynolint: suppress {finding.code} on this statement (give the reason)",
                kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                edit=lsp.WorkspaceEdit(changes={uri: text_edits([edit], state.lines, units)})))
    return actions


def safe_findings(state: DocumentState) -> list[Finding]:
    return [f for f in state.findings if f.fix is not None and f.fix.applicability == "safe"]


def fix_all_edits(state: DocumentState, units: Units) -> list[lsp.TextEdit]:
    """The edits that apply every safe fix of the document together (through the same
    engine as ``dynolint fix``, which checks the result parses); none when nothing changes."""
    if state.fix_all is None:
        from dynolint.fixes import edits_between, fix_source
        from dynolint.engine.deep import run_deep

        outcome = run_deep(fix_source, state.data, safe_findings(state))
        changed = outcome.applied and outcome.source != state.data
        state.fix_all = text_edits(edits_between(state.data, outcome.source), state.lines, units) if changed else []
    return state.fix_all


def fix_all_action(uri: str, state: DocumentState, units: Units) -> lsp.CodeAction | None:
    edits = fix_all_edits(state, units)
    if not edits:
        return None
    return lsp.CodeAction(title="dynolint: apply all safe fixes", kind=FIX_ALL,
                          edit=lsp.WorkspaceEdit(changes={uri: edits}))


def suppression_edit(lines: list[str], finding: Finding, newline: str = "\n") -> Edit:
    """A ``# dynolint: ignore[CODE] -- <reason>`` comment on its own line just above the
    flagged statement. When that line already holds a suppression comment (which a new line
    would push out of reach), the code joins it instead."""
    first = finding.stmt_line or finding.line
    code = finding.code
    above = lines[first - 2] if 2 <= first <= len(lines) + 1 else None
    if above is not None and above.lstrip().startswith("#"):
        match = _DYNOLINT_COMMENT.search(above)
        if match is not None:
            rest = match.group("rest").rstrip()
            reason = f"; {code}: {REASON}" if rest.strip(" -—:") else f" -- {REASON}"
            start = match.start("codes")
            new = f"{match.group('codes').rstrip()}, {code}]{rest}{reason}"
            return Edit(first - 1, start + 1, first - 1, len(above.rstrip()) + 1, new)
        match = _NOQA_COMMENT.search(above)
        if match is not None:
            return Edit(first - 1, match.end() + 1, first - 1, match.end() + 1, f", {code}")
    text = lines[first - 1] if first - 1 < len(lines) else ""
    indent = text[:len(text) - len(text.lstrip())]
    return Edit(first, 1, first, 1, f"{indent}# dynolint: ignore[{code}] -- {REASON}{newline}")


def _newline(data: bytes) -> str:
    match = re.search(rb"\r\n|\r|\n", data)
    return match.group(0).decode() if match else "\n"


__all__ = ["FIX_ALL", "DocumentState", "fix_all_action", "quick_fixes", "suppression_edit", "wanted"]
