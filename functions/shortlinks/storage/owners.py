"""Who owns each link of a batch of clicks: the aggregator's one read of link items (domain/rollups.py
``LinkOwners``).

One ``BatchGetItem`` per 100 links (DynamoDB's limit), projected to ``domain``, ``code`` and ``owner``, through the
link model's table connection: the raw items are read as they come, no pynamodb model is built from a partial
item. Strongly consistent, so a link created a moment before its first click is found.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from typing import Any

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.rollups import Scope
from shortlinks.storage import budget
from shortlinks.storage.failures import RETRY_AFTER_THROTTLED_SECONDS, STORE_FAILURES, unavailable
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.models import LinkItem, bind

BATCH_GET_LIMIT = 100  # keys per BatchGetItem
OWNER_ATTRIBUTES = ("domain", "code", "owner")
# Keys DynamoDB leaves unprocessed (throttling) are asked again after a jittered back-off, this many times at most.
MAX_UNPROCESSED_ROUNDS = 5
UNPROCESSED_BACKOFF_SECONDS = 0.05


class DynamoLinkOwners:
    """``LinkOwners`` on the table: the link model bound to it. The aggregator's other adapters share its botocore
    client (``share_with``)."""

    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(LinkItem, table_name, region, endpoint)

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first batch."""
        self._item._get_connection().connection.client  # noqa: B018 - the property builds the client

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
        table = self._item._get_connection()
        keys: list[dict[str, Any]] = [
            {"pk": {"S": link_pk(link.domain, link.code)}, "sk": {"S": LINK_SK}} for link in links
        ]
        items: list[dict[str, Any]] = []
        for round_ in range(MAX_UNPROCESSED_ROUNDS + 1):
            if round_:
                # Full jitter, and only while the invocation's budget leaves room for another call.
                delay = random.uniform(0, UNPROCESSED_BACKOFF_SECONDS * 2**round_)  # noqa: S311 - not a secret
                if budget.remaining_seconds() - delay < budget.CONNECT_TIMEOUT_SECONDS:
                    break
                time.sleep(delay)
            try:
                # pynamodb types the keys as strings; they are attribute maps, as its own Model.batch_get sends them.
                data = table.batch_get_item(
                    keys,  # type: ignore[arg-type]
                    consistent_read=True,
                    attributes_to_get=list(OWNER_ATTRIBUTES),
                )
            except STORE_FAILURES as exc:
                raise unavailable(exc) from exc
            items.extend(data.get("Responses", {}).get(table.table_name, []))
            keys = data.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
            if not keys:
                return items
        raise StorageUnavailable.because("UnprocessedKeys", retry_after=RETRY_AFTER_THROTTLED_SECONDS)
