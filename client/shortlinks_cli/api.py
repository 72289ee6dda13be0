"""The API as the command sees it: one ``httpx`` client, the key in ``Authorization``, and the retry rule.

A ``429`` or ``503`` is sent again after its ``Retry-After`` (at most ``MAX_WAIT_SECONDS``), up to ``retries``
times; so is a request that never got an answer (refused, reset, timed out) when sending it twice cannot do
anything twice: ``GET``, ``DELETE``, and a ``POST`` with an ``Idempotency-Key``. A ``PATCH`` is not resent after a
lost answer: it may have landed, and its ``If-Match`` would then refuse the resend with a confusing ``412``.
An answer that is still a refusal ends the command with the API's error code (``Exit.REFUSED`` for a 4xx,
``Exit.UNAVAILABLE`` for 429/5xx or no answer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from shortlinks_cli.config import ClientConfig
from shortlinks_cli.exits import CliError, Exit

USER_AGENT = "shortlinks-cli/0.1"
DEFAULT_RETRIES = 3
MAX_WAIT_SECONDS = 60.0  # a Retry-After beyond this is not waited for: the command ends, a script may come back
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
RETRIED_STATUSES = frozenset({429, 503})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})

Sleep = Callable[[float], None]


def code_path(code: str) -> str:
    """``/v1/links/<code>`` with the code as one path segment, whatever it holds (``../keys`` stays a code)."""
    return f"/v1/links/{quote(code, safe='')}"


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds); 1 when absent or unreadable."""
    try:
        seconds = float(value) if value is not None else 1.0
    except ValueError:
        return 1.0
    return seconds if 0 <= seconds < float("inf") else 1.0


class Api:
    """A client of one deployment. ``transport`` and ``sleep`` are for tests (a scripted API, no waiting)."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        retries: int = DEFAULT_RETRIES,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._http = httpx.Client(base_url=config.url, headers=headers, timeout=TIMEOUT, transport=transport)
        self._retries = retries
        self._sleep = sleep
        self.base_url = config.url

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int | None] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        public: bool = False,
    ) -> httpx.Response:
        """Send with the retry rule; return a 2xx answer, else raise ``CliError`` with the API's error code.
        ``public`` sends no key (a public route has no use for it)."""
        sent_params = {name: str(value) for name, value in (params or {}).items() if value is not None}
        sent_headers = dict(headers or {})
        resend_when_lost = method in _IDEMPOTENT_METHODS or "Idempotency-Key" in sent_headers
        request = self._http.build_request(method, path, params=sent_params, json=json, headers=sent_headers)
        if public:
            request.headers.pop("Authorization", None)
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                if last or not resend_when_lost:
                    raise CliError(Exit.UNAVAILABLE, "unreachable", f"{self.base_url}: {_describe(error)}") from None
                self._sleep(min(2.0**attempt, MAX_WAIT_SECONDS))
                continue
            if response.status_code not in RETRIED_STATUSES or last:
                break
            wait = retry_after(response.headers.get("Retry-After"))
            if wait > MAX_WAIT_SECONDS:
                break
            self._sleep(wait)
        if response.is_success:
            return response
        raise api_error(response)

    def json(self, method: str, path: str, **options: Any) -> Any:
        """``request`` and its body as JSON."""
        return self.request(method, path, **options).json()


def api_error(response: httpx.Response) -> CliError:
    """The refusal as one line: the API's ``{"error": {"code", "message"}}``, or API Gateway's bare
    ``{"message"}`` (an unknown route, its own throttling) under ``http_<status>``."""
    code, message = f"http_{response.status_code}", response.reason_phrase or "no reason given"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            code, message = error["code"], str(error.get("message", message))
            details = error.get("details")
            if isinstance(details, list) and details:
                message += " (" + "; ".join(_detail(item) for item in details) + ")"
        elif isinstance(body.get("message"), str):
            message = body["message"]
    unavailable = response.status_code in RETRIED_STATUSES or response.status_code >= 500
    return CliError(Exit.UNAVAILABLE if unavailable else Exit.REFUSED, code, " ".join(message.split()))


def _detail(item: object) -> str:
    if isinstance(item, dict):
        return f"{item.get('field', '?')}: {item.get('message', '')}"
    return str(item)


def _describe(error: httpx.TransportError) -> str:
    kind = {
        httpx.ConnectError: "cannot connect",
        httpx.ConnectTimeout: "no connection in time",
        httpx.ReadTimeout: "no answer in time",
    }.get(type(error), "the connection failed")
    return f"{kind} ({type(error).__name__})"
