"""Which short domain a request is about: the registry of domains, or the single-domain settings without one.

With no domain registered (a fresh stack, the tests), the service runs on one short domain as it always has:
``SHORT_BASE_URL`` if set, else the host each request arrived on. Once domains are registered, a request's host
must be one of them, links are created on the default domain unless the body names another, and management
routes take a ``domain`` query parameter that defaults to the default domain.
"""

from __future__ import annotations

from typing import Any

from shortlinks.config import Settings, bare_host
from shortlinks.domain.errors import UnknownDomain
from shortlinks.domain.short_domain import DomainRegistry, ShortDomain, check_host


class ShortDomains:
    def __init__(self, settings: Settings, registry: DomainRegistry) -> None:
        self._settings, self._registry = settings, registry

    def _single(self, request_host: str) -> ShortDomain:
        host = self._settings.short_domain(request_host)
        return ShortDomain(host=host, base_url=self._settings.short_base(request_host), is_default=True)

    def of_request(self, request_host: str) -> ShortDomain | None:
        """The domain the request's host names; ``None`` when domains are registered and this host is not one."""
        if self._registry.is_empty():
            return self._single(request_host)
        return self._registry.get(bare_host(request_host))

    def guess(self, request_host: str, scheme: str = "https") -> ShortDomain | None:
        """The request's host as its own short domain, without reading anything, for the redirect to look its link up
        first and read the registry only on a miss; ``None`` when a fresh registry is held (no need to guess).

        A live link under the host is proof enough: links are only created on a registered domain (or, without a
        registry, on the single one), and removing a domain deletes its links. The guess is written with the scheme
        the request came in with (``X-Forwarded-Proto``: ``https`` through API Gateway, so ``Strict-Transport-
        Security`` goes out; ``http`` from the local server, so it does not), or as ``SHORT_BASE_URL`` says when it
        names this host."""
        if self._registry.is_fresh():
            return None
        host = bare_host(request_host)
        if self._settings.short_base_url is not None and self._settings.short_domain(request_host) == host:
            return self._single(request_host)
        scheme = "http" if scheme.strip().lower() == "http" else "https"
        return ShortDomain(host=host, base_url=f"{scheme}://{request_host.strip().lower()}")

    def named(self, requested: str | None, request_host: str) -> ShortDomain:
        """The domain a caller names (body ``domain`` or ``?domain=``), else the default one."""
        if self._registry.is_empty():
            single = self._single(request_host)
            if requested is not None and check_host(requested) != single.host:
                raise UnknownDomain.named(requested)
            return single
        if requested is not None:
            domain = self._registry.get(check_host(requested))
            if domain is None:
                raise UnknownDomain.named(requested)
            return domain
        domain = self._registry.default() or self._registry.get(bare_host(request_host))
        if domain is None:
            raise UnknownDomain.named(bare_host(request_host))
        return domain

    def short_url(self, domain_host: str, code: str, request_host: str) -> str:
        """How a link on ``domain_host`` is written (its domain's base URL; ``https://<host>`` for a domain no
        longer registered, such as the tombstones a forced removal leaves)."""
        domain = self._registry.get(domain_host) if not self._registry.is_empty() else None
        if domain is None:
            single = self._single(request_host)
            domain = single if single.host == domain_host else ShortDomain(domain_host, f"https://{domain_host}")
        return domain.short_url(code)

    def own_hosts(self, request_host: str) -> frozenset[str]:
        """Destinations that would loop: every registered domain and every name this service answers on, as written
        (``normalise_destination`` compares them canonically: ``127.1`` and ``[::ffff:127.0.0.1]`` are
        ``127.0.0.1``)."""
        return self._settings.own_hosts(request_host) | self._registry.hosts()


def registry_for(settings: Settings, client: Any) -> DomainRegistry:
    """The domain registry a function keeps for its container, read through the function's one botocore ``client``
    (its repository's ``botocore_client()``)."""
    from functools import partial

    from shortlinks.storage.domain_items import read_domains
    from shortlinks.storage.raw import RawTable

    return DomainRegistry(partial(read_domains, RawTable(client, settings.table_name)), settings.domain_cache_seconds)
