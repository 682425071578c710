"""The programmatic API: find files, summarise them, build the model, run the rules.
Nothing here prints; everything returns values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from dynolint.engine import phase2
from dynolint.bounded import TEMPLATE_LIMIT
from dynolint.safefs import TooLarge, read_file
from dynolint.config import Config
from dynolint.projectroot import ROOT_MARKERS, display_path, project_root, rel_path  # noqa: F401 (re-exported)
from dynolint.discovery import discover
from dynolint.findings import Confidence, Finding, Severity
from dynolint.engine.workers import DEFAULT_TIMEOUT, GC_THRESHOLDS  # noqa: F401 (GC_THRESHOLDS re-exported)

if TYPE_CHECKING:
    from dynolint.phase1 import ir
    from dynolint.engine.workers import WorkerPool
    from dynolint.model.footprint import Focus, Footprint, RootKey
    from dynolint.model.project import Infra
    from dynolint.rules.base import Rule

SYNTAX_ERROR = ("DYN000", "syntax-error")
Progress = Callable[[int, int], None]  # called with (files done, files in all), as reporters.progress.Progress


@dataclass
class Options:
    select: tuple[str, ...] | None = None  # overrides the config
    ignore: tuple[str, ...] = ()
    include_tests: bool = False
    jobs: int = 0
    use_cache: bool = True
    want_fixes: bool = True  # compute each finding's fix (edits) for the output
    timeout: float = DEFAULT_TIMEOUT  # seconds per file in phase 1, per analysis root in phase 2; 0: none
    max_memory: int | None = None  # MB for the whole run, workers included (dynolint.memory); None: the default, 0: none
    project_files: int = 0  # files of the whole project, when a run analyses part of it (the cache keeps theirs)
    # ``check --project . PATHS``: the displayed paths whose findings are reported (a finding in
    # one of them or related to one); the import components with none of them need no analysis
    report_for: frozenset[str] | None = None
    focus: Focus | None = None  # interpret only these roots (set by engine/incremental.py for a report_for run)


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    sources: dict[str, bytes] = field(default_factory=dict)  # display path -> bytes, files with fixes
    suppressed: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # internal errors (exit status 2)
    warnings: list[str] = field(default_factory=list)  # said on stderr; the findings stand
    files: int = 0
    unused_suppressions: list[tuple[str, int]] = field(default_factory=list)
    summaries: dict[str, ir.FileSummary] = field(default_factory=dict)
    footprints: dict[RootKey, Footprint] | None = None  # what each root depends on (a whole run's phase 2)


def selected_rules(config: Config, options: Options) -> list[type[Rule]]:
    from dynolint.rules import REGISTRY
    from dynolint.suppression import code_matches

    select = options.select if options.select is not None else config.select
    ignore = tuple(config.ignore) + tuple(options.ignore)
    return [rule for rule in REGISTRY if code_matches(rule.code, select) and not code_matches(rule.code, ignore)]


def check_paths(paths: Iterable[Path], config: Config, options: Options | None = None,
                progress: Progress | None = None) -> RunResult:
    """Check files and directories, the way ``dynolint check`` does. ``progress``, when
    given, is called as files are summarised."""
    options = options or Options()
    path_list = list(paths)
    root = project_root(path_list, config)
    if config.root.resolve() != root:
        from dataclasses import replace

        config = replace(config, root=root)
    from dynolint.codes import ALL_CODES
    from dynolint.discovery import INFRA_NAMES, INFRA_SUFFIXES, absolute, is_template_text
    from dynolint.subprojects import excluded, with_subprojects

    found = discover(path_list, config, options.include_tests)
    named = {absolute(p) for p in path_list}  # files named on the command line are taken as they are
    # the sub-projects below the root: import roots of their own, and their own settings
    config = with_subprojects(config, root, [rel_path(p, root) for p in found.python + found.infra], set(ALL_CODES))
    cwd = str(Path.cwd().resolve())
    sources: dict[str, bytes] = {}
    display: dict[str, str] = {}
    result = RunResult()
    for problem_path, problem in found.problems:
        result.findings.append(_file_error(display_path(problem_path), f"cannot read: {problem}"))
    infra_files: dict[str, bytes] = {}
    for files, path in [(sources, p) for p in found.python] + [(infra_files, p) for p in found.infra]:
        rel = rel_path(path, root)
        if config.subprojects and excluded(config, rel):
            continue
        limit, why = config.for_path(rel).max_file_size, "max-file-size"
        if path.name.endswith((".yaml", ".yml", ".template")) and files is infra_files and limit > TEMPLATE_LIMIT:
            limit, why = TEMPLATE_LIMIT, "YAML infrastructure files: a CloudFormation template holds 1 MB at most"
        try:  # regular files only, never blocking (it may have become a FIFO since discovery)
            files[rel] = read_file(path, limit=limit)
        except TooLarge as exc:  # a skipped file, said on stderr as Semgrep's --max-target-bytes does
            result.warnings.append(f"{display_path(path, cwd)}: file skipped: {exc.size} bytes, over the limit of "
                                   f"{exc.limit} ({why})")
            continue
        except OSError as exc:
            result.findings.append(_file_error(display_path(path, cwd), f"cannot read: {exc.strerror or exc}"))
            continue
        if files is infra_files and path.name not in INFRA_NAMES and not path.name.endswith(INFRA_SUFFIXES) \
                and path not in named and not is_template_text(files[rel]):
            del files[rel]  # a YAML or JSON file that is not a template after all
            continue
        display[rel] = display_path(path, cwd)
    _nested_stacks(root, infra_files, display, cwd, config)
    from dynolint.declared_tenants import declared_tenant_names

    config = declared_tenant_names(config, sources, infra_files)  # the words the project names its tenants by
    check_sources(sources, infra_files, config, options, result, display, progress=progress)
    return result


NESTED_STACKS = 64  # nested templates followed from the discovered ones, at most


def _nested_stacks(root: Path, infra_files: dict[str, bytes], display: dict[str, str], cwd: str,
                   config: Config) -> None:
    """Read the nested stacks the templates name by a path in the project (``Location:
    stacks/workers.yaml``) that the walk did not take by name: their functions are the
    project's too. Only regular files inside the project (no link followed out of it) that
    are templates, and what they name in turn."""
    from dynolint.discovery import is_template_text, nested_locations
    from dynolint.subprojects import excluded

    real_root = os.path.realpath(root)
    pending = list(infra_files)
    taken = 0
    while pending and taken < NESTED_STACKS:
        rel = pending.pop()
        for target in nested_locations(rel, infra_files[rel]):
            if target in infra_files or (config.subprojects and excluded(config, target)):
                continue
            path = root / target
            if not os.path.realpath(path).startswith(real_root.rstrip("/") + "/"):
                continue
            try:
                data = read_file(path, follow=False, limit=TEMPLATE_LIMIT)
            except (OSError, TooLarge):
                continue
            if is_template_text(data):
                infra_files[target] = data
                display[target] = display_path(path, cwd)
                pending.append(target)
                taken += 1


def check_source(source: str | bytes, path: str = "stdin.py", config: Config | None = None,
                 options: Options | None = None, extra: dict[str, bytes] | None = None,
                 infra_files: dict[str, bytes] | None = None) -> RunResult:
    """Check one source text (and optionally the other files of its project)."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    sources = {path: data, **(extra or {})}
    result = RunResult()
    check_sources(sources, infra_files or {}, config or Config(), options or Options(), result,
                  {name: name for name in sources})
    return result


