"""``GET /v1/links/{code}/stats``, ``GET /v1/stats`` and the listing's ``clicks``: the links function on real HTTP API
events, reading rollups the aggregator's store wrote into the template's table."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from shortlinks.domain.rollups import BucketCounts, BucketKey, Granularity, Retention, Rollup, Scope
from shortlinks.storage.analytics import DynamoRollupStore
from tests.events import load_event
from tests.integration.harness import (
    ADMIN,
    ANONYMOUS,
    INVALID,
    MEMBER,
    MEMBER_ID,
    OTHER_MEMBER,
    OTHER_MEMBER_ID,
    REGION,
    SHORT_BASE_URL,
    SHORT_DOMAIN,
    TABLE_NAME,
    HttpResponse,
    LambdaFunction,
    LinkStore,
    as_caller,
    calls_granted,
    calls_made,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CODE = "AbC1234"  # the code the link_stats fixture names
LINK = Scope.link(SHORT_DOMAIN, CODE)
MEMBER_SCOPE = Scope.of_owner(MEMBER_ID)
FIXTURE_DAYS = [f"2026-11-{day}" for day in range(19, 26)]  # the link_stats and stats fixtures' from..to
VISITORS = ("0a1b2c3d4e5f6a7b", "f0e1d2c3b4a59687")


@pytest.fixture(scope="module")
def rollups(dynamodb: DynamoDBClient) -> DynamoRollupStore:
    """The aggregator's store on the test table: rollups are seeded exactly as the aggregator writes them."""
    return DynamoRollupStore(TABLE_NAME, REGION)


def seed(rollups: DynamoRollupStore, buckets: dict[BucketKey, BucketCounts]) -> None:
    rollups.apply(uuid.uuid4().hex, Rollup(buckets), Retention())


def link_day(day: str, scope: Scope = LINK, **counts: Any) -> dict[BucketKey, BucketCounts]:
    return {BucketKey(scope, Granularity.DAY, day): BucketCounts(**counts)}


