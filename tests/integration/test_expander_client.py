"""The expander's HTTP client (expander/client.py) against real servers on 127.0.0.1.

Each server is a scripted TCP server started here, on a free loopback port, and the guard's allow-list holds
exactly that ``127.0.0.1:port``. Names resolve through a fake resolver (``expander.test`` is ``127.0.0.1``): no
test makes a DNS query or a connection anywhere else.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import ipaddress
import socket
import ssl
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shortlinks.domain.expansion import Fetched, FetchRefused, StopReason
from shortlinks.expander.client import USER_AGENT, GuardedFetcher
from shortlinks.expander.guard import AddressGuard

LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
WINDOW = 64 * 1024
Respond = Callable[["Connection"], None]


@pytest.fixture(autouse=True)
def store() -> None:
    """These tests need no table: the integration conftest's table fixture is replaced by nothing."""


# --- a scripted server ------------------------------------------------------------------------------------------


@dataclass
class Connection:
    """One accepted connection: the request head the server read, and the socket to answer on."""

    sock: socket.socket
    request: bytes
    stopping: threading.Event

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait(self, seconds: float) -> bool:
        """Sleep, unless the test is over (then ``True``: stop answering)."""
        return self.stopping.wait(seconds)


@dataclass
class Server:
    """A TCP server on 127.0.0.1 that reads each request's head and answers it with ``respond``."""

    respond: Respond
    tls: ssl.SSLContext | None = None
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def headers(self, index: int = -1) -> dict[str, str]:
        """The headers of a request the server received, names lower-cased."""
        lines = self.requests[index].decode("latin-1").split("\r\n")[1:]
        return {
            name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines if line)
        }

    def close(self) -> None:
        self.stopping.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        with contextlib.suppress(OSError), contextlib.closing(raw):
            raw.settimeout(5)
            sock = self.tls.wrap_socket(raw, server_side=True) if self.tls else raw
            with contextlib.closing(sock):
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                self.requests.append(request)
                self.respond(Connection(sock, request, self.stopping))


