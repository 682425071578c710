"""The abstract interpreter: runs the IR of each analysis root over abstract values,
following calls into project functions, and records what it observes.

This module holds its state (the events it records, the heap, the summaries) and runs the
roots; control flow is :mod:`dynolint.model.statements`, calls :mod:`dynolint.model.calls`.
Calls into project code are inlined (bounded depth, no recursion), so a read in one helper
and a write in another meet on the caller's path.
"""

from __future__ import annotations

import time
from typing import Callable

from dynolint.phase1 import ir
from dynolint.model.assign import AssignMixin
from dynolint.model.subscripts import SubscriptsMixin
from dynolint.model.in_place import InPlaceMixin
from dynolint.model.authz import AuthzMixin
from dynolint.model.aws import AwsMixin
from dynolint.model.calls import CallsMixin
from dynolint.model.cdk import CdkFunction, CdkMixin
from dynolint.model.control import ControlMarks, ControlMixin
from dynolint.model.module_state import ModuleStateMixin
from dynolint.model.classes import ClassesMixin
from dynolint.model.holding import HoldingMixin
from dynolint.model.properties import PropertiesMixin
from dynolint.model.decorators import DecoratorsMixin
from dynolint.model.external import ExternalMixin
from dynolint.model.files import FilesMixin
from dynolint.model.library_calls import ExitCallback, LibraryMixin
from dynolint.model.mixin import Mixin
from dynolint.model.objects import ObjectsMixin
from dynolint.model.keywords import KeywordsMixin
from dynolint.model.records import RecordsMixin
from dynolint.model.containers import ContainersMixin
from dynolint.model.locks import LocksMixin
from dynolint.model.comprehensions import ComprehensionsMixin
from dynolint.model.injection import InjectionMixin
from dynolint.model.roots import RootsMixin
from dynolint.model.statements import RootTimeout, StatementsMixin
from dynolint.model.with_stmt import WithMixin
from dynolint.model.dynamo import DynamoMixin
from dynolint.model.evaluate import EvalMixin
from dynolint.model.events import (
    DataCall, Decision, FrameInfo, GlobalStore, Invoke, ReadEvent, RootInfo, ScopedCredsMint, ScopingUse, TmpWrite,
    WriteRecord,
)
from dynolint.model.pynamodb import PynamoMixin, PynInfo
from dynolint.model.keys import Taint, TaintIndex
from dynolint.model.project import Project, TableDecl
from dynolint.model.state import NO_ALIASES, Frame, State, nonlocal_names
from dynolint.model.summaries import Summaries
from dynolint.model.verdicts import Options
from dynolint.memory import describe_part, resident_mb
from dynolint.model.unseen import forget_stamps
from dynolint.model.values import (
    CredsV,
    UNKNOWN, ClassV, ConstV, FuncV, OpaqueV, Loc, PynModelV, TenantIdV, Val,
)

MAX_DEPTH = 8  # calls deep (past it, only helpers that compute: model/depth.py)
ROOT_BUDGET = 60_000


