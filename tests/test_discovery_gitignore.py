"""Discovery honours ``.gitignore`` as git does: git itself is the oracle.

Random trees (seeded) with nested ``.gitignore`` files, negations, anchored, directory-only
and ``**`` patterns and ``.git/info/exclude`` are made in a temporary folder; the files
dynolint discovers must be exactly those of its kinds that ``git ls-files --others
--exclude-standard`` does not ignore. ``make test`` tries a few dozen trees, always the same;
``make fuzz`` (``DYNOLINT_FUZZ_EXAMPLES``) tries that many fresh ones.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dynolint.config import Config
from dynolint.discovery import _wanted_name, discover
from fuzzkit import FUZZ_EXAMPLES, FUZZING

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle")

TREES = FUZZ_EXAMPLES if FUZZING else 40
FIRST_SEED = random.SystemRandom().randrange(1 << 30) if FUZZING else 0

DIRS = ["a", "b", "build", "src", "lib", "gen", "deep"]
FILES = ["m.py", "n.py", "keep.py", "gen.py", "a.py", "b.py", "x.pyi", "notes.txt", "template.yaml",
         "main.tf", "ab.py", "build"]
SEGMENTS = ["a", "b", "build", "src", "gen", "deep", "m.py", "keep.py", "*.py", "*", "?.py", "[ab].py",
            "g*", "*e*", "**", "[!a]*.py", "a*b*", "n.p?", "x.py*"]


def _git(root: Path, *args: str) -> bytes:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root)}
    return subprocess.run(["git", "-c", "core.excludesFile=", *args], cwd=root, env=env, check=True,
                          capture_output=True, timeout=60).stdout


def _pattern(rng: random.Random) -> str:
    segments = [rng.choice(SEGMENTS) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
    text = "/".join(segments)
    if rng.random() < 0.25:
        text = "/" + text
    if rng.random() < 0.25:
        text += "/"
    if rng.random() < 0.3:
        text = "!" + text
    if rng.random() < 0.05:
        text += "   "  # trailing spaces are dropped by git
    return text


def _lines(rng: random.Random) -> str:
    lines = [_pattern(rng) for _ in range(rng.randint(1, 6))]
    if rng.random() < 0.3:
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["# a comment", "", "\\#not-a-comment"]))
    return "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")


def _make_tree(root: Path, rng: random.Random) -> None:
    directories = [root]
    for _ in range(rng.randint(2, 9)):
        parent = rng.choice(directories)
        if len(parent.relative_to(root).parts) >= 3:
            continue
        child = parent / rng.choice(DIRS)
        child.mkdir(exist_ok=True)
        if child not in directories:
            directories.append(child)
    for directory in directories:
        for name in rng.sample(FILES, rng.randint(1, 4)):
            if not (directory / name).exists():
                (directory / name).write_text("x = 1\n")
        if rng.random() < 0.5:
            (directory / ".gitignore").write_text(_lines(rng))
    _git(root, "init", "-q")
    if rng.random() < 0.5:
        (root / ".git" / "info").mkdir(exist_ok=True)
        (root / ".git" / "info" / "exclude").write_text(_lines(rng))


def _describe(root: Path) -> str:
    shown = []
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts[:1] and path.name != "exclude":
            continue
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            shown.append(rel + "/")
        elif path.name in (".gitignore", "exclude"):
            shown.append(f"{rel}:\n" + textwrap.indent(path.read_text(), "    | "))
        else:
            shown.append(rel)
    return "\n".join(shown)


def _compare(root: Path) -> str | None:
    """A description of the difference between dynolint and git on ``root``, or None."""
    listed = _git(root, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0")
    by_git = {os.fsdecode(p) for p in listed if p and _wanted_name(os.fsdecode(p).rsplit("/", 1)[-1])}
    config = Config(root=root, exclude=(".git",), include_tests=True)
    found = discover([root], config, include_tests=True)
    by_dynolint = {p.relative_to(root).as_posix() for p in found.python + found.infra}
    if by_git == by_dynolint and not found.problems:
        return None
    return (f"only dynolint: {sorted(by_dynolint - by_git)}\nonly git: {sorted(by_git - by_dynolint)}\n"
            f"problems: {found.problems}\n{_describe(root)}")


def test_discovery_agrees_with_git_on_generated_trees(tmp_path: Path) -> None:
    for seed in range(FIRST_SEED, FIRST_SEED + TREES):
        root = tmp_path / f"tree{seed}"
        root.mkdir()
        _make_tree(root, random.Random(seed))
        difference = _compare(root.resolve())
        assert difference is None, f"seed {seed}:\n{difference}"
        shutil.rmtree(root)


@pytest.mark.parametrize("lines, expected", [
    # a directory excluded cannot have its files re-included; its contents are excluded with it
    ("build/\n!build/keep.py\n", {"m.py", "src/m.py"}),
    # "dir/**" excludes what is inside, not the directory itself: a file can come back
    ("build/**\n!build/keep.py\n", {"m.py", "build/keep.py", "src/m.py"}),
    # anchored to the .gitignore's own directory, at any depth without a slash
    ("/m.py\n", {"build/m.py", "build/keep.py", "src/m.py"}),
    ("m.py\n", {"build/keep.py"}),
    # directory-only: a file of that name stays
    ("src/\nkeep.py/\n", {"m.py", "build/m.py", "build/keep.py"}),
    # everything, then directories and Python files back
    ("*\n!*/\n!*.py\n", {"m.py", "build/m.py", "build/keep.py", "src/m.py"}),
    ("*\n!*.py\n", {"m.py"}),  # the directories stay excluded: their files cannot come back
])
def test_gitignore_semantics(tmp_path: Path, lines: str, expected: set[str]) -> None:
    for rel in ("m.py", "build/m.py", "build/keep.py", "src/m.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text(lines)
    _git(tmp_path, "init", "-q")
    assert _compare(tmp_path.resolve()) is None
    found = discover([tmp_path], Config(root=tmp_path, exclude=(".git",), include_tests=True), True)
    assert {p.relative_to(tmp_path.resolve()).as_posix() for p in found.python} == expected


def test_nested_gitignore_applies_below_its_own_directory_only(tmp_path: Path) -> None:
    for rel in ("a/m.py", "a/sub/m.py", "b/m.py", "m.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x = 1\n")
    (tmp_path / "a" / ".gitignore").write_text("m.py\n")
    (tmp_path / "b" / ".gitignore").write_text("!m.py\n")
    (tmp_path / ".gitignore").write_text("b/m.py\n")
    _git(tmp_path, "init", "-q")
    (tmp_path / ".git" / "info" / "exclude").write_text("/m.py\n")
    assert _compare(tmp_path.resolve()) is None
    found = discover([tmp_path], Config(root=tmp_path, exclude=(".git",)), True)
    # b's own .gitignore re-includes what the root's excluded (the deeper file decides)
    assert {p.relative_to(tmp_path.resolve()).as_posix() for p in found.python} == {"b/m.py"}


PATHOLOGICAL = "a**" * 12 + "b"  # Python's re backtracked for 53 s on one 36-character name


def test_a_line_of_many_stars_is_matched_in_linear_time(tmp_path: Path) -> None:
    """Run in a child process with a generous bound: a backtracking matcher takes minutes."""
    for index in range(20):
        (tmp_path / ("a" * (30 + index) + ".py")).write_text("x = 1\n")
    (tmp_path / ("a" * 36)).write_text("x = 1\n")
    (tmp_path / ".gitignore").write_text(f"{PATHOLOGICAL}\n**/{'*a' * 15}*b\n" + "a/**/" * 20 + "b\n")
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from dynolint.config import Config
        from dynolint.discovery import discover
        started = time.perf_counter()
        found = discover([Path({str(tmp_path)!r})], Config(root=Path({str(tmp_path)!r})), False)
        print(len(found.python), round(time.perf_counter() - started, 3))
    """)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    count, _ = done.stdout.split()
    assert int(count) == 20, done.stdout