def check_sources(sources: dict[str, bytes], infra_files: dict[str, bytes], config: Config, options: Options,
                  result: RunResult, display: dict[str, str], progress: Progress | None = None) -> None:
    from dynolint.engine.cache import ResultCache

    result.files = len(sources)
    cache, warning = ResultCache.open(config.root) if options.use_cache else (None, None)
    if warning is not None and warning not in result.warnings:
        result.warnings.append(warning)
    if cache is None:
        from dynolint.engine.workers import prestart

        prestart(sources.values())  # the parser imported while the files are selected
        _run(sources, infra_files, config, options, result, display, progress)
        return
    from dynolint.engine.incremental import run_by_components

    run_by_components(cache, sources, infra_files, config, options, result, display,
                      lambda subset, opts: _run(subset, infra_files, config, opts, result, display, progress),
                      lambda: _infra_problems(infra_files, display))


def _infra_problems(infra_files: dict[str, bytes], display: dict[str, str]) -> list[Finding]:
    from dynolint.model.infra import load_infra

    return [_file_error(display.get(path, path), problem, line)
            for path, line, problem in load_infra(infra_files, []).errors]


def _run(sources: dict[str, bytes], infra_files: dict[str, bytes], config: Config, options: Options,
         result: RunResult, display: dict[str, str], progress: Progress | None) -> None:
    """Analyse ``sources`` (phases 1 and 2, the rules, the fixes) into ``result``."""
    import gc

    from dynolint.engine.deep import run_deep

    # The run builds millions of small objects that live until it ends (summaries, abstract
    # values), and some cycles that are garbage (a large project's phase 2 held three times the
    # memory with the collector off). So the collector stays on, but what exists now (modules,
    # the sources read) is frozen out of its scans, and it runs less often than by default:
    # young collections every GC_THRESHOLDS[0] allocations, full ones as CPython limits them
    # (when the survivors since the last one reach a quarter of the old objects).
    collecting, thresholds = gc.isenabled(), gc.get_threshold()
    gc.freeze()  # also keeps these pages shared with the forked workers
    gc.set_threshold(*GC_THRESHOLDS)
    gc.enable()
    try:
        run_deep(_check_sources, sources, infra_files, config, options, result, display, progress)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        if not collecting:
            gc.disable()


