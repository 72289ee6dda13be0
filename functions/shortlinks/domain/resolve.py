"""One resolver, several presentations: finding what a code names, for the redirect, expand and management.

Kept apart from domain/service.py so the redirect function's import graph stays this small.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from shortlinks.domain.codes import looks_like_code
from shortlinks.domain.errors import LinkNotFound
from shortlinks.domain.target import Target

if TYPE_CHECKING:  # the redirect resolves targets only: its cold start builds no Link class (domain/links.py)
    from shortlinks.domain.links import Link


class TargetSource(Protocol):
    def get_target(self, domain: str, code: str) -> Target | None:
        """Only what a redirect needs, in one read, or ``None``."""


class LinkSource(Protocol):
    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        """The whole link, or ``None``."""


def resolve_link(repository: LinkSource, domain: str, code: str, *, consistent: bool = False) -> Link:
    """The link ``code`` names on ``domain``, whatever its status; ``LinkNotFound`` otherwise."""
    link = repository.get(domain, code, consistent=consistent) if looks_like_code(code) else None
    if link is None:
        raise LinkNotFound.for_code(code)
    return link


def resolve_target(repository: TargetSource, domain: str, code: str, now: datetime) -> Target:
    """Where ``code`` on ``domain`` leads at ``now``: one read. ``LinkNotFound`` or ``LinkGone`` otherwise."""
    target = repository.get_target(domain, code) if looks_like_code(code) else None
    if target is None:
        raise LinkNotFound.for_code(code)
    return target.ensure_live(code, now)
