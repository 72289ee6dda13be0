"""The DynamoDB the local server talks to: an embedded moto server by default, or any endpoint you name."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from local.template import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from werkzeug.serving import BaseWSGIServer

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


class EmbeddedDynamoDB:
    """A moto DynamoDB served over HTTP from a thread of this process, on a free loopback port.

    Requests are served one at a time: moto checks a condition and writes in two steps, so two concurrent
    ``attribute_not_exists`` puts could both succeed, where DynamoDB lets exactly one through.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the embedded DynamoDB is not running; call start() first")
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> str:
        """Start serving in a daemon thread; return the endpoint URL."""
        # moto (and Flask with it) is a development dependency only: import it when it is actually used.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietMotoRequestHandler(MotoRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                """Every handler request would otherwise print a line of moto's access log."""

        app = _Serialised(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._host, self._port, app, threaded=True, request_handler=QuietMotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="embedded-dynamodb", daemon=True)
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


class _Serialised:
    """WSGI middleware: one request at a time through ``app``, body included (it may be produced lazily)."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class DynamoDBUnreachable(OSError):
    """The DynamoDB the local server was pointed at refused, failed or did not answer at start-up."""

    @classmethod
    def at(cls, endpoint: str, error: BaseException) -> DynamoDBUnreachable:
        reason = getattr(error, "message", None) or str(error) or type(error).__name__
        return cls(f"DynamoDB at {endpoint} did not answer: {reason}")


def dynamodb_client(endpoint: str, region: str, credentials: dict[str, str] | None = None) -> DynamoDBClient:
    """A boto3 DynamoDB client for ``endpoint``; ``credentials`` (access key, secret) override the default chain.

    Short timeouts and one attempt: an endpoint that is down or hangs is reported within seconds, not minutes."""
    credentials = credentials or {}
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=credentials.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=credentials.get("AWS_SECRET_ACCESS_KEY"),
        config=Config(connect_timeout=2, read_timeout=4, retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def ensure_table(client: DynamoDBClient, table_name: str) -> bool:
    """Create the template's table unless it exists. True when it was created."""
    try:
        client.describe_table(TableName=table_name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    else:
        return False
    create_table(client, table_name)
    return True
