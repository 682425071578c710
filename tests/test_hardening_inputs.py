"""Hardening: dynolint survives odd and broken source files, and odd configuration files.

The oracle for source files is CPython itself: a file that ``compile(data, path, "exec")``
accepts must be analysed like the same program written plainly (same codes at the same
lines); a file it rejects must be reported as DYN000, while the other files of the same run
are still checked. ``dynolint fix`` must keep a file's BOM, encoding and newline style.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dynolint.api import Options, check_paths
from dynolint.config import discover
from dynolint.rules import KNOWN_CODES
from tests.conftest import RACY_HANDLER, run_cli

# The plain program: DYN101 on line 6 (the put_item), column 9.
PLAIN = RACY_HANDLER
PLAIN_FINDINGS = [("DYN101", 6)]

LATIN1 = b"# -*- coding: latin-1 -*-\n" + PLAIN.replace(b'"n": 1', b'"n": 1, "note": "caf\xe9 \xe0 \xfc"')


def _mixed_newlines(data: bytes) -> bytes:
    endings = (b"\n", b"\r\n", b"\r")
    lines = data.split(b"\n")[:-1]
    return b"".join(line + endings[index % 3] for index, line in enumerate(lines))


def _tabs_and_form_feeds(data: bytes) -> bytes:
    out = []
    for line in data.split(b"\n"):
        stripped = line.lstrip(b" ")
        depth = (len(line) - len(stripped)) // 4
        prefix = b"\x0c" if depth == 0 and stripped.startswith(b"def") else b""  # a page break before the def
        out.append(prefix + b"\t" * depth + stripped)
    return b"\n".join(out)


# name -> (file contents, lines added before the plain program)
VARIANTS: dict[str, tuple[bytes, int]] = {
    "utf8_bom": (b"\xef\xbb\xbf" + PLAIN, 0),
    "bom_and_utf8_cookie": (b"\xef\xbb\xbf# -*- coding: utf-8 -*-\n" + PLAIN, 1),
    "latin1_cookie": (LATIN1, 1),
    "latin1_cookie_after_shebang": (b"#!/usr/bin/env python3\n" + LATIN1, 2),
    "crlf": (PLAIN.replace(b"\n", b"\r\n"), 0),
    "cr_only": (PLAIN.replace(b"\n", b"\r"), 0),
    "mixed_newlines": (_mixed_newlines(PLAIN), 0),
    "no_final_newline": (PLAIN.rstrip(b"\n"), 0),
    "tabs_and_form_feeds": (_tabs_and_form_feeds(PLAIN), 0),
    "form_feed_line": (PLAIN.replace(b"def handler", b"\x0c\ndef handler"), 1),
    # CPython rejects all of these:
    "nul_byte": (PLAIN + b"x = 1\x00\n", 0),
    "nul_byte_first": (b"\x00" + PLAIN, 0),
    "invalid_utf8": (PLAIN + b"s = '\xff\xfe'\n", 0),
    "utf8_surrogate_bytes": (PLAIN + b"s = '\xed\xa0\x80'\n", 0),
    "latin1_bytes_without_cookie": (PLAIN + b"s = 'caf\xe9'\n", 0),
    "latin1_cookie_too_late": (b"#!/usr/bin/env python3\n\n# coding: latin-1\n" + PLAIN + b"s = '\xe9'\n", 3),
    "bom_with_latin1_cookie": (b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + PLAIN, 1),
    "unknown_encoding_cookie": (b"# -*- coding: no-such-codec -*-\n" + PLAIN, 1),
    "python2_print": (PLAIN + b'print "x"\n', 0),
    "python2_backticks": (PLAIN + b"x = `1`\n", 0),
    "python2_octal": (PLAIN + b"x = 0777\n", 0),
    "python2_long": (PLAIN + b"x = 10L\n", 0),
    "python2_not_equal": (PLAIN + b"x = 1 <> 2\n", 0),
    "unterminated_string": (PLAIN + b"x = '''abc\n", 0),
    "inconsistent_tabs": (PLAIN.replace(b"        table.put", b"\ttable.put"), 0),
}


def _compiles(data: bytes) -> bool:
    try:
        compile(data, "variant.py", "exec")
    except (SyntaxError, ValueError):
        return False
    return True


def _run(root: Path) -> object:
    return check_paths([root], discover(root, set(KNOWN_CODES)), Options(use_cache=False))


def _by_file(result: object, name: str) -> list[tuple[str, int]]:
    return sorted((f.code, f.line) for f in result.findings if Path(f.path).name == name)  # type: ignore[attr-defined]


@pytest.fixture(params=["default", "multi-tenant"])
def tree(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A project directory; "multi-tenant" makes every file go through the parser (the byte
    prefilter would skip files with no DynamoDB code, like an empty file)."""
    if request.param == "multi-tenant":
        (tmp_path / "dynolint.toml").write_text("multi-tenant = true\n")
    return tmp_path


