"""The command line: parse options, call the API, pick a reporter, set the exit status.

Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from dynolint import __version__
from dynolint.api import Options, RunResult, check_paths, check_source, display_path, fix_paths
from dynolint.cli_fix import diff_exit as _diff_exit, fix_stdin as _fix_stdin, fix_summary as _fix_summary
from dynolint.cli_fix import write as _write
from dynolint.baseline import SourceLines
from dynolint.suppression import unused_suppressions
from dynolint.codes import ALL_CODES
from dynolint.config import Config, discover, load_file
from dynolint.engine.workers import DEFAULT_TIMEOUT
from dynolint.errors import DynolintError, UsageError
from dynolint.findings import Finding

OUTPUT_FORMATS = ("text", "full", "json", "sarif", "github")  # full: text with code frames
ACCEPTED_CODES = ALL_CODES  # what --select, --ignore and the config may name


def _codes(value: str | None, option: str) -> tuple[str, ...] | None:
    """The codes of ``--select`` or ``--ignore`` (``option``), each a known code or prefix."""
    if value is None:
        return None
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    for code in codes:
        if code != "ALL" and not any(k.startswith(code) for k in ACCEPTED_CODES):
            close = difflib.get_close_matches(code, sorted(ACCEPTED_CODES), n=1)
            hint = f"did you mean {close[0]}?" if close else "`dynolint rules` lists the codes"
            raise UsageError(f"{option}: unknown rule code or prefix {code!r}; {hint}")
    return codes


def _shown(path: str, wanted: set[str]) -> bool:
    """Is ``path`` one of the PATHS given with --project, or under one of them that is a folder?"""
    if path in wanted:
        return True
    return any(name == "." and not os.path.isabs(path) or os.path.isdir(name) and path.startswith(name.rstrip("/") + "/")
               for name in wanted)


def _given_paths(paths: tuple[Path, ...], stdin_filename: str | None) -> tuple[list[Path], bool]:
    """The paths to check (default: the current directory) and whether the source is read
    from stdin (``-``). A path that does not exist is a usage error, as is a
    ``--stdin-filename`` with no ``-`` to name."""
    from dynolint.reporters.text import escape_path

    path_list = list(paths) or [Path(".")]
    from_stdin = Path("-") in path_list
    if from_stdin and len(path_list) > 1:
        raise UsageError("'-' (source read from stdin) cannot be combined with other paths")
    if stdin_filename is not None and not from_stdin:
        raise UsageError("--stdin-filename names the source read from stdin: give '-' as the path")
    missing = [escape_path(str(path)) for path in path_list if not from_stdin and not os.path.lexists(path)]
    if missing:
        raise UsageError(f"no such file or directory: {', '.join(missing)}")
    return path_list, from_stdin


def _load_config(config_path: str | None, paths: list[Path]) -> Config:
    known = set(ACCEPTED_CODES)
    if config_path is not None:
        return load_file(Path(config_path), known)
    start = paths[0] if paths and paths[0] != Path("-") else Path.cwd()
    return discover(start if start.exists() else Path.cwd(), known)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dynolint")
def cli() -> None:
    """Find read-then-write races in DynamoDB code and tenant-isolation mistakes in
    multi-tenant Lambda functions."""


def _run_options(function: Any) -> Any:
    """--jobs, --timeout, --max-memory and --no-cache, for the commands that analyse a project."""
    function = click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
                            help="CPU seconds one file may take to parse, and one function to analyse, before it "
                                 "is reported and skipped (0: no limit). CPU time, not wall time, so that a busy "
                                 "machine gives the same findings.")(function)
    function = click.option("--max-memory", type=click.IntRange(min=0), default=None, metavar="MB",
                            help="Memory for the whole run, workers included, cut into jobs + 3 parts: one for "
                                 "each worker, three for the main process. A file whose parsing takes a worker "
                                 "over its part, or a function met with the main process over its part, is "
                                 "reported and skipped. Default: 512 MB a part (2560 with 2 jobs); 0: no "
                                 "limit.")(function)
    function = click.option("--no-cache", is_flag=True, help="Do not read or write .dynolint_cache/.")(function)
    return click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
                        help="Processes for parsing (default: the CPUs available; small runs stay serial).")(function)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))  # DYN000 if unreadable
@_run_options
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True)
@click.option("--select", help="Comma-separated rule codes or prefixes to enable (overrides the config).")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to disable.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="A pyproject.toml or dynolint.toml.")
@click.option("--stdin-filename", help="The file name to report for source read from '-'.")
@click.option("--include-tests", is_flag=True, help="Also check tests/, test_*.py, *_test.py and conftest.py.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix, also apply fixes that change behaviour.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but the findings.")
@click.option("--statistics", is_flag=True, help="Print how many findings each code has instead of the findings.")
@click.option("--explain", is_flag=True, help="Under each race (DYN101-DYN104), show how two concurrent requests "
              "interleave to lose the update (text output).")
@click.option("--no-color", is_flag=True, help="No colours (they are used only when stdout is a terminal and "
              "NO_COLOR is not set).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current findings in this baseline file and exit 0.")
@click.option("--report-unused-suppressions", is_flag=True,
              help="Report '# dynolint: ignore' comments that suppressed nothing (DYN001).")
@click.option("--project", "project_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Analyse the whole project in this directory, but report (and fix) only findings in PATHS "
                   "or with a related location in PATHS. For pre-commit, which passes only changed files.")
@click.option("--diff", is_flag=True, help="Print the fixes --fix would apply as a unified diff and change "
              "nothing (exit 1 if there are any).")
def check(paths: tuple[Path, ...], output_format: str, select: str | None, ignore: str | None,
          config_path: str | None, stdin_filename: str | None, include_tests: bool, exit_zero: bool,
          apply_fixes: bool, unsafe_fixes: bool, quiet: bool, statistics: bool, explain: bool, no_color: bool,
          baseline_path: Path | None, write_baseline_path: Path | None, report_unused_suppressions: bool,
          project_dir: Path | None, diff: bool, jobs: int, no_cache: bool, timeout: float,
          max_memory: int | None) -> None:
    """Check PATHS (default: the current directory) and report findings. '-' reads the
    source from stdin; with --fix the fixed source is written to stdout and the findings
    that remain to stderr."""
    frames = output_format == "full"  # text, with a code frame of each finding and its related locations
    if frames:
        output_format = "text"
    from dynolint import baseline as baselines
    from dynolint.discovery import absolute
    from dynolint.reporters.progress import Progress

    known_sources: dict[str, bytes] = {}
    progress = Progress.for_stream(sys.stderr, quiet)
    hidden = 0
    try:
        path_list, from_stdin = _given_paths(paths, stdin_filename)
        analysed = [project_dir] if project_dir is not None else path_list
        # a symlinked file by its own name and its target's (the walk keeps one of them); never
        # resolved with Path.resolve, which raises for a symlink loop
        wanted = {display_path(name) for path in paths for name in (absolute(path), Path(os.path.realpath(path)))} \
            if project_dir is not None and paths else None
        if baseline_path is not None and write_baseline_path is not None:
            raise UsageError("--baseline and --write-baseline cannot be used together")
        if statistics and output_format not in ("text", "json"):
            raise UsageError("--statistics prints text or json, not " + output_format)
        if diff and (output_format != "text" or statistics or write_baseline_path is not None):
            raise UsageError("--diff prints a diff: it cannot be combined with --output-format "
                             f"{output_format}, --statistics or --write-baseline")
        if from_stdin and apply_fixes and output_format != "text":
            raise UsageError("--fix on source read from stdin writes the fixed source to stdout, "
                             "so the findings can only be text (on stderr)")
        config = _load_config(config_path, analysed)
        options = Options(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or (),
                          include_tests=include_tests, jobs=jobs, use_cache=not no_cache, timeout=timeout,
                          max_memory=max_memory,
                          # text marks with [*] the findings `--fix` fixes and counts the others that have
                          # a fix: only a rendered fix is known to be made
                          want_fixes=output_format in ("json", "sarif", "text") or apply_fixes or diff,
                          report_for=frozenset(wanted) if wanted is not None else None)
        if from_stdin:
            if project_dir is not None:
                raise UsageError("--project cannot be used with source read from stdin")
            name = stdin_filename or "stdin.py"
            source = known_sources[name] = sys.stdin.buffer.read()
            if apply_fixes or diff:
                _fix_stdin(source, name, config, options, unsafe_fixes, diff, quiet, report_remaining=True)
            result = check_source(source, name, config, options)
        elif apply_fixes or diff:
            only = None if wanted is None else (lambda finding: _shown(finding.path, wanted))
            report = fix_paths(analysed, config, options, unsafe=unsafe_fixes, only=only, write=not diff)
            if diff:
                _diff_exit(report, quiet)
            _fix_summary(report, quiet)
            result = report.after or report.before
        else:
            result = check_paths(analysed, config, options, progress=progress)
        progress.finish()
        for warning in result.warnings:
            click.echo(f"dynolint: warning: {warning}", err=True)
        if not from_stdin and not result.files and not quiet:
            from dynolint.reporters.text import escape_path

            click.echo("warning: no Python files found in " + ", ".join(escape_path(str(p)) for p in analysed),
                       err=True)
        lines = SourceLines(known_sources, base=Path.cwd())
        findings = list(result.findings)
        if report_unused_suppressions:
            findings.extend(unused_suppressions(result, config, options, lines))
        if wanted is not None:
            findings = [f for f in findings if _shown(f.path, wanted) or any(_shown(r.path, wanted) for r in f.related)]
        if write_baseline_path is not None:
            if result.errors:
                for error in result.errors:
                    click.echo(f"dynolint: {error}", err=True)
                raise UsageError(f"{write_baseline_path}: baseline not written: the run had internal errors")
            count = baselines.write(write_baseline_path, findings, lines)
            if not quiet:
                click.echo(f"Wrote {count} finding{'s' if count != 1 else ''} to the baseline "
                           f"{write_baseline_path}.", err=True)
            sys.exit(0)
        if baseline_path is not None:
            findings, recorded = baselines.load(baseline_path).split(findings, lines)
            hidden = len(recorded)
    except DynolintError as exc:
        progress.finish()
        click.echo(f"dynolint: error: {exc}", err=True)
        sys.exit(2)
    color = output_format == "text" and not no_color and not os.environ.get("NO_COLOR") and sys.stdout.isatty()
    from dynolint.engine.stopping import writing_report

    with writing_report():  # a TERM or Ctrl-C now waits for the report to be complete
        _report(result, output_format, quiet, findings=findings, sources=lines, color=color,
                statistics=statistics, hidden=hidden, unsafe_fixes=unsafe_fixes, explain=explain, frames=frames)
    if result.errors:
        sys.exit(2)
    sys.exit(0 if exit_zero or not findings else 1)


def _report(result: RunResult, output_format: str, quiet: bool, findings: list[Finding] | None = None,
            sources: SourceLines | None = None, color: bool = False, statistics: bool = False, hidden: int = 0,
            unsafe_fixes: bool = False, explain: bool = False, frames: bool = False) -> None:
    shown = result.findings if findings is None else findings
    if statistics:
        from dynolint.reporters.statistics import render_statistics

        _write(render_statistics(shown, output_format))
    elif output_format == "text":
        from dynolint.reporters.text import render_text

        _write(render_text(shown, color=color, explain=explain, sources=sources if frames else None,
                           unsafe_fixes=unsafe_fixes))
    elif output_format == "sarif":
        from dynolint.reporters.sarif import render_sarif

        _write(render_sarif(shown, sources, result.errors))
    else:
        from dynolint.reporters import REPORTERS

        _write(REPORTERS[output_format](shown))
    sys.stdout.flush()
    for error in result.errors:
        click.echo(f"dynolint: {error}", err=True)
    if output_format == "text" and not quiet:
        from dynolint.reporters.summary import summary_line

        click.echo(summary_line(shown, result.files, hidden, unsafe_fixes, len(result.errors)), err=True)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))  # DYN000 if unreadable
@_run_options
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour (new exceptions to handle).")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff and write nothing (exit 1 if any).")
@click.option("--select", help="Comma-separated rule codes or prefixes to fix.")
@click.option("--ignore", help="Comma-separated rule codes or prefixes not to fix.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="A pyproject.toml or dynolint.toml.")
@click.option("--stdin-filename", help="The file name to report for source read from '-'.")
@click.option("--include-tests", is_flag=True, help="Also fix tests/, test_*.py, *_test.py and conftest.py.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def fix(paths: tuple[Path, ...], unsafe_fixes: bool, diff: bool, select: str | None, ignore: str | None,
        config_path: str | None, stdin_filename: str | None, include_tests: bool, quiet: bool, jobs: int,
        no_cache: bool, timeout: float, max_memory: int | None) -> None:
    """Apply fixes to PATHS (default: the current directory). '-' reads the source from
    stdin and writes the fixed source to stdout (for editors)."""
    try:
        path_list, from_stdin = _given_paths(paths, stdin_filename)
        config = _load_config(config_path, path_list)
        options = Options(select=_codes(select, "--select"), ignore=_codes(ignore, "--ignore") or (),
                          include_tests=include_tests, jobs=jobs, use_cache=not no_cache, timeout=timeout,
                          max_memory=max_memory)
        if from_stdin:
            _fix_stdin(sys.stdin.buffer.read(), stdin_filename or "stdin.py", config, options, unsafe_fixes, diff,
                       quiet, report_remaining=False)
        report = fix_paths(path_list, config, options, unsafe=unsafe_fixes, write=not diff)
    except DynolintError as exc:
        click.echo(f"dynolint: error: {exc}", err=True)
        sys.exit(2)
    for warning in report.before.warnings:
        click.echo(f"dynolint: warning: {warning}", err=True)
    if diff:
        _diff_exit(report, quiet)
    _fix_summary(report, quiet)
    if report.before.errors or report.not_written:
        sys.exit(2)
    remaining = (report.after or report.before).findings
    sys.exit(1 if remaining else 0)


@cli.command()
@click.option("--output-format", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules(output_format: str) -> None:
    """List the rules (and the two codes that are not rules over the program: DYN000 and DYN001)."""
    from dynolint.meta import DOCUMENTED

    if output_format == "json":
        data = [{"code": r.code, "name": r.name, "summary": r.summary, "severity": r.severity.value}
                for r in DOCUMENTED]
        click.echo(json.dumps(data, indent=2))
        return
    for rule in DOCUMENTED:
        click.echo(f"{rule.code}  {rule.name:36} {rule.summary}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show the documentation of rule CODE."""
    from dynolint.meta import documented_rule

    rule = documented_rule(code)
    if rule is None:
        click.echo(f"dynolint: error: unknown rule {code!r}; `dynolint rules` lists them", err=True)
        sys.exit(2)
    from dynolint.docs import render_rule

    click.echo(render_rule(rule))


