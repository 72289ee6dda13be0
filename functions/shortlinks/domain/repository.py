"""The storage ports: what the domain needs from wherever links are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shortlinks.domain.links import HistoryEntry, Link, Utm
from shortlinks.domain.target import LinkStatus, Target


@dataclass(frozen=True, slots=True)
class LinkQuery:
    """One page of a listing, newest first: ``owner``'s links on every domain, or with ``owner=None`` every link on
    ``domain`` whoever owns it (admins only)."""

    owner: str | None
    domain: str | None = None  # with owner=None: whose links (required then)
    limit: int = 50
    cursor: str | None = None
    tag: str | None = None
    status: LinkStatus | None = None  # None: every status but deleted
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class LinkPage:
    links: list[Link]
    next_cursor: str | None


class LinkRepository(Protocol):
    def add(self, link: Link) -> None:
        """Store a new link; raise ``CodeTaken`` when ``(domain, code)`` already exists. Atomic."""

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        """The whole link, or ``None``. ``consistent``: see every write acknowledged before this read."""

    def get_target(self, domain: str, code: str) -> Target | None:
        """Only what a redirect needs, in one read, or ``None``."""

    def replace(self, link: Link, expected_version: int, history: HistoryEntry | None = None) -> None:
        """Write ``link`` (whose version is ``expected_version + 1``) only if the stored version is still
        ``expected_version``, with ``history`` in the same transaction; ``EditConflict`` otherwise."""

    def history(self, domain: str, code: str) -> list[HistoryEntry]:
        """Every destination change of a link, newest first."""

    def find(self, query: LinkQuery) -> LinkPage:
        """A page of links, newest first; ``InvalidCursor`` for a cursor this listing did not issue."""

    def find_by_url(self, owner: str, domain: str, url: str, utm: Utm | None = None) -> list[Link]:
        """The owner's links on ``domain`` to exactly ``url`` (normalised) with exactly ``utm``, newest first."""


class RateLimiter(Protocol):
    def hit(self, key_id: str, limit: int, now: datetime) -> None:
        """Count one creation by ``key_id`` in the current minute; ``RateLimited`` when over ``limit``."""
