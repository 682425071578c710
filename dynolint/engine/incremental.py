"""A warm run recomputes only what a change can reach.

Phase 2 follows calls, and calls follow imports: a file can change the findings only of the
files connected to it through imports (in either direction: a caller sees its callee, a
callee's module state is set by its callers). So the project splits into **components**,
the classes of files connected by imports, and the result of a run is the union of the
results of its components, each analysed alone with the same configuration and the same
infrastructure files. A warm run keeps, in the result cache, one entry per component
(keyed by the component's sources, the infrastructure files and the run's settings) and
analyses only the components whose entry is missing: in a monorepo, touching a file
re-analyses its sub-project, not the repository. A run that reports only the findings of some
files (``check --project . PATHS``, the pre-commit hook) needs only their components: a
component's findings and their related locations are in its own files.

The import edges are the text scanner's (:func:`dynolint.engine.importscan._imports`), which matches a
module by its last name: it can join files that are not connected (two ``utils`` modules),
never split files that are. Code that declares infrastructure from Python (CDK apps name
their handlers by path, not by import) connects everything: such a project is one
component.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from dynolint.findings import Finding

if TYPE_CHECKING:
    from dynolint.api import Options, RunResult
    from dynolint.model.footprint import Focus, Footprint, RootKey
    from dynolint.engine.cache import ResultCache
    from dynolint.config import Config

# a run reporting on some files whose change reaches this share of the roots runs them all (and
# records their footprints again)
WHOLE_RUN_SHARE = 0.5
_WHOLE_PROJECT = (b"aws_cdk", b"cdktf", b"constructs import")  # Python that declares other files' roles


@dataclass
class Part:
    """The result of one component, as cached."""

    findings: list[Finding]
    suppressed: list[Finding]
    unused_suppressions: list[tuple[str, int]]
    sources: dict[str, bytes]
    parsed: bool = False  # a file of it was worth parsing (phase 1 ran on it)


def components(sources: dict[str, bytes]) -> list[list[str]]:
    """The files of ``sources`` grouped by import connection (sorted; one group when the
    project declares infrastructure in Python)."""
    from dynolint.engine.importscan import _imports, module_of

    paths = sorted(sources)
    if any(word in sources[path] for path in paths for word in _WHOLE_PROJECT):
        return [paths] if paths else []
    index: dict[str, list[str]] = {}
    for path in paths:
        index.setdefault(module_of(path).rsplit(".", 1)[-1], []).append(path)
    parent = {path: path for path in paths}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for path in paths:
        for target in _imports(path, sources[path], index):
            a, b = find(path), find(target)
            if a != b:
                parent[max(a, b)] = min(a, b)
        package = module_of(path).rsplit(".", 1)[0] if "." in module_of(path) else ""
        if package:  # a module's package __init__ runs when it is imported
            for candidate in index.get(package.rsplit(".", 1)[-1], []):
                if module_of(candidate) == package:
                    a, b = find(path), find(candidate)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(find(path), []).append(path)
    return sorted(groups.values())


def split(part: Part, owner: dict[str, int]) -> tuple[dict[int, Part], Part]:
    """Divide a run's result by component (``owner`` maps a displayed path to its component);
    what belongs to no Python file of the run (an infrastructure file's problem) is the rest."""
    parts: dict[int, Part] = {index: Part([], [], [], {}) for index in set(owner.values())}
    rest = Part([], [], [], {})

    def target(path: str) -> Part:
        index = owner.get(path)
        return rest if index is None else parts[index]

    for finding in part.findings:
        target(finding.path).findings.append(finding)
    for finding in part.suppressed:
        target(finding.path).suppressed.append(finding)
    for entry in part.unused_suppressions:
        target(entry[0]).unused_suppressions.append(entry)
    for path, data in part.sources.items():
        target(path).sources[path] = data
    return parts, rest


def join(parts: list[Part]) -> Part:
    out = Part([], [], [], {})
    for part in parts:
        out.findings.extend(part.findings)
        out.suppressed.extend(part.suppressed)
        out.unused_suppressions.extend(part.unused_suppressions)
        out.sources.update(part.sources)
    out.findings.sort(key=Finding.sort_key)
    out.suppressed.sort(key=Finding.sort_key)
    out.unused_suppressions.sort()
    return out


def run_by_components(cache: ResultCache, sources: dict[str, bytes], infra_files: dict[str, bytes], config: Config,
                      options: Options, result: RunResult, display: dict[str, str],
                      run: Callable[[dict[str, bytes], Options], None],
                      infra_problems: Callable[[], list[Finding]]) -> None:
    """A cached run (``api.check_sources``): the whole answer from ``cache`` when nothing
    changed; else the import components (:func:`components`) whose part is cached come from
    the part cache, and ``run`` analyses the others (all the files of each), into ``result``.
    ``infra_problems`` gives the templates' own problems, once per set of templates."""
    from dynolint.engine.cache import PartCache, ResultCache
    from dynolint.phase1.pyversions import finder_for, running

    parts = [repr(config).encode(), repr(sorted(display.items())).encode(),
             repr((options.select, options.ignore, options.want_fixes)).encode(),
             repr((running(), sorted(finder_for(config).targets(sources).items()))).encode()]
    whole = ResultCache.key(parts, sources, infra_files)
    cached = cache.get(whole)
    if isinstance(cached, tuple) and len(cached) == 4:
        found, result.suppressed, result.unused_suppressions, result.sources = cached
        result.findings = sorted(result.findings + list(found), key=Finding.sort_key)
        return
    # a warm run after a change: the components the change did not reach come from the cache
    from dynolint.engine.workers import prestart

    prestart(sources.values())  # the parser imported while the components are found and looked up
    groups = components(sources)
    reported = _reported(groups, display, options.report_for)
    if reported is not None:
        groups = reported
    base = ResultCache.key([*parts, b"component"], {}, infra_files).encode()  # the settings and templates, once
    keys = [ResultCache.key([base], {path: sources[path] for path in group}, {}) for group in groups]
    store = PartCache.for_root(config.root)
    known: dict[int, Part] = {}
    for index, key in enumerate(keys):
        entry = store.get_key(key) if store is not None else None
        if isinstance(entry, Part):
            known[index] = entry
    todo = [index for index in range(len(groups)) if index not in known]
    earlier = list(result.findings)  # problems found while reading files: not part of the cached answer
    if todo:
        from dataclasses import replace

        run_sources = {path: sources[path] for index in todo for path in groups[index]}
        map_key = ResultCache.key([base, b"footprints"], {}, {})
        focus = None
        if reported is not None and store is not None and options.report_for is not None:
            shown = {path for path in run_sources if display.get(path, path) in options.report_for}
            focus = focused(store.get_key(map_key), sources, run_sources, frozenset(shown))
        run(run_sources, replace(options, project_files=len(sources), focus=focus))
        if result.errors:
            return
        fresh = Part([f for f in result.findings if f not in earlier], result.suppressed,
                     result.unused_suppressions, result.sources)
        owner = {display.get(path, path): index for index in todo for path in groups[index]}
        computed, _ = split(fresh, owner)  # the infrastructure's problems are added below
        for index in todo:
            computed[index].parsed = any(path in result.summaries for path in groups[index])
            if store is not None and focus is None:  # a focused run's part is not the whole part
                store.put_key(keys[index], computed[index])
            known[index] = computed[index]
        if store is not None:
            store.tidy(keep=len(groups))
            if focus is None and result.footprints is not None:
                store.put_key(map_key, recorded(store.get_key(map_key), result.footprints, sources, run_sources))
    total = join([known[index] for index in range(len(groups))])
    if any(part.parsed for part in known.values()):  # a run that parses a file reads the templates too
        from dynolint.suppression import apply

        problems = store.get_key(base.decode()) if store is not None else None  # the templates' problems
        if not isinstance(problems, list):
            problems = infra_problems()
            if store is not None:
                store.put_key(base.decode(), problems)
        applied = apply(problems, {}, config.per_file_ignores)
        total.findings.extend(applied.kept)
        total.suppressed.extend(applied.suppressed)
    result.findings = sorted(earlier + total.findings, key=Finding.sort_key)
    result.suppressed, result.unused_suppressions, result.sources = (
        total.suppressed, total.unused_suppressions, total.sources)
    if reported is None:  # the whole answer (a reported part of it is not)
        cache.put(whole, (total.findings, total.suppressed, total.unused_suppressions, total.sources))


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.blake2b(data, digest_size=16).hexdigest()


Recorded = tuple[tuple[str, ...], tuple["RootKey", ...], bool]  # a footprint, as the cache keeps it


def _footprint_map(entry: object) -> tuple[dict[str, str], dict[RootKey, Recorded]] | None:
    if (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], dict)
            and isinstance(entry[1], dict)):
        return entry[0], entry[1]
    return None


