"""The aggregator (AnalyticsFunction) on real CloudWatch Logs subscription events, against the template's table:
what a batch of click records writes, item by item; a batch counted once however often it is delivered; lines
that are not click records skipped and counted; control messages; store failures left to Lambda's retries."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.rollups import Scope
from shortlinks.storage.owners import DynamoLinkOwners
from tests.events import EVENTS_DIR, load_event
from tests.integration.conftest import ColdStart
from tests.integration.harness import (
    MEMBER_ID,
    REGION,
    SHORT_DOMAIN,
    TABLE_NAME,
    CapturedLogs,
    LinkStore,
    invoke,
    recording_dynamodb_calls,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from shortlinks.domain.rollups import LinkOwners

    _owners: LinkOwners = DynamoLinkOwners(TABLE_NAME, REGION)  # mypy proves the adapter keeps to the port

# An invocation that counts nothing (a control message, a failure) publishes no metric, and Powertools says so.
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

DAY = "2026-12-01"
HOUR = "2026-12-01T09"
LINK_PK = f"STATS#LINK#{SHORT_DOMAIN}#AbC1234"
HELP_PK = f"STATS#LINK#{SHORT_DOMAIN}#help"
OWNER_PK = f"STATS#OWNER#{MEMBER_ID}"
DOMAIN_PK = f"STATS#DOMAIN#{SHORT_DOMAIN}"
HOURLY_DAYS, DAILY_DAYS = 35, 730  # the template's defaults


@pytest.fixture(scope="module")
def analytics_module(start_function: ColdStart) -> ModuleType:
    return start_function("AnalyticsFunction")


Aggregate = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture
def aggregate(analytics_module: ModuleType, lambda_context: LambdaContext) -> Aggregate:
    """Invoke the aggregator as CloudWatch Logs does (asynchronously: what it returns goes nowhere; the tests read
    it for the batch id and the number of records skipped)."""

    def aggregate(event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = invoke(analytics_module, event, lambda_context)
        return result

    return aggregate


@pytest.fixture
def links(store: LinkStore) -> LinkStore:
    """The fixture's links: AbC1234 owned by the member, help anonymous (nope404 does not exist)."""
    store.add("AbC1234", owner=MEMBER_ID)
    store.add("help", redirect_type=301)
    return store


def source() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / "awslogs_clicks.source.json").read_text(encoding="utf-8"))
    return loaded


