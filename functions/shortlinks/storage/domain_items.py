"""Reading short domains as DynamoDB stores them (``pk = DOMAINS``, ``sk = DOMAIN#<host>``), without pynamodb: the
registry every function loads (the redirect's included) and the management routes' reads go through here, so a
domain is parsed in one place. Writes are storage/domains.py's."""

from __future__ import annotations

from datetime import datetime

from shortlinks.domain.short_domain import ShortDomain
from shortlinks.storage.keys import DOMAIN_SK_PREFIX, DOMAINS_PK, domain_sk
from shortlinks.storage.raw import Item, RawTable, string_key, text


def read_domains(table: RawTable) -> list[ShortDomain]:
    """Every registered domain: one ``Query`` of the partition ``DOMAINS`` (the registry's load)."""
    return [short_domain(item) for item in table.query_prefix(DOMAINS_PK, DOMAIN_SK_PREFIX)]


def read_domain(table: RawTable, host: str) -> ShortDomain | None:
    """One domain, strongly consistent (a management route reading what it just wrote)."""
    item = table.get_item(string_key(DOMAINS_PK, domain_sk(host)), consistent_read=True)
    return short_domain(item) if item else None


def short_domain(item: Item) -> ShortDomain:
    keys = item.get("allowed_keys", {}).get("SS")
    return ShortDomain(
        host=text(item, "host") or "",
        base_url=text(item, "base_url") or "",
        default_redirect_type=int(item["default_redirect_type"]["N"]),
        root_url=text(item, "root_url"),
        not_found_url=text(item, "not_found_url"),
        allowed_keys=frozenset(keys) if keys is not None else None,
        is_default=bool(item.get("is_default", {}).get("BOOL", False)),
        created_at=datetime.fromisoformat(text(item, "created_at") or ""),
    )
