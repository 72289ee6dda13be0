"""The fault proxy itself, against tiny loopback upstreams: each mode does what the fault tests rely on."""

from __future__ import annotations

import http.client
import json
import socket
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.faults.conftest import EchoServer
from tests.faults.proxy import Counts, FaultProxy, Mode, RequestFramer

REQUEST = b"POST / HTTP/1.1\r\nHost: upstream\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
QUICK_S = 0.3  # long enough for an answer that is coming on loopback


def connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=2)


def test_pass_forwards_bytes_both_ways_unchanged(echo_upstream: EchoServer) -> None:
    # GIVEN a proxy in pass mode in front of an echo server
    with FaultProxy(echo_upstream.address) as proxy, connect(proxy) as client:
        payload = bytes(range(256)) * 1024  # more than one read's worth

        # WHEN bytes go through it
        client.sendall(payload)
        received = b""
        while len(received) < len(payload):
            chunk = client.recv(65536)
            assert chunk, "the proxy closed the connection early"
            received += chunk

        # THEN they come back exactly, over one counted connection
        assert received == payload
        assert proxy.connections(Mode.PASS) == 1


def test_pass_forwards_http_requests_and_counts_each(http_upstream: tuple[str, int]) -> None:
    with FaultProxy(http_upstream) as proxy:
        conn = http.client.HTTPConnection(*proxy.address, timeout=2)
        try:
            answers = []
            for n in range(2):  # two requests on one keep-alive connection
                conn.request("POST", f"/call/{n}", body=json.dumps({"n": n}))
                answers.append(json.loads(conn.getresponse().read()))
        finally:
            conn.close()

        assert answers == [
            {"method": "POST", "path": "/call/0", "body": '{"n": 0}'},
            {"method": "POST", "path": "/call/1", "body": '{"n": 1}'},
        ]
        assert (proxy.connections(Mode.PASS), proxy.requests(Mode.PASS)) == (1, 2)
        assert proxy.counts() == Counts(connections={Mode.PASS: 1}, requests={Mode.PASS: 2})
        proxy.reset_counts()
        assert proxy.counts() == Counts()


def test_refuse_closes_the_listener_and_pass_opens_it_again_on_the_same_port(echo_upstream: EchoServer) -> None:
    with FaultProxy(echo_upstream.address) as proxy:
        address = proxy.address

        proxy.set_mode(Mode.REFUSE)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=2)

        proxy.set_mode(Mode.PASS)
        assert proxy.address == address
        with socket.create_connection(address, timeout=2) as client:
            client.sendall(b"back")
            assert client.recv(16) == b"back"


def test_reset_reads_the_request_then_resets_the_connection(echo_upstream: EchoServer) -> None:
    with FaultProxy(echo_upstream.address, mode=Mode.RESET) as proxy, connect(proxy) as client:
        client.sendall(REQUEST)

        with pytest.raises(ConnectionResetError):
            client.recv(1024)
        assert (proxy.connections(Mode.RESET), proxy.requests(Mode.RESET)) == (1, 1)


def test_hang_answers_nothing_until_the_mode_changes_then_closes(echo_upstream: EchoServer) -> None:
    with FaultProxy(echo_upstream.address, mode=Mode.HANG) as proxy, connect(proxy) as client:
        client.sendall(REQUEST)
        client.settimeout(QUICK_S)
        with pytest.raises(TimeoutError):
            client.recv(1024)
        assert proxy.requests(Mode.HANG) == 1

        # WHEN the mode changes, the hanging connection is closed (the client sees the end of the stream)
        proxy.set_mode(Mode.PASS)
        assert client.recv(1024) == b""


@pytest.mark.parametrize(
    ("mode", "error_type", "type_name"),
    [
        (
            Mode.THROTTLE,
            "ProvisionedThroughputExceededException",
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        ),
        (Mode.THROTTLE_TS, "ThrottlingException", "com.amazon.coral.availability#ThrottlingException"),
    ],
    ids=["throttle", "throttle_ts"],
)
def test_throttle_answers_every_request_as_dynamodb_does(
    echo_upstream: EchoServer, mode: Mode, error_type: str, type_name: str
) -> None:
    with FaultProxy(echo_upstream.address, mode=mode) as proxy:
        conn = http.client.HTTPConnection(*proxy.address, timeout=2)
        try:
            answers = []
            for _ in range(2):  # the connection stays usable, as DynamoDB's does
                conn.request("POST", "/", body=b"{}", headers={"Content-Type": "application/x-amz-json-1.0"})
                response = conn.getresponse()
                answers.append((response.status, response.getheader("x-amzn-ErrorType"), response.read()))
        finally:
            conn.close()

        for status, header, body in answers:
            assert (status, header) == (400, error_type)
            assert json.loads(body)["__type"] == type_name
        assert response.getheader("Content-Type") == "application/x-amz-json-1.0"
        assert (proxy.connections(mode), proxy.requests(mode)) == (1, 2)


