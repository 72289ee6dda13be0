"""Click records: what the redirect wrote, what kind of request each one was, and how it adds to a ``Rollup``.

Pure Python. The user-agent packages (``crawlerdetect`` for bots, ``ua-parser`` for device, browser and OS) are
imported inside the functions that use them, on the aggregator's first classification, so importing this module
costs neither (the redirect never imports it at all).

A record is one of:

* ``miss``: a ``404`` or ``410``, whatever asked (counted per domain only);
* ``preview``: a ``3xx`` to a ``HEAD`` request or to a known link-preview agent (Slackbot, Twitterbot, ...);
* ``bot``: a ``3xx`` to a ``GET`` from an agent CrawlerDetect knows, or with no user agent at all;
* ``human``: any other ``3xx`` to a ``GET``;
* ``ignored``: the rest (``503``, a domain's root, another method), counted nowhere.

Previews are looked for before bots: most preview agents are in CrawlerDetect's patterns too.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from shortlinks.domain import click_format as wire
from shortlinks.domain.rollups import BucketCounts, BucketKey, Granularity, LinkOwners, Rollup, Scope, ScopeKind

if TYPE_CHECKING:
    from ua_parser import Result

# Bounds of a record the redirect writes (it truncates the code to 64 and the user agent to 256 characters). A line
# outside them did not come from the redirect, and is skipped rather than stored in keys and attribute names.
MAX_RECORD_LENGTH = 4096
MAX_CODE_LENGTH = 64
MAX_DOMAIN_LENGTH = 253
MAX_METHOD_LENGTH = 16
MAX_USER_AGENT_LENGTH = 512  # as received; format 4's encoded agent too (256 "~" are written as 512)
MAX_REFERRER_LENGTH = 253  # a host name, as the redirect records it
MAX_COUNTRY_LENGTH = 64  # the header as it came; anything but two letters is ``unknown``
MAX_SOURCE_LENGTH = 16
_LATEST_TIMESTAMP = 253402300799.0  # 9999-12-31T23:59:59Z
_VISITOR = re.compile(r"[0-9a-f]{16}")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_SHORT_NAMES = {field: field for field in wire.FORMAT_1_NAMES}  # formats 2 to 4 use the short keys themselves
_EVENT_TIMED = (wire.FORMAT, wire.FORMAT_3)  # the formats whose time is the log event's

DIRECT = "(direct)"
# Where a click came from (the "sources" breakdown): a QR code's scan, or any other request (records written before
# the redirect named a source were not scans).
QR_SOURCE = "qr"
LINK_SOURCE = "link"
UNKNOWN = "unknown"
MISS_STATUSES = frozenset({404, 410})

# Agents that fetch a link to show its preview card, not a person following it. Matched case-insensitively
# anywhere in the user agent; each is specific enough not to match the in-app browsers of the same services
# ("[Pinterest/iOS]", "[FBAN/...]", "[LinkedInApp]", "Twitter for iPhone").
PREVIEW_AGENTS = (
    "Slackbot",  # Slackbot-LinkExpanding
    "Slack-ImgProxy",
    "Twitterbot",
    "facebookexternalhit",
    "Facebot",  # with facebookexternalhit and Twitterbot in iMessage's previews
    "WhatsApp/",  # also Signal's previews, which borrow WhatsApp's agent
    "Discordbot",
    "LinkedInBot",
    "TelegramBot",
    "Applebot",
    "SkypeUriPreview",  # Skype and Microsoft Teams
    "MicrosoftPreview",  # Outlook and Bing
    "Iframely",
    "Embedly",
    "redditbot",
    "Pinterestbot",
    "Pinterest/0.",
    "vkShare",
    "Google-PageRenderer",  # Google Chat and Docs
    "Snap URL Preview",
    "Bluesky Cardyb",
    "Mastodon/",
)
_PREVIEW = re.compile("|".join(re.escape(agent) for agent in PREVIEW_AGENTS), re.IGNORECASE)


class ClickKind(StrEnum):
    HUMAN = "human"
    BOT = "bot"
    PREVIEW = "preview"
    MISS = "miss"
    IGNORED = "ignored"


class DeviceType(StrEnum):
    MOBILE = "mobile"
    TABLET = "tablet"
    DESKTOP = "desktop"
    BOT = "bot"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ClickRecord:
    """One click record as the redirect wrote it (domain/click_format.py), its types checked."""

    ts: float  # epoch seconds, UTC: the log event's time (formats 4 and 3) or the record's own (formats 1, 2)
    method: str
    code: str  # "" for a domain's root
    domain: str
    status: int
    referrer_host: str | None
    user_agent: str | None
    country: str | None  # CloudFront-Viewer-Country as it came
    visitor: str | None = None  # 16 hex characters; None when the redirect had no daily secret
    source: str | None = None  # "qr" for a QR code's scan

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)


@dataclass(frozen=True, slots=True)
class ClassifiedClick:
    """What a click record counts as. The breakdowns (device to country) are filled in for clicks (human and bot)
    only, since they count clicks; previews, misses and ignored records leave them empty."""

    kind: ClickKind
    domain: str
    code: str
    at: datetime
    device: str = ""
    browser: str = ""
    os: str = ""
    referrer: str = ""
    country: str = ""
    visitor: str | None = None  # humans only
    source: str = ""

    @property
    def link(self) -> Scope:
        return Scope.link(self.domain, self.code)

    @property
    def is_click(self) -> bool:
        return self.kind in (ClickKind.HUMAN, ClickKind.BOT)

    @property
    def counts_on_link(self) -> bool:
        """Whether it adds to the link's own buckets (and so needs the link to exist)."""
        return self.kind in (ClickKind.HUMAN, ClickKind.BOT, ClickKind.PREVIEW)


