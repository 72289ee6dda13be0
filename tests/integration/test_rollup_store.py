"""The rollup store's promises: what a batch writes, item by item; every batch counted exactly once, however often
it is delivered and wherever a delivery failed; statistics read back in one Query; the daily visitor secret."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError, ConnectionClosedError

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.rollups import BucketCounts, BucketKey, Granularity, Retention, Rollup, Scope
from shortlinks.storage.analytics import (
    MAX_UPDATES_PER_TRANSACTION,
    TRANSACTION_ATTEMPTS,
    DynamoRollupStore,
    plan_transactions,
)
from shortlinks.storage.secrets import SECRET_BYTES, DynamoVisitorSecrets
from tests.integration.harness import MEMBER_ID, REGION, SHORT_DOMAIN, TABLE_NAME, LinkStore, recording_dynamodb_calls

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from shortlinks.domain.rollups import RollupStore, StatsSource

    # mypy proves the adapter keeps to both ports
    _writes: RollupStore = DynamoRollupStore(TABLE_NAME, REGION)
    _reads: StatsSource = DynamoRollupStore(TABLE_NAME, REGION)

NOW = datetime(2026, 12, 1, 11, 0, 5, tzinfo=UTC)
HOUR = "2026-12-01T10"
DAY = "2026-12-01"
RETENTION = Retention(hourly_days=3, daily_days=40)  # not the defaults: the TTLs must follow the parameters
LINK = Scope.link(SHORT_DOMAIN, "help")
OTHER_LINK = Scope.link(SHORT_DOMAIN, "donate")
OWNER = Scope.of_owner(MEMBER_ID)
DOMAIN = Scope.of_domain(SHORT_DOMAIN)
LINK_PK = f"STATS#LINK#{SHORT_DOMAIN}#help"
VISITOR_A = "0a1b2c3d4e5f6071"
VISITOR_B = "f00dfeedf00dfeed"
VISITOR_C = "0ffffffffffffff0"  # shares VISITOR_A's shard


@pytest.fixture
def rollups() -> DynamoRollupStore:
    return DynamoRollupStore(TABLE_NAME, REGION, clock=lambda: NOW)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A raw item with its attribute values unwrapped: strings, ints and sets."""
    values: dict[str, Any] = {}
    for name, value in item.items():
        (kind, content), *_ = value.items()
        values[name] = {"S": str, "N": int, "SS": set}[kind](content)
    return values


def stored(table: LinkStore, prefix: str = "") -> list[dict[str, Any]]:
    """The table's items whose ``pk`` starts with ``prefix``, unwrapped, sorted by key."""
    items = [plain(item) for item in table.items() if item["pk"]["S"].startswith(prefix)]
    return sorted(items, key=lambda item: (item["pk"], item["sk"]))


def campaign_rollup(visitors: set[str] | None = None) -> Rollup:
    """A batch of three clicks on ``help`` (two human, one bot), a preview and two misses."""
    rollup = Rollup()
    rollup.buckets[BucketKey(LINK, Granularity.HOUR, HOUR)] = BucketCounts(human=2, bots=1, previews=1)
    rollup.buckets[BucketKey(LINK, Granularity.DAY, DAY)] = BucketCounts(
        human=2,
        bots=1,
        previews=1,
        breakdowns={"referrers": Counter({"t.co": 2, "(direct)": 1}), "countries": Counter({"FR": 3})},
        visitors={VISITOR_A, VISITOR_B} if visitors is None else visitors,
    )
    rollup.buckets[BucketKey(LINK, Granularity.TOTAL)] = BucketCounts(human=2, bots=1)
    rollup.buckets[BucketKey(OWNER, Granularity.DAY, DAY)] = BucketCounts(
        human=2, bots=1, previews=1, links=Counter({f"{SHORT_DOMAIN}/help": 3})
    )
    rollup.buckets[BucketKey(DOMAIN, Granularity.DAY, DAY)] = BucketCounts(human=2, bots=1, previews=1, misses=2)
    return rollup


def hourly_rollup(hours: int) -> Rollup:
    """One human click in each of ``hours`` consecutive hours of ``help``."""
    rollup = Rollup()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    for n in range(hours):
        rollup.buckets[BucketKey(LINK, Granularity.HOUR, BucketKey.hour_of(start + timedelta(hours=n)))] = BucketCounts(
            human=1
        )
    return rollup


