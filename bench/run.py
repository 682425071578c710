#!/usr/bin/env python3
"""dynolint's speed benchmark (issue 6): ``make bench`` or ``.venv/bin/python bench/run.py``.

It fetches and builds its corpora itself, under the git-ignored ``bench/corpora/``:

- ``moto/``: the ``moto/`` package of the moto 5.2.x wheel, downloaded with pip (real code);
- ``dense/``, ``dense2/``, ``precommit/``: made by ``bench/gen_dense.py`` (DynamoDB-dense code,
  the same doubled under other names, and the two pre-commit files);
- ``monorepo/``: made by ``bench/gen_monorepo.py``;
- ``connected/``, ``connected2/``: made by ``bench/gen_connected.py`` (a connected code base and
  the same twice), and ``self/``: ``git archive HEAD`` of this repository (``bench/connected.py``,
  sections 7 and 8 and the touched and pre-commit rows of section 5);
- ``.venv-tools/``: ruff and bandit at the versions of ``bench/requirements.txt``, in a venv of
  their own so that the project's ``.venv`` stays as it is.

Then it measures every row of the issue in the same run, as the median of ``--runs`` runs (at
least 10 for the rows that take well under a second) of the whole process: wall seconds, and
peak RSS (the largest of ``wait4``'s ``ru_maxrss`` for the process and the sum of the RSS of the
process tree sampled every 10 ms, so a process pool counts all its workers). It prints one
table, writes it to ``bench/results/latest.md`` (with the date and the machine), and the raw
numbers to ``bench/results/latest.json`` (and ``--json PATH``, ``-`` for stdout). The measuring
itself (one process per run, the timeout that turns a row into a MISS) is in ``bench/benchcore.py``.

dynolint runs as ``.venv/bin/python -m dynolint check --output-format json --exit-zero ...`` with
its output sent to /dev/null; a run that does not exit 0 stops that row (ERROR in the table).
``--no-cache`` and ``--jobs`` are used only when ``dynolint check --help`` lists them; the rows
that need them say "skipped" otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchcore, connected, the generators

import connected
from dynolint.memory import default_mb
from benchcore import (
    BENCH,
    CORPORA,
    MOTO_SPEC,
    QUICK_RUNS,
    RESULTS,
    ROOT,
    TOOLS_VENV,
    Bench,
    Row,
    clear_caches,
    corpus_size,
    dynolint_python,
    file_digest,
    log,
    note_no_cache,
    run_once,
    sh,
    tools_bin,
)


def setup_tools() -> None:
    stamp = TOOLS_VENV / ".bench-stamp"
    wanted = file_digest(BENCH / "requirements.txt")
    if stamp.is_file() and stamp.read_text() == wanted and tools_bin("ruff").exists():
        return
    log(f"setup: installing ruff and bandit into {TOOLS_VENV.relative_to(ROOT)}")
    if TOOLS_VENV.exists():
        shutil.rmtree(TOOLS_VENV)
    sh([sys.executable, "-m", "venv", str(TOOLS_VENV)])
    sh([str(tools_bin("python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-r", str(BENCH / "requirements.txt")])
    stamp.write_text(wanted)


def compile_dynolint() -> bool:
    """Byte-compile dynolint's modules, as ``pip install`` does for an installed package.
    The project's venv installs dynolint in editable mode, and a machine that sets
    ``PYTHONDONTWRITEBYTECODE`` (this one does) never writes ``__pycache__``: every timed run
    would compile dynolint's sources again (about 0.1 s a process), which no user's install
    does. Returns whether the modules were compiled."""
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        return False
    done = subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "dynolint")],
                          capture_output=True, text=True)
    return done.returncode == 0


def setup_moto() -> Path:
    target = CORPORA / "moto"
    stamp = CORPORA / "moto.json"
    if target.is_dir() and stamp.is_file():
        return target
    wheels = CORPORA / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    log(f"setup: pip download {MOTO_SPEC} --no-deps")
    sh([str(tools_bin("python")), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        MOTO_SPEC, "--no-deps", "--only-binary", ":all:", "-d", str(wheels)])
    candidates = sorted(wheels.glob("moto-5.2.*-py3-none-any.whl"),
                        key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"[.-]", p.name)])
    if not candidates:
        raise SystemExit(f"no moto 5.2 wheel in {wheels}")
    wheel = candidates[-1]
    scratch = CORPORA / ".moto-extract"
    shutil.rmtree(scratch, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(scratch, members=[n for n in archive.namelist() if n.startswith("moto/")])
    shutil.rmtree(target, ignore_errors=True)
    (scratch / "moto").rename(target)
    shutil.rmtree(scratch)
    stamp.write_text(json.dumps({"wheel": wheel.name}) + "\n")
    return target


def setup_dense(seed: int) -> None:
    """(Re)generate the dense corpora when the generator or the seed changed."""
    wanted = f"{file_digest(BENCH / 'gen_dense.py')}:{seed}"
    stamp = CORPORA / "dense.stamp"
    parts = [CORPORA / "dense", CORPORA / "dense2", CORPORA / "precommit"]
    if stamp.is_file() and stamp.read_text() == wanted and all(p.is_dir() for p in parts):
        return
    gen = [sys.executable, str(BENCH / "gen_dense.py"), "--seed", str(seed)]
    for extra in (["--out", str(parts[0])],
                  ["--out", str(parts[1]), "--copies", "2", "--name-offset", "1"],
                  ["--out", str(parts[2]), "--precommit"]):
        log("setup: " + sh(gen + extra).stdout.strip().replace("\n", "; "))
    stamp.write_text(wanted)


def setup_monorepo(seed: int) -> None:
    """(Re)generate the monorepo (bench/gen_monorepo.py) when the generator or the seed changed."""
    wanted = f"{file_digest(BENCH / 'gen_monorepo.py')}:{seed}"
    stamp = CORPORA / "monorepo.stamp"
    if stamp.is_file() and stamp.read_text() == wanted and (CORPORA / "monorepo").is_dir():
        return
    gen = [sys.executable, str(BENCH / "gen_monorepo.py"), "--seed", str(seed), "--out", str(CORPORA / "monorepo")]
    log("setup: " + sh(gen).stdout.strip())
    stamp.write_text(wanted)




def machine() -> dict[str, object]:
    info: dict[str, object] = {"cores": os.cpu_count(), "python": platform.python_version(),
                               "platform": platform.platform()}
    try:
        info["usable_cores"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["ram_gib"] = round(int(line.split()[1]) / 2**20, 1)
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def versions(dynolint_cmd: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    probe = ("import importlib.metadata as m\n"
             "for name in ('dynolint', 'libcst'):\n"
             "    print(name, m.version(name))")
    python = dynolint_python(dynolint_cmd)
    try:
        for line in sh([python, "-c", probe]).stdout.splitlines():
            name, version = line.split()
            found[name] = version
    except (subprocess.CalledProcessError, ValueError, OSError):
        pass
    for tool in ("ruff", "bandit"):
        try:
            out = sh([str(tools_bin(tool)), "--version"]).stdout.splitlines()[0]
            found[tool] = out.split()[1] if len(out.split()) > 1 else out
        except (subprocess.CalledProcessError, OSError, IndexError):
            pass
    try:
        found["moto"] = json.loads((CORPORA / "moto.json").read_text())["wheel"].split("-")[1]
    except (OSError, ValueError, KeyError, IndexError):
        pass
    try:
        commit = sh(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).stdout.strip()
        dirty = sh(["git", "status", "--porcelain", "--", "dynolint"], cwd=ROOT).stdout.strip()
        found["git"] = commit + ("+dirty" if dirty else "")
    except (subprocess.CalledProcessError, OSError):
        pass
    return found


def sources_digest() -> str:
    """Of dynolint's own sources: a change during the run makes the rows incomparable."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "dynolint").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            pass
    return digest.hexdigest()[:16]


