"""Links to dynolint's own pages, only where they are known to exist.

dynolint is not published on a package index and has no website, so there is no URL to
link to unless the package metadata names its repository (``[project.urls]`` with a
``Repository`` or ``Source`` entry in pyproject.toml). When it does, and the repository is
on GitHub, the rule pages are ``docs/rules/<CODE>.md`` on its default branch; otherwise
callers leave the link out rather than point at a page that may not exist.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

_LABELS = ("repository", "source", "source code", "code")


@lru_cache(maxsize=1)
def repository_url() -> str | None:
    """The https URL of dynolint's repository as the installed package's metadata names it, or None."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("dynolint").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = str(entry).partition(",")
        url = url.strip().rstrip("/")
        if label.strip().lower() in _LABELS and urlsplit(url).scheme == "https" and urlsplit(url).netloc:
            return url
    return None


def _github_docs() -> str | None:
    url = repository_url()
    if url is None or urlsplit(url).netloc.lower() not in ("github.com", "www.github.com"):
        return None
    return f"{url.removesuffix('.git')}/blob/HEAD/docs/rules"


def rules_index_url() -> str | None:
    """The page that lists the rules (docs/rules/README.md), when it is known to exist."""
    docs = _github_docs()
    return f"{docs}/README.md" if docs else None


def rule_url(code: str) -> str | None:
    """The documentation page of rule ``code`` (docs/rules/<CODE>.md), when it is known to exist."""
    docs = _github_docs()
    return f"{docs}/{code.upper()}.md" if docs else None


__all__ = ["repository_url", "rule_url", "rules_index_url"]