def hour_counts(table: LinkStore) -> list[int]:
    return [item["human"] for item in stored(table, LINK_PK) if item["sk"].startswith("H#")]


@contextmanager
def transactions_failing(error: Callable[[], Exception], *, after: int = 0, times: int = 1_000) -> Iterator[list[str]]:
    """``TransactWriteItems`` calls: the first ``after`` reach the table, the next ``times`` fail with ``error()``
    before reaching it, the rest reach it. Yields each call's fate (``sent`` or ``failed``), in order."""
    fates: list[str] = []
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private, so absent from the stubs

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            if after <= len(fates) < after + times:
                fates.append("failed")
                raise error()
            fates.append("sent")
        return original(client, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", call)
        yield fates


def throttled() -> Exception:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "TransactWriteItems")


def conflicting() -> Exception:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled [None, TransactionConflict]"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
        },
        "TransactWriteItems",
    )


def test_a_batch_writes_counters_breakdowns_visitor_shards_ttls_and_one_marker(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    # GIVEN one batch's rollup: the link's hour, day and total, its owner's and its domain's day
    # WHEN it is applied
    rollups.apply("batch-1", campaign_rollup(), RETENTION)

    # THEN each bucket is one item of numbers, the day's visitor ids sit in shards by their first hex digit, every
    # bucket but the total expires after its granularity's retention, and one marker records the transaction
    hour_ttl = epoch(datetime(2026, 12, 1, 10, tzinfo=UTC) + timedelta(days=3))
    day_ttl = epoch(datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=40))
    assert stored(store) == [
        {"pk": "BATCH#batch-1", "sk": "0", "ttl": epoch(NOW + timedelta(days=15))},
        {
            "pk": "STATS#DOMAIN#sho.rt",
            "sk": "D#2026-12-01",
            "human": 2,
            "bots": 1,
            "previews": 1,
            "misses": 2,
            "ttl": day_ttl,
        },
        {
            "pk": LINK_PK,
            "sk": "D#2026-12-01",
            "human": 2,
            "bots": 1,
            "previews": 1,
            "referrers:t.co": 2,
            "referrers:(direct)": 1,
            "countries:FR": 3,
            "ttl": day_ttl,
        },
        {"pk": LINK_PK, "sk": "D#2026-12-01#V0", "ids": {VISITOR_A}, "ttl": day_ttl},
        {"pk": LINK_PK, "sk": "D#2026-12-01#Vf", "ids": {VISITOR_B}, "ttl": day_ttl},
        {"pk": LINK_PK, "sk": "H#2026-12-01T10", "human": 2, "bots": 1, "previews": 1, "ttl": hour_ttl},
        {"pk": LINK_PK, "sk": "TOTAL", "human": 2, "bots": 1},
        {
            "pk": f"STATS#OWNER#{MEMBER_ID}",
            "sk": "D#2026-12-01",
            "human": 2,
            "bots": 1,
            "previews": 1,
            "link:sho.rt/help": 3,
            "ttl": day_ttl,
        },
    ]


def test_the_same_batch_delivered_again_changes_nothing(rollups: DynamoRollupStore, store: LinkStore) -> None:
    # GIVEN a batch that was applied
    rollups.apply("batch-1", campaign_rollup(), RETENTION)
    first = stored(store)

    # WHEN CloudWatch Logs delivers it again (its id is the same), to another container
    with recording_dynamodb_calls() as calls:
        DynamoRollupStore(TABLE_NAME, REGION, clock=lambda: NOW + timedelta(hours=5)).apply(
            "batch-1", campaign_rollup(), RETENTION
        )

    # THEN its one transaction is refused on its marker, and every item is as it was (the marker's ttl included)
    assert [call.operation for call in calls] == ["TransactWriteItems"]
    assert stored(store) == first


