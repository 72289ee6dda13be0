"""An in-memory ``LinkRepository`` for unit tests (cosmicpython's FakeRepository)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shortlinks.domain.errors import CodeTaken
from shortlinks.domain.links import Link, Target

if TYPE_CHECKING:
    from shortlinks.domain.repository import LinkRepository


class FakeRepository:
    """Keeps links in a dict and remembers every call, so a test can prove what was (not) read or written."""

    def __init__(self, links: Iterable[Link] = ()) -> None:
        self._links: dict[tuple[str, str], Link] = {(link.domain, link.code): link for link in links}
        self.calls: list[tuple[str, str, str]] = []  # (method, domain, code), in call order

    @property
    def links(self) -> list[Link]:
        return list(self._links.values())

    def add(self, link: Link) -> None:
        self.calls.append(("add", link.domain, link.code))
        key = (link.domain, link.code)
        if key in self._links:
            raise CodeTaken.alias(link.code)
        self._links[key] = link

    def get(self, domain: str, code: str) -> Link | None:
        self.calls.append(("get", domain, code))
        return self._links.get((domain, code))

    def get_target(self, domain: str, code: str) -> Target | None:
        self.calls.append(("get_target", domain, code))
        link = self._links.get((domain, code))
        return None if link is None else link.target


if TYPE_CHECKING:
    _conforms: LinkRepository = FakeRepository()  # mypy proves the fake keeps to the port