def parse_click(message: str, event_ms: object = None) -> ClickRecord | None:
    """The click record in one log event (domain/click_format.py: format 4, or 3, 2 or 1 as written before), or
    ``None`` when the line is not one: not JSON, not a click record, a field of the wrong type (a boolean is not a
    status), out of bounds, or a visitor id that is not 16 lowercase hex characters. Unknown fields are ignored, so
    the redirect may add some.

    ``event_ms`` is the log event's ``timestamp`` as CloudWatch Logs delivered it (ms since the epoch): a format 4
    or 3 record's time, checked like its fields (without it, such a record is not a click). Formats 1 and 2 carry
    their own time, to the same millisecond. A format 4 record's user agent comes back as the redirect received it
    (``click_format.decode_agent``), so it is classified exactly as the same format 3 record."""
    if len(message) > MAX_RECORD_LENGTH:
        return None
    try:
        data = json.loads(message)
    except ValueError:  # not JSON (JSONDecodeError is a ValueError)
        return None
    if not isinstance(data, dict):
        return None
    marker = data.get(wire.MARKER)
    marker = marker if type(marker) is int else None  # a boolean is not a format
    name: Mapping[str, str] = _SHORT_NAMES
    try:
        if marker in _EVENT_TIMED:
            ts = _event_time(event_ms)
        elif marker == wire.FORMAT_2:
            ts = _timestamp(data.get(wire.TIMESTAMP))
        elif data.get("record") == "click":
            name = wire.FORMAT_1_NAMES
            ts = _timestamp(data.get(name[wire.TIMESTAMP]))
        else:
            return None
        implied_get = marker in _EVENT_TIMED and wire.METHOD not in data  # formats 3 and 4 leave GET out
        return ClickRecord(
            ts=ts,
            method=wire.DEFAULT_METHOD if implied_get else _required(data, name[wire.METHOD], MAX_METHOD_LENGTH),
            code=_required(data, name[wire.CODE], MAX_CODE_LENGTH),
            domain=_required(data, name[wire.DOMAIN], MAX_DOMAIN_LENGTH, empty=False),
            status=_status(data.get(name[wire.STATUS])),
            referrer_host=_optional(data, name[wire.REFERRER_HOST], MAX_REFERRER_LENGTH),
            user_agent=_user_agent(data, name[wire.USER_AGENT], encoded=marker == wire.FORMAT),
            country=_optional(data, name[wire.COUNTRY], MAX_COUNTRY_LENGTH),
            visitor=_visitor(data.get(name[wire.VISITOR])),
            source=_optional(data, name[wire.SOURCE], MAX_SOURCE_LENGTH),
        )
    except _NotAClick:
        return None


