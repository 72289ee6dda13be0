"""Short domains: the branded hosts links live on, and what each does with its root and unknown codes."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shortlinks.domain.access import Principal
from shortlinks.domain.errors import DomainInUse, DomainNotAllowed, InvalidDomain, InvalidUrl, UnknownDomain
from shortlinks.domain.links import DEFAULT_REDIRECT_TYPE, REDIRECT_TYPES


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


class DomainRepository(Protocol):
    def put(self, domain: ShortDomain) -> None:
        """Create or replace a domain record; when it ``is_default``, every other domain stops being default."""

    def get(self, host: str) -> ShortDomain | None: ...

    def list_all(self) -> list[ShortDomain]: ...

    def remove(self, host: str) -> None: ...

    def has_links(self, host: str) -> bool:
        """Whether any link (tombstones included) lives on ``host``."""

    def tombstone_links(self, host: str, now: datetime) -> int:
        """Mark every link on ``host`` deleted (forced removal); returns how many."""


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
        now = self._clock()
        if self._loaded_at is None or now - self._loaded_at >= self._ttl:
            self._domains = {domain.host: domain for domain in self._load()}
            self._loaded_at = now
        return self._domains

    def refresh(self) -> None:
        self._loaded_at = None

    def load(self) -> None:
        """Read the registry now (at cold start) unless a fresh copy is held."""
        self._fresh()

    def get(self, host: str) -> ShortDomain | None:
        return self._fresh().get(host)

    def default(self) -> ShortDomain | None:
        return next((domain for domain in self._fresh().values() if domain.is_default), None)

    def hosts(self) -> frozenset[str]:
        return frozenset(self._fresh())

    def is_empty(self) -> bool:
        return not self._fresh()


def check_host(host: str) -> str:
    """A short domain's host: lower-case, no scheme, port or path; internationalised names as punycode."""
    from shortlinks.domain.urls import normalise_destination

    candidate = host.strip().lower()
    if not candidate or "/" in candidate or ":" in candidate or "@" in candidate or len(candidate) > 253:
        raise InvalidDomain(f"{host[:100]!r} is not a host name such as care.link")
    normalised = normalise_destination(f"https://{candidate}/")
    return normalised.removeprefix("https://").removesuffix("/")


def register_domain(
    repository: DomainRepository,
    host: str,
    *,
    base_url: str | None = None,
    default_redirect_type: int = DEFAULT_REDIRECT_TYPE,
    root_url: str | None = None,
    not_found_url: str | None = None,
    allowed_keys: Iterable[str] | None = None,
    is_default: bool = False,
    now: datetime,
    own_hosts: Collection[str] = (),
) -> ShortDomain:
    """Register ``host``, or replace its settings (keeping its ``created_at``); returns what was stored.

    ``root_url`` and ``not_found_url`` may not point at any registered domain, this one included, nor at
    ``own_hosts`` (the other names the service answers on): either would redirect to ourselves. The first domain
    registered becomes the default. The default domain stays the default when its settings are replaced, whatever
    ``is_default`` says: the default moves only by making another domain the default.
    """
    host = _host_name(host)
    if default_redirect_type not in REDIRECT_TYPES:
        allowed = ", ".join(str(status) for status in REDIRECT_TYPES)
        raise InvalidDomain(f"default_redirect_type must be one of {allowed}")
    registered = {domain.host: domain for domain in repository.list_all()}
    loop_hosts = frozenset(own_hosts) | registered.keys() | {host}
    existing = registered.get(host)
    domain = ShortDomain(
        host=host,
        base_url=_base_url(base_url, host),
        default_redirect_type=default_redirect_type,
        root_url=_destination("root_url", root_url, loop_hosts),
        not_found_url=_destination("not_found_url", not_found_url, loop_hosts),
        allowed_keys=_allowed_keys(allowed_keys),
        is_default=is_default or not (registered.keys() - {host}) or (existing is not None and existing.is_default),
        created_at=existing.created_at if existing is not None and existing.created_at else now,
    )
    repository.put(domain)
    return domain


def list_domains(repository: DomainRepository) -> list[ShortDomain]:
    """Every registered domain, by host."""
    return sorted(repository.list_all(), key=lambda domain: domain.host)


def get_domain(repository: DomainRepository, host: str) -> ShortDomain:
    """The domain registered as ``host``; ``UnknownDomain`` when there is none (or ``host`` is not a host name)."""
    domain = repository.get(_registered_name(host))
    if domain is None:
        raise UnknownDomain.named(host)
    return domain


def remove_domain(repository: DomainRepository, host: str, *, force: bool, now: datetime) -> int:
    """Unregister ``host``; returns how many of its links were tombstoned (0 unless ``force``).

    A domain that still has links (tombstones included) is ``DomainInUse`` unless ``force``: then every live link
    on it is marked deleted first, so its codes answer 410 and are never handed out again, even if the host is
    registered anew. Removing the default domain leaves no default until another is made the default: creating a
    link without naming a domain then fails with ``UnknownDomain``, which is the honest answer.
    """
    domain = get_domain(repository, host)
    if not repository.has_links(domain.host):
        repository.remove(domain.host)
        return 0
    if not force:
        raise DomainInUse.has_links(domain.host)
    tombstoned = repository.tombstone_links(domain.host, now)
    repository.remove(domain.host)
    return tombstoned


def _host_name(host: str) -> str:
    """``check_host``, with every refusal as ``InvalidDomain`` (it lets the URL rules' own errors through)."""
    try:
        return check_host(host)
    except InvalidUrl as error:
        raise InvalidDomain(f"{host[:100]!r} is not a host name such as care.link: {error.message}") from None


def _registered_name(host: str) -> str:
    try:
        return _host_name(host)
    except InvalidDomain:
        raise UnknownDomain.named(host) from None


def _base_url(raw: str | None, host: str) -> str:
    """How links on ``host`` are written: ``http(s)://<host>[:port]``, nothing after it; ``https://<host>`` when
    not given."""
    if raw is None:
        return f"https://{host}"
    from urllib.parse import urlsplit

    candidate = raw.strip().removesuffix("/")
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or "@" in parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
        or candidate.endswith(("?", "#"))
        or (parts.hostname or "").rstrip(".") != host
        or (port is not None and not 0 < port <= 65535)
        or parts.netloc.endswith(":")
    ):
        raise InvalidDomain(f"base_url must be http(s)://{host} with at most a port after it, not {raw[:100]!r}")
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _destination(field: str, raw: str | None, loop_hosts: frozenset[str]) -> str | None:
    if raw is None:
        return None
    from shortlinks.domain.urls import normalise_destination

    try:
        return normalise_destination(raw, own_hosts=loop_hosts)
    except InvalidUrl as error:
        raise type(error)(f"{field}: {error.message}") from None


def _allowed_keys(key_ids: Iterable[str] | None) -> frozenset[str] | None:
    if key_ids is None:
        return None
    from shortlinks.domain.keys import looks_like_key_id

    allowed = frozenset(key_ids)
    if not allowed:
        raise InvalidDomain("allowed_keys names at least one key id; null lets every key create links on the domain")
    malformed = sorted(key_id for key_id in allowed if not looks_like_key_id(key_id))
    if malformed:
        raise InvalidDomain(f"{malformed[0][:64]!r} is not a key id (key_ followed by 12 letters and digits)")
    return allowed
