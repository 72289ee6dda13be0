"""Request and response models of the JSON API (pydantic; never imported by the redirect function)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from shortlinks.domain.links import MAX_TITLE_LENGTH, Link, LinkStatus
from shortlinks.domain.service import NewLink

# Generous outer bounds; the domain applies the precise rules (2,048-character URLs, 3-64-character aliases)
# with more specific error codes.
_Url = Annotated[str, StringConstraints(max_length=8192)]
_Alias = Annotated[str, StringConstraints(max_length=256)]
_Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_LENGTH, pattern=r"^[^\x00-\x1f\x7f]*$")]


class CreateLinkRequest(BaseModel):
    """Body of ``POST /v1/links``. Strict: ``"302"`` is not ``302``, unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: _Url
    alias: _Alias | None = None
    redirect_type: Literal[301, 302, 307, 308] = 302
    forward_query: bool = True
    expires_at: AwareDatetime | None = None
    title: _Title | None = None

    def to_new_link(self) -> NewLink:
        return NewLink(
            url=self.url,
            alias=self.alias,
            redirect_type=self.redirect_type,
            forward_query=self.forward_query,
            expires_at=self.expires_at,
            title=self.title or None,
        )


class LinkResponse(BaseModel):
    """A link as the API shows it."""

    code: str
    domain: str
    short_url: str
    url: str
    title: str | None
    redirect_type: int
    forward_query: bool
    status: LinkStatus
    created_at: str
    expires_at: str | None

    @classmethod
    def of(cls, link: Link, short_url: str, now: datetime) -> Self:
        return cls(
            code=link.code,
            domain=link.domain,
            short_url=short_url,
            url=link.target.url,
            title=link.title,
            redirect_type=link.target.redirect_type,
            forward_query=link.target.forward_query,
            status=link.status(now),
            created_at=_iso(link.created_at),
            expires_at=_iso(link.target.expires_at) if link.target.expires_at else None,
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