def test_a_batch_of_several_transactions_delivered_again_counts_each_bucket_once(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    # GIVEN a batch with 250 buckets: more than one transaction can hold
    rollup = hourly_rollup(250)
    assert [len(updates) for updates in plan_transactions(rollup, RETENTION)] == [99, 99, 52]

    # WHEN it is delivered twice
    with recording_dynamodb_calls() as calls:
        rollups.apply("batch-big", rollup, RETENTION)
        rollups.apply("batch-big", rollup, RETENTION)

    # THEN each delivery sent three transactions of at most 100 actions, and every bucket counted its click once
    assert [len(call.params["TransactItems"]) for call in calls] == [100, 100, 53] * 2
    assert hour_counts(store) == [1] * 250
    assert [item["sk"] for item in stored(store, "BATCH#")] == ["0", "1", "2"]


def test_another_batch_adds_to_the_same_buckets_and_a_returning_visitor_is_one_visitor(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    # GIVEN a batch with visitors A and B applied
    rollups.apply("batch-1", campaign_rollup(), RETENTION)

    # WHEN another batch brings the same counts, from A (again) and C
    rollups.apply("batch-2", campaign_rollup({VISITOR_A, VISITOR_C}), RETENTION)

    # THEN every counter doubled, and the day knows three visitors
    day = stats(store, LINK_PK, "D#2026-12-01")
    assert (day["human"], day["bots"], day["previews"], day["referrers:t.co"], day["countries:FR"]) == (4, 2, 2, 4, 6)
    assert stats(store, LINK_PK, "D#2026-12-01#V0")["ids"] == {VISITOR_A, VISITOR_C}
    assert stats(store, LINK_PK, "D#2026-12-01#Vf")["ids"] == {VISITOR_B}
    assert rollups.buckets(LINK, Granularity.DAY, DAY, DAY)[DAY].unique_visitors == 3
    assert rollups.total_clicks([LINK]) == {LINK: 6}


def stats(table: LinkStore, pk: str, sk: str) -> dict[str, Any]:
    return next(item for item in stored(table, pk) if item["sk"] == sk)


def test_an_item_with_more_numbers_than_one_update_holds_spreads_over_transactions_and_still_counts_once(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    # GIVEN an owner whose 250 links were each clicked once in the batch: 250 numbers on one item
    rollup = Rollup()
    rollup.buckets[BucketKey(OWNER, Granularity.DAY, DAY)] = BucketCounts(
        human=250, links=Counter({f"{SHORT_DOMAIN}/link{n:03d}": 1 for n in range(250)})
    )

    # WHEN it is applied twice
    rollups.apply("batch-owner", rollup, RETENTION)
    rollups.apply("batch-owner", rollup, RETENTION)

    # THEN the item's updates went in transactions of their own (DynamoDB refuses two on one item in one), and
    # every number was added once
    assert [len(updates) for updates in plan_transactions(rollup, RETENTION)] == [1, 1, 1]
    day = rollups.buckets(OWNER, Granularity.DAY, DAY, DAY)[DAY]
    assert day.human == 250
    assert day.links == Counter({f"{SHORT_DOMAIN}/link{n:03d}": 1 for n in range(250)})


def test_buckets_reads_a_range_of_hours_or_days_in_one_query_with_each_days_unique_visitors(
    rollups: DynamoRollupStore,
) -> None:
    # GIVEN two days of clicks on the link, the second with three visitors
    first_day = Rollup()
    first_day.buckets[BucketKey(LINK, Granularity.HOUR, "2026-11-30T23")] = BucketCounts(human=1)
    first_day.buckets[BucketKey(LINK, Granularity.DAY, "2026-11-30")] = BucketCounts(
        human=1, breakdowns={"os": Counter({"iOS": 1})}, visitors={VISITOR_B}
    )
    rollups.apply("batch-0", first_day, RETENTION)
    rollups.apply("batch-1", campaign_rollup({VISITOR_A, VISITOR_B, VISITOR_C}), RETENTION)

    # WHEN statistics read the hours and the days
    with recording_dynamodb_calls() as calls:
        hours = rollups.buckets(LINK, Granularity.HOUR, "2026-11-30T00", "2026-12-01T23")
        days = rollups.buckets(LINK, Granularity.DAY, "2026-11-01", "2026-12-01")
        owner_days = rollups.buckets(OWNER, Granularity.DAY, "2026-11-01", "2026-12-01")
        total = rollups.buckets(LINK, Granularity.TOTAL, "", "")

    # THEN each read was one Query, and each bucket reads back as it was added up; unique visitors are a day's
    assert [call.operation for call in calls] == ["Query"] * 4
    assert hours == {
        "2026-11-30T23": BucketCounts(human=1),
        "2026-12-01T10": BucketCounts(human=2, bots=1, previews=1),
    }
    assert days == {
        "2026-11-30": BucketCounts(human=1, breakdowns={"os": Counter({"iOS": 1})}, unique_visitors=1),
        "2026-12-01": BucketCounts(
            human=2,
            bots=1,
            previews=1,
            breakdowns={"referrers": Counter({"t.co": 2, "(direct)": 1}), "countries": Counter({"FR": 3})},
            unique_visitors=3,
        ),
    }
    assert owner_days == {DAY: BucketCounts(human=2, bots=1, previews=1, links=Counter({"sho.rt/help": 3}))}
    assert total == {"": BucketCounts(human=2, bots=1)}


def test_buckets_outside_the_range_are_not_read(rollups: DynamoRollupStore) -> None:
    # GIVEN clicks on 2026-12-01 only
    rollups.apply("batch-1", campaign_rollup(), RETENTION)

    # WHEN ranges around it are read, the last day's visitor shards included or not
    # THEN only a range that holds the bucket finds it
    assert rollups.buckets(LINK, Granularity.DAY, "2026-12-02", "2026-12-31") == {}
    assert rollups.buckets(LINK, Granularity.DAY, "2026-11-01", "2026-11-30") == {}
    assert rollups.buckets(LINK, Granularity.HOUR, "2026-12-01T11", "2026-12-01T23") == {}
    assert set(rollups.buckets(LINK, Granularity.HOUR, "2026-12-01T10", "2026-12-01T10")) == {HOUR}
    assert rollups.buckets(LINK, Granularity.DAY, DAY, DAY)[DAY].unique_visitors == 2
    assert rollups.buckets(OTHER_LINK, Granularity.DAY, DAY, DAY) == {}
    assert rollups.buckets(LINK, Granularity.DAY, "2026-12-31", "2026-12-01") == {}  # an empty range: no call


def test_total_clicks_reads_each_links_all_time_clicks_and_zero_for_links_never_clicked(
    rollups: DynamoRollupStore,
) -> None:
    # GIVEN 150 links with all-time totals (n human and 1 bot click each), and one link never clicked
    links = [Scope.link(SHORT_DOMAIN, f"c{n:03d}") for n in range(150)]
    rollup = Rollup()
    for n, link in enumerate(links):
        rollup.buckets[BucketKey(link, Granularity.TOTAL)] = BucketCounts(human=n, bots=1, previews=5)
    rollups.apply("batch-totals", rollup, RETENTION)

    # WHEN the listing asks for their clicks
    with recording_dynamodb_calls() as calls:
        totals = rollups.total_clicks([*links, OTHER_LINK])

    # THEN two BatchGetItem calls (at most 100 keys each) answer every link; previews are not clicks
    assert [call.operation for call in calls] == ["BatchGetItem", "BatchGetItem"]
    assert totals == {link: n + 1 for n, link in enumerate(links)} | {OTHER_LINK: 0}
    assert rollups.total_clicks([]) == {}


def test_a_throttled_transaction_fails_as_unavailable_writing_nothing_and_a_new_delivery_completes_the_batch(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    # GIVEN a batch of three transactions whose second is throttled every time it is tried
    rollup = hourly_rollup(250)
    with transactions_failing(throttled, after=1) as fates, pytest.raises(StorageUnavailable) as failure:
        rollups.apply("batch-big", rollup, RETENTION)

    # THEN the store tried it a few times, then gave up as unavailable (so the whole batch is retried later);
    # the first transaction is written with its marker, nothing of the second is
    assert fates == ["sent"] + ["failed"] * TRANSACTION_ATTEMPTS
    assert "ThrottlingException" in failure.value.message
    assert failure.value.retry_after == 2
    assert hour_counts(store) == [1] * MAX_UPDATES_PER_TRANSACTION
    assert [item["sk"] for item in stored(store, "BATCH#")] == ["0"]

    # WHEN the batch is delivered again and the table answers
    rollups.apply("batch-big", rollup, RETENTION)

    # THEN the batch is complete, and the first transaction was not counted twice
    assert hour_counts(store) == [1] * 250
    assert [item["sk"] for item in stored(store, "BATCH#")] == ["0", "1", "2"]


def test_a_dropped_connection_fails_as_unavailable_and_writes_nothing(
    rollups: DynamoRollupStore, store: LinkStore
) -> None:
    def dropped() -> Exception:
        return ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")

    with transactions_failing(dropped) as fates, pytest.raises(StorageUnavailable) as failure:
        rollups.apply("batch-1", campaign_rollup(), RETENTION)

    assert fates == ["failed"]  # not retried here: the budget's own retry policy already had its attempts
    assert "ConnectionClosedError" in failure.value.message
    assert stored(store) == []


def test_a_transaction_conflict_is_retried_and_counted_once(rollups: DynamoRollupStore, store: LinkStore) -> None:
    # GIVEN the batch's transaction collides once with another transaction on the same items
    with transactions_failing(conflicting, times=1) as fates:
        rollups.apply("batch-1", campaign_rollup(), RETENTION)

    # THEN it is tried again, and lands once
    assert fates == ["failed", "sent"]
    assert stats(store, LINK_PK, "TOTAL") == {"pk": LINK_PK, "sk": "TOTAL", "human": 2, "bots": 1}


# The daily visitor secret


@pytest.fixture
def secrets() -> DynamoVisitorSecrets:
    return DynamoVisitorSecrets(TABLE_NAME, REGION, clock=lambda: NOW)


def test_the_days_secret_is_created_once_and_read_back_with_one_get(
    secrets: DynamoVisitorSecrets, store: LinkStore
) -> None:
    # GIVEN no secret for the day yet
    # WHEN a container asks for it, then another container
    with recording_dynamodb_calls() as creating:
        secret = secrets.secret_for(date(2026, 12, 1))
    with recording_dynamodb_calls() as reading:
        again = DynamoVisitorSecrets(TABLE_NAME, REGION, clock=lambda: NOW).secret_for(date(2026, 12, 1))

    # THEN the first created 32 random bytes, stored until 48 hours after the day began; the second read them
    assert len(secret) == SECRET_BYTES
    assert again == secret
    assert [call.operation for call in creating] == ["GetItem", "PutItem"]
    assert [call.operation for call in reading] == ["GetItem"]
    assert stored(store) == [
        {
            "pk": "SECRET#visitor",
            "sk": "2026-12-01",
            "entity": "secret",
            "secret": base64.b64encode(secret).decode(),
            "ttl": epoch(datetime(2026, 12, 3, tzinfo=UTC)),
        }
    ]


def test_each_day_has_its_own_secret(secrets: DynamoVisitorSecrets) -> None:
    assert secrets.secret_for(date(2026, 12, 1)) != secrets.secret_for(date(2026, 12, 2))


def test_a_container_that_loses_the_race_to_create_the_secret_uses_the_winners(
    secrets: DynamoVisitorSecrets, dynamodb: DynamoDBClient
) -> None:
    # GIVEN another container creates the day's secret between this one's read and its own put
    rival = b"r" * SECRET_BYTES
    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private, so absent from the stubs
    raced: list[bool] = []

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "PutItem" and not raced:
            raced.append(True)
            dynamodb.put_item(
                TableName=TABLE_NAME,
                Item={
                    "pk": {"S": "SECRET#visitor"},
                    "sk": {"S": "2026-12-01"},
                    "secret": {"S": base64.b64encode(rival).decode()},
                    "ttl": {"N": str(epoch(datetime(2026, 12, 3, tzinfo=UTC)))},
                },
            )
        return original(client, operation, params)

    # WHEN this container asks for the secret
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseClient, "_make_api_call", call)
        secret = secrets.secret_for(date(2026, 12, 1))

    # THEN its own put was refused, and it uses the rival's secret: one secret a day for every container
    assert secret == rival
    assert raced == [True]


def test_an_expired_days_secret_is_never_read_or_recreated(secrets: DynamoVisitorSecrets) -> None:
    # GIVEN "now" is 2026-12-01 11:00: the secret of 2026-11-29 expired at 2026-12-01 00:00
    with recording_dynamodb_calls() as calls, pytest.raises(ValueError, match="2026-11-29"):
        secrets.secret_for(date(2026, 11, 29))

    assert calls == []
    assert len(secrets.secret_for(date(2026, 11, 30))) == SECRET_BYTES  # still within its 48 hours