def focused(entry: object, sources: dict[str, bytes], run_sources: dict[str, bytes],
            shown: frozenset[str]) -> Focus | None:
    """The roots a run reporting on the files ``shown`` (of ``run_sources``) interprets, from
    the footprints a whole run recorded (``entry``, model/footprint.py): None, all of them,
    when there is no map or the change reaches most roots."""
    from dynolint.model.footprint import Footprint, select

    found = _footprint_map(entry)
    if found is None:
        return None
    digests, roots = found
    changed = {path for path, data in sources.items() if digests.get(path) != _digest(data)}
    changed |= set(digests) - set(sources)  # deleted files
    changed |= shown
    if any(declares and not changed.isdisjoint(paths) for paths, _, declares in roots.values()):
        return None  # infrastructure declared in Python changed: any function's findings may
    focus = select({key: Footprint(frozenset(paths), frozenset(feeds), declares)
                    for key, (paths, feeds, declares) in roots.items()},
                   frozenset(changed))
    mine = [key for key in focus.known if key[0] in run_sources]
    if not mine or sum(key in focus.selected for key in mine) >= WHOLE_RUN_SHARE * len(mine):
        return None  # most of it: a whole run, which records the map afresh
    return focus


def recorded(entry: object, footprints: dict[RootKey, Footprint], sources: dict[str, bytes],
             run_sources: dict[str, bytes]) -> tuple[dict[str, str], dict[RootKey, Recorded]]:
    """The footprint map after a whole run of the files ``run_sources``: theirs replaced."""
    digests, roots = _footprint_map(entry) or ({}, {})
    digests = {path: value for path, value in digests.items() if path in sources and path not in run_sources}
    digests.update((path, _digest(data)) for path, data in run_sources.items())
    roots = {key: value for key, value in roots.items() if key[0] in digests and key[0] not in run_sources}
    roots.update((key, (tuple(sorted(fp.paths)), tuple(sorted(fp.feeds)), fp.declares))
                 for key, fp in footprints.items())
    return digests, roots


def _reported(groups: list[list[str]], display: dict[str, str],
              report_for: frozenset[str] | None) -> list[list[str]] | None:
    """The components holding a file whose findings are reported, when every such file is a
    Python file of the run (a template or a file outside it may be related to any
    component); None: all of them."""
    if report_for is None:
        return None
    shown = {display.get(path, path) for group in groups for path in group}
    if not report_for <= shown:
        return None
    return [group for group in groups if any(display.get(path, path) in report_for for path in group)]


__all__ = ["run_by_components", "Part", "components", "join", "split"]
