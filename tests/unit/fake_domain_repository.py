"""An in-memory ``DomainRepository`` for unit tests: domains by host, links by (host, code), every call remembered."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from shortlinks.domain.short_domain import ShortDomain

if TYPE_CHECKING:
    from shortlinks.domain.domains import DomainRepository


class FakeDomainRepository:
    def __init__(self, *domains: ShortDomain) -> None:
        self.domains: dict[str, ShortDomain] = {domain.host: domain for domain in domains}
        self.link_states: dict[tuple[str, str], str] = {}  # (host, code) -> "active" | "deleted" ...
        self.calls: list[str] = []

    def put(self, domain: ShortDomain) -> None:
        self.calls.append("put")
        if domain.is_default:
            self.domains = {host: replace(other, is_default=False) for host, other in self.domains.items()}
        self.domains[domain.host] = domain

    def get(self, host: str) -> ShortDomain | None:
        self.calls.append("get")
        return self.domains.get(host)

    def list_all(self) -> list[ShortDomain]:
        self.calls.append("list_all")
        return sorted(self.domains.values(), key=lambda domain: domain.host)

    def remove(self, host: str) -> None:
        self.calls.append("remove")
        self.domains.pop(host, None)

    def has_links(self, host: str) -> bool:
        self.calls.append("has_links")
        return any(link_host == host for link_host, _ in self.link_states)

    def tombstone_links(self, host: str, now: datetime) -> int:
        self.calls.append("tombstone_links")
        live = [key for key, state in self.link_states.items() if key[0] == host and state != "deleted"]
        for key in live:
            self.link_states[key] = "deleted"
        return len(live)


def _conforms(repository: FakeDomainRepository) -> DomainRepository:
    return repository  # mypy checks the fake against the protocol
