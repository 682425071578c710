"""``--output-format sarif``: SARIF 2.1.0, as GitHub code scanning and SARIF viewers read it.

- Paths relative to the working directory become relative, percent-encoded URIs with
  ``uriBaseId`` ``%SRCROOT%`` (run dynolint from the repository root in CI); other paths
  become absolute ``file:`` URIs.
- Regions use dynolint's columns as they are: 1-based, end exclusive, counted in Unicode
  code points (``run.columnKind``).
- ``relatedLocations`` carry the read site, tenant source and call chain; the result message
  links to them (``[item read here](1)``), which is how GitHub shows them.
- ``partialFingerprints`` hash the rule, path, enclosing function and the flagged statement's
  normalised text (see ``dynolint.baseline``), never a line number, plus an occurrence count.
- A finding's fix becomes a SARIF ``fix`` with one replacement per edit.
- A read-then-write race (DYN101-DYN104) carries ``codeFlows``: two ``threadFlows``, request A
  and request B, whose steps interleave (``executionOrder``) the way the update is lost.
- ``informationUri`` and each rule's ``helpUri`` point to the rule pages in dynolint's
  repository only when the package metadata names that repository (see
  :mod:`dynolint.links`); with no such URL they are left out, never guessed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from dynolint import __version__
from dynolint.baseline import SourceLines, fingerprint
from dynolint.findings import Finding, Related, Severity
from dynolint.rules.base import Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "dynolintStatementHash/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

_FAMILY_TAGS = {
    "DYN0": ["maintainability"],
    "DYN1": ["correctness", "concurrency", "dynamodb"],
    "DYN2": ["security", "tenant-isolation", "lambda"],
    "DYN3": ["security", "tenant-isolation", "lambda"],
}


def artifact_location(path: str) -> dict[str, str]:
    """A SARIF artifactLocation for a path as findings carry it."""
    # surrogateescape: a file name that is not UTF-8 keeps its original bytes
    encoded = quote(path.encode("utf-8", "surrogateescape"), safe="/")
    if path.startswith("/"):
        return {"uri": "file://" + encoded}
    return {"uri": encoded, "uriBaseId": SRCROOT}


def region(line: int, column: int, end_line: int = 0, end_column: int = 0) -> dict[str, int]:
    """A SARIF region (1-based, end column exclusive, as dynolint's own); the end is left
    out when it is unknown or lies before the start."""
    out = {"startLine": max(line, 1), "startColumn": max(column, 1)}
    if end_column > 0 and (end_line, end_column) >= (out["startLine"], out["startColumn"]):
        out["endLine"] = end_line
        out["endColumn"] = end_column
    return out


_LINK_LIKE = re.compile(r"\[[^\]]*\]\(")


def _escape_message(text: str) -> str:
    """Text that could read as a SARIF embedded link (``[text](target)``) has its brackets
    escaped (SARIF 3.11.6); other text is left as it is."""
    if not _LINK_LIKE.search(text):
        return text
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _message(finding: Finding) -> str:
    text = _escape_message(finding.message)
    if finding.related:
        links = "; ".join(f"[{_escape_message(r.message)}]({index})"
                          for index, r in enumerate(finding.related, start=1))
        text = f"{_sentence(text)} See: {links}"
    return _sentence(text)


def _place(path: str, line: int, column: int, end_line: int = 0, end_column: int = 0) -> dict[str, object]:
    """A SARIF physicalLocation."""
    return {"artifactLocation": artifact_location(path), "region": region(line, column, end_line, end_column)}


def _related(index: int, related: Related) -> dict[str, object]:
    return {
        "id": index,
        "physicalLocation": _place(related.path, related.line, related.column, related.end_line,
                                   related.end_column),
        "message": {"text": related.message},
    }


def _fix(finding: Finding) -> dict[str, object] | None:
    if finding.fix is None or not finding.fix.edits:
        return None
    replacements = [
        {"deletedRegion": {"startLine": edit.line, "startColumn": edit.column, "endLine": edit.end_line,
                           "endColumn": edit.end_column},
         "insertedContent": {"text": edit.content}}
        for edit in finding.fix.edits
    ]
    title = finding.fix.title if finding.fix.applicability == "safe" else \
        f"{finding.fix.title} (unsafe: it changes behaviour; review before applying)"
    return {
        "description": {"text": _sentence(title)},
        "artifactChanges": [{"artifactLocation": artifact_location(finding.path), "replacements": replacements}],
        "properties": {"applicability": finding.fix.applicability},
    }


def _code_flows(finding: Finding) -> list[dict[str, object]]:
    """The race as two requests (:mod:`dynolint.reporters.interleaving`): one threadFlow per
    request, its steps numbered in the one interleaving order (``executionOrder``)."""
    from dynolint.reporters.interleaving import interleaving, summary

    steps = interleaving(finding)
    if not steps:
        return []
    flows = []
    for request in ("A", "B"):
        locations = [{
            "executionOrder": step.order,
            "nestingLevel": 0,
            "location": {
                "physicalLocation": {"artifactLocation": artifact_location(step.path),
                                     "region": region(step.line, step.column, step.end_line, step.end_column)},
                "message": {"text": _sentence(step.message)},
            },
        } for step in steps if step.request == request]
        flows.append({"id": f"request-{request}", "message": {"text": f"Request {request}."}, "locations": locations})
    return [{"message": {"text": summary(finding)}, "threadFlows": flows}]


def rule_descriptor(rule: type[Rule]) -> dict[str, object]:
    """A SARIF reportingDescriptor from the rule's code, name, summary and docs."""
    from dynolint.docs import render_rule

    from dynolint.links import rule_url

    descriptor: dict[str, object] = {
        "id": rule.code,
        "name": "".join(part.capitalize() for part in rule.name.split("-")),
        "shortDescription": {"text": _sentence(rule.summary)},
        "fullDescription": {"text": _sentence(rule.docs.what_it_does)},
        "help": {"text": render_rule(rule), "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": ["dynolint", *_FAMILY_TAGS.get(rule.code[:4], [])], "name": rule.name},
    }
    help_uri = rule_url(rule.code)
    if help_uri is not None:
        descriptor["helpUri"] = help_uri
    return descriptor


def render_sarif(findings: list[Finding], sources: SourceLines | None = None,
                 errors: list[str] | None = None) -> str:
    """The SARIF log of one run. ``sources`` reads the flagged statements for the
    fingerprints (by default from disk, relative to the working directory)."""
    from dynolint.meta import DOCUMENTED

    sources = sources or SourceLines(base=Path.cwd())
    rules = list(DOCUMENTED)
    index_of = {rule.code: index for index, rule in enumerate(rules)}
    occurrences: dict[str, int] = {}
    results = []
    for finding in sorted(findings, key=Finding.sort_key):
        digest = fingerprint(finding, sources.statement(finding))
        occurrences[digest] = occurrences.get(digest, 0) + 1
        place = _place(finding.path, finding.line, finding.column, finding.end_line, finding.end_column)
        result: dict[str, object] = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity],
            "message": {"text": _message(finding)},
            "locations": [{"physicalLocation": place}],
            "partialFingerprints": {FINGERPRINT_KEY: f"{digest}:{occurrences[digest]}"},
            "properties": {"name": finding.name, "confidence": finding.confidence.value},
        }
        if finding.code in index_of:
            result["ruleIndex"] = index_of[finding.code]
        if finding.related:
            result["relatedLocations"] = [_related(i, r) for i, r in enumerate(finding.related, start=1)]
        flows = _code_flows(finding)
        if flows:
            result["codeFlows"] = flows
        fix = _fix(finding)
        if fix is not None:
            result["fixes"] = [fix]
        results.append(result)
    invocation: dict[str, object] = {"executionSuccessful": not errors}
    if errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": _sentence(error.splitlines()[0] if error else "internal error")}}
            for error in errors]
    from dynolint.links import rules_index_url

    driver: dict[str, object] = {"name": "dynolint", "version": __version__, "semanticVersion": __version__}
    information = rules_index_url()
    if information is not None:
        driver["informationUri"] = information
    driver["rules"] = [rule_descriptor(rule) for rule in rules]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [invocation],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


__all__ = ["render_sarif", "rule_descriptor", "artifact_location", "region", "FINGERPRINT_KEY"]
