"""The pre-commit fast path: ``dynolint check FILE...`` where no file can matter.

pre-commit runs dynolint on the files a commit changes, and most commits touch no DynamoDB
code, tenant id or /tmp path. This answers those runs from the files' bytes alone, before
importing click, LibCST or the rules (about half of a run's start-up cost). Anything else
(options it does not know, directories, a relevant file, a configuration problem) goes to
the full command line, which gives the same answer the slow way; for a relevant file, with
the parser already being imported in a spare worker.
"""

from __future__ import annotations

import os
import sys

_FLAGS = {"-q", "--quiet", "--no-cache", "--exit-zero"}


def main() -> None:
    """The ``dynolint`` command (``python -m dynolint`` and the installed script): the fast
    path answers what it can before click, LibCST or the rules are imported; the command line
    (``cli.run``) does the rest."""
    from dynolint.engine import stopping

    stopping.install()  # TERM, INT, HUP: workers killed and reaped, no half-written report
    status = try_fast_check(sys.argv[1:])
    if status is not None:
        sys.exit(status)
    from dynolint.cli import run

    run()


def try_fast_check(argv: list[str]) -> int | None:
    """The exit status, when ``argv`` was answered here; None to run the full CLI."""
    if len(argv) < 2 or argv[0] != "check":
        return None
    output = "text"
    paths: list[str] = []
    quiet = False
    rest = argv[1:]
    index = 0
    while index < len(rest):
        arg = rest[index]
        if arg in _FLAGS:
            quiet = quiet or arg in ("-q", "--quiet")
        elif arg == "--output-format" and index + 1 < len(rest) and rest[index + 1] in ("text", "json"):
            output = rest[index + 1]
            index += 1
        elif arg.startswith("-"):
            return None
        else:
            paths.append(arg)
        index += 1
    if not paths:
        return None
    sources: list[bytes] = []
    for path in paths:
        if not path.endswith(".py") or not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as handle:
                sources.append(handle.read())
        except OSError:
            return None
    from dynolint.phase1.prefilter import makes_dynamodb, touches_tenancy

    if any(makes_dynamodb(data) or touches_tenancy(data) for data in sources):
        # the full command line will parse: the parser is imported in a spare worker now,
        # while this process imports the command line (a tenth of a second earlier than
        # where the run itself would fork it: :func:`dynolint.engine.workers.prestart`)
        from dynolint.engine.workers import prestart

        prestart()
        return None
    from dynolint import settings
    from dynolint.codes import ALL_CODES
    from dynolint.errors import ConfigError

    try:
        found = settings.find(os.path.abspath(os.path.dirname(paths[0]) or "."))
        values = settings.validated(found[0], found[1], set(ALL_CODES)) if found else {}
    except ConfigError:
        return None  # the full CLI reports it, with the exit status it deserves
    if values.get("multi_tenant") or values.get("tenant_isolation") or values.get("tenant_names"):
        return None
    if output == "json":
        sys.stdout.write("[]\n")
    elif not quiet:
        count = len(paths)
        sys.stderr.write(f"All checks passed ({count} file{'' if count == 1 else 's'} checked).\n")
    return 0
