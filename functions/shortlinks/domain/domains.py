"""Short domains: registering, changing and removing the branded hosts links live on (what a request needs of them,
the `ShortDomain` and the registry, is domain/short_domain.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Literal, Protocol

from shortlinks.domain.errors import DomainInUse, InvalidDomain, InvalidUrl, UnknownDomain
from shortlinks.domain.short_domain import ShortDomain, check_host
from shortlinks.domain.target import DEFAULT_REDIRECT_TYPE, REDIRECT_TYPES


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