def _check_sources(sources: dict[str, bytes], infra_files: dict[str, bytes], config: Config, options: Options,
                   result: RunResult, display: dict[str, str], progress: Progress | None = None) -> None:
    from dynolint.memory import budget
    from dynolint.engine.workers import WorkerPool

    # The workers that parse in phase 1 keep the modules they parsed: they compute those
    # files' positions while phase 2 runs here and, for JSON and SARIF, render their fixes.
    with WorkerPool(options.timeout or None, budget(options)) as pool:
        _analyse(sources, infra_files, config, options, result, display, progress, pool)


def _analyse(sources: dict[str, bytes], infra_files: dict[str, bytes], config: Config, options: Options,
             result: RunResult, display: dict[str, str], progress: Progress | None, pool: WorkerPool) -> None:
    from dynolint.engine.pipeline import complete_positions, summarize_all

    parsed = summarize_all(sources, config, options, progress=progress, pool=pool, keep=True)
    summaries, selection = parsed.summaries, parsed.selection
    result.summaries = {s.path: s for s in summaries}

    def alongside(interpret: Callable[[], object]) -> None:
        """The workers compute the positions phase 1 left out while this interprets."""
        complete_positions(parsed, pool, max(len(sources), options.project_files), meanwhile=interpret, for_fixes=options.want_fixes)
        if not options.want_fixes:
            pool.close()

    if not summaries:  # nothing that can matter: the rules are not even imported
        pool.close()
        result.findings = sorted(result.findings, key=Finding.sort_key)
        return
    for summary in summaries:
        if summary.problem is not None:
            result.errors.append(f"{display.get(summary.path, summary.path)}: {summary.problem}")
        if summary.error is not None and summary.error_span is not None:
            span = summary.error_span
            result.findings.append(Finding(
                SYNTAX_ERROR[0], SYNTAX_ERROR[1], display.get(summary.path, summary.path), span.line,
                span.column, span.end_line, span.end_column, summary.error, Severity.ERROR, Confidence.HIGH))
    from dynolint.rules import REGISTRY
    from dynolint.subprojects import per_file_settings

    # every rule some file's settings select; per_file_settings keeps each file's own
    wanted = {rule for each in config.all() for rule in selected_rules(each, options)}
    rules = [rule for rule in REGISTRY if rule in wanted]
    infra = _infra(infra_files, summaries, config, result, display)
    governed: list[Finding] = []
    if any(s.error is None for s in summaries):
        memory = pool.memory
        _settle_phase1()
        findings = phase2.run_rules(summaries, config, infra, rules, result, selection.roots, options.timeout,
                                    display, alongside, memory.main_mb if memory is not None else 0.0,
                                    options.focus, _shares(summaries, sources, options, pool))
        findings, governed = per_file_settings(findings, config, options)
        result.findings.extend(_displayed(finding, display) for finding in findings)
    else:
        alongside(lambda: None)
    comments = {display.get(s.path, s.path): s.suppressions for s in summaries}
    syntax = [f for f in result.findings if f.code == SYNTAX_ERROR[0]]
    others = [f for f in result.findings if f.code != SYNTAX_ERROR[0]]
    from dynolint.suppression import apply

    applied = apply(others, comments, config.per_file_ignores)
    result.suppressed = applied.suppressed + [_displayed(finding, display) for finding in governed]
    result.findings = sorted(syntax + _dedupe(applied.kept), key=Finding.sort_key)
    if options.want_fixes:
        _attach_fixes(result, sources, display, pool, parsed.placed, options.jobs)
    result.unused_suppressions = sorted(
        (path, comment.line) for path, entries in comments.items() for comment in entries
        if (path, comment.line) not in applied.used and comment.style == "dynolint")


