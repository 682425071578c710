#!/usr/bin/env python3
"""The ecosystem check (``make ecosystem``): dynolint over real repositories at fixed commits.

For each row of repos.tsv it materialises the repository at its commit from a folder of git
mirrors (``<owner>+<name>/repo``, as the search tool's ``fetch`` leaves them) into a
folder outside this repository (``--checkouts``; dynolint reads the nearest ``pyproject.toml``
above a file for its ``requires-python``, and this repository's own would become the target
Python of every checked repository that declares none), runs ``python -m dynolint check --no-cache
--output-format json .`` inside it, and prints per repository: Python files, wall time, peak
memory of the process tree, findings by rule, and the findings that appeared or vanished since
the last recorded run (``ecosystem/last-run.json``; ``--update`` records this run). Then the
precision per rule family from ``ecosystem/triage.json`` joined with this run, and the misses.

A repository whose mirror (or commit) is missing is named and skipped; the exit status is 0
unless the arguments or the files given are bad (2). A run that crashes or exceeds
``--timeout`` is reported in its row and recorded with its status.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

HERE = Path(__file__).resolve().parent
TRIAGE_NAME = "ecosystem/triage.json"
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from materialise import materialise  # noqa: E402
from results import (FAMILIES, Repo, RepoListError, SourceIndex, diff, finding_key, judged,  # noqa: E402
                     parse_repos, precision, verdicts)


@functools.cache
def _bench() -> Any:
    """bench/run.py, for its whole-process measurement (wall time, process-tree peak RSS)."""
    spec = importlib.util.spec_from_file_location("dynolint_bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def default_checkouts() -> Path:
    """Where trees are materialised: ``ECOSYSTEM_CHECKOUTS``, else a cache folder outside this
    repository (``$XDG_CACHE_HOME/dynolint-ecosystem``, ``~/.cache`` when that is unset)."""
    if os.environ.get("ECOSYSTEM_CHECKOUTS"):
        return Path(os.environ["ECOSYSTEM_CHECKOUTS"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "dynolint-ecosystem"


def inherited_pyproject(folder: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``folder`` (which need not exist yet): the
    file whose ``requires-python`` a checked repository without one of its own inherits."""
    here = folder.resolve()
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate / "pyproject.toml"
    return None


def python_files(tree: Path) -> int:
    """How many ``*.py`` files the tree holds."""
    return sum(1 for _ in tree.rglob("*.py"))


