"""Fault-test fixtures: tiny loopback upstreams for the proxy's own tests, and a deployment for the fault matrix:
the embedded DynamoDB, the ``FaultProxy`` in front of it, and the local server (every function, in this process)
talking to DynamoDB through the proxy.

The deployment's functions trust what they read about an API key and about the domain registry for an hour
(``AUTH_CACHE_SECONDS``, ``DOMAIN_CACHE_SECONDS``), and every route is called once before the first fault: so a
fault meets the route's own DynamoDB calls, not the authorizer's key lookup or the registry's load in front of
them. The authorizer's lookup is met on purpose, with a key that has never been used (``Deployment.new_key``).
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from aws_lambda_powertools import Metrics

from local.dynamodb import EmbeddedDynamoDB, dynamodb_client
from local.server import LocalServer
from shortlinks.domain.keys import generate_key
from tests.domain_settings import DOMAIN_DEFAULTS
from tests.faults.proxy import FaultProxy, Mode

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"
TABLE_NAME = "shortlinks-faults"
FUNCTION_TIMEOUT_S = 2
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "faults", "AWS_SECRET_ACCESS_KEY": "faults"}
# Whatever the developer's shell says must not reach boto3: no profile, endpoint, retry policy or session.
_INHERITED = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "DYNAMODB_ENDPOINT",
    "TABLE_NAME",
    "SHORT_BASE_URL",
    "AUTH_CACHE_SECONDS",
    "DOMAIN_CACHE_SECONDS",
    "REDIRECT_CACHE_SECONDS",
    "REDIRECT_MISS_CACHE_SECONDS",
    "SHORTLINKS_BOOTSTRAP_ADMIN_KEY",
)

DOMAIN_SETTINGS = DOMAIN_DEFAULTS  # PUT /v1/domains/{domain} takes a domain's whole settings
Item = dict[str, Any]


# -- the proxy's own tests: upstreams on loopback ---------------------------------------------------------------


@dataclass(frozen=True)
class EchoServer:
    """A TCP server on loopback that sends back every byte it receives."""

    address: tuple[str, int]


@pytest.fixture
def echo_upstream() -> Iterator[EchoServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    stopping = threading.Event()
    threads: list[threading.Thread] = []

    def echo(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.1)
            while not stopping.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def accept() -> None:
        listener.settimeout(0.1)
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=echo, args=(conn,), name="echo-upstream-conn", daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, name="echo-upstream", daemon=True)
    acceptor.start()
    try:
        yield EchoServer(("127.0.0.1", int(listener.getsockname()[1])))
    finally:
        stopping.set()
        acceptor.join(timeout=5)
        listener.close()
        for thread in threads:
            thread.join(timeout=5)


class _EchoHttpHandler(BaseHTTPRequestHandler):
    """Answers every request ``200`` with JSON naming its method, path and body; keeps connections alive."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode()
        reply = json.dumps({"method": self.command, "path": self.path, "body": body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""


@pytest.fixture
def http_upstream() -> Iterator[tuple[str, int]]:
    """An HTTP/1.1 server on loopback that echoes each request as JSON."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHttpHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="http-upstream", daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.server_address[1])
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


# -- the deployment the fault matrix runs against ---------------------------------------------------------------


@pytest.fixture(scope="module")
def aws_environment() -> Iterator[None]:
    """Dummy credentials and nothing inherited that could point boto3 anywhere but loopback."""
    with pytest.MonkeyPatch.context() as env:
        for name in _INHERITED:
            env.delenv(name, raising=False)
        for name, value in DUMMY_CREDENTIALS.items():
            env.setenv(name, value)
        env.setenv("AWS_REGION", REGION)
        env.setenv("AWS_DEFAULT_REGION", REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        yield


@pytest.fixture(scope="module")
def embedded_dynamodb(aws_environment: None) -> Iterator[EmbeddedDynamoDB]:
    embedded = EmbeddedDynamoDB()
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


@dataclass
class Deployment:
    """The local server behind which DynamoDB sits behind the fault proxy, with an admin key every function's
    authorizer has already accepted, one link and one extra domain."""

    server: LocalServer
    proxy: FaultProxy
    table: DynamoDBClient  # straight at the embedded DynamoDB, never through the proxy
    http: httpx.Client
    admin_key: str
    link_code: str = ""
    domain: str = ""

    def send(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        timeout: float = 30.0,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request to the server, as the admin unless ``key`` names another key (``""``: no key)."""
        chosen = self.admin_key if key is None else key
        headers = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        headers |= kwargs.pop("headers", None) or {}
        return self.http.request(method, path, headers=headers, timeout=timeout, **kwargs)

    def new_link(self) -> str:
        """A fresh link (created in pass mode); returns its code."""
        code = f"f{uuid.uuid4().hex[:12]}"
        response = self.send("POST", "/v1/links", json={"url": f"https://example.org/faults/{code}", "alias": code})
        assert response.status_code == 201, response.text
        return code

    def new_key(self, role: str = "member") -> dict[str, Any]:
        """A fresh key, as ``POST /v1/keys`` answered (``key`` and ``key_id``): no authorizer has seen it yet."""
        response = self.send("POST", "/v1/keys", json={"name": f"faults {uuid.uuid4().hex[:8]}", "role": role})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def new_domain(self) -> str:
        """A fresh, non-default domain (registered in pass mode); returns its host."""
        host = f"f{uuid.uuid4().hex[:10]}.example"
        response = self.send("PUT", f"/v1/domains/{host}", json=DOMAIN_SETTINGS)
        assert response.status_code == 200, response.text
        return host

    def items(self) -> dict[tuple[str, str], Item]:
        """Every item in the table by key, except rate counters: a create counts itself before it writes, and
        the count stands even when the write then fails (docs/architecture.md)."""
        found: dict[tuple[str, str], Item] = {}
        for page in self.table.get_paginator("scan").paginate(TableName=TABLE_NAME, ConsistentRead=True):
            for item in page["Items"]:
                pk, sk = str(item["pk"]["S"]), str(item["sk"]["S"])
                if not pk.startswith("RATE#"):
                    found[(pk, sk)] = dict(item)
        return found

    def wait_until_idle(self) -> None:
        """Return once no function is running: invocations take turns, so one more waits for any still running
        (a function the client stopped waiting for may still be retrying its DynamoDB call)."""
        self.send("GET", "/v1/expand", key="", params={"code": "idle-probe"}, timeout=60)


def _warm_up(deployment: Deployment) -> None:
    """Call every route once in pass mode: every function's authorizer caches the admin key, every function
    loads the domain registry, and every botocore client has its connection."""
    code, domain = deployment.link_code, deployment.domain
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/{code}", {"headers": {"Accept": "application/json"}}),
        ("GET", "/v1/expand", {"params": {"code": code}}),
        ("GET", "/v1/links", {}),
        ("GET", f"/v1/links/{code}", {}),
        ("GET", f"/v1/links/{code}/history", {}),
        ("GET", "/v1/keys", {}),
        ("GET", "/v1/domains", {}),
        ("GET", f"/v1/domains/{domain}", {}),
    ]
    for method, path, kwargs in calls:
        response = deployment.send(method, path, **kwargs)
        assert response.status_code < 400, f"{method} {path}: {response.status_code} {response.text}"


@pytest.fixture(scope="module")
def deployment(embedded_dynamodb: EmbeddedDynamoDB) -> Iterator[Deployment]:
    with FaultProxy(embedded_dynamodb.endpoint) as proxy:
        admin_key = generate_key()
        server = LocalServer(
            port=0,
            dynamodb_endpoint=proxy.url,
            table_name=TABLE_NAME,
            function_timeout=FUNCTION_TIMEOUT_S,
            admin_key=admin_key,
            feed_clicks=False,  # the matrix is about the functions' own writes; the aggregator has its own tests
            env_overrides={
                "AUTH_CACHE_SECONDS": "3600",
                "DOMAIN_CACHE_SECONDS": "3600",
                "REDIRECT_CACHE_SECONDS": "0",  # every redirect meets the fault, not the container's copy
                "CREATE_RATE_LIMIT_PER_MINUTE": "100000",
            },
        )
        server.start()
        try:
            with httpx.Client(base_url=server.url) as http:
                table = dynamodb_client(embedded_dynamodb.endpoint, REGION, DUMMY_CREDENTIALS)
                ready = Deployment(server=server, proxy=proxy, table=table, http=http, admin_key=admin_key)
                ready.domain = ready.new_domain()
                ready.link_code = ready.new_link()
                _warm_up(ready)
                assert proxy.mode is Mode.PASS
                yield ready
        finally:
            server.stop()
            # The functions' metrics are off, so Powertools' one metric set per process kept what they added:
            # it must not be flushed into a later test's logs.
            Metrics().clear_metrics()
