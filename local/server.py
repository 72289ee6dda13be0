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

from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.admin_key import BOOTSTRAP_ADMIN_KEY_VARIABLE, ensure_admin_key
from local.click_feed import ClickFeed
from local.default_domain import ensure_default_domain
from local.dynamodb import DynamoDBUnreachable, EmbeddedDynamoDB, dynamodb_client, ensure_table
from local.functions import LocalFunction, environment_set, load_function
from local.gateway import (
    MAX_BODY_BYTES,
    MalformedResult,
    authorizer_event,
    gateway_error,
    http_api_event,
    http_response,
    raw_target,
    simple_authorizer_result,
)
from local.routing import Router
from local.template import (
    SWAGGER_UI_DIR,
    TEMPLATE_PATH,
    Authorizer,
    FunctionSpec,
    function_specs,
    load_template,
    resolve_environment,
    routes,
)
from shortlinks.domain.errors import StorageUnavailable
from shortlinks.storage import budget as store_budget

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_TABLE_NAME = "shortlinks-local"
DEFAULT_REGION = "us-east-1"
_SHELL_OVERRIDES = (
    "AUTH_CACHE_SECONDS",
    "REDIRECT_CACHE_SECONDS",
    "REDIRECT_MISS_CACHE_SECONDS",
    "EXPANDER_ALLOWED_ADDRESSES",
    "EXPANDER_RESOLVE_NAMES",
    "EXPANDER_ENABLED",
    "EXPAND_RATE_LIMIT_ANONYMOUS",
    "EXPAND_RATE_LIMIT_KEY",
)
AGGREGATOR = "AnalyticsFunction"  # fed click records by the log subscription in AWS, by ClickFeed here
STORE_SETUP_SECONDS = 5.0  # the admin key and default domain, after the table answered: well under `make run`'s 10 s
_DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}

log = logging.getLogger("local")


class Gateway:
    """The WSGI application playing API Gateway: route, authorize, build the event, invoke, translate the result."""

    def __init__(self, router: Router, functions: Mapping[str, LocalFunction], region: str = DEFAULT_REGION) -> None:
        self._router = router
        self._functions = functions
        self._region = region

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
        if match.route.authorizer is not None:
            refusal = self._authorize(match.route.authorizer, event, request_id)
            if refusal is not None:
                return refusal
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

    def _authorize(self, authorizer: Authorizer, event: dict[str, Any], request_id: str) -> Response | None:
        """Run the route's Lambda authorizer as HTTP API does. ``None``: authorized, and the authorizer's context is
        now the event's ``requestContext.authorizer.lambda``; otherwise API Gateway's own refusal.

        Missing identity sources: 401 without calling the authorizer. ``isAuthorized: false``: 403. An authorizer
        that raises or answers something else: 500. API Gateway's result cache (``ReauthorizeEvery``) is not
        emulated: the authorizer runs for every request.
        """
        identity = _identity_source(authorizer, event)
        if identity is None:
            return gateway_error(401, "Unauthorized", request_id)
        function = self._functions[authorizer.function]
        try:
            result = function.invoke(authorizer_event(event, region=self._region, identity_source=identity), request_id)
            authorized, context = simple_authorizer_result(result)
        except MalformedResult as exc:
            log.error("%s returned a malformed authorizer response (%s); API Gateway answers 500", function.name, exc)
            return gateway_error(500, "Internal Server Error", request_id)
        except Exception:
            log.exception("%s raised; API Gateway answers 500", function.name)
            return gateway_error(500, "Internal Server Error", request_id)
        if not authorized:
            return gateway_error(403, "Forbidden", request_id)
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None


def _identity_source(authorizer: Authorizer, event: Mapping[str, Any]) -> list[str] | None:
    """The values of the authorizer's identity sources, or ``None`` when one is missing or empty."""
    headers = event.get("headers") or {}
    parameters = event.get("queryStringParameters") or {}
    values = [headers.get(name) for name in authorizer.identity_headers]
    values += [parameters.get(name) for name in authorizer.identity_query_strings]
    if not all(values):
        return None
    return [str(value) for value in values]


