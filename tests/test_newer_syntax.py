"""Syntax newer than a file's target is DYN000 whichever parser accepted it (probe 157,
min/target-version-newer-syntax-not-dyn000): LibCST's parser, which judges files written for a
Python newer than the running CPython, accepts every construct it knows whatever version it is
told; the running CPython's ``compile`` accepts its own syntax in a file written for an older
Python. Each feature is valid at its version and DYN000 one version below, through
``requires-python`` and through ``target-version``; the race in valid code is still found."""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import pytest

from dynolint.phase1 import newer_syntax, summarize as summarize_module, syntax
from dynolint.phase1.newer_syntax import FEATURES, candidates, too_new
from dynolint.phase1.summarize import summarize
from tests.conftest import findings_in, triples, write_project

RUNNING = sys.version_info[:2]

RACE = '''import boto3

table = boto3.resource("dynamodb").Table("orders")


def handler(event, context):
    order = table.get_item(Key={"pk": event["id"]}).get("Item")
    if order and order["status"] == "PACKED":
        table.put_item(Item={"pk": event["id"], "status": "SHIPPED"})
'''
RACE_LINE = 9

# feature -> (the first Python that accepts it, code using it: appended after the handler)
USES = {
    "match": ((3, 10), "\n\ndef kind(x):\n    match x:\n        case 1:\n            return 'one'\n"),
    "except-star": ((3, 11), "\n\ndef safe(f):\n    try:\n        f()\n    except* ValueError:\n        pass\n"),
    "type-params": ((3, 12), "\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n"),
    "type-alias": ((3, 12), "\n\ntype Key = dict[str, str]\n"),
    "fstring-quote": ((3, 12), '\n\ndef key(event):\n    return f"order#{event["id"]}"\n'),
    "fstring-backslash": ((3, 12), "\n\ndef lines(xs):\n    return f\"{'\\n'.join(xs)}\"\n"),
    "fstring-comment": ((3, 12), '\n\ndef key(event):\n    return f"""{event  # the event\n    }"""\n'),
    "type-default": ((3, 13), "\n\nclass Box[T = str]:\n    pass\n"),
    "except-tuple": ((3, 14), "\n\ndef qty(event):\n    try:\n        return int(event['q'])\n"
                              "    except KeyError, ValueError:\n        return 1\n"),
    "tstring": ((3, 14), "\n\ndef greet(name):\n    return t'hello {name}'\n"),
}


def _dotted(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _project(root: Path, how: str, target: tuple[int, int], source: str) -> Path:
    settings = ({"pyproject.toml": f'[project]\nname = "svc"\nrequires-python = ">={_dotted(target)}"\n'}
                if how == "requires-python" else
                {"dynolint.toml": f'target-version = "py{target[0]}{target[1]}"\n'})
    return write_project(root, {**settings, "handler.py": source})


@pytest.mark.parametrize("how", ["requires-python", "target-version"])
@pytest.mark.parametrize("name", list(USES))
def test_feature_is_valid_at_its_version_and_the_race_is_found(tmp_path: Path, name: str, how: str) -> None:
    version, code = USES[name]
    _project(tmp_path, how, version, RACE + code)
    assert triples(findings_in(tmp_path)) == {("handler.py", RACE_LINE, "DYN101")}


@pytest.mark.parametrize("how", ["requires-python", "target-version"])
@pytest.mark.parametrize("name", list(USES))
def test_feature_is_dyn000_one_version_below(tmp_path: Path, name: str, how: str) -> None:
    version, code = USES[name]
    below = (version[0], version[1] - 1)
    _project(tmp_path, how, below, RACE + code)
    found = findings_in(tmp_path).findings
    assert [(f.path, f.code) for f in found] == [("handler.py", "DYN000")]
    first_line = RACE.count("\n") + 3  # the line after the two blank ones
    assert first_line <= found[0].line <= first_line + 6
    if not below <= RUNNING < version:  # CPython did not refuse it: our message, with the feature and versions
        assert f"needs Python {_dotted(version)}; the project targets {_dotted(below)}" in found[0].message


def test_the_message_names_the_feature_and_points_at_it(tmp_path: Path) -> None:
    _project(tmp_path, "requires-python", (3, 12), RACE + USES["except-tuple"][1])
    [finding] = findings_in(tmp_path).findings
    assert finding.message == ("cannot parse: `except A, B:` without parentheses (PEP 758) needs Python 3.14; "
                               "the project targets 3.12")
    assert (finding.line, finding.column) == (RACE_LINE + 6, 12)


def test_the_newest_feature_is_reported(tmp_path: Path) -> None:
    code = USES["type-default"][1] + USES["tstring"][1] + USES["except-tuple"][1]
    _project(tmp_path, "target-version", (3, 12), RACE + code)
    [finding] = findings_in(tmp_path).findings
    assert "t-string" in finding.message and "needs Python 3.14" in finding.message


def test_the_newest_target_allows_everything() -> None:
    source = RACE + "".join(code for _, code in USES.values())
    summary = summarize("handler.py", source.encode())  # no target: the newest LibCST knows
    assert summary.error is None and summary.problem is None


# -- the cost: nothing is walked for a file that uses none of it ----------------------------

def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("the module must not be walked")


@pytest.mark.parametrize("target", [(3, 7), (3, 9), (3, 11), (3, 12), (3, 13)])
def test_a_file_without_newer_syntax_is_not_walked(monkeypatch: pytest.MonkeyPatch,
                                                   target: tuple[int, int]) -> None:
    monkeypatch.setattr(newer_syntax, "_Finder", _refuse)
    plain = RACE + '\n\ndef f(x: "type", match=None):\n    key = f"a#{x[\'b\']:>{match}}"\n    return key\n'
    summary = summarize("handler.py", plain.encode(), target=target)
    assert summary.error is None and [f.name for f in summary.functions] == ["handler", "f"]
    assert candidates(plain.encode(), target, (3, 14)) == ()


def test_a_file_cpython_judged_for_its_own_version_is_not_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newer_syntax, "candidates", _refuse)
    assert summarize("handler.py", RACE.encode(), target=RUNNING).error is None


