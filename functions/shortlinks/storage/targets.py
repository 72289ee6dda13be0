"""The redirect's read: one eventually consistent, projected GetItem of the link, or, when the container lacks the
day's visitor secret (its cold start, a new day), one BatchGetItem of the link and the secret. Creating a day's
secret that nobody has created yet goes through storage/secrets.py.

The redirect function imports this module instead of storage.repository, so it loads neither the history and
rate-counter models nor pynamodb's transactions (docs/benchmarks.md).
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from shortlinks.domain.links import LinkState, Target
from shortlinks.storage.batch import batch_get
from shortlinks.storage.failures import STORE_FAILURES, unavailable
from shortlinks.storage.keys import LINK_SK, VISITOR_SECRET_PK, link_pk, visitor_secret_sk
from shortlinks.storage.models import LinkItem, bind
from shortlinks.storage.secrets import DynamoVisitorSecrets

# The only attributes a redirect reads (a ProjectionExpression): smaller responses, same one read.
TARGET_ATTRIBUTES = ("url", "redirect_type", "forward_query", "expires_at", "state", "destination")
# ... and with the visitor secret: which item is which, and the secret.
BATCH_ATTRIBUTES = ["pk", *TARGET_ATTRIBUTES, "secret"]


def read_target(model: type[LinkItem], domain: str, code: str) -> Target | None:
    """Through the table connection's GetItem, skipping pynamodb's model instantiation (which costs about as much
    as our whole handler adds; docs/benchmarks.md)."""
    try:
        data = model._get_connection().get_item(
            link_pk(domain, code), LINK_SK, consistent_read=False, attributes_to_get=list(TARGET_ATTRIBUTES)
        )
    except STORE_FAILURES as exc:
        raise unavailable(exc) from exc
    item = data.get("Item")
    return _target(item) if item else None


def read_target_and_secret(
    model: type[LinkItem], domain: str, code: str, day: date
) -> tuple[Target | None, bytes | None]:
    """The link's target and ``day``'s visitor secret in one eventually consistent ``BatchGetItem`` (a secret
    created elsewhere a moment ago and not seen yet is looked for again, strongly consistent, before one is made)."""
    link_key = link_pk(domain, code)
    keys = [
        {"pk": {"S": link_key}, "sk": {"S": LINK_SK}},
        {"pk": {"S": VISITOR_SECRET_PK}, "sk": {"S": visitor_secret_sk(day.isoformat())}},
    ]
    items = {item["pk"]["S"]: item for item in batch_get(model._get_connection(), keys, attributes=BATCH_ATTRIBUTES)}
    link, secret = items.get(link_key), items.get(VISITOR_SECRET_PK, {}).get("secret", {}).get("S")
    return (_target(link) if link else None), (base64.b64decode(secret) if secret else None)


def _target(item: dict[str, Any]) -> Target:
    expires_at = item.get("expires_at", {}).get("S")
    return Target(
        url=item["url"]["S"],
        redirect_type=int(item["redirect_type"]["N"]),
        forward_query=bool(item["forward_query"]["BOOL"]),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        state=LinkState(item.get("state", {}).get("S", "active")),
        tagged_url=item.get("destination", {}).get("S"),
    )


class DynamoTargetReader:
    """What the redirect function holds: the link model bound to the table, and its one botocore client."""

    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(LinkItem, table_name, region, endpoint)
        self._secrets = DynamoVisitorSecrets(table_name, region, endpoint, share_with=self)

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first request."""
        self._item._get_connection().connection.client  # noqa: B018 - the property builds the client

    def get_target(self, domain: str, code: str) -> Target | None:
        return read_target(self._item, domain, code)

    def get_target_and_secret(self, domain: str, code: str, day: date) -> tuple[Target | None, bytes | None]:
        return read_target_and_secret(self._item, domain, code, day)

    def visitor_secret(self, day: date) -> bytes:
        """The day's visitor-id secret (storage/secrets.py), created if nobody has yet, through this reader's
        client: the redirect asks when its link reads did not bring it (a cache hit, or no secret yet)."""
        return self._secrets.secret_for(day)
