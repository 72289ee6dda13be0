"""The daily visitor secret: random, kept in the table, created by whoever needs it first, gone 48 hours later.

The redirect keys its visitor ids with the day's secret (an HMAC), so ids of one day can be told apart without
storing an address, and once the secret is deleted nobody can compute a past day's ids again. The redirect asks for
the secret once per container and day: normally one ``GetItem``; on the day's first request anywhere, a conditional
``PutItem`` too, and when another container's put won the race, a second ``GetItem`` for the winner's secret.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.target import utc_now
from shortlinks.storage.keys import VISITOR_SECRET_PK, visitor_secret_sk
from shortlinks.storage.raw import Item, RawTable, dynamodb_client, string_key, text

SECRET_BYTES = 32
SECRET_LIFETIME = timedelta(hours=48)  # from the start of its day: its day, and the next for late readers


def secret_key(day: date) -> Item:
    """The key of ``day``'s secret item."""
    return string_key(VISITOR_SECRET_PK, visitor_secret_sk(day.isoformat()))


class DynamoVisitorSecrets:
    """Items ``pk = SECRET#visitor``, ``sk = <YYYY-MM-DD>``, ``secret`` in base64, ``ttl`` for DynamoDB's TTL to
    delete them; read and written through a bare botocore client (storage/raw.py: the redirect loads no pynamodb)."""

    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._table = RawTable(client if client is not None else dynamodb_client(region, endpoint), table_name)
        self._clock = clock

    def secret_for(self, day: date) -> bytes:
        """``day``'s secret (UTC), created if nobody has yet. ``ValueError`` for a day whose secret has expired:
        it must not come back, not even as a new one."""
        expires = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + SECRET_LIFETIME
        if self._clock() >= expires:
            raise ValueError(f"the visitor secret of {day.isoformat()} has expired")
        stored = self._read(day)
        if stored is not None:
            return stored
        secret = os.urandom(SECRET_BYTES)
        item = secret_key(day) | {
            "entity": {"S": "secret"},
            "secret": {"S": base64.b64encode(secret).decode()},
            "ttl": {"N": str(int(expires.timestamp()))},
        }
        if self._table.put_new(item):
            return secret
        winner = self._read(day)  # another container created it first: everyone uses that one
        if winner is None:
            raise StorageUnavailable.because("SecretVanished")
        return winner

    def _read(self, day: date) -> bytes | None:
        # Strongly consistent: a secret created a moment ago elsewhere must be found, not replaced.
        item = self._table.get_item(secret_key(day), consistent_read=True, attributes=["secret"])
        secret = text(item, "secret") if item else None
        return base64.b64decode(secret) if secret else None