def classify(record: ClickRecord) -> ClassifiedClick:
    """What ``record`` counts as (the module docstring has the rules), with its breakdown values when it is a
    click: device type, browser and OS family from the user agent, the referrer host or ``(direct)``, the country
    or ``unknown``; and its visitor id when it is a human's."""
    at = record.at
    if not record.code:  # a domain's root (or its 404): not a link
        return ClassifiedClick(ClickKind.IGNORED, record.domain, record.code, at)
    if record.status in MISS_STATUSES:
        return ClassifiedClick(ClickKind.MISS, record.domain, record.code, at)
    if not 300 <= record.status <= 399:
        return ClassifiedClick(ClickKind.IGNORED, record.domain, record.code, at)
    agent = (record.user_agent or "").strip()
    if record.method == "HEAD" or (agent and _PREVIEW.search(agent)):
        return ClassifiedClick(ClickKind.PREVIEW, record.domain, record.code, at)
    if record.method != "GET":
        return ClassifiedClick(ClickKind.IGNORED, record.domain, record.code, at)
    kind = ClickKind.BOT if not agent or _is_crawler(agent) else ClickKind.HUMAN
    device, browser, os = _agent_parts(agent, is_bot=kind is ClickKind.BOT)
    return ClassifiedClick(
        kind,
        record.domain,
        record.code,
        at,
        device=device,
        browser=browser,
        os=os,
        referrer=(record.referrer_host or "").strip().lower().rstrip(".") or DIRECT,
        country=record.country.upper() if record.country and _COUNTRY.fullmatch(record.country) else UNKNOWN,
        visitor=record.visitor if kind is ClickKind.HUMAN else None,
        source=QR_SOURCE if record.source == QR_SOURCE else LINK_SOURCE,
    )


def add_to_rollup(rollup: Rollup, click: ClassifiedClick, owner: str | None) -> None:
    """Add one classified record to ``rollup`` (domain/rollups.py describes the buckets).

    Human, bot and preview records count on the link (its hour and day buckets; human and bot clicks also in the
    day's breakdowns and the link's all-time total, human visitors' ids in the day), on its owner's day when
    ``owner`` is a key id (with the clicks per link), and on the domain's day. A miss counts on the domain's day
    only; an ignored record nowhere.
    """
    if click.kind is ClickKind.IGNORED:
        return
    day = BucketKey.day_of(click.at)
    domain_day = rollup.bucket(BucketKey(Scope.of_domain(click.domain), Granularity.DAY, day))
    if click.kind is ClickKind.MISS:
        domain_day.misses += 1
        return
    link = click.link
    link_day = rollup.bucket(BucketKey(link, Granularity.DAY, day))
    owner_day = rollup.bucket(BucketKey(Scope.of_owner(owner), Granularity.DAY, day)) if owner else None
    for counts in (rollup.bucket(BucketKey(link, Granularity.HOUR, BucketKey.hour_of(click.at))), link_day, domain_day):
        _count(counts, click.kind)
    if owner_day is not None:
        _count(owner_day, click.kind)
    if not click.is_click:
        return
    _count(rollup.bucket(BucketKey(link, Granularity.TOTAL)), click.kind)
    if owner_day is not None:
        owner_day.links[f"{click.domain}/{click.code}"] += 1
    for breakdown, value in (
        ("referrers", click.referrer),
        ("countries", click.country),
        ("devices", click.device),
        ("browsers", click.browser),
        ("os", click.os),
        ("sources", click.source),
    ):
        link_day.breakdowns.setdefault(breakdown, Counter())[value] += 1
    if click.visitor is not None:
        link_day.visitors.add(click.visitor)


def count_clicks(log_events: Iterable[tuple[str, object]], owners: LinkOwners) -> Rollup:
    """The rollup of one batch of log events, each a ``(message, timestamp in ms)`` pair as CloudWatch Logs
    delivers it: each parsed (a line that is not a click record adds to ``skipped``), classified, and added with its
    link's owner, read for all the batch's links at once.

    A redirect (or preview) of a link that is not in the table was a domain's ``not_found_url`` answering an
    unknown code (or a link removed since): it counts as a miss, so unknown codes never get buckets of their own.
    """
    rollup = Rollup()
    classified: list[ClassifiedClick] = []
    for message, event_ms in log_events:
        record = parse_click(message, event_ms)
        if record is None:
            rollup.skipped += 1
            continue
        classified.append(classify(record))
    links = {click.link for click in classified if click.counts_on_link}
    found: Mapping[Scope, str | None] = owners.owners(sorted(links)) if links else {}
    for click in classified:
        if click.counts_on_link and click.link not in found:
            add_to_rollup(rollup, replace(click, kind=ClickKind.MISS), None)
        else:
            add_to_rollup(rollup, click, found.get(click.link) if click.counts_on_link else None)
    return rollup


def load_agent_rules() -> None:
    """Import both user-agent packages and build their matchers now (about 0.2 s), so the aggregator pays for it
    at cold start rather than in its first batch's time budget."""
    _is_crawler("Mozilla/5.0")
    _parse_agent("Mozilla/5.0")


