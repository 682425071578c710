"""Phase 1: one parse, positions computed only for recorded nodes, and they agree with
LibCST's own PositionProvider."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from dynolint.phase1.summarize import summarize, suppressions_in
from tests.conftest import FIXTURES


def _nodes(node: cst.CSTNode, kind: type) -> list:
    """The nodes of ``kind`` under ``node``, as a LibCST visitor meets them."""
    class Collect(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.CSTNode] = []

        def on_visit(self, visited: cst.CSTNode) -> bool:
            if isinstance(visited, kind):
                self.found.append(visited)
            return True

    collector = Collect()
    node.visit(collector)
    return collector.found


def test_call_positions_match_libcst_position_provider() -> None:
    # fixture files in order (empty __init__.py files hold no calls) until 600 calls are compared
    sources = [path for path in sorted((FIXTURES / "cases").rglob("*.py")) if path.stat().st_size]
    checked = 0
    for path in sources:
        if checked > 600:
            break
        data = path.read_bytes()
        summary = summarize(path.name, data)
        wrapper = MetadataWrapper(cst.parse_module(data))
        positions = wrapper.resolve(PositionProvider)
        expected = set()
        for call in _nodes(wrapper.module, cst.Call):
            where = positions[call]
            expected.add((where.start.line, where.start.column + 1, where.end.line, where.end.column + 1))
        ours = {(s.line, s.column, s.end_line, s.end_column) for s in summary.spans}
        assert expected <= ours, path
        checked += len(expected)
    assert checked > 500


def test_one_pass_gives_the_fix_positions_and_the_site_spans_of_two_passes() -> None:
    """The workers record the positions fixes need in the same code generation pass as the
    sites' spans: both equal what the two separate passes give (and the positions of calls
    and arithmetic, where fixes find their targets, LibCST's PositionProvider)."""
    from dynolint.fixes.engine import POSITIONED
    from dynolint.phase1.positions import node_positions, positions_and_sites
    from dynolint.phase1.lower_stmt import Lowerer
    from dynolint.phase1.summarize import site_spans

    checked = 0
    for path in sorted((FIXTURES / "cases").rglob("*.py")):
        if checked > 1200:  # fixture files in order until that many positions are compared
            break
        module = cst.parse_module(path.read_bytes())
        lowerer = Lowerer()
        lowerer.assigned.append(set())
        lowerer.declared.append(set())
        lowerer.block(module.body)
        ranges, spans = positions_and_sites(module, POSITIONED, lowerer.wanted, len(lowerer.nodes))
        assert spans == site_spans(module, lowerer.wanted, len(lowerer.nodes)), path
        assert ranges == node_positions(module, POSITIONED), path
        provider = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        assert all(provider[node] == where for node, where in ranges.items()
                   if isinstance(node, (cst.Call, cst.BinaryOperation))), path
        checked += len(ranges)
    assert checked > 1000


def test_the_parse_without_validation_builds_the_same_trees_and_validation_comes_back() -> None:
    """Phase 1 parses without LibCST's per-node validation: the trees equal LibCST's own
    parse; afterwards (also after a parse that fails) nodes are validated again."""
    from dynolint.phase1.summarize import parse

    for path in sorted((FIXTURES / "cases").rglob("*.py"))[:60]:
        data = path.read_bytes()
        assert parse(data).deep_equals(cst.parse_module(data)), path
    with pytest.raises(cst.ParserSyntaxError):
        parse(b"def f(:\n")
    with pytest.raises(cst.CSTValidationError):  # a name with a space is not valid
        cst.Name("not valid")


def test_plain_string_values_equal_what_python_evaluates() -> None:
    """The lowering reads plain string literals without compiling them: the value is
    Python's own, and anything with escapes, a bytes or f prefix, or a carriage return is
    left to LibCST's evaluation."""
    import ast

    from dynolint.phase1.lower_expr import plain_string_value

    literals = ["''", '""', "''''''", '""""""', "'a'", '"a b"', "'\"'", '"\'"', "\"''\"", "'''a'b\"c'''",
                '"""\n x\n"""', "r'a'", "R'a'", "u'é'", 'U"x"', "'''''a'''", "'a\\nb'", "b'a'", "rb'a'",
                "f'a'", "'''a\r\nb'''", "r'\\d'"]
    for path in sorted((FIXTURES / "cases").rglob("*.py"))[:200]:
        literals += [node.value for node in _nodes(cst.parse_module(path.read_bytes()), cst.SimpleString)]
    evaluated = 0
    for text in literals:
        value = plain_string_value(text)
        if value is not None:
            assert value == ast.literal_eval(text), text
            evaluated += 1
        else:
            assert "\\" in text or "\r" in text or text[0] in "bBfF" or text[:2].lower() in ("rb", "rf"), text
    assert evaluated > 500