def check_one(repo: Repo, tree: Path, python: str, timeout: float) -> dict[str, Any]:
    """Run dynolint on one materialised tree; the recorded entry for it."""
    out = tree.with_name(tree.name + ".out.json")
    cmd = [python, "-m", "dynolint", "check", "--no-cache", "--output-format", "json", "."]
    run = _bench().run_once(cmd, tree, timeout, stdout_path=out)
    entry: dict[str, Any] = {"commit": repo.commit, "python_files": python_files(tree),
                             "wall_s": round(run.wall, 2), "peak_rss_mb": round(run.rss / 2**20),
                             "exit": run.returncode, "status": "ok", "findings": []}
    if run.wall > timeout:
        entry["status"] = f"timeout after {timeout:.0f} s"
    try:
        findings = json.loads(out.read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        findings = None
    if run.returncode not in (0, 1) or not isinstance(findings, list):
        if entry["status"] == "ok":
            entry["status"] = f"exit {run.returncode}"
        entry["stderr"] = run.stderr.strip()[-2000:]
    elif run.stderr.strip():
        entry["stderr"] = run.stderr.strip()[-2000:]
    indexes: dict[str, SourceIndex] = {}
    for finding in findings if isinstance(findings, list) else []:
        path = str(finding["path"])
        if path not in indexes:
            try:
                indexes[path] = SourceIndex((tree / path).read_text(encoding="utf-8", errors="replace"))
            except OSError:
                indexes[path] = SourceIndex("")
        code, rel, context, statement = finding_key(finding, indexes[path])
        entry["findings"].append({"code": code, "path": rel, "context": context, "statement": statement,
                                  "line": finding.get("line"), "message": finding.get("message", "")})
    entry["by_code"] = dict(sorted(Counter(f["code"] for f in entry["findings"]).items()))
    return entry


def _where(entry: Mapping[str, Any]) -> str:
    return f"{entry['code']} {entry['path']}:{entry.get('line')} in {entry['context']}: {entry.get('message', '')[:100]}"


def report_repo(repo: Repo, entry: dict[str, Any], last: dict[str, Any] | None) -> None:
    """Print one repository's row and its difference from the last recorded run."""
    codes = ", ".join(f"{code} {n}" for code, n in entry["by_code"].items()) or "no findings"
    print(f"{repo.name}: {entry['python_files']} Python files, {entry['wall_s']:.2f} s, "
          f"{entry['peak_rss_mb']} MB, {entry['status']}; {codes}")
    if entry["status"] != "ok":
        print(f"  ! {entry.get('stderr', '')[-500:]}")
    if last is None:
        print("  (no recorded run to compare with)")
        return
    if last.get("commit") != repo.commit:
        print(f"  (the recorded run was at commit {last.get('commit')})")
    appeared, vanished = diff(last.get("findings", []), entry["findings"])
    for found in appeared:
        print(f"  + {_where(found)}")
    for gone in vanished:
        print(f"  - {_where(gone)}")
    if not appeared and not vanished:
        print("  = same findings as the recorded run")


def report_precision(current: dict[str, list[dict[str, Any]]], triage: dict[str, Any]) -> dict[str, Any]:
    """Print precision and misses per family; return the table."""
    table = precision(current, triage)
    print("\nfamily  true  false  debatable  untriaged  precision  misses")
    for fam in FAMILIES:
        row = table[fam]
        shown = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        print(f"{fam:6} {row['true']:5} {row['false']:6} {row['debatable']:10} {row['untriaged']:10} "
              f"{shown:>10} {row['misses']:7}")
    untriaged = [(repo, entry) for repo, entry, verdict in judged(current, triage) if verdict is None]
    if untriaged:
        print(f"\nuntriaged ({len(untriaged)}): add each to {TRIAGE_NAME} with a verdict and why")
        for repo, entry in untriaged[:50]:
            print(f"  {repo}: {_where(entry)}")
    return table


def markdown(repos: list[Repo], recorded: dict[str, Any], table: dict[str, Any]) -> str:
    """The README's two tables: precision and misses per family, and time and memory per repository."""
    lines = ["| family | true | false | debatable | untriaged | precision | misses |", "|---|---:|---:|---:|---:|---:|---:|"]
    for fam in FAMILIES:
        row = table[fam]
        shown = "-" if row["precision"] is None else f"{row['precision']:.2f}"
        lines.append(f"| {fam}xx | {row['true']} | {row['false']} | {row['debatable']} | {row['untriaged']} | "
                     f"{shown} | {row['misses']} |")
    lines += ["", "| repository | Python files | wall s | peak RSS MB | findings |", "|---|---:|---:|---:|---|"]
    for repo in repos:
        entry = recorded.get(repo.name)
        if entry is not None:
            codes = ", ".join(f"{code} {n}" for code, n in entry["by_code"].items()) or "none"
            lines.append(f"| {repo.name} | {entry['python_files']:,} | {entry['wall_s']:.1f} | {entry['peak_rss_mb']} | "
                         f"{codes} |")
    return "\n".join(lines)


def _git_rev() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=Path, default=Path(os.environ.get(
        "ECOSYSTEM_REPOS", ROOT.parent / "shared" / "ecosystem" / "repos.tsv")), help="the repository list")
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("ECOSYSTEM_MIRRORS", "/work/.mirror")),
                        help="folder of git mirrors, OWNER+NAME/repo (env ECOSYSTEM_MIRRORS)")
    parser.add_argument("--checkouts", type=Path, default=default_checkouts(),
                        help="where trees are materialised (env ECOSYSTEM_CHECKOUTS; outside any Python project)")
    parser.add_argument("--last-run", type=Path, default=HERE / "last-run.json")
    parser.add_argument("--triage", type=Path, default=HERE / "triage.json")
    parser.add_argument("--update", action="store_true", help="record this run as the last run")
    parser.add_argument("--only", action="append", default=[], help="only repositories whose name holds this")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one repository may take")
    parser.add_argument("--markdown", action="store_true", help="also print the README's tables")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs dynolint")
    args = parser.parse_args(argv)
    current_file = args.repos
    try:
        repos = parse_repos(args.repos.read_text(encoding="utf-8"))
        current_file = args.last_run
        last_doc = json.loads(args.last_run.read_text(encoding="utf-8")) if args.last_run.exists() else {}
        current_file = args.triage
        triage = json.loads(args.triage.read_text(encoding="utf-8")) if args.triage.exists() else {}
        verdicts(triage)  # a bad verdict is an error here, not after every repository has run
    except (OSError, ValueError, RepoListError, KeyError, AttributeError) as error:
        print(f"ecosystem: {current_file}: {error}", file=sys.stderr)
        return 2
    repos = [r for r in repos if not args.only or any(part in r.name for part in args.only)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average at the start: {load:.2f} on {os.cpu_count()} CPUs (times and memory are whole "
              "processes; a loaded machine slows them)")
    inherited = inherited_pyproject(args.checkouts)
    if inherited is not None:
        print(f"warning: {inherited} is above the checkouts: a checked repository without a pyproject.toml "
              "of its own takes its requires-python as the Python it is written for (use --checkouts "
              "outside any project)", file=sys.stderr)
    recorded: dict[str, Any] = dict(last_doc.get("repos", {}))
    current: dict[str, list[dict[str, Any]]] = {}
    missing: list[str] = []
    for repo in repos:
        git_dir = args.mirrors / repo.slug / "repo"
        if not git_dir.is_dir():
            missing.append(f"{repo.name} (no mirror at {git_dir})")
            continue
        try:
            made = materialise(git_dir, repo.commit, args.checkouts / repo.slug)
        except subprocess.CalledProcessError as error:
            missing.append(f"{repo.name} (commit {repo.commit[:12]} not in the mirror: "
                           f"{(error.stderr or b'').decode('utf-8', 'replace').strip()[:200]})")
            continue
        if not made.reused:
            print(f"{repo.name}: materialised {made.written} files ({made.missing} blobs missing from the "
                  f"mirror, {made.skipped} links or submodules skipped, {len(made.refused or [])} unsafe "
                  f"paths refused)", file=sys.stderr)
        entry = check_one(repo, made.path, args.python, args.timeout)
        report_repo(repo, entry, recorded.get(repo.name))
        current[repo.name] = entry["findings"]
        recorded[repo.name] = entry
    if missing:
        print(f"\nskipped {len(missing)} of {len(repos)} repositories:")
        for line in missing:
            print(f"  {line}")
        print(f"bring them with the search tool's fetch (github:OWNER/NAME) into {args.mirrors}")
    table = report_precision(current, triage) if current else {}
    if table and missing:
        print(f"(precision and misses over the {len(current)} repositories checked)")
    if args.markdown and table:
        print("\n" + markdown(repos, recorded, table))
    if args.update and current:
        doc = {"about": "the last recorded ecosystem run (ecosystem/run.py --update)",
               "recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "dynolint": _git_rev(), "load_average": load, "cpus": os.cpu_count(), "precision": table, "repos": dict(sorted(recorded.items()))}
        args.last_run.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"\nrecorded in {args.last_run}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