def dynolint_features(dynolint_cmd: list[str]) -> dict[str, bool]:
    try:
        out = subprocess.run(dynolint_cmd + ["check", "--help"], cwd=ROOT, text=True, capture_output=True)
    except OSError as exc:
        raise SystemExit(f"cannot run dynolint as {' '.join(dynolint_cmd)!r}: {exc} (run `make test` or "
                         "`make demo` first to create .venv)") from None
    if out.returncode != 0:
        raise SystemExit(f"`{' '.join(dynolint_cmd)} check --help` failed:\n{out.stderr}")
    text = out.stdout
    return {flag: re.search(rf"(?<![\w-]){re.escape(flag)}\b", text) is not None
            for flag in ("--no-cache", "--jobs")}


# ------------------------------------------------------------------------------------------
# sections 1-5 (6 below; 7 and 8 in bench/connected.py)
# ------------------------------------------------------------------------------------------







def dynolint_warm_row(bench: Bench, prefix: str, target: str, cwd: Path, features: dict[str, bool],
                      dyn: list[str], runs: int) -> None:
    """dynolint warm on ``target``: the cache primed by one run first."""
    base = dyn + ["check", "--output-format", "json", "--exit-zero"]
    where = (cwd, cwd / target)
    label = "dynolint warm (cache primed)"
    if not features["--no-cache"]:
        bench.skip(f"{prefix}.warm", label, "dynolint has no cache yet (no --no-cache in `check --help`)")
        return
    clear_caches(*where)
    findings_path = CORPORA / "out" / f"{prefix}-findings.json"
    findings_path.parent.mkdir(exist_ok=True)
    log(f"  {label}: priming the cache")
    prime = run_once(base + [target], cwd, bench.timeout, stdout_path=findings_path)
    if prime.timed_out or prime.returncode != 0:
        row = bench.skip(f"{prefix}.warm", label, f"priming run exited {prime.returncode}")
        if prime.timed_out:
            row.time_out(bench.timeout, "priming run ")
        else:
            row.error = True
        return
    row = bench.measure(f"{prefix}.warm", label, base + [target], cwd, runs)
    try:
        row.findings = len(json.loads(findings_path.read_text()))
    except (OSError, ValueError, TypeError):
        pass


