"""The link: what a short code points to, and how it redirects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shortlinks.domain.errors import LinkExpired

REDIRECT_TYPES = (301, 302, 307, 308)
DEFAULT_REDIRECT_TYPE = 302
PERMANENT_REDIRECT_TYPES = frozenset({301, 308})
MAX_TITLE_LENGTH = 200


class LinkStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Target:
    """What a redirect needs to know, and nothing more (the redirect path reads only these attributes)."""

    url: str
    redirect_type: int = DEFAULT_REDIRECT_TYPE
    forward_query: bool = True
    expires_at: datetime | None = None

    def status(self, now: datetime) -> LinkStatus:
        if self.expires_at is not None and self.expires_at <= now:
            return LinkStatus.EXPIRED
        return LinkStatus.ACTIVE

    def ensure_live(self, code: str, now: datetime) -> Target:
        """Return self when the link may be followed at ``now``; raise ``LinkExpired`` otherwise."""
        if self.status(now) is not LinkStatus.ACTIVE:
            raise LinkExpired.for_code(code)
        return self


@dataclass(frozen=True, slots=True)
class Link:
    """A short link: ``code`` on short ``domain`` leading to ``target``."""

    domain: str
    code: str
    target: Target
    created_at: datetime
    title: str | None = None
    owner: str | None = None

    def status(self, now: datetime) -> LinkStatus:
        return self.target.status(now)


def utc_now() -> datetime:
    return datetime.now(UTC)
