"""Fixtures of the race lab: a real dynalite server, the AWS environment that points unedited
scenario code at it, and throwaway tables.

- ``dynalite`` (session): starts ``node_modules/.bin/dynalite`` (in memory) on a free loopback port,
  running ``npm install`` first when the binary is missing, and stops it at the end of the session.
- ``dynalite_env`` (function): sets ``AWS_ENDPOINT_URL_DYNAMODB``, fake credentials and a region with
  ``monkeypatch`` and gives boto3 a fresh default session, so module-level
  ``boto3.resource("dynamodb")`` in the code under test reaches dynalite without being edited.
- ``make_table`` (function): ``make_table(hash_key, range_key=None, env_var=None) -> name`` creates a
  uniquely named PAY_PER_REQUEST table (and points ``env_var`` at it); deleted at teardown.
- ``lab`` (function): the three above in one object, which the ``measure_*`` functions take.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCESS_KEY = "racelab"
SECRET_KEY = "racelab-secret"
START_TIMEOUT = 20.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "racelab: runs scenario code against a real dynalite server with real threads "
        "(needs node/npm; deselect with -m 'not racelab')",
    )


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (free when asked; the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dynalite_binary() -> Path:
    binary = REPO_ROOT / "node_modules" / ".bin" / "dynalite"
    if binary.exists():
        if shutil.which("node") is None:
            pytest.skip(f"race lab needs node to run {binary}, and node is not on PATH")
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("race lab needs dynalite from npm: node_modules/.bin/dynalite is missing "
                    "and npm is not on PATH to install it")
    proc = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 or not binary.exists():
        pytest.fail(f"`npm install` in {REPO_ROOT} did not provide {binary} "
                    f"(exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return binary


@dataclass
class Dynalite:
    """A running dynalite: where it listens, and boto3 clients that talk to it."""

    endpoint_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    region: str = REGION
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def session(self) -> boto3.session.Session:
        return boto3.session.Session(aws_access_key_id=self.access_key,
                                     aws_secret_access_key=self.secret_key,
                                     region_name=self.region)

    def client(self, **config: Any) -> Any:
        """A low-level DynamoDB client for dynalite (``config`` goes to botocore's Config)."""
        return self.session().client("dynamodb", endpoint_url=self.endpoint_url,
                                     config=Config(**config) if config else None)

    def resource(self, **config: Any) -> Any:
        """A DynamoDB service resource for dynalite."""
        return self.session().resource("dynamodb", endpoint_url=self.endpoint_url,
                                       config=Config(**config) if config else None)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _wait_until_up(server: Dynalite) -> None:
    probe = server.client(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1})
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dynalite exited with {server.process.returncode}:\n{server.log()}")
        try:
            probe.list_tables(Limit=1)
            return
        except Exception as exc:  # not listening yet
            last = exc
            time.sleep(0.1)
    raise TimeoutError(f"dynalite did not answer ListTables within {START_TIMEOUT}s "
                       f"({last!r}):\n{server.log()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dynalite]:
    """An in-memory dynalite on a free loopback port for the whole session, stopped afterwards."""
    binary = _dynalite_binary()
    log_dir = tmp_path_factory.mktemp("dynalite")
    errors: list[str] = []
    for attempt in range(3):  # the free port can be taken between asking and binding
        port = free_port()
        log_path = log_dir / f"dynalite-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(binary), "--host", "127.0.0.1", "--port", str(port),
                 "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"],
                cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        server = Dynalite(f"http://127.0.0.1:{port}", port, process, log_path)
        try:
            _wait_until_up(server)
        except Exception as exc:
            _stop(process)
            errors.append(str(exc))
            continue
        try:
            yield server
        finally:
            _stop(process)
        return
    pytest.fail("could not start dynalite:\n" + "\n---\n".join(errors))


# -- the environment the code under test sees ---------------------------------------------------


@pytest.fixture
def dynalite_env(dynalite: Dynalite, monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> Dynalite:
    """Point boto3's environment configuration at dynalite for one test, then restore it."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                 "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-config-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))  # ignore the developer's ~/.aws
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynalite.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", dynalite.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", dynalite.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", dynalite.region)
    monkeypatch.setenv("AWS_REGION", dynalite.region)  # what the Lambda runtime sets
    # A default session made before this test has already read its credentials and config.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return dynalite


@pytest.fixture
def make_table(dynalite: Dynalite,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``make_table(hash_key, range_key=None, env_var=None, prefix="racelab") -> table name``.

    Creates a uniquely named PAY_PER_REQUEST table with string keys, waits until it is ACTIVE, and
    (with ``env_var``) sets that environment variable to its name. Every table is deleted afterwards.
    """
    client = dynalite.client()
    created: list[str] = []

    def make(hash_key: str, range_key: str | None = None, env_var: str | None = None,
             prefix: str = "racelab") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
        attrs = [{"AttributeName": hash_key, "AttributeType": "S"}]
        if range_key is not None:
            schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
            attrs.append({"AttributeName": range_key, "AttributeType": "S"})
        client.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=attrs,
                            BillingMode="PAY_PER_REQUEST")
        created.append(name)
        client.get_waiter("table_exists").wait(TableName=name,
                                               WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        if env_var is not None:
            monkeypatch.setenv(env_var, name)
        return name

    yield make
    for name in created:
        try:
            client.delete_table(TableName=name)
        except Exception:  # the server may already be gone; the table lives in memory anyway
            pass


@dataclass
class Lab:
    """What a ``measure_*`` function needs: the server, the environment, tables, env vars."""

    dynalite: Dynalite
    monkeypatch: pytest.MonkeyPatch
    make_table: Callable[..., str]
    tmp_path: Path
    notes: list[str] = field(default_factory=list)

    def table(self, hash_key: str, range_key: str | None = None, env_var: str | None = None) -> str:
        return self.make_table(hash_key, range_key, env_var)

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def fresh_boto3(self) -> None:
        """Drop boto3's default session so the next module-level resource sees the current env."""
        self.monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


@pytest.fixture
def lab(dynalite_env: Dynalite, monkeypatch: pytest.MonkeyPatch,
        make_table: Callable[..., str], tmp_path: Path) -> Lab:
    return Lab(dynalite_env, monkeypatch, make_table, tmp_path)


__all__ = ["Dynalite", "Lab", "REPO_ROOT", "free_port"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from .harness import METRIC_LINES

    if METRIC_LINES:
        terminalreporter.section("race lab metrics")
        for line in METRIC_LINES:
            terminalreporter.write_line(line)