def stats_of(
    links: LambdaFunction,
    caller: dict[str, Any] = MEMBER,
    *,
    code: str | None = None,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    path = {"code": code} if code is not None else None
    return links(as_caller(load_event("link_stats", path_parameters=path, query=query, headers=headers), caller))


def overview_of(
    links: LambdaFunction,
    caller: dict[str, Any] = MEMBER,
    *,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
) -> HttpResponse:
    return links(as_caller(load_event("stats", query=query, headers=headers), caller))


def assert_error(response: HttpResponse, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


def seed_fixture_week(rollups: DynamoRollupStore) -> None:
    """The link's clicks on 2026-11-20 (and one hour of them), as the aggregator adds them up."""
    seed(
        rollups,
        link_day(
            "2026-11-20",
            human=6,
            bots=2,
            previews=3,
            breakdowns={
                "referrers": Counter({"t.co": 4, "(direct)": 3, "news.example": 1}),
                "countries": Counter({"FR": 5, "unknown": 3}),
                "devices": Counter({"mobile": 6, "desktop": 2}),
                "browsers": Counter({"Mobile Safari": 5, "Chrome": 3}),
                "os": Counter({"iOS": 5, "Windows": 3}),
                "sources": Counter({"link": 5, "qr": 3}),
            },
            visitors=set(VISITORS),
        )
        | {BucketKey(LINK, Granularity.HOUR, "2026-11-20T09"): BucketCounts(human=6, bots=2, previews=3)},
    )


# --- GET /v1/links/{code}/stats -----------------------------------------------------------------------------------


def test_the_fixture_shows_the_owner_its_links_week(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    # GIVEN the member's link, clicked on 2026-11-20
    store.add(CODE, owner=MEMBER_ID)
    seed_fixture_week(rollups)

    # WHEN the link_stats event (from 2026-11-19 to 2026-11-25, by day) reaches the function
    response = links(load_event("link_stats"))

    # THEN the owner gets the answer: totals, a zero-filled day series, breakdowns
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    zero = {"clicks": 0, "human": 0, "bots": 0, "previews": 0, "unique_visitors": 0}
    assert response.json() == {
        "code": CODE,
        "domain": SHORT_DOMAIN,
        "from": "2026-11-19T00:00:00Z",
        "to": "2026-11-26T00:00:00Z",
        "granularity": "day",
        "totals": {"clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": 2},
        "series": [
            {"start": f"{day}T00:00:00Z"}
            | (
                {"clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": 2}
                if day == "2026-11-20"
                else zero
            )
            for day in FIXTURE_DAYS
        ],
        "referrers": [
            {"value": "t.co", "clicks": 4},
            {"value": "(direct)", "clicks": 3},
            {"value": "news.example", "clicks": 1},
        ],
        "countries": [{"value": "FR", "clicks": 5}, {"value": "unknown", "clicks": 3}],
        "devices": [{"value": "mobile", "clicks": 6}, {"value": "desktop", "clicks": 2}],
        "browsers": [{"value": "Mobile Safari", "clicks": 5}, {"value": "Chrome", "clicks": 3}],
        "os": [{"value": "iOS", "clicks": 5}, {"value": "Windows", "clicks": 3}],
        "sources": [{"value": "link", "clicks": 5}, {"value": "qr", "clicks": 3}],
    }


def test_by_hour_the_series_has_no_visitors_and_there_are_no_breakdowns(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=MEMBER_ID)
    seed_fixture_week(rollups)

    response = stats_of(links, query={"from": "2026-11-20T08:00Z", "to": "2026-11-20T10:59Z", "granularity": "hour"})

    assert response.status == 200, response.body
    body = response.json()
    assert (body["from"], body["to"], body["granularity"]) == ("2026-11-20T08:00:00Z", "2026-11-20T11:00:00Z", "hour")
    assert [(point["start"], point["clicks"], point["unique_visitors"]) for point in body["series"]] == [
        ("2026-11-20T08:00:00Z", 0, None),
        ("2026-11-20T09:00:00Z", 8, None),
        ("2026-11-20T10:00:00Z", 0, None),
    ]
    assert body["totals"] == {"clicks": 8, "human": 6, "bots": 2, "previews": 3, "unique_visitors": None}
    assert [body[name] for name in ("referrers", "countries", "devices", "browsers", "os")] == [None] * 5


def test_without_a_range_it_is_the_last_seven_days_today_included(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=MEMBER_ID)
    today = datetime.now(UTC).date()
    seed(rollups, link_day(today.isoformat(), human=1, visitors={VISITORS[0]}))

    body = stats_of(links, query={}).json()

    assert [point["start"][:10] for point in body["series"]] == [
        (today - timedelta(days=back)).isoformat() for back in range(6, -1, -1)
    ]
    assert body["series"][-1]["clicks"] == 1
    assert body["totals"]["unique_visitors"] == 1


@pytest.mark.parametrize("caller", [OTHER_MEMBER, MEMBER], ids=["another-members-link", "an-anonymous-link"])
def test_a_link_the_caller_may_not_manage_has_no_statistics_only_a_404(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore, caller: dict[str, Any]
) -> None:
    # GIVEN what the caller is told about a code that does not exist
    missing = stats_of(links, caller)
    # AND a link with that code, with clicks, that the caller may not manage
    store.add(CODE, owner=MEMBER_ID if caller is OTHER_MEMBER else None)
    seed_fixture_week(rollups)

    # WHEN the caller asks for its statistics
    with recording_dynamodb_calls() as calls:
        response = stats_of(links, caller)

    # THEN the same 404 as for a missing code, and the rollups were not even read
    assert_error(response, 404, "not_found")
    assert response.json() == missing.json()
    assert [call.operation for call in calls] == ["GetItem"]


def test_an_admin_sees_the_statistics_of_any_link(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=OTHER_MEMBER_ID)
    store.add("anon123", owner=None)
    seed_fixture_week(rollups)

    response = stats_of(links, ADMIN)
    anonymous = stats_of(links, ADMIN, code="anon123")

    assert response.status == 200, response.body
    assert response.json()["totals"]["clicks"] == 8
    assert (anonymous.status, anonymous.json()["totals"]["clicks"]) == (200, 0)


def test_a_links_statistics_are_one_query_after_the_links_read(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=MEMBER_ID)
    seed_fixture_week(rollups)

    with recording_dynamodb_calls() as calls:
        by_day = stats_of(links)
        by_hour = stats_of(links, query={"granularity": "hour"})

    assert (by_day.status, by_hour.status) == (200, 200)
    assert [call.operation for call in calls] == ["GetItem", "Query", "GetItem", "Query"]
    assert {call.params["ExpressionAttributeValues"][":pk"]["S"] for call in calls if call.operation == "Query"} == {
        f"STATS#LINK#{SHORT_DOMAIN}#{CODE}"
    }


def test_accept_text_csv_answers_one_row_per_bucket(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=MEMBER_ID)
    seed_fixture_week(rollups)

    response = stats_of(links, headers={"accept": "text/csv"})

    assert response.status == 200, response.body
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.body)))
    assert rows[0] == ["start", "clicks", "human", "bots", "previews", "unique_visitors"]
    assert rows[1:3] == [
        ["2026-11-19T00:00:00Z", "0", "0", "0", "0", "0"],
        ["2026-11-20T00:00:00Z", "8", "6", "2", "3", "2"],
    ]
    assert len(rows) == 1 + 7


