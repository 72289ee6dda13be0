"""What the service does: create links and resolve codes. Plain values in, domain objects out."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from shortlinks.domain.codes import check_alias, generate_code, is_reserved, looks_like_code
from shortlinks.domain.errors import CodeSpaceExhausted, CodeTaken, InvalidExpiry, LinkNotFound
from shortlinks.domain.links import DEFAULT_REDIRECT_TYPE, REDIRECT_TYPES, Link, Target
from shortlinks.domain.repository import LinkRepository
from shortlinks.domain.urls import normalise_destination

MAX_GENERATION_ATTEMPTS = 5
MAX_EXPIRY = timedelta(days=365 * 100)


@dataclass(frozen=True, slots=True)
class NewLink:
    """A caller's request for a link, already shaped (types and lengths) at the boundary."""

    url: str
    alias: str | None = None
    redirect_type: int = DEFAULT_REDIRECT_TYPE
    forward_query: bool = True
    expires_at: datetime | None = None
    title: str | None = None


def create_link(
    repository: LinkRepository,
    request: NewLink,
    *,
    domain: str,
    own_hosts: Collection[str],
    code_length: int,
    now: datetime,
    owner: str | None = None,
    new_code: Callable[[int], str] = generate_code,
) -> Link:
    """Create a link on ``domain``.

    A custom alias that is taken fails with ``CodeTaken``; a generated code that is taken is drawn again, up
    to ``MAX_GENERATION_ATTEMPTS`` times. Nothing is written unless every rule passes.
    """
    url = normalise_destination(request.url, own_hosts=own_hosts)
    if request.redirect_type not in REDIRECT_TYPES:
        raise ValueError(f"unsupported redirect type {request.redirect_type}")  # the boundary already refused it
    if request.expires_at is not None:
        if request.expires_at.tzinfo is None:
            raise InvalidExpiry("expires_at must carry a time zone, e.g. 2026-12-31T23:59:59Z")
        if request.expires_at <= now:
            raise InvalidExpiry("expires_at must be in the future")
        if request.expires_at - now > MAX_EXPIRY:
            raise InvalidExpiry("expires_at must be within 100 years")
    target = Target(
        url=url,
        redirect_type=request.redirect_type,
        forward_query=request.forward_query,
        expires_at=request.expires_at,
    )

    def link_with(code: str) -> Link:
        return Link(domain=domain, code=code, target=target, created_at=now, title=request.title, owner=owner)

    if request.alias is not None:
        link = link_with(check_alias(request.alias))
        repository.add(link)  # CodeTaken propagates: a custom alias is never silently replaced
        return link
    for _ in range(MAX_GENERATION_ATTEMPTS):
        code = new_code(code_length)
        if is_reserved(code):
            continue
        link = link_with(code)
        try:
            repository.add(link)
        except CodeTaken:
            continue
        return link
    raise CodeSpaceExhausted.after(MAX_GENERATION_ATTEMPTS)


def resolve_link(repository: LinkRepository, domain: str, code: str) -> Link:
    """The link ``code`` names on ``domain``, whatever its status; ``LinkNotFound`` otherwise."""
    link = repository.get(domain, code) if looks_like_code(code) else None
    if link is None:
        raise LinkNotFound.for_code(code)
    return link


def resolve_target(repository: LinkRepository, domain: str, code: str, now: datetime) -> Target:
    """Where ``code`` on ``domain`` leads at ``now``: one read. ``LinkNotFound`` or ``LinkExpired`` otherwise."""
    target = repository.get_target(domain, code) if looks_like_code(code) else None
    if target is None:
        raise LinkNotFound.for_code(code)
    return target.ensure_live(code, now)
