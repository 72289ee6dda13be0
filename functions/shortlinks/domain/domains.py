"""Short domains: the branded hosts links live on, and what each does with its root and unknown codes."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Literal, Protocol

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


class Unchanged(Enum):
    """The type of ``UNCHANGED`` (an enum of one, so type checkers narrow ``is UNCHANGED``)."""

    UNCHANGED = "unchanged"


UNCHANGED: Literal[Unchanged.UNCHANGED] = Unchanged.UNCHANGED
"""A field a ``DomainChanges`` leaves as it is (``None`` is a value: it clears the field)."""


@dataclass(frozen=True, slots=True)
class DomainChanges:
    """What a PATCH changes: only the fields not ``UNCHANGED``. ``None`` means what it means at registration:
    ``base_url`` back to ``https://<host>``, no ``root_url`` or ``not_found_url``, ``allowed_keys`` every key."""

    base_url: str | Unchanged | None = UNCHANGED
    default_redirect_type: int | Unchanged = UNCHANGED
    root_url: str | Unchanged | None = UNCHANGED
    not_found_url: str | Unchanged | None = UNCHANGED
    allowed_keys: Iterable[str] | Unchanged | None = UNCHANGED
    is_default: bool | Unchanged = UNCHANGED


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
    """Register ``host``, or replace all its settings (keeping its ``created_at``); returns what was stored.

    ``root_url`` and ``not_found_url`` may not point at any registered domain, this one included, nor at
    ``own_hosts`` (the other names the service answers on): either would redirect to ourselves. The first domain
    registered becomes the default. The default domain stays the default when its settings are replaced, whatever
    ``is_default`` says: the default moves only by making another domain the default.
    """
    every_field = DomainChanges(
        base_url=base_url,
        default_redirect_type=default_redirect_type,
        root_url=root_url,
        not_found_url=not_found_url,
        allowed_keys=allowed_keys,
        is_default=is_default,
    )
    return _save(repository, check_host(host), every_field, now=now, own_hosts=own_hosts, must_exist=False)


def update_domain(
    repository: DomainRepository,
    host: str,
    changes: DomainChanges,
    *,
    now: datetime,
    own_hosts: Collection[str] = (),
) -> ShortDomain:
    """Change only the settings ``changes`` gives of the registered domain ``host``, with ``register_domain``'s
    rules for each; ``UnknownDomain`` when it is not registered (or ``host`` is not a host name)."""
    return _save(repository, _registered_name(host), changes, now=now, own_hosts=own_hosts, must_exist=True)


def _save(
    repository: DomainRepository,
    host: str,
    changes: DomainChanges,
    *,
    now: datetime,
    own_hosts: Collection[str],
    must_exist: bool,
) -> ShortDomain:
    registered = {domain.host: domain for domain in repository.list_all()}
    # A PATCH reads its domain strongly consistently: the registry's Query may not show a domain just registered.
    existing = repository.get(host) if must_exist else registered.get(host)
    if existing is None and must_exist:
        raise UnknownDomain.named(host)
    redirect_type = changes.default_redirect_type
    if redirect_type is not UNCHANGED and redirect_type not in REDIRECT_TYPES:
        allowed = ", ".join(str(status) for status in REDIRECT_TYPES)
        raise InvalidDomain(f"default_redirect_type must be one of {allowed}")
    loop_hosts = frozenset(own_hosts) | registered.keys() | {host}
    domain = existing or ShortDomain(host=host, base_url=f"https://{host}")
    if changes.base_url is not UNCHANGED:
        domain = replace(domain, base_url=_base_url(changes.base_url, host))
    if redirect_type is not UNCHANGED:
        domain = replace(domain, default_redirect_type=redirect_type)
    if changes.root_url is not UNCHANGED:
        domain = replace(domain, root_url=_destination("root_url", changes.root_url, loop_hosts))
    if changes.not_found_url is not UNCHANGED:
        domain = replace(domain, not_found_url=_destination("not_found_url", changes.not_found_url, loop_hosts))
    if changes.allowed_keys is not UNCHANGED:
        domain = replace(domain, allowed_keys=_allowed_keys(changes.allowed_keys))
    # The first domain is the default, and the default stays so until another domain takes over.
    only_domain = not (registered.keys() - {host})
    domain = replace(
        domain,
        is_default=changes.is_default is True or only_domain or domain.is_default,
        created_at=domain.created_at or now,
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


def _registered_name(host: str) -> str:
    try:
        return check_host(host)
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
        or not _is_host(parts.hostname or "", host)
        or (port is not None and not 0 < port <= 65535)
        or parts.netloc.endswith(":")
    ):
        raise InvalidDomain(f"base_url must be http(s)://{host} with at most a port after it, not {raw[:100]!r}")
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


def _is_host(written: str, host: str) -> bool:
    """Whether ``written`` is another spelling of ``host`` (``Care.Link.``, ``0x7f000001`` for ``127.0.0.1``)."""
    from shortlinks.domain.urls import canonical_host

    try:
        return canonical_host(written) == host
    except InvalidUrl:
        return False


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