def test_every_feature_has_a_bytes_test_its_use_matches() -> None:
    for name, (version, code) in USES.items():
        used = [f for f in FEATURES if f.version == version and f.used(code.encode())]
        assert used, name


# -- PEP 701: what Python 3.11 refused in an f-string -----------------------------------------

FSTRINGS = [
    ('f"{d["a"]}"', True), ("f'{d['a']}'", True), ('f"{x:#x}"', False), ("f\"{'#'}\"", False),
    ('f"""{d["a"]}"""', False), ('f"""{d["""a"""]}"""', True), ('f"{x:\\n}"', False),
    ("f\"{'\\n'}\"", True), ("f\"{x:{'\\n'}}\"", True), ('f"""{a # c\n}"""', True), ('f"{x\n}"', True),
    ('f"""{x\n}"""', False), ("f\"{f'{x}'}\"", False), ("f'{f\"{f'''{x}'''}\"}'", True),
    ('f"{x!r:>{w}}" f\'{y}\'', False), ('rf"{d["a"]}"', True), ('f"{{x}}" "{"', False),
]


@pytest.mark.parametrize(("text", "newer"), FSTRINGS, ids=[text for text, _ in FSTRINGS])
def test_pep701_fstrings_are_told_from_older_ones(text: str, newer: bool) -> None:
    source = f"x = {text}\n".encode()
    module = cst.parse_module(source)
    found = too_new(module, source, (3, 11), (3, 14))
    assert (found is not None) == newer
    if RUNNING == (3, 11):  # the oracle: CPython 3.11 itself
        try:
            compile(source, "x.py", "exec")
        except SyntaxError:
            assert newer
        else:
            assert not newer


# -- dynolint running on Python 3.10 (simulated: tests/test_packaging.py runs it there) --------

def _as_if_python_3_10(monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile, real_parse = summarize_module.compile_error, syntax.parse_ast

    def newer(source: str | bytes) -> bool:
        return b"except*" in source or b'f"order#{event["' in source if isinstance(source, bytes) else False

    def compile_3_10(path: str, source: bytes) -> Exception | None:
        return SyntaxError("invalid syntax", (path, 1, 1, "")) if newer(source) else real_compile(path, source)

    def parse_3_10(source: str | bytes) -> object:
        if newer(source):
            raise SyntaxError("invalid syntax")
        return real_parse(source)

    monkeypatch.setattr(summarize_module, "running", lambda: (3, 10))
    monkeypatch.setattr(syntax, "running", lambda: (3, 10))
    monkeypatch.setattr(summarize_module, "compile_error", compile_3_10)
    monkeypatch.setattr(syntax, "parse_ast", parse_3_10)


def test_on_python_3_10_except_star_is_valid_for_3_11_and_not_for_3_10(monkeypatch: pytest.MonkeyPatch) -> None:
    _as_if_python_3_10(monkeypatch)
    source = (RACE + USES["except-star"][1]).encode()
    assert summarize("handler.py", source, target=(3, 11)).error is None
    assert summarize("handler.py", source, target=(3, 10)).error is not None


def test_on_python_3_10_a_pep701_fstring_is_dyn000_for_3_11(monkeypatch: pytest.MonkeyPatch) -> None:
    _as_if_python_3_10(monkeypatch)
    source = (RACE + USES["fstring-quote"][1]).encode()
    error = summarize("handler.py", source, target=(3, 11)).error
    assert error is not None and "needs Python 3.12; the project targets 3.11" in error
    assert summarize("handler.py", source, target=(3, 12)).error is None


@pytest.mark.parametrize(("feature", "text", "used"), [
    ("match", "    match event:\n", True), ("match", "match = PATTERN.match(x)\n", False),
    ("match", "    match.group(1)\n", False), ("match", "if re.match(a, b):\n", False),
    ("except-star", "except *ValueError:\n", True), ("except-star", "except ValueError:\n", False),
    ("except-tuple", "except (A), B:\n", True), ("except-tuple", "except* A, B:\n", True),
    ("except-tuple", "except (A, B) as e:\n", False), ("except-tuple", "exceptions = a, b\n", False),
    ("tstring", "x = tr'a'\n", True), ("tstring", "x = Rt'a'\n", True), ("tstring", "print(t'{x}')\n", True),
    ("tstring", 'values = {":t": total, "#t": "total"}\n', False), ('tstring', 'x = "count"\n', False),
    ("type-params", "class Repo [T]:\n", True), ("type-params", "x: type[int] = int\n", False),
    ("type-alias", "type X = int\n", True), ("type-alias", "kind = type(x)\n", False),
])
def test_the_bytes_tests(feature: str, text: str, used: bool) -> None:
    version = USES[feature][0]
    assert bool(candidates(text.encode(), (version[0], version[1] - 1), version)) == used