@pytest.fixture
def serve() -> Iterator[Callable[[Respond], Server]]:
    servers: list[Server] = []

    def start(respond: Respond) -> Server:
        servers.append(Server(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def answer(status: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b"") -> Respond:
    """A server script: one complete response."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n"

    def respond(connection: Connection) -> None:
        connection.send(head.encode("latin-1") + body)

    return respond


def page(body: bytes, content_type: str = "text/html; charset=utf-8", *extra: tuple[str, str]) -> Respond:
    return answer("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body))), *extra], body)


def stalled(status: str, headers: Sequence[tuple[str, str]]) -> Respond:
    """Headers promising 10 MB, 1 KB of body, then nothing until the test ends: reading the body would hang."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers)

    def respond(connection: Connection) -> None:
        connection.send(f"{head}Content-Length: 10000000\r\n\r\n".encode("latin-1") + b"<" * 1024)
        connection.wait(10)

    return respond


def fetcher_for(
    *servers: Server, read_timeout: float = 5.0, ssl_context: ssl.SSLContext | None = None
) -> GuardedFetcher:
    """A fetcher whose allow-list is exactly these servers' ``127.0.0.1:port``, and whose resolver knows only
    ``expander.test`` and ``other.test`` (both 127.0.0.1)."""
    known = {"expander.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]}

    def resolver(host: str, port: int) -> list[str]:
        if host not in known:
            raise FetchRefused(StopReason.CONNECTION_FAILED, f"{host} is not a test name")
        return known[host]

    guard = AddressGuard(frozenset((LOOPBACK, server.port) for server in servers), resolver)
    return GuardedFetcher(guard, user_agent=USER_AGENT, read_timeout=read_timeout, ssl_context=ssl_context)


def refusal(fetcher: GuardedFetcher, url: str, timeout: float = 3.0) -> tuple[StopReason, float]:
    """Why ``fetcher`` refused ``url``, and how long it took to say so."""
    started = time.monotonic()
    with pytest.raises(FetchRefused) as refused:
        fetcher.fetch(url, timeout)
    return refused.value.reason, time.monotonic() - started


# --- what a response becomes --------------------------------------------------------------------------------------


def test_a_redirect_is_returned_raw_and_not_followed(serve: Callable[[Respond], Server]) -> None:
    # GIVEN a 301 whose body would hang if it were read
    server = serve(stalled("301 Moved Permanently", [("Location", "/next?a=1"), ("Content-Type", "text/html")]))

    # WHEN it is fetched
    started = time.monotonic()
    fetched = fetcher_for(server).fetch(server.url("/start"), 3.0)

    # THEN its status and Location come back as the server wrote them, with one request and no body read
    assert fetched == Fetched(301, "/next?a=1", None)
    assert time.monotonic() - started < 1
    assert server.connections == 1


def test_the_first_location_header_is_the_one_returned(serve: Callable[[Respond], Server]) -> None:
    server = serve(answer("302 Found", [("Location", "https://a.example/"), ("Location", "https://b.example/")]))

    assert fetcher_for(server).fetch(server.url(), 3.0).location == "https://a.example/"


def test_an_html_page_is_returned_with_its_meta_refresh(serve: Callable[[Respond], Server]) -> None:
    html = b'<html><head><meta http-equiv="refresh" content="0; url=https://example.org/"></head><body></body></html>'
    server = serve(page(html))

    fetched = fetcher_for(server).fetch(server.url(), 3.0)

    assert fetched == Fetched(200, None, html.decode())


def test_a_page_is_decoded_with_the_charset_its_content_type_names(serve: Callable[[Respond], Server]) -> None:
    html = "<html><head><title>Café</title></head></html>"
    server = serve(page(html.encode("iso-8859-1"), "text/html; charset=ISO-8859-1"))

    assert fetcher_for(server).fetch(server.url(), 3.0).html == html


@pytest.mark.parametrize("content_type", ["text/html; charset=no-such-charset", "text/html; charset=base64"])
def test_an_unknown_charset_is_read_as_utf8(serve: Callable[[Respond], Server], content_type: str) -> None:
    server = serve(page("<head>é</head>".encode(), content_type))

    assert fetcher_for(server).fetch(server.url(), 3.0).html == "<head>é</head>"


def test_an_xhtml_page_is_read(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"<html><head></head></html>", "application/xhtml+xml"))

    assert fetcher_for(server).fetch(server.url(), 3.0).html == "<html><head></head></html>"


@pytest.mark.parametrize("content_type", ["image/png", "application/json", "text/plain", "text/html-ish"])
def test_a_body_that_is_not_html_is_not_read(serve: Callable[[Respond], Server], content_type: str) -> None:
    # GIVEN a response whose body would hang if it were read
    server = serve(stalled("200 OK", [("Content-Type", content_type)]))

    # WHEN it is fetched
    started = time.monotonic()
    fetched = fetcher_for(server).fetch(server.url(), 3.0)

    # THEN only its status comes back, at once
    assert fetched == Fetched(200, None, None)
    assert time.monotonic() - started < 1


def test_a_huge_page_whose_head_does_not_end_in_the_window_is_too_large(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"<html><head>" + b"<!-- padding -->" * 200_000))

    reason, elapsed = refusal(fetcher_for(server), server.url())

    assert reason is StopReason.TOO_LARGE
    assert elapsed < 1


def test_a_huge_page_whose_head_ends_early_is_cut_at_the_window(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"<html><head></head><body>" + b"<p>text</p>" * 200_000))

    html = fetcher_for(server).fetch(server.url(), 3.0).html

    assert html is not None
    assert html.startswith("<html><head></head><body><p>text</p>")
    assert len(html.encode()) == WINDOW


# --- decompression ------------------------------------------------------------------------------------------------


