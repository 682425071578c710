"""The connected benchmark corpus (bench/gen_connected.py): deterministic, valid Python, and
``--double`` is exactly twice the code, with the same call structure in each copy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import gen_connected

DOMAINS = 14  # two clusters and a partial one: small enough to stay fast


@pytest.fixture(scope="module")
def single() -> dict[str, str]:
    return gen_connected.build(domains=DOMAINS, copies=1, seed=7)


@pytest.fixture(scope="module")
def double() -> dict[str, str]:
    return gen_connected.build(domains=DOMAINS, copies=2, seed=7)


def top_level_names(source: str) -> set[str]:
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_the_same_options_give_the_same_bytes(single: dict[str, str]) -> None:
    again = gen_connected.build(domains=DOMAINS, copies=1, seed=7)
    assert again == single
    other_seed = gen_connected.build(domains=DOMAINS, copies=1, seed=8)
    assert other_seed.keys() == single.keys()
    assert other_seed != single  # the seed drives the variation


def test_every_module_parses_and_its_imports_resolve(single: dict[str, str]) -> None:
    modules = {rel[:-3].replace("/", ".").removesuffix(".__init__") for rel in single if rel.endswith(".py")}
    for rel, text in single.items():
        if not rel.endswith(".py"):
            continue
        tree = ast.parse(text, filename=rel)
        package = rel[:-3].replace("/", ".").rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                assert target in modules, f"{rel}: from {'.' * node.level}{node.module or ''} import ..."
                for alias in node.names:  # a name imported from a package is a module of it or defined there
                    if f"{target}.{alias.name}" not in modules:
                        assert alias.name in top_level_names(single[target.replace(".", "/") + ".py"]), \
                            f"{rel}: {alias.name} not in {target}"


def test_the_code_is_connected(single: dict[str, str]) -> None:
    """Services call the services after them in their cluster; repos override BaseRepo methods;
    handlers are decorated; some read-then-writes are guarded and some are not."""
    services = [text for rel, text in single.items() if rel.endswith("/service.py")]
    assert sum("sync_from_" in text for text in services) >= DOMAINS // 2
    repos = [text for rel, text in single.items() if rel.endswith("/repo.py")]
    assert all("(BaseRepo):" in text and "def key(self" in text and "super().get(" in text for text in repos)
    guarded = sum("save_if_version" in text for text in repos)
    assert 0 < guarded < len(repos)
    jobs = [text for rel, text in single.items() if rel.endswith("/jobs.py")]
    assert 0 < sum("ConditionExpression" in text for text in jobs) < len(jobs)
    handlers = [text for rel, text in single.items() if rel.endswith("/handlers.py")]
    assert all("@traced\n@retry(" in text and "@validated(" in text for text in handlers)


def test_doubling_doubles_files_functions_and_lines(single: dict[str, str], double: dict[str, str]) -> None:
    one, two = gen_connected.stats(single), gen_connected.stats(double)
    assert one["functions"] > 40 * DOMAINS
    for what in ("files", "lines", "functions", "classes"):
        assert two[what] == 2 * one[what], what
    # the second copy is the first under another package name, byte for byte
    for rel, text in single.items():
        if rel.startswith("app00/"):
            assert double["app01/" + rel.removeprefix("app00/")] == text


def test_the_default_corpus_is_in_the_intended_range() -> None:
    """The bench corpus (default options): thousands of functions, 30-60k lines."""
    size = gen_connected.stats(gen_connected.build())
    assert size["functions"] >= 3000
    assert 30_000 <= size["lines"] <= 60_000


def test_the_command_line_writes_what_build_returns(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    subprocess.run([sys.executable, str(BENCH / "gen_connected.py"), "--out", str(out), "--domains", "3",
                    "--double", "--seed", "7"], check=True, capture_output=True)
    expected = gen_connected.build(domains=3, copies=2, seed=7)
    written = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert written == expected
