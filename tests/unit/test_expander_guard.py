"""The expander's address guard (expander/guard.py): which addresses and ports a hop may reach.

Pure: every address here is data. The resolver is a fake, and no test opens a socket.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import pytest

from shortlinks.domain.expansion import FetchRefused, StopReason
from shortlinks.expander.guard import (
    ALLOWED_PORTS,
    BLOCKED_NETWORKS,
    AddressGuard,
    IPAddress,
    blocked_network,
    no_name_resolution,
    parse_allowed_addresses,
    system_resolver,
)

# The ranges issue 9 names, written out here so a change to the guard's list has to be a change to this one too.
ISSUE_RANGES = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "::/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001:db8::/32",
    "2002::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
)


def _first_middle_last(network: str) -> Iterable[tuple[str, IPAddress]]:
    net = ipaddress.ip_network(network)
    yield network, net.network_address
    yield network, net.network_address + net.num_addresses // 2
    yield network, net.broadcast_address


BLOCKED_ADDRESSES = [pair for network in ISSUE_RANGES for pair in _first_middle_last(network)]


class FakeResolver:
    """Answers from a table and remembers what it was asked; a name not in the table fails as DNS would."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if host not in self.table:
            raise FetchRefused(StopReason.CONNECTION_FAILED, f"{host} could not be resolved")
        return self.table[host]


def _refusal(guard: AddressGuard, host: str, port: int) -> StopReason:
    with pytest.raises(FetchRefused) as refused:
        guard.check(host, port)
    return refused.value.reason


def _literal(address: IPAddress) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


# --- the blocked networks ---------------------------------------------------------------------------------------


def test_the_blocked_networks_are_exactly_those_the_issue_lists() -> None:
    assert set(BLOCKED_NETWORKS) == {ipaddress.ip_network(network) for network in ISSUE_RANGES}


@pytest.mark.parametrize(("network", "address"), BLOCKED_ADDRESSES, ids=lambda value: str(value))
def test_the_first_middle_and_last_address_of_every_blocked_range_is_blocked(network: str, address: IPAddress) -> None:
    # GIVEN an address at an edge or the middle of a blocked range
    # WHEN it is classified, and WHEN a hop goes to it on an allowed port
    found = blocked_network(address)
    guard = AddressGuard(resolver=FakeResolver())

    # THEN a blocked network holds it (a narrower one may come first: ::1 is also in ::/96), and no hop reaches it
    assert found is not None
    assert address in found
    assert _refusal(guard, _literal(address), 443) is StopReason.BLOCKED_ADDRESS


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700::1111",
        "2001:4860:4860::8888",
        # the neighbours just outside the blocked ranges
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.0",
        "192.0.3.0",
        "192.88.98.255",
        "192.88.100.0",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "223.255.255.255",
        "2000::1",
        "2001:200::",
        "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db9::",
        "2003::1",
        "64:ff9b:0:1::",
        "100:0:0:1::",
        "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ],
)
def test_public_addresses_pass_on_ports_80_and_443(address: str) -> None:
    ip = ipaddress.ip_address(address)
    guard = AddressGuard(resolver=FakeResolver())

    assert blocked_network(ip) is None
    assert guard.check(_literal(ip), 80) == ip
    assert guard.check(_literal(ip), 443) == ip


def test_classification_does_not_lean_on_ipaddress_is_global() -> None:
    # 192.0.0.9 (PCP anycast) and 2001:1::1 are "global" to ipaddress, yet in ranges the issue blocks.
    for text in ("192.0.0.9", "2001:1::1", "2001:3::1", "2001:4:112::1"):
        address = ipaddress.ip_address(text)
        assert address.is_global
        assert blocked_network(address) is not None


# --- spellings of loopback and private addresses ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.1",  # short form
        "2130706433",  # decimal
        "0x7f000001",  # hex
        "0x7F.0.0.1",
        "0177.0.0.1",  # octal
        "0177.1",
        "127.0.0.1.",  # trailing dot
        "0.0.0.0",
        "0",
        "10.1",
        "012.0.0.1",  # 10.0.0.1 in octal
        "0xa9fea9fe",  # 169.254.169.254, the instance metadata service
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::]",
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:7f00:1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[::127.0.0.1]",  # IPv4-compatible
        "[::a00:1]",
        "[64:ff9b::127.0.0.1]",  # NAT64
        "[64:ff9b::a00:1]",
        "[64:ff9b:1::c0a8:1]",  # local-use NAT64 of 192.168.0.1
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a00:1::1]",  # 6to4 of 10.0.0.1
        "[2001:0:7f00:1::]",  # Teredo
        "[fd00:ec2::254]",  # AWS's IPv6 instance metadata service
        "[fe80::1]",
        "[FE80::1]",
        "[ff02::1]",
    ],
)
def test_loopback_and_private_addresses_are_refused_in_every_spelling_without_dns(host: str) -> None:
    resolver = FakeResolver()
    guard = AddressGuard(resolver=resolver)

    assert _refusal(guard, host, 80) is StopReason.BLOCKED_ADDRESS
    assert resolver.calls == []


