"""The storage port: what the domain needs from wherever links are kept."""

from __future__ import annotations

from typing import Protocol

from shortlinks.domain.links import Link, Target


class LinkRepository(Protocol):
    def add(self, link: Link) -> None:
        """Store a new link; raise ``CodeTaken`` when ``(domain, code)`` already exists. Atomic."""

    def get(self, domain: str, code: str) -> Link | None:
        """The whole link, or ``None``."""

    def get_target(self, domain: str, code: str) -> Target | None:
        """Only what a redirect needs, in one read, or ``None``."""
