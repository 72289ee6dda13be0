"""Request and response models of the JSON API (pydantic; never imported by the redirect function)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from shortlinks.domain.links import Link, Utm
from shortlinks.domain.target import LinkStatus
from shortlinks.schemas.bodies import link_body, public_link_body
from shortlinks.schemas.link_fields import (
    MAX_ALIAS_LENGTH,
    MAX_BULK_ITEMS,
    MAX_DOMAIN_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_UTM_LENGTH,
    TITLE_PATTERN,
    rfc3339,
)

if TYPE_CHECKING:
    from shortlinks.domain.service import NewLink

# Each model is built on its first use (``defer_build``), not at import: a cold start pays only for the models
# its request uses (docs/benchmarks.md, issue 13). The bounds are schemas/link_fields.py's, which a create's fast
# path (web/create_body.py) applies too.

Url = Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH)]
_Alias = Annotated[str, StringConstraints(max_length=MAX_ALIAS_LENGTH)]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_LENGTH, pattern=TITLE_PATTERN)]
_Tag = Annotated[str, StringConstraints(max_length=MAX_TAG_LENGTH)]
Tags = Annotated[list[_Tag], Field(max_length=MAX_TAGS)]
RedirectType = Literal[301, 302, 307, 308]
# strict mode takes a datetime once a validator has run
Rfc3339 = Annotated[AwareDatetime, BeforeValidator(rfc3339)]
# An outer bound only, as for URLs: domain/utm.py check_utm applies the rule (1-100 characters, no control
# characters) and answers invalid_utm, naming the field.
_UtmValue = Annotated[str, StringConstraints(max_length=MAX_UTM_LENGTH)]


class UtmFields(BaseModel):
    """``utm``: the UTM parameters merged into the destination (each optional, 1-100 characters)."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    source: _UtmValue | None = None
    medium: _UtmValue | None = None
    campaign: _UtmValue | None = None
    term: _UtmValue | None = None
    content: _UtmValue | None = None

    def to_utm(self) -> Utm:
        return Utm(**self.model_dump())


class CreateLinkRequest(BaseModel):
    """Body of ``POST /v1/links``. Strict: ``"302"`` is not ``302``, unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    url: Url
    alias: _Alias | None = None
    redirect_type: RedirectType = 302
    forward_query: bool = True
    expires_at: Rfc3339 | None = None
    title: Title | None = None
    tags: Tags = Field(default_factory=list)
    reuse: bool = False
    domain: Annotated[str, StringConstraints(max_length=MAX_DOMAIN_LENGTH)] | None = None
    utm: UtmFields | None = None

    def to_new_link(self) -> NewLink:
        from shortlinks.domain.service import NewLink  # create's own; expand and links need not load it

        return NewLink(
            url=self.url,
            alias=self.alias,
            redirect_type=self.redirect_type,
            forward_query=self.forward_query,
            expires_at=self.expires_at,
            title=self.title or None,
            tags=tuple(self.tags),
            reuse=self.reuse,
            utm=self.utm.to_utm() if self.utm is not None else None,
        )


class BulkCreateRequest(BaseModel):
    """Body of ``POST /v1/links/bulk``: up to 100 links, each created (or refused) on its own."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)

    links: Annotated[list[dict[str, object]], Field(min_length=1, max_length=MAX_BULK_ITEMS)]


class LinkResponse(BaseModel):
    """A link as its owner (or an admin) sees it."""

    model_config = ConfigDict(defer_build=True)

    code: str
    domain: str
    short_url: str
    url: str  # as the owner gave it
    utm: UtmFields | None
    destination: str  # where visitors land: url with the utm parameters merged in (url without utm)
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
        return cls.model_validate(link_body(link, short_url, now))


class PublicLinkResponse(BaseModel):
    """A link as anyone may preview it: where it goes and whether it still does, nothing about who made it."""

    model_config = ConfigDict(defer_build=True)

    code: str
    domain: str
    short_url: str
    # Withheld once deleted or disabled: the link no longer vouches for its destination (an owner may disable a link
    # precisely because of where it led), and the redirect does not reveal it either. Where visitors land: with
    # UTM tagging, the tagged URL.
    url: str | None
    status: LinkStatus

    @classmethod
    def of(cls, link: Link, short_url: str, now: datetime) -> Self:
        return cls.model_validate(public_link_body(link, short_url, now))