def test_an_ignore_file_too_large_to_use_is_reported(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "n.py").write_text("x = 1\n")
    (tmp_path / "sub" / ".gitignore").write_text("n.py\n" + "# padding\n" * 120_000)
    found = discover([tmp_path], Config(root=tmp_path), False)
    root = tmp_path.resolve()
    assert sorted(p.relative_to(root).as_posix() for p in found.python) == ["m.py", "sub/n.py"]
    [(path, why)] = found.problems
    assert path == root / "sub" / ".gitignore" and why.startswith("ignore file not used: 1200005 bytes, over")


def test_a_linked_work_tree_uses_the_info_exclude_of_its_repository(tmp_path: Path) -> None:
    main = tmp_path / "main"
    main.mkdir()
    _git(main, "init", "-q")
    _git(main, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "start")
    _git(main, "worktree", "add", "-q", str(tmp_path / "linked"))
    (main / ".git" / "info").mkdir(exist_ok=True)
    (main / ".git" / "info" / "exclude").write_text("secret.py\n")
    linked = (tmp_path / "linked").resolve()
    for rel in ("secret.py", "kept.py", "sub/secret.py"):
        (linked / rel).parent.mkdir(parents=True, exist_ok=True)
        (linked / rel).write_text("x = 1\n")
    assert (linked / ".git").is_file()
    assert _compare(linked) is None
    found = discover([linked], Config(root=linked, exclude=(".git",)), True)
    assert [p.relative_to(linked).as_posix() for p in found.python] == ["kept.py"]
