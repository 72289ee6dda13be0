"""The JSON answers that read routes send most (a link, a link's public preview, an API key), as plain dicts.

One place maps a domain object to its answer; the pydantic response models (``schemas/``) describe these shapes for
the OpenAPI document and validate them in tests (``LinkResponse.of`` is this module's dict, validated). A read route
(``GET /v1/links/{code}``, expanding our own link, ``GET /v1/keys``) answers from here and imports no pydantic at
all: about 45 ms of its cold start, and the model build on its first request (docs/benchmarks.md, issue 13).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shortlinks.domain.links import UTM_FIELDS
from shortlinks.domain.target import LinkStatus

if TYPE_CHECKING:
    from shortlinks.domain.keys import ApiKey
    from shortlinks.domain.links import Link, Utm


def link_body(link: Link, short_url: str, now: datetime) -> dict[str, Any]:
    """A link as its owner (or an admin) sees it (``schemas.links.LinkResponse``)."""
    return {
        "code": link.code,
        "domain": link.domain,
        "short_url": short_url,
        "url": link.target.url,
        "utm": utm_body(link.utm),
        "destination": link.target.destination,
        "title": link.title,
        "tags": list(link.tags),
        "redirect_type": link.target.redirect_type,
        "forward_query": link.target.forward_query,
        "status": link.status(now).value,
        "owner": link.owner,
        "version": link.version,
        "created_at": iso(link.created_at),
        "updated_at": iso(link.updated_at) if link.updated_at else None,
        "expires_at": iso(link.target.expires_at) if link.target.expires_at else None,
    }


def public_link_body(link: Link, short_url: str, now: datetime) -> dict[str, Any]:
    """A link as anyone may preview it (``schemas.links.PublicLinkResponse``)."""
    status = link.status(now)
    url = None if status in (LinkStatus.DELETED, LinkStatus.DISABLED) else link.target.destination
    return {"code": link.code, "domain": link.domain, "short_url": short_url, "url": url, "status": status.value}


def utm_body(utm: Utm | None) -> dict[str, str | None] | None:
    """A link's UTM tagging, every field named (``schemas.links.UtmFields``)."""
    return None if utm is None else {name: getattr(utm, name) for name in UTM_FIELDS}


def key_body(key: ApiKey) -> dict[str, Any]:
    """A key's record as the API shows it, never the key or its hash (``schemas.keys.KeyResponse``)."""
    return {
        "key_id": key.key_id,
        "name": key.name,
        "role": key.role.value,
        "created_at": iso(key.created_at),
        "last_used_day": key.last_used_day.isoformat() if key.last_used_day else None,
        "revoked": key.revoked,
        "create_rate_limit": key.create_rate_limit,
    }


def iso(moment: datetime) -> str:
    """A moment as the API writes it: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_text(body: dict[str, Any]) -> str:
    """``body`` as pydantic's ``model_dump_json`` writes it: compact, UTF-8 rather than ``\\u`` escapes."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
