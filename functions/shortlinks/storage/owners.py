"""Who owns each link of a batch of clicks: the aggregator's one read of link items (domain/rollups.py
``LinkOwners``).

One ``BatchGetItem`` per 100 links (DynamoDB's limit), projected to ``domain``, ``code`` and ``owner``, through the
link model's table connection: the raw items are read as they come, no pynamodb model is built from a partial
item. Strongly consistent, so a link created a moment before its first click is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shortlinks.domain.rollups import Scope
from shortlinks.storage.batch import BATCH_GET_LIMIT, batch_get
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.models import LinkItem, bind, model_client

OWNER_ATTRIBUTES = ("domain", "code", "owner")


class DynamoLinkOwners:
    """``LinkOwners`` on the table: the link model bound to it. The aggregator's other adapters share its botocore
    client (``share_with``)."""

    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(LinkItem, table_name, region, endpoint)

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first batch."""
        model_client(self._item)

    def owners(self, links: Iterable[Scope]) -> dict[Scope, str | None]:
        """Who owns each link (its key id), ``None`` for an anonymous link; links not found are absent.
        ``StorageUnavailable`` when the table fails, or keeps keys unprocessed."""
        wanted = sorted({link for link in links if link.code})
        found: dict[Scope, str | None] = {}
        for first in range(0, len(wanted), BATCH_GET_LIMIT):
            for item in self._batch_get(wanted[first : first + BATCH_GET_LIMIT]):
                owner = item.get("owner", {}).get("S")
                found[Scope.link(item["domain"]["S"], item["code"]["S"])] = owner or None
        return found

    def _batch_get(self, links: Sequence[Scope]) -> list[dict[str, Any]]:
        keys = [{"pk": {"S": link_pk(link.domain, link.code)}, "sk": {"S": LINK_SK}} for link in links]
        return batch_get(self._item._get_connection(), keys, consistent_read=True, attributes=list(OWNER_ATTRIBUTES))
