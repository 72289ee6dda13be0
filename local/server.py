"""The local server: every route of template.yaml on one werkzeug server, each invoking its function's handler.

``python -m local`` runs it in the foreground; tests and benchmarks use ``LocalServer`` directly::

    with LocalServer(port=0) as server:
        httpx.post(f"{server.url}/v1/links", json={"url": "https://example.org/"})
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.dynamodb import EmbeddedDynamoDB, dynamodb_client, ensure_table
from local.functions import LocalFunction, load_function
from local.gateway import MAX_BODY_BYTES, MalformedResult, gateway_error, http_api_event, http_response, raw_target
from local.routing import Router
from local.template import TEMPLATE_PATH, Route, load_template, resolve_environment, routes

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_TABLE_NAME = "shortlinks-local"
DEFAULT_REGION = "us-east-1"
_DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

log = logging.getLogger("local")


class Gateway:
    """The WSGI application playing API Gateway: route, build the event, invoke, translate the result."""

    def __init__(self, router: Router, functions: Mapping[str, LocalFunction]) -> None:
        self._router = router
        self._functions = functions

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        response = self.handle(request)
        path, query = raw_target(request)
        log.info(
            "%s %s %d %.1f ms",
            request.method,
            f"{path}?{query}" if query else path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """The response API Gateway and the route's function would give ``request``."""
        request_id = str(uuid.uuid4())
        match = self._router.match(request.method, raw_target(request)[0])
        if match is None:
            return gateway_error(404, "Not Found", request_id)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return gateway_error(413, "Request Entity Too Large", request_id)
        event = http_api_event(request, match, request_id=request_id, now=datetime.now(UTC))
        function = self._functions[match.route.function]
        try:
            result = function.invoke(event, request_id)
        except Exception:
            log.exception("%s raised; API Gateway answers 502", function.name)
            return gateway_error(502, "Internal Server Error", request_id)
        try:
            return http_response(result, request_id)
        except MalformedResult as exc:
            log.error("%s returned a malformed response (%s); API Gateway answers 502", function.name, exc)
            return gateway_error(502, "Internal Server Error", request_id)


class _RequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The gateway logs its own line per request (with the time taken); werkzeug's would repeat it."""