def test_the_plain_program_has_the_expected_finding(tree: Path) -> None:
    (tree / "plain.py").write_bytes(PLAIN)
    result = _run(tree)
    assert _by_file(result, "plain.py") == PLAIN_FINDINGS
    assert result.errors == []


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_matches_cpython(tree: Path, name: str) -> None:
    data, offset = VARIANTS[name]
    (tree / "plain.py").write_bytes(PLAIN)
    (tree / "variant.py").write_bytes(data)
    result = _run(tree)
    assert result.errors == []
    assert _by_file(result, "plain.py") == PLAIN_FINDINGS, "the other file of the run must still be checked"
    got = _by_file(result, "variant.py")
    if _compiles(data):
        assert got == [(code, line + offset) for code, line in PLAIN_FINDINGS], (name, got)
    else:
        assert [code for code, _ in got] == ["DYN000"], (name, got)


# Files every Python 3 rejects at compile time although they parse (the checks CPython makes
# after parsing). LibCST accepts them, so dynolint analyses them instead of reporting DYN000.
COMPILE_ONLY_ERRORS = {
    "return_outside_function": PLAIN + b"return 1\n",
    "yield_outside_function": PLAIN + b"yield 1\n",
    "break_outside_loop": PLAIN + b"break\n",
    "non_ascii_bytes_literal": PLAIN + "x = b'caf\u00e9'\n".encode(),
    "bad_named_unicode_escape": PLAIN + b"x = '\\N{NO SUCH NAME}'\n",
    "truncated_unicode_escape": PLAIN + b"x = '\\u12'\n",
    "duplicate_argument": PLAIN + b"def f(a, a):\n    pass\n",
    "nonlocal_at_module_level": PLAIN + b"nonlocal x\n",
    "late_future_import": PLAIN + b"from __future__ import annotations\n",
}


@pytest.mark.parametrize("name", sorted(COMPILE_ONLY_ERRORS))
def test_files_cpython_rejects_after_parsing_are_dyn000(tmp_path: Path, name: str) -> None:
    data = COMPILE_ONLY_ERRORS[name]
    assert not _compiles(data)
    (tmp_path / "variant.py").write_bytes(data)
    assert [code for code, _ in _by_file(_run(tmp_path), "variant.py")] == ["DYN000"]


@pytest.mark.parametrize("name", ["utf8_bom", "latin1_cookie", "crlf", "cr_only", "mixed_newlines"])
def test_columns_are_unchanged_by_encoding_and_newlines(tmp_path: Path, name: str) -> None:
    (tmp_path / "plain.py").write_bytes(PLAIN)
    (tmp_path / "variant.py").write_bytes(VARIANTS[name][0])
    result = _run(tmp_path)
    spans = {Path(f.path).name: (f.column, f.end_line - f.line, f.end_column) for f in result.findings}
    assert spans["plain.py"] == (9, 0, 57)
    # columns count code points: the latin-1 call is longer by ', "note": "café à ü"' (20 of them, 23 bytes)
    wider = len(', "note": "caf\xe9 \xe0 \xfc"') if name == "latin1_cookie" else 0
    assert spans["variant.py"] == (9, 0, 57 + wider)


@pytest.mark.parametrize("data", [b"", b"# only a comment\n", b"# one\r\n\r\n# two", b"\xef\xbb\xbf", b"\n\n\n"],
                         ids=["empty", "comment", "crlf-comments", "only-bom", "blank-lines"])
def test_files_with_no_code_are_parsed_and_give_nothing(tree: Path, data: bytes) -> None:
    assert _compiles(data)
    (tree / "plain.py").write_bytes(PLAIN)
    (tree / "nothing.py").write_bytes(data)
    result = _run(tree)
    assert result.errors == []
    assert _by_file(result, "nothing.py") == []
    assert _by_file(result, "plain.py") == PLAIN_FINDINGS
    if (tree / "dynolint.toml").exists():  # every file was parsed, this one included
        assert any(path.endswith("nothing.py") and summary.error is None
                   for path, summary in result.summaries.items())  # type: ignore[attr-defined]


