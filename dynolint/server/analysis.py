"""What the language server analyses: the project of each open buffer, with every open
buffer's unsaved text in place of the file on disk.

Nothing here knows about the protocol: buffers in, findings by absolute path out. The run
is :func:`dynolint.api.check_sources`, the one ``dynolint check`` makes, so the summary
cache serves every file whose bytes did not change (in practice all but the edited one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from dynolint.config import Config
from dynolint.findings import Finding


class Superseded(Exception):
    """A newer request arrived while this run was parsing: the run stops, its result is moot."""


@dataclass(frozen=True, slots=True)
class Buffer:
    """An open document: its URI, its path on disk (absolute), the editor's version and text."""

    uri: str
    path: str
    version: int | None
    text: str


@dataclass
class ProjectOutcome:
    """One project's run: findings by absolute path, the bytes each file was analysed with
    (the buffers' text for open files), and what went wrong."""

    root: Path
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    texts: dict[str, bytes] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    config_error: str | None = None


def real(path: str) -> str:
    """``path`` with symlinks resolved (never raises: a loop leaves it as it is)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def project_of(path: str, folders: list[str]) -> tuple[Config, bool]:
    """The configuration that governs ``path``, rooted where its project is, and whether the
    project is a whole directory: the directory of the closest dynolint.toml or
    pyproject.toml with [tool.dynolint], else the innermost workspace folder that holds the
    file. A file in neither (a library module opened from a definition) is a project of its
    own, so that its directory is never walked. Raises ConfigError."""
    from dynolint.codes import ALL_CODES
    from dynolint.config import discover

    directory = Path(path).parent
    config = discover(directory if directory.is_dir() else Path.cwd(), set(ALL_CODES))
    if config.source is not None:
        return replace(config, root=config.root.resolve()), True
    holding = [folder for folder in folders if path == folder or path.startswith(folder.rstrip("/") + "/")]
    if holding:
        return replace(config, root=Path(max(holding, key=len))), True
    return replace(config, root=directory), False


def analyse(buffers: list[Buffer], folders: list[str], cancelled: Callable[[], bool] = lambda: False,
            use_cache: bool = True) -> list[ProjectOutcome]:
    """Check the project of every open Python buffer, each buffer's text standing for its
    file. Raises :class:`Superseded` when ``cancelled()`` turns true while files are parsed."""
    from dynolint.errors import ConfigError

    folders = [real(folder) for folder in folders]
    projects: dict[tuple[Path, str], tuple[Config, list[Buffer]]] = {}
    outcomes: list[ProjectOutcome] = []
    for buffer in buffers:
        if not buffer.path.endswith(".py"):
            continue
        try:
            config, whole = project_of(real(buffer.path), folders)
        except ConfigError as exc:
            outcomes.append(ProjectOutcome(Path(buffer.path).parent, config_error=str(exc)))
            continue
        key = (config.root, "" if whole else real(buffer.path))
        projects.setdefault(key, (config, []))[1].append(buffer)
    for (_, alone), (config, _) in sorted(projects.items()):
        # a file outside every project is checked alone, and leaves no cache next to it
        outcomes.append(_check_project(config, buffers, cancelled, use_cache and not alone, alone or None))
    return outcomes


def _check_project(config: Config, buffers: list[Buffer], cancelled: Callable[[], bool],
                   use_cache: bool, alone: str | None = None) -> ProjectOutcome:
    """One project, as ``dynolint check ROOT`` sees it (``dynolint check FILE`` for a file
    ``alone``), with the buffers' text in place of their files (and buffers of Python files
    not yet on disk added)."""
    from dynolint.api import Options, RunResult, check_sources
    from dynolint.discovery import discover

    root = config.root
    outcome = ProjectOutcome(root)
    overlay = {real(buffer.path): buffer.text.encode("utf-8", "surrogatepass") for buffer in buffers}
    found = discover([Path(alone)] if alone else [root], config, include_tests=False)
    prefix = str(root).rstrip("/") + "/"
    sources: dict[str, bytes] = {}
    display: dict[str, str] = {}
    infra: dict[str, bytes] = {}
    for kind, paths in (("python", found.python), ("infra", found.infra)):
        for path in paths:
            absolute = str(path)
            data = overlay.get(absolute)
            if data is None:
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
            rel = absolute[len(prefix):] if absolute.startswith(prefix) else absolute.lstrip("/")
            if kind == "python":
                sources[rel], display[rel] = data, absolute
            else:
                infra[rel] = data
            outcome.texts[absolute] = data
    for absolute, data in overlay.items():  # new files, unsaved: part of the project too
        if absolute.endswith(".py") and absolute.startswith(prefix) and not os.path.exists(absolute) \
                and alone in (None, absolute):
            rel = absolute[len(prefix):]
            sources[rel], display[rel] = data, absolute
            outcome.texts[absolute] = data

    def progress(done: int, total: int) -> None:
        if cancelled():
            raise Superseded()

    from dynolint.codes import ALL_CODES
    from dynolint.errors import ConfigError
    from dynolint.subprojects import excluded, with_subprojects

    try:  # each sub-project's own settings govern its files, as in ``dynolint check``
        config = with_subprojects(config, root, [*sources, *infra], set(ALL_CODES))
    except ConfigError as exc:
        outcome.config_error = str(exc)
        return outcome
    sources = {rel: data for rel, data in sources.items() if not excluded(config, rel)}
    from dynolint.declared_tenants import declared_tenant_names

    config = declared_tenant_names(config, sources, infra)  # as ``dynolint check`` does
    result = RunResult()
    # Fixes are rendered below for the open files only: the quick fixes are offered there,
    # and rendering every finding's fix in the project on each keystroke costs a third more.
    # Only the open files' findings are published, so the run reports on them: once a whole
    # run has recorded the roots' footprints, an edit interprets only the roots that can reach
    # the open files (a focused run, dynolint/model/footprint.py).
    shown = frozenset(display.values())
    open_files = frozenset(absolute for absolute in overlay if absolute in shown)
    options = Options(want_fixes=False, use_cache=use_cache, report_for=open_files or None)
    check_sources(sources, infra, config, options, result, display, progress=progress)
    for finding in result.findings:
        where = finding.path if os.path.isabs(finding.path) else str(root / finding.path)
        outcome.findings.setdefault(where, []).append(finding)
    for absolute in overlay:
        if absolute in outcome.findings and absolute in outcome.texts:
            outcome.findings[absolute] = with_fixes(outcome.texts[absolute], outcome.findings[absolute])
    outcome.errors.extend(result.errors)
    return outcome


def with_fixes(data: bytes, findings: list[Finding]) -> list[Finding]:
    """``findings`` of one file with their fixes rendered as edits of ``data`` (as the JSON
    report has them: :func:`dynolint.fixes.edits.describe_all`); a fix that cannot be made
    keeps the reason in its plan."""
    from dynolint.fixes import Skip
    from dynolint.fixes.edits import describe_all
    from dynolint.engine.deep import run_deep

    fixable = [index for index, f in enumerate(findings) if f.plan is not None and not isinstance(f.plan, Skip)]
    if not fixable:
        return findings
    try:
        described = run_deep(describe_all, data, [findings[index] for index in fixable])
    except Exception as exc:  # noqa: BLE001 - no quick fix rather than no diagnostics
        described = [(None, f"the fix could not be rendered: {exc!r}")] * len(fixable)
    out = list(findings)
    for index, (fix, reason) in zip(fixable, described):
        out[index] = replace(out[index], fix=fix, plan=out[index].plan if fix is not None else Skip(reason))
    return out


def findings_for(outcomes: list[ProjectOutcome], path: str) -> tuple[ProjectOutcome | None, list[Finding]]:
    """The run that analysed ``path`` (None when no run did) and the findings in it."""
    for outcome in outcomes:
        if path in outcome.texts:
            return outcome, outcome.findings.get(path, [])
    return None, []


__all__ = ["Buffer", "ProjectOutcome", "Superseded", "analyse", "findings_for", "project_of", "real"]