class Machine(StatementsMixin, WithMixin, EvalMixin, SubscriptsMixin, AssignMixin, InPlaceMixin, ClassesMixin, HoldingMixin, PropertiesMixin, ObjectsMixin,
              RecordsMixin, ComprehensionsMixin, KeywordsMixin, ContainersMixin, LocksMixin, RootsMixin, InjectionMixin, CallsMixin, ExternalMixin,
              LibraryMixin, DecoratorsMixin, FilesMixin, DynamoMixin, PynamoMixin, AwsMixin, CdkMixin, AuthzMixin,
              ControlMixin, ModuleStateMixin, Mixin):
    """The interpreter as its parts see it: the parts (mixins, one module each) and the state
    they share. For mypy a Protocol (``dynolint.model.mixin``): every method of a part types
    ``self`` as a Machine, so a call from one part to another is checked. The state is declared
    here and set in :class:`Interpreter`."""

    project: Project
    roots: list[RootInfo]
    frames: list[FrameInfo]
    reads: list[ReadEvent]
    writes: list[WriteRecord]
    data_calls: list[DataCall]
    mints: list[ScopedCredsMint]
    global_stores: list[GlobalStore]
    tmp_writes: list[TmpWrite]
    cleaned: set[int]  # indexes of tmp_writes removed in a finally
    cleared_stores: set[GlobalStore]  # stores into module variables a finally clears again
    request_scoped: dict[tuple[int, str, str], Val]  # (root, namespace, attribute) -> what the request stored
    request_hooked: set[tuple[int, str]]  # (root, namespace) the hooks storing into it ran in
    # hooks and blueprints registered where the code runs (an app factory's ``@app.before_request``,
    # ``app.register_blueprint(bp)``): (application, hook function) and (application, blueprint)
    registered_at_run: list[tuple[Val, FuncV]]
    blueprints_at_run: list[tuple[Val, Val]]
    computes_memo: dict[tuple[str, str], bool]  # a function (path, qualname) -> model/depth.computes
    var_setter_memo: dict[Loc, list[tuple[str, ir.Function, tuple[Val, ...], str | None]]]  # a ContextVar (where made) -> the functions that set it (handler_context)
    invokes: list[Invoke]
    module_envs: dict[str, dict[str, Val]]
    # modules whose body is running: a call made meanwhile sees none of their globals
    modules_in_progress: set[str]
    partial_envs: dict[str, dict[str, Val]]  # a module body running: its names bound so far
    class_envs: dict[tuple[str, str], dict[str, Val]]
    method_wrappers: dict[tuple[str, str], Val | None]  # a method -> the wrapper its decorators made of it
    subclass_index: dict[tuple[str, str], list[ClassV]]
    lambdas: dict[tuple[str, int], ir.Lambda]
    truthy_values: set[Val]  # values ``a or b`` whose ``b`` is always true
    heap: dict[tuple[object, str], Val]  # (allocation site, or class_cell's key of a class; attribute)
    heap_names: dict[object, set[str]]  # allocation site -> the attributes stored on it
    closures: list[dict[str, Val]]
    # the closures made by a function the import ran (``usage_table = _factory()``): their
    # variables live as long as the module, as its globals do (model/assign.py)
    import_closures: set[int]
    root_instances: dict[tuple[str, str, bool], Val]  # (path, class, exact) -> the instance a root runs on
    root_stack: list[int]
    call_stack: list[tuple[str, str, int]]  # (path, qualname, closure) of the functions being run
    pyn_models: dict[tuple[str, str], PynModelV | None]
    pyn_infos: dict[tuple[str, str], PynInfo]
    scoping_uses: list[ScopingUse]
    absence_sites: dict[int, Loc]  # read id -> the if that branched on its absence
    subscripted: list[int]  # the reads whose response was subscripted ``["Item"]``, in order (model/statements.py)
    global_values: dict[tuple[str, str], list[Val]]
    global_entries: dict[tuple[str, str], list[tuple[Val, Val]]]  # dict entries stored
    import_origins: dict[tuple[str, str], tuple[tuple[str, str], ...]]  # a name imported: where it lives
    property_kinds: dict[tuple[str, str], str | ClassV | None]
    derived_classes: dict[tuple[str, str, str], bool]  # does the class derive from a kind of library class
    exit_stacks: list[tuple[Val, list[ExitCallback]]]  # the exit stacks of running with blocks, innermost last
    changed_in_place: dict[int, Loc]  # read id -> where a part of its item was first changed in place
    assigned_in_place: dict[int, set[str]]  # read id -> attributes its item was given new values of
    arith_sources: dict[int, set[str]]  # read id -> its attributes that arithmetic assigned in place reads
    # (read id, attribute) -> the d of each ``item.get(attribute, d)``, in the order met (a dict as a set)
    read_defaults: dict[tuple[int, str], dict[Val, None]]
    reset_vars: set[Loc]  # the ContextVars (where made) some code resets: set and reset per request
    vars_set: set[tuple[int, Loc]]  # (root, ContextVar) the root set, itself or through what it ran
    removed_entries: set[tuple[str, str]]  # (process state, constant key) some code removes (os.environ.pop)
    session_states: set[str]  # module state an HTTP session keeps (``SESSION.headers``) that functions change
    module_instances: set[Loc]  # where instances (and HTTP sessions) made at import were made: module state
    mappings_made: bool  # an instance of a dict subclass was made (model/mappings.py)
    # id(value) -> (it, len(module_instances), its held tenants, the heap cells it looked at,
    # the objects it looked into with their counts of writes then): classes.held
    held_memo: dict[int, tuple[Val, int, tuple[frozenset[TenantIdV], frozenset[CredsV]], tuple[tuple[object, str], ...],
                               tuple[tuple[object, int], ...]]]
    verdicts: dict[int, tuple[Val, Options]]  # id(a call's result) -> it, what each return decided (verdicts.py)
    carried: dict[int, tuple[Val, tuple[Decision, ...]]]  # id(an element appended) -> it, its path's decisions
    defaults: dict[tuple[str, str], dict[str, Val]]  # default arguments, as defined
    closure_defaults: dict[int, dict[str, Val]]  # a nested function's, by its closure
    call_wrappers: dict[str, dict[str, list[FuncV]]]  # module -> function -> closures of its globals wrapping it
    cdk_functions: dict[tuple[str, str], CdkFunction]
    cdk_tables: dict[tuple[str, str], TableDecl]
    cdk_invokers: list[tuple[str, str]]  # (function construct id, invoker kind)
    index: TaintIndex
    control: ControlMarks  # values chosen under tests on scan results (model/control.py)
    budget: int
    seq: int
    timeout: float  # seconds per root; 0: no limit
    deadline: float
    memory_mb: float  # this process's part of the memory budget (dynolint.memory); 0: none
    over_memory: set[str]  # files with a root not analysed for lack of memory
    memory_collected: bool
    problems: list[tuple[str, str]]  # (path, message)
    cut_short: list[tuple[str, str]]  # (path, message): roots the statement budget stopped (warnings)
    path_facts: frozenset[str]  # the authorization facts of the statement running
    source_facts: dict[Loc, frozenset[str]]  # tenant id sources: the facts where they are read
    cached_entries: set[Val]  # values function code stored into entries of module-level containers (caches)
    summaries: Summaries

    def guarded(self, path: str, what: str, run: Callable[..., object], *args: object) -> None:
        """Run one analysis root; if it fails or overruns its time, record why (naming the
        file and function) and leave the interpreter ready for the next root."""
        if self.memory_mb and self._over_memory():
            if path not in self.over_memory:  # said once per file
                self.over_memory.add(path)
                self.problems.append((path, f"analysis of {what} (and of what follows it in this file) was not "
                                            f"run: dynolint is over {describe_part(self.memory_mb)}; findings in "
                                            "it may be missing"))
            return
        # CPU time of this thread, not wall time: a loaded machine must not change the findings
        self.deadline = time.thread_time() + self.timeout if self.timeout else 0.0
        try:
            run(*args)
            if self.budget <= 0:  # what it would have called past that point was taken as unknown
                self.cut_short.append((path, f"analysis of {what} stopped at its budget of {ROOT_BUDGET:,} "
                                             "statements: calls past it were taken as unknown; findings in it "
                                             "may be missing"))
        except RootTimeout:
            self.problems.append((path, f"analysis of {what} timed out after {self.timeout:g} s (--timeout); "
                                        "findings in it may be missing"))
        except Exception as exc:  # noqa: BLE001 - one function must not abort the run
            from dynolint.errors import origin

            self.problems.append((path, f"internal error while analysing {what}: {type(exc).__name__}: {exc} "
                                        f"[{origin(exc)}]; findings in it may be missing"))
        finally:
            self.deadline = 0.0
            self.call_stack.clear()
            self.root_stack.clear()
            self.exit_stacks.clear()  # a root stopped inside a with block leaves its stack open
            self.verdicts.clear()
            self.carried.clear()
            self.summaries.reset()
            self.index.forget_values()

    def _over_memory(self) -> bool:
        """Is this process over its part of the memory budget (after collecting garbage)?"""
        if (resident_mb() or 0.0) <= self.memory_mb:
            return False
        if self.memory_collected:
            return True
        self.memory_collected = True  # the first time: what the collector frees may be enough
        import gc

        gc.collect()
        return (resident_mb() or 0.0) > self.memory_mb

    def taint(self, value: Val) -> Taint:
        return self.index.taint(value)

    def vals_equal(self, left: Val, right: Val) -> bool:
        return self.index.equal(left, right)

    def new_root(self, info: RootInfo) -> int:
        self.roots.append(info)
        return len(self.roots) - 1

    def current_root(self) -> int:
        return len(self.roots) - 1

    def new_frame_info(self, func: str, path: str, parent: int) -> int:
        self.frames.append(FrameInfo(func, path, parent))
        return len(self.frames) - 1

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def costly_seq(self) -> int:
        """The sequence number of paid work (HTTP, another AWS service): an event, so the
        call doing it is inlined where it runs, never reused from a summary."""
        self.summaries.effect()
        return self.next_seq()

    # -- roots ---------------------------------------------------------------------------
    def table_key_names(self, table: Val) -> tuple[str, ...]:
        """The key attributes of ``table`` when its schema is known (config, IaC)."""
        facts = self.project.table_facts(table)
        return tuple(n for n in (facts.partition_key, facts.sort_key) if n) if facts is not None else ()

    def run_module(self, path: str, own: bool = False) -> dict[str, Val]:
        """Evaluate a module body once; its final environment gives the module globals.
        ``own``: a function of the module looks up one of its globals; while the module body
        runs (the function was called from it), that is the names bound so far, as in Python
        (an import of a module in progress sees none: a package importing from itself
        would make every call of its submodules see partial names and run again)."""
        if path in self.module_envs:
            return self.module_envs[path]
        if path in self.modules_in_progress:
            # what a call sees now, not what it sees later, so no call around this one is
            # summarised (model/summaries.py)
            self.summaries.cut()
            return self.partial_envs.get(path, {}) if own else {}
        self.modules_in_progress.add(path)
        summary = self.project.files[path]
        root = self.new_root(RootInfo(path, "<module>", False, module_root=True))
        frame = Frame(path, "<module>", None, frozenset(), frozenset(), None, (), 0,
                      self.new_frame_info("<module>", path, -1), root, is_module=True)
        state = State({})
        saved_budget = self.budget
        self.budget = ROOT_BUDGET
        self.summaries.footprint.filling += 1  # (model/footprint.py)
        try:
            state = self.exec_block(summary.body, state, frame)
        finally:
            self.summaries.footprint.filling -= 1
            self.budget = saved_budget
            self.modules_in_progress.discard(path)
            self.partial_envs.pop(path, None)
        env = dict(state.env)
        self.module_envs[path] = env
        return env

    def run_function_root(self, path: str, function: ir.Function, is_handler: bool,
                          on_class: tuple[str, ir.Class] | None = None, exact: bool = False,
                          instance: Val | None = None) -> None:
        """Analyse ``function`` with unknown callers; a method runs on an instance of its class,
        or of ``on_class`` (path, class) that inherits it, of that class alone when ``exact``
        (model/inherited.py), or on ``instance`` (a handler object's ``__call__``)."""
        root = self.new_root(RootInfo(path, function.qualname, is_handler))
        self.budget = ROOT_BUDGET
        self.seq = 0
        self_val: Val | None = None
        cls = None
        if function.class_qualname is not None:
            cls = self.project.classes.get((path, function.class_qualname))
            if instance is not None:
                self_val = instance
            elif on_class is not None:
                self_val = self.root_instance(*on_class, exact=exact)
            elif cls is not None:
                self_val = self.root_instance(path, cls)
        frame_info = self.new_frame_info(function.qualname, path, -1)
        frame = Frame(path, function.qualname, function, function.locals, function.declared_global,
                      None, (), 0, frame_info, root, self_val=self_val, cls=cls, nonlocals=nonlocal_names(function))
        entry = State({})  # what a web framework's dependencies did runs before the body
        env = self.root_params(path, function, is_handler, self_val, frame, entry)
        entry.env = env
        entry.aliases = dict(frame.entry_aliases) or NO_ALIASES  # (a shared default: ``_memo={}``)
        wrapper = self.decorated(path, function)
        if wrapper is not None and self.run_decorated_root(wrapper, function, env, State({}), frame):
            return
        wrapped = self.wrapped_by_call(path, function) if wrapper is None else None
        if wrapped is not None:  # the wrapper a call made of it runs too; the name still calls it as it is
            self.run_decorated_root(wrapped, function, dict(env), State({}), frame)
        state = entry
        if self.is_route(function):  # what runs before every request of the app runs before this one
            self.run_request_hooks(path, function, state, frame)
        stores = len(self.global_stores)
        if function.decorators:
            self.decorator_claims(function, env, state, frame)  # a library decorator's claim (model/locks.py)
        state = self.exec_block(function.body, state, frame)
        del state
        if function.decorators:
            self.clear_per_invocation(function, stores)  # a library decorator's clearing (model/objects.py)
        self.roots[root].returns = frame.returns[:8]
        if "authorizer" in self.roots[root].roles:
            self.authorizer_context(frame.returns, (path, frame.return_sites[-1] if frame.return_sites else function.site),
                                    frame)

    def unknown_result(self, args: list[Val]) -> Val:
        return OpaqueV(("", -1), tuple(args)) if args else UNKNOWN

    def const_true(self, value: Val) -> bool:
        return isinstance(value, ConstV) and bool(value.value)