def test_errors_stay_json_when_csv_is_asked_for(links: LambdaFunction, store: LinkStore) -> None:
    response = stats_of(links, headers={"accept": "text/csv"})

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-11-25", "to": "2026-11-19"},
        {"from": "2026-10-01T00:00Z", "to": "2026-11-25T00:00Z", "granularity": "hour"},  # 56 days by hour
        {"from": "2024-01-01", "to": "2026-11-25"},  # about three years
        {"granularity": "week"},
        {"from": "last tuesday"},
        {"to": "2026-02-30"},
    ],
)
def test_a_range_the_service_does_not_answer_is_422_before_any_read(
    links: LambdaFunction, store: LinkStore, query: dict[str, str]
) -> None:
    store.add(CODE, owner=MEMBER_ID)

    with recording_dynamodb_calls() as calls:
        response = stats_of(links, query=query)

    assert_error(response, 422, "invalid_range")
    assert calls == []


@pytest.mark.parametrize("caller", [ANONYMOUS, INVALID], ids=["no key", "invalid key"])
def test_statistics_need_a_valid_key(links: LambdaFunction, store: LinkStore, caller: dict[str, Any]) -> None:
    store.add(CODE, owner=MEMBER_ID)

    assert_error(stats_of(links, caller), 401, "unauthorized")
    assert_error(overview_of(links, caller), 401, "unauthorized")


def test_an_unregistered_domain_is_404_unknown_domain(links: LambdaFunction) -> None:
    assert_error(stats_of(links, query={"domain": "nowhere.example"}), 404, "unknown_domain")


# --- GET /v1/stats --------------------------------------------------------------------------------------------------


def seed_owners_and_domain(rollups: DynamoRollupStore) -> None:
    """Two owners' day buckets (with clicks per link) and the whole domain's (with misses)."""
    seed(
        rollups,
        link_day(
            "2026-11-20",
            MEMBER_SCOPE,
            human=9,
            bots=1,
            previews=4,
            links=Counter({f"{SHORT_DOMAIN}/{CODE}": 8, f"{SHORT_DOMAIN}/second1": 2}),
        )
        | link_day("2026-11-24", MEMBER_SCOPE, human=1, links=Counter({f"{SHORT_DOMAIN}/second1": 1}))
        | link_day(
            "2026-11-20", Scope.of_owner(OTHER_MEMBER_ID), human=50, links=Counter({f"{SHORT_DOMAIN}/theirs1": 50})
        )
        | link_day("2026-11-20", Scope.of_domain(SHORT_DOMAIN), human=70, bots=1, previews=4, misses=6),
    )


def test_the_fixture_shows_the_member_its_own_clicks_and_top_links(
    links: LambdaFunction, rollups: DynamoRollupStore
) -> None:
    seed_owners_and_domain(rollups)

    response = links(load_event("stats"))

    assert response.status == 200, response.body
    body = response.json()
    assert {key: body[key] for key in ("owner", "domain", "from", "to", "granularity")} == {
        "owner": MEMBER_ID,
        "domain": None,
        "from": "2026-11-19T00:00:00Z",
        "to": "2026-11-26T00:00:00Z",
        "granularity": "day",
    }
    assert body["totals"] == {
        "clicks": 11,
        "human": 10,
        "bots": 1,
        "previews": 4,
        "unique_visitors": None,
        "misses": None,
    }
    assert [point["clicks"] for point in body["series"]] == [0, 10, 0, 0, 0, 1, 0]
    assert body["top_links"] == [
        {"domain": SHORT_DOMAIN, "code": CODE, "short_url": f"{SHORT_BASE_URL}/{CODE}", "clicks": 8},
        {"domain": SHORT_DOMAIN, "code": "second1", "short_url": f"{SHORT_BASE_URL}/second1", "clicks": 3},
    ]


def test_an_admin_sees_the_whole_default_domain_with_its_misses(
    links: LambdaFunction, rollups: DynamoRollupStore
) -> None:
    seed_owners_and_domain(rollups)

    body = overview_of(links, ADMIN).json()

    assert (body["owner"], body["domain"]) == (None, SHORT_DOMAIN)
    assert body["totals"] == {"clicks": 71, "human": 70, "bots": 1, "previews": 4, "unique_visitors": None, "misses": 6}
    assert body["top_links"] is None


