"""In-memory storage ports for unit tests (cosmicpython's FakeRepository): ``LinkRepository`` and ``RateLimiter``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from shortlinks.domain.errors import CodeTaken, EditConflict, InvalidCursor, RateLimited
from shortlinks.domain.links import HistoryEntry, Link, Utm
from shortlinks.domain.repository import LinkPage, LinkQuery
from shortlinks.domain.target import LinkStatus, Target, utc_now

if TYPE_CHECKING:
    from shortlinks.domain.repository import LinkRepository, RateLimiter

_ALL_OWNERS = "*"


class FakeRepository:
    """Keeps links in a dict and remembers every call, so a test can prove what was (not) read or written."""

    def __init__(self, links: Iterable[Link] = ()) -> None:
        self._links: dict[tuple[str, str], Link] = {(link.domain, link.code): link for link in links}
        self._history: dict[tuple[str, str], list[HistoryEntry]] = {}
        self.calls: list[tuple[str, str, str]] = []  # (method, domain, code), in call order

    @property
    def links(self) -> list[Link]:
        return list(self._links.values())

    def writes(self) -> list[tuple[str, str, str]]:
        """The calls that change what is stored."""
        return [call for call in self.calls if call[0] in ("add", "replace")]

    def add(self, link: Link) -> None:
        self.calls.append(("add", link.domain, link.code))
        key = (link.domain, link.code)
        if key in self._links:
            raise CodeTaken.alias(link.code)
        self._links[key] = link

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        self.calls.append(("get", domain, code))
        return self._links.get((domain, code))

    def get_target(self, domain: str, code: str) -> Target | None:
        self.calls.append(("get_target", domain, code))
        link = self._links.get((domain, code))
        return None if link is None else link.target

    def replace(self, link: Link, expected_version: int, history: HistoryEntry | None = None) -> None:
        self.calls.append(("replace", link.domain, link.code))
        # The port's contract, checked so a service bug cannot hide behind a lenient fake.
        assert link.version == expected_version + 1, "a replacement is the next version of what was read"
        key = (link.domain, link.code)
        stored = self._links.get(key)
        if stored is None or stored.version != expected_version:
            raise EditConflict.on(link.code)
        self._links[key] = link
        if history is not None:
            self._history.setdefault(key, []).append(history)

    def history(self, domain: str, code: str) -> list[HistoryEntry]:
        self.calls.append(("history", domain, code))
        entries = self._history.get((domain, code), [])
        return sorted(entries, key=lambda entry: (entry.changed_at, entry.version), reverse=True)

    def find(self, query: LinkQuery) -> LinkPage:
        if query.owner is None and query.domain is None:
            raise ValueError("a listing of every owner's links names its domain")
        listing = query.owner if query.owner is not None else _ALL_OWNERS
        self.calls.append(("find", query.domain or "", listing))
        after = _decode_cursor(query.cursor, f"{listing}@{query.domain or ''}")
        now = query.now or utc_now()
        newest_first = sorted(
            (
                link
                for link in self._links.values()
                if (link.owner == query.owner if query.owner is not None else link.domain == query.domain)
            ),
            key=_position,
            reverse=True,
        )
        matching = [
            link
            for link in newest_first
            if (after is None or _position(link) < after) and _matches(link, query.tag, query.status, now)
        ]
        page = matching[: query.limit]
        more = len(matching) > query.limit
        return LinkPage(page, _encode_cursor(f"{listing}@{query.domain or ''}", _position(page[-1])) if more else None)

    def find_by_url(self, owner: str, domain: str, url: str, utm: Utm | None = None) -> list[Link]:
        self.calls.append(("find_by_url", domain, url))
        found = [
            link
            for link in self._links.values()
            if link.owner == owner and link.domain == domain and link.target.url == url and link.utm == utm
        ]
        return sorted(found, key=_position, reverse=True)


class FakeRateLimiter:
    """Counts creations per key and minute, as the DynamoDB counter does."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int], int] = {}

    def hit(self, key_id: str, limit: int, now: datetime) -> None:
        epoch = int(now.timestamp())
        window = epoch - epoch % 60
        counted = self.counts.get((key_id, window), 0)
        if counted >= limit:
            raise RateLimited.creating(limit, window + 60 - epoch)
        self.counts[(key_id, window)] = counted + 1


def _position(link: Link) -> tuple[str, str, str]:
    """Where a link sorts in a listing: by creation time, ties broken by domain and code (gsi1's sort key)."""
    return (link.created_at.isoformat(), link.domain, link.code)


def _matches(link: Link, tag: str | None, status: LinkStatus | None, now: datetime) -> bool:
    seen = link.status(now)
    if status is None and seen is LinkStatus.DELETED:
        return False
    if status is not None and seen is not status:
        return False
    return tag is None or tag in link.tags


def _encode_cursor(listing: str, position: tuple[str, str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps([listing, *position]).encode()).decode()


def _decode_cursor(cursor: str | None, listing: str) -> tuple[str, str, str] | None:
    if cursor is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise InvalidCursor.given() from None
    if not isinstance(decoded, list) or len(decoded) != 4 or decoded[0] != listing:
        raise InvalidCursor.given()
    return (str(decoded[1]), str(decoded[2]), str(decoded[3]))


if TYPE_CHECKING:
    _conforms: LinkRepository = FakeRepository()  # mypy proves the fakes keep to the ports
    _limits: RateLimiter = FakeRateLimiter()