def subscription_event(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` as CloudWatch Logs delivers it: base64 of gzip of JSON."""
    blob = gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(blob).decode()}}


def with_events(log_events: list[dict[str, Any]]) -> dict[str, Any]:
    return subscription_event(source() | {"logEvents": log_events})


def stats_items(store: LinkStore) -> dict[tuple[str, str], dict[str, Any]]:
    """Every statistics item, by key, its attributes in plain Python (numbers as int, sets as sets)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for item in store.items():
        if not item["pk"]["S"].startswith("STATS#"):
            continue
        found[item["pk"]["S"], item["sk"]["S"]] = {
            name: int(value["N"]) if "N" in value else set(value["SS"]) if "SS" in value else value["S"]
            for name, value in item.items()
            if name not in ("pk", "sk")
        }
    return found


def buckets(store: LinkStore) -> dict[tuple[str, str], dict[str, Any]]:
    """The counting buckets (not the visitor shards), without their ``ttl``."""
    return {
        key: {name: value for name, value in item.items() if name != "ttl"}
        for key, item in stats_items(store).items()
        if "ids" not in item
    }


def visitors(store: LinkStore, pk: str) -> set[str]:
    return {
        visitor for (item_pk, _), item in stats_items(store).items() if item_pk == pk for visitor in item.get("ids", ())
    }


def metric_values(logs: CapturedLogs, name: str) -> list[float]:
    """The values of metric ``name`` in the EMF blobs flushed (one per invocation)."""
    values: list[float] = []
    for record in logs.records():
        if "_aws" in record and name in record:
            values.extend(record[name] if isinstance(record[name], list) else [record[name]])
    return values


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# What the fixture's eleven click records add up to (tests/events/awslogs_clicks.source.json): on AbC1234, a
# desktop Chrome, an iPhone twice and an Android phone (humans, three visitors), Googlebot and an empty user agent
# (bots), Slackbot by HEAD and by GET (previews), and a 503 (nothing); one human on help; a 404 on nope404. The
# first eight are format 3 (timed by their log events), the help click format 2 and the last two format 1: a batch
# written during deployments, counted the same whatever each record's format.
AbC1234_DAY = {
    "human": 4,
    "bots": 2,
    "previews": 2,
    "misses": 0,
    "referrers:t.co": 3,
    "referrers:www.linkedin.com": 1,
    "referrers:(direct)": 2,
    "countries:FR": 3,
    "countries:DE": 1,
    "countries:US": 1,
    "countries:unknown": 1,
    "devices:desktop": 1,
    "devices:mobile": 3,
    "devices:bot": 2,
    "browsers:Chrome": 1,
    "browsers:Mobile Safari": 2,
    "browsers:Chrome Mobile": 1,
    "browsers:Googlebot": 1,
    "browsers:unknown": 1,
    "os:Windows": 1,
    "os:iOS": 2,
    "os:Android": 1,
    "os:unknown": 2,
    "sources:link": 6,  # the fixture's records were written before the redirect named a source: none is a scan
}
HELP_DAY = {
    "human": 1,
    "bots": 0,
    "previews": 0,
    "misses": 0,
    "referrers:(direct)": 1,
    "countries:CA": 1,
    "devices:desktop": 1,
    "browsers:Chrome": 1,
    "os:Windows": 1,
    "sources:link": 1,
}


def without_zeros(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if value != 0}


def expected_buckets() -> dict[tuple[str, str], dict[str, Any]]:
    counters = {"human": 4, "bots": 2, "previews": 2}
    return {
        (LINK_PK, f"H#{HOUR}"): counters,
        (LINK_PK, f"D#{DAY}"): AbC1234_DAY,
        (LINK_PK, "TOTAL"): {"human": 4, "bots": 2},
        (HELP_PK, f"H#{HOUR}"): {"human": 1},
        (HELP_PK, f"D#{DAY}"): HELP_DAY,
        (HELP_PK, "TOTAL"): {"human": 1},
        (OWNER_PK, f"D#{DAY}"): counters | {f"link:{SHORT_DOMAIN}/AbC1234": 6},
        (DOMAIN_PK, f"D#{DAY}"): {"human": 5, "bots": 2, "previews": 2, "misses": 1},
    }


def assert_the_fixture_counted_once(store: LinkStore) -> None:
    found = buckets(store)
    assert {key: without_zeros(value) for key, value in found.items()} == {
        key: without_zeros(value) for key, value in expected_buckets().items()
    }
    assert visitors(store, LINK_PK) == {"3f2a9c0d1e4b5a67", "a1b2c3d4e5f60718", "c0ffee00deadbeef"}
    assert visitors(store, HELP_PK) == {"77aa88bb99cc00dd"}


# --- one batch ----------------------------------------------------------------------------------------------------


def test_a_batch_of_click_records_becomes_the_buckets_of_its_links_owner_and_domain(
    aggregate: Aggregate, links: LinkStore, logs: CapturedLogs
) -> None:
    # GIVEN the subscription's fixture batch: eleven click records on sho.rt, 2026-12-01 09:14-09:15 UTC
    # WHEN the aggregator receives it
    result = aggregate(load_event("awslogs_clicks"))

    # THEN each link has its hour, day and all-time buckets, its owner's and domain's days follow, and nope404
    # (not a link) has nothing of its own
    assert_the_fixture_counted_once(links)
    assert result["records"] == 11
    assert result["skipped"] == 0
    assert not any(pk.endswith("#nope404") for pk, _ in stats_items(links))
    assert [
        metric_values(logs, name)
        for name in ("ClicksCounted", "BotsCounted", "PreviewsCounted", "MissesCounted", "ClickRecordsSkipped")
    ] == [[7], [2], [2], [1], [0]]


def test_buckets_expire_after_the_templates_retention_and_totals_never(aggregate: Aggregate, links: LinkStore) -> None:
    aggregate(load_event("awslogs_clicks"))

    items = stats_items(links)
    day_start = datetime(2026, 12, 1, tzinfo=UTC)
    assert items[LINK_PK, f"H#{HOUR}"]["ttl"] == epoch(day_start + timedelta(hours=9, days=HOURLY_DAYS))
    assert items[LINK_PK, f"D#{DAY}"]["ttl"] == epoch(day_start + timedelta(days=DAILY_DAYS))
    assert items[OWNER_PK, f"D#{DAY}"]["ttl"] == epoch(day_start + timedelta(days=DAILY_DAYS))
    assert items[DOMAIN_PK, f"D#{DAY}"]["ttl"] == epoch(day_start + timedelta(days=DAILY_DAYS))
    assert "ttl" not in items[LINK_PK, "TOTAL"]
    shards = [item for (pk, _), item in items.items() if pk == LINK_PK and "ids" in item]
    assert {item["ttl"] for item in shards} == {epoch(day_start + timedelta(days=DAILY_DAYS))}


def test_a_batch_reads_its_links_owners_once_and_writes_in_transactions_only(
    aggregate: Aggregate, links: LinkStore
) -> None:
    with recording_dynamodb_calls() as calls:
        aggregate(load_event("awslogs_clicks"))

    operations = [call.operation for call in calls]
    assert operations.count("BatchGetItem") == 1
    assert set(operations) == {"BatchGetItem", "TransactWriteItems"}
    (lookup,) = [call for call in calls if call.operation == "BatchGetItem"]
    request = lookup.params["RequestItems"][TABLE_NAME]
    assert sorted(key["pk"]["S"] for key in request["Keys"]) == [
        f"LINK#{SHORT_DOMAIN}#AbC1234",
        f"LINK#{SHORT_DOMAIN}#help",
    ]
    assert request["ConsistentRead"] is True
    assert sorted(request["ExpressionAttributeNames"].values()) == ["code", "domain", "owner"]


# --- exactly once -------------------------------------------------------------------------------------------------


def test_the_same_batch_delivered_twice_counts_once(aggregate: Aggregate, links: LinkStore) -> None:
    # GIVEN a batch the aggregator has counted
    aggregate(load_event("awslogs_clicks"))
    counted = stats_items(links)

    # WHEN CloudWatch Logs delivers it again, its events in another order
    again = source()
    again["logEvents"].reverse()
    aggregate(subscription_event(again))

    # THEN nothing changes
    assert stats_items(links) == counted
    assert_the_fixture_counted_once(links)


def test_two_different_batches_are_both_counted(aggregate: Aggregate, links: LinkStore) -> None:
    # GIVEN the fixture's records split into two batches (as CloudWatch Logs may deliver them)
    events = source()["logEvents"]

    # WHEN both are delivered, one after the other
    first = aggregate(with_events(events[:5]))
    second = aggregate(with_events(events[5:]))

    # THEN together they count what the whole batch does
    assert first["batch_id"] != second["batch_id"]
    assert_the_fixture_counted_once(links)


# --- lines that are not click records ------------------------------------------------------------------------------


def test_a_malformed_line_is_skipped_and_counted_and_the_rest_of_the_batch_is_counted(
    aggregate: Aggregate, links: LinkStore, logs: CapturedLogs
) -> None:
    events = source()["logEvents"]
    broken = json.loads(events[0]["message"]) | {"s": "302"}
    malformed = [
        {"id": "3" * 56, "timestamp": events[0]["timestamp"], "message": json.dumps(broken)},
        {"id": "4" * 56, "timestamp": events[0]["timestamp"], "message": '{"click":3,"c":"AbC12'},
        # a format 3 record is timed by its log event: without a usable timestamp it cannot be counted
        {"id": "5" * 56, "timestamp": "1796116443120", "message": events[0]["message"]},
    ]

    result = aggregate(with_events(events + malformed))

    assert result["skipped"] == 3
    assert_the_fixture_counted_once(links)
    assert metric_values(logs, "ClickRecordsSkipped") == [3]


def test_a_control_message_writes_nothing(aggregate: Aggregate, links: LinkStore) -> None:
    with recording_dynamodb_calls() as calls:
        result = aggregate(load_event("awslogs_control"))

    assert calls == []
    assert result["batch_id"] is None
    assert stats_items(links) == {}


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"awslogs": {"data": "not base64!"}},
        {"awslogs": {"data": base64.b64encode(b"not gzip").decode()}},
        {"awslogs": {"data": base64.b64encode(gzip.compress(b"not json")).decode()}},
        {"awslogs": {"data": base64.b64encode(gzip.compress(b"\0" * (10 * 1024 * 1024 + 1))).decode()}},
        subscription_event({"messageType": "DATA_MESSAGE", "logEvents": [{"message": "no id"}]}),
    ],
    ids=["no-awslogs", "not-base64", "not-gzip", "not-json", "inflates-past-10-MB", "event-without-id"],
)
def test_an_event_that_is_not_a_subscription_payload_fails_the_invocation(
    aggregate: Aggregate, analytics_module: ModuleType, links: LinkStore, event: dict[str, Any]
) -> None:
    # It then lands in the on-failure queue (after Lambda's retries), where someone can look at it.
    with pytest.raises(analytics_module.InvalidSubscriptionEvent):
        aggregate(event)

    assert stats_items(links) == {}


# --- failures -----------------------------------------------------------------------------------------------------


@contextmanager
def failing(operation: str, code: str) -> Iterator[None]:
    """Every ``operation`` call answers DynamoDB's error ``code``."""
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private, so absent from the stubs

    def fail(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation_name)
        return original(client, operation_name, api_params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", fail)
        yield


@pytest.mark.parametrize(
    ("operation", "code"),
    [("TransactWriteItems", "ThrottlingException"), ("BatchGetItem", "InternalServerError")],
)
def test_a_store_failure_fails_the_invocation_so_lambda_retries_the_batch(
    aggregate: Aggregate, links: LinkStore, operation: str, code: str
) -> None:
    with failing(operation, code), pytest.raises(StorageUnavailable):
        aggregate(load_event("awslogs_clicks"))

    # and the retry counts the batch in full
    aggregate(load_event("awslogs_clicks"))
    assert_the_fixture_counted_once(links)


# --- the owner lookup ----------------------------------------------------------------------------------------------


def test_owners_are_read_100_links_a_call(store: LinkStore) -> None:
    for number in range(150):
        store.add(f"code{number:03d}", owner=MEMBER_ID if number % 2 else None)
    wanted = [Scope.link(SHORT_DOMAIN, f"code{number:03d}") for number in range(150)]
    wanted.append(Scope.link(SHORT_DOMAIN, "absent"))

    with recording_dynamodb_calls() as calls:
        owners = DynamoLinkOwners(TABLE_NAME, REGION).owners(wanted)

    assert [call.operation for call in calls] == ["BatchGetItem", "BatchGetItem"]
    assert [len(call.params["RequestItems"][TABLE_NAME]["Keys"]) for call in calls] == [100, 51]
    assert len(owners) == 150
    assert Scope.link(SHORT_DOMAIN, "absent") not in owners
    assert owners[Scope.link(SHORT_DOMAIN, "code001")] == MEMBER_ID
    assert owners[Scope.link(SHORT_DOMAIN, "code002")] is None
