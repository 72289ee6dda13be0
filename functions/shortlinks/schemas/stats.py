"""Responses of the statistics routes (JSON, or CSV on request), and the links listing's items with their clicks.

The links function only; no other function imports this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from shortlinks.domain.rollups import Granularity
from shortlinks.domain.stats import LinkStats, Overview, Point, Ranked, StatsRange, Tally

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


class Totals(BaseModel):
    """A range's counts. ``clicks`` = ``human`` + ``bots``; previews are never clicks."""

    clicks: int
    human: int
    bots: int
    previews: int
    unique_visitors: int | None  # null by hour, and for owners and domains (not counted there)

    @classmethod
    def of(cls, tally: Tally) -> Self:
        return cls(
            clicks=tally.clicks,
            human=tally.human,
            bots=tally.bots,
            previews=tally.previews,
            unique_visitors=tally.unique_visitors,
        )


class SeriesPoint(BaseModel):
    """One bucket of a series: ``start`` is the hour's or day's first moment, in UTC."""

    start: str
    clicks: int
    human: int
    bots: int
    previews: int
    unique_visitors: int | None

    @classmethod
    def of(cls, point: Point) -> Self:
        return cls(start=utc(point.start), **Totals.of(point.tally).model_dump())


class ValueClicks(BaseModel):
    value: str
    clicks: int

    @classmethod
    def of(cls, ranked: Ranked) -> Self:
        return cls(value=ranked.value, clicks=ranked.clicks)


Breakdown = list[ValueClicks] | None  # None by hour: breakdowns are counted by day


class LinkStatsResponse(BaseModel):
    """``GET /v1/links/{code}/stats``."""

    model_config = ConfigDict(serialize_by_alias=True)

    code: str
    domain: str
    from_: str = Field(serialization_alias="from")
    to: str
    granularity: Literal["hour", "day"]
    totals: Totals
    series: list[SeriesPoint]
    referrers: Breakdown
    countries: Breakdown
    devices: Breakdown
    browsers: Breakdown
    os: Breakdown
    sources: Breakdown  # qr: scans of the link's QR code; link: every other click

    @classmethod
    def of(cls, stats: LinkStats) -> Self:
        def breakdown(name: str) -> Breakdown:
            if stats.breakdowns is None:
                return None
            return [ValueClicks.of(ranked) for ranked in stats.breakdowns[name]]

        return cls(
            code=stats.code,
            domain=stats.domain,
            from_=utc(stats.range.start),
            to=utc(stats.range.end),
            granularity=_granularity(stats.range),
            totals=Totals.of(stats.totals),
            series=[SeriesPoint.of(point) for point in stats.series],
            referrers=breakdown("referrers"),
            countries=breakdown("countries"),
            devices=breakdown("devices"),
            browsers=breakdown("browsers"),
            os=breakdown("os"),
            sources=breakdown("sources"),
        )

    def to_csv(self) -> str:
        return series_csv(self.series)


class OverviewTotals(Totals):
    misses: int | None  # requests for codes that do not exist (404) or no longer lead anywhere (410): domains only

    @classmethod
    def of(cls, tally: Tally) -> Self:
        return cls(**Totals.of(tally).model_dump(), misses=tally.misses)


class OverviewPoint(SeriesPoint):
    misses: int | None

    @classmethod
    def of(cls, point: Point) -> Self:
        return cls(**SeriesPoint.of(point).model_dump(), misses=point.tally.misses)


class TopLinkResponse(BaseModel):
    domain: str
    code: str
    short_url: str
    clicks: int


class OverviewResponse(BaseModel):
    """``GET /v1/stats``: an owner's links (``owner`` set) or a whole domain (``domain`` set), by day."""

    model_config = ConfigDict(serialize_by_alias=True)

    owner: str | None
    domain: str | None
    from_: str = Field(serialization_alias="from")
    to: str
    granularity: Literal["day"]
    totals: OverviewTotals
    series: list[OverviewPoint]
    top_links: list[TopLinkResponse] | None  # null for a domain: its buckets do not count clicks per link

    @classmethod
    def of(cls, overview: Overview, short_url: Callable[[str, str], str]) -> Self:
        top = None
        if overview.top_links is not None:
            top = [
                TopLinkResponse(domain=t.domain, code=t.code, short_url=short_url(t.domain, t.code), clicks=t.clicks)
                for t in overview.top_links
            ]
        return cls(
            owner=overview.owner,
            domain=overview.domain,
            from_=utc(overview.range.start),
            to=utc(overview.range.end),
            granularity="day",
            totals=OverviewTotals.of(overview.totals),
            series=[OverviewPoint.of(point) for point in overview.series],
            top_links=top,
        )

    def to_csv(self) -> str:
        return series_csv(self.series)


def series_csv(series: Sequence[SeriesPoint]) -> str:
    """One row per bucket under a header row naming the fields (RFC 4180: CRLF line ends); null is empty."""
    columns = list(type(series[0]).model_fields) if series else list(SeriesPoint.model_fields)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for point in series:
        values = point.model_dump()
        writer.writerow(["" if values[column] is None else values[column] for column in columns])
    return out.getvalue()


def utc(moment: datetime) -> str:
    """``2026-12-01T00:00:00Z``: bucket bounds are whole hours, so seconds are enough."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _granularity(stats_range: StatsRange) -> Literal["hour", "day"]:
    return "hour" if stats_range.granularity is Granularity.HOUR else "day"
