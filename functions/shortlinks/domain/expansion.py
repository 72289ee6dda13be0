"""Following any short link hop by hop: the rules about hops, stops and what a page may redirect to.

Pure Python. How a hop is fetched (the address guard, the HTTP client) is an adapter behind ``Fetcher``; how one of
our own links is resolved is ``OurLinks`` (the table, without HTTP). ``follow`` applies the rules:

* a ``3xx`` with ``Location`` is an ``http`` hop; an HTML ``<meta http-equiv="refresh">`` is a ``meta-refresh``
  hop; both are followed. A script redirect (``location.href = "…"``) is recognised and reported as a
  ``javascript`` hop, never followed (running page scripts is not ours to do).
* the chain stops early, saying why (``StopReason``): a URL seen before (``loop``), more than ``max_hops`` hops, the
  fetcher's refusals (blocked address or port, timeout, too large, connection failed), a ``Location`` that is not a
  valid URL or not http(s), or the whole expansion's time running out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urljoin

from shortlinks.domain.errors import InvalidUrl, StorageUnavailable, UnsupportedScheme
from shortlinks.domain.urls import normalise_destination

MAX_HOPS = 10
MAX_EXPANSION_SECONDS = 10.0


class StopReason(StrEnum):
    LOOP = "loop"
    TOO_MANY_HOPS = "too_many_hops"
    BLOCKED_ADDRESS = "blocked_address"
    BLOCKED_PORT = "blocked_port"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    CONNECTION_FAILED = "connection_failed"
    INVALID_LOCATION = "invalid_location"
    NOT_HTTP = "not_http"


class HopKind(StrEnum):
    HTTP = "http"
    META_REFRESH = "meta-refresh"
    JAVASCRIPT = "javascript"
    FINAL = "final"
    OURS = "ours"


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    status: int | None
    location: str | None
    kind: HopKind
    ms: int


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one request answered: its status, its raw ``Location`` header, and the start of an HTML body (only
    read to look for a meta refresh or a script redirect; never returned to callers)."""

    status: int
    location: str | None = None
    html: str | None = None


class FetchRefused(Exception):
    """The fetcher did not get an answer: why, as a ``StopReason``."""

    def __init__(self, reason: StopReason, detail: str = "") -> None:
        super().__init__(detail or reason.value)
        self.reason = reason


class Fetcher(Protocol):
    def fetch(self, url: str, timeout: float) -> Fetched:
        """One request to ``url`` (no redirects followed), within ``timeout`` seconds; ``FetchRefused`` otherwise."""


@dataclass(frozen=True, slots=True)
class OurHop:
    """One of our own links, resolved from the table: its redirect status and destination (``None``: a miss)."""

    status: int
    location: str | None


OurLinks = Callable[[str], OurHop | None]  # None: the URL is not on one of our short domains


@dataclass(frozen=True, slots=True)
class Expansion:
    url: str
    final_url: str
    final_status: int | None
    hops: tuple[Hop, ...]
    stopped: StopReason | None = None

    @property
    def completed(self) -> bool:
        """The chain reached a page (or one of our links' end), rather than stopping early."""
        return self.stopped is None


@dataclass
class _Chain:
    start: str
    hops: list[Hop] = field(default_factory=list)

    def done(self, final_url: str, final_status: int | None, stopped: StopReason | None = None) -> Expansion:
        return Expansion(self.start, final_url, final_status, tuple(self.hops), stopped)