class _RequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The gateway logs its own line per request (with the time taken); werkzeug's would repeat it."""


class LocalServer:
    """Serve template.yaml's routes on ``host:port`` (0: a free port) against a DynamoDB.

    ``dynamodb_endpoint=None`` embeds a moto DynamoDB in this process; otherwise the table is created at the
    endpoint unless it exists. ``env_overrides`` is laid over every function's environment last.
    ``function_timeout`` replaces every function's ``Timeout`` (tests use a short one to keep fault tests fast).
    ``feed_clicks`` delivers the redirect's click records to the aggregator (``local.click_feed``), as the log
    subscription does in AWS.

    The table gets an admin API key on start (``admin_key`` after ``bind()``): ``admin_key`` given here is
    registered as it is (a test's known key); otherwise one is generated, unless the table already has an active
    admin key, which is then ``None``.
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
        admin_key: str | None = None,
        function_timeout: int | None = None,
        feed_clicks: bool = True,
    ) -> None:
        self.host, self.port = host, port
        self._function_timeout = function_timeout  # seconds; None: each function's Timeout in the template
        self._feed_clicks = feed_clicks  # deliver click records to the aggregator, as the log subscription does
        self._click_feed: ClickFeed | None = None
        self.admin_key = admin_key
        self._chosen_admin_key = admin_key
        self.region = DEFAULT_REGION  # until bind() reads the environment
        self.table_name = table_name
        self._dynamodb_endpoint = dynamodb_endpoint
        self._env_overrides = dict(env_overrides or {})
        self._template = load_template(template_path)
        self._routes = routes(self._template)
        self._router = Router(self._routes)  # refuses duplicate routes before anything starts
        for authorizer in {route.authorizer for route in self._routes if route.authorizer is not None}:
            if authorizer.payload_format_version != "2.0" or not authorizer.simple_responses:
                raise ValueError(f"authorizer {authorizer.name}: only payload 2.0 with simple responses runs locally")
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
            self.region = region
            if self._dynamodb_endpoint is None:
                self._embedded = EmbeddedDynamoDB()
                self._embedded.start()
            keys = {k: v for k, v in credentials.items() if v is not None}
            base_environment = self._local_environment(region, credentials)
            endpoint, chosen = self.dynamodb_endpoint, self._chosen_admin_key
            try:
                ensure_table(dynamodb_client(endpoint, region, keys), self.table_name)
                # The storage adapter's client reads region and credentials; its calls share one short budget.
                with environment_set(base_environment), store_budget.limited(STORE_SETUP_SECONDS):
                    self.admin_key = ensure_admin_key(self.table_name, region, endpoint, chosen)
                    short_base = str(base_environment.get("SHORT_BASE_URL") or self.url)
                    ensure_default_domain(self.table_name, region, endpoint, short_base)
            except (BotoCoreError, ClientError, StorageUnavailable) as exc:
                raise DynamoDBUnreachable.at(endpoint, exc) from None
            specs = function_specs(self._template)
            needed = [route.function for route in self._routes]
            needed += [route.authorizer.function for route in self._routes if route.authorizer is not None]
            if AGGREGATOR in specs and self._feed_clicks:
                needed.append(AGGREGATOR)
            for function in dict.fromkeys(needed):
                self.functions[function] = self._load(specs[function], region, base_environment)
            if AGGREGATOR in self.functions:
                self._click_feed = ClickFeed(self._aggregate)
                self._click_feed.start()
            self._server.app = Gateway(self._router, self.functions, region)
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
        if self._click_feed is not None:
            self._click_feed.stop()  # delivers what is queued while the table is still there
            self._click_feed = None
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

    def flush_clicks(self) -> None:
        """Deliver the queued click records to the aggregator now (tests; otherwise at least once a second)."""
        if self._click_feed is not None:
            self._click_feed.flush()

    def _aggregate(self, event: dict[str, Any]) -> None:
        self.functions[AGGREGATOR].invoke(event, str(uuid.uuid4()))

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
            # Locally a domain registered with PUT /v1/domains should answer at once, not a minute later.
            "DOMAIN_CACHE_SECONDS": os.environ.get("DOMAIN_CACHE_SECONDS") or "1",
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED") or "true",
            # The docs layer's Swagger UI: in Lambda under /opt/nodejs, here where `make` installs it (npm ci).
            "SWAGGER_UI_DIR": str(SWAGGER_UI_DIR),
            # Set in your shell, these win over the template (AUTH_CACHE_SECONDS=0: a revocation applies at once;
            # REDIRECT_CACHE_SECONDS=0: a changed link is followed to its new destination at once;
            # EXPANDER_ALLOWED_ADDRESSES=127.0.0.1:8000: the expander may follow links to a server of yours).
            **{name: value for name in _SHELL_OVERRIDES if (value := os.environ.get(name))},
        }

    def _load(self, spec: FunctionSpec, region: str, local_environment: Mapping[str, str | None]) -> LocalFunction:
        environment: dict[str, str | None] = {
            **resolve_environment(spec.environment, table_name=self.table_name, template=self._template),
            "AWS_LAMBDA_FUNCTION_NAME": spec.function,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            **local_environment,
            **self._env_overrides,
        }
        return load_function(
            spec.function,
            spec.handler,
            spec.code_uri,
            environment,
            memory_size=spec.memory_size,
            timeout=self._function_timeout or spec.timeout,
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
    if not (port.isascii() and port.isdigit()):
        raise SystemExit(f"python -m local: PORT must be a port number, not {port!r}")
    server = LocalServer(
        os.environ.get("HOST") or DEFAULT_HOST,
        int(port),
        dynamodb_endpoint=os.environ.get("DYNAMODB_ENDPOINT") or None,
        table_name=os.environ.get("TABLE_NAME") or DEFAULT_TABLE_NAME,
        admin_key=os.environ.get(BOOTSTRAP_ADMIN_KEY_VARIABLE) or None,
    )
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)  # `kill` and process managers stop it cleanly too
    try:
        server.bind()
    except KeyboardInterrupt:
        return
    except (OSError, ValueError) as exc:
        raise SystemExit(f"python -m local: {exc}") from None
    store = "embedded moto" if server.embedded_dynamodb else "DYNAMODB_ENDPOINT"
    cli = (
        f"DYNAMODB_ENDPOINT={server.dynamodb_endpoint} TABLE_NAME={server.table_name} AWS_REGION={server.region} "
        ".venv/bin/shortlinks keys"
    )
    if server.admin_key is not None:
        keys = (
            f"  Admin API key: {server.admin_key}\n"
            "  Try:\n"
            f"    curl -i -X POST {server.url}/v1/links -H 'authorization: Bearer {server.admin_key}' "
            """-H 'content-type: application/json' -d '{"url":"https://example.org/some/long/path"}'\n"""
        )
    else:
        keys = "  The table already has an admin API key; the key is not stored, so it cannot be shown.\n"
    print(
        f"shortlinks is serving {', '.join(server.route_keys)} at {server.url}\n"
        f"  Console: {server.url}/console (sign in with an API key)\n"
        f"  DynamoDB: {server.dynamodb_endpoint} ({store}), table {server.table_name}\n"
        f"{keys}"
        f"  API docs: {server.url}/docs (the OpenAPI document: {server.url}/v1/openapi.json)\n"
        f"  Manage keys: {cli} list | create --name NAME --role admin|member | revoke KEY_ID\n"
        "  Ctrl-C stops it.",
        flush=True,
    )
    # A second Ctrl-C may land during clean-up; the threads still running are daemons and end with the process.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("stopped", flush=True)
