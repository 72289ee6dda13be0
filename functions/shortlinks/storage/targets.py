"""The redirect's read: one eventually consistent, projected GetItem per request (and, once per container per
day, the day's visitor secret through storage/secrets.py).

The redirect function imports this module instead of storage.repository, so it loads neither the history and
rate-counter models nor pynamodb's transactions (docs/benchmarks.md).
"""

from __future__ import annotations

from datetime import date, datetime

from shortlinks.domain.links import LinkState, Target
from shortlinks.storage.failures import STORE_FAILURES, unavailable
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.models import LinkItem, bind
from shortlinks.storage.secrets import DynamoVisitorSecrets

# The only attributes a redirect reads (a ProjectionExpression): smaller responses, same one read.
TARGET_ATTRIBUTES = ("url", "redirect_type", "forward_query", "expires_at", "state", "destination")


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
    if not item:
        return None
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

    def visitor_secret(self, day: date) -> bytes:
        """The day's visitor-id secret (storage/secrets.py), through this reader's client: the redirect asks
        once per container per day."""
        return self._secrets.secret_for(day)