class Interpreter(Machine):
    def __init__(self, project: Project) -> None:
        self.project = project
        self.roots = []
        self.frames = []
        self.reads = []
        self.writes = []
        self.data_calls = []
        self.mints = []
        self.global_stores = []
        self.tmp_writes = []
        self.cleaned = set()
        self.cleared_stores = set()
        self.request_scoped = {}
        self.request_hooked = set()
        self.registered_at_run = []
        self.blueprints_at_run = []
        self.var_setter_memo = {}
        self.computes_memo = {}
        self.invokes = []
        self.module_envs = {}
        self.modules_in_progress = set()
        self.partial_envs = {}
        self.class_envs = {}
        self.method_wrappers = {}
        self.subclass_index = {}
        self.lambdas = {}
        self.truthy_values = set()
        self.heap = {}
        self.heap_names = {}
        self.closures = []
        self.import_closures = set()
        self.root_instances = {}
        self.root_stack = []
        self.call_stack = []
        self.pyn_models = {}
        self.pyn_infos = {}
        self.scoping_uses = []
        self.absence_sites = {}
        self.subscripted = []
        self.global_values = {}
        self.global_entries = {}
        self.import_origins = {}
        self.property_kinds = {}
        self.derived_classes = {}
        self.exit_stacks = []
        self.verdicts = {}
        self.carried = {}
        self.module_instances = set()
        self.mappings_made = False
        self.held_memo = {}
        self.reset_vars = set()
        self.vars_set = set()
        self.removed_entries = set()
        self.session_states = set()
        self.changed_in_place = {}
        self.assigned_in_place = {}
        self.arith_sources = {}
        self.read_defaults = {}
        self.defaults = {}
        self.closure_defaults = {}
        self.call_wrappers = {}
        self.cdk_functions = {}
        self.cdk_tables = {}
        self.cdk_invokers = []
        self.index = TaintIndex(self.reads, self.project.deployed, self.table_key_names)
        self.control = ControlMarks()
        forget_stamps()  # the memo of the previous run (a language server runs many) holds its values
        self.budget = ROOT_BUDGET
        self.seq = 0
        self.timeout = 0.0
        self.deadline = 0.0
        self.memory_mb = 0.0
        self.over_memory = set()
        self.memory_collected = False
        self.problems = []
        self.cut_short = []
        self.path_facts = frozenset()
        self.source_facts = {}
        self.cached_entries = set()
        self.summaries = Summaries(self)


__all__ = ["Interpreter", "Machine", "MAX_DEPTH", "ROOT_BUDGET", "FrameInfo", "RootTimeout"]
