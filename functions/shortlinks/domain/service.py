"""What the service does: create and manage links. Plain values in, domain objects out.

Resolving a code (redirect, expand) lives in domain/resolve.py so the redirect function imports only that.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shortlinks.domain.access import Principal
from shortlinks.domain.codes import check_alias, generate_code, is_reserved
from shortlinks.domain.errors import (
    CodeSpaceExhausted,
    CodeTaken,
    Forbidden,
    InvalidExpiry,
    LinkDeleted,
    LinkNotFound,
    VersionMismatch,
)
from shortlinks.domain.links import HistoryEntry, Link, Utm, check_tags
from shortlinks.domain.repository import LinkPage, LinkQuery, LinkRepository
from shortlinks.domain.resolve import resolve_link, resolve_target
from shortlinks.domain.target import DEFAULT_REDIRECT_TYPE, REDIRECT_TYPES, LinkState, LinkStatus, Target
from shortlinks.domain.urls import normalise_destination
from shortlinks.domain.utm import check_utm, tagged_destination

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
    tags: tuple[str, ...] = ()
    reuse: bool = False
    utm: Utm | None = None


@dataclass(frozen=True, slots=True)
class LinkChanges:
    """A PATCH: only the fields given change. ``clear_expiry`` removes an expiry (``expires_at: null``)."""

    url: str | None = None
    title: str | None = None
    clear_title: bool = False
    tags: tuple[str, ...] | None = None
    expires_at: datetime | None = None
    clear_expiry: bool = False
    redirect_type: int | None = None
    forward_query: bool | None = None
    disabled: bool | None = None
    utm: Utm | None = None  # replaces the tagging whole
    clear_utm: bool = False  # ``utm: null``: no tagging any more


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        return
    if expires_at.tzinfo is None:
        raise InvalidExpiry("expires_at must carry a time zone, e.g. 2026-12-31T23:59:59Z")
    if expires_at <= now:
        raise InvalidExpiry("expires_at must be in the future")
    if expires_at - now > MAX_EXPIRY:
        raise InvalidExpiry("expires_at must be within 100 years")


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
    admit: Callable[[], None] | None = None,
) -> Link:
    """Create a link on ``domain`` (or, with ``reuse``, return the owner's active link to the same URL).

    A custom alias that is taken fails with ``CodeTaken``; a generated code that is taken is drawn again, up
    to ``MAX_GENERATION_ATTEMPTS`` times. Nothing is written unless every rule passes. ``admit`` (the caller's
    rate limit) runs after the rules and before the first write, so a refused request costs the caller nothing.
    """
    url = normalise_destination(request.url, own_hosts=own_hosts)
    if request.redirect_type not in REDIRECT_TYPES:
        raise ValueError(f"unsupported redirect type {request.redirect_type}")  # the boundary already refused it
    _check_expiry(request.expires_at, now)
    tags = check_tags(request.tags)
    alias = check_alias(request.alias) if request.alias is not None else None
    utm = check_utm(request.utm)
    tagged_url = tagged_destination(url, utm, own_hosts=own_hosts)
    if request.reuse and owner is not None and alias is None:
        for existing in repository.find_by_url(owner, domain, url, utm):
            if existing.status(now) is LinkStatus.ACTIVE:
                return existing
    if admit is not None:
        admit()
    target = Target(
        url=url,
        redirect_type=request.redirect_type,
        forward_query=request.forward_query,
        expires_at=request.expires_at,
        tagged_url=tagged_url,
    )

    def link_with(code: str) -> Link:
        return Link(
            domain=domain,
            code=code,
            target=target,
            created_at=now,
            title=request.title,
            owner=owner,
            tags=tags,
            utm=utm,
        )

    if alias is not None:
        link = link_with(alias)
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


def managed_link(
    repository: LinkRepository, principal: Principal, domain: str, code: str, *, consistent: bool = False
) -> Link:
    """A link the caller may manage. Another owner's link is ``LinkNotFound``: existence is not confirmed."""
    link = resolve_link(repository, domain, code, consistent=consistent)
    if not principal.may_manage(link.owner):
        raise LinkNotFound.for_code(code)
    return link


def update_link(
    repository: LinkRepository,
    principal: Principal,
    domain: str,
    code: str,
    changes: LinkChanges,
    *,
    own_hosts: Collection[str],
    now: datetime,
    expected_version: int | None = None,
) -> Link:
    """Apply ``changes`` with optimistic concurrency; a destination change is recorded in the history.

    The destination is where visitors land: a new ``url`` or new UTM tagging that changes it is a destination
    change (the history holds the tagged URLs, before and after).

    ``expected_version`` (from ``If-Match``) must match the stored version; without it, the version read here
    is expected, so two concurrent edits cannot both win: the loser gets ``EditConflict``.
    """
    # Strongly consistent: an edit sent right after another must see it (no spurious 409 or 412).
    link = managed_link(repository, principal, domain, code, consistent=True)
    if link.target.state is LinkState.DELETED:
        raise LinkDeleted.for_code(code)
    if expected_version is not None and expected_version != link.version:
        raise VersionMismatch.on(code)
    if changes == LinkChanges():
        return link  # nothing asked to change: no write, no new version
    target = link.target
    history = None
    utm = None if changes.clear_utm else check_utm(changes.utm) if changes.utm is not None else link.utm
    if changes.url is not None or utm != link.utm:
        url = normalise_destination(changes.url, own_hosts=own_hosts) if changes.url is not None else target.url
        target = replace(target, url=url, tagged_url=tagged_destination(url, utm, own_hosts=own_hosts))
        if target.destination != link.target.destination:
            history = HistoryEntry(now, principal.key_id, link.target.destination, target.destination, link.version + 1)
    if changes.clear_expiry:
        target = replace(target, expires_at=None)
    elif changes.expires_at is not None:
        _check_expiry(changes.expires_at, now)
        target = replace(target, expires_at=changes.expires_at)
    if changes.redirect_type is not None:
        if changes.redirect_type not in REDIRECT_TYPES:
            raise ValueError(f"unsupported redirect type {changes.redirect_type}")
        target = replace(target, redirect_type=changes.redirect_type)
    if changes.forward_query is not None:
        target = replace(target, forward_query=changes.forward_query)
    if changes.disabled is not None:
        target = replace(target, state=LinkState.DISABLED if changes.disabled else LinkState.ACTIVE)
    title = None if changes.clear_title else changes.title if changes.title is not None else link.title
    tags = check_tags(changes.tags) if changes.tags is not None else link.tags
    updated = replace(link, target=target, title=title, tags=tags, utm=utm, version=link.version + 1, updated_at=now)
    repository.replace(updated, link.version, history)
    return updated


def delete_link(repository: LinkRepository, principal: Principal, domain: str, code: str, *, now: datetime) -> None:
    """Leave a tombstone: the link answers 410 from now on and its code is never handed out again."""
    link = managed_link(repository, principal, domain, code, consistent=True)
    if link.target.state is LinkState.DELETED:
        return  # deleting twice is the same as deleting once
    tombstone = replace(
        link,
        target=replace(link.target, state=LinkState.DELETED),
        version=link.version + 1,
        updated_at=now,
    )
    repository.replace(tombstone, link.version)


def link_history(repository: LinkRepository, principal: Principal, domain: str, code: str) -> list[HistoryEntry]:
    managed_link(repository, principal, domain, code)
    return repository.history(domain, code)


def list_links(
    repository: LinkRepository,
    principal: Principal,
    *,
    owner: str | None,
    limit: int,
    cursor: str | None,
    tag: str | None,
    status: LinkStatus | None,
    now: datetime,
    domain: Callable[[], str],
) -> LinkPage:
    """The caller's links, newest first. Admins may list another key's links, or every link on a domain
    (``owner="*"``; ``domain`` names it, and is asked only then)."""
    if owner is None:
        owner = principal.key_id
    if owner != principal.key_id and not principal.is_admin:
        raise Forbidden.admins_only()
    everyones = owner == "*"
    return repository.find(
        LinkQuery(
            owner=None if everyones else owner,
            domain=domain() if everyones else None,
            limit=limit,
            cursor=cursor,
            tag=tag,
            status=status,
            now=now,
        )
    )


__all__ = ["resolve_link", "resolve_target"]  # re-exported: one resolver, several presentations