def _shares(summaries: list[ir.FileSummary], sources: dict[str, bytes], options: Options,
            pool: WorkerPool) -> list[list[ir.FileSummary]] | None:
    """Phase 2's shares (:mod:`dynolint.engine.shares`): one per CPU the run may use, for a whole
    run that forks workers, over enough files to be worth it. Not under a memory budget the user
    gave (``--max-memory``): each share's process is held to the main process's part of it, so
    shares could take more than the budget together; the default budget leaves room for them."""
    from dynolint.engine.cpus import cpus
    from dynolint.engine.pipeline import SERIAL_BELOW
    from dynolint.engine.shares import share_out

    analysed = [summary for summary in summaries if summary.error is None and summary.problem is None]
    if options.focus is not None or not pool.forked or len(analysed) < SERIAL_BELOW or options.max_memory is not None:
        return None
    count = min(options.jobs or len(cpus()), len(cpus()))
    return share_out(summaries, sources, count) if count > 1 else None


def _settle_phase1() -> None:
    """Phase 1's summaries live until the run ends and hold no garbage: out of the collector's
    scans from here (``_run`` unfreezes them), so that its middle generation, when phase 2
    fills it, scans what phase 2 made, not every summary again (a scan of all of them cost
    a second on the doubled dense corpus). Only within ``_run``, which set the collector up."""
    import gc

    if gc.isenabled():
        gc.freeze()


def _attach_fixes(result: RunResult, sources: dict[str, bytes], display: dict[str, str], pool: WorkerPool,
                  placed: dict[str, int], jobs: int = 0) -> None:
    """Fill in each fixable finding's ``fix`` (edits). A file's fixes are rendered by the
    worker that parsed it in phase 1 (from the module it kept) when it is free, else by
    any worker, which parses again only the definitions that hold findings."""
    from dataclasses import replace

    from dynolint.fixes import Skip
    from dynolint.engine.pipeline import describe_file, workers_for
    from dynolint.engine.workers import Failed

    by_display = {shown: rel for rel, shown in display.items()}
    fixable: dict[str, list[int]] = {}
    for position, finding in enumerate(result.findings):
        if finding.plan is not None and not isinstance(finding.plan, Skip):
            fixable.setdefault(finding.path, []).append(position)
    work: list[tuple[str, bytes, list[Finding]]] = []
    where: list[list[int]] = []
    for path, positions in fixable.items():
        rel = by_display.get(path, path)
        data = sources.get(rel)
        if data is not None:
            result.sources[path] = data
            work.append((rel, data, [result.findings[p] for p in positions]))
            where.append(positions)
    prefer: list[int | None] = [placed.get(rel) for rel, _, _ in work]
    for index, described, _ in pool.map(describe_file, work, workers_for(len(work), jobs), prefer):
        positions = where[index]
        if isinstance(described, Failed):
            described = [(None, f"the fix could not be rendered: {described.reason}")] * len(positions)
        for position, (fix, reason) in zip(positions, described):
            finding = result.findings[position]
            result.findings[position] = replace(finding, fix=fix,
                                                plan=finding.plan if fix is not None else Skip(reason))


