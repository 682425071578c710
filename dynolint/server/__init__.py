"""``dynolint server``: a language server over stdio (pygls 2, the ``lsp`` extra).

- ``analysis``: the project of each open buffer, checked with the unsaved texts in place of
  the files (no protocol types);
- ``scheduler``: one analysis at a time on a thread of its own, the newest request winning;
- ``convert``: findings as diagnostics, ranges and edits; the link to each rule's page;
- ``actions``: quick fixes, suppression comments, all safe fixes;
- ``app``: the pygls server that ties them to the protocol.
"""

from __future__ import annotations

INSTALL_HINT = ("dynolint server needs pygls 2 (the 'lsp' extra): from a dynolint checkout, "
                "pip install -e '.[lsp]'; or into the environment dynolint runs in, pip install 'pygls>=2,<3'")


def missing_dependency() -> str | None:
    """Why the server cannot start here (pygls or lsprotocol missing), or None."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as exc:
        return f"{INSTALL_HINT}; {exc}"
    return None


def serve() -> int:
    """Run the language server on stdin and stdout; the exit status."""
    from dynolint.server.app import serve as run

    return run()


__all__ = ["INSTALL_HINT", "missing_dependency", "serve"]
