"""Models of the link-management routes (the links function only; create and expand never import them)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict

from shortlinks.domain.links import HistoryEntry, Link
from shortlinks.domain.service import LinkChanges
from shortlinks.schemas.bodies import iso
from shortlinks.schemas.links import LinkResponse, RedirectType, Rfc3339, Tags, Title, Url, UtmFields

# Each model is built on its first use (``defer_build``), not at import: a cold start pays only for the models
# its request uses (docs/benchmarks.md, issue 13).


class UpdateLinkRequest(BaseModel):
    """Body of ``PATCH /v1/links/{code}``: only the fields present change; ``null`` clears title and expiry."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    url: Url | None = None
    title: Title | None = None
    tags: Tags | None = None
    expires_at: Rfc3339 | None = None
    redirect_type: RedirectType | None = None
    forward_query: bool | None = None
    disabled: bool | None = None
    utm: UtmFields | None = None  # an object replaces the tagging whole; null removes it

    def to_changes(self) -> LinkChanges:
        given = self.model_fields_set
        return LinkChanges(
            url=self.url,
            title=self.title or None,
            clear_title="title" in given and not self.title,
            tags=tuple(self.tags) if self.tags is not None else None,
            expires_at=self.expires_at,
            clear_expiry="expires_at" in given and self.expires_at is None,
            redirect_type=self.redirect_type,
            forward_query=self.forward_query,
            disabled=self.disabled,
            utm=self.utm.to_utm() if self.utm is not None else None,
            clear_utm="utm" in given and self.utm is None,
        )


class ListedLinkResponse(LinkResponse):
    """A link in ``GET /v1/links``: the link as its owner sees it, and its clicks since it was created."""

    clicks: int

    @classmethod
    def listed(cls, link: Link, short_url: str, now: datetime, clicks: int) -> Self:
        return cls(**LinkResponse.of(link, short_url, now).model_dump(), clicks=clicks)


class LinkListingResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    links: list[ListedLinkResponse]
    next_cursor: str | None


class HistoryEntryResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    changed_at: str
    changed_by: str | None
    old_url: str
    new_url: str
    version: int

    @classmethod
    def of(cls, entry: HistoryEntry) -> Self:
        return cls(
            changed_at=iso(entry.changed_at),
            changed_by=entry.changed_by,
            old_url=entry.old_url,
            new_url=entry.new_url,
            version=entry.version,
        )


class HistoryResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    history: list[HistoryEntryResponse]