def section_real(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    runs = bench.args.runs
    log("section 1: real code (moto)")
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    bench.measure_together([  # the two rows the target compares, in turns
        ("real.cold", "dynolint cold, JSON with fix edits" + (" (--no-cache)" if no_cache else ""),
         dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache, "moto"],
         lambda: clear_caches(CORPORA, CORPORA / "moto")),
        ("real.ruff", "ruff check --no-cache --select ALL",
         [str(tools_bin("ruff")), "check", "--no-cache", "--select", "ALL", "moto"], None, (0, 1)),
    ], CORPORA, runs)
    note_no_cache(bench, features, "real.cold")
    dynolint_warm_row(bench, "real", "moto", CORPORA, features, dyn, runs)
    bench.measure("real.bandit", "bandit -r -q", [str(tools_bin("bandit")), "-r", "moto", "-q"],
                  CORPORA, runs, ok_codes=(0, 1))
    bench.measure("real.libcst", 'python -c "import libcst"', [dynolint_python(dyn), "-c", "import libcst"],
                  CORPORA, max(runs, QUICK_RUNS))
    rows = bench.rows
    ruff = rows["real.ruff"].wall
    cold, warm, bandit = rows["real.cold"].wall, rows["real.warm"].wall, rows["real.bandit"].wall
    bench.check("real.cold", "dynolint cold ÷ ruff", cold / ruff if cold and ruff else None, "<=", 1.0, " × ruff",
                "1.0 × ruff")
    bench.check("real.warm", "dynolint warm ÷ ruff (cold)", warm / ruff if warm and ruff else None, "<=", 0.2,
                " × ruff", "0.2 × ruff cold")
    bench.check("real.bandit", "bandit ÷ dynolint cold (how much faster)",
                bandit / cold if bandit and cold else None, ">=", 20.0, " ×", "20 ×")
    peaks = [r.rss_mb for r in (rows["real.cold"], rows["real.warm"]) if r.rss_mb is not None]
    bench.check("real.rss", "dynolint peak RSS (cold and warm)", max(peaks) if peaks else None, "<", 200.0, " MB",
                "200 MB")