def batch_totals(rollup: Rollup) -> BucketCounts:
    """The batch's human, bot, preview and miss counts (every counted record is on exactly one domain day)."""
    totals = BucketCounts()
    for key, counts in rollup.buckets.items():
        if key.scope.kind is ScopeKind.DOMAIN:
            totals.human += counts.human
            totals.bots += counts.bots
            totals.previews += counts.previews
            totals.misses += counts.misses
    return totals


# --- helpers ------------------------------------------------------------------------------------------------------


class _NotAClick(Exception):
    """A field of a record is not what the redirect writes."""


def _event_time(event_ms: object) -> float:
    """A log event's ``timestamp`` (ms) in epoch seconds."""
    if isinstance(event_ms, bool) or not isinstance(event_ms, int | float):
        raise _NotAClick
    return _timestamp(event_ms / 1000)


def _timestamp(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _NotAClick
    if not 0 <= value <= _LATEST_TIMESTAMP:
        raise _NotAClick
    return float(value)


def _status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise _NotAClick
    return value


def _required(data: dict[str, Any], name: str, limit: int, *, empty: bool = True) -> str:
    value = data.get(name)
    if not isinstance(value, str) or len(value) > limit or not (empty or value):
        raise _NotAClick
    return value


def _optional(data: dict[str, Any], name: str, limit: int) -> str | None:
    """The field's string, ``None`` when absent, null or empty."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _NotAClick
    return value or None


def _user_agent(data: dict[str, Any], name: str, *, encoded: bool) -> str | None:
    """The user agent as the redirect received it: format 4's decoded, within the bound both as written and as
    decoded."""
    agent = _optional(data, name, MAX_USER_AGENT_LENGTH)
    if agent is None or not encoded:
        return agent
    decoded = wire.decode_agent(agent)
    if len(decoded) > MAX_USER_AGENT_LENGTH:
        raise _NotAClick
    return decoded


def _visitor(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _VISITOR.fullmatch(value):
        raise _NotAClick
    return value


def _count(counts: BucketCounts, kind: ClickKind) -> None:
    if kind is ClickKind.HUMAN:
        counts.human += 1
    elif kind is ClickKind.BOT:
        counts.bots += 1
    elif kind is ClickKind.PREVIEW:
        counts.previews += 1


@cache
def _crawler_detector() -> Any:
    """One CrawlerDetect per container: it compiles its patterns on first use and caches its answers."""
    from crawlerdetect import CrawlerDetect  # type: ignore[import-untyped]  # the package has no py.typed

    return CrawlerDetect()


def _is_crawler(agent: str) -> bool:
    return bool(_crawler_detector().is_crawler(agent))


# ua-parser's OS families (uap-core's regexes.yaml) that run on desktop and laptop computers.
_DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Mac OS",
        "Linux",
        "Ubuntu",
        "Kubuntu",
        "Debian",
        "Fedora",
        "Red Hat",
        "CentOS",
        "Gentoo",
        "Mint",
        "Linux Mint",
        "Arch Linux",
        "openSUSE",
        "SUSE",
        "Chrome OS",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
    }
)
_MOBILE_OS = frozenset(
    {"iOS", "Android", "Windows Phone", "Windows Mobile", "BlackBerry OS", "Firefox OS", "KaiOS", "Symbian OS"}
)
_TABLET_HINTS = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook", re.IGNORECASE)


def _agent_parts(agent: str, *, is_bot: bool) -> tuple[str, str, str]:
    """Device type, browser family and OS family of a user agent (``unknown`` for what ua-parser cannot tell)."""
    if not agent:
        return DeviceType.BOT, UNKNOWN, UNKNOWN
    parsed = _parse_agent(agent)
    browser = _family(parsed.user_agent.family if parsed.user_agent else None)
    os = _family(parsed.os.family if parsed.os else None)
    device_family = parsed.device.family if parsed.device else ""
    if is_bot:
        return DeviceType.BOT, browser, os
    return _device_type(agent, os, device_family), browser, os


def _device_type(agent: str, os: str, device_family: str) -> DeviceType:
    if device_family == "iPad" or _TABLET_HINTS.search(agent):
        return DeviceType.TABLET
    if os == "Android" and "Mobi" not in agent:  # Android tablets leave "Mobile" out (Chrome's convention)
        return DeviceType.TABLET
    if "Mobi" in agent or os in _MOBILE_OS:
        return DeviceType.MOBILE
    if os in _DESKTOP_OS:
        return DeviceType.DESKTOP
    return DeviceType.OTHER


def _family(name: str | None) -> str:
    return name if name and name != "Other" else UNKNOWN


def _parse_agent(agent: str) -> Result:
    import ua_parser  # the global parser: uap-core's rules, built on first use, with an LRU cache

    return ua_parser.parse(agent)
