"""The link: what a short code points to, how it redirects, and the states it goes through."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from shortlinks.domain.errors import InvalidTags, LinkDeleted, LinkDisabled, LinkExpired

REDIRECT_TYPES = (301, 302, 307, 308)
DEFAULT_REDIRECT_TYPE = 302
PERMANENT_REDIRECT_TYPES = frozenset({301, 308})
MAX_TITLE_LENGTH = 200
MAX_TAGS = 20
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
# The UTM fields a link may carry, in the order their ``utm_*`` parameters are added to the destination.
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")


class LinkState(StrEnum):
    """What the owner set. ``deleted`` is a tombstone: the code is never handed out again."""

    ACTIVE = "active"
    DISABLED = "disabled"
    DELETED = "deleted"


class LinkStatus(StrEnum):
    """What a caller sees at a given moment: the state, with expiry applied."""

    ACTIVE = "active"
    EXPIRED = "expired"
    DISABLED = "disabled"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Utm:
    """A link's UTM tagging (each field 1-100 characters, or absent); domain/utm.py merges it into the URL."""

    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    term: str | None = None
    content: str | None = None

    def parameters(self) -> list[tuple[str, str]]:
        """``(utm_<field>, value)`` for each field given, in ``UTM_FIELDS`` order."""
        given = ((name, getattr(self, name)) for name in UTM_FIELDS)
        return [(f"utm_{name}", value) for name, value in given if value is not None]


@dataclass(frozen=True, slots=True)
class Target:
    """What a redirect needs to know, and nothing more (the redirect path reads only these attributes).

    ``url`` is the destination as its owner gave it; ``tagged_url`` is that URL with the link's UTM parameters
    merged in, computed when the link is written (``None`` without tagging), so a redirect only reads it."""

    url: str
    redirect_type: int = DEFAULT_REDIRECT_TYPE
    forward_query: bool = True
    expires_at: datetime | None = None
    state: LinkState = LinkState.ACTIVE
    tagged_url: str | None = None

    @property
    def destination(self) -> str:
        """Where visitors land: the tagged URL, or the URL when the link has no UTM tagging."""
        return self.tagged_url or self.url

    def status(self, now: datetime) -> LinkStatus:
        if self.state is LinkState.DELETED:
            return LinkStatus.DELETED
        if self.state is LinkState.DISABLED:
            return LinkStatus.DISABLED
        if self.expires_at is not None and self.expires_at <= now:
            return LinkStatus.EXPIRED
        return LinkStatus.ACTIVE

    def ensure_live(self, code: str, now: datetime) -> Target:
        """Return self when the link may be followed at ``now``; raise why not otherwise (all answer 410)."""
        status = self.status(now)
        if status is LinkStatus.ACTIVE:
            return self
        if status is LinkStatus.DELETED:
            raise LinkDeleted.for_code(code)
        if status is LinkStatus.DISABLED:
            raise LinkDisabled.for_code(code)
        raise LinkExpired.for_code(code)


@dataclass(frozen=True, slots=True)
class Link:
    """A short link: ``code`` on short ``domain`` leading to ``target``, created by API key ``owner``."""

    domain: str
    code: str
    target: Target
    created_at: datetime
    title: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    version: int = 1
    updated_at: datetime | None = None
    utm: Utm | None = None

    def status(self, now: datetime) -> LinkStatus:
        return self.target.status(now)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of destination: who (API key id), when, from what, to what."""

    changed_at: datetime
    changed_by: str | None
    old_url: str
    new_url: str
    version: int = field(default=0)


def check_tags(tags: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Tags are lower-case words (1-50 of a-z, 0-9, '_', '-'), at most ``MAX_TAGS``; a set, kept sorted."""
    if len(tags) > MAX_TAGS:
        raise InvalidTags(f"at most {MAX_TAGS} tags")
    for tag in tags:
        if not TAG_PATTERN.fullmatch(tag):
            raise InvalidTags(f"{tag[:60]!r} is not a tag: 1-50 characters of a-z, 0-9, '_' and '-'")
    return tuple(sorted(set(tags)))


def utc_now() -> datetime:
    return datetime.now(UTC)
