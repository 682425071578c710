"""Each rule's own examples (next to the rule, Fixit style) are run: an invalid example
reports the rule exactly on the lines marked ``# expect: CODE``, a valid one never."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dynolint.rules import REGISTRY
from tests.conftest import findings_in, write_project

MARK = re.compile(r"#\s*expect:\s*(DYN\d{3})")

CASES = [(rule, kind, index, example) for rule in REGISTRY for kind in ("valid", "invalid")
         for index, example in enumerate(getattr(rule, kind))]


def expected_lines(files: tuple[tuple[str, str], ...], code: str) -> set[tuple[str, int]]:
    out = set()
    for path, text in files:
        for number, line in enumerate(text.splitlines(), 1):
            match = MARK.search(line)
            if match and match.group(1) == code:
                out.add((path, number))
    return out


@pytest.mark.parametrize("rule,kind,index,example", CASES,
                         ids=[f"{r.code}-{k}-{i}" for r, k, i, _ in CASES])
def test_rule_example(rule, kind, index, example, tmp_path: Path) -> None:
    write_project(tmp_path, dict(example.files))
    result = findings_in(tmp_path)
    got = {(f.path, f.line) for f in result.findings if f.code == rule.code}
    if kind == "valid":
        assert got == set()
    else:
        want = expected_lines(example.files, rule.code)
        assert want, "an invalid example must mark its lines"
        assert got == want


def test_every_rule_has_an_invalid_example() -> None:
    assert all(rule.invalid for rule in REGISTRY)