def section_dense(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    runs = bench.args.runs
    jobs = os.cpu_count() or 1
    log("section 2: DynamoDB-dense code")
    python = dynolint_python(dyn)
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    clear = lambda: clear_caches(CORPORA, CORPORA / "dense")  # noqa: E731
    # dynolint cold (JSON with every fix rendered as edits, and the default text report) and
    # the parse-only floor, in turns
    bench.measure_together([
        ("dense.cold", "dynolint cold, JSON with fix edits" + (" (--no-cache)" if no_cache else ""),
         dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache, "dense"], clear),
        ("dense.text", "dynolint cold, text report (fixes rendered for the [*] marks)",
         dyn + ["check", "--exit-zero", *no_cache, "dense"], clear),
        ("dense.parse", f"libcst.parse_module only ({jobs} processes)",
         [python, str(BENCH / "parse_only.py"), "dense", "--jobs", str(jobs)], None),
    ], CORPORA, runs)
    note_no_cache(bench, features, "dense.cold", "dense.text")
    parse = bench.rows["dense.parse"].wall
    for key, what in (("dense.cold", "dynolint cold ÷ parse-only"), ("dense.text", "dynolint cold (text) ÷ parse-only")):
        wall = bench.rows[key].wall
        bench.check(key, what, wall / parse if wall and parse else None, "<=", 2.0, " × parse", "2.0 × parse")
    dynolint_warm_row(bench, "dense", "dense", CORPORA, features, dyn, runs)


