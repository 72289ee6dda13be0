"""Click statistics: the period a caller asks about, and what the rollups say about it. Pure Python.

Everything is read through the ``StatsSource`` port (domain/rollups.py): a link's statistics are one ``buckets``
call (the hour or day buckets of its range), an overview one call on the owner's or the domain's day buckets, and
the links listing's all-time clicks one ``total_clicks`` call per page.

A range is a whole number of buckets in UTC: ``start`` is the first bucket's start, ``end`` the last one's end
(exclusive). ``from`` is rounded down to its bucket; ``to`` names the last moment counted, so its bucket is the last
one (a date alone means its whole day).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shortlinks.domain.access import Principal
from shortlinks.domain.errors import Forbidden, InvalidRange
from shortlinks.domain.links import Link
from shortlinks.domain.repository import LinkRepository
from shortlinks.domain.rollups import BREAKDOWNS, BucketCounts, BucketKey, Granularity, Scope, StatsSource
from shortlinks.domain.service import managed_link

DEFAULT_SPAN = timedelta(days=7)
# Hour buckets are kept 35 days and day buckets two years (Retention): a range may not ask for more than that.
MAX_BUCKETS = {Granularity.HOUR: 35 * 24, Granularity.DAY: 731}
_LIMIT_TEXT = {Granularity.HOUR: "35 days", Granularity.DAY: "two years"}
STEP = {Granularity.HOUR: timedelta(hours=1), Granularity.DAY: timedelta(days=1)}
TOP_VALUES = 10  # a breakdown's values listed by name; the rest are summed up as OTHER
TOP_LINKS = 20
OTHER = "other"
EVERY_OWNER = "*"  # an admin's ``owner=*``: the domain-wide view, as the links listing spells "every owner"

# ISO 8601's calendar forms: a date, or a date and a time (minutes at least) with an optional offset. ASCII digits
# only. A space where the offset's sign belongs is a "+" that was not percent-encoded in the query string.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:[Zz]|[+\- ][0-9]{2}:?[0-9]{2})?"
)


@dataclass(frozen=True, slots=True)
class StatsRange:
    """A period in whole buckets of ``granularity`` (hour or day), in UTC: ``[start, end)``."""

    granularity: Granularity
    start: datetime
    end: datetime

    @property
    def step(self) -> timedelta:
        return STEP[self.granularity]

    def bucket_starts(self) -> list[datetime]:
        """Every bucket's start, oldest first."""
        count = (self.end - self.start) // self.step
        return [self.start + number * self.step for number in range(count)]

    def bucket_key(self, start: datetime) -> str:
        """How the rollups name the bucket starting at ``start`` (``BucketKey.start``)."""
        return BucketKey.hour_of(start) if self.granularity is Granularity.HOUR else BucketKey.day_of(start)


def parse_range(
    from_text: str | None,
    to_text: str | None,
    granularity_text: str | None,
    *,
    now: datetime,
    granularities: Sequence[Granularity] = (Granularity.HOUR, Granularity.DAY),
) -> StatsRange:
    """The range a caller's ``from``, ``to`` and ``granularity`` name; ``InvalidRange`` when they name none.

    Defaults: ``granularity`` day; ``to`` now; ``from`` seven days before ``to`` (seven day buckets, or 168 hour
    buckets, ending with ``to``'s). Dates and times without an offset are UTC. Hourly ranges cover at most 35 days,
    daily ones at most 731 days.
    """
    granularity = _granularity(granularity_text, granularities)
    step = STEP[granularity]
    try:
        last_moment = now if to_text is None else _moment(to_text, "to", end_of_day=True)
        last = _floor(last_moment, granularity)
        start = last - DEFAULT_SPAN + step if from_text is None else _floor(_moment(from_text, "from"), granularity)
        end = last + step
    except OverflowError:  # a range reaching past the calendar's ends (years 1 and 9999)
        raise InvalidRange.unreadable("to", to_text or "") from None
    if start > last:
        raise InvalidRange.backwards()
    if (end - start) // step > MAX_BUCKETS[granularity]:
        raise InvalidRange.too_long(granularity.value, MAX_BUCKETS[granularity], _LIMIT_TEXT[granularity])
    return StatsRange(granularity, start, end)