def test_lambdas_runtime_api_is_unreachable() -> None:
    # GIVEN the expander running in Lambda, whose runtime API listens on 127.0.0.1:9001
    guard = AddressGuard(resolver=FakeResolver({"runtime.test": ["127.0.0.1"]}))

    # THEN neither its address nor a name for it is reachable, on its port or on 80
    assert _refusal(guard, "127.0.0.1", 9001) is StopReason.BLOCKED_PORT
    assert _refusal(guard, "127.0.0.1", 80) is StopReason.BLOCKED_ADDRESS
    assert _refusal(guard, "runtime.test", 80) is StopReason.BLOCKED_ADDRESS


def test_an_allow_list_on_another_port_does_not_open_the_runtime_api() -> None:
    guard = AddressGuard(parse_allowed_addresses("127.0.0.1:8080, 127.0.0.2:9001"), FakeResolver())

    assert _refusal(guard, "127.0.0.1", 9001) is StopReason.BLOCKED_PORT


# --- resolution ---------------------------------------------------------------------------------------------------


def test_a_name_is_resolved_once_and_its_first_address_is_the_one_to_connect_to() -> None:
    resolver = FakeResolver({"example.org": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    guard = AddressGuard(resolver=resolver)

    assert guard.check("example.org", 443) == ipaddress.ip_address("93.184.215.14")
    assert resolver.calls == [("example.org", 443)]


@pytest.mark.parametrize(
    "addresses",
    [
        ["93.184.215.14", "10.0.0.1"],
        ["10.0.0.1", "93.184.215.14"],
        ["2606:4700::1111", "::1"],
        ["93.184.215.14", "::ffff:127.0.0.1"],
        ["93.184.215.14", "169.254.169.254"],
    ],
)
def test_a_name_with_one_good_and_one_bad_address_is_refused(addresses: list[str]) -> None:
    # GIVEN a name resolving to a public address and a blocked one, in either order (a DNS-rebinding attempt)
    guard = AddressGuard(resolver=FakeResolver({"rebind.example": addresses}))

    # THEN the name is refused, whichever address a client would have picked
    assert _refusal(guard, "rebind.example", 80) is StopReason.BLOCKED_ADDRESS


def test_a_name_with_a_zone_scoped_link_local_address_is_refused() -> None:
    guard = AddressGuard(resolver=FakeResolver({"zone.example": ["fe80::1%eth0"]}))

    assert _refusal(guard, "zone.example", 443) is StopReason.BLOCKED_ADDRESS


def test_the_name_is_canonical_before_it_is_resolved() -> None:
    resolver = FakeResolver({"example.org": ["93.184.215.14"]})
    guard = AddressGuard(resolver=resolver)

    guard.check("EXAMPLE.org.", 443)

    assert resolver.calls == [("example.org", 443)]


@pytest.mark.parametrize("answer", [[], ["not-an-address"]])
def test_a_name_without_usable_addresses_fails_to_connect(answer: list[str]) -> None:
    guard = AddressGuard(resolver=FakeResolver({"empty.example": answer}))

    assert _refusal(guard, "empty.example", 443) is StopReason.CONNECTION_FAILED


def test_a_resolver_failure_is_a_connection_failure() -> None:
    guard = AddressGuard(resolver=FakeResolver())

    assert _refusal(guard, "nowhere.example", 443) is StopReason.CONNECTION_FAILED


@pytest.mark.parametrize("host", ["", "exa mple.org", "bad%2ehost", "[::1%25eth0]", "[not-ipv6]"])
def test_a_host_no_browser_would_accept_fails_to_connect(host: str) -> None:
    resolver = FakeResolver()

    assert _refusal(AddressGuard(resolver=resolver), host, 443) is StopReason.CONNECTION_FAILED
    assert resolver.calls == []


def test_the_system_resolver_turns_a_dns_failure_into_a_connection_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*_: object, **__: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)

    with pytest.raises(FetchRefused) as refused:
        system_resolver("nowhere.example", 443)

    assert refused.value.reason is StopReason.CONNECTION_FAILED
    assert "nowhere.example" in str(refused.value)


def test_the_system_resolver_asks_for_tcp_and_keeps_the_order_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[object, ...]] = []

    def getaddrinfo(host: str, port: int, *, type: int) -> list[tuple[object, ...]]:
        asked.append((host, port, type))
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1111", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert system_resolver("example.org", 443) == ["2606:4700::1111", "93.184.215.14"]
    assert asked == [("example.org", 443, socket.SOCK_STREAM)]


def test_with_name_resolution_switched_off_only_ip_literals_are_reached() -> None:
    guard = AddressGuard(parse_allowed_addresses("127.0.0.1:8080"), no_name_resolution)

    assert guard.check("127.0.0.1", 8080) == ipaddress.ip_address("127.0.0.1")
    assert _refusal(guard, "example.org", 443) is StopReason.CONNECTION_FAILED