def follow(
    url: str,
    fetcher: Fetcher,
    ours: OurLinks,
    *,
    max_hops: int = MAX_HOPS,
    max_seconds: float = MAX_EXPANSION_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Expansion:
    """Follow ``url`` (already normalised) until a page answers, or a rule stops the chain."""
    deadline = clock() + max_seconds
    chain = _Chain(url)
    seen: set[str] = set()
    current, status = url, None
    while True:
        if current in seen:
            return chain.done(current, status, StopReason.LOOP)
        if len(chain.hops) >= max_hops:
            return chain.done(current, status, StopReason.TOO_MANY_HOPS)
        seen.add(current)
        our = ours(current)
        if our is not None:
            chain.hops.append(Hop(current, our.status, our.location, HopKind.OURS, 0))
            if our.location is None:
                return chain.done(current, our.status)
            current, status = our.location, our.status
            continue
        remaining = deadline - clock()
        if remaining <= 0:
            return chain.done(current, status, StopReason.TIMEOUT)
        started = clock()
        try:
            fetched = fetcher.fetch(current, remaining)
        except FetchRefused as refused:
            return chain.done(current, status, refused.reason)
        ms = max(0, round((clock() - started) * 1000))
        status = fetched.status
        next_url, kind = _next(current, fetched)
        if kind is None:
            chain.hops.append(Hop(current, status, None, HopKind.FINAL, ms))
            return chain.done(current, status)
        if kind is HopKind.JAVASCRIPT:
            chain.hops.append(Hop(current, status, next_url, kind, ms))
            return chain.done(current, status)
        try:
            resolved = _hop_target(current, next_url or "")
        except UnsupportedScheme:
            chain.hops.append(Hop(current, status, next_url, kind, ms))
            return chain.done(current, status, StopReason.NOT_HTTP)
        except InvalidUrl:
            chain.hops.append(Hop(current, status, next_url, kind, ms))
            return chain.done(current, status, StopReason.INVALID_LOCATION)
        chain.hops.append(Hop(current, status, resolved, kind, ms))
        current = resolved


def _next(current: str, fetched: Fetched) -> tuple[str | None, HopKind | None]:
    """Where a response points next, and how: a ``Location`` on a 3xx, else a meta refresh or a script redirect."""
    if 300 <= fetched.status < 400 and fetched.location:
        return fetched.location, HopKind.HTTP
    if fetched.html:
        refresh = meta_refresh_target(fetched.html)
        if refresh is not None:
            return refresh, HopKind.META_REFRESH
        script = script_redirect_target(fetched.html)
        if script is not None:
            return urljoin(current, script), HopKind.JAVASCRIPT
    return None, None


def _hop_target(current: str, location: str) -> str:
    """``location`` resolved against ``current`` and held to the destination rules (http(s), no credentials, …)."""
    stripped = location.strip()
    if not stripped:
        raise InvalidUrl("empty Location")
    try:
        absolute = urljoin(current, stripped)
    except ValueError:
        raise InvalidUrl("Location cannot be parsed") from None
    return normalise_destination(absolute)


class _MetaRefreshFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.content: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta" or self.content is not None:
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if values.get("http-equiv", "").strip().lower() == "refresh" and "content" in values:
            self.content = values["content"]


# content="5; url='https://example.org/'" (also "0;URL=…", "0, url=…", or a bare URL after the delay).
_REFRESH_CONTENT = re.compile(r"^\s*\d*(?:\.\d*)?\s*[;,]?\s*(?:url\s*=\s*)?(?P<url>.*?)\s*$", re.IGNORECASE | re.DOTALL)


def meta_refresh_target(html: str) -> str | None:
    """The URL of the first ``<meta http-equiv="refresh">`` in ``html`` (relative as written), or ``None``."""
    finder = _MetaRefreshFinder()
    try:
        finder.feed(html)
        finder.close()
    except (AssertionError, ValueError):  # HTMLParser on hostile markup
        pass
    if finder.content is None:
        return None
    match = _REFRESH_CONTENT.match(finder.content)
    target = (match.group("url") if match else "").strip()
    if len(target) >= 2 and target[0] == target[-1] and target[0] in "'\"":
        target = target[1:-1].strip()
    return target or None


_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_SCRIPT_REDIRECT = re.compile(
    r"""(?:\b(?:window|document|self|top)\s*\.\s*)?\blocation\s*(?:\.\s*href\s*)?=\s*(?P<q1>["'])(?P<a>[^"'\\]{1,2048})(?P=q1)"""
    r"""|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*(?P<q2>["'])(?P<b>[^"'\\]{1,2048})(?P=q2)\s*\)""",
    re.IGNORECASE,
)


def script_redirect_target(html: str) -> str | None:
    """The literal URL a page's inline script sends the browser to (``location.href = "…"``,
    ``location.replace("…")``), or ``None``. Recognised only: never run."""
    for script in _SCRIPT.finditer(html):
        found = _SCRIPT_REDIRECT.search(script.group("body"))
        if found:
            return found.group("a") or found.group("b")
    return None


@dataclass(frozen=True, slots=True)
class CheckedExpansion:
    """An expansion and when it was made; ``cached``: it was read from the cache rather than made now."""

    expansion: Expansion
    checked_at: datetime
    cached: bool = False


class ExpansionCache(Protocol):
    def get(self, url: str, now: datetime) -> CheckedExpansion | None:
        """The expansion of ``url`` still fresh at ``now`` (``cached=True``), or ``None``."""

    def put(self, checked: CheckedExpansion, ttl_seconds: int) -> None:
        """Keep ``checked`` for ``ttl_seconds``."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    completed_seconds: int = 24 * 3600  # a chain that reached a page
    failed_seconds: int = 600  # a chain that stopped early: worth trying again soon

    def ttl(self, expansion: Expansion) -> int:
        return self.completed_seconds if expansion.completed else self.failed_seconds


def expand_url(
    url: str,
    *,
    fetcher: Callable[[], Fetcher],
    ours: OurLinks,
    cache: ExpansionCache,
    now: datetime,
    refresh: bool = False,
    max_seconds: float = MAX_EXPANSION_SECONDS,
    policy: CachePolicy = CachePolicy(),
) -> CheckedExpansion:
    """Where ``url`` (normalised) leads: from the cache unless ``refresh``, else followed now and cached.

    ``fetcher`` is called only when the chain must be followed, so the HTTP client is built (and imported) only
    then. A cache that cannot be written does not fail the answer: the caller still learns where the link leads.
    """
    if not refresh:
        cached = cache.get(url, now)
        if cached is not None:
            return replace(cached, cached=True)
    expansion = follow(url, fetcher(), ours, max_seconds=min(max_seconds, MAX_EXPANSION_SECONDS))
    checked = CheckedExpansion(expansion, now)
    # A cache that cannot be written costs the next caller a fresh chain, not this caller the answer.
    with suppress(StorageUnavailable):
        cache.put(checked, policy.ttl(expansion))
    return checked