def section_precommit(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    runs = max(bench.args.runs, QUICK_RUNS)
    log("section 3: pre-commit latency")
    cwd = CORPORA / "precommit"
    base = dyn + ["check", "--output-format", "json", "--exit-zero"]
    base += ["--no-cache"] if features["--no-cache"] else []
    for key, name, target in (("precommit.ddb", "ddb_handler.py", 0.400),
                              ("precommit.plain", "plain_report.py", 0.080)):
        lines = (cwd / name).read_bytes().count(b"\n")
        what = "uses DynamoDB" if key.endswith("ddb") else "no DynamoDB, tenants or /tmp"
        bench.measure(key, f"dynolint check {name} ({lines} lines, {what})", base + [name], cwd, runs,
                      before=lambda: clear_caches(cwd))
        bench.check(key, f"{name}: whole process", bench.rows[key].wall, "<", target, " s",
                    f"{target * 1000:.0f} ms")


def section_scaling(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    runs = bench.args.runs
    log("section 4: scaling")
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    base = dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache]
    specs: list[tuple[str, str, list[str], object]] = [
        ("scale.single", "dynolint cold, dense corpus (in turns with the two rows below)", base + ["dense"],
         lambda: clear_caches(CORPORA, CORPORA / "dense")),
        ("double.cold", "dynolint cold, doubled corpus" + (" (--no-cache)" if no_cache else ""), base + ["dense2"],
         lambda: clear_caches(CORPORA, CORPORA / "dense2")),
    ]
    label = "dynolint cold --jobs 1, dense corpus"
    if features["--jobs"]:
        specs.append(("jobs1.cold", label, base + ["--jobs", "1", "dense"],
                      lambda: clear_caches(CORPORA, CORPORA / "dense")))
    bench.measure_together(specs, CORPORA, runs)
    note_no_cache(bench, features, *(spec[0] for spec in specs))
    single, double = bench.rows["scale.single"].wall, bench.rows["double.cold"].wall
    bench.check("double.cold", "doubled ÷ single (cold)", double / single if single and double else None,
                "<=", 2.1, " ×", "2.1 ×")
    if not features["--jobs"]:
        bench.skip("jobs1.cold", label, "dynolint has no --jobs yet (not in `check --help`)")
        bench.check("jobs1.cold", "speedup of the default jobs over --jobs 1", None, ">=", 1.7, " ×", "1.7 ×")
        return
    one = bench.rows["jobs1.cold"].wall
    note = "" if (os.cpu_count() or 1) >= 2 else " (one core: no speedup possible)"
    bench.check("jobs1.cold", "speedup of the default jobs over --jobs 1" + note,
                one / single if one and single else None, ">=", 1.7, " ×", "1.7 ×")


MONOREPO_TOUCHED = "services/svc150/src/svc150/handler_0.py"  # one handler of a sub-project in the middle


def section_monorepo(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    runs = bench.args.runs
    log("section 5: a monorepo of 300 sub-projects, each with its own .gitignore (issue 13)")
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    bench.measure_together([
        ("mono.cold", "dynolint cold" + (" (--no-cache)" if no_cache else ""),
         dyn + ["check", "--output-format", "json", "--exit-zero", *no_cache, "monorepo"],
         lambda: clear_caches(CORPORA, CORPORA / "monorepo")),
        ("mono.ruff", "ruff check --no-cache --select ALL",
         [str(tools_bin("ruff")), "check", "--no-cache", "--select", "ALL", "monorepo"], None, (0, 1)),
    ], CORPORA, runs)
    note_no_cache(bench, features, "mono.cold")
    cold, ruff = bench.rows["mono.cold"].wall, bench.rows["mono.ruff"].wall
    bench.check("mono.cold", "dynolint cold ÷ ruff", cold / ruff if cold and ruff else None, "<=", 1.0, " × ruff",
                "1.0 × ruff")
    connected.touched_rows(bench, "mono", CORPORA / "monorepo", MONOREPO_TOUCHED, dyn, runs, "mono.ruff")


# ------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------

def fmt_wall(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def render(bench: Bench) -> str:
    rows, facts = bench.rows, bench.facts
    checks = {c["key"]: c for c in bench.checks}
    out = ["| measurement | wall s | peak RSS MB | ratio | target | result |",
           "|---|---:|---:|---:|---|---|"]

    def line(row: Row | None, ratio: str = "", check_key: str | None = None) -> None:
        if row is None:
            return
        c = checks.get(check_key or row.key)
        target, result = (c["target_text"], f"**{c['result']}**" + (f": {c['note']}" if c.get("note") else "")) \
            if c else ("", "")
        label = row.label + (f", {row.findings:,} findings" if row.findings is not None else "")
        if row.timed_out is not None:
            result = f"**MISS**: {row.note}"
        elif row.error:
            result = f"ERROR: {row.note}"
        elif not row.runs:
            result = f"skipped: {row.note}" + (f" — {c['result']}" if c else "")
        elif row.note:
            label += " ¹" if "cache directory removed" in row.note else f" ({row.note})"
        rss = f"{row.rss_mb:.0f}" if row.rss_mb is not None else "—"
        wall = f"> {row.timed_out:.0f}" if row.timed_out is not None else fmt_wall(row.wall)
        out.append(f"| {label} | {wall} | {rss} | {ratio} | {target} | {result} |")

    def derived(key: str, label: str) -> None:
        c = checks.get(key)
        if c is None:
            return
        value = c["value"]
        shown = "—" if value is None else fmt_ratio(value) + str(c["unit"])
        note = f": {c['note']}" if c.get("note") else ""
        out.append(f"| → {label} | | | {shown} | {c['target_text']} | **{c['result']}**{note} |")

    def ratio_to(row_key: str, base_key: str, unit: str) -> str:
        a, b = rows.get(row_key), rows.get(base_key)
        if a is None or b is None or a.wall is None or b.wall is None:
            return "—"
        return f"{fmt_ratio(a.wall / b.wall)} {unit}"

    if "real.ruff" in rows:
        m = facts.get("moto", {})
        out.append(f"| **1. Real code:** moto {facts.get('versions', {}).get('moto', '5.2')} `moto/` "
                   f"({m.get('files', 0):,} files, {m.get('lines', 0):,} lines, {m.get('bytes', 0) / 1e6:.1f} MB) "
                   "| | | ratio to ruff | | |")
        line(rows.get("real.cold"), ratio_to("real.cold", "real.ruff", "× ruff"))
        line(rows.get("real.warm"), ratio_to("real.warm", "real.ruff", "× ruff"))
        line(rows.get("real.ruff"), ratio_to("real.ruff", "real.ruff", "× ruff"), check_key="-")
        line(rows.get("real.bandit"), ratio_to("real.bandit", "real.ruff", "× ruff"), check_key="-")
        line(rows.get("real.libcst"), ratio_to("real.libcst", "real.ruff", "× ruff"), check_key="-")
        derived("real.bandit", "bandit ÷ dynolint cold (dynolint's speedup over bandit)")
        derived("real.rss", "dynolint peak RSS, cold and warm")
    if "dense.parse" in rows:
        d = facts.get("dense", {})
        out.append(f"| **2. DynamoDB-dense code:** generated ({d.get('files', 0):,} modules, "
                   f"{d.get('lines', 0):,} lines, {d.get('bytes', 0) / 1e6:.1f} MB) | | | ratio to parse-only | | |")
        line(rows.get("dense.cold"), ratio_to("dense.cold", "dense.parse", "× parse"))
        if "dense.text" in rows:
            line(rows.get("dense.text"), ratio_to("dense.text", "dense.parse", "× parse"))
        line(rows.get("dense.warm"), ratio_to("dense.warm", "dense.parse", "× parse"), check_key="-")
        line(rows.get("dense.parse"), "1.00 × parse", check_key="-")
    if "precommit.ddb" in rows:
        out.append("| **3. Pre-commit latency:** `dynolint check FILE`, the whole process | | | | | |")
        line(rows.get("precommit.ddb"))
        line(rows.get("precommit.plain"))
    if "double.cold" in rows:
        d2 = facts.get("dense2", {})
        out.append(f"| **4. Scaling:** the dense corpus doubled ({d2.get('files', 0):,} modules, "
                   f"{d2.get('lines', 0):,} lines) and `--jobs 1` | | | | | |")
        line(rows.get("scale.single"), "1.00 × single", check_key="-")
        line(rows.get("double.cold"), ratio_to("double.cold", "scale.single", "× single"))
        jobs1, default = rows.get("jobs1.cold"), rows.get("scale.single")
        speedup = (f"speedup {fmt_ratio(jobs1.wall / default.wall)} ×" if jobs1 and default and jobs1.wall
                   and default.wall else "—")
        line(jobs1, speedup)
    if "mono.ruff" in rows:
        mono = facts.get("monorepo", {})
        out.append(f"| **5. Monorepo:** generated, 300 sub-projects with a `.gitignore` each "
                   f"({mono.get('files', 0):,} Python files, some ignored) | | | ratio to ruff | | |")
        line(rows.get("mono.cold"), ratio_to("mono.cold", "mono.ruff", "× ruff"))
        line(rows.get("mono.ruff"), "1.00 × ruff", check_key="-")
        line(rows.get("mono.touched"), ratio_to("mono.touched", "mono.ruff", "× ruff"))
        line(rows.get("mono.hook"))
    if "site.cold" in rows:
        sp = facts.get("site-packages", {})
        out.append(f"| **6. A whole site-packages:** boto3, moto, django, sqlalchemy, pandas and their dependencies "
                   f"({sp.get('files', 0):,} files, {sp.get('lines', 0):,} lines) | | | ratio to ruff | | |")
        line(rows.get("site.cold"), ratio_to("site.cold", "site.ruff", "× ruff"), check_key="-")
        line(rows.get("site.ruff"), "1.00 × ruff", check_key="-")
        derived("site.rss", "dynolint peak RSS, whole site-packages")
        derived("site.problems", "problems dynolint reported (over --timeout or the memory budget, internal errors)")
    connected.render(out, rows, facts, line, derived, ratio_to)
    notes = []
    if any("cache directory removed" in r.note for r in rows.values()):
        notes.append("¹ dynolint has no `--no-cache` yet: any `.dynolint_cache/` is removed before each cold run.")
    return "\n".join(out) + ("\n\n" + "\n".join(notes) if notes else "") + "\n"


def header_text(bench: Bench) -> str:
    f = bench.facts
    m = f["machine"]
    v = f.get("versions", {})
    ram = f"{m.get('ram_gib', '?')} GiB RAM"
    tools = ", ".join(f"{k} {v[k]}" for k in ("dynolint", "libcst", "ruff", "bandit", "moto") if k in v)
    features = ", ".join(f"`{k}` {'yes' if ok else 'no'}" for k, ok in f["features"].items())
    return (f"Measured {f['date']} on {m['cores']} cores ({m.get('cpu', 'unknown CPU')}), {ram}, "
            f"Python {m['python']}; dynolint at {v.get('git', '?')}. {tools}.\n"
            f"Median of {bench.args.runs} run{'s' if bench.args.runs > 1 else ''} "
            f"(at least {QUICK_RUNS} for the rows of section 3 and `import libcst`); "
            f"whole-process wall time and peak RSS (process tree). dynolint flags: {features}. "
            f"Load average at the start: {f['load_average_at_start']}. "
            + ("dynolint's modules byte-compiled first, as an installed package's are. "
               if f.get("bytecode_compiled") else "")
            + 
            f"The whole benchmark took {f['elapsed_s'] / 60:.1f} min.\n"
            + ("**dynolint's sources changed during this run: its rows were measured on different code "
               "and do not compare.**\n" if f.get("sources_changed_during_run") else ""))


# ------------------------------------------------------------------------------------------

def setup_site_packages() -> Path:
    """bench/site-packages.txt and its dependencies, installed with pip --target (once per
    version of that file). The folder is named site-packages, as dynolint meets it in a venv."""
    target = CORPORA / "site-packages"
    stamp = CORPORA / "site-packages.stamp"
    wanted = file_digest(BENCH / "site-packages.txt")
    if target.is_dir() and stamp.is_file() and stamp.read_text() == wanted:
        return target
    log("setup: pip install --target bench/corpora/site-packages -r bench/site-packages.txt")
    shutil.rmtree(target, ignore_errors=True)
    sh([str(tools_bin("python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), "-r", str(BENCH / "site-packages.txt")])
    stamp.write_text(wanted)
    return target


def section_site_packages(bench: Bench, features: dict[str, bool], dyn: list[str]) -> None:
    """A whole site-packages (boto3, moto, django, sqlalchemy, pandas and their dependencies):
    it must finish within the memory budget, and report no problem: no internal error, no file
    or function over --timeout or its part of the memory budget (each is a line on stderr and
    makes the exit status 2; the row counts them); timed next to ruff on the same tree. One run
    each: it is long."""
    log("section 6: a whole site-packages")
    setup_site_packages()
    bench.facts["site-packages"] = corpus_size(CORPORA / "site-packages")
    no_cache = ["--no-cache"] if features["--no-cache"] else []
    bench.measure_together([
        ("site.cold", "dynolint cold, JSON with fix edits, whole site-packages",
         dyn + ["check", "--output-format", "json", *no_cache, "site-packages"],
         lambda: clear_caches(CORPORA, CORPORA / "site-packages"), (0, 1, 2)),
        ("site.ruff", "ruff check --no-cache --select ALL, whole site-packages",
         [str(tools_bin("ruff")), "check", "--no-cache", "--select", "ALL", "--exit-zero", "site-packages"], None),
    ], CORPORA, 1)
    row = bench.rows["site.cold"]
    bench.check("site.rss", "dynolint peak RSS, whole site-packages", row.rss_mb, "<", SITE_BUDGET_MB, " MB",
                f"{SITE_BUDGET_MB:g} MB (the default --max-memory)", needs=("site.cold",))
    problems = [line for run in row.runs for line in run.stderr.splitlines() if _PROBLEM.search(line)]
    for line in problems[:20]:
        log("  problem: " + line)
    bench.check("site.problems", "problems dynolint reported (timed out, over the memory budget, internal errors)",
                len(problems) if row.ok else None, "<=", 0, needs=("site.cold",))


# the whole run, workers included: dynolint's default --max-memory here (a worker per CPU)
SITE_BUDGET_MB = float(default_mb(os.cpu_count() or 1))
# a line of dynolint's stderr that says part of the code was not analysed
_PROBLEM = re.compile(r"timed out after|memory budget|internal error|not analysed")
SECTIONS = {"1": section_real, "2": section_dense, "3": section_precommit, "4": section_scaling,
            "5": section_monorepo, "6": section_site_packages, "7": connected.section_connected,
            "8": connected.section_self}
DEFAULT_SECTIONS = "1,2,3,4,5,7,8"
TIMEOUTS = {"6": 3600.0}  # seconds per run, by section; the others: DEFAULT_TIMEOUT
DEFAULT_TIMEOUT = 300.0
CORPUS_NAMES = ("moto", "dense", "dense2", "monorepo", "connected", "connected2", "self")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dynolint's speed benchmark (issue 6).")
    parser.add_argument("--runs", type=int, default=5, help="runs per row; the median is shown (default 5)")
    parser.add_argument("--sections", default=DEFAULT_SECTIONS,
                        help=f"which sections to run, each alone or several (default {DEFAULT_SECTIONS}; 6, a whole "
                             "site-packages, is long and asked for by name)")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of the generated corpora")
    parser.add_argument("--timeout", type=float, default=None,
                        help=f"seconds before one run is killed and its row recorded as a MISS (default "
                             f"{DEFAULT_TIMEOUT:g}; {TIMEOUTS['6']:g} in section 6)")
    parser.add_argument("--dynolint", default=f"{ROOT / '.venv' / 'bin' / 'python'} -m dynolint",
                        help="the command that runs dynolint (default: the project venv's python -m dynolint)")
    parser.add_argument("--json", metavar="PATH", help="also write the raw results as JSON ('-': stdout)")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/results/latest.{md,json}")
    parser.add_argument("--setup-only", action="store_true", help="fetch and generate the corpora, then stop")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}: choose from {', '.join(SECTIONS)}")

    def interrupted(signum, frame):  # SIGTERM (and SIGINT, even where a shell ignored it): stop cleanly
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    started = time.perf_counter()
    CORPORA.mkdir(parents=True, exist_ok=True)
    setup_tools()
    compiled = compile_dynolint()
    if "1" in sections or args.setup_only:
        setup_moto()
    if set(sections) & {"2", "3", "4"} or args.setup_only:
        setup_dense(args.seed)
    if "5" in sections or args.setup_only:
        setup_monorepo(args.seed)
    if "7" in sections or args.setup_only:
        connected.setup_connected(args.seed)
    if "8" in sections or args.setup_only:
        connected.setup_self()
    bench = Bench(args)
    dyn = shlex.split(args.dynolint)
    bench.facts.update({
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "versions": versions(dyn), "features": dynolint_features(dyn),
        **{name: corpus_size(CORPORA / name) for name in CORPUS_NAMES if (CORPORA / name).is_dir()},
        "sources_digest": sources_digest(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "bytecode_compiled": compiled,
    })
    if bench.facts["load_average_at_start"] > 0.5:
        log(f"warning: load average {bench.facts['load_average_at_start']}: other work on this machine "
            "will slow the measurements down")
    log("corpora: " + ", ".join(f"{name} {bench.facts[name]}" for name in CORPUS_NAMES if name in bench.facts))
    log(f"dynolint features: {bench.facts['features']}")
    if args.setup_only:
        return 0
    try:
        for section in sections:
            bench.timeout = args.timeout if args.timeout is not None else TIMEOUTS.get(section, DEFAULT_TIMEOUT)
            SECTIONS[section](bench, bench.facts["features"], dyn)
    except KeyboardInterrupt:
        log("interrupted: the table below has what was measured so far")
    bench.facts["elapsed_s"] = time.perf_counter() - started
    bench.facts["sources_changed_during_run"] = sources_digest() != bench.facts["sources_digest"]
    if bench.facts["sources_changed_during_run"]:
        log("warning: dynolint's sources changed during the run: its rows were measured on different code")

    table = render(bench)
    text = "## dynolint benchmark\n\n" + header_text(bench) + "\n" + table
    raw = {"facts": bench.facts, "runs_per_row": args.runs, "sections": sections,
           "rows": [row.as_json() for row in bench.rows.values()], "checks": bench.checks}
    to_stdout = sys.stderr if args.json == "-" else sys.stdout
    print("\n" + text, file=to_stdout)
    if args.json:
        payload = json.dumps(raw, indent=2, default=str) + "\n"
        if args.json == "-":
            sys.stdout.write(payload)
        else:
            Path(args.json).write_text(payload)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest.md").write_text(text)
        (RESULTS / "latest.json").write_text(json.dumps(raw, indent=2, default=str) + "\n")
        log(f"wrote {(RESULTS / 'latest.md').relative_to(ROOT)} and latest.json")
    failed = any(row.error for row in bench.rows.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
