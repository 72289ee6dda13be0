"""End-to-end fixtures: ``python -m local`` in a subprocess, a destination site, and HTTP clients for both.

The destination listens on ``localhost``, not ``127.0.0.1``: the short domain is 127.0.0.1, and destinations on
our own short domain are refused as redirect loops.

The server starts with a known admin key (``SHORTLINKS_BOOTSTRAP_ADMIN_KEY``), a 1-second authorizer cache, so
a revocation shows within a test, and no domain registry cache, so a domain registered in a test applies at once.
``client`` sends the admin key; ``anonymous`` sends none; ``new_key`` makes more keys through ``POST /v1/keys``
and ``client_for`` a client that sends one; ``member_client`` is a fresh member's. ``chain_servers`` are the expander's
scripted sites on loopback, the only addresses the server's expander may reach.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from shortlinks.domain.keys import generate_key
from tests.e2e.chain_server import ChainServers

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0

CreateLink = Callable[..., dict[str, Any]]
NewKey = Callable[..., dict[str, Any]]
ClientFor = Callable[[str], httpx.Client]
AUTH_CACHE_SECONDS = 1


@dataclass(frozen=True)
class LocalServerProcess:
    """``python -m local`` as the tests started it."""

    url: str
    admin_key: str
    log_path: Path  # its stdout and stderr: the banner, the access log and the functions' own log lines

    def dynamodb_endpoint(self) -> str:
        """The embedded DynamoDB's endpoint, as the banner prints it."""
        found = re.search(r"DynamoDB: (http://\S+)", self.log_path.read_text(errors="replace"))
        assert found, "the server did not print its DynamoDB endpoint"
        return found.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chain_servers() -> Iterator[ChainServers]:
    """Scripted sites for the expander (chain_server.py), started before the local server: their addresses go into
    its ``EXPANDER_ALLOWED_ADDRESSES``."""
    with ChainServers.started() as servers:
        yield servers


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory, chain_servers: ChainServers) -> Iterator[LocalServerProcess]:
    """The local server, its admin key and its output (a log file)."""
    port = _free_port()
    admin_key = generate_key()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SHORTLINKS_BOOTSTRAP_ADMIN_KEY": admin_key,
        "AUTH_CACHE_SECONDS": str(AUTH_CACHE_SECONDS),
        "DOMAIN_CACHE_SECONDS": "0",  # a domain registered in a test applies to its very next request
        "REDIRECT_CACHE_SECONDS": "0",  # ... and a changed link (the cache has its own tests: tests/integration)
        "PYTHONUNBUFFERED": "1",  # the functions' log lines reach the log file as they are written
        "EXPANDER_ALLOWED_ADDRESSES": chain_servers.allowed_addresses,  # never the outsider's
    }
    inherited = ("SHORT_BASE_URL", "DYNAMODB_ENDPOINT", "TABLE_NAME", "ALLOW_ANONYMOUS_CREATE", "EXPANDER_ENABLED")
    for name in inherited:  # a developer's shell must not leak in
        env.pop(name, None)
    log_path = tmp_path_factory.mktemp("local-server") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, process, log_path)
        yield LocalServerProcess(url=url, admin_key=admin_key, log_path=log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"python -m local exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            httpx.get(f"{url}/", timeout=1)  # any answer will do: handlers are imported before serving starts
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"python -m local did not answer within {STARTUP_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log for the destination."""


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answer 200 with the method, path and query received, exactly as received."""
    path, _, query = str(environ.get("RAW_URI", environ.get("PATH_INFO", "/"))).partition("?")
    body = json.dumps({"method": environ["REQUEST_METHOD"], "path": path, "query": query}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture(scope="session")
def destination() -> Iterator[str]:
    """Base URL of a site that echoes what it received, e.g. ``http://localhost:54322``."""
    server = make_server("localhost", 0, _echo, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="destination", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def base_url(local_server: LocalServerProcess) -> str:
    """The local server's base URL, e.g. ``http://127.0.0.1:54321``."""
    return local_server.url


@pytest.fixture(scope="session")
def admin_key(local_server: LocalServerProcess) -> str:
    return local_server.admin_key


@pytest.fixture
def client_for(base_url: str) -> Iterator[ClientFor]:
    """``client_for(key)``: a client of the local server sending ``Authorization: Bearer <key>``; it does not
    follow redirects, so tests see them."""
    opened: list[httpx.Client] = []

    def make(key: str) -> httpx.Client:
        opened.append(httpx.Client(base_url=base_url, timeout=10, headers={"Authorization": f"Bearer {key}"}))
        return opened[-1]

    yield make
    for http in opened:
        http.close()


@pytest.fixture
def client(client_for: ClientFor, admin_key: str) -> httpx.Client:
    """An admin's client of the local server (the key every test may use); it does not follow redirects."""
    return client_for(admin_key)


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    """A client without any API key; it does not follow redirects."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        yield http


@pytest.fixture
def new_key(client: httpx.Client) -> NewKey:
    """``new_key(role="member", name=..., create_rate_limit=...)``: ``POST /v1/keys`` as the admin; returns the
    created key as JSON, ``key`` (the plaintext) included."""

    def make(role: str = "member", **fields: Any) -> dict[str, Any]:
        body = {"name": f"e2e {role} {uuid.uuid4().hex[:8]}", "role": role, **fields}
        response = client.post("/v1/keys", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


@pytest.fixture
def member_key(new_key: NewKey) -> dict[str, Any]:
    """A fresh member key (its own links only), as ``POST /v1/keys`` answered."""
    return new_key("member")


@pytest.fixture
def member_client(client_for: ClientFor, member_key: dict[str, Any]) -> httpx.Client:
    """A client sending ``member_key``."""
    return client_for(member_key["key"])


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A client that follows redirects wherever they lead, as a browser would."""
    with httpx.Client(follow_redirects=True, timeout=10) as http:
        yield http


@pytest.fixture
def unique_alias() -> Callable[[str], str]:
    """A fresh alias per call: every test shares one server and one table."""

    def make(prefix: str = "e2e") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def create_link(client: httpx.Client) -> CreateLink:
    """``create_link(url=..., **fields)``: POST /v1/links, assert it was created, return the link as JSON."""

    def create(**fields: Any) -> dict[str, Any]:
        response = client.post("/v1/links", json=fields)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create
