"""pynamodb item models. ``Meta.table_name`` is read when a class is defined, so models are bound lazily."""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class LinkItem(Model):
    """One link. ``pk = LINK#<domain>#<code>``, ``sk = LINK``."""

    class Meta:
        table_name = "unbound"  # replaced by bind_link_item()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="link")
    domain = UnicodeAttribute()
    code = UnicodeAttribute()
    url = UnicodeAttribute()
    redirect_type = NumberAttribute()
    forward_query = BooleanAttribute()
    expires_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)


def bind_link_item(table_name: str, region: str, host: str | None) -> type[LinkItem]:
    """A ``LinkItem`` class bound to one table. Its connection (and botocore client) is its own."""
    meta = type(
        "Meta",
        (),
        {
            "table_name": table_name,
            "region": region,
            "host": host,
            # The redirect path would rather fail fast than hold a visitor for pynamodb's 15 s / 30 s defaults.
            "connect_timeout_seconds": 2,
            "read_timeout_seconds": 2,
            "max_retry_attempts": 2,
        },
    )
    return type("BoundLinkItem", (LinkItem,), {"Meta": meta, "__module__": __name__})
