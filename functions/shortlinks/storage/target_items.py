"""A link's target from its item, the one place it is parsed: the redirect's projected read (storage/targets.py) and a
whole link's (storage/link_items.py) both go through ``target_of``, and this module imports only what the redirect
already loads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shortlinks.domain.target import LinkState, Target


def target_of(item: dict[str, Any]) -> Target:
    """Where a link leads and how, from its item or from the projection of it the redirect reads (the one place a
    target is parsed: storage/link_items.py reads a whole link's through it)."""
    expires_at = item.get("expires_at", {}).get("S")
    return Target(
        url=item["url"]["S"],
        redirect_type=int(item["redirect_type"]["N"]),
        forward_query=bool(item["forward_query"]["BOOL"]),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        state=LinkState(item.get("state", {}).get("S", "active")),
        tagged_url=item.get("destination", {}).get("S"),
    )
