"""Phase 2 entry point: link the summaries into a project, interpret every analysis root,
and expose the result to the rules as one :class:`Model`."""

from __future__ import annotations

from typing import Callable

from dynolint.phase1 import ir
from dynolint.config import Config
from dynolint.findings import Confidence, Finding, Related, Severity
from dynolint.model.events import Chain, FrameInfo, RootInfo
from dynolint.model.footprint import Focus, Footprint, RootKey
from dynolint.model.inherited import receiver_classes, template_methods
from dynolint.model.interp import Interpreter
from dynolint.model.invokers import assign_roles
from dynolint.model.keys import Taint
from dynolint.model.project import Infra, Project
from dynolint.model.races import Race
from dynolint.model.races import races as find_races
from dynolint.model.values import Loc, Val


class Model:
    """The program model the rules query: the project, and what interpreting it observed."""

    def __init__(self, project: Project, interp: Interpreter) -> None:
        self.project = project
        self.interp = interp
        self.index = interp.index
        self._races: list[Race] | None = None
        self.problems: list[tuple[str, str]] = list(interp.problems)  # (path, message): internal errors
        self.memo: dict[str, dict[object, object]] = {}  # per-question caches for rules and fixes
        self.footprints: dict[RootKey, Footprint] | None = None  # what each root depends on (a whole run)

    # -- facts --------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        return self.project.config

    def taint(self, value: Val) -> Taint:
        return self.index.taint(value)

    def taint_all(self, values: tuple[Val, ...] | list[Val]) -> Taint:
        result = Taint()
        for value in values:
            result = result | self.index.taint(value)
        return result

    def races(self) -> list[Race]:
        """Racy writes (computed once, shared by the DYN1 rules)."""
        if self._races is None:
            self._races = find_races(self)
        return self._races

    def frame(self, frame_id: int) -> FrameInfo:
        return self.interp.frames[frame_id]

    def root(self, root_id: int) -> RootInfo:
        return self.interp.roots[root_id]

    # -- locations ----------------------------------------------------------------------
    def span(self, loc: Loc) -> ir.Span:
        summary = self.project.files.get(loc[0])
        if summary is None or not 0 <= loc[1] < len(summary.spans):
            return ir.Span(1, 1, 1, 1)
        return summary.spans[loc[1]]

    def stmt_span(self, loc: Loc) -> ir.Span:
        summary = self.project.files.get(loc[0])
        if summary is None or not 0 <= loc[1] < len(summary.stmt_of):
            return self.span(loc)
        return summary.spans[summary.stmt_of[loc[1]]]

    def related(self, loc: Loc, message: str, kind: str = "") -> Related:
        span = self.span(loc)
        return Related(loc[0], span.line, span.column, message, span.end_line, span.end_column, kind)

    def chain_related(self, *chains: Chain, kinds: tuple[str, ...] = ()) -> list[Related]:
        """The call sites that lead from a common caller to each event (the n-th chain's
        sites get ``kinds[n]``, when given)."""
        if not chains:
            return []
        common = 0
        shortest = min(len(c) for c in chains)
        while common < shortest and all(c[common] == chains[0][common] for c in chains):
            common += 1
        seen: set[Loc] = set()
        out: list[Related] = []
        for number, chain in enumerate(chains):
            for loc in chain[common:]:
                if loc not in seen:
                    seen.add(loc)
                    out.append(self.related(loc, "called here", kinds[number] if number < len(kinds) else ""))
        return out

    def finding(self, code: str, name: str, loc: Loc, message: str, severity: Severity,
                confidence: Confidence, related: list[Related] | tuple[Related, ...] = (),
                stmt_loc: Loc | None = None) -> Finding:
        span = self.span(loc)
        stmt = self.stmt_span(stmt_loc or loc)
        return Finding(code, name, loc[0], span.line, span.column, span.end_line, span.end_column, message,
                       severity, confidence, tuple(related), None,
                       min(stmt.line, span.line), max(stmt.end_line, span.end_line),
                       self.context_of(loc))

    def context_of(self, loc: Loc) -> str:
        """The qualified name of the function holding ``loc`` (for baseline fingerprints)."""
        summary = self.project.files.get(loc[0])
        if summary is None:
            return ""
        span = self.span(loc)
        best = ""
        best_size = 1 << 30
        for function in summary.functions:
            fspan = summary.spans[function.site]
            if fspan.line <= span.line <= fspan.end_line and fspan.end_line - fspan.line < best_size:
                best, best_size = function.qualname, fspan.end_line - fspan.line
        return best

    def line_of(self, loc: Loc) -> int:
        return self.span(loc).line

    def line_ref(self, loc: Loc, at: Loc) -> str:
        """Where ``loc`` is, said in a message reported at ``at``: ``line 9``, or ``repo.py:9``
        in another file."""
        line = self.line_of(loc)
        return f"line {line}" if loc[0] == at[0] else f"{loc[0].rsplit('/', 1)[-1]}:{line}"