def _granularity(text: str | None, allowed: Sequence[Granularity]) -> Granularity:
    if text is None:
        return Granularity.DAY
    for granularity in allowed:
        if text == granularity.value:
            return granularity
    raise InvalidRange.granularity(text, " or ".join(g.value for g in allowed))


def _moment(text: str, parameter: str, *, end_of_day: bool = False) -> datetime:
    """``text`` as an aware UTC datetime; a date alone is its first moment (its last with ``end_of_day``)."""
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), UTC)
            return moment + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else moment
        if _DATE_TIME.fullmatch(text):
            # The pattern allows a space only as the offset's sign.
            moment = datetime.fromisoformat(text[:10] + "T" + text[11:].upper().replace(" ", "+"))
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # shaped right but not a real moment (month 13, hour 25, year 0)
        pass
    raise InvalidRange.unreadable(parameter, text)


def _floor(moment: datetime, granularity: Granularity) -> datetime:
    if granularity is Granularity.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class Tally:
    """What a bucket, or a whole range, counted. ``unique_visitors`` is ``None`` where it is not counted (hour
    buckets, owners, domains); ``misses`` is counted for domains only."""

    human: int = 0
    bots: int = 0
    previews: int = 0
    unique_visitors: int | None = None
    misses: int | None = None

    @property
    def clicks(self) -> int:
        """Previews are never clicks."""
        return self.human + self.bots


@dataclass(frozen=True, slots=True)
class Point:
    """One bucket of a series."""

    start: datetime
    tally: Tally


@dataclass(frozen=True, slots=True)
class Ranked:
    """A breakdown's value (a referrer host, a country...) or ``OTHER``, with its clicks."""

    value: str
    clicks: int


@dataclass(frozen=True, slots=True)
class LinkStats:
    domain: str
    code: str
    range: StatsRange
    totals: Tally
    series: list[Point]
    # BREAKDOWNS name -> its top values then OTHER; None by hour: breakdowns are counted in day buckets only.
    breakdowns: dict[str, list[Ranked]] | None


@dataclass(frozen=True, slots=True)
class TopLink:
    domain: str
    code: str
    clicks: int


@dataclass(frozen=True, slots=True)
class Overview:
    """An owner's clicks (``owner`` set) or a domain's (``domain`` set), by day."""

    owner: str | None
    domain: str | None
    range: StatsRange
    totals: Tally
    series: list[Point]
    top_links: list[TopLink] | None  # None for a domain: its buckets count no links


def link_stats(source: StatsSource, link: Scope, stats_range: StatsRange) -> LinkStats:
    """A link's totals, zero-filled series and (by day) breakdowns over ``stats_range``, from one read."""
    stored = source.buckets(link, stats_range.granularity, *_first_and_last(stats_range))
    by_day = stats_range.granularity is Granularity.DAY
    series = _series(stored, stats_range, visitors=by_day, misses=False)
    breakdowns = None
    if by_day:
        breakdowns = {name: top_values(_merged(c.breakdowns.get(name) for c in stored.values())) for name in BREAKDOWNS}
    return LinkStats(link.domain, link.code, stats_range, _sum(series, visitors=by_day), series, breakdowns)


def managed_link_stats(
    links: LinkRepository,
    source: StatsSource,
    principal: Principal,
    domain: str,
    code: str,
    stats_range: StatsRange,
) -> LinkStats:
    """The statistics of a link the caller may manage: another owner's link is ``LinkNotFound``, as it is for
    reading the link itself."""
    link = managed_link(links, principal, domain, code)
    return link_stats(source, Scope.link(link.domain, link.code), stats_range)


