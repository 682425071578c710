"""The limits of the inputs dynolint reads from an untrusted tree (``safefs.read_file`` reads
them: regular files only, never blocking, never more than the limit).

A FIFO, socket or device put where a file was expected (a source replaced by a FIFO between
discovery and reading) is refused without waiting on it: the file is opened non-blocking
and checked after opening, so nothing can swap it between a check and the read. A file
larger than the limit is refused before it is read, and one that grows while it is read is
cut at the limit and refused too.
"""

from __future__ import annotations

# The default of ``max-file-size``: far above any hand-written module (the largest files of
# boto3, django or moto are under 1 MB), small enough that one file cannot exhaust memory.
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
# A CloudFormation template can hold at most 1 MB (uploaded through S3; 51,200 bytes inline):
# YAML infrastructure files above it are skipped (PyYAML takes seconds per megabyte).
TEMPLATE_LIMIT = 1024 * 1024
