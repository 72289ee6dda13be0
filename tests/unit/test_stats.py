"""Click statistics (domain/stats.py, schemas/stats.py) against an in-memory ``StatsSource``: the ranges a caller
may ask for, zero-filled series, top values, unique visitors, who may see what, and the CSV form."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from shortlinks.domain.access import Principal, Role
from shortlinks.domain.errors import Forbidden, InvalidRange, LinkNotFound
from shortlinks.domain.links import Link
from shortlinks.domain.rollups import BucketCounts, Granularity, Scope
from shortlinks.domain.stats import (
    EVERY_OWNER,
    OTHER,
    Ranked,
    StatsRange,
    all_time_clicks,
    link_stats,
    managed_link_stats,
    overview,
    parse_range,
    top_links,
    top_values,
)
from shortlinks.domain.target import Target
from shortlinks.schemas.stats import LinkStatsResponse, OverviewResponse
from shortlinks.web.http import status_for, wants_csv
from tests.unit.fake_repository import FakeRepository

NOW = datetime(2026, 12, 7, 15, 42, 10, tzinfo=UTC)
DOMAIN = "care.link"
LINK = Scope.link(DOMAIN, "help")
MEMBER = Principal("key_Campaigns001", Role.MEMBER)
OTHER_MEMBER = Principal("key_Volunteers01", Role.MEMBER)
ADMIN = Principal("key_AdminFixture", Role.ADMIN)


class FakeStatsSource:
    """Buckets by scope and granularity, as the aggregator would have stored them; every read remembered."""

    def __init__(self) -> None:
        self.stored: dict[tuple[Scope, Granularity], dict[str, BucketCounts]] = {}
        self.totals: dict[Scope, int] = {}
        self.reads: list[tuple[str, object]] = []

    def put(self, scope: Scope, granularity: Granularity, start: str, **counts: object) -> None:
        self.stored.setdefault((scope, granularity), {})[start] = BucketCounts(**counts)  # type: ignore[arg-type]

    def buckets(self, scope: Scope, granularity: Granularity, first: str, last: str) -> dict[str, BucketCounts]:
        self.reads.append(("buckets", (scope, granularity, first, last)))
        stored = self.stored.get((scope, granularity), {})
        return {start: counts for start, counts in stored.items() if first <= start <= last}

    def total_clicks(self, links: Sequence[Scope]) -> dict[Scope, int]:
        self.reads.append(("total_clicks", tuple(links)))
        return {link: self.totals[link] for link in links if link in self.totals}


def days(first: str, count: int) -> StatsRange:
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    return StatsRange(Granularity.DAY, start, start + timedelta(days=count))


def hours(first: str, count: int) -> StatsRange:
    start = datetime.fromisoformat(first).replace(tzinfo=UTC)
    return StatsRange(Granularity.HOUR, start, start + timedelta(hours=count))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- ranges -------------------------------------------------------------------------------------------------------


def test_the_default_is_the_last_seven_days_by_day_today_included() -> None:
    stats_range = parse_range(None, None, None, now=NOW)

    assert stats_range == StatsRange(Granularity.DAY, at("2026-12-01"), at("2026-12-08"))
    assert len(stats_range.bucket_starts()) == 7


def test_by_hour_the_default_is_the_168_hours_ending_with_the_current_one() -> None:
    stats_range = parse_range(None, None, "hour", now=NOW)

    assert stats_range.start == at("2026-11-30T16:00")
    assert stats_range.end == at("2026-12-07T16:00")
    assert len(stats_range.bucket_starts()) == 168


def test_dates_name_whole_days_from_the_first_to_the_last() -> None:
    by_day = parse_range("2026-11-01", "2026-11-30", "day", now=NOW)
    by_hour = parse_range("2026-11-30", "2026-11-30", "hour", now=NOW)

    assert (by_day.start, by_day.end) == (at("2026-11-01"), at("2026-12-01"))
    assert len(by_day.bucket_starts()) == 30
    assert (by_hour.start, by_hour.end) == (at("2026-11-30T00:00"), at("2026-12-01T00:00"))


def test_times_are_rounded_to_their_buckets_and_to_names_the_last_bucket() -> None:
    stats_range = parse_range("2026-12-01T09:59:59Z", "2026-12-01T12:00:00Z", "hour", now=NOW)

    assert stats_range.bucket_starts() == [at(f"2026-12-01T{hour}:00") for hour in ("09", "10", "11", "12")]


def test_only_from_runs_until_now_and_only_to_takes_the_seven_days_before_it() -> None:
    assert parse_range("2026-12-05", None, None, now=NOW).end == at("2026-12-08")
    assert parse_range(None, "2026-11-10", None, now=NOW) == StatsRange(
        Granularity.DAY, at("2026-11-04"), at("2026-11-11")
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-12-01T10:30", "2026-12-01T10:00"),  # no offset: UTC
        ("2026-12-01T10:30:00z", "2026-12-01T10:00"),
        ("2026-12-01T10:30:00.123456789Z", "2026-12-01T10:00"),
        ("2026-12-01T10:30:00+02:00", "2026-12-01T08:00"),
        ("2026-12-01T10:30:00-0530", "2026-12-01T16:00"),
        ("2026-12-01T10:30:00 02:00", "2026-12-01T08:00"),  # "+02:00" sent unencoded: the query's + is a space
        ("2026-12-01t01:00+03:00", "2026-11-30T22:00"),
    ],
)
def test_iso_times_are_read_in_utc(text: str, utc: str) -> None:
    assert parse_range(text, text, "hour", now=NOW).start == at(utc)


def test_an_hourly_range_covers_at_most_35_days() -> None:
    longest = parse_range("2026-11-01T00:00Z", "2026-12-05T23:00Z", "hour", now=NOW)

    assert len(longest.bucket_starts()) == 35 * 24
    with pytest.raises(InvalidRange, match="at most 840 hours"):
        parse_range("2026-11-01T00:00Z", "2026-12-06T00:00Z", "hour", now=NOW)


def test_a_daily_range_covers_at_most_two_years_leap_day_included() -> None:
    longest = parse_range("2027-01-01", "2028-12-31", "day", now=NOW)

    assert len(longest.bucket_starts()) == 731
    with pytest.raises(InvalidRange, match="at most 731 days"):
        parse_range("2026-12-31", "2028-12-31", "day", now=NOW)


def test_from_may_equal_to_but_not_follow_it() -> None:
    assert len(parse_range("2026-12-01", "2026-12-01", None, now=NOW).bucket_starts()) == 1
    with pytest.raises(InvalidRange, match="from must not be after to"):
        parse_range("2026-12-02", "2026-12-01", None, now=NOW)
    with pytest.raises(InvalidRange, match="from must not be after to"):
        parse_range("2026-12-08", None, None, now=NOW)  # from tomorrow until now


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "1796040000",  # a Unix time
        "2026-12",
        "20261201",  # ISO 8601's basic form: not taken
        "2026-W49-1",
        "2026-13-01",
        "2026-02-30",
        "2026-12-01T25:00",
        "2026-12-01T10",
        "2026-12-01T10:00:00+24:00",
        "2026-12-01 10:00",
        "\uff12\uff10\uff12\uff16-12-01",  # fullwidth digits
        "2026-12-01T10:00:00Z\n",
        "0001-01-01T00:00+01:00",  # before the calendar begins, in UTC
    ],
)
def test_what_is_not_an_iso_date_or_time_is_refused(text: str) -> None:
    with pytest.raises(InvalidRange) as refused:
        parse_range(text, None, None, now=NOW)

    assert refused.value.code == "invalid_range"
    assert status_for(refused.value) == 422
    assert refused.value.message.startswith("from must be an ISO 8601 date or date-time")


def test_a_range_past_the_calendars_end_is_refused_not_a_crash() -> None:
    with pytest.raises(InvalidRange, match=r"^to must be"):
        parse_range("9999-12-30", "9999-12-31", None, now=NOW)


@pytest.mark.parametrize("granularity", ["week", "HOUR", "total", "", "minute"])
def test_granularity_is_hour_or_day(granularity: str) -> None:
    with pytest.raises(InvalidRange, match="granularity must be hour or day"):
        parse_range(None, None, granularity, now=NOW)


def test_the_overview_is_by_day_only() -> None:
    with pytest.raises(InvalidRange, match="granularity must be day, not 'hour'"):
        parse_range(None, None, "hour", now=NOW, granularities=(Granularity.DAY,))


# --- a link's statistics ------------------------------------------------------------------------------------------


def test_a_daily_series_is_zero_filled_over_the_whole_range() -> None:
    source = FakeStatsSource()
    source.put(LINK, Granularity.DAY, "2026-12-02", human=3, bots=1, previews=2, unique_visitors=2)
    source.put(LINK, Granularity.DAY, "2026-12-05", human=1, unique_visitors=1)
    source.put(LINK, Granularity.DAY, "2026-12-09", human=50)  # after the range

    stats = link_stats(source, LINK, days("2026-12-01", 7))

    assert [(p.start.day, p.tally.clicks, p.tally.unique_visitors) for p in stats.series] == [
        (1, 0, 0),
        (2, 4, 2),
        (3, 0, 0),
        (4, 0, 0),
        (5, 1, 1),
        (6, 0, 0),
        (7, 0, 0),
    ]


def test_an_hourly_series_is_zero_filled_and_counts_no_visitors_nor_breakdowns() -> None:
    source = FakeStatsSource()
    source.put(LINK, Granularity.HOUR, "2026-12-01T23", human=2, bots=1)
    source.put(LINK, Granularity.HOUR, "2026-12-02T01", previews=4)

    stats = link_stats(source, LINK, hours("2026-12-01T22:00", 4))

    assert [(p.start.hour, p.tally.human, p.tally.bots, p.tally.previews) for p in stats.series] == [
        (22, 0, 0, 0),
        (23, 2, 1, 0),
        (0, 0, 0, 0),
        (1, 0, 0, 4),
    ]
    assert all(point.tally.unique_visitors is None for point in stats.series)
    assert stats.totals.unique_visitors is None
    assert stats.breakdowns is None


def test_totals_are_the_sum_of_the_series_and_previews_are_never_clicks() -> None:
    source = FakeStatsSource()
    source.put(LINK, Granularity.DAY, "2026-12-01", human=6, bots=2, previews=3, unique_visitors=2)
    source.put(LINK, Granularity.DAY, "2026-12-03", human=1, bots=4, previews=1, unique_visitors=1)

    stats = link_stats(source, LINK, days("2026-12-01", 7))

    totals = stats.totals
    assert (totals.clicks, totals.human, totals.bots, totals.previews) == (13, 7, 6, 4)
    assert totals.clicks == sum(point.tally.clicks for point in stats.series)
    assert totals.previews == sum(point.tally.previews for point in stats.series)


def test_a_ranges_unique_visitors_are_the_sum_of_its_days() -> None:
    # GIVEN someone who came on two days: visitor ids change every day, so each day counts them once
    source = FakeStatsSource()
    source.put(LINK, Granularity.DAY, "2026-12-01", human=3, unique_visitors=2)
    source.put(LINK, Granularity.DAY, "2026-12-02", human=2, unique_visitors=2)

    stats = link_stats(source, LINK, days("2026-12-01", 2))

    assert stats.totals.unique_visitors == 4


def test_a_links_statistics_are_one_read_of_the_ranges_buckets() -> None:
    source = FakeStatsSource()

    link_stats(source, LINK, days("2026-12-01", 7))
    link_stats(source, LINK, hours("2026-12-01T22:00", 4))

    assert source.reads == [
        ("buckets", (LINK, Granularity.DAY, "2026-12-01", "2026-12-07")),
        ("buckets", (LINK, Granularity.HOUR, "2026-12-01T22", "2026-12-02T01")),
    ]


def test_breakdowns_add_up_the_days_and_list_the_top_ten_then_other() -> None:
    source = FakeStatsSource()
    referrers_day1 = Counter({f"site{n:02d}.example": 20 - n for n in range(12)})  # 20, 19, ..., 9
    source.put(LINK, Granularity.DAY, "2026-12-01", human=200, breakdowns={"referrers": referrers_day1})
    source.put(LINK, Granularity.DAY, "2026-12-02", human=5, breakdowns={"referrers": Counter({"site11.example": 5})})

    stats = link_stats(source, LINK, days("2026-12-01", 2))

    assert stats.breakdowns is not None
    referrers = stats.breakdowns["referrers"]
    assert len(referrers) == 11
    assert referrers[:2] == [Ranked("site00.example", 20), Ranked("site01.example", 19)]
    assert Ranked("site11.example", 14) in referrers[:10]  # 9 + 5: its two days together
    assert referrers[-1] == Ranked(OTHER, 11 + 10)  # site09 and site10, beyond the top ten
    assert stats.breakdowns["countries"] == []


def test_ten_values_or_fewer_need_no_other() -> None:
    assert top_values(Counter({f"v{n}": n + 1 for n in range(10)}))[-1] == Ranked("v0", 1)
    assert top_values(Counter()) == []


def test_ties_are_ordered_by_value_and_empty_counts_are_left_out() -> None:
    assert top_values(Counter({"b": 2, "a": 2, "c": 3, "zero": 0})) == [Ranked("c", 3), Ranked("a", 2), Ranked("b", 2)]


def test_a_value_called_other_joins_the_rest_so_no_value_is_listed_twice() -> None:
    counts = Counter({"other": 7, "mobile": 9, "desktop": 3})

    assert top_values(counts) == [Ranked("mobile", 9), Ranked("desktop", 3), Ranked(OTHER, 7)]
    assert top_values(counts, limit=1) == [Ranked("mobile", 9), Ranked(OTHER, 10)]


def a_link(code: str = "help", owner: str | None = MEMBER.key_id) -> Link:
    return Link(DOMAIN, code, Target("https://example.org/help"), created_at=NOW - timedelta(days=30), owner=owner)


def test_the_owner_sees_its_links_statistics() -> None:
    source = FakeStatsSource()
    source.put(LINK, Granularity.DAY, "2026-12-01", human=2)

    stats = managed_link_stats(FakeRepository([a_link()]), source, MEMBER, DOMAIN, "help", days("2026-12-01", 1))

    assert (stats.domain, stats.code, stats.totals.clicks) == (DOMAIN, "help", 2)


@pytest.mark.parametrize(("principal", "owner"), [(OTHER_MEMBER, MEMBER.key_id), (MEMBER, None)])
def test_another_owners_link_has_no_statistics_it_is_not_found(principal: Principal, owner: str | None) -> None:
    source = FakeStatsSource()

    with pytest.raises(LinkNotFound):
        managed_link_stats(
            FakeRepository([a_link(owner=owner)]), source, principal, DOMAIN, "help", days("2026-12-01", 1)
        )

    assert source.reads == []


def test_an_admin_sees_any_links_statistics_anonymous_ones_included() -> None:
    links = FakeRepository([a_link(), a_link("anon", owner=None)])

    for code in ("help", "anon"):
        stats = managed_link_stats(links, FakeStatsSource(), ADMIN, DOMAIN, code, days("2026-12-01", 1))
        assert stats.code == code


def test_a_link_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(LinkNotFound):
        managed_link_stats(FakeRepository(), FakeStatsSource(), ADMIN, DOMAIN, "nope", days("2026-12-01", 1))


# --- the overview -------------------------------------------------------------------------------------------------

OWNER = Scope.of_owner(MEMBER.key_id)


def no_default_domain() -> str:
    raise AssertionError("the owner's view needs no domain")


def test_a_member_sees_its_own_totals_series_and_top_twenty_links() -> None:
    source = FakeStatsSource()
    day1 = Counter({f"{DOMAIN}/c{n:02d}": n + 1 for n in range(25)})
    source.put(OWNER, Granularity.DAY, "2026-12-01", human=300, bots=25, previews=7, links=day1)
    source.put(OWNER, Granularity.DAY, "2026-12-03", human=10, links=Counter({f"{DOMAIN}/c00": 10}))

    result = overview(source, MEMBER, days("2026-12-01", 7), owner=None, domain=None, default_domain=no_default_domain)

    assert (result.owner, result.domain) == (MEMBER.key_id, None)
    assert (result.totals.clicks, result.totals.previews, result.totals.unique_visitors) == (335, 7, None)
    assert [point.tally.human for point in result.series] == [300, 0, 10, 0, 0, 0, 0]
    assert result.top_links is not None
    assert len(result.top_links) == 20
    assert (result.top_links[0].code, result.top_links[0].clicks) == ("c24", 25)
    assert (result.top_links[-1].code, result.top_links[-1].clicks) == ("c06", 7)
    assert ("c00", 11) in [(link.code, link.clicks) for link in result.top_links]  # 1 + 10 over two days
    assert source.reads == [("buckets", (OWNER, Granularity.DAY, "2026-12-01", "2026-12-07"))]


@pytest.mark.parametrize(
    ("owner", "domain"), [(OTHER_MEMBER.key_id, None), (EVERY_OWNER, None), (None, DOMAIN), (MEMBER.key_id, DOMAIN)]
)
def test_a_member_sees_no_one_elses_clicks(owner: str | None, domain: str | None) -> None:
    source = FakeStatsSource()

    with pytest.raises(Forbidden):
        overview(source, MEMBER, days("2026-12-01", 7), owner=owner, domain=domain, default_domain=lambda: DOMAIN)

    assert source.reads == []


def test_a_member_naming_itself_is_its_own_view() -> None:
    result = overview(
        FakeStatsSource(),
        MEMBER,
        days("2026-12-01", 1),
        owner=MEMBER.key_id,
        domain=None,
        default_domain=no_default_domain,
    )

    assert result.owner == MEMBER.key_id


def test_an_admin_sees_another_owners_clicks() -> None:
    source = FakeStatsSource()
    source.put(OWNER, Granularity.DAY, "2026-12-01", human=4, links=Counter({f"{DOMAIN}/help": 4}))

    result = overview(
        source, ADMIN, days("2026-12-01", 1), owner=MEMBER.key_id, domain=None, default_domain=no_default_domain
    )

    assert (result.owner, result.totals.clicks) == (MEMBER.key_id, 4)
    assert [(link.domain, link.code) for link in result.top_links or []] == [(DOMAIN, "help")]


@pytest.mark.parametrize(("owner", "domain"), [(None, None), (EVERY_OWNER, None), (None, "other.link")])
def test_an_admin_sees_a_whole_domain_the_default_unless_named(owner: str | None, domain: str | None) -> None:
    source = FakeStatsSource()
    for host in (DOMAIN, "other.link"):
        source.put(Scope.of_domain(host), Granularity.DAY, "2026-12-02", human=5, bots=1, previews=2, misses=3)

    result = overview(source, ADMIN, days("2026-12-01", 3), owner=owner, domain=domain, default_domain=lambda: DOMAIN)

    assert (result.owner, result.domain) == (None, domain or DOMAIN)
    assert (result.totals.clicks, result.totals.previews, result.totals.misses) == (6, 2, 3)
    assert [point.tally.misses for point in result.series] == [0, 3, 0]
    assert result.top_links is None  # a domain's buckets count no links


def test_top_links_skip_empty_counts_and_break_ties_by_domain_then_code() -> None:
    buckets = [BucketCounts(links=Counter({"b.link/x": 2, "a.link/y": 2, "a.link/x": 2, "a.link/z": 0}))]

    assert [(t.domain, t.code) for t in top_links(buckets)] == [("a.link", "x"), ("a.link", "y"), ("b.link", "x")]


# --- the links listing's clicks -----------------------------------------------------------------------------------


def test_listed_links_get_their_all_time_clicks_in_one_read() -> None:
    source = FakeStatsSource()
    source.totals[LINK] = 42

    clicks = all_time_clicks(source, [a_link("help"), a_link("new")])

    assert clicks == [42, 0]
    assert source.reads == [("total_clicks", (LINK, Scope.link(DOMAIN, "new")))]


def test_an_empty_page_reads_nothing() -> None:
    source = FakeStatsSource()

    assert all_time_clicks(source, []) == []
    assert source.reads == []


# --- presentation -------------------------------------------------------------------------------------------------


def test_the_json_answer_has_the_issues_fields_in_its_order() -> None:
    source = FakeStatsSource()
    referrers = Counter({"t.co": 4, "(direct)": 4})
    source.put(
        LINK,
        Granularity.DAY,
        "2026-12-01",
        human=6,
        bots=2,
        previews=3,
        unique_visitors=2,
        breakdowns={"referrers": referrers},
    )

    body = LinkStatsResponse.of(link_stats(source, LINK, days("2026-12-01", 1))).model_dump(mode="json")

    assert list(body) == [
        "code", "domain", "from", "to", "granularity", "totals", "series",
        "referrers", "countries", "devices", "browsers", "os", "sources",
    ]  # fmt: skip
    assert body["from"] == "2026-12-01T00:00:00Z"
    assert body["to"] == "2026-12-02T00:00:00Z"
    assert body["totals"] == {"clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": 2}
    assert body["series"] == [
        {"start": "2026-12-01T00:00:00Z", "clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": 2}
    ]
    assert body["referrers"] == [{"value": "(direct)", "clicks": 4}, {"value": "t.co", "clicks": 4}]


def test_the_csv_answer_is_one_row_per_bucket_under_a_header() -> None:
    source = FakeStatsSource()
    source.put(LINK, Granularity.HOUR, "2026-12-01T23", human=2, bots=1)

    text = LinkStatsResponse.of(link_stats(source, LINK, hours("2026-12-01T22:00", 2))).to_csv()

    assert text == (
        "start,clicks,human,bots,previews,unique_visitors\r\n"
        "2026-12-01T22:00:00Z,0,0,0,0,\r\n"
        "2026-12-01T23:00:00Z,3,2,1,0,\r\n"
    )


def test_the_overviews_csv_has_misses_too() -> None:
    source = FakeStatsSource()
    source.put(Scope.of_domain(DOMAIN), Granularity.DAY, "2026-12-01", human=1, misses=2)

    result = overview(source, ADMIN, days("2026-12-01", 1), owner=None, domain=None, default_domain=lambda: DOMAIN)
    rows = list(csv.reader(io.StringIO(OverviewResponse.of(result, lambda d, c: f"https://{d}/{c}").to_csv())))

    assert rows == [
        ["start", "clicks", "human", "bots", "previews", "unique_visitors", "misses"],
        ["2026-12-01T00:00:00Z", "1", "1", "0", "0", "", "2"],
    ]


@pytest.mark.parametrize(
    ("accept", "csv_wanted"),
    [
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("TEXT/CSV", True),
        ("text/csv, application/json;q=0.5", True),
        ("application/json, text/csv;q=0.9", False),
        ("text/csv;q=0", False),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("text/*", False),
    ],
)
def test_csv_is_answered_only_to_those_who_prefer_it(accept: str, csv_wanted: bool) -> None:
    assert wants_csv(accept) is csv_wanted