def test_python2_syntax_error_points_at_the_line(tmp_path: Path) -> None:
    (tmp_path / "old.py").write_bytes(VARIANTS["python2_print"][0])
    [finding] = _run(tmp_path).findings
    assert (finding.code, finding.line) == ("DYN000", 7)


def test_exit_status_and_json_over_a_tree_of_odd_files(tmp_path: Path) -> None:
    for name, (data, _) in VARIANTS.items():
        (tmp_path / f"{name}.py").write_bytes(data)
    proc = run_cli("check", "--no-cache", "--output-format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    found = {(Path(f["path"]).stem, f["code"]) for f in json.loads(proc.stdout)}
    for name, (data, _) in VARIANTS.items():
        expected = "DYN101" if _compiles(data) else "DYN000"
        assert {code for stem, code in found if stem == name} == {expected}, name


def test_exit_status_zero_for_clean_odd_files_and_one_for_an_unparsable_one(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf# nothing\r\n")
    (tmp_path / "dynolint.toml").write_text("multi-tenant = true\n")
    clean = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (tmp_path / "nul.py").write_bytes(VARIANTS["nul_byte"][0])
    broken = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert broken.returncode == 1
    assert broken.stdout.startswith("nul.py:") and " DYN000 " in broken.stdout
    assert "Traceback" not in broken.stderr


def test_unparsable_source_on_stdin(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "dynolint", "check", "--no-cache", "--output-format", "json",
                           "-", "--stdin-filename", "h.py"], cwd=tmp_path, input=VARIANTS["invalid_utf8"][0],
                          capture_output=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert [f["code"] for f in json.loads(proc.stdout)] == ["DYN000"]


# ---------------------------------------------------------------------------------------
# dynolint fix keeps the BOM, the encoding and the newlines

MULTILINE = PLAIN.replace(b'        table.put_item(Item={"pk": event["id"], "n": 1})\n',
                          b'        table.put_item(\n            Item={"pk": event["id"], "n": 1},\n        )\n')

FIX_CASES = {
    "bom": b"\xef\xbb\xbf" + PLAIN,
    "bom_multiline": b"\xef\xbb\xbf" + MULTILINE,
    "latin1": LATIN1,
    "latin1_multiline": b"# -*- coding: latin-1 -*-\n" + MULTILINE + b"NOTE = 'd\xe9j\xe0 vu'\n",
    "crlf": PLAIN.replace(b"\n", b"\r\n"),
    "crlf_multiline": MULTILINE.replace(b"\n", b"\r\n"),
}


def _newlines(data: bytes) -> tuple[int, int, int]:
    crlf = data.count(b"\r\n")
    return crlf, data.count(b"\n") - crlf, data.count(b"\r") - crlf


@pytest.mark.parametrize("name", sorted(FIX_CASES))
def test_fix_keeps_bom_encoding_and_newlines(tmp_path: Path, name: str) -> None:
    original = FIX_CASES[name]
    target = tmp_path / "handler.py"
    target.write_bytes(original)
    first = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    fixed = target.read_bytes()
    assert fixed != original and b"ConditionExpression" in fixed
    compile(fixed, "handler.py", "exec")
    if name.startswith("bom"):
        assert fixed.startswith(b"\xef\xbb\xbf") and not fixed[3:].startswith(b"\xef\xbb\xbf")
        fixed[3:].decode("utf-8")
    if name.startswith("latin1"):
        assert fixed.startswith(b"# -*- coding: latin-1 -*-\n")
        # the non-ASCII text is still written in latin-1 (not re-encoded as UTF-8)
        non_ascii = re.findall(rb"'[^'\n]*[\x80-\xff][^'\n]*'|\"[^\"\n]*[\x80-\xff][^\"\n]*\"", original)
        assert non_ascii and all(word in fixed for word in non_ascii)
        assert b"\xc3" not in fixed
    crlf, lf, cr = _newlines(fixed)
    if name.startswith("crlf"):
        assert crlf > 0 and lf == 0 and cr == 0, (crlf, lf, cr)
    else:
        assert crlf == 0 and cr == 0 and lf > 0
    assert [(f["code"]) for f in json.loads(run_cli("check", "--no-cache", "--output-format", "json", ".",
                                                     cwd=tmp_path).stdout)] == []
    second = run_cli("fix", "--unsafe-fixes", "--no-cache", ".", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert target.read_bytes() == fixed


# ---------------------------------------------------------------------------------------
# Configuration files (test_cli.py covers an unknown key, a string select, an unknown code in
# select, a malformed pyproject.toml and a non-boolean flag): the rest of the ways a
# configuration can be wrong, each exit status 2 with a message naming the file and the key.

CONFIG_ERRORS = {
    # dynolint.toml keys have no "tool.dynolint." prefix
    "dynolint.toml": [
        (b'select = ["DYN1", 3]\n', "select", "list of strings"),
        (b'select = [""]\n', "select", "unknown rule code"),
        (b'extend-select = ["XYZ9"]\n', "extend-select", "unknown rule code"),
        (b'ignore = ["DYN101 "]\n', "ignore", "unknown rule code"),
        (b'exclude = "build"\n', "exclude", "list of strings"),
        (b'extend-exclude = [1]\n', "extend-exclude", "list of strings"),
        (b'per-file-ignores = ["DYN1"]\n', "per-file-ignores", "table"),
        (b'per-file-ignores = {"legacy/*" = ["NOPE"]}\n', "per-file-ignores.legacy/*", "unknown rule code"),
        (b'per-file-ignores = {"legacy/*" = "DYN1"}\n', "per-file-ignores.legacy/*", "list of strings"),
        (b"tables = 3\n", "tables", "table"),
        (b"tables = {orders = 3}\n", "tables.orders", "table"),
        (b'tables = {orders = {partition-key = ""}}\n', "tables.orders.partition-key", "non-empty string"),
        (b"tables = {orders = {sort-key = 1}}\n", "tables.orders.sort-key", "non-empty string"),
        (b'tenant-isolation = {"a/*" = "both"}\n', "tenant-isolation.a/*", "per-tenant"),
        (b'tenant-isolation = "per-tenant"\n', "tenant-isolation", "table"),
        (b"include-tests = 1\n", "include-tests", "true or false"),
        (b'select = ["DYN1"\n', None, "malformed TOML"),
        (b'select = ["DYN1"]\nselect = ["DYN2"]\n', None, "malformed TOML"),
        (b'select = ["DYN1"]\n\xff\xfe = 1\n', None, "not UTF-8"),
    ],
    "pyproject.toml": [
        (b"[tool]\ndynolint = 3\n", "tool.dynolint", "table"),
        (b'[tool.dynolint]\nignore = ["DYN101"]\nname = "caf\xe9"\n', None, "not UTF-8"),
        (b'[tool.dynolint]\nper-file-ignores = {"a.py" = ["D0"]}\n', "tool.dynolint.per-file-ignores.a.py",
         "unknown rule code"),
        (b'[tool.dynolint.tenant-isolation]\n"x/*" = 1\n', "tool.dynolint.tenant-isolation.x/*", "per-tenant"),
    ],
}


@pytest.mark.parametrize("file_name,text,key,problem", [
    pytest.param(file, *case, id=f"{file}-{case[1] or case[2]}-{index}")
    for file, cases in CONFIG_ERRORS.items() for index, case in enumerate(cases)])
def test_config_errors_name_the_file_and_the_key(tmp_path: Path, file_name: str, text: bytes, key: str | None,
                                                 problem: str) -> None:
    (tmp_path / "handler.py").write_bytes(PLAIN)
    (tmp_path / "report.py").write_text("def total(rows):\n    return sum(rows)\n")
    (tmp_path / file_name).write_bytes(text)
    # a directory, a file with DynamoDB code, and a file the pre-commit fast path answers alone
    for args in ([], ["handler.py"], ["report.py"]):
        proc = run_cli("check", "--no-cache", *args, cwd=tmp_path)
        assert proc.returncode == 2, (text, args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        [message] = [line for line in proc.stderr.splitlines() if line.startswith("dynolint: error: ")]
        assert f"{tmp_path / file_name}: " in message, message
        if key is not None:
            assert f": {key}: " in message, message
        assert problem in message, message


def test_config_given_with_config_that_does_not_exist_or_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_bytes(PLAIN)
    missing = run_cli("check", "--config", "nope.toml", ".", cwd=tmp_path)
    assert missing.returncode == 2 and "nope.toml" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "custom.toml").write_bytes(b"select = ['DYN1']\n# caf\xe9\n")
    bad = run_cli("check", "--config", "custom.toml", ".", cwd=tmp_path)
    assert bad.returncode == 2 and "custom.toml" in bad.stderr and "not UTF-8" in bad.stderr
    assert "line 2" in bad.stderr
