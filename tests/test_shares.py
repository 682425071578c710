"""Phase 2 on several CPUs (dynolint/engine/shares.py): a project of several import components is
analysed in shares, each in a process of its own, and gives exactly what one model of it gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dynolint import api
from dynolint.cli import _load_config
from dynolint.engine import shares
from dynolint.engine.cpus import cpus
from dynolint.phase1 import ir
from tests.test_incremental import monorepo

RACY = '''import boto3

from {pkg}.keys import key_of

TABLE = boto3.resource("dynamodb").Table("{pkg}")


def handler(event, context):
    item = TABLE.get_item(Key=key_of(event["id"]))["Item"]
    if item["state"] == "open":
        item["n"] = item["n"] + 1
        TABLE.put_item(Item=item)
'''
KEYS = '''def key_of(value):
    return {{"pk": "{pkg}#" + value}}
'''


def _summary(path: str) -> ir.FileSummary:
    return ir.FileSummary(path, ir.module_name(path), (), (), (), (), (), ())


def test_components_are_shared_out_whole_and_balanced() -> None:
    sources = {f"s{n}/a.py": b"from s%d import b\n" % n + b"x" * (100 * (n + 1)) for n in range(4)}
    sources |= {f"s{n}/b.py": b"y = 1\n" for n in range(4)}
    parts = shares.share_out([_summary(path) for path in sorted(sources)], sources, 2)
    assert len(parts) == 2
    placed = [{s.path.split("/")[0] for s in part} for part in parts]
    assert placed[0].isdisjoint(placed[1]) and placed[0] | placed[1] == {"s0", "s1", "s2", "s3"}
    for part in parts:  # a component's files are never split, and each share is in path order
        assert {s.path.split("/")[0] for s in part} == {s.path.split("/")[0] for s in part if s.path.endswith("b.py")}
        assert [s.path for s in part] == sorted(s.path for s in part)
    assert placed[0] == {"s3", "s0"} and placed[1] == {"s2", "s1"}  # largest first, into the lightest share


@pytest.mark.parametrize("sizes", [[1000], [1000, 10], [5000, 300, 200]])
def test_one_share_when_the_code_does_not_split_into_worthwhile_shares(sizes: list[int]) -> None:
    sources = {f"s{n}/a.py": b"x" * size for n, size in enumerate(sizes)}
    summaries = [_summary(path) for path in sorted(sources)]
    assert shares.share_out(summaries, sources, 2) == [summaries]
    assert shares.share_out(summaries, sources, 1) == [summaries]


def _report(root: Path, jobs: int) -> list[tuple[object, ...]]:
    result = api.check_paths([root], _load_config(None, [root]), api.Options(jobs=jobs, use_cache=False))
    assert not result.errors
    return [(f.code, f.path, f.line, f.column, f.message, repr(f.fix), [r.path for r in f.related])
            for f in result.findings]


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the shares started in processes of their own."""
    sizes: list[int] = []
    real = shares.Share.__init__

    def counting(self, summaries, build, rules):  # type: ignore[no-untyped-def]
        sizes.append(len(summaries))
        real(self, summaries, build, rules)

    monkeypatch.setattr(shares.Share, "__init__", counting)
    return sizes


needs_two = pytest.mark.skipif(len(cpus()) < 2 or not hasattr(os, "fork"), reason="shares need two CPUs and fork")


@needs_two
def test_a_run_in_shares_reports_what_one_model_reports(tmp_path: Path, started: list[int]) -> None:
    monorepo(tmp_path, 12, RACY, KEYS)
    whole = _report(tmp_path, jobs=1)
    assert not started
    assert _report(tmp_path, jobs=2) == whole
    assert started and 0 < started[0] < 36  # a share of the 36 files went to another process
    assert len(whole) == 12 and all(fix != "None" for _, _, _, _, _, fix, _ in whole)


@needs_two
def test_a_share_whose_process_dies_is_analysed_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monorepo(tmp_path, 12, RACY, KEYS)
    whole = _report(tmp_path, jobs=1)
    real = shares.Share.__init__

    def dying(self, summaries, build, rules):  # type: ignore[no-untyped-def]
        def die(part, outcome):  # type: ignore[no-untyped-def]
            os._exit(3)

        real(self, summaries, die, rules)

    monkeypatch.setattr(shares.Share, "__init__", dying)
    assert _report(tmp_path, jobs=2) == whole


@needs_two
def test_no_shares_under_a_memory_budget_the_user_gave(tmp_path: Path, started: list[int]) -> None:
    """``--max-memory`` is for the whole run: phase 2 stays in one process (each share's would be
    held to the main process's part, together more than the budget)."""
    monorepo(tmp_path, 12, RACY, KEYS)
    result = api.check_paths([tmp_path], _load_config(None, [tmp_path]),
                             api.Options(jobs=2, use_cache=False, max_memory=4096))
    assert not started and len(result.findings) == 12
