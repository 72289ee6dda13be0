"""Scripted web sites on loopback for the expander's end-to-end tests.

A ``ChainServer`` answers each path as a test scripted it (a redirect, a page, a slow or endless body) and remembers
every connection it accepted and every request it read, so a test can show what the expander reached and what it
never touched. ``ChainServers`` are the three the session starts before the local server: ``allowed`` (127.0.0.1)
and ``allowed_v6`` (::1, where the machine has it) are in the local server's ``EXPANDER_ALLOWED_ADDRESSES``;
``outsider`` (127.0.0.1, another port) is not, so nothing may ever connect to it.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Self


@dataclass(frozen=True)
class Reply:
    """How a scripted path answers."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Callable[[], Iterable[bytes]] | None = None  # a body written chunk by chunk, until the reader hangs up
    delay: float = 0.0  # seconds of silence before the status line

    @classmethod
    def redirect(cls, status: int, location: str, **headers: str) -> Reply:
        return cls(status, {"Location": location, **headers})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Reply:
        return cls(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode())


NOT_SCRIPTED = Reply(404, {"Content-Type": "text/plain"}, b"not scripted")


@dataclass(frozen=True)
class Received:
    """One request as the server read it; header names in lower case."""

    path: str
    headers: dict[str, str]


class ChainServer:
    """A threaded HTTP server on ``host`` (an IP literal) and a free port, serving scripted paths."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._replies: dict[str, Reply] = {}
        self._received: list[Received] = []
        self._connections = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(self, host)
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"chain-{host}", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """``ip:port`` as ``EXPANDER_ALLOWED_ADDRESSES`` spells it (``[::1]:8080`` for IPv6)."""
        return f"{self._netloc_host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{self.address}"

    @property
    def _netloc_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def script(self, path: str, reply: Reply) -> str:
        """Answer ``path`` (with its query, as requested) with ``reply`` from now on; returns its URL."""
        with self._lock:
            self._replies[path] = reply
        return self.url(path)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def paths(self) -> list[str]:
        """Every path requested so far, in order."""
        return [request.path for request in self.received]

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (a connection that sent nothing counts too)."""
        with self._lock:
            return self._connections

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # a reply still sleeping or streaming ends now
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()

    def _accepted(self) -> None:
        with self._lock:
            self._connections += 1

    def _reply_to(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self._received.append(Received(path, headers))
            return self._replies.get(path, NOT_SCRIPTED)


class _Server(socketserver.ThreadingTCPServer):
    """``ThreadingHTTPServer`` without its ``getfqdn``: no name lookup in tests, not even of loopback."""

    daemon_threads = True

    def __init__(self, chain: ChainServer, host: str) -> None:
        self.chain = chain
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.chain._accepted()
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        chain = self.server.chain
        reply = chain._reply_to(self.path, {name.lower(): value for name, value in self.headers.items()})
        self.close_connection = True
        if reply.delay and chain._stopping.wait(reply.delay):
            return
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.stream is None:
                self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if reply.stream is None:
                self.wfile.write(reply.body)
                return
            for chunk in reply.stream():
                if chain._stopping.is_set():
                    return
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the reader hung up, as the expander does once it has read enough

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: ``ChainServer.received`` is the record."""


@dataclass(frozen=True)
class ChainServers:
    allowed: ChainServer
    outsider: ChainServer
    allowed_v6: ChainServer | None  # None: this machine has no IPv6 loopback

    @property
    def allowed_addresses(self) -> str:
        """The local server's ``EXPANDER_ALLOWED_ADDRESSES``: the allowed servers, never the outsider."""
        return ",".join(server.address for server in (self.allowed, self.allowed_v6) if server is not None)

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[ChainServers]:
        with ExitStack() as stack:

            def start(host: str) -> ChainServer:
                server = ChainServer(host).start()
                stack.callback(server.stop)
                return server

            try:
                v6: ChainServer | None = start("::1")
            except OSError:
                v6 = None
            yield cls(allowed=start("127.0.0.1"), outsider=start("127.0.0.1"), allowed_v6=v6)


def unique_prefix() -> str:
    """A path prefix no other test uses: every test scripts its own paths on the shared servers, and the
    expander's cache never answers one test with another's chain."""
    return f"/t{uuid.uuid4().hex[:12]}"