def test_the_recording_pass_writes_libcsts_code_and_puts_its_parenthesize_back() -> None:
    """The positions pass swaps LibCST's ``_parenthesize`` for a plain context manager while
    it runs: the code it writes is LibCST's, token for token (parentheses included), and
    the stock method is back afterwards, also when the pass fails."""
    from libcst._nodes.expression import _BaseParenthesizedNode

    from dynolint.phase1 import positions
    stock = _BaseParenthesizedNode.__dict__["_parenthesize"]
    sources = [path.read_bytes() for path in sorted((FIXTURES / "cases").rglob("*.py"))[:80]]
    sources.append(b"x = ((a + (b)) * (yield_ := (c)))\nf((1,), ((2)), (lambda: (3))())\n")
    for data in sources:
        module = cst.parse_module(data)
        state = positions.SiteCodegen(module.default_indent, module.default_newline, {})
        positions.generate(module, state)
        assert state.code() == module.code
        assert _BaseParenthesizedNode.__dict__["_parenthesize"] is stock

    class Failing(positions.SiteCodegen):
        def record_syntactic_position(self, node, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("stop")

    module = cst.parse_module(b"x = (1)\n")
    with pytest.raises(RuntimeError):
        positions.generate(module, Failing(module.default_indent, module.default_newline, {}))
    assert _BaseParenthesizedNode.__dict__["_parenthesize"] is stock


def _spans_in_this_process(data: bytes) -> tuple[bool, tuple[object, ...], str]:
    from dynolint.phase1.lower_stmt import Lowerer
    from dynolint.phase1.summarize import parse, site_spans

    module = parse(data)
    lowerer = Lowerer()
    lowerer.assigned.append(set())
    lowerer.declared.append(set())
    lowerer.block(module.body)
    spans = site_spans(module, lowerer.wanted, len(lowerer.nodes))
    return cst.Name._codegen is cst.Name._codegen_impl, spans, module.code


def test_workers_generate_code_without_the_per_node_hooks_and_the_same_positions() -> None:
    """A worker process drops LibCST's per-node codegen hooks (no-ops for dynolint, a
    quarter of the positions pass); the parent keeps them. The spans and the code are the
    ones the parent computes with the hooks."""
    from dynolint.engine.workers import WorkerPool

    sources = [path.read_bytes() for path in sorted((FIXTURES / "cases").rglob("*.py"))[:40]]
    with WorkerPool(timeout=60) as pool:
        if not pool.forked:
            pytest.skip("no fork: everything runs in this process, with the hooks")
        in_workers = {index: result for index, result, _ in pool.map(_spans_in_this_process, sources, 2)}
    assert all(result[0] for result in in_workers.values())  # the workers dropped the hooks
    for index, data in enumerate(sources):
        hooks_dropped, spans, code = _spans_in_this_process(data)
        assert not hooks_dropped  # this process keeps them
        assert in_workers[index][1:] == (spans, code)


def test_crlf_and_bom_positions() -> None:
    source = "\ufeffimport boto3\r\nt = boto3.client('dynamodb')\r\nx = t.get_item(Key={})\r\n".encode("utf-8")
    summary = summarize("x.py", source)
    assert summary.error is None
    assert any((s.line, s.column) == (3, 5) for s in summary.spans)


def test_suppression_comments_are_read_from_comment_tokens_only() -> None:
    code = ('x = 1  # dynolint: ignore[DYN101, dyn102] -- idempotent by design\n'
            's = "# dynolint: ignore"\n'
            'y = 2  # noqa: DYN301\n'
            'z = 3  # dynolint: ignore\n')
    found = suppressions_in(code)
    assert [(s.line, s.codes, s.reason) for s in found] == [
        (1, ("DYN101", "DYN102"), "idempotent by design"), (3, ("DYN301",), ""), (4, None, "")]


def test_unparsable_sources_become_errors_not_exceptions() -> None:
    for source in (b"print 'x'\n", b"def f(:\n", b"x = '\xff'\n", b"\x00\x00"):
        summary = summarize("bad.py", source)
        assert summary.error is not None and summary.error_span is not None


def test_summary_is_picklable() -> None:
    import pickle

    path = next(iter(sorted((FIXTURES / "cases").rglob("*.py"))))
    summary = summarize(path.name, Path(path).read_bytes())
    assert pickle.loads(pickle.dumps(summary)) == summary


def _tokenize_oracle(code: str) -> list[tuple[int, str]]:
    """(line, text) of each comment token, by the standard library's tokenizer."""
    import io
    import tokenize

    return [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(code).readline)
            if tok.type == tokenize.COMMENT]


