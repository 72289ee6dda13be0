"""Click rollups: what the aggregator adds up from click records, and what statistics read back. Pure Python.

A ``Rollup`` is the increments one batch of click records makes, keyed by ``BucketKey``:

* per link: an ``hour`` bucket (counters only) and a ``day`` bucket (counters, breakdowns and visitor ids), and
  the link's all-time ``total`` (human and bot clicks only: what the links listing shows);
* per owner and per domain: a ``day`` bucket (counters; the owner's also per link, for its top links; the
  domain's also ``misses``).

Counters: ``human``, ``bots``, ``previews``, ``misses``. Breakdowns (day buckets of a link): referrer host,
country, device type, browser, OS and source (``qr``: a QR code's scan, ``link``: any other), each value counted in
clicks (human + bot). Visitors: the ids of human
clicks' visitors (a day's unique visitors are how many distinct ids it holds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"
    TOTAL = "total"  # all time: one bucket per link


class ScopeKind(StrEnum):
    LINK = "link"
    OWNER = "owner"
    DOMAIN = "domain"


@dataclass(frozen=True, slots=True, order=True)
class Scope:
    """Whose clicks a bucket counts: a link (``domain`` + ``code``), an owner (``owner`` = key id) or a domain."""

    kind: ScopeKind
    domain: str = ""
    code: str = ""
    owner: str = ""

    @classmethod
    def link(cls, domain: str, code: str) -> Scope:
        return cls(ScopeKind.LINK, domain=domain, code=code)

    @classmethod
    def of_owner(cls, owner: str) -> Scope:
        return cls(ScopeKind.OWNER, owner=owner)

    @classmethod
    def of_domain(cls, domain: str) -> Scope:
        return cls(ScopeKind.DOMAIN, domain=domain)


@dataclass(frozen=True, slots=True, order=True)
class BucketKey:
    """One bucket: ``start`` is ``YYYY-MM-DDTHH`` (hour), ``YYYY-MM-DD`` (day) or ``""`` (total), in UTC."""

    scope: Scope
    granularity: Granularity
    start: str = ""

    @staticmethod
    def hour_of(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H")

    @staticmethod
    def day_of(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d")


BREAKDOWNS = ("referrers", "countries", "devices", "browsers", "os", "sources")


@dataclass(slots=True)
class BucketCounts:
    """What a bucket counts (as increments in a ``Rollup``, or as totals read back)."""

    human: int = 0
    bots: int = 0
    previews: int = 0
    misses: int = 0
    breakdowns: dict[str, Counter[str]] = field(default_factory=dict)  # BREAKDOWNS name -> value -> clicks
    links: Counter[str] = field(default_factory=Counter)  # owner day buckets: "<domain>/<code>" -> clicks
    visitors: set[str] = field(default_factory=set)  # link day buckets: ids of human visitors
    unique_visitors: int | None = None  # read back only: distinct visitors (days; None for hours)

    @property
    def clicks(self) -> int:
        """Previews are never clicks."""
        return self.human + self.bots

    def is_empty(self) -> bool:
        return not (
            self.human
            or self.bots
            or self.previews
            or self.misses
            or any(self.breakdowns.values())
            or self.links
            or self.visitors
        )


@dataclass(slots=True)
class Rollup:
    """The increments of one batch of click records, bucket by bucket."""

    buckets: dict[BucketKey, BucketCounts] = field(default_factory=dict)
    skipped: int = 0  # records that could not be parsed (counted, never blocking the batch)

    def bucket(self, key: BucketKey) -> BucketCounts:
        counts = self.buckets.get(key)
        if counts is None:
            counts = self.buckets[key] = BucketCounts()
        return counts


@dataclass(frozen=True, slots=True)
class Retention:
    """How long buckets are kept (DynamoDB TTL): hours 35 days, days 2 years by default (template parameters)."""

    hourly_days: int = 35
    daily_days: int = 730


class RollupStore(Protocol):
    def apply(self, batch_id: str, rollup: Rollup, retention: Retention) -> None:
        """Add ``rollup`` to the stored buckets exactly once per ``batch_id``: a batch delivered again (even
        concurrently) changes nothing. ``StorageUnavailable`` when the store fails (the batch is then retried)."""


class StatsSource(Protocol):
    def buckets(self, scope: Scope, granularity: Granularity, first: str, last: str) -> dict[str, BucketCounts]:
        """The stored buckets of ``scope`` whose start is in ``[first, last]`` (one Query), by start; a day bucket
        of a link comes with its ``unique_visitors``. Buckets with no clicks are absent."""

    def total_clicks(self, links: Sequence[Scope]) -> dict[Scope, int]:
        """Each link's all-time clicks (absent: 0)."""


class LinkOwners(Protocol):
    def owners(self, links: Iterable[Scope]) -> dict[Scope, str | None]:
        """Who owns each link (its key id), ``None`` for an anonymous link; links not found are absent."""
