"""The pure parts of the ecosystem check (ecosystem/): repos.tsv, finding keys, the difference
between runs, precision per family, and materialising a tree from a git repository safely.
The check itself (``make ecosystem``) needs the mirrors and is not part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ecosystem"))

from materialise import MARKER, materialise, safe_parts  # noqa: E402
from results import RepoListError, SourceIndex, diff, digest, finding_key, parse_repos, precision  # noqa: E402

COMMIT = "a" * 40


def test_repos_tsv_rows_comments_and_errors() -> None:
    text = f"# repository\tcommit\twhat\n\nowner/one\t{COMMIT}\ta thing\nowner/two\t{'B' * 40}\n"
    repos = parse_repos(text)
    assert [(r.name, r.slug, r.commit, r.about) for r in repos] == [
        ("owner/one", "owner+one", COMMIT, "a thing"), ("owner/two", "owner+two", "b" * 40, "")]
    for bad in (f"noslash\t{COMMIT}", "owner/one\tabc", f"../x\t{COMMIT}", f"a/b/c\t{COMMIT}", f"o/n\t{'g' * 40}"):
        with pytest.raises(RepoListError, match="line 1"):
            parse_repos(bad)


SOURCE = '''\
import boto3

class Store:
    def save(self, key):
        item = table.get_item(Key=key)["Item"]
        table.put_item(  # comment
            Item=item,
        )

def top():
    with lock(
        "x",
    ):
        pass
'''


def test_key_is_context_and_statement_not_line() -> None:
    index = SourceIndex(SOURCE)
    key = finding_key({"code": "DYN101", "path": "a.py", "line": 7}, index)
    assert key == ("DYN101", "a.py", "Store.save", digest("table . put_item ( Item = item , )"))
    assert index.locate(7) == ("Store.save", "table . put_item ( Item = item , )")
    assert finding_key({"code": "DYN101", "path": "a.py", "line": 5}, index)[3] != key[3]
    # lines added above the class and reformatting leave the key unchanged
    moved = SourceIndex("# new\n\n" + SOURCE.replace("table.put_item(  # comment\n            Item=item,\n        )",
                                                     "table.put_item(Item=item,)"))
    assert finding_key({"code": "DYN101", "path": "a.py", "line": 8}, moved) == key
    # a compound statement is keyed by its header only
    assert index.locate(12) == ("top", 'with lock ( "x" , ) :')
    assert index.locate(0) == ("<module>", "")


def _entry(code: str, statement: str, line: int = 1, path: str = "a.py") -> dict[str, object]:
    return {"code": code, "path": path, "context": "f", "statement": statement, "line": line}


def test_diff_counts_duplicates_and_ignores_lines() -> None:
    last = [_entry("DYN101", "put", 3), _entry("DYN101", "put", 9), _entry("DYN202", "scan", 5)]
    current = [_entry("DYN101", "put", 30), _entry("DYN204", "get", 7), _entry("DYN202", "scan", 50)]
    appeared, vanished = diff(last, current)
    assert [(e["code"], e["line"]) for e in appeared] == [("DYN204", 7)]
    assert [(e["code"], e["line"]) for e in vanished] == [("DYN101", 9)]
    assert diff(current, current) == ([], [])


def test_precision_per_family_with_untriaged_and_misses() -> None:
    current = {"o/r": [_entry("DYN101", "put"), _entry("DYN102", "inc"), _entry("DYN201", "get"),
                       _entry("DYN202", "scan")]}
    triage = {"findings": [{**_entry("DYN101", "put", 99), "repo": "o/r", "verdict": "true"},
                           {**_entry("DYN102", "inc"), "repo": "o/r", "verdict": "false"},
                           {**_entry("DYN201", "get"), "repo": "other/r", "verdict": "true"}],
              "misses": [{"repo": "o/r", "path": "b.py", "line": 3, "family": "DYN1"},
                         {"repo": "not/checked", "path": "c.py", "line": 1, "family": "DYN1"}]}
    table = precision(current, triage)
    assert table["DYN1"] == {"true": 1, "false": 1, "debatable": 0, "untriaged": 0, "misses": 1, "precision": 0.5}
    assert table["DYN2"]["untriaged"] == 2 and table["DYN2"]["precision"] is None
    with pytest.raises(ValueError, match="verdict"):
        precision(current, {"findings": [{**_entry("DYN101", "put"), "repo": "o/r", "verdict": "maybe"}]})


def test_safe_parts_refuses_paths_that_leave() -> None:
    assert safe_parts(b"a/b.py") == ["a", "b.py"]
    for bad in (b"../x", b"a/../../x", b"/etc/passwd", b"a//b", b"./a", b".git/config", b"a\\..\\b", b""):
        assert safe_parts(bad) is None, bad


def _git(repo: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout.decode().strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_materialise_skips_missing_blobs_links_and_hostile_paths(tmp_path: Path) -> None:
    repo = tmp_path / "src"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "app.py").write_text("print(1)\n")
    (repo / "big.bin").write_bytes(b"x" * 100)
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "escape").symlink_to("/etc")
    _git(repo, "add", "-A")
    tree = _git(repo, "write-tree")
    # a hand-made tree with an entry named ".." (git itself refuses to check such a tree out)
    blob = _git(repo, "hash-object", "-w", "--stdin", data=b"owned\n")
    hostile = _git(repo, "mktree", "--missing", data=f"100644 blob {blob}\t..\n040000 tree {tree}\tsub\n".encode())
    commit = _git(repo, "commit-tree", hostile, "-m", "hostile")
    big = _git(repo, "rev-parse", f"{tree}:big.bin")
    obj = repo / ".git" / "objects" / big[:2] / big[2:]
    obj.unlink()  # the mirror lacks this blob, as fetch's snapshots lack large files
    dest = tmp_path / "out" / "o+r"
    made = materialise(repo / ".git", commit, dest)
    assert (made.written, made.missing, made.skipped, made.refused) == (2, 1, 1, [".."])
    assert (dest / "sub" / "pkg" / "app.py").read_text() == "print(1)\n"
    assert (dest / "sub" / "run.sh").stat().st_mode & 0o111
    assert not (dest / "sub" / "escape").exists() and not (dest / "sub" / "escape").is_symlink()
    assert not (dest / "sub" / "big.bin").exists()
    written = [p for p in tmp_path.rglob("*") if ".git" not in p.parts and p.is_file()]
    assert not [p for p in written if p.read_bytes() == b"owned\n"]  # the ".." entry went nowhere
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["o+r"]  # no staging folder left
    assert (dest / MARKER).read_text().strip() == commit
    # the same commit again is reused, not rewritten
    (dest / "sub" / "pkg" / "app.py").write_text("kept\n")
    assert materialise(repo / ".git", commit, dest).reused
    assert (dest / "sub" / "pkg" / "app.py").read_text() == "kept\n"
    # another commit replaces the tree
    other = _git(repo, "commit-tree", tree, "-m", "plain")
    again = materialise(repo / ".git", other, dest)
    assert not again.reused and (dest / "pkg" / "app.py").read_text() == "print(1)\n"
    assert not (dest / "sub").exists()


def test_missing_mirrors_are_named_and_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import run

    repos = tmp_path / "repos.tsv"
    repos.write_text(f"# header\nowner/gone\t{COMMIT}\tnot fetched\n")
    last = tmp_path / "last-run.json"
    status = run.main(["--repos", str(repos), "--mirrors", str(tmp_path / "mirrors"), "--last-run", str(last),
                       "--checkouts", str(tmp_path / "checkouts"), "--update"])
    out = capsys.readouterr().out
    assert status == 0
    assert "skipped 1 of 1 repositories" in out and "owner/gone (no mirror at" in out
    assert not last.exists() and not (tmp_path / "checkouts").exists()
    repos.write_text("owner/gone\tnot-a-commit\n")
    assert run.main(["--repos", str(repos), "--mirrors", str(tmp_path)]) == 2


def test_checkouts_stay_outside_any_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """dynolint takes a file's target Python from the nearest pyproject.toml above it, so trees
    materialised inside a project (this repository's requires-python >= 3.10) would inherit
    its target: the default folder is a cache outside it, and a folder under one is warned about."""
    import run

    monkeypatch.delenv("ECOSYSTEM_CHECKOUTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert run.default_checkouts() == tmp_path / "cache" / "dynolint-ecosystem"
    assert run.inherited_pyproject(run.default_checkouts()) is None
    monkeypatch.setenv("ECOSYSTEM_CHECKOUTS", str(tmp_path / "elsewhere"))
    assert run.default_checkouts() == tmp_path / "elsewhere"
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.10"\n')
    inside = project / "ecosystem" / "checkouts"
    assert run.inherited_pyproject(inside) == (project / "pyproject.toml").resolve()
    repos = tmp_path / "repos.tsv"
    repos.write_text(f"owner/gone\t{COMMIT}\n")
    assert run.main(["--repos", str(repos), "--mirrors", str(tmp_path / "mirrors"),
                     "--last-run", str(tmp_path / "last.json"), "--checkouts", str(inside)]) == 0
    assert "pyproject.toml is above the checkouts" in capsys.readouterr().err


def test_findings_that_share_a_key_take_their_verdicts_in_line_order() -> None:
    """Two identical statements in one function (``put_item(Item=x)`` twice) share a key; each
    keeps its own verdict, matched by line order."""
    from results import judged

    def finding(line: int) -> dict[str, object]:
        return {"code": "DYN101", "path": "app.py", "context": "create", "statement": "abc", "line": line}

    triage = {"findings": [{**finding(445), "repo": "r", "verdict": "debatable", "why": "re-put"},
                           {**finding(432), "repo": "r", "verdict": "true", "why": "the create"}]}
    got = [(entry["line"], verdict) for _, entry, verdict in judged({"r": [finding(445), finding(432), finding(460)]},
                                                                       triage)]
    assert sorted(got) == [(432, "true"), (445, "debatable"), (460, None)]
