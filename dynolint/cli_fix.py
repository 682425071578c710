"""What the fixing commands print: ``--diff``, the fixed source for ``-`` (stdin), and the
summary of what was fixed; and writing text to stdout whatever its encoding."""

from __future__ import annotations

import difflib
import sys

import click

from dynolint.api import FixReport, Options
from dynolint.config import Config


def write(text: str) -> None:
    """Write to stdout; what its encoding cannot hold (a file name in a locale that is not
    UTF-8) is written as backslash escapes rather than stopping the report half-way."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))


def fix_stdin(source: bytes, name: str, config: Config, options: Options, unsafe: bool, diff: bool,
               quiet: bool, report_remaining: bool) -> None:
    """Fix source read from stdin and exit: the fixed source (all of it, changed or not) or
    the diff on stdout; the summary and, with ``report_remaining``, the findings that
    remain on stderr. Exit status as for files."""
    from dynolint.fixing import fix_text

    report = fix_text(source, name, config, options, unsafe=unsafe)
    if diff:
        diff_exit(report, quiet)
    sys.stdout.buffer.write(report.changed[0][2] if report.changed else source)
    sys.stdout.flush()
    fix_summary(report, quiet)
    result = report.after or report.before
    for error in result.errors:
        click.echo(f"dynolint: {error}", err=True)
    if report_remaining and result.findings:
        from dynolint.reporters.text import render_text

        click.echo(render_text(result.findings), err=True, nl=False)
        if not quiet:
            from dynolint.reporters.summary import summary_line

            click.echo(summary_line(result.findings, result.files, unsafe_fixes=unsafe), err=True)
    sys.exit(2 if result.errors else 1 if result.findings else 0)


def diff_exit(report: FixReport, quiet: bool) -> None:
    """``--diff``: print the changes the fixes would make as a unified diff, then exit:
    1 if there are any, 0 if none, 2 on an internal error."""
    from dynolint.reporters.text import escape_path
    from dynolint.engine.stopping import writing_report

    text = "".join("".join(difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(keepends=True),
        new.decode("utf-8", "replace").splitlines(keepends=True),
        f"a/{escape_path(path)}", f"b/{escape_path(path)}")) for path, old, new in report.changed)
    with writing_report():  # a TERM or Ctrl-C waits: the whole diff or none of it
        write(text)
        sys.stdout.flush()
    fix_summary(report, quiet, would=True)
    for error in report.before.errors:
        click.echo(f"dynolint: {error}", err=True)
    sys.exit(2 if report.before.errors else 1 if report.changed else 0)


def fix_summary(report: FixReport, quiet: bool, would: bool = False) -> None:
    for path, why in report.not_written:
        click.echo(f"dynolint: error: {why}", err=True)
    for path, why in report.refused:
        click.echo(f"dynolint: warning: {why}", err=True)
    if quiet:
        return
    from dynolint.reporters.summary import plural
    from dynolint.reporters.text import escape_path

    for finding, reason in report.skipped:
        click.echo(f"{escape_path(finding.path)}:{finding.line}:{finding.column}: {finding.code} not fixed: {reason}",
                   err=True)
    click.echo(f"{'Would fix' if would else 'Fixed'} {plural(len(report.applied), 'finding')} in "
               f"{plural(len(report.changed), 'file')}.", err=True)


__all__ = ["diff_exit", "fix_stdin", "fix_summary", "write"]