def overview(
    source: StatsSource,
    principal: Principal,
    stats_range: StatsRange,
    *,
    owner: str | None,
    domain: str | None,
    default_domain: Callable[[], str],
) -> Overview:
    """The clicks of every link of an owner, or on a domain, by day over ``stats_range``.

    ``owner``: ``None`` is the caller, except for admins, for whom it is the domain view, as ``EVERY_OWNER`` is;
    another key's id (admins only) is that key's links. ``domain`` (the domain view's, admins only; default:
    ``default_domain()``) never comes with a key id: an owner's buckets cover every domain.
    """
    if stats_range.granularity is not Granularity.DAY:
        raise ValueError("owners' and domains' clicks are counted by day")  # parse_range was told so
    domain_view = owner == EVERY_OWNER or domain is not None or (owner is None and principal.is_admin)
    if domain_view:
        if not principal.is_admin:
            raise Forbidden.admins_only()
        if owner not in (None, EVERY_OWNER):
            raise ValueError("an owner's clicks are not counted per domain")  # the boundary refuses the pair
        host = domain or default_domain()
        stored = source.buckets(Scope.of_domain(host), Granularity.DAY, *_first_and_last(stats_range))
        series = _series(stored, stats_range, visitors=False, misses=True)
        return Overview(None, host, stats_range, _sum(series, visitors=False, misses=True), series, None)
    key_id = owner or principal.key_id
    if key_id != principal.key_id and not principal.is_admin:
        raise Forbidden.admins_only()
    stored = source.buckets(Scope.of_owner(key_id), Granularity.DAY, *_first_and_last(stats_range))
    series = _series(stored, stats_range, visitors=False, misses=False)
    return Overview(key_id, None, stats_range, _sum(series, visitors=False), series, top_links(stored.values()))


def all_time_clicks(source: StatsSource, links: Sequence[Link]) -> list[int]:
    """Each link's clicks since it was created, in the order given (one read for them all)."""
    scopes = [Scope.link(link.domain, link.code) for link in links]
    totals = source.total_clicks(scopes) if scopes else {}
    return [totals.get(scope, 0) for scope in scopes]


def top_values(counts: Counter[str], limit: int = TOP_VALUES) -> list[Ranked]:
    """The ``limit`` values with the most clicks (ties by value), then ``OTHER`` with the clicks of the rest.

    A value that is itself called ``other`` (a user agent's unknown device) joins the rest, so no value is listed
    twice.
    """
    named = sorted(((v, n) for v, n in counts.items() if n > 0 and v != OTHER), key=lambda vn: (-vn[1], vn[0]))
    ranked = [Ranked(value, clicks) for value, clicks in named[:limit]]
    rest = sum(clicks for _, clicks in named[limit:]) + max(counts.get(OTHER, 0), 0)
    if rest:
        ranked.append(Ranked(OTHER, rest))
    return ranked


def top_links(buckets: Iterable[BucketCounts], limit: int = TOP_LINKS) -> list[TopLink]:
    """The ``limit`` links with the most clicks in an owner's buckets (ties by domain, then code)."""
    counts = _merged(bucket.links for bucket in buckets)
    found = []
    for key, clicks in counts.items():
        domain, _, code = key.partition("/")
        if clicks > 0 and code:
            found.append(TopLink(domain, code, clicks))
    found.sort(key=lambda link: (-link.clicks, link.domain, link.code))
    return found[:limit]


def _first_and_last(stats_range: StatsRange) -> tuple[str, str]:
    return stats_range.bucket_key(stats_range.start), stats_range.bucket_key(stats_range.end - stats_range.step)


def _series(stored: dict[str, BucketCounts], stats_range: StatsRange, *, visitors: bool, misses: bool) -> list[Point]:
    """A point for every bucket of the range, zero where nothing was stored."""
    points = []
    for start in stats_range.bucket_starts():
        counts = stored.get(stats_range.bucket_key(start)) or BucketCounts()
        tally = Tally(
            human=counts.human,
            bots=counts.bots,
            previews=counts.previews,
            unique_visitors=(counts.unique_visitors or 0) if visitors else None,
            misses=counts.misses if misses else None,
        )
        points.append(Point(start, tally))
    return points


def _sum(series: Sequence[Point], *, visitors: bool, misses: bool = False) -> Tally:
    """The range's totals: a range's unique visitors are the sum of its days' (someone who came back on another
    day counts again: visitor ids change every day, by design)."""
    return Tally(
        human=sum(p.tally.human for p in series),
        bots=sum(p.tally.bots for p in series),
        previews=sum(p.tally.previews for p in series),
        unique_visitors=sum(p.tally.unique_visitors or 0 for p in series) if visitors else None,
        misses=sum(p.tally.misses or 0 for p in series) if misses else None,
    )


def _merged(counters: Iterable[Counter[str] | None]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counter in counters:
        if counter:
            total.update(counter)
    return total
