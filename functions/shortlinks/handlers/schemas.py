"""Request and response models of the JSON API (pydantic; never imported by the redirect function)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shortlinks.domain.links import MAX_TAGS, MAX_TITLE_LENGTH, HistoryEntry, Link, LinkStatus
from shortlinks.domain.service import LinkChanges, NewLink

# Generous outer bounds; the domain applies the precise rules (2,048-character URLs, 3-64-character aliases,
# tag syntax) with more specific error codes.
_Url = Annotated[str, StringConstraints(max_length=8192)]
_Alias = Annotated[str, StringConstraints(max_length=256)]
_Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_LENGTH, pattern=r"^[^\x00-\x1f\x7f]*$")]
_Tag = Annotated[str, StringConstraints(max_length=64)]
_Tags = Annotated[list[_Tag], Field(max_length=MAX_TAGS)]
_RedirectType = Literal[301, 302, 307, 308]
MAX_BULK_ITEMS = 100


class CreateLinkRequest(BaseModel):
    """Body of ``POST /v1/links``. Strict: ``"302"`` is not ``302``, unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: _Url
    alias: _Alias | None = None
    redirect_type: _RedirectType = 302
    forward_query: bool = True
    expires_at: AwareDatetime | None = None
    title: _Title | None = None
    tags: _Tags = Field(default_factory=list)
    reuse: bool = False

    def to_new_link(self) -> NewLink:
        return NewLink(
            url=self.url,
            alias=self.alias,
            redirect_type=self.redirect_type,
            forward_query=self.forward_query,
            expires_at=self.expires_at,
            title=self.title or None,
            tags=tuple(self.tags),
            reuse=self.reuse,
        )


class BulkCreateRequest(BaseModel):
    """Body of ``POST /v1/links/bulk``: up to 100 links, each created (or refused) on its own."""

    model_config = ConfigDict(extra="forbid", strict=True)

    links: Annotated[list[dict[str, object]], Field(min_length=1, max_length=MAX_BULK_ITEMS)]


class UpdateLinkRequest(BaseModel):
    """Body of ``PATCH /v1/links/{code}``: only the fields present change; ``null`` clears title and expiry."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: _Url | None = None
    title: _Title | None = None
    tags: _Tags | None = None
    expires_at: AwareDatetime | None = None
    redirect_type: _RedirectType | None = None
    forward_query: bool | None = None
    disabled: bool | None = None

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
        )


class LinkResponse(BaseModel):
    """A link as its owner (or an admin) sees it."""

    code: str
    domain: str
    short_url: str
    url: str
    title: str | None
    tags: list[str]
    redirect_type: int
    forward_query: bool
    status: LinkStatus
    owner: str | None
    version: int
    created_at: str
    updated_at: str | None
    expires_at: str | None

    @classmethod
    def of(cls, link: Link, short_url: str, now: datetime) -> Self:
        return cls(
            code=link.code,
            domain=link.domain,
            short_url=short_url,
            url=link.target.url,
            title=link.title,
            tags=list(link.tags),
            redirect_type=link.target.redirect_type,
            forward_query=link.target.forward_query,
            status=link.status(now),
            owner=link.owner,
            version=link.version,
            created_at=iso(link.created_at),
            updated_at=iso(link.updated_at) if link.updated_at else None,
            expires_at=iso(link.target.expires_at) if link.target.expires_at else None,
        )


class PublicLinkResponse(BaseModel):
    """A link as anyone may preview it: where it goes and whether it still does, nothing about who made it."""

    code: str
    domain: str
    short_url: str
    url: str | None  # withheld once deleted: a tombstone no longer vouches for its old destination
    status: LinkStatus

    @classmethod
    def of(cls, link: Link, short_url: str, now: datetime) -> Self:
        status = link.status(now)
        url = None if status is LinkStatus.DELETED else link.target.url
        return cls(code=link.code, domain=link.domain, short_url=short_url, url=url, status=status)


class LinkPageResponse(BaseModel):
    links: list[LinkResponse]
    next_cursor: str | None


class HistoryEntryResponse(BaseModel):
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
    history: list[HistoryEntryResponse]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
