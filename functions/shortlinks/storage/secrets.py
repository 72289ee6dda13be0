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

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shortlinks.domain.links import utc_now
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, failure_code, unavailable
from shortlinks.storage.keys import VISITOR_SECRET_PK, visitor_secret_sk
from shortlinks.storage.models import bind_shared

SECRET_BYTES = 32
SECRET_LIFETIME = timedelta(hours=48)  # from the start of its day: its day, and the next for late readers


class VisitorSecretItem(Model):
    """``pk = SECRET#visitor``, ``sk = <YYYY-MM-DD>``; ``secret`` is base64; TTL deletes it."""

    class Meta:
        table_name = "unbound"  # replaced by models.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="secret")
    secret = UnicodeAttribute()
    ttl = NumberAttribute()


class DynamoVisitorSecrets:
    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint: str | None = None,
        *,
        share_with: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._item = bind_shared(VisitorSecretItem, table_name, region, endpoint, share_with)
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
        item = self._item(
            VISITOR_SECRET_PK,
            visitor_secret_sk(day.isoformat()),
            secret=base64.b64encode(secret).decode(),
            ttl=int(expires.timestamp()),
        )
        try:
            item.save(condition=self._item.pk.does_not_exist())
        except STORE_FAILURES as exc:
            if failure_code(exc) != CONDITION_FAILED:
                raise unavailable(exc) from exc
            winner = self._read(day)  # another container created it first: everyone uses that one
            if winner is None:
                raise unavailable(exc) from exc
            return winner
        return secret

    def _read(self, day: date) -> bytes | None:
        # Strongly consistent: a secret created a moment ago elsewhere must be found, not replaced.
        try:
            item = self._item.get(VISITOR_SECRET_PK, visitor_secret_sk(day.isoformat()), consistent_read=True)
        except DoesNotExist:
            return None
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        return base64.b64decode(item.secret)
