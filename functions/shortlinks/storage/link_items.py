"""Reading a link as DynamoDB stores it (``pk = LINK#<domain>#<code>``, ``sk = LINK``), without pynamodb.

Every read of a whole link parses it here, from the wire format: a ``GetItem`` through the function's bare botocore
client (``DynamoLinkRepository.get``: a link's read, expanding one of our own links), a listing's ``BatchGetItem``,
and the items pynamodb's queries return (``LinkItem.serialize()``). So the links and expand functions answer a read
without importing pynamodb (about 10 ms of their cold start, docs/benchmarks.md); writes stay storage/repository.py's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shortlinks.domain.links import UTM_FIELDS, Link, LinkState, Target, Utm
from shortlinks.storage.keys import LINK_SK, link_pk
from shortlinks.storage.raw import Item, string_key, text

if TYPE_CHECKING:
    from shortlinks.storage.raw import RawTable


def read_link(table: RawTable, domain: str, code: str, *, consistent: bool = False) -> Link | None:
    """The link ``code`` on ``domain``, or ``None``: one ``GetItem``."""
    item = table.get_item(string_key(link_pk(domain, code), LINK_SK), consistent_read=consistent)
    return link_of(item) if item else None


def link_of(item: Item) -> Link:
    """A link from its item (every attribute storage/repository.py writes; the optional ones may be absent)."""
    updated_at = text(item, "updated_at")
    return Link(
        domain=text(item, "domain") or "",
        code=text(item, "code") or "",
        target=target_of(item),
        created_at=datetime.fromisoformat(text(item, "created_at") or ""),
        title=text(item, "title"),
        owner=text(item, "owner"),
        tags=tuple(sorted(item.get("tags", {}).get("SS", ()))),
        version=int(item.get("version", {}).get("N", 1)),
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
        utm=_utm(item.get("utm", {}).get("M")),
    )


def target_of(item: Item) -> Target:
    """Where a link leads and how, from its item (or from the projection of it the redirect reads)."""
    expires_at = text(item, "expires_at")
    return Target(
        url=text(item, "url") or "",
        redirect_type=int(item["redirect_type"]["N"]),
        forward_query=bool(item["forward_query"]["BOOL"]),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        state=LinkState(text(item, "state") or "active"),
        tagged_url=text(item, "destination"),
    )


def _utm(stored: Item | None) -> Utm | None:
    """The ``utm`` map (field -> value) as stored, or ``None`` without tagging."""
    if stored is None:
        return None
    return Utm(**{name: text(stored, name) for name in UTM_FIELDS if text(stored, name) is not None})
