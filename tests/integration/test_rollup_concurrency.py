"""Deliveries of click batches at the same moment, from threads, against a DynamoDB served over HTTP.

CloudWatch Logs may deliver a batch again while the first delivery is still being counted, on another container,
and delivers other batches in parallel. Each thread here is one aggregator container with its own store (its own
botocore client); a ``threading.Barrier`` releases them together. moto's in-process mock is not safe to call from
several threads, so the table is the local server's embedded DynamoDB, which serves one request at a time: a
transaction is checked and applied atomically, as DynamoDB does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from shortlinks.domain.rollups import BucketCounts, BucketKey, Granularity, Retention, Rollup, Scope
from shortlinks.storage.analytics import DynamoRollupStore, plan_transactions
from tests.integration.harness import REGION, SHORT_DOMAIN, TABLE_NAME, embedded_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HOURS = 250  # buckets per batch: three transactions, so deliveries interleave transaction by transaction
RETENTION = Retention()


@pytest.fixture(autouse=True)
def store() -> None:
    """Replaces the integration suite's moto table (and its ``mock_aws``): this module's table is served over
    HTTP, and every test counts clicks of its own link."""


@pytest.fixture(scope="module")
def table() -> Iterator[DynamoDBClient]:
    """The template's table in an embedded DynamoDB."""
    with embedded_table() as client:
        yield client


def container(table: DynamoDBClient) -> DynamoRollupStore:
    """One aggregator container's store: its own botocore client on the embedded table."""
    return DynamoRollupStore(TABLE_NAME, REGION, table.meta.endpoint_url)


def hourly_rollup(link: Scope, clicks_per_hour: int) -> Rollup:
    rollup = Rollup()
    start = datetime(2026, 11, 20, tzinfo=UTC)
    for n in range(HOURS):
        hour = BucketKey.hour_of(start + timedelta(hours=n))
        rollup.buckets[BucketKey(link, Granularity.HOUR, hour)] = BucketCounts(human=clicks_per_hour)
    rollup.buckets[BucketKey(link, Granularity.TOTAL)] = BucketCounts(human=clicks_per_hour * HOURS)
    return rollup


def all_at_once(table: DynamoDBClient, deliveries: list[tuple[str, Rollup]]) -> None:
    """Apply each ``(batch id, rollup)`` from its own container and thread, all released together."""
    start = threading.Barrier(len(deliveries), timeout=30)
    stores = [container(table) for _ in deliveries]
    for each in stores:
        each.warm_up()

    def deliver(store: DynamoRollupStore, batch_id: str, rollup: Rollup) -> None:
        start.wait()
        store.apply(batch_id, rollup, RETENTION)

    with ThreadPoolExecutor(len(deliveries)) as pool:
        futures = [
            pool.submit(deliver, store, batch_id, rollup)
            for store, (batch_id, rollup) in zip(stores, deliveries, strict=True)
        ]
        for future in futures:
            future.result()


def hour_counts(table: DynamoDBClient, link: Scope) -> list[int]:
    items: list[dict[str, Any]] = []
    for page in table.get_paginator("query").paginate(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :hours)",
        ExpressionAttributeValues={":pk": {"S": f"STATS#LINK#{link.domain}#{link.code}"}, ":hours": {"S": "H#"}},
        ConsistentRead=True,
    ):
        items.extend(page["Items"])
    return [int(item["human"]["N"]) for item in items]


def markers(table: DynamoDBClient, batch_id: str) -> list[str]:
    answer = table.query(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"BATCH#{batch_id}"}},
        ConsistentRead=True,
    )
    return sorted(item["sk"]["S"] for item in answer["Items"])


def test_the_same_batch_delivered_to_two_containers_at_once_counts_once(table: DynamoDBClient) -> None:
    # GIVEN one batch of three transactions, delivered twice at the same moment
    link = Scope.link(SHORT_DOMAIN, "same-batch")
    rollup = hourly_rollup(link, clicks_per_hour=1)
    assert len(plan_transactions(rollup, RETENTION)) == 3

    # WHEN two containers apply it together
    all_at_once(table, [("batch-twice", rollup), ("batch-twice", rollup)])

    # THEN neither failed, and every bucket counted the batch once: each transaction was applied by one of them
    assert hour_counts(table, link) == [1] * HOURS
    assert DynamoRollupStore(TABLE_NAME, REGION, table.meta.endpoint_url).total_clicks([link]) == {link: HOURS}
    assert markers(table, "batch-twice") == ["0", "1", "2"]


def test_different_batches_on_the_same_buckets_at_once_are_all_counted(table: DynamoDBClient) -> None:
    # GIVEN two batches that touch the same buckets (one and two clicks an hour)
    link = Scope.link(SHORT_DOMAIN, "two-batches")

    # WHEN two containers apply them together
    all_at_once(table, [("batch-one", hourly_rollup(link, 1)), ("batch-two", hourly_rollup(link, 2))])

    # THEN both were added in full
    assert hour_counts(table, link) == [3] * HOURS
    assert DynamoRollupStore(TABLE_NAME, REGION, table.meta.endpoint_url).total_clicks([link]) == {link: 3 * HOURS}
    assert markers(table, "batch-one") == markers(table, "batch-two") == ["0", "1", "2"]
