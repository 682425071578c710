"""The command line, as users meet it: formats, exit status, stdin, config, suppression,
file discovery and DYN000."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RACY_HANDLER, cli_json, run_cli, write_project

RACY = '''import boto3
table = boto3.resource("dynamodb").Table("notes")


def rename(note_id, title):
    note = table.get_item(Key={"pk": note_id})["Item"]
    note["title"] = title
    table.put_item(Item=note)
'''


def test_text_output_and_exit_status(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    proc = run_cli("check", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("handler.py:8:5: DYN101 ")
    clean = run_cli("check", "--select", "DYN2", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stdout == ""


def test_json_contract(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    [finding] = cli_json(tmp_path)
    assert finding["code"] == "DYN101" and finding["name"] == "unguarded-write-after-read"
    assert (finding["path"], finding["line"], finding["column"]) == ("handler.py", 8, 5)
    assert (finding["end_line"], finding["end_column"]) == (8, 30)  # one past the closing parenthesis, as ruff reports it
    assert finding["severity"] == "error" and finding["confidence"] == "high"
    assert finding["related"] == [{"path": "handler.py", "line": 6, "column": 12, "message": "item read here"}]
    assert finding["fix"] is None or finding["fix"]["applicability"] in ("safe", "unsafe")


def test_paths_relative_to_the_working_directory(tmp_path: Path) -> None:
    write_project(tmp_path, {"src/app/handler.py": RACY})
    [finding] = cli_json(tmp_path, "src")
    assert finding["path"] == "src/app/handler.py"


def test_stdin(tmp_path: Path) -> None:
    proc = run_cli("check", "--output-format", "json", "--stdin-filename", "api/h.py", "-", cwd=tmp_path, stdin=RACY)
    assert proc.returncode == 1
    assert json.loads(proc.stdout)[0]["path"] == "api/h.py"


def test_syntax_errors_are_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY, "old.py": "import boto3\nc = boto3.client('dynamodb')\nprint 'python 2'\n"})
    (tmp_path / "latin.py").write_bytes(b"import boto3\nt = boto3.resource('dynamodb').Table('x')\nx = '\xff\xfe'\n")
    codes = sorted((f["path"], f["code"]) for f in cli_json(tmp_path))
    assert codes == [("handler.py", "DYN101"), ("latin.py", "DYN000"), ("old.py", "DYN000")]


def test_files_that_cannot_matter_are_read_but_not_parsed(tmp_path: Path) -> None:
    """A file with no DynamoDB handle, tenant id, /tmp path or Lambda client, and that no
    such file needs, is skipped before parsing: even a syntax error in it goes unreported."""
    write_project(tmp_path, {"handler.py": RACY, "report.py": "def f(:\n    pass\n"})
    assert [f["path"] for f in cli_json(tmp_path)] == ["handler.py"]


def test_suppression_comments(tmp_path: Path) -> None:
    variants = [
        RACY.replace("table.put_item(Item=note)", "table.put_item(Item=note)  # dynolint: ignore[DYN101]"),
        RACY.replace("table.put_item(Item=note)", "table.put_item(Item=note)  # noqa: DYN101"),
        RACY.replace("    table.put_item(Item=note)", "    # dynolint: ignore[DYN101] -- idempotent\n    table.put_item(Item=note)"),
        RACY.replace("table.put_item(Item=note)", "table.put_item(  # dynolint: ignore\n        Item=note,\n    )"),
        RACY.replace("table.put_item(Item=note)", "table.put_item(\n        Item=note,  # dynolint: ignore[DYN1]\n    )"),
    ]
    for variant in variants:
        write_project(tmp_path, {"handler.py": variant})
        assert cli_json(tmp_path) == [], variant
    other_code = RACY.replace("table.put_item(Item=note)", "table.put_item(Item=note)  # dynolint: ignore[DYN202]")
    write_project(tmp_path, {"handler.py": other_code})
    assert [f["code"] for f in cli_json(tmp_path)] == ["DYN101"]
    in_string = RACY.replace('"notes"', '"notes  # dynolint: ignore"')
    write_project(tmp_path, {"handler.py": in_string})
    assert [f["code"] for f in cli_json(tmp_path)] == ["DYN101"]


def test_config_select_ignore_and_per_file_ignores(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY, "legacy/old.py": RACY})
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\nper-file-ignores = {"legacy/*" = ["DYN1"]}\n')
    assert [f["path"] for f in cli_json(tmp_path)] == ["handler.py"]
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\nignore = ["DYN101"]\n')
    assert cli_json(tmp_path) == []
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "dynolint.toml").write_text('select = ["DYN2", "DYN3"]\n')
    assert cli_json(tmp_path) == []


def test_config_errors_name_the_file_and_key(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    cases = {
        '[tool.dynolint]\nselcet = ["DYN1"]\n': "tool.dynolint.selcet",
        '[tool.dynolint]\nselect = "DYN1"\n': "tool.dynolint.select",
        '[tool.dynolint]\nselect = ["DYN999"]\n': "tool.dynolint.select",
        '[tool.dynolint.tables.notes]\npartition_key = "pk"\n': "tool.dynolint.tables.notes.partition_key",
        '[tool.dynolint\n': "malformed TOML",
        '[tool.dynolint]\nmulti-tenant = "yes"\n': "tool.dynolint.multi-tenant",
        '[tool.dynolint]\nisolation = "none"\n': "tool.dynolint.isolation",
    }
    for text, expected in cases.items():
        (tmp_path / "pyproject.toml").write_text(text)
        proc = run_cli("check", cwd=tmp_path)
        assert proc.returncode == 2, text
        assert "pyproject.toml" in proc.stderr and expected in proc.stderr, proc.stderr


def test_unknown_select_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("check", "--select", "XYZ1", cwd=tmp_path)
    assert proc.returncode == 2


def test_discovery_skips_excluded_ignored_and_test_files(tmp_path: Path) -> None:
    write_project(tmp_path, {
        "app/handler.py": RACY, ".venv/lib/x.py": RACY, "node_modules/y.py": RACY, "build/z.py": RACY,
        "cdk.out/a.py": RACY, "generated/gen.py": RACY, "tests/test_handler.py": RACY, "app/test_x.py": RACY,
        "app/x_test.py": RACY, "conftest.py": RACY, ".gitignore": "generated/\n",
    })
    assert [f["path"] for f in cli_json(tmp_path)] == ["app/handler.py"]
    proc = run_cli("check", "--output-format", "json", "--include-tests", ".", cwd=tmp_path)
    paths = sorted({f["path"] for f in json.loads(proc.stdout)})
    assert paths == ["app/handler.py", "app/test_x.py", "app/x_test.py", "conftest.py", "tests/test_handler.py"]


def test_rules_and_explain(tmp_path: Path) -> None:
    listing = run_cli("rules", cwd=tmp_path)
    assert listing.returncode == 0 and "DYN104" in listing.stdout and "DYN302" in listing.stdout
    data = json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)
    assert {r["code"] for r in data} >= {"DYN101", "DYN205", "DYN302"}
    text = run_cli("explain", "DYN104", cwd=tmp_path).stdout
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in text
    assert run_cli("explain", "DYN999", cwd=tmp_path).returncode == 2


def test_codes_table_matches_the_rules() -> None:
    from dynolint.codes import CODES
    from dynolint.meta import DOCUMENTED
    from dynolint.rules import REGISTRY

    assert {r.code: r.name for r in REGISTRY}.items() <= CODES.items()
    assert set(CODES) == {r.code for r in REGISTRY} | {"DYN000", "DYN001"}
    assert {getattr(d, "code", None) for d in DOCUMENTED} <= set(CODES)


def test_the_fast_path_agrees_with_the_full_run(tmp_path: Path) -> None:
    write_project(tmp_path, {"report.py": "def total(rows):\n    return sum(rows)\n", "handler.py": RACY})
    fast = run_cli("check", "report.py", cwd=tmp_path)
    assert fast.returncode == 0 and fast.stdout == ""
    assert run_cli("check", "--output-format", "json", "report.py", cwd=tmp_path).stdout == "[]\n"
    assert run_cli("check", "handler.py", cwd=tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text("[tool.dynolint]\nselect = ['NOPE']\n")
    assert run_cli("check", "report.py", cwd=tmp_path).returncode == 2


def test_the_process_ends_after_writing_everything(tmp_path: Path) -> None:
    """The CLI ends its process without the interpreter's teardown: the whole report must be
    flushed first (far more than a pipe holds), with the right exit status."""
    from tests.conftest import RACY_HANDLER

    for number in range(150):
        (tmp_path / f"handler_{number}.py").write_bytes(RACY_HANDLER)
    proc = run_cli("check", "--output-format", "json", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert len(proc.stdout) > 65536
    assert sorted(f["path"] for f in json.loads(proc.stdout)) == sorted(f"handler_{n}.py" for n in range(150))
    assert run_cli("check", "--no-cache", "--exit-zero", ".", cwd=tmp_path).returncode == 0
    assert run_cli("check", "--select", "NOPE", ".", cwd=tmp_path).returncode == 2


# ---------------------------------------------------------------------------------------
# the command line a ruff user expects: usage errors, stdin, --diff, summary


CREATE = RACY_HANDLER.decode()  # DYN101 at 6:9, with an unsafe fix (a guard: a new exception to handle)
COUNTER = '''import boto3

table = boto3.resource("dynamodb").Table("counters")


def handler(event, context):
    n = table.get_item(Key={"pk": event["id"]})["Item"]["n"] + 1
    table.update_item(
        Key={"pk": event["id"]},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":n": n},
    )
'''


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    for command in ("check", "fix"):
        proc = run_cli(command, "handler.py", "nope.py", "gone/", cwd=tmp_path)
        assert proc.returncode == 2, (command, proc.stderr)
        assert "nope.py" in proc.stderr and "gone" in proc.stderr and "no such file" in proc.stderr
        assert proc.stdout == "" and "DYN000" not in proc.stderr
    assert (tmp_path / "handler.py").read_text() == RACY
    missing_project = run_cli("check", "--project", "nowhere", "handler.py", cwd=tmp_path)
    assert missing_project.returncode == 2 and "nowhere" in missing_project.stderr


def test_a_run_that_finds_no_python_files_says_so(tmp_path: Path) -> None:
    write_project(tmp_path, {"docs/README.md": "# nothing to check\n"})
    proc = run_cli("check", "docs", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "no Python files found in docs" in proc.stderr
    assert run_cli("check", "-q", "docs", cwd=tmp_path).stderr == ""
    write_project(tmp_path, {"docs/conf.py": "VALUE = 1\n"})
    found = run_cli("check", "docs", cwd=tmp_path)
    assert "no Python files" not in found.stderr and "All checks passed (1 file checked)." in found.stderr


def test_stdin_filename_needs_source_from_stdin(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    for command in ("check", "fix"):
        proc = run_cli(command, "--stdin-filename", "h.py", "handler.py", cwd=tmp_path)
        assert proc.returncode == 2 and "--stdin-filename" in proc.stderr and "'-'" in proc.stderr, proc.stderr
        mixed = run_cli(command, "-", "handler.py", cwd=tmp_path, stdin=RACY)
        assert mixed.returncode == 2 and "stdin" in mixed.stderr


def test_an_unknown_code_names_the_option_it_came_from(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    for command in ("check", "fix"):
        for option in ("--select", "--ignore"):
            proc = run_cli(command, option, "DYN1,DYN11", ".", cwd=tmp_path)
            assert proc.returncode == 2, proc.stderr
            assert f"{option}: unknown rule code or prefix 'DYN11'; did you mean DYN101?" in proc.stderr, proc.stderr
    far = run_cli("check", "--select", "XYZ", ".", cwd=tmp_path)
    assert far.returncode == 2 and "--select" in far.stderr and "did you mean" not in far.stderr


def test_an_unknown_config_key_suggests_the_nearest_known_one(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": RACY})
    cases = {
        '[tool.dynolint]\nselcet = ["DYN1"]\n': "tool.dynolint.selcet: unknown setting; did you mean 'select'?",
        '[tool.dynolint]\nmulti_tenant = true\n': "did you mean 'multi-tenant'?",
        '[tool.dynolint.tables.notes]\npartition_key = "pk"\n': "partition_key: unknown setting; did you mean "
                                                                "'partition-key'?",
    }
    for text, expected in cases.items():
        (tmp_path / "pyproject.toml").write_text(text)
        proc = run_cli("check", ".", cwd=tmp_path)
        assert proc.returncode == 2 and expected in proc.stderr, proc.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.dynolint]\nfrobnicate = 1\n')
    unlike = run_cli("check", ".", cwd=tmp_path)
    assert unlike.returncode == 2 and "frobnicate: unknown setting" in unlike.stderr
    assert "did you mean" not in unlike.stderr


def test_rules_lists_every_code_dyn000_and_dyn001_included(tmp_path: Path) -> None:
    from dynolint.codes import CODES

    listing = run_cli("rules", cwd=tmp_path)
    assert [line.split()[0] for line in listing.stdout.splitlines()] == sorted(CODES)
    data = json.loads(run_cli("rules", "--output-format", "json", cwd=tmp_path).stdout)
    assert [(rule["code"], rule["name"]) for rule in data] == sorted(CODES.items())


def test_check_diff_prints_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    write_project(tmp_path, {"handler.py": CREATE, "counter.py": COUNTER})
    safe = run_cli("check", "--diff", ".", cwd=tmp_path)
    assert safe.returncode == 1, safe.stderr
    assert safe.stdout.startswith("--- a/counter.py\n+++ b/counter.py\n")
    assert '+        UpdateExpression="ADD #n :n",' in safe.stdout and "handler.py" not in safe.stdout
    assert "Would fix 1 finding in 1 file." in safe.stderr
    every = run_cli("check", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert every.returncode == 1 and "+++ b/handler.py" in every.stdout and "ConditionExpression" in every.stdout
    assert (tmp_path / "handler.py").read_text() == CREATE and (tmp_path / "counter.py").read_text() == COUNTER
    nothing = run_cli("check", "--diff", "--select", "DYN2", ".", cwd=tmp_path)
    assert nothing.returncode == 0 and nothing.stdout == ""
    assert run_cli("check", "--diff", "--output-format", "json", ".", cwd=tmp_path).returncode == 2


def test_fix_from_stdin_writes_the_fixed_source_to_stdout(tmp_path: Path) -> None:
    fixed = run_cli("fix", "-", "--stdin-filename", "counter.py", cwd=tmp_path, stdin=COUNTER)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout == COUNTER.replace('"SET #n = :n"', '"ADD #n :n"').replace('{":n": n}', '{":n": 1}')
    assert "Fixed 1 finding in 1 file." in fixed.stderr
    unsafe_only = run_cli("fix", "-", cwd=tmp_path, stdin=CREATE)
    assert unsafe_only.returncode == 1 and unsafe_only.stdout == CREATE  # all of it, unchanged
    assert "stdin.py:6:9: DYN101 not fixed: unsafe fix" in unsafe_only.stderr
    diff = run_cli("fix", "--diff", "--unsafe-fixes", "-", cwd=tmp_path, stdin=CREATE)
    assert diff.returncode == 1 and diff.stdout.startswith("--- a/stdin.py\n+++ b/stdin.py\n")
    remaining = run_cli("check", "--fix", "-", "--stdin-filename", "h.py", cwd=tmp_path, stdin=CREATE)
    assert remaining.returncode == 1 and remaining.stdout == CREATE
    assert "h.py:6:9: DYN101 put_item" in remaining.stderr
    guarded = run_cli("check", "--fix", "--unsafe-fixes", "-", cwd=tmp_path, stdin=CREATE)
    assert guarded.returncode == 0, guarded.stderr
    assert "ConditionExpression" in guarded.stdout and "DYN101 put_item" not in guarded.stderr
    assert list(tmp_path.glob("*.py")) == []


def test_the_summary_counts_findings_files_and_fixes(tmp_path: Path) -> None:
    two = CREATE + "\n\n" + COUNTER.split("\n", 3)[3].replace("def handler", "def bump")
    write_project(tmp_path, {"a.py": two, "b.py": COUNTER, "clean.py": "import boto3\n"})
    proc = run_cli("check", ".", cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stdout.splitlines()) == 3, proc.stdout
    assert proc.stderr.endswith("Found 3 findings in 2 files.\n[*] 2 fixable with the `--fix` option "
                                "(1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"), proc.stderr
    assert sum(" [*] " in line for line in proc.stdout.splitlines()) == 2
    # the text report and the JSON report render the same fixes: they agree
    rendered = sorted(f["fix"]["applicability"] for f in cli_json(tmp_path) if f["fix"])
    assert rendered == ["safe", "safe", "unsafe"]
    unsafe = run_cli("check", "--unsafe-fixes", ".", cwd=tmp_path)
    assert unsafe.stderr.endswith("Found 3 findings in 2 files.\n[*] 3 fixable with the `--fix` option.\n")
    assert sum(" [*] " in line for line in unsafe.stdout.splitlines()) == 3
    one = run_cli("check", "a.py", "--select", "DYN101", cwd=tmp_path)
    assert one.stderr.endswith("Found 1 finding in 1 file.\nNo fixes available (1 hidden fix can be enabled "
                               "with the `--unsafe-fixes` option).\n"), one.stderr
    assert "[*]" not in one.stdout
    clean = run_cli("check", "clean.py", cwd=tmp_path)
    assert clean.returncode == 0 and clean.stderr == "All checks passed (1 file checked).\n"
    fast = run_cli("check", "--no-cache", "clean.py", cwd=tmp_path)  # the pre-commit fast path
    assert fast.stderr == clean.stderr
    fixed = run_cli("check", "--fix", ".", cwd=tmp_path)
    assert "Fixed 2 findings in 2 files." in fixed.stderr
    assert fixed.stderr.endswith("Found 1 finding in 1 file.\nNo fixes available (1 hidden fix can be enabled "
                                 "with the `--unsafe-fixes` option).\n"), fixed.stderr
