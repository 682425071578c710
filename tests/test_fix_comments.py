"""Comments in a call or dict a fix extends stay where they were, once; what the fix adds has none.

The bug these tests pin down: the separator of new keyword arguments (and dict entries) was
copied from the first existing one, comments included, and the last argument's trailing
comment went to the new last one, so ``Key=...,  # the post`` and the comment line under
it appeared again after ``ExpressionAttributeValues``, whose own comment moved to
``ReturnValues``."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from dynolint.api import Options, fix_paths
from dynolint.config import discover
from dynolint.fixes.cstutil import add_kwargs, merge_dict, string
from dynolint.rules import KNOWN_CODES
from tests.conftest import write_project

HEAD = 'import boto3\n\nposts = boto3.resource("dynamodb").Table("posts")\n\n\n'
BEFORE = HEAD + '''def like(post):
    row = posts.get_item(Key={"post": post}).get("Item", {})
    likes = row.get("likes", 0) + 1  # next
    posts.update_item(
        Key={"post": post},  # the post
        # bump the counter
        UpdateExpression="SET #l = :l",
        ExpressionAttributeNames={"#l": "likes"},
        ExpressionAttributeValues={":l": likes},  # new value
    )
    return likes
'''
AFTER = HEAD + '''def like(post):
    row = posts.get_item(Key={"post": post}).get("Item", {})
    likes = row.get("likes", 0) + 1  # next
    written = posts.update_item(
        Key={"post": post},  # the post
        # bump the counter
        UpdateExpression="ADD #l :l",
        ExpressionAttributeNames={"#l": "likes"},
        ExpressionAttributeValues={":l": 1},  # new value
        ReturnValues="UPDATED_NEW",
    )
    likes = written["Attributes"]["likes"]
    return likes
'''


def _fix_bytes(tmp_path: Path, source: bytes) -> bytes:
    write_project(tmp_path, {})
    (tmp_path / "app.py").write_bytes(source)
    fix_paths([tmp_path], discover(tmp_path, set(KNOWN_CODES)), Options(), unsafe=False)
    return (tmp_path / "app.py").read_bytes()


def test_a_new_keyword_argument_has_no_comment_and_the_old_ones_keep_theirs(tmp_path: Path) -> None:
    after = _fix_bytes(tmp_path, BEFORE.encode())
    assert after.decode() == AFTER
    ast.parse(after)
    assert _fix_bytes(tmp_path, after) == after  # fixing twice is fixing once


def test_comments_stay_once_with_crlf_and_tabs(tmp_path: Path) -> None:
    def dialect(text: str) -> bytes:
        return text.replace("    ", "\t").replace("\n", "\r\n").encode()

    after = _fix_bytes(tmp_path, dialect(BEFORE))
    assert after == dialect(AFTER)
    ast.parse(after)
    assert _fix_bytes(tmp_path, after) == after


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def test_add_kwargs_without_a_trailing_comma_keeps_the_comment_on_the_last_argument() -> None:
    call = cst.ensure_type(cst.parse_expression(
        'f(\n    a=1,  # one\n    # about b\n    b=2  # two\n)'), cst.Call)
    assert _code(add_kwargs(call, [("c", string("x")), ("d", string("y"))])) == (
        'f(\n    a=1,  # one\n    # about b\n    b=2,  # two\n    c="x",\n    d="y"\n)')


def test_add_kwargs_on_one_line_is_unchanged() -> None:
    call = cst.ensure_type(cst.parse_expression('f(a=1, b=2)'), cst.Call)
    assert _code(add_kwargs(call, [("c", string("x"))])) == 'f(a=1, b=2, c="x")'


def test_a_new_dict_entry_has_no_comment_and_the_old_ones_keep_theirs() -> None:
    names = cst.parse_expression('{\n    "#a": "a",  # first\n    # the second\n    "#b": "b",  # second\n}')
    assert _code(merge_dict(names, [("#dl_key", string("pk"))])) == (
        '{\n    "#a": "a",  # first\n    # the second\n    "#b": "b",  # second\n    "#dl_key": "pk",\n}')
    bare = cst.parse_expression('{\n    "#a": "a",  # first\n    "#b": "b"  # second\n}')
    assert _code(merge_dict(bare, [("#dl_key", string("pk"))])) == (
        '{\n    "#a": "a",  # first\n    "#b": "b",  # second\n    "#dl_key": "pk"\n}')