@pytest.mark.parametrize(
    ("mode", "code"),
    [(Mode.THROTTLE, "ProvisionedThroughputExceededException"), (Mode.THROTTLE_TS, "ThrottlingException")],
    ids=["throttle", "throttle_ts"],
)
def test_botocore_reads_the_throttle_answer_as_dynamodbs_error(
    echo_upstream: EchoServer, mode: Mode, code: str
) -> None:
    with FaultProxy(echo_upstream.address, mode=mode) as proxy:
        client = boto3.client(
            "dynamodb",
            endpoint_url=proxy.url,
            region_name="us-east-1",
            aws_access_key_id="proxy",
            aws_secret_access_key="proxy",
            config=Config(retries={"total_max_attempts": 1}),
        )
        with pytest.raises(ClientError) as raised:
            client.describe_table(TableName="anything")
        assert raised.value.response["Error"]["Code"] == code


def test_a_mode_change_closes_the_connections_of_the_previous_mode(http_upstream: tuple[str, int]) -> None:
    # GIVEN a keep-alive connection that went through in pass mode
    with FaultProxy(http_upstream) as proxy:
        conn = http.client.HTTPConnection(*proxy.address, timeout=2)
        try:
            conn.request("GET", "/")
            assert conn.getresponse().read()
            assert conn.sock is not None
            pooled: socket.socket = conn.sock

            # WHEN the mode changes
            proxy.set_mode(Mode.THROTTLE)

            # THEN that connection is closed (a client reconnects), and a new one is in the new mode
            pooled.settimeout(2)
            assert pooled.recv(1) == b""
        finally:
            conn.close()
        conn = http.client.HTTPConnection(*proxy.address, timeout=2)
        try:
            conn.request("GET", "/")
            assert conn.getresponse().status == 400
        finally:
            conn.close()


def test_stop_releases_hanging_connections_and_leaves_no_thread(echo_upstream: EchoServer) -> None:
    # GIVEN connections hanging in the proxy
    proxy = FaultProxy(echo_upstream.address, mode=Mode.HANG).start()
    clients = [connect(proxy) for _ in range(3)]
    try:
        for client in clients:
            client.sendall(REQUEST)
        deadline = time.monotonic() + 2
        while proxy.requests(Mode.HANG) < len(clients) and time.monotonic() < deadline:
            time.sleep(0.01)

        # WHEN the proxy stops
        started = time.monotonic()
        proxy.stop()

        # THEN it returns promptly, every client sees its connection end, no thread is left and nothing listens
        assert time.monotonic() - started < 1
        for client in clients:
            client.settimeout(2)
            assert client.recv(1024) == b""
        assert proxy.threads() == []
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=2)
    finally:
        for client in clients:
            client.close()


def test_the_proxy_as_a_context_manager_stops_on_exit(echo_upstream: EchoServer) -> None:
    with FaultProxy(echo_upstream.address) as proxy, connect(proxy):
        assert proxy.threads()
    assert proxy.threads() == []


def test_fault_restores_pass_mode_after_the_block(echo_upstream: EchoServer) -> None:
    with FaultProxy(echo_upstream.address) as proxy:
        seen = []
        with proxy.fault(Mode.REFUSE):
            seen.append(proxy.mode)
        seen.append(proxy.mode)
        assert seen == [Mode.REFUSE, Mode.PASS]


def test_the_framer_counts_requests_however_the_bytes_arrive() -> None:
    framer = RequestFramer()
    stream = REQUEST * 3

    completed = [framer.feed(stream[i : i + 7]) for i in range(0, len(stream), 7)]

    assert sum(completed) == 3
    assert RequestFramer().feed(REQUEST + REQUEST) == 2


def test_the_framer_counts_a_request_it_cannot_frame_once_then_stops_counting() -> None:
    framer = RequestFramer()
    chunked = b"POST / HTTP/1.1\r\nHost: upstream\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"

    assert framer.feed(chunked) == 1
    assert framer.opaque
    assert framer.feed(REQUEST) == 0
