"""Where a link leads: its ``Target``, the states it goes through, and the redirect types.

All the redirect function needs of a link, kept apart from domain/links.py (the link as a whole: title, tags, UTM
tagging, history) so that its cold start builds none of those classes (docs/benchmarks.md, issue 13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shortlinks.domain.errors import LinkDeleted, LinkDisabled, LinkExpired

REDIRECT_TYPES = (301, 302, 307, 308)
DEFAULT_REDIRECT_TYPE = 302
PERMANENT_REDIRECT_TYPES = frozenset({301, 308})


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


def utc_now() -> datetime:
    return datetime.now(UTC)