def build(summaries: list[ir.FileSummary], config: Config, infra: Infra,
          roots: frozenset[str] | None = None, timeout: float = 0.0, memory_mb: float = 0.0,
          focus: Focus | None = None, reverse_roots: bool = False) -> Model:
    """Interpret the module body and every function of each root file (all files when
    ``roots`` is None) as an analysis root; other files are reached through calls. A root
    that fails or overruns ``timeout`` seconds, or would start with this process over
    ``memory_mb`` MB, is recorded in ``Model.problems`` and the others go on. ``focus``: of
    the function roots, only those it runs (a focused run, model/footprint.py); without it,
    the model keeps every root's footprint. ``reverse_roots``: the function roots in the
    reverse order (the findings must not depend on it: tests/test_root_order.py)."""
    project = Project(summaries, config, infra)
    interp = Interpreter(project)
    interp.timeout = timeout
    interp.memory_mb = memory_mb
    recorder = interp.summaries.footprint
    recorder.on = focus is None

    def declarations() -> int:
        return len(interp.cdk_functions) + len(interp.cdk_tables) + len(interp.cdk_invokers)

    def run(key: tuple[str, str, str], what: str, runner: Callable[..., object], *args: object) -> None:
        recorder.begin(key)
        before = declarations()
        interp.guarded(key[0], what, runner, *args)
        recorder.end(declarations() != before)

    for path in sorted(project.files):
        if (roots is None or path in roots) and (focus is None or path in focus.modules):
            run((path, "<module>", ""), "<module>", interp.run_module, path)
    for (path, qualname), function in sorted(project.functions.items(), key=lambda kv: kv[0], reverse=reverse_roots):
        if function.parent is not None or (roots is not None and path not in roots):
            continue
        if focus is not None and not focus.may_run(path, qualname):
            continue
        cls = project.classes.get((path, function.class_qualname)) if function.class_qualname else None
        receivers = receiver_classes(interp, path, cls, function) if cls is not None else None
        if receivers is not None:  # once per class of the receiver (model/inherited.py)
            for receiver in receivers:
                key = (path, qualname, f"{receiver.path}:{receiver.qualname}")
                klass = project.classes.get((receiver.path, receiver.qualname))
                if klass is not None and (focus is None or focus.runs(key)):
                    run(key, qualname, interp.run_function_root, path, function,
                        project.is_declared_handler(path, qualname), (receiver.path, klass), True)
        elif focus is None or focus.runs((path, qualname, "")):
            run((path, qualname, ""), qualname, interp.run_function_root, path, function,
                project.is_declared_handler(path, qualname))
    for class_path, cls, path, function in template_methods(interp, roots, focus.modules if focus else None):
        key = (path, function.qualname, f"{class_path}:{cls.qualname}")
        if focus is None or focus.runs(key):
            run(key, function.qualname, interp.run_function_root, path, function, False, (class_path, cls))
    for path in sorted(project.files):  # objects Lambda calls: ``__call__`` on the module's instance
        if (roots is None or path in roots) and (focus is None or path in focus.modules):
            for name, instance, method_path, function in interp.handler_objects(path):
                key = (path, name, "")
                if focus is None or focus.runs(key):
                    run(key, function.qualname, interp.run_function_root, method_path, function, True, None, False,
                        instance)
    interp.summaries.release()
    functions, tables = interp.cdk_declarations()
    project.infra.functions.extend(functions)
    project.infra.tables.extend(tables)
    assign_roles(project, interp.roots)  # who the infrastructure says invokes each handler
    model = Model(project, interp)
    model.footprints = recorder.out if focus is None else None
    return model
