"""``BatchGetItem`` on the table, with what DynamoDB leaves unprocessed (under throttling) asked again after a
jittered back-off, while the invocation's budget leaves time for it. Raw items come back, in no particular order."""

from __future__ import annotations

import random
import time
from typing import Any, Protocol

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.storage import budget
from shortlinks.storage.failures import RETRY_AFTER_THROTTLED_SECONDS, STORE_FAILURES, unavailable


class BatchReader(Protocol):
    """What sends the calls: pynamodb's ``TableConnection``, or ``storage.raw.RawTable`` (the redirect's)."""

    @property
    def table_name(self) -> str: ...

    def batch_get_item(
        self, keys: Any, *, consistent_read: bool = ..., attributes_to_get: Any = ...
    ) -> dict[str, Any]: ...


BATCH_GET_LIMIT = 100  # keys per BatchGetItem
MAX_UNPROCESSED_ROUNDS = 5
UNPROCESSED_BACKOFF_SECONDS = 0.05


def batch_get(
    table: BatchReader,
    keys: list[dict[str, Any]],
    *,
    consistent_read: bool = False,
    attributes: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The items under ``keys`` (at most ``BATCH_GET_LIMIT``, as attribute maps) that exist, ``attributes`` of each
    (default: all). ``StorageUnavailable`` when the table fails, or keeps keys unprocessed."""
    if len(keys) > BATCH_GET_LIMIT:
        raise ValueError(f"at most {BATCH_GET_LIMIT} keys per BatchGetItem, not {len(keys)}")
    items: list[dict[str, Any]] = []
    for round_ in range(MAX_UNPROCESSED_ROUNDS + 1):
        if not keys:
            return items
        if round_:
            # Full jitter, and only while the invocation's budget leaves room for another call.
            delay = random.uniform(0, UNPROCESSED_BACKOFF_SECONDS * 2**round_)  # noqa: S311 - not a secret
            if budget.remaining_seconds() - delay < budget.CONNECT_TIMEOUT_SECONDS:
                break
            time.sleep(delay)
        try:
            # Attribute maps, as pynamodb's own Model.batch_get sends them (it types the keys as strings).
            data = table.batch_get_item(keys, consistent_read=consistent_read, attributes_to_get=attributes)
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        items.extend(data.get("Responses", {}).get(table.table_name, []))
        keys = data.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
    if not keys:
        return items
    raise StorageUnavailable.because("UnprocessedKeys", retry_after=RETRY_AFTER_THROTTLED_SECONDS)
