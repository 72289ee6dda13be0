"""The DynamoDB implementation of the domain's ``ExpansionCache``: one item per expanded URL, expired by TTL.

``pk = EXPAND#<sha256 of the normalised URL>``, ``sk = EXPANSION``. The chain is kept as JSON (it is only ever
read back whole). DynamoDB's TTL deletes an expired item within days, not at once, so a read also checks the
item's own expiry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shortlinks.domain.expansion import CheckedExpansion, Expansion, Hop, HopKind, StopReason
from shortlinks.storage.failures import STORE_FAILURES, unavailable
from shortlinks.storage.keys import EXPANSION_SK, expansion_pk
from shortlinks.storage.models import bind_shared


class ExpansionItem(Model):
    class Meta:
        table_name = "unbound"  # replaced by models.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="expansion")
    url = UnicodeAttribute()
    chain = UnicodeAttribute()  # JSON: final_url, final_status, hops, stopped
    checked_at = UnicodeAttribute()
    ttl = NumberAttribute()


class DynamoExpansionCache:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None, *, share_with: Any = None) -> None:
        self._item = bind_shared(ExpansionItem, table_name, region, endpoint, share_with)

    def get(self, url: str, now: datetime) -> CheckedExpansion | None:
        try:
            item = self._item.get(expansion_pk(url), EXPANSION_SK)
        except DoesNotExist:
            return None
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        if item.url != url or int(item.ttl) <= int(now.timestamp()):
            return None  # a hash collision (not expected) or an expired item TTL has not removed yet
        return CheckedExpansion(_expansion(url, json.loads(item.chain)), datetime.fromisoformat(item.checked_at))

    def put(self, checked: CheckedExpansion, ttl_seconds: int) -> None:
        expansion = checked.expansion
        item = self._item(
            expansion_pk(expansion.url),
            EXPANSION_SK,
            url=expansion.url,
            chain=json.dumps(_chain(expansion), separators=(",", ":")),
            checked_at=checked.checked_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            ttl=int(checked.checked_at.timestamp()) + ttl_seconds,
        )
        try:
            item.save()
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc


def _chain(expansion: Expansion) -> dict[str, Any]:
    return {
        "final_url": expansion.final_url,
        "final_status": expansion.final_status,
        "stopped": expansion.stopped.value if expansion.stopped else None,
        "hops": [[hop.url, hop.status, hop.location, hop.kind.value, hop.ms] for hop in expansion.hops],
    }


def _expansion(url: str, chain: dict[str, Any]) -> Expansion:
    return Expansion(
        url=url,
        final_url=chain["final_url"],
        final_status=chain["final_status"],
        hops=tuple(Hop(h[0], h[1], h[2], HopKind(h[3]), h[4]) for h in chain["hops"]),
        stopped=StopReason(chain["stopped"]) if chain["stopped"] else None,
    )
