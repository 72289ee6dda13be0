"""The day's visitor-id secret (domain/visitors.py), through the redirect's own table connection.

Item: ``pk = SECRET#visitor``, ``sk = <YYYY-MM-DD>``, ``secret`` (base64 of 32 random bytes), ``ttl`` = the day's
start + 48 hours, after which DynamoDB deletes it. Read with one GetItem; the first container that finds none
creates it with a conditional PutItem, and a container that loses that race reads the winner's.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, date, datetime, timedelta

from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, failure_code, unavailable
from shortlinks.storage.models import LinkItem

VISITOR_SECRET_PK = "SECRET#visitor"  # noqa: S105 - a key prefix, not a secret
SECRET_LIFETIME = timedelta(hours=48)


def load_visitor_secret(model: type[LinkItem], day: date) -> bytes:
    """The secret of ``day``, created if it does not exist yet. ``StorageUnavailable`` when the table fails."""
    table = model._get_connection()
    key = day.isoformat()
    try:
        found = table.get_item(VISITOR_SECRET_PK, key, consistent_read=True).get("Item")
        if found:
            return base64.b64decode(found["secret"]["S"])
        secret = secrets.token_bytes(32)
        expires = datetime(day.year, day.month, day.day, tzinfo=UTC) + SECRET_LIFETIME
        attributes = {"secret": {"S": base64.b64encode(secret).decode()}, "ttl": {"N": str(int(expires.timestamp()))}}
        try:
            table.put_item(VISITOR_SECRET_PK, key, attributes=attributes, condition=model.pk.does_not_exist())
        except STORE_FAILURES as exc:
            if failure_code(exc) != CONDITION_FAILED:
                raise
            found = table.get_item(VISITOR_SECRET_PK, key, consistent_read=True).get("Item") or {}
            return base64.b64decode(found["secret"]["S"])
        return secret
    except STORE_FAILURES as exc:
        raise unavailable(exc) from exc
    except (KeyError, ValueError) as exc:  # an item that is not a secret: treat the store as unavailable
        raise unavailable(exc) from exc
