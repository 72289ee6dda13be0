"""A TCP proxy on loopback that makes its upstream (the embedded DynamoDB) fail on demand.

    with FaultProxy(embedded.endpoint) as proxy:       # starts in Mode.PASS
        server = LocalServer(dynamodb_endpoint=proxy.url, ...)
        proxy.set_mode(Mode.HANG)                        # or: with proxy.fault(Mode.HANG): ...
        ...
        assert proxy.requests(Mode.HANG) == 1

Each connection is served in the mode current when it was accepted, and **every mode change closes every open
connection** (a FIN; a hanging one is released and closed). So a client's pooled keep-alive connections never
carry the old mode into the new one: the client notices the close and reconnects into the new mode. Modes:

* ``pass``: bytes are forwarded both ways, unchanged.
* ``refuse``: the listening socket is closed, so a connect gets a real ``ECONNREFUSED``; it is opened again, on
  the same port, when the mode changes. Refused connects never reach the proxy, so they are not counted.
* ``reset``: accept, read one request, then close with ``SO_LINGER`` 0: the client sees ``ECONNRESET``.
* ``hang``: accept, read, and never answer, until the mode changes or the proxy stops (then close).
* ``throttle`` / ``throttle_ts``: answer every HTTP request with DynamoDB's ``400``
  ``ProvisionedThroughputExceededException`` / ``ThrottlingException``, keeping the connection alive.

Requests are HTTP/1.1 requests framed by ``Content-Length`` (what botocore sends); ``requests(mode)`` counts
those the proxy read whole, ``connections(mode)`` the connections it accepted.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

POLL_SECONDS = 0.05  # how often a waiting thread looks at the mode and for a stop
READ_REQUEST_SECONDS = 1.0  # reset and hang wait at most this long for a request before acting anyway
UPSTREAM_CONNECT_SECONDS = 2.0
MODE_CHANGE_SECONDS = 5.0  # how long set_mode waits for the listener to close or to open again
MAX_HEAD_BYTES = 64 * 1024
_RECV_BYTES = 64 * 1024


class Mode(StrEnum):
    PASS = "pass"
    REFUSE = "refuse"
    RESET = "reset"
    HANG = "hang"
    THROTTLE = "throttle"
    THROTTLE_TS = "throttle_ts"


FAULTS = (Mode.REFUSE, Mode.RESET, Mode.HANG, Mode.THROTTLE, Mode.THROTTLE_TS)

# The error type, and the body's __type, DynamoDB answers with when it throttles.
_THROTTLES = {
    Mode.THROTTLE: (
        "ProvisionedThroughputExceededException",
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    Mode.THROTTLE_TS: (
        "ThrottlingException",
        "com.amazon.coral.availability#ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    ),
}


def throttle_response(mode: Mode, *, close: bool = False) -> bytes:
    """The ``400`` DynamoDB answers a throttled request with, as raw HTTP/1.1 bytes."""
    error_type, type_name, message = _THROTTLES[mode]
    body = json.dumps({"__type": type_name, "message": message}, separators=(",", ":")).encode()
    head = [
        "HTTP/1.1 400 Bad Request",
        f"x-amzn-RequestId: {uuid.uuid4()}",
        f"x-amzn-ErrorType: {error_type}",
        "Content-Type: application/x-amz-json-1.0",
        f"Content-Length: {len(body)}",
    ]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


@dataclass(frozen=True)
class Counts:
    """What the proxy saw, per mode."""

    connections: dict[Mode, int] = field(default_factory=dict)
    requests: dict[Mode, int] = field(default_factory=dict)


class RequestFramer:
    """Splits a client's byte stream into HTTP/1.1 requests (a head, then ``Content-Length`` bytes of body).

    A request it cannot frame (a chunked body, a head over 64 KiB, a bad ``Content-Length``) is counted when its
    head is seen, or when the limit is hit; after it, the stream is ``opaque`` and nothing more is counted.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._body_left: int | None = None  # None: reading a head
        self.opaque = False

    def feed(self, data: bytes) -> int:
        """Take the next bytes from the client; return how many requests they completed."""
        if self.opaque:
            return 0
        self._buffer += data
        completed = 0
        while True:
            if self._body_left is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > MAX_HEAD_BYTES:
                        return completed + self._give_up()
                    return completed
                length = _content_length(bytes(self._buffer[:end]))
                del self._buffer[: end + 4]
                if length is None:
                    return completed + self._give_up()
                self._body_left = length
            taken = min(self._body_left, len(self._buffer))
            del self._buffer[:taken]
            self._body_left -= taken
            if self._body_left:
                return completed
            self._body_left = None
            completed += 1

    def _give_up(self) -> int:
        self.opaque = True
        self._buffer.clear()
        return 1


