"""A link as DynamoDB stores it (``pk = LINK#<domain>#<code>``, ``sk = LINK``), both ways, without pynamodb.

Every whole link is parsed here from the wire format (``link_of``) and written from here (``item_of``): a ``GetItem``
through the function's bare botocore client (``DynamoLinkRepository.get``: a link's read, expanding one of our own
links), a listing's ``BatchGetItem``, the items pynamodb's queries return (``LinkItem.serialize()``), a new link's
conditional ``PutItem`` and the item an edit saves. So a read, and a create, run without importing pynamodb (about
10 ms of a cold start, docs/benchmarks.md); queries and edits still go through its models (storage/models.py, which
names the same attributes).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shortlinks.domain.links import UTM_FIELDS, Link, Utm
from shortlinks.storage.keys import (
    LINK_SK,
    domain_gsi3pk,
    domain_gsi3sk,
    link_pk,
    owner_gsi1pk,
    owner_gsi1sk,
    url_gsi2pk,
)
from shortlinks.storage.raw import Item, string_key, text
from shortlinks.storage.target_items import target_of

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


def _utm(stored: Item | None) -> Utm | None:
    """The ``utm`` map (field -> value) as stored, or ``None`` without tagging."""
    if stored is None:
        return None
    return Utm(**{name: text(stored, name) for name in UTM_FIELDS if text(stored, name) is not None})


def item_of(link: Link) -> Item:
    """The item that stores ``link``: every link carries the gsi3 keys (its domain's listing), an owned link also the
    gsi1 (its owner's listing) and gsi2 (reuse) keys; an attribute without a value is left out."""
    created = stored_time(link.created_at)
    target = link.target
    values: dict[str, Any] = {
        "pk": link_pk(link.domain, link.code),
        "sk": LINK_SK,
        "entity": "link",
        "domain": link.domain,
        "code": link.code,
        "url": target.url,
        "redirect_type": target.redirect_type,
        "forward_query": target.forward_query,
        "expires_at": stored_time(target.expires_at) if target.expires_at else None,
        "created_at": created,
        "title": link.title,
        "owner": link.owner,
        "state": target.state.value,
        "tags": sorted(link.tags) or None,
        "version": link.version,
        "updated_at": stored_time(link.updated_at) if link.updated_at else None,
        "utm": {name: {"S": value} for name in UTM_FIELDS if (value := getattr(link.utm, name)) is not None}
        if link.utm is not None
        else None,
        "destination": target.tagged_url,
        "gsi3pk": domain_gsi3pk(link.domain),
        "gsi3sk": domain_gsi3sk(created, link.code),
    }
    if link.owner is not None:
        values |= {
            "gsi1pk": owner_gsi1pk(link.owner),
            "gsi1sk": owner_gsi1sk(created, link.domain, link.code),
            "gsi2pk": url_gsi2pk(link.owner, link.domain, target.url, tagging(link.utm)),
            "gsi2sk": created,
        }
    return {name: _attribute(name, value) for name, value in values.items() if value is not None}


def _attribute(name: str, value: Any) -> dict[str, Any]:
    if name == "utm":
        return {"M": value}
    if name == "tags":
        return {"SS": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": value}


def tagging(utm: Utm | None) -> str:
    """A link's UTM fields as part of its reuse key (``storage.keys.url_gsi2pk``)."""
    return json.dumps(utm.parameters(), separators=(",", ":")) if utm else ""


def stored_time(moment: datetime) -> str:
    """A moment as items store it: UTC, milliseconds, ``Z`` (so stored times sort as text)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
