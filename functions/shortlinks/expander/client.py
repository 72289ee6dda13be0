"""The expander's HTTP client: one guarded ``GET`` per hop, the domain's ``Fetcher``.

Each request goes to exactly the address ``AddressGuard.check`` returned, while the ``Host`` header, SNI and the
certificate check use the host name. Nothing of ours travels with it: no cookies, no credentials, no body, an
honest ``User-Agent``. Redirects are never followed here (``domain/expansion.py`` decides about each hop).

A body is read only when it is HTML, only up to ``max_body_bytes`` once decompressed (urllib3 >= 2.6 bounds what a
decoder may produce per read, so a gzip bomb is never inflated past the window), and only to find a meta refresh
or a script redirect.

A connection is used for one request. urllib3's timeouts bound each socket operation, not the request: a server
that trickles a byte at a time could hold a hop for minutes. A watchdog shuts the socket down when the hop's
``timeout`` is spent, so a fetch answers within it (give or take the connect timeout: the watchdog can only reach a
socket once it is connected).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.response import BaseHTTPResponse

from shortlinks.domain.expansion import Fetched, FetchRefused, StopReason
from shortlinks.expander.guard import AddressGuard, IPAddress

# Says what we are and what we do; no browser's name (sites may answer a preview differently, and should know).
USER_AGENT = "shortlinks-expander/1.0 (link expander: follows redirects to show where a link leads; runs no JavaScript)"
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate"
DEFAULT_PORTS = {"http": 80, "https": 443}

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_CHARSET = re.compile(r"""charset\s*=\s*["']?(?P<charset>[A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Where a page's head ends. A window that reaches it has seen where a meta refresh belongs; one that fills before it
# cannot say whether the page redirects.
_HEAD_END = re.compile(r"</head\b|<body\b", re.IGNORECASE)


class GuardedFetcher:
    """The domain's ``Fetcher``: one ``GET`` per call, through ``guard``, within the hop's ``timeout``."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        user_agent: str,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        max_body_bytes: int = 64 * 1024,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._guard = guard
        self._user_agent = user_agent
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_body_bytes = max_body_bytes
        self._ssl_context = ssl_context  # None: the system's trust store, loaded on the first https request

    def fetch(self, url: str, timeout: float) -> Fetched:
        """One ``GET`` of ``url`` (absolute, normalised) within ``timeout`` seconds; ``FetchRefused`` saying why
        otherwise. No other exception leaves this method."""
        try:
            return self._fetch(url, timeout)
        except FetchRefused:
            raise
        except Exception as exc:
            raise _refusal(exc) from None

    def _fetch(self, url: str, timeout: float) -> Fetched:
        deadline = time.monotonic() + timeout
        target = _Target.of(url)
        address = self._guard.check(target.host, target.port)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchRefused(StopReason.TIMEOUT, "the time was spent before connecting")
        connection = self._connection(target, address, min(self._connect_timeout, remaining))
        watchdog = _Watchdog(remaining)
        response: BaseHTTPResponse | None = None
        try:
            connection.connect()
            watchdog.watch(connection.sock)
            connection.timeout = min(self._read_timeout, max(deadline - time.monotonic(), 0.001))
            connection.request(
                "GET",
                target.path,
                headers=self._headers(target),
                preload_content=False,
                decode_content=True,
                enforce_content_length=False,  # a body cut short is still the start of the page
            )
            response = connection.getresponse()
            fetched = self._answer(response)
            watchdog.check()  # a read the watchdog cut short ends without an error
            return fetched
        except Exception:
            if watchdog.expired:
                raise FetchRefused(StopReason.TIMEOUT, f"no answer within {timeout:.2f} s") from None
            raise
        finally:
            watchdog.stop()
            if response is not None:
                response.close()
            connection.close()

    def _connection(self, target: _Target, address: IPAddress, connect_timeout: float) -> HTTPConnection:
        if target.scheme == "http":
            return HTTPConnection(str(address), target.port, timeout=connect_timeout)
        return HTTPSConnection(
            str(address),
            target.port,
            timeout=connect_timeout,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ssl_context=self._tls(),
        )

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _headers(self, target: _Target) -> dict[str, str]:
        return {
            "Host": target.host_header,
            "User-Agent": self._user_agent,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Connection": "close",
        }

    def _answer(self, response: BaseHTTPResponse) -> Fetched:
        locations = response.headers.getlist("Location")
        location = locations[0] if locations else None
        if (300 <= response.status < 400 and location) or not _is_html(response.headers.get("Content-Type", "")):
            return Fetched(response.status, location)
        return Fetched(response.status, location, self._html(response))

    def _html(self, response: BaseHTTPResponse) -> str:
        """The start of the page, decoded; ``too_large`` when the window fills before its head has ended."""
        window = self._max_body_bytes
        body = bytearray()
        while len(body) < window:
            # read(amt) stops decompressing at amt bytes of output: a bomb never inflates past the window.
            chunk = response.read(amt=window - len(body), decode_content=True)
            if not chunk:
                break
            body += chunk
        html = _decode(bytes(body), response.headers.get("Content-Type", ""))
        if len(body) >= window and not _HEAD_END.search(html):
            raise FetchRefused(StopReason.TOO_LARGE, f"the page's head does not end within {window} bytes")
        return html


@dataclass(frozen=True, slots=True)
class _Target:
    """What a request needs from its URL: where to connect, and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def of(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchRefused(StopReason.CONNECTION_FAILED, f"the URL cannot be parsed: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise FetchRefused(StopReason.NOT_HTTP, f"{scheme!r} is not http or https")
        if not parts.hostname:
            raise FetchRefused(StopReason.CONNECTION_FAILED, "the URL has no host")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(scheme, parts.hostname, DEFAULT_PORTS[scheme] if port is None else port, path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


class _Watchdog:
    """Shuts a connection's socket down when the hop's time is spent, so a blocked read returns at once."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._stopped = False
        self.expired = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        """Watch ``sock`` (the connection's, once connected); refuses at once when the time is already spent."""
        with self._lock:
            self._socket = sock
        self.check()

    def check(self) -> None:
        if self.expired:
            raise FetchRefused(StopReason.TIMEOUT, "no answer in time")

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._stopped = True

    def _expire(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self.expired = True
            if self._socket is not None:
                # The plain socket's shutdown, also under TLS: it only wakes the reader, whatever its state (the
                # socket may be closed already, whence OSError).
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


def _is_html(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() in _HTML_TYPES


def _decode(body: bytes, content_type: str) -> str:
    """``body`` as text, in the charset Content-Type names when Python knows it as a text encoding; else UTF-8."""
    match = _CHARSET.search(content_type)
    if match is not None:
        try:
            return body.decode(match.group("charset"), errors="replace")
        except (LookupError, ValueError):  # unknown, not a text encoding (base64), or refusing "replace" (idna)
            pass
    return body.decode("utf-8", errors="replace")


def _refusal(exc: Exception) -> FetchRefused:
    """What a failed request means to the chain."""
    detail = f"{type(exc).__name__}: {exc}"[:200]
    if isinstance(exc, http.client.LineTooLong) or type(exc) is http.client.HTTPException:
        # LineTooLong: a status or header line over 64 KiB; a bare HTTPException: more than 100 headers.
        return FetchRefused(StopReason.TOO_LARGE, detail)
    if isinstance(exc, NewConnectionError):  # refused, unreachable: a ConnectTimeoutError subclass, so tested first
        return FetchRefused(StopReason.CONNECTION_FAILED, detail)
    if isinstance(exc, Urllib3Timeout | TimeoutError):  # TimeoutError: socket.timeout, also from TLS reads
        return FetchRefused(StopReason.TIMEOUT, detail)
    return FetchRefused(StopReason.CONNECTION_FAILED, detail)
