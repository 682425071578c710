"""Other names of files under the temp dir in a function a DYN301 fix changes: the fix moves
one file (every expression equal to its path) into a per-invocation directory; a file the code
reaches through text the fix cannot rebuild would be looked for where it no longer is."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from dynolint.fixes.cstutil import FixSkipped, same

TMP = "/tmp/"


def _text(node: cst.CSTNode) -> str | None:
    """The characters between the quotes of a string or f-string, as written."""
    if isinstance(node, cst.SimpleString):
        return node.raw_value
    if isinstance(node, cst.FormattedString):
        code = cst.Module([]).code_for_node(node)
        return code[len(node.start):-len(node.end)]
    return None


def check_other_tmp_paths(nodes: Iterable[cst.CSTNode], path: cst.BaseExpression) -> None:
    """FixSkipped when the function names a file under the temp dir that the fix would leave
    behind although it depends on the file moved: a command or text that names a path under
    /tmp inside it (``f"gzip -k /tmp/{name}.json"``), or a path that extends the moved one
    (``"/tmp/report.csv.gz"``, the file a tool made beside ``"/tmp/report.csv"``)."""
    moved = _text(path)
    for node in nodes:
        if same(node, path):
            continue
        text = _text(node)
        if text is None or TMP not in text:
            continue
        shown = cst.Module([]).code_for_node(node)
        if not text.startswith(TMP):
            raise FixSkipped(f"{shown} names a file under /tmp inside a text (a command?): the fix cannot move it "
                             "with the file it writes into a per-invocation directory")
        if moved is not None and moved.startswith(TMP) and text.startswith(moved):
            raise FixSkipped(f"{shown} is a file in or beside the one written (its name extends it): moved alone, the "
                             "file written would no longer be where that name looks for it")


_FUNCTIONS = frozenset({"os.path.join", "Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "str", "os.fspath",
                        "os.path.abspath", "os.path.realpath", "os.path.normpath"})
_METHODS = frozenset({"joinpath", "with_suffix", "with_name", "with_stem", "resolve", "absolute"})
MAKES_FOLDERS = frozenset({"os.makedirs"})  # sinks that make the folders a path is in


def _components(node: cst.BaseExpression) -> int:
    """How many folders and names a piece of a path adds (1 when not written out)."""
    text = _text(node)
    return max(1, len([part for part in text.split("/") if part])) if text is not None else 1


def depth(node: cst.BaseExpression) -> int | None:
    """How deep under the temp dir the path ``node`` is (``"/tmp/a.txt"``: 1, ``"/tmp/work/a.txt"``,
    ``f"/tmp/{tenant}/a.txt"``, ``os.path.join("/tmp", "work", name)``: 2), None when it is not
    built from the temp dir in a shape known."""
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        text = _text(node)
        if text is None or not (text == "/tmp" or text.startswith(TMP)):
            return None
        return len([part for part in text[len(TMP):].split("/") if part])
    if isinstance(node, cst.Call):
        name = cst.Module([]).code_for_node(node.func)
        if name in ("tempfile.gettempdir", "gettempdir") and not node.args:
            return 0
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _METHODS:
            base, rest, kind = node.func.value, list(node.args), node.func.attr.value
        elif name in _FUNCTIONS and node.args and node.args[0].keyword is None and not node.args[0].star:
            base, rest, kind = node.args[0].value, list(node.args[1:]), name
        else:
            return None
        inner = depth(base)
        if inner is None:
            return None
        return inner + sum(_components(arg.value) for arg in rest) if kind in ("os.path.join", "joinpath") else inner
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Divide)):
        inner = depth(node.left)
        if inner is None:
            return None
        if isinstance(node.operator, cst.Divide):
            return inner + _components(node.right)
        # "/tmp/" + name: a name under it; "/tmp/x" + ".gz": the same name; + "/y": one more
        text = _text(node.right)
        parts = text.split("/") if text is not None else [""]
        added = sum(1 for part in parts[1:] if part)
        return inner + added + (1 if inner == 0 and parts[0] else 0) if text is not None else inner + (inner == 0)
    return None


def check_folder(path: cst.BaseExpression, how: str) -> None:
    """FixSkipped when the file is in a folder under the temp dir: the new directory has no such
    folder, so writing the file there would fail on every call (unless the sink makes it)."""
    found = depth(path)
    if found is not None and found > 1 and how not in MAKES_FOLDERS:
        shown = cst.Module([]).code_for_node(path)
        raise FixSkipped(f"the file {shown} is in a folder under /tmp, which the per-invocation directory would "
                         "not have: make the folder in the new directory (or write the file at its top) by hand")


__all__ = ["MAKES_FOLDERS", "check_folder", "check_other_tmp_paths", "depth"]
