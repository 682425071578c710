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


WRAPPERS = frozenset({"Path", "pathlib.Path", "PurePath", "pathlib.PurePath", "str", "os.fspath"})


def anchor_of(path: cst.BaseExpression) -> cst.BaseExpression:
    """The string inside a path wrapped in a call that keeps its text (``Path("/tmp/a.csv")``,
    ``str(...)``): the code may name the same file by that string elsewhere."""
    while isinstance(path, cst.Call) and cst.Module([]).code_for_node(path.func) in WRAPPERS \
            and len(path.args) == 1 and path.args[0].keyword is None and not path.args[0].star:
        path = path.args[0].value
    return path


def path_text(path: cst.BaseExpression) -> str | None:
    """The path as written (through wrappers), or None when it is not one string."""
    return _text(anchor_of(path))


def check_other_tmp_paths(nodes: Iterable[cst.CSTNode], path: cst.BaseExpression,
                          moved: Iterable[cst.BaseExpression] = ()) -> None:
    """FixSkipped when the function names a file under the temp dir that the fix would leave
    behind although it depends on the file moved: a command or text that names a path under
    /tmp inside it (``f"gzip -k /tmp/{name}.json"``), or a path that extends the moved one
    (``"/tmp/report.csv.gz"``, the file a tool made beside ``"/tmp/report.csv"``)."""
    together = [path, *moved]
    moved_text = path_text(path)
    for node in nodes:
        if any(same(node, other) for other in together):
            continue
        text = _text(node)
        if text is None or TMP not in text:
            continue
        shown = cst.Module([]).code_for_node(node)
        if not text.startswith(TMP):
            raise FixSkipped(f"{shown} names a file under /tmp inside a text (a command?): the fix cannot move it "
                             "with the file it writes into a per-invocation directory")
        if moved_text is not None and moved_text.startswith(TMP) and text.startswith(moved_text):
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


def check_folder(path: cst.BaseExpression, how: str, made: bool = False) -> None:
    """FixSkipped when the file is in a folder under the temp dir: the new directory has no such
    folder, so writing the file there would fail on every call (unless the sink makes it, or
    the function does and the folder moves with it: ``made``)."""
    found = depth(path)
    if found is not None and found > 1 and how not in MAKES_FOLDERS and not made:
        shown = cst.Module([]).code_for_node(path)
        raise FixSkipped(f"the file {shown} is in a folder under /tmp, which the per-invocation directory would "
                         "not have: make the folder in the new directory (or write the file at its top) by hand")


def _made_folder(statement: cst.BaseStatement) -> tuple[cst.BaseExpression, bool] | None:
    """The folder under the temp dir that a statement of its own makes (``os.makedirs(p, ...)``,
    ``os.mkdir(p)``, ``Path(p).mkdir(...)``), as a string or f-string, and whether the folders
    above it are made too (``makedirs``, ``parents=True``); None for any other statement."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 \
            or not isinstance(statement.body[0], cst.Expr) or not isinstance(statement.body[0].value, cst.Call):
        return None
    call = statement.body[0].value
    code = cst.Module([]).code_for_node
    name = code(call.func)
    target: cst.BaseExpression | None = None
    parents = False
    if name in ("os.makedirs", "os.mkdir") and call.args and call.args[0].keyword is None and not call.args[0].star:
        target, parents = call.args[0].value, name == "os.makedirs"
    elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "mkdir" \
            and isinstance(call.func.value, cst.Call) and code(call.func.value.func) in ("Path", "pathlib.Path") \
            and len(call.func.value.args) == 1 and call.func.value.args[0].keyword is None \
            and not call.func.value.args[0].star:
        target = call.func.value.args[0].value
        given = next((arg for arg in call.args if arg.keyword is not None and arg.keyword.value == "parents"), None)
        positional = [arg for arg in call.args if arg.keyword is None]
        flag = given.value if given is not None else positional[1].value if len(positional) > 1 else None
        parents = isinstance(flag, cst.Name) and flag.value == "True"
    if target is None or not isinstance(target, (cst.SimpleString, cst.FormattedString)):
        return None
    text = _text(target)
    if text is None or not text.startswith(TMP) or text.endswith("/"):
        return None
    return target, parents


def folder_group(body: list[cst.BaseStatement], nodes: Iterable[cst.CSTNode],
                 path: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The paths that move with ``path`` into the per-invocation directory: none, or, when it
    is a folder under the temp dir that a statement of the function's own body makes
    (``os.makedirs("/tmp/exports", exist_ok=True)``) or a file right in such a folder, the
    folder and every file the function names right in it (as strings or f-strings), made in
    the new directory before they are written there. FixSkipped when the function names a
    path deeper in that folder, which it does not make, or one before it makes the folder."""
    anchor = anchor_of(path)  # ``Path("/tmp/exports").mkdir(...)``
    text = _text(anchor)
    if text is None or not text.startswith(TMP):
        return []
    made: list[tuple[int, cst.BaseExpression]] = []
    for index, statement in enumerate(body):
        found = _made_folder(statement)
        if found is None:
            continue
        folder, parents = found
        if not parents and depth(folder) != 1:
            continue  # ``os.mkdir("/tmp/a/b")``: it needs /tmp/a, which the new directory has not
        if _text(folder) in (text, text.rsplit("/", 1)[0]):
            made.append((index, folder))
    if not made:
        return []
    folder_text = text if any(_text(folder) == text for _, folder in made) else text.rsplit("/", 1)[0]
    members: list[cst.BaseExpression] = []
    statement_of = {id(node): index for index, statement in enumerate(body) for node in _walk(statement)}
    first_made = min(index for index, _ in made)
    for node in [folder for _, folder in made] + list(nodes):
        inner = _text(node)
        if inner is None or not isinstance(node, cst.BaseExpression) \
                or not (inner == folder_text or inner.startswith(f"{folder_text}/")):
            continue
        shown = cst.Module([]).code_for_node(node)
        if "/" in inner[len(folder_text) + 1:]:
            raise FixSkipped(f"{shown} is in a folder of {folder_text} that the function does not make: moved into "
                             "the per-invocation directory, it would not be there; move it by hand")
        if statement_of.get(id(node), -1) < first_made:
            raise FixSkipped(f"{shown} is used before the function makes its folder {folder_text}: the code expects "
                             "the folder from an earlier invocation; move it by hand")
        if not any(same(node, member) for member in [path, *members]):
            members.append(node)
    return members


def _walk(node: cst.CSTNode) -> Iterable[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


__all__ = ["MAKES_FOLDERS", "anchor_of", "check_folder", "check_other_tmp_paths", "depth", "folder_group",
           "path_text"]
