"""A short domain as every function sees it, and the registry of them a container keeps.

All the redirect needs of short domains, kept apart from domain/domains.py (registering, changing and removing them)
so that its cold start builds none of that (docs/benchmarks.md, issue 13).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shortlinks.domain.errors import DomainNotAllowed, InvalidDomain, InvalidUrl
from shortlinks.domain.target import DEFAULT_REDIRECT_TYPE

if TYPE_CHECKING:
    from shortlinks.domain.access import Principal


@dataclass(frozen=True, slots=True)
class ShortDomain:
    """One registered short domain (``care.link``).

    ``base_url`` is how short links on it are written (``https://care.link``; locally ``http://127.0.0.1:3000``).
    ``root_url``: where ``GET /`` goes (``None``: 404). ``not_found_url``: where unknown codes go (``None``: our
    404 page). ``allowed_keys``: the key ids that may create links on it (``None``: every key).
    """

    host: str
    base_url: str
    default_redirect_type: int = DEFAULT_REDIRECT_TYPE
    root_url: str | None = None
    not_found_url: str | None = None
    allowed_keys: frozenset[str] | None = None
    is_default: bool = False
    created_at: datetime | None = None

    def short_url(self, code: str) -> str:
        return f"{self.base_url}/{code}"

    def ensure_may_create(self, principal: Principal | None) -> None:
        """Admins create anywhere; other callers only where ``allowed_keys`` lets them (``None``: everyone)."""
        if self.allowed_keys is None or (principal is not None and principal.is_admin):
            return
        if principal is None or principal.key_id not in self.allowed_keys:
            raise DomainNotAllowed.on(self.host)


class DomainRegistry:
    """Every registered domain, read once and then trusted for ``ttl_seconds`` per container.

    The redirect consults it on every request without a DynamoDB read of its own: one ``Query`` per container
    per ``ttl_seconds`` refreshes it (docs/architecture.md). An empty registry means the service runs on a
    single, unregistered short domain: the configured ``SHORT_BASE_URL``, else the request's host.
    """

    def __init__(
        self, load: Callable[[], list[ShortDomain]], ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load, self._ttl, self._clock = load, ttl_seconds, clock
        self._domains: dict[str, ShortDomain] = {}
        self._loaded_at: float | None = None

    def _fresh(self) -> dict[str, ShortDomain]:
        if not self.is_fresh():
            now = self._clock()
            self._domains = {domain.host: domain for domain in self._load()}
            self._loaded_at = now
        return self._domains

    def refresh(self) -> None:
        self._loaded_at = None

    def is_fresh(self) -> bool:
        """Whether a copy read less than ``ttl_seconds`` ago is held (so asking it reads nothing)."""
        return self._loaded_at is not None and self._clock() - self._loaded_at < self._ttl

    def get(self, host: str) -> ShortDomain | None:
        return self._fresh().get(host)

    def default(self) -> ShortDomain | None:
        return next((domain for domain in self._fresh().values() if domain.is_default), None)

    def hosts(self) -> frozenset[str]:
        return frozenset(self._fresh())

    def is_empty(self) -> bool:
        return not self._fresh()


def check_host(host: str) -> str:
    """A short domain's host as it is stored and looked up: lower case, no scheme, port or path, one trailing dot
    dropped, internationalised names as IDNA 2008 punycode, an IPv4 address as a dotted quad (``canonical_host``).
    ``InvalidDomain`` when it is not such a host name."""
    from shortlinks.domain.urls import canonical_host

    candidate = host.strip()
    if not candidate or "/" in candidate or ":" in candidate or "@" in candidate or len(candidate) > 253:
        raise InvalidDomain(f"{host[:100]!r} is not a host name such as care.link")
    try:
        return canonical_host(candidate)
    except InvalidUrl as error:
        raise InvalidDomain(f"{host[:100]!r} is not a host name such as care.link: {error.message}") from None