@dataclass
class FixReport:
    changed: list[tuple[str, bytes, bytes]] = field(default_factory=list)  # (path, old, new)
    applied: list[Finding] = field(default_factory=list)
    skipped: list[tuple[Finding, str]] = field(default_factory=list)
    not_written: list[tuple[str, str]] = field(default_factory=list)  # (path, why): errors
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why): left alone on purpose
    before: RunResult = field(default_factory=RunResult)
    after: RunResult | None = None


def fix_paths(paths: Iterable[Path], config: Config, options: Options | None = None, unsafe: bool = False,
              write: bool = True, only: Callable[[Finding], bool] | None = None) -> FixReport:
    """Apply the fixes of the findings in ``paths``: safe ones, and unsafe ones too when
    ``unsafe``. With ``write`` False nothing is written (``--diff``). With ``only``, just the
    findings it accepts are fixed."""
    from dynolint.fixes import ChangedOnDisk, Refused, fix_source, write_atomically
    from dynolint.fixing import fixes_to_apply

    path_list = list(paths)
    # the files fixes may write: under the project the paths were given in, never where a
    # symbolic link among them leads
    root = project_root(path_list, config, follow_links=False)
    report = FixReport(before=check_paths(path_list, config, options))
    by_file = fixes_to_apply(report, unsafe, only)
    from dynolint.fixes import ClaimPlan
    from dynolint.fixes.claimplace import helper_bytes, place

    claimed = [Path(path) for path, findings in by_file.items() if any(isinstance(f.plan, ClaimPlan) for f in findings)]
    helper = place(root, config.claim_module, claimed) if claimed else None
    outcomes = []
    for path, findings in sorted(by_file.items()):
        data = report.before.sources[path]
        outcome = fix_source(data, findings, helper.import_into(Path(path)) if helper is not None else None)
        report.skipped.extend(outcome.skipped)
        if outcome.applied and outcome.source != data:
            outcomes.append((path, data, outcome))
    if helper is not None and not helper.exists and any(
            isinstance(f.plan, ClaimPlan) for _, _, outcome in outcomes for f in outcome.applied):
        # the claim helper first: a fixed module must never import a module that is not there
        try:
            if write:
                from dynolint.fixes.writer import create_new

                create_new(helper.path, helper_bytes(), root)
            report.changed.append((str(helper.path), b"", helper_bytes()))
        except (ChangedOnDisk, Refused, OSError) as exc:
            report.not_written.append((str(helper.path), f"the claim helper module was not written: {exc}"))
            outcomes = [(path, data, outcome) for path, data, outcome in outcomes
                        if not any(isinstance(f.plan, ClaimPlan) for f in outcome.applied)]
    for path, data, outcome in outcomes:
        if write:
            try:
                write_atomically(Path(path), data, outcome.source, root)
            except Refused as exc:
                report.refused.append((path, str(exc)))
                continue
            except (ChangedOnDisk, OSError) as exc:
                report.not_written.append((path, str(exc)))
                continue
        report.applied.extend(outcome.applied)
        report.changed.append((path, data, outcome.source))
    if write and report.changed:
        report.after = check_paths(path_list, config, options)
    return report


def _infra(infra_files: dict[str, bytes], summaries: list[ir.FileSummary], config: Config,
           result: RunResult, display: dict[str, str]) -> Infra:
    from dynolint.model.infra import load_infra

    infra = load_infra(infra_files, summaries)
    for path, line, problem in infra.errors:  # the file's functions and tables are missing from the model
        result.findings.append(_file_error(display.get(path, path), problem, line))
    return infra


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, int]] = set()
    out = []
    for finding in findings:
        key = (finding.code, finding.path, finding.line, finding.column)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _displayed(finding: Finding, display: dict[str, str]) -> Finding:
    """The finding with project-relative paths turned into the paths users see."""
    from dataclasses import replace

    related = tuple(replace(r, path=display.get(r.path, r.path)) for r in finding.related)
    return replace(finding, path=display.get(finding.path, finding.path), related=related)


def _file_error(path: str, message: str, line: int = 1) -> Finding:
    return Finding(SYNTAX_ERROR[0], SYNTAX_ERROR[1], path, line, 1, line, 1, message, Severity.ERROR,
                   Confidence.HIGH)


__all__ = ["Options", "RunResult", "check_paths", "check_source", "selected_rules", "display_path", "os"]
