"""The address guard: which address the expander may connect to, decided before any connection is made.

A host is resolved once and **every** address it resolves to is checked (one bad address refuses the host: which
one a client would pick is not ours to predict). The address returned is the one the client connects to, so
there is no second resolution, and no DNS-rebinding window between the check and the connection.

An address passes when it is not in ``BLOCKED_NETWORKS`` and the port is 80 or 443. ``ipaddress``'s
``is_global``/``is_private`` are not used: they answer a different question (IANA's registries) and miss ranges
that reach our own side, such as NAT64 or 6to4 spellings of a private address. The one way around the rules is
``EXPANDER_ALLOWED_ADDRESSES``: exact ``ip:port`` pairs, for tests and ``make run`` users pointing the expander at
servers on ``127.0.0.1``. An allowed IP on another port stays blocked.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from shortlinks.domain.errors import InvalidUrl
from shortlinks.domain.expansion import FetchRefused, StopReason
from shortlinks.domain.urls import canonical_host

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
AllowedAddresses = frozenset[tuple[IPAddress, int]]
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> addresses`` as text; raises ``FetchRefused(CONNECTION_FAILED)`` when the host has none."""

ALLOWED_PORTS = (80, 443)

BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on most systems
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",  # loopback, Lambda's runtime API (127.0.0.1:9001) among them
        "169.254.0.0/16",  # link-local: the instance metadata service (169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::ffff:0:0/96",  # IPv4-mapped: the IPv4 address inside would be reached
        "::/96",  # IPv4-compatible (deprecated, still routed by some stacks)
        "64:ff9b::/96",  # NAT64: the gateway would reach the IPv4 address inside
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo among them)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: the IPv4 address inside would be reached
        "fc00::/7",  # unique local (AWS's IPv6 metadata service, fd00:ec2::254, among them)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)

_SETTING = "EXPANDER_ALLOWED_ADDRESSES"
_PAIR = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<ipv4>[0-9.]+)):(?P<port>[0-9]{1,5})$")


def blocked_network(address: IPAddress) -> IPNetwork | None:
    """The first of ``BLOCKED_NETWORKS`` that holds ``address``, or ``None`` when none does."""
    for network in BLOCKED_NETWORKS:
        if network.version == address.version and address in network:
            return network
    return None


def parse_allowed_addresses(raw: str) -> AllowedAddresses:
    """The ``EXPANDER_ALLOWED_ADDRESSES`` setting: comma-separated exact pairs (``127.0.0.1:8080, [::1]:9000``).

    Empty means none. Anything but an IP address and a port (a host name, a missing port, port 0, a range) is a
    ``ValueError`` naming the entry: a setting that widens what the expander may reach must say exactly what.
    """
    pairs: set[tuple[IPAddress, int]] = set()
    for entry in (part.strip() for part in raw.split(",")):
        if not entry:
            continue
        match = _PAIR.match(entry)
        try:
            if match is None:
                raise ValueError("not an ip:port pair")
            port = int(match.group("port"))
            if not 0 < port <= 65535:
                raise ValueError("the port must be between 1 and 65535")
            address = IPv6Address(match.group("ipv6")) if match.group("ipv6") else IPv4Address(match.group("ipv4"))
        except ValueError as exc:
            raise ValueError(
                f"{_SETTING}: {entry[:80]!r} is not an exact address and port, as in 127.0.0.1:8080 or "
                f"[::1]:9000 ({exc})"
            ) from None
        pairs.add((address, port))
    return frozenset(pairs)


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the system resolver, TCP only), in the order it gives them."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # socket.gaierror is an OSError
        raise FetchRefused(StopReason.CONNECTION_FAILED, f"{host} could not be resolved: {exc}") from None
    return [str(sockaddr[0]) for family, _, _, _, sockaddr in found if family in (socket.AF_INET, socket.AF_INET6)]


def no_name_resolution(host: str, port: int) -> list[str]:
    """A resolver that resolves nothing: only IP literals are reached, and no DNS query is ever made (the test
    suites' setting)."""
    raise FetchRefused(StopReason.CONNECTION_FAILED, f"{host} was not resolved: name resolution is switched off")


class AddressGuard:
    """Decides, before connecting, the one address a request to ``host:port`` may go to."""

    def __init__(self, allowed: AllowedAddresses = frozenset(), resolver: Resolver = system_resolver) -> None:
        self._allowed = allowed
        self._allowed_ports = frozenset(port for _, port in allowed)
        self._resolver = resolver

    @property
    def allowed(self) -> AllowedAddresses:
        return self._allowed

    def check(self, host: str, port: int) -> IPAddress:
        """The address to connect to for ``host:port`` (an IP literal, in any spelling a browser reads, or a name,
        resolved once); ``FetchRefused`` (``blocked_port``, ``blocked_address``, ``connection_failed``) when any
        address it resolves to may not be reached."""
        if port not in ALLOWED_PORTS and port not in self._allowed_ports:
            raise FetchRefused(StopReason.BLOCKED_PORT, f"port {port} is not one of {ALLOWED_PORTS}")
        addresses = self._addresses(host, port)
        for address in addresses:
            self._check_address(address, port)
        return addresses[0]

    def _check_address(self, address: IPAddress, port: int) -> None:
        if (address, port) in self._allowed:
            return
        if port not in ALLOWED_PORTS:
            raise FetchRefused(StopReason.BLOCKED_PORT, f"port {port} of {address} is not one of {ALLOWED_PORTS}")
        network = blocked_network(address)
        if network is not None:
            raise FetchRefused(StopReason.BLOCKED_ADDRESS, f"{address} is in the blocked network {network}")

    def _addresses(self, host: str, port: int) -> list[IPAddress]:
        """``host`` as an IP literal (no DNS), else what the resolver gives, each address once, in its order."""
        try:
            name = canonical_host(host)  # 0x7f000001, 127.1, [::ffff:7f00:1] ... are read as browsers read them
        except InvalidUrl as exc:
            raise FetchRefused(StopReason.CONNECTION_FAILED, f"{host[:64]!r} is not a host: {exc}") from None
        literal = _address(name)
        if literal is not None:
            return [literal]
        addresses: list[IPAddress] = []
        for text in self._resolver(name, port):
            address = _address(text)
            if address is None:
                raise FetchRefused(StopReason.CONNECTION_FAILED, f"{name} resolved to {text[:64]!r}, not an address")
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise FetchRefused(StopReason.CONNECTION_FAILED, f"{name} resolved to no address")
        return addresses


def _address(text: str) -> IPAddress | None:
    """``text`` as an IP address, its IPv6 zone (``%eth0``) dropped; ``None`` when it is not one."""
    try:
        return ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return None
