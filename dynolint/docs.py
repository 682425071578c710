"""Rule documentation in Markdown, from the rules' own docs (for ``explain`` and docs/rules).

``python -m dynolint.docs`` writes ``docs/rules/<CODE>.md`` (one page per documented code, the
same text ``dynolint explain CODE`` prints) and ``docs/rules/README.md`` (the index);
``--check`` writes nothing and exits 1 when the pages on disk are stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dynolint.rules.base import Rule

DEFAULT_OUT = Path("docs") / "rules"
INDEX = "README.md"


def render_rule(rule: type[Rule]) -> str:
    lines = [f"# {rule.code} {rule.name}", "", rule.summary + ".", ""]
    for heading, body in rule.docs.sections():
        lines.extend([f"## {heading}", "", body, ""])
    return "\n".join(lines).rstrip() + "\n"


def render_index(rules: tuple[type[Rule], ...]) -> str:
    """docs/rules/README.md: every documented code with a link to its page."""
    lines = [
        "# dynolint rules",
        "",
        "Generated from the rules' own documentation by `python -m dynolint.docs`; do not edit by hand.",
        "`dynolint explain CODE` prints the same pages.",
        "",
        "| code | name | severity | what it finds |",
        "|---|---|---|---|",
    ]
    for rule in rules:
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | {summary} |")
    return "\n".join(lines) + "\n"


def generate() -> dict[str, str]:
    """File name (inside docs/rules) -> content, for every documented code and the index."""
    from dynolint.meta import DOCUMENTED

    pages = {f"{rule.code}.md": render_rule(rule) for rule in DOCUMENTED}
    pages[INDEX] = render_index(DOCUMENTED)
    return pages


def stale_pages(out_dir: Path) -> list[str]:
    """Pages under ``out_dir`` that are missing, differ from what ``generate`` makes, or are
    left over from a code that no longer exists."""
    pages = generate()
    stale = [name for name, text in sorted(pages.items())
             if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text]
    if out_dir.is_dir():
        stale.extend(sorted(p.name for p in out_dir.glob("*.md") if p.name not in pages))
    return stale


def write_pages(out_dir: Path) -> list[str]:
    """Write the pages (removing pages of codes that no longer exist); returns the names changed."""
    changed = stale_pages(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = generate()
    for name in changed:
        target = out_dir / name
        if name in pages:
            target.write_text(pages[name], encoding="utf-8", newline="\n")
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dynolint.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the directory to write (default: docs/rules)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the pages are stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages(args.out)
        for name in stale:
            print(f"{args.out / name} is stale: run python -m dynolint.docs", file=sys.stderr)
        return 1 if stale else 0
    for name in write_pages(args.out):
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
