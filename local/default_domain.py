"""The local server's own short domain: registered as the default domain when the table has none, so that
``make run`` behaves as a deployment with a custom domain does (``curl -H 'Host: care.link' ...`` works once
``care.link`` is registered too)."""

from __future__ import annotations

from urllib.parse import urlsplit

from shortlinks.domain.domains import list_domains, register_domain
from shortlinks.domain.target import utc_now
from shortlinks.storage.domains import DynamoDomainRepository


def ensure_default_domain(table_name: str, region: str, endpoint: str | None, base_url: str) -> str | None:
    """Register ``base_url``'s host as the default domain unless the table already has domains; returns the host
    registered, or ``None`` when the table's own registry is kept."""
    repository = DynamoDomainRepository(table_name, region, endpoint)
    if list_domains(repository):
        return None
    host = (urlsplit(base_url).hostname or "").lower()
    register_domain(repository, host, base_url=base_url, is_default=True, now=utc_now())
    return host
