#!/usr/bin/env python3
"""The floor dynolint is measured against: ``libcst.parse_module`` on every ``*.py`` file under a
directory, and nothing else, with a pool of N processes (default: ``os.cpu_count()``, which is
dynolint's default number of jobs).

    python bench/parse_only.py DIR [--jobs N]

Exit status 0; 1 if a file does not parse (the generated corpora always do).
"""

from __future__ import annotations

import argparse
import os
import sys

import libcst


def parse_file(path: str) -> int:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        libcst.parse_module(data)
    except libcst.ParserSyntaxError:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    files = []
    for directory, dirnames, filenames in os.walk(args.directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files += [os.path.join(directory, name) for name in filenames if name.endswith(".py")]
    files.sort(key=lambda path: -os.path.getsize(path))  # largest first: the pool ends evenly
    if args.jobs <= 1:
        failed = sum(parse_file(path) for path in files)
    else:
        import multiprocessing

        with multiprocessing.Pool(args.jobs) as pool:
            failed = sum(pool.imap_unordered(parse_file, files, chunksize=4))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