TRICKY_STRINGS = '''x = "# noqa: DYN101"  # noqa: DYN102
y = '# dynolint: ignore'  # dynolint: ignore[DYN201]
z = """
# dynolint: ignore
\\""" # noqa: DYN103 still inside
"""  # noqa: DYN104
w = r'\\'  # noqa: DYN105
v = b"\\"#" + rb'#' + Rb"\\\\"  # noqa: DYN106
u = f"{x!r}#{y}"  # noqa: DYN107
t = \'\'\'it's # noqa: DYN108 ''\' # noqa: DYN109\'\'\'
s = ("a"  # noqa: DYN110
     "b")
# noqa: DYN111
'''


def test_suppression_scanner_finds_the_tokenizers_comments() -> None:
    """The regular-expression scanner reports a suppression on a line exactly when the
    tokenizer sees a suppression comment there: over tricky strings and over real files."""
    from dynolint.suppression import _SUPPRESS_RE

    sources = [TRICKY_STRINGS] + [p.read_text("utf-8") for p in sorted((FIXTURES / "cases").rglob("*.py"))]
    sources += [p.read_text("utf-8") for p in sorted(Path(cst.__file__).parent.rglob("*.py"))[:300]]
    assert [s.line for s in suppressions_in(TRICKY_STRINGS)] == [1, 2, 6, 7, 8, 9, 10, 11, 13]
    compared = 0
    for code in sources:
        expected = [line for line, text in _tokenize_oracle(code) if _SUPPRESS_RE.search(text)]
        assert [s.line for s in suppressions_in(code)] == expected
        compared += 1
    assert compared > 300


def test_suppression_lines_count_every_kind_of_line_break() -> None:
    for newline in ("\n", "\r\n", "\r"):
        code = newline.join(["a = 1", 's = "x"', "b = 2  # noqa: DYN101", ""])
        assert [s.line for s in suppressions_in(code)] == [3]


def test_positions_deferred_to_the_workers_equal_positions_computed_in_phase_1(tmp_path: Path) -> None:
    """Phase 1 leaves the positions of kept modules out; the workers compute them while the
    parent interprets. They equal the positions of a plain summary, from a kept module and
    from a worker that no longer holds it (a replaced one parses again); and the cache gets
    only complete summaries."""
    from dynolint.engine import pipeline
    from dynolint.api import Options
    from dynolint.config import Config
    from dynolint.engine.workers import WorkerPool

    sources = {path.relative_to(FIXTURES).as_posix(): path.read_bytes()
               for path in sorted((FIXTURES / "cases").glob("race-*/**/*.py"))[:80]}  # (race cases: most write items)
    config = Config(root=tmp_path, multi_tenant=True)  # every file is parsed
    interpreted: list[bool] = []
    with WorkerPool(timeout=60) as pool:
        parsed = pipeline.summarize_all(sources, config, Options(jobs=2), pool=pool, keep=True)
        deferred = [s.path for s in parsed.summaries if s.deferred]
        # within the budget, every file that may get fixes is kept (its positions deferred)
        assert deferred == sorted(path for path, data in sources.items() if pipeline.may_get_fixes(data))
        assert len(deferred) > 20 and all(s.spans == () for s in parsed.summaries if s.deferred)
        assert not list((tmp_path / ".dynolint_cache").rglob("*.pickle"))  # nothing half-made cached
        pipeline.complete_positions(parsed, pool, len(sources), meanwhile=lambda: interpreted.append(True))
    assert interpreted == [True]
    assert not any(s.deferred for s in parsed.summaries)
    assert list((tmp_path / ".dynolint_cache").rglob("*.pickle"))
    for summary in parsed.summaries:
        assert summary.spans == summarize(summary.path, sources[summary.path]).spans, summary.path
    # a worker without the kept modules (here: this process) parses again
    again = pipeline._positions((True, [(path, sources[path], None) for path in deferred[:5]]))
    assert again == {path: summarize(path, sources[path]).spans for path in deferred[:5]}


def test_the_workers_keep_parsed_modules_within_the_runs_budget(monkeypatch, tmp_path: Path) -> None:
    """The workers of a run keep at most KEEP_BYTES of source between them, each its share;
    the files beyond it get their positions in phase 1, and all positions are right."""
    from dynolint.engine import pipeline
    from dynolint.api import Options
    from dynolint.config import Config
    from dynolint.engine.workers import WorkerPool

    body = b"import boto3\nt = boto3.resource('dynamodb').Table('t')\n" + b"x = t.get_item(Key={})\n" * 40
    sources = {f"m{number:02}.py": body for number in range(30)}
    monkeypatch.setattr(pipeline, "KEEP_BYTES", len(body) * 10)  # two workers: five files each
    with WorkerPool(timeout=60) as pool:
        parsed = pipeline.summarize_all(sources, Config(root=tmp_path, multi_tenant=True),
                                        Options(jobs=2, use_cache=False), pool=pool, keep=True)
        assert sum(s.deferred for s in parsed.summaries) == 10
        pipeline.complete_positions(parsed, pool, len(sources))
    expected = summarize("m00.py", body).spans
    assert all(s.spans == expected and not s.deferred for s in parsed.summaries)
