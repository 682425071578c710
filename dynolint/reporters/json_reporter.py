"""``--output-format json``: the array described in RULES.md.

A path is a string of valid UTF-8 (JSON text must be). A file name that is not UTF-8 (its
undecodable bytes are lone surrogates in Python) is written as the text reporter writes it,
with backslash escapes (``caf\\xe9.py``, and any backslash of the name doubled), and the
finding (or related location) also gets ``path_bytes``: the name's exact bytes in base64,
so a tool can still open the file. Every other path is written as it is and has no
``path_bytes``: the documented shape is unchanged for them.
"""

from __future__ import annotations

import base64
import json

from dynolint.findings import Finding


def json_path(path: str) -> tuple[str, str | None]:
    """``(path as valid UTF-8 text, base64 of its raw bytes or None when the text is exact)``."""
    try:
        path.encode("utf-8")
        return path, None
    except UnicodeEncodeError:
        pass
    from dynolint.reporters.text import escape_path

    try:
        raw = path.encode("utf-8", "surrogateescape")  # the bytes the file system gave
    except UnicodeEncodeError:  # a surrogate that did not come from a file name
        raw = path.encode("utf-8", "surrogatepass")
    return escape_path(path), base64.b64encode(raw).decode("ascii")


def _with_paths(entry: dict[str, object]) -> dict[str, object]:
    text, raw = json_path(str(entry["path"]))
    if raw is not None:
        entry["path"] = text
        keys = list(entry)
        at = keys.index("path") + 1
        entry = {**{k: entry[k] for k in keys[:at]}, "path_bytes": raw, **{k: entry[k] for k in keys[at:]}}
    return entry


def to_json(finding: Finding) -> dict[str, object]:
    """A finding as RULES.md shows it, its paths valid UTF-8 (see above)."""
    data = _with_paths(finding.to_json())
    related = data["related"]
    assert isinstance(related, list)
    data["related"] = [_with_paths(entry) for entry in related]
    return data


def render_json(findings: list[Finding]) -> str:
    return json.dumps([to_json(f) for f in sorted(findings, key=Finding.sort_key)], indent=2,
                      ensure_ascii=True) + "\n"