# --- ports --------------------------------------------------------------------------------------------------------


def test_only_ports_80_and_443_are_allowed() -> None:
    assert ALLOWED_PORTS == (80, 443)


@pytest.mark.parametrize("port", [0, 1, 21, 22, 25, 79, 81, 442, 444, 3000, 8080, 8443, 9001, 65535])
def test_other_ports_are_refused_before_any_dns_query(port: int) -> None:
    resolver = FakeResolver({"example.org": ["93.184.215.14"]})
    guard = AddressGuard(resolver=resolver)

    assert _refusal(guard, "example.org", port) is StopReason.BLOCKED_PORT
    assert _refusal(guard, "93.184.215.14", port) is StopReason.BLOCKED_PORT
    assert resolver.calls == []


# --- the exact allow-list -----------------------------------------------------------------------------------------


def test_an_allowed_pair_passes() -> None:
    guard = AddressGuard(parse_allowed_addresses("127.0.0.1:8080,[::1]:9000"), FakeResolver())

    assert guard.check("127.0.0.1", 8080) == ipaddress.ip_address("127.0.0.1")
    assert guard.check("[::1]", 9000) == ipaddress.ip_address("::1")


def test_a_name_resolving_to_an_allowed_pair_passes() -> None:
    guard = AddressGuard(
        parse_allowed_addresses("127.0.0.1:8080"), FakeResolver({"expander.test": ["127.0.0.1", "127.0.0.1"]})
    )

    assert guard.check("expander.test", 8080) == ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [
        ("127.0.0.1", 8081, StopReason.BLOCKED_PORT),  # the allowed IP on another port
        ("127.0.0.1", 80, StopReason.BLOCKED_ADDRESS),
        ("127.0.0.1", 443, StopReason.BLOCKED_ADDRESS),
        ("127.0.0.2", 8080, StopReason.BLOCKED_PORT),  # another IP on the allowed port
        ("10.0.0.1", 8080, StopReason.BLOCKED_PORT),
        ("93.184.215.14", 8080, StopReason.BLOCKED_PORT),
        ("[::1]", 8080, StopReason.BLOCKED_PORT),  # the same host, another address family
        ("[::ffff:127.0.0.1]", 8080, StopReason.BLOCKED_PORT),
        ("[::1]", 9001, StopReason.BLOCKED_PORT),
        ("[::1]", 443, StopReason.BLOCKED_ADDRESS),
    ],
)
def test_only_exact_pairs_are_allowed(host: str, port: int, reason: StopReason) -> None:
    guard = AddressGuard(parse_allowed_addresses("127.0.0.1:8080, [::1]:9000"), FakeResolver())

    assert _refusal(guard, host, port) is reason


def test_a_name_resolving_to_an_allowed_pair_and_another_address_is_refused() -> None:
    guard = AddressGuard(
        parse_allowed_addresses("127.0.0.1:8080"), FakeResolver({"mixed.test": ["127.0.0.1", "127.0.0.2"]})
    )

    assert _refusal(guard, "mixed.test", 8080) is StopReason.BLOCKED_PORT


# --- the EXPANDER_ALLOWED_ADDRESSES setting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        ("", set()),
        ("   ", set()),
        ("127.0.0.1:8080", {("127.0.0.1", 8080)}),
        (" 127.0.0.1:8080 , [::1]:9000 ", {("127.0.0.1", 8080), ("::1", 9000)}),
        ("127.0.0.1:8080,127.0.0.1:8080,", {("127.0.0.1", 8080)}),
        ("[0:0:0:0:0:0:0:1]:1", {("::1", 1)}),
        ("10.0.0.5:65535", {("10.0.0.5", 65535)}),
    ],
)
def test_the_allow_list_setting_reads_exact_pairs(raw: str, pairs: set[tuple[str, int]]) -> None:
    assert parse_allowed_addresses(raw) == {(ipaddress.ip_address(ip), port) for ip, port in pairs}


@pytest.mark.parametrize(
    "raw",
    [
        "localhost:8080",  # a host name
        "127.0.0.1",  # no port
        "127.0.0.1:",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:123456",
        "127.0.0.1:+80",
        "127.0.0.1:80a",
        "127.0.0.0/8:8080",  # a range
        "127.0.0.0/8",
        "::1:9000",  # IPv6 without brackets
        "[::1]",
        "[::1]9000",
        "[127.0.0.1]:8080",
        "[fe80::1%eth0]:80",
        "127.1:8080",  # only the dotted quad: the setting names exactly one address
        "0x7f000001:8080",
        "http://127.0.0.1:8080",
        "127.0.0.1:8080;127.0.0.1:8081",
        "127.0.0.1:8080, localhost:8081",
    ],
)
def test_anything_else_in_the_allow_list_setting_is_an_error(raw: str) -> None:
    with pytest.raises(ValueError, match=r"EXPANDER_ALLOWED_ADDRESSES: .* is not an exact address and port"):
        parse_allowed_addresses(raw)