def test_an_admin_sees_one_owner_with_owner(links: LambdaFunction, rollups: DynamoRollupStore) -> None:
    seed_owners_and_domain(rollups)

    body = overview_of(links, ADMIN, query={"from": "2026-11-19", "to": "2026-11-25", "owner": OTHER_MEMBER_ID}).json()

    assert (body["owner"], body["totals"]["clicks"]) == (OTHER_MEMBER_ID, 50)
    assert [link["code"] for link in body["top_links"]] == ["theirs1"]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"owner": OTHER_MEMBER_ID}, 403, "forbidden"),
        ({"owner": "*"}, 403, "forbidden"),
        ({"domain": SHORT_DOMAIN}, 403, "forbidden"),
        ({"granularity": "hour"}, 422, "invalid_range"),
        ({"from": "2026-11-25", "to": "2026-11-01"}, 422, "invalid_range"),
    ],
)
def test_a_member_sees_only_its_own_clicks_by_day(
    links: LambdaFunction, rollups: DynamoRollupStore, query: dict[str, str], status: int, code: str
) -> None:
    seed_owners_and_domain(rollups)

    assert_error(overview_of(links, query=query), status, code)


def test_an_owner_and_a_domain_together_are_refused(links: LambdaFunction) -> None:
    response = overview_of(links, ADMIN, query={"owner": MEMBER_ID, "domain": SHORT_DOMAIN})

    assert_error(response, 422, "validation_error")
    assert response.json()["error"]["details"][0]["field"] == "domain"


def test_the_overview_answers_csv_too(links: LambdaFunction, rollups: DynamoRollupStore) -> None:
    seed_owners_and_domain(rollups)

    response = overview_of(links, ADMIN, headers={"accept": "text/csv"})

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.body)))
    assert rows[0] == ["start", "clicks", "human", "bots", "previews", "unique_visitors", "misses"]
    assert rows[2] == ["2026-11-20T00:00:00Z", "71", "70", "1", "4", "", "6"]


# --- GET /v1/links: each link's all-time clicks -------------------------------------------------------------------


def test_the_listing_shows_each_links_clicks_from_one_batch_read(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    # GIVEN two links of the member, one clicked 8 times (and previewed, which is no click), one never
    store.add(CODE, owner=MEMBER_ID, created_at=datetime(2026, 11, 1, tzinfo=UTC))
    store.add("never01", owner=MEMBER_ID, created_at=datetime(2026, 11, 2, tzinfo=UTC))
    seed(rollups, {BucketKey(LINK, Granularity.TOTAL): BucketCounts(human=6, bots=2, previews=3)})

    with recording_dynamodb_calls() as calls:
        response = links(as_caller(load_event("list_links", query={}), MEMBER))

    assert response.status == 200, response.body
    assert [(link["code"], link["clicks"]) for link in response.json()["links"]] == [("never01", 0), (CODE, 8)]
    assert [call.operation for call in calls] == ["Query", "BatchGetItem"]


def test_an_empty_listing_reads_no_clicks(links: LambdaFunction) -> None:
    with recording_dynamodb_calls() as calls:
        response = links(as_caller(load_event("list_links", query={}), MEMBER))

    assert response.json() == {"links": [], "next_cursor": None}
    assert [call.operation for call in calls] == ["Query"]


def test_reading_one_link_shows_no_clicks(links: LambdaFunction, store: LinkStore) -> None:
    store.add(CODE, owner=MEMBER_ID)

    body = links(as_caller(load_event("get_link"), MEMBER)).json()

    assert "clicks" not in body


# --- least privilege ----------------------------------------------------------------------------------------------


def test_the_statistics_routes_use_only_what_the_links_function_is_granted_on_stats_items(
    links: LambdaFunction, store: LinkStore, rollups: DynamoRollupStore
) -> None:
    store.add(CODE, owner=MEMBER_ID)
    seed_fixture_week(rollups)

    with recording_dynamodb_calls() as calls:
        stats_of(links)
        overview_of(links)
        overview_of(links, ADMIN)
        links(as_caller(load_event("list_links", query={}), MEMBER))

    assert calls_made(calls) <= calls_granted("LinksFunction")
    batch_reads = [call for call in calls if call.operation == "BatchGetItem"]
    assert batch_reads
    for call in batch_reads:
        [keys] = [request["Keys"] for request in call.params["RequestItems"].values()]
        assert all(key["pk"]["S"].startswith("STATS#") for key in keys)