class LocalServer:
    """Serve template.yaml's routes on ``host:port`` (0: a free port) against a DynamoDB.

    ``dynamodb_endpoint=None`` embeds a moto DynamoDB in this process; otherwise the table is created at the
    endpoint unless it exists. ``env_overrides`` is laid over every function's environment last.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        dynamodb_endpoint: str | None = None,
        table_name: str = DEFAULT_TABLE_NAME,
        env_overrides: Mapping[str, str] | None = None,
        template_path: Path = TEMPLATE_PATH,
    ) -> None:
        self.host, self.port = host, port
        self.table_name = table_name
        self._dynamodb_endpoint = dynamodb_endpoint
        self._env_overrides = dict(env_overrides or {})
        self._template = load_template(template_path)
        self._routes = routes(self._template)
        self._router = Router(self._routes)  # refuses duplicate routes before anything starts
        self._embedded: EmbeddedDynamoDB | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.functions: dict[str, LocalFunction] = {}

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:3000``."""
        if self._server is None:
            raise RuntimeError("the server is not bound; call start() or bind() first")
        return f"http://{_url_host(self.host)}:{self._server.server_port}"

    @property
    def dynamodb_endpoint(self) -> str:
        if self._embedded is not None:
            return self._embedded.endpoint
        if self._dynamodb_endpoint is None:
            raise RuntimeError("the server is not bound; call start() or bind() first")
        return self._dynamodb_endpoint

    @property
    def embedded_dynamodb(self) -> bool:
        return self._dynamodb_endpoint is None

    @property
    def route_keys(self) -> list[str]:
        return [f"{route.method} {route.path}" for route in self._routes]

    def bind(self) -> Self:
        """Listen, start DynamoDB, create the table and import every handler (a cold start); do not serve yet."""
        if self._server is not None:
            return self
        self.functions = {}
        try:
            self._server = self._listen()  # first: a taken port is the likeliest failure, and the cheapest to find
            credentials = self._credentials()
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
            if self._dynamodb_endpoint is None:
                self._embedded = EmbeddedDynamoDB()
                self._embedded.start()
            keys = {k: v for k, v in credentials.items() if v is not None}
            ensure_table(dynamodb_client(self.dynamodb_endpoint, region, keys), self.table_name)
            base_environment = self._local_environment(region, credentials)
            for route in self._routes:
                if route.function not in self.functions:
                    self.functions[route.function] = self._load(route, region, base_environment)
            self._server.app = Gateway(self._router, self.functions)
        except BaseException:
            self.stop()
            raise
        return self

    def start(self) -> Self:
        """``bind()``, then serve from a daemon thread. Returns once requests are answered."""
        self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """``bind()``, then serve in this thread until Ctrl-C (or SIGTERM, when installed by ``main``)."""
        self.bind()
        assert self._server is not None
        try:
            self._server.serve_forever()  # returns on KeyboardInterrupt
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop serving and stop the embedded DynamoDB. Safe to call more than once."""
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread.join(timeout=5)
            self._server.server_close()
        if self._embedded is not None:
            self._embedded.stop()
        self._server, self._thread, self._embedded = None, None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _listen(self) -> BaseWSGIServer:
        try:
            return make_server(self.host, self.port, _not_ready, threaded=True, request_handler=_RequestHandler)
        except SystemExit:  # werkzeug prints why it cannot listen, then exits: make that an error a caller can catch
            raise OSError(f"cannot listen on {self.host}:{self.port}") from None

    def _credentials(self) -> dict[str, str | None]:
        """What the functions authenticate with. The embedded moto never needs real credentials."""
        if self._dynamodb_endpoint is None:
            return {**_DUMMY_CREDENTIALS, "AWS_SESSION_TOKEN": None, "AWS_PROFILE": None}
        if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
            return {}
        return dict(_DUMMY_CREDENTIALS)

    def _local_environment(self, region: str, credentials: Mapping[str, str | None]) -> dict[str, str | None]:
        """What differs from the cloud for every function: where DynamoDB is, and where short links point."""
        assert self._server is not None
        return {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            **credentials,
            "TABLE_NAME": self.table_name,
            "DYNAMODB_ENDPOINT": self.dynamodb_endpoint,
            # The short domain is SHORT_BASE_URL's host, so it must name this very server, port included.
            "SHORT_BASE_URL": os.environ.get("SHORT_BASE_URL") or self.url,
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED") or "true",
        }

    def _load(self, route: Route, region: str, local_environment: Mapping[str, str | None]) -> LocalFunction:
        environment: dict[str, str | None] = {
            **resolve_environment(route.environment, table_name=self.table_name, template=self._template),
            "AWS_LAMBDA_FUNCTION_NAME": route.function,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(route.memory_size),
            **local_environment,
            **self._env_overrides,
        }
        return load_function(
            route.function,
            route.handler,
            route.code_uri,
            environment,
            memory_size=route.memory_size,
            timeout=route.timeout,
            region=region,
        )


def _not_ready(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The app until the handlers are imported; never reached, since serving starts after that."""
    return Response("starting", status=503)(environ, start_response)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - a wildcard address is reached through loopback locally
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """``python -m local``: serve on ``HOST``:``PORT`` (127.0.0.1:3000) until Ctrl-C."""
    # The functions' own logs are Powertools JSON on stdout; this is the gateway's access log, on stderr.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    port = os.environ.get("PORT") or str(DEFAULT_PORT)
    if not port.isdigit():
        raise SystemExit(f"python -m local: PORT must be a port number, not {port!r}")
    server = LocalServer(
        os.environ.get("HOST") or DEFAULT_HOST,
        int(port),
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        table_name=os.environ.get("TABLE_NAME") or DEFAULT_TABLE_NAME,
    )
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # `kill` and process managers stop it cleanly too
    try:
        server.bind()
    except KeyboardInterrupt:
        return
    except OSError as exc:
        raise SystemExit(f"python -m local: {exc}") from None
    store = "embedded moto" if server.embedded_dynamodb else "DYNAMODB_ENDPOINT"
    print(
        f"shortlinks is serving {', '.join(server.route_keys)} at {server.url}\n"
        f"  DynamoDB: {server.dynamodb_endpoint} ({store}), table {server.table_name}\n"
        "  Try:\n"
        f"    curl -i -X POST {server.url}/v1/links -H 'content-type: application/json' "
        """-d '{"url":"https://example.org/some/long/path"}'\n"""
        "  Ctrl-C stops it.",
        flush=True,
    )
    # A second Ctrl-C may land during clean-up; the threads still running are daemons and end with the process.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("stopped", flush=True)
