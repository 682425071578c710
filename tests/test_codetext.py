"""code_text without tokenize (dynolint/phase1/codetext.py): the same comments, docstrings and
strings as tokenize finds, or no answer (tokenize's) where its rules differ."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dynolint.phase1 import codetext

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12), reason="the scan is used with the pure-Python tokenize")

AGREE = [
    b'"""Module."""\nx = 1  # note\n',
    b"def f():\n    '''Doc.'''\n    return 'kept'  # c\n",
    b'x = "a" "b"\n"c"\n',  # the second of two adjacent strings is no docstring
    b'f(\n  "a",  # c\n  """b""")\n"d"\n',
    b"x = 1; 'no docstring'\n",
    b'x = rb"\\x00" + Rb\'y\' + f"{z}" + u"w" + br"v"\n',
    b'if"a"in x: pass\nreturn"b"\n',  # a keyword glued to a string is a name, not a prefix
    b'xr"no prefix" + ur"u r is no prefix"\n',
    b"x = 1.rb'p'\n",  # "1." then a prefixed string
    b"x = \\\n  'continued'\n\\\n'after a lone backslash'\n",
    b"s = '''one\\\n''' + \"\"\"two\\\\\n\"\"\" + '''three\n\\'''\n'''\n",
    b"if x:\n\tif y:\n\t\t'''tabs'''\n        z = 1\n",  # a tab is 8 columns
    b"def f():\n    x = 1\n\n  # a comment at any indentation\n    return 'x'\n",
    "s = 'é' + \"é\"  # é\n'''é'''\n".encode(),
    b"x = 1\r\ny = '''a\r\nb'''  # c\r\n",
    b"x = (1 +\n     2)\n'after brackets'\n",
    b"x = 1 \\ y\n'after an error token'\n",
    b"x = [\n  # inside\n]\n   ",  # a last line of blanks
]
FALL_BACK = [
    b"# -*- coding: latin-1 -*-\nx = 1\n",
    b"\xef\xbb\xbfx = 1\n",
    b"x = '\xff'\n",
    b"x = 1\ry = 2\n",
    b"x = '\0'\n",
    b"x = 1\f\n",
    b"x = 'open\n",
    b"x = 'a\\\nb'\n",  # a backslash continuation inside a one-quote string
    b'x = """open\n',
    b"x = (1,\n",
    b"x = 1)\n",
    b"x = 1 + \\\n",
    b"if x:\n        y = 1\n    z = 2\n",  # an unindent to no outer level
    b"x = 5rb'y'\n",
]


@pytest.mark.parametrize("source", AGREE)
def test_the_scan_finds_what_tokenize_finds(source: bytes) -> None:
    scanned = codetext._scan(source, *codetext._rules())
    assert scanned is not None
    assert scanned == codetext._tokenized(source)


@pytest.mark.parametrize("source", FALL_BACK)
def test_where_the_rules_differ_the_scan_leaves_the_answer_to_tokenize(source: bytes) -> None:
    assert codetext._scan(source, *codetext._rules()) is None


def test_the_scan_agrees_with_tokenize_on_this_repository() -> None:
    checked = 0
    for path in sorted((ROOT / "dynolint").rglob("*.py")) + sorted((ROOT / "tests").rglob("*.py")):
        data = path.read_bytes()
        scanned = codetext._scan(data, *codetext._rules())
        if scanned is not None:
            checked += 1
            assert scanned == codetext._tokenized(data), path
    assert checked > 100