@cli.command()
def server() -> None:
    """Run the language server over stdio (needs pygls 2: the lsp extra, pip install -e '.[lsp]')."""
    from dynolint.server import missing_dependency, serve

    problem = missing_dependency()
    if problem is not None:
        click.echo(f"dynolint: error: {problem}", err=True)
        sys.exit(2)
    sys.exit(serve())


def main() -> None:
    """The ``dynolint`` command (the pre-commit fast path first: ``engine/fastpath.py``)."""
    from dynolint.engine.fastpath import main as command

    command()


def run() -> None:
    """The command line, after the fast path declined the run."""
    # A run builds millions of objects that live until it ends and form almost no cycles:
    # the cyclic collector would rescan them all (see api.check_sources), and freeing them
    # one by one at interpreter exit costs more than a second on a large project. So the
    # collector stays off and, once the output is flushed, the process ends at once (as
    # mypy does). Nothing dynolint writes is left to exit handlers: files are written and
    # renamed in place, and worker processes are joined before the report is printed.
    import gc

    gc.disable()
    try:
        cli(prog_name="dynolint")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _exit_now(code)


def _exit_now(code: object) -> None:
    """Flush the output and end the process with ``code`` (a ``sys.exit`` argument),
    without the interpreter's teardown."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away (``dynolint check | head``)
            status = status or 1
        except (OSError, ValueError):
            pass
    os._exit(status & 0xFF if status >= 0 else 1)
