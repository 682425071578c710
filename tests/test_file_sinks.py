"""The command-line part of the file-sink table: which command words write under /tmp."""

from __future__ import annotations

import pytest

from dynolint.model.files import command_writes_tmp


@pytest.mark.parametrize("words", [
    ["curl", "-sS", "-o", "/tmp/x.bin", "https://example.com/x"],
    ["curl", "--output=/tmp/x.bin", "https://example.com/x"],
    ["/usr/bin/wget", "-q", "-O", "/tmp/y"],
    ["wget", "-P", "/tmp/dl", "https://example.com/y"],
    ["tar", "-xzf", "bundle.tgz", "-C", "/tmp/site"],
    ["unzip", "-q", "a.zip", "-d", "/tmp/a"],
    ["cp", "-r", "assets", "/tmp/assets"],
    ["aws", "s3", "cp", "s3://bucket/key", "/tmp/key"],
    ["echo", "hi", ">", "/tmp/out.txt"],
    ["sort", "data.txt", ">>/tmp/sorted.txt"],
    ["gzip", "-c", "x", "2>/tmp/err.log"],
])
def test_writes(words: list[str]) -> None:
    assert command_writes_tmp(words)


@pytest.mark.parametrize("words", [
    ["curl", "-sI", "https://example.com"],
    ["curl", "--data-binary", "@/tmp/body.json", "https://example.com"],
    ["tar", "-tzf", "/tmp/seed.tgz"],
    ["aws", "s3", "cp", "/tmp/report.csv", "s3://bucket/report.csv"],
    ["cp", "/tmp/a", "/var/task/b"],
    ["sha256sum", "/tmp/seed.tgz"],
    ["curl", "-o", "/opt/x", "https://example.com"],
    ["cat", "/tmp/a", "|", "cp", "x"],
])
def test_does_not_write(words: list[str]) -> None:
    assert not command_writes_tmp(words)
