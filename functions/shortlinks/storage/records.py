"""Items that live beside links: destination history and rate counters (never read by the redirect)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class HistoryItem(Model):
    """One destination change. ``pk = LINK#<domain>#<code>``, ``sk = HIST#<changed_at>#<version>``."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="history")
    changed_at = UnicodeAttribute()
    changed_by = UnicodeAttribute(null=True)
    old_url = UnicodeAttribute()
    new_url = UnicodeAttribute()
    version = NumberAttribute()


class RateItem(Model):
    """A fixed-window counter: ``pk = RATE#<key_id>``, ``sk = <window start>``; expires through ``ttl``."""

    class Meta:
        table_name = "unbound"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    ttl = NumberAttribute(null=True)