def _compressed(wbits: int, prefix: bytes = b"", zeros_mib: int = 50) -> bytes:
    """``prefix`` and then ``zeros_mib`` MiB of zeros, compressed a MiB at a time (never all in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    return b"".join([compressor.compress(prefix), *(compressor.compress(block) for _ in range(zeros_mib))]) + (
        compressor.flush()
    )


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return _compressed(wbits=31)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "gzip, gzip"])
def test_a_compression_bomb_is_never_inflated_past_the_window(
    serve: Callable[[Respond], Server], gzip_bomb: bytes, encoding: str
) -> None:
    # GIVEN an HTML page of 50 MiB of zeros, some 50 KB once compressed (twice compressed for "gzip, gzip")
    body = {"gzip": gzip_bomb, "deflate": _compressed(wbits=15), "gzip, gzip": gzip.compress(gzip_bomb)}[encoding]
    assert len(body) < 100_000
    server = serve(page(body, "text/html", ("Content-Encoding", encoding)))

    # WHEN it is fetched
    tracemalloc.start()
    try:
        reason, elapsed = refusal(fetcher_for(server), server.url())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # THEN the window fills, the fetch stops, and neither time nor memory grew with the bomb
    assert reason is StopReason.TOO_LARGE
    assert elapsed < 2
    assert peak < 4 * 1024 * 1024


def test_a_compressed_page_is_read_up_to_the_window_of_decompressed_bytes(serve: Callable[[Respond], Server]) -> None:
    body = _compressed(wbits=31, prefix=b"<html><head></head><body>", zeros_mib=20)
    server = serve(page(body, "text/html", ("Content-Encoding", "gzip")))

    html = fetcher_for(server).fetch(server.url(), 3.0).html

    assert html is not None
    assert html.startswith("<html><head></head><body>\x00")
    assert len(html) == WINDOW


def test_a_corrupt_compressed_body_fails_the_connection(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"this is not gzip" * 10, "text/html", ("Content-Encoding", "gzip")))

    reason, _ = refusal(fetcher_for(server), server.url())

    assert reason is StopReason.CONNECTION_FAILED


# --- time -----------------------------------------------------------------------------------------------------------


def test_a_slow_server_times_out_within_the_hops_timeout(serve: Callable[[Respond], Server]) -> None:
    def slow(connection: Connection) -> None:
        if not connection.wait(2):
            connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    server = serve(slow)

    reason, elapsed = refusal(fetcher_for(server), server.url(), timeout=0.5)

    assert reason is StopReason.TIMEOUT
    assert elapsed < 1


def _trickle(head: bytes, drip: bytes) -> Respond:
    def respond(connection: Connection) -> None:
        connection.send(head)
        while not connection.wait(0.05):
            connection.send(drip)

    return respond


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Slow: ", b"x"),  # headers, a byte at a time
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000\r\n\r\n<html>", b" "),  # the body
    ],
    ids=["headers", "body"],
)
def test_a_server_that_trickles_cannot_hold_a_hop_past_its_timeout(
    serve: Callable[[Respond], Server], head: bytes, drip: bytes
) -> None:
    # GIVEN a server that sends a byte every 50 ms: every read succeeds well within the 5 s read timeout
    server = serve(_trickle(head, drip))

    # WHEN it is fetched with 0.6 s left
    reason, elapsed = refusal(fetcher_for(server, read_timeout=5.0), server.url(), timeout=0.6)

    # THEN the hop ends when its time does
    assert reason is StopReason.TIMEOUT
    assert elapsed < 1.2


# --- broken servers -----------------------------------------------------------------------------------------------


def _reset(connection: Connection) -> None:
    connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


@pytest.mark.parametrize(
    "respond",
    [
        pytest.param(lambda connection: None, id="closed-without-answer"),
        pytest.param(_reset, id="reset"),
        pytest.param(lambda connection: connection.send(b"HELLO\r\n\r\n"), id="not-http"),
        pytest.param(lambda connection: connection.send(b"HTTP/1.1 2000 Huge\r\n\r\n"), id="bad-status"),
    ],
)
def test_a_server_that_breaks_the_exchange_fails_the_connection(
    serve: Callable[[Respond], Server], respond: Respond
) -> None:
    server = serve(respond)

    reason, elapsed = refusal(fetcher_for(server), server.url())

    assert reason is StopReason.CONNECTION_FAILED
    assert elapsed < 1


def test_a_port_nothing_listens_on_fails_the_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    guard = AddressGuard(frozenset({(LOOPBACK, port)}))
    fetcher = GuardedFetcher(guard, user_agent=USER_AGENT)

    reason, _ = refusal(fetcher, f"http://127.0.0.1:{port}/")

    assert reason is StopReason.CONNECTION_FAILED


@pytest.mark.parametrize(
    "headers",
    [
        [(f"X-Header-{number}", "1") for number in range(101)],  # more than http.client's 100
        [("X-Long", "x" * 70_000)],  # a line over 64 KiB
    ],
    ids=["too-many-headers", "header-line-too-long"],
)
def test_oversized_headers_are_too_large(serve: Callable[[Respond], Server], headers: list[tuple[str, str]]) -> None:
    server = serve(answer("200 OK", headers))

    reason, _ = refusal(fetcher_for(server), server.url())

    assert reason is StopReason.TOO_LARGE


# --- the guard, in front of the connection ------------------------------------------------------------------------


def test_a_port_that_is_not_allowed_is_refused_without_connecting(serve: Callable[[Respond], Server]) -> None:
    # GIVEN a server the allow-list does not name, and one it does
    unlisted = serve(page(b"<html></html>"))
    listed = serve(page(b"<html></html>"))
    fetcher = fetcher_for(listed)

    # WHEN the unlisted one is fetched, by address and by name
    by_address, _ = refusal(fetcher, unlisted.url())
    by_name, _ = refusal(fetcher, unlisted.url(host="expander.test"))

    # THEN the port is refused, and the server never saw a connection
    assert by_address is StopReason.BLOCKED_PORT
    assert by_name is StopReason.BLOCKED_PORT
    assert unlisted.connections == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "https://127.0.0.1/", "http://expander.test/", "http://[::1]/"])
def test_loopback_on_ports_80_and_443_is_refused_without_connecting(url: str) -> None:
    reason, _ = refusal(fetcher_for(), url)

    assert reason is StopReason.BLOCKED_ADDRESS


def test_a_name_never_resolved_is_never_connected_to() -> None:
    reason, _ = refusal(fetcher_for(), "https://unknown.test/")

    assert reason is StopReason.CONNECTION_FAILED


# --- what is sent -------------------------------------------------------------------------------------------------


def test_the_request_names_the_host_and_the_service_and_nothing_else(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"<html></html>"))

    fetcher_for(server).fetch(server.url("/page?q=1#section", host="expander.test"), 3.0)

    request_line = server.requests[0].split(b"\r\n")[0]
    assert request_line == b"GET /page?q=1 HTTP/1.1"
    assert server.headers() == {
        "host": f"expander.test:{server.port}",
        "user-agent": USER_AGENT,
        "accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        "accept-encoding": "gzip, deflate",
        "connection": "close",
    }


def test_the_user_agent_is_honest() -> None:
    assert USER_AGENT.startswith("shortlinks-expander/")
    assert "Mozilla" not in USER_AGENT


def test_no_cookie_is_ever_sent_back(serve: Callable[[Respond], Server]) -> None:
    # GIVEN a server that sets a cookie
    server = serve(page(b"<html></html>", "text/html", ("Set-Cookie", "session=secret; Path=/")))
    fetcher = fetcher_for(server)

    # WHEN it is fetched twice
    fetcher.fetch(server.url(), 3.0)
    fetcher.fetch(server.url(), 3.0)

    # THEN neither request carried a cookie, credentials or a body
    assert len(server.requests) == 2
    for index in (0, 1):
        assert {"cookie", "authorization", "content-length", "transfer-encoding"}.isdisjoint(server.headers(index))


def test_each_request_has_its_own_connection(serve: Callable[[Respond], Server]) -> None:
    server = serve(page(b"<html></html>"))
    fetcher = fetcher_for(server)

    for _ in range(3):
        fetcher.fetch(server.url(), 3.0)

    assert server.connections == 3


def test_an_ipv6_loopback_server_is_reached_with_a_bracketed_host_header() -> None:
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    received: list[bytes] = []

    def serve_once() -> None:
        with contextlib.suppress(OSError):
            sock, _ = listener.accept()
            with sock:
                received.append(sock.recv(65536))
                sock.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    with listener:
        listener.settimeout(3)
        port = listener.getsockname()[1]
        thread = threading.Thread(target=serve_once, daemon=True)
        thread.start()
        guard = AddressGuard(frozenset({(ipaddress.IPv6Address("::1"), port)}))
        fetched = GuardedFetcher(guard, user_agent=USER_AGENT).fetch(f"http://[::1]:{port}/", 3.0)
        thread.join(timeout=3)

    assert fetched == Fetched(204)
    assert f"\r\nHost: [::1]:{port}\r\n".encode() in received[0]


# --- TLS: SNI and the certificate check use the host name ---------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_pem: str
    server: ssl.SSLContext
    names_seen: list[str]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A test CA, and a server context with a certificate it signed for ``expander.test`` (only)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shortlinks test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expander.test")]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("expander.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory: Path = tmp_path_factory.mktemp("tls")
    (directory / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (directory / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "leaf.pem", directory / "leaf.key")
    names_seen: list[str] = []

    def record_sni(_socket: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        names_seen.append(name or "")

    server.sni_callback = record_sni
    return Certificates(ca.public_bytes(serialization.Encoding.PEM).decode(), server, names_seen)


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[Server]:
    certificates.names_seen.clear()
    server = Server(page(b"<html><head></head></html>"), tls=certificates.server)
    yield server
    server.close()


def test_https_connects_to_the_checked_address_with_the_host_name_for_sni_and_the_certificate(
    tls_server: Server, certificates: Certificates
) -> None:
    # GIVEN a client that trusts the test CA, and a certificate for expander.test
    fetcher = fetcher_for(tls_server, ssl_context=ssl.create_default_context(cadata=certificates.ca_pem))

    # WHEN expander.test (resolved to 127.0.0.1 by the guard) is fetched over https
    fetched = fetcher.fetch(tls_server.url(host="expander.test"), 3.0)

    # THEN the certificate was checked against the name, sent as SNI and as Host
    assert fetched == Fetched(200, None, "<html><head></head></html>")
    assert certificates.names_seen == ["expander.test"]
    assert tls_server.headers()["host"] == f"expander.test:{tls_server.port}"


def test_a_certificate_for_another_name_fails_the_connection(tls_server: Server, certificates: Certificates) -> None:
    fetcher = fetcher_for(tls_server, ssl_context=ssl.create_default_context(cadata=certificates.ca_pem))

    for url in (tls_server.url(host="other.test"), tls_server.url()):  # another name, and the bare address
        reason, _ = refusal(fetcher, url)
        assert reason is StopReason.CONNECTION_FAILED
    assert tls_server.requests == []


def test_a_certificate_from_an_untrusted_issuer_fails_the_connection(tls_server: Server) -> None:
    # The default context: the system's trust store, which does not know the test CA.
    reason, _ = refusal(fetcher_for(tls_server), tls_server.url(host="expander.test"))

    assert reason is StopReason.CONNECTION_FAILED
    assert tls_server.requests == []