def _content_length(head: bytes) -> int | None:
    """The body length a request head announces (0 without one); ``None`` when it cannot be framed."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding":
            return None
        if name == b"content-length":
            if not value.strip().isdigit():
                return None
            length = int(value.strip())
    return length


class FaultProxy:
    """A threaded TCP proxy on ``host:port`` (0: a free port) in front of ``upstream`` (``http://host:port`` or a
    ``(host, port)`` pair), whose ``Mode`` can be switched at run time. A context manager: start, then stop."""

    def __init__(
        self, upstream: str | tuple[str, int], *, host: str = "127.0.0.1", port: int = 0, mode: Mode = Mode.PASS
    ) -> None:
        self._upstream = _address(upstream)
        self._host, self._port = host, port
        self._mode = Mode(mode)
        self._generation = 0  # bumped by every mode change: a connection of an older generation ends
        self._cond = threading.Condition()
        self._stopping = False
        self._listening = False
        self._bind_error: OSError | None = None
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._handlers: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._connections: Counter[Mode] = Counter()
        self._requests: Counter[Mode] = Counter()

    # -- public API -------------------------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        if not self._port:
            raise RuntimeError("the proxy is not started; call start() first")
        return self._host, self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: what a DynamoDB client uses as its endpoint."""
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def mode(self) -> Mode:
        with self._cond:
            return self._mode

    def start(self) -> Self:
        """Listen (learning the port, if 0) and serve from threads. Returns once connects are accepted."""
        if self._acceptor is not None:
            raise RuntimeError("the proxy is already started; a stopped proxy cannot be started again")
        if self._mode is not Mode.REFUSE:
            self._listener = self._listen()
            self._listening = True
        else:
            self._port = self._port or _free_port(self._host)
        self._acceptor = threading.Thread(target=self._accept_loop, name=f"fault-proxy-{self._port}", daemon=True)
        self._acceptor.start()
        return self

    def set_mode(self, mode: Mode | str) -> None:
        """Switch to ``mode``; every open connection is closed. Returns once the listener is in the new state
        (closed for ``refuse``, open otherwise)."""
        mode = Mode(mode)
        with self._cond:
            if mode is self._mode:
                return
            self._mode = mode
            self._generation += 1
            doomed = list(self._open)
            started = self._acceptor is not None
            self._cond.notify_all()
        for sock in doomed:
            _shutdown(sock)
        if started:  # before start(), start() itself listens (or not) as the mode says
            self._await_listening(mode is not Mode.REFUSE)

    @contextlib.contextmanager
    def fault(self, mode: Mode | str) -> Iterator[Self]:
        """``mode`` for the duration of the block, then ``pass`` again."""
        self.set_mode(mode)
        try:
            yield self
        finally:
            self.set_mode(Mode.PASS)

    def connections(self, mode: Mode | str) -> int:
        """Connections accepted while in ``mode``."""
        with self._cond:
            return self._connections[Mode(mode)]

    def requests(self, mode: Mode | str) -> int:
        """Whole HTTP requests read on connections of ``mode``."""
        with self._cond:
            return self._requests[Mode(mode)]

    def counts(self) -> Counts:
        with self._cond:
            return Counts(dict(self._connections), dict(self._requests))

    def reset_counts(self) -> None:
        with self._cond:
            self._connections.clear()
            self._requests.clear()

    def threads(self) -> list[threading.Thread]:
        """The proxy's threads still alive (none after ``stop()``)."""
        with self._cond:
            started = [self._acceptor, *self._handlers] if self._acceptor is not None else []
        return [thread for thread in started if thread.is_alive()]

    def stop(self) -> None:
        """Close the listener and every connection, hanging ones included, and wait for every thread to end.
        Safe to call more than once. Raises ``RuntimeError`` if a thread outlives it (a bug of the proxy)."""
        with self._cond:
            if self._acceptor is None or self._stopping:
                return
            self._stopping = True
            doomed = list(self._open)
            self._cond.notify_all()
        for sock in doomed:
            _shutdown(sock)
        deadline = time.monotonic() + 5
        self._acceptor.join(timeout=max(0.0, deadline - time.monotonic()))
        with self._cond:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        alive = self.threads()
        if alive:
            raise RuntimeError(f"fault proxy threads outlived stop(): {[thread.name for thread in alive]}")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    # -- listening --------------------------------------------------------------------------------------------

    def _listen(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # Re-binding the port after `refuse` must not wait for the old connections' TIME_WAIT.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self._host, self._port))
            listener.listen(128)
        except OSError:
            listener.close()
            raise
        self._port = int(listener.getsockname()[1])
        return listener

    def _set_listening(self, listening: bool, error: OSError | None = None) -> None:
        with self._cond:
            self._listening, self._bind_error = listening, error
            self._cond.notify_all()

    def _await_listening(self, wanted: bool) -> None:
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._listening == wanted or self._stopping or self._bind_error is not None,
                timeout=MODE_CHANGE_SECONDS,
            )
            if self._bind_error is not None:
                raise RuntimeError(f"the fault proxy cannot listen on port {self._port} again: {self._bind_error}")
            if not done:
                state = "open" if wanted else "close"
                raise RuntimeError(f"the fault proxy did not {state} its listener within {MODE_CHANGE_SECONDS} s")

    def _accept_loop(self) -> None:
        """Owns the listening socket: closes it for ``refuse``, opens it again after, accepts otherwise."""
        listener, self._listener = self._listener, None
        rebind_deadline: float | None = None
        try:
            while True:
                with self._cond:
                    if self._stopping:
                        return
                    wanted = self._mode is not Mode.REFUSE
                if wanted and listener is None:
                    rebind_deadline = rebind_deadline or time.monotonic() + MODE_CHANGE_SECONDS / 2
                    try:
                        listener = self._listen()
                    except OSError as exc:  # the port is briefly held elsewhere: try again until the deadline
                        if time.monotonic() >= rebind_deadline:
                            self._set_listening(False, exc)
                            rebind_deadline = None
                        time.sleep(POLL_SECONDS)
                        continue
                    rebind_deadline = None
                    self._set_listening(True)
                elif not wanted and listener is not None:
                    listener.close()
                    listener = None
                    self._set_listening(False)
                if listener is None:
                    with self._cond:
                        self._cond.wait(POLL_SECONDS)
                    continue
                ready, _, _ = select.select([listener], [], [], POLL_SECONDS)
                if ready:
                    with contextlib.suppress(OSError):
                        self._serve_in_thread(listener.accept()[0])
        finally:
            if listener is not None:
                listener.close()
            self._set_listening(False)

    def _serve_in_thread(self, client: socket.socket) -> None:
        with self._cond:
            if self._stopping:
                _abort(client)
                return
            mode, generation = self._mode, self._generation
            self._connections[mode] += 1
            self._open.add(client)  # registered before a mode change can miss it
            self._handlers = [thread for thread in self._handlers if thread.is_alive()]
            thread = threading.Thread(
                target=self._serve,
                args=(client, mode, generation),
                name=f"fault-proxy-{self._port}-{mode.value}",
                daemon=True,
            )
            self._handlers.append(thread)
        thread.start()

    # -- one connection ---------------------------------------------------------------------------------------

    def _serve(self, client: socket.socket, mode: Mode, generation: int) -> None:
        reset = mode in (Mode.REFUSE, Mode.RESET)  # refuse: accepted in the instant before the listener closed
        try:
            if mode is Mode.PASS:
                self._forward(client, generation)
            elif mode is Mode.RESET:
                self._read_request(client, mode, generation)
            elif mode is Mode.HANG:
                self._read_request(client, mode, generation)
                self._hang(client, generation)
            elif mode in _THROTTLES:
                self._throttle(client, mode, generation)
        except OSError:
            pass  # the client went away, or a mode change or stop shut the socket
        finally:
            with self._cond:
                self._open.discard(client)
            if reset:
                _abort(client)
            else:
                client.close()

    def _current(self, generation: int) -> bool:
        with self._cond:
            return not self._stopping and self._generation == generation

    def _count_requests(self, mode: Mode, completed: int) -> None:
        if completed:
            with self._cond:
                self._requests[mode] += completed

    def _forward(self, client: socket.socket, generation: int) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=UPSTREAM_CONNECT_SECONDS)
        except OSError:
            _abort(client)  # the upstream is down: the client sees a reset
            return
        with self._cond:
            if self._stopping or self._generation != generation:
                upstream.close()
                return
            self._open.add(upstream)
        framer = RequestFramer()
        try:
            while self._current(generation):
                ready, _, _ = select.select([client, upstream], [], [], POLL_SECONDS)
                for source in ready:
                    data = source.recv(_RECV_BYTES)
                    if not data:
                        return
                    if source is client:
                        self._count_requests(Mode.PASS, framer.feed(data))
                        upstream.sendall(data)
                    else:
                        client.sendall(data)
        finally:
            with self._cond:
                self._open.discard(upstream)
            upstream.close()

    def _read_request(self, client: socket.socket, mode: Mode, generation: int) -> None:
        """Read until one whole request has arrived, the client closes, or ``READ_REQUEST_SECONDS`` pass."""
        framer = RequestFramer()
        deadline = time.monotonic() + READ_REQUEST_SECONDS
        while self._current(generation) and time.monotonic() < deadline:
            ready, _, _ = select.select([client], [], [], POLL_SECONDS)
            if not ready:
                continue
            data = client.recv(_RECV_BYTES)
            if not data:
                return
            completed = framer.feed(data)
            if completed:
                self._count_requests(mode, completed)
                return

    def _hang(self, client: socket.socket, generation: int) -> None:
        """Answer nothing until the mode changes or the proxy stops (or the client gives up and closes)."""
        while self._current(generation):
            ready, _, _ = select.select([client], [], [], POLL_SECONDS)
            if ready and not client.recv(_RECV_BYTES):
                return

    def _throttle(self, client: socket.socket, mode: Mode, generation: int) -> None:
        framer = RequestFramer()
        while self._current(generation):
            ready, _, _ = select.select([client], [], [], POLL_SECONDS)
            if not ready:
                continue
            data = client.recv(_RECV_BYTES)
            if not data:
                return
            completed = framer.feed(data)
            self._count_requests(mode, completed)
            for _ in range(completed):
                client.sendall(throttle_response(mode, close=framer.opaque))
            if framer.opaque:  # cannot tell where the next request starts: answer this one and hang up
                return


def _address(upstream: str | tuple[str, int]) -> tuple[str, int]:
    if isinstance(upstream, tuple):
        return upstream
    parts = urlsplit(upstream if "://" in upstream else f"http://{upstream}")
    if not parts.hostname or not parts.port:
        raise ValueError(f"the upstream must look like http://127.0.0.1:8000, not {upstream!r}")
    return parts.hostname, parts.port


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _shutdown(sock: socket.socket) -> None:
    """Wake whichever thread waits on ``sock``; that thread closes it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _abort(sock: socket.socket) -> None:
    """Close with ``SO_LINGER`` 0: an RST, so the peer sees ``ECONNRESET``."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
