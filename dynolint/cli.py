"""The command line: parse options, call the API, pick a reporter, set the exit status.

Exit status: 0 no findings, 1 findings, 2 usage, configuration or internal error.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import click

from dynolint import __version__
from dynolint.api import FixReport, Options, RunResult, check_paths, check_source, fix_paths
from dynolint.config import Config, discover, load_file
from dynolint.errors import DynolintError, UsageError
from dynolint.reporters import REPORTERS
from dynolint.rules import KNOWN_CODES, REGISTRY, rule_by_code

OUTPUT_FORMATS = ("text", "json")


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    for code in codes:
        if code != "ALL" and not any(k.startswith(code) for k in KNOWN_CODES):
            raise click.BadParameter(f"unknown rule code or prefix {code!r}")
    return codes


def _load_config(config_path: str | None, paths: list[Path]) -> Config:
    known = set(KNOWN_CODES)
    if config_path is not None:
        return load_file(Path(config_path), known)
    start = paths[0] if paths and paths[0] != Path("-") else Path.cwd()
    return discover(start if start.exists() else Path.cwd(), known)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dynolint")
def cli() -> None:
    """Find read-then-write races in DynamoDB code and tenant-isolation mistakes in
    multi-tenant Lambda functions."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
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
def check(paths: tuple[Path, ...], output_format: str, select: str | None, ignore: str | None,
          config_path: str | None, stdin_filename: str | None, include_tests: bool, exit_zero: bool,
          apply_fixes: bool, unsafe_fixes: bool, quiet: bool) -> None:
    """Check PATHS (default: the current directory) and report findings."""
    path_list = list(paths) or [Path(".")]
    try:
        config = _load_config(config_path, path_list)
        options = Options(select=_codes(select), ignore=_codes(ignore) or (), include_tests=include_tests)
        if path_list == [Path("-")]:
            if apply_fixes:
                raise UsageError("--fix cannot rewrite source read from stdin")
            source = sys.stdin.buffer.read()
            result = check_source(source, stdin_filename or "stdin.py", config, options)
        elif apply_fixes:
            report = fix_paths(path_list, config, options, unsafe=unsafe_fixes)
            _fix_summary(report, quiet)
            result = report.after or report.before
        else:
            result = check_paths(path_list, config, options)
    except DynolintError as exc:
        click.echo(f"dynolint: error: {exc}", err=True)
        sys.exit(2)
    _report(result, output_format, quiet)
    if result.errors:
        sys.exit(2)
    sys.exit(0 if exit_zero or not result.findings else 1)


def _report(result: RunResult, output_format: str, quiet: bool) -> None:
    reporter = REPORTERS[output_format]
    sys.stdout.write(reporter(result.findings))
    sys.stdout.flush()
    for error in result.errors:
        click.echo(f"dynolint: {error}", err=True)
    if output_format == "text" and not quiet:
        count = len(result.findings)
        noun = "finding" if count == 1 else "findings"
        click.echo(f"Found {count} {noun} in {result.files} files." if count else
                   f"All checks passed ({result.files} files).", err=True)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour (new exceptions to handle).")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff and write nothing (exit 1 if any).")
@click.option("--select", help="Comma-separated rule codes or prefixes to fix.")
@click.option("--ignore", help="Comma-separated rule codes or prefixes not to fix.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="A pyproject.toml or dynolint.toml.")
@click.option("--include-tests", is_flag=True, help="Also fix tests/, test_*.py, *_test.py and conftest.py.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def fix(paths: tuple[Path, ...], unsafe_fixes: bool, diff: bool, select: str | None, ignore: str | None,
        config_path: str | None, include_tests: bool, quiet: bool) -> None:
    """Apply fixes to PATHS (default: the current directory)."""
    path_list = list(paths) or [Path(".")]
    try:
        config = _load_config(config_path, path_list)
        options = Options(select=_codes(select), ignore=_codes(ignore) or (), include_tests=include_tests)
        report = fix_paths(path_list, config, options, unsafe=unsafe_fixes, write=not diff)
    except DynolintError as exc:
        click.echo(f"dynolint: error: {exc}", err=True)
        sys.exit(2)
    if diff:
        for path, old, new in report.changed:
            sys.stdout.writelines(difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(keepends=True),
                new.decode("utf-8", "replace").splitlines(keepends=True), f"a/{path}", f"b/{path}"))
        sys.stdout.flush()
    _fix_summary(report, quiet)
    if report.before.errors or report.not_written:
        sys.exit(2)
    if diff:
        sys.exit(1 if report.changed else 0)
    remaining = (report.after or report.before).findings
    sys.exit(1 if remaining else 0)


def _fix_summary(report: FixReport, quiet: bool) -> None:
    for path, why in report.not_written:
        click.echo(f"dynolint: error: {why}", err=True)
    if quiet:
        return
    for finding, reason in report.skipped:
        click.echo(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} not fixed: {reason}", err=True)
    count = len(report.applied)
    click.echo(f"Fixed {count} finding{'s' if count != 1 else ''} in {len(report.changed)} "
               f"file{'s' if len(report.changed) != 1 else ''}.", err=True)


@cli.command()
@click.option("--output-format", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules(output_format: str) -> None:
    """List the rules."""
    if output_format == "json":
        data = [{"code": r.code, "name": r.name, "summary": r.summary, "severity": r.severity.value}
                for r in REGISTRY]
        click.echo(json.dumps(data, indent=2))
        return
    for rule in REGISTRY:
        click.echo(f"{rule.code}  {rule.name:36} {rule.summary}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show the documentation of rule CODE."""
    rule = rule_by_code(code)
    if rule is None:
        click.echo(f"dynolint: error: unknown rule {code!r}; `dynolint rules` lists them", err=True)
        sys.exit(2)
    from dynolint.docs import render_rule

    click.echo(render_rule(rule))


def main() -> None:
    cli(prog_name="dynolint")
