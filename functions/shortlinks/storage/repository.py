"""The DynamoDB implementation of the domain's ``LinkRepository``."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, GetError, PutError

from shortlinks.domain.errors import CodeTaken, StorageUnavailable
from shortlinks.domain.links import Link, Target
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.models import LinkItem, bind_link_item

# The only attributes a redirect reads (a ProjectionExpression): smaller responses, same one read.
_TARGET_ATTRIBUTES = ("url", "redirect_type", "forward_query", "expires_at")


class DynamoLinkRepository:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind_link_item(table_name, region, endpoint)

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first request."""
        self._item._get_connection().connection.client  # noqa: B018 - the property builds the client

    def add(self, link: Link) -> None:
        item = self._item(
            link_pk(link.domain, link.code),
            LINK_SK,
            domain=link.domain,
            code=link.code,
            url=link.target.url,
            redirect_type=link.target.redirect_type,
            forward_query=link.target.forward_query,
            expires_at=_iso(link.target.expires_at),
            created_at=_iso(link.created_at),
            title=link.title,
            owner=link.owner,
        )
        try:
            item.save(condition=self._item.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise CodeTaken.alias(link.code) from None
            raise StorageUnavailable.because(exc.cause_response_code or "put failed") from exc

    def get(self, domain: str, code: str) -> Link | None:
        item = self._read(domain, code, None)
        if item is None:
            return None
        return Link(
            domain=item.domain,
            code=item.code,
            target=_target(item),
            created_at=datetime.fromisoformat(item.created_at),
            title=item.title,
            owner=item.owner,
        )

    def get_target(self, domain: str, code: str) -> Target | None:
        """The redirect's read: the table connection's GetItem, skipping pynamodb's model instantiation (which
        costs about as much as our whole handler adds; docs/benchmarks.md). Same one eventually consistent,
        projected read."""
        try:
            data = self._item._get_connection().get_item(
                link_pk(domain, code), LINK_SK, consistent_read=False, attributes_to_get=list(_TARGET_ATTRIBUTES)
            )
        except GetError as exc:
            raise StorageUnavailable.because(exc.cause_response_code or "get failed") from exc
        item = data.get("Item")
        if not item:
            return None
        expires_at = item.get("expires_at", {}).get("S")
        return Target(
            url=item["url"]["S"],
            redirect_type=int(item["redirect_type"]["N"]),
            forward_query=bool(item["forward_query"]["BOOL"]),
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )

    def _read(self, domain: str, code: str, attributes: tuple[str, ...] | None) -> LinkItem | None:
        try:
            return self._item.get(link_pk(domain, code), LINK_SK, attributes_to_get=attributes)
        except DoesNotExist:
            return None
        except GetError as exc:
            raise StorageUnavailable.because(exc.cause_response_code or "get failed") from exc


def _target(item: LinkItem) -> Target:
    return Target(
        url=item.url,
        redirect_type=int(item.redirect_type),
        forward_query=bool(item.forward_query),
        expires_at=datetime.fromisoformat(item.expires_at) if item.expires_at else None,
    )


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
