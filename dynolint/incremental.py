"""A warm run recomputes only what a change can reach.

Phase 2 follows calls, and calls follow imports: a file can change the findings only of the
files connected to it through imports (in either direction: a caller sees its callee, a
callee's module state is set by its callers). So the project splits into **components**,
the classes of files connected by imports, and the result of a run is the union of the
results of its components, each analysed alone with the same configuration and the same
infrastructure files. A warm run keeps, in the result cache, one entry per component
(keyed by the component's sources, the infrastructure files and the run's settings) and
analyses only the components whose entry is missing: in a monorepo, touching a file
re-analyses its sub-project, not the repository.

The import edges are the text scanner's (:func:`dynolint.pipeline._imports`), which matches a
module by its last name: it can join files that are not connected (two ``utils`` modules),
never split files that are. Code that declares infrastructure from Python (CDK apps name
their handlers by path, not by import) connects everything: such a project is one
component.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynolint.findings import Finding

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
    from dynolint.pipeline import _imports, module_of

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


__all__ = ["Part", "components", "join", "split"]
