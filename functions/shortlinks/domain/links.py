"""The link as a whole: its code, domain, owner, title, tags, UTM tagging and history (where it leads, and how, is
domain/target.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from shortlinks.domain.errors import InvalidTags
from shortlinks.domain.target import LinkStatus, Target

MAX_TITLE_LENGTH = 200
MAX_TAGS = 20
TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
# The UTM fields a link may carry, in the order their ``utm_*`` parameters are added to the destination.
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")


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
