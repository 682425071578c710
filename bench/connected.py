"""The benchmark sections of issue 13 that measure phase 2 and the cache, not parsing.

- section 7, *connected code*: the corpus of ``bench/gen_connected.py`` (thousands of functions
  calling each other through classes, overrides and shared helpers), cold next to ruff and next to
  the same corpus doubled, then with the cache primed and one file touched, then the pre-commit
  hook's own command on that file;
- section 8, *the project's own repository*: a clean ``git archive HEAD`` of this repository, cold
  next to ruff;
- the primed-and-touched and pre-commit rows of section 5 (the monorepo), through
  :func:`touched_rows`.

"One file touched" appends a comment line to one module before each run, so that every run sees
one changed file and the cache of the run before for everything else. The file is restored
afterwards. The pre-commit rows run what ``.pre-commit-hooks.yaml`` runs: ``dynolint check
--project .`` with the files pre-commit passes (here the touched one), from the project's root,
with the cache (the hook passes no ``--no-cache``), text output, findings exit 1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import gen_connected
from benchcore import (
    BENCH,
    CORPORA,
    ROOT,
    Bench,
    clear_caches,
    corpus_size,
    file_digest,
    log,
    note_no_cache,
    run_once,
    sh,
    tools_bin,
)

RUFF_TOUCHED = 0.3  # cache primed and one file touched: at most this share of ruff's cold time
HOOK_SECONDS = 1.0  # the pre-commit hook's command, whole process
CONNECTED_RSS_MB = 300.0  # peak memory of a whole-repository run on the connected corpus, single or doubled
DOUBLE_RATIO = 2.1


def setup_connected(seed: int) -> None:
    """(Re)generate ``connected/`` and ``connected2/`` (the same doubled) when the generator or the
    seed changed. Each is a git repository of its own, as a project is (and so that no
    ``.gitignore`` of the checkout around ``bench/corpora`` applies to it)."""
    wanted = f"{file_digest(BENCH / 'gen_connected.py')}:{seed}"
    stamp = CORPORA / "connected.stamp"
    parts = {"connected": 1, "connected2": 2}
    if stamp.is_file() and stamp.read_text() == wanted and all((CORPORA / p).is_dir() for p in parts):
        return
    for name, copies in parts.items():
        out = CORPORA / name
        files = gen_connected.build(copies=copies, seed=seed)
        gen_connected.write(out, files)
        sh(["git", "init", "-q", str(out)])
        size = gen_connected.stats(files)
        log(f"setup: {name}: {size['files']} modules, {size['lines']} lines, {size['functions']} functions")
    stamp.write_text(wanted)


def setup_self() -> str:
    """``self/``: a clean copy of this repository's HEAD (``git archive``, so no venv, cache or
    corpora), made a git repository of its own. Returns the commit."""
    commit = sh(["git", "rev-parse", "HEAD"], cwd=ROOT).stdout.strip()
    target, stamp = CORPORA / "self", CORPORA / "self.stamp"
    if target.is_dir() and stamp.is_file() and stamp.read_text() == commit:
        return commit
    sh(["rm", "-rf", str(target)])
    target.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {commit} failed")
    sh(["git", "init", "-q", str(target)])
    stamp.write_text(commit)
    log(f"setup: self: git archive {commit[:12]}")
    return commit


def touched_file() -> str:
    """The module the connected rows touch: the service of the middle domain (its handlers, its
    jobs and the services before it in its cluster depend on it)."""
    names = gen_connected.domain_names(gen_connected.DOMAINS)
    return f"app00/{names[len(names) // 2]}/service.py"


def touched_rows(bench: Bench, prefix: str, project: Path, rel: str, dyn: list[str], runs: int,
                 ruff_key: str) -> None:
    """Rows ``<prefix>.touched`` (``dynolint check .`` with the cache primed and ``rel`` touched)
    and ``<prefix>.hook`` (the pre-commit hook's command on ``rel``), both from ``project``."""
    path = project / rel
    original = path.read_bytes()
    edits = [0]

    def touch() -> None:
        edits[0] += 1
        with open(path, "ab") as handle:
            handle.write(f"# bench: edit {edits[0]}\n".encode())

    base = dyn + ["check", "--output-format", "json", "--exit-zero", "."]
    hook = dyn + ["check", "--project", ".", rel]  # .pre-commit-hooks.yaml: entry + the file pre-commit passes
    touched_label = f"dynolint, cache primed, {rel} touched"
    hook_label = f"pre-commit hook: dynolint check --project . {rel} (cache primed, file touched)"
    try:
        clear_caches(project)
        findings_path = CORPORA / "out" / f"{prefix}-findings.json"
        findings_path.parent.mkdir(exist_ok=True)
        log(f"  {touched_label}: priming the cache")
        prime = run_once(base, project, bench.timeout, stdout_path=findings_path)
        if prime.timed_out or prime.returncode != 0:
            for key, label in ((f"{prefix}.touched", touched_label), (f"{prefix}.hook", hook_label)):
                row = bench.skip(key, label, f"priming run exited {prime.returncode}")
                if prime.timed_out:
                    row.time_out(bench.timeout, "priming run ")
                else:
                    row.error = True
        else:
            bench.measure(f"{prefix}.touched", touched_label, base, project, runs, before=touch)
            try:
                bench.rows[f"{prefix}.touched"].findings = len(json.loads(findings_path.read_text()))
            except (OSError, ValueError, TypeError):
                pass
            bench.measure(f"{prefix}.hook", hook_label, hook, project, runs, ok_codes=(0, 1), before=touch)
    finally:
        path.write_bytes(original)
    touched, ruff = bench.rows[f"{prefix}.touched"].wall, bench.rows[ruff_key].wall
    bench.check(f"{prefix}.touched", "cache primed, one file touched ÷ ruff cold",
                touched / ruff if touched and ruff else None, "<=", RUFF_TOUCHED, " × ruff",
                f"{RUFF_TOUCHED:g} × ruff cold")
    bench.check(f"{prefix}.hook", "pre-commit hook's command, whole process", bench.rows[f"{prefix}.hook"].wall,
                "<", HOOK_SECONDS, " s", f"{HOOK_SECONDS:g} s")


def section_connected(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    """Section 7: the connected corpus, cold next to ruff and next to itself doubled (in turns),
    then primed and touched, then the hook."""
    runs = bench.args.runs
    log("section 7: connected code (issue 13)")
    setup_connected(bench.args.seed)
    for name in ("connected", "connected2"):
        bench.facts[name] = corpus_size(CORPORA / name)
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    base = dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache]
    ruff = [str(tools_bin("ruff")), "check", "--no-cache", "--select", "ALL"]
    bench.measure_together([
        ("conn.cold", "dynolint cold, JSON" + (" (--no-cache)" if no_cache else ""), base + ["connected"],
         lambda: clear_caches(CORPORA, CORPORA / "connected")),
        ("conn.ruff", "ruff check --no-cache --select ALL", ruff + ["connected"], None, (0, 1)),
        ("conn.double", "dynolint cold, the corpus doubled", base + ["connected2"],
         lambda: clear_caches(CORPORA, CORPORA / "connected2")),
    ], CORPORA, runs)
    note_no_cache(bench, features, "conn.cold", "conn.double")
    rows = bench.rows
    cold, ruff_wall, double = rows["conn.cold"].wall, rows["conn.ruff"].wall, rows["conn.double"].wall
    bench.check("conn.cold", "dynolint cold ÷ ruff", cold / ruff_wall if cold and ruff_wall else None, "<=", 1.0,
                " × ruff", "1.0 × ruff")
    bench.check("conn.double", "doubled ÷ single (cold)", double / cold if double and cold else None, "<=",
                DOUBLE_RATIO, " ×", f"{DOUBLE_RATIO:g} ×", needs=("conn.cold",))
    # memory is the process tree's PSS: the parent and the workers it forks share pages (the
    # interpreter, LibCST, what existed at the fork), which the RSS sum counts in each of them
    peaks = [row.pss_mb for row in (rows["conn.cold"], rows["conn.double"]) if row.pss_mb is not None]
    rss = [row.rss_mb for row in (rows["conn.cold"], rows["conn.double"]) if row.rss_mb is not None]
    bench.check("conn.rss", "dynolint peak memory (PSS of the process tree), whole-repository runs (single and "
                "doubled)", max(peaks) if len(peaks) == 2 else None, "<", CONNECTED_RSS_MB, " MB",
                f"{CONNECTED_RSS_MB:g} MB", note=f"the RSS summed over the processes: {max(rss):.0f} MB" if rss else "",
                needs=("conn.cold", "conn.double"))
    touched_rows(bench, "conn", CORPORA / "connected", touched_file(), dyn, runs, "conn.ruff")


def section_self(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    """Section 8: this repository's HEAD, cold next to ruff (in turns)."""
    log("section 8: the project's own repository (issue 13)")
    bench.facts["self_commit"] = setup_self()[:12]
    bench.facts["self"] = corpus_size(CORPORA / "self")
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    bench.measure_together([
        ("self.cold", "dynolint cold, JSON" + (" (--no-cache)" if no_cache else ""),
         dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache, "self"],
         lambda: clear_caches(CORPORA, CORPORA / "self")),
        ("self.ruff", "ruff check --no-cache --select ALL",
         [str(tools_bin("ruff")), "check", "--no-cache", "--select", "ALL", "self"], None, (0, 1)),
    ], CORPORA, bench.args.runs)
    note_no_cache(bench, features, "self.cold")
    cold, ruff = bench.rows["self.cold"].wall, bench.rows["self.ruff"].wall
    bench.check("self.cold", "dynolint cold ÷ ruff", cold / ruff if cold and ruff else None, "<=", 1.0, " × ruff",
                "1.0 × ruff")


def render(out: list[str], rows: dict, facts: dict, line, derived, ratio_to) -> None:
    """The table lines of sections 7 and 8 (``line``, ``derived``, ``ratio_to``: run.py's)."""
    if "conn.ruff" in rows:
        c, c2 = facts.get("connected", {}), facts.get("connected2", {})
        out.append(f"| **7. Connected code:** generated ({c.get('files', 0):,} modules, {c.get('lines', 0):,} "
                   f"lines; doubled: {c2.get('files', 0):,} modules) | | | ratio to ruff | | |")
        line(rows.get("conn.cold"), ratio_to("conn.cold", "conn.ruff", "× ruff"))
        line(rows.get("conn.ruff"), "1.00 × ruff", check_key="-")
        line(rows.get("conn.double"), ratio_to("conn.double", "conn.cold", "× single"))
        derived("conn.rss", "dynolint peak memory (PSS of the process tree), whole-repository runs (the larger of "
                "single and doubled, cold)")
        line(rows.get("conn.touched"), ratio_to("conn.touched", "conn.ruff", "× ruff"))
        line(rows.get("conn.hook"))
    if "self.ruff" in rows:
        s = facts.get("self", {})
        out.append(f"| **8. The project's own repository:** `git archive` of {facts.get('self_commit', 'HEAD')} "
                   f"({s.get('files', 0):,} Python files, {s.get('lines', 0):,} lines) | | | ratio to ruff | | |")
        line(rows.get("self.cold"), ratio_to("self.cold", "self.ruff", "× ruff"))
        line(rows.get("self.ruff"), "1.00 × ruff", check_key="-")
