"""The DynamoDB implementation of the domain's ``RollupStore`` and ``StatsSource``: click rollups, counted once.

Each bucket is one item in its scope's partition (``storage/keys.py``): ``H#<hour>``, ``D#<day>`` and ``TOTAL``
hold top-level numbers (``human``, ``bots``, ``previews``, ``misses``, ``<breakdown>:<value>``, ``link:<domain>/
<code>``), each added to with ``ADD``. ``D#<day>#V<hex>`` holds a sixteenth of a link's visitor ids for the day, as
the string set ``ids``: adding an id that is already there changes nothing, so a visitor is never counted twice.
The visitor shards sort between their day's bucket and the next day's, so one ``Query`` reads a range of days
together with their visitors.

Exactly once: a batch's updates, sorted by key so that every delivery of the batch splits them the same way, go in
transactions of at most ``MAX_UPDATES_PER_TRANSACTION`` updates and one marker ``Put`` (``pk = BATCH#<batch id>``,
``sk`` the transaction's index, condition ``attribute_not_exists(pk)``). A delivery that finds a transaction's marker
already there skips that transaction: an earlier delivery applied it, whole.

Attribute names here are data (referrer hosts, countries, links), which pynamodb's expressions cannot name, so the
store sends raw requests through its bound model's botocore client (budgeted, and shared like any model's).
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from shortlinks.domain.errors import StorageUnavailable
from shortlinks.domain.rollups import (
    BREAKDOWNS,
    BucketCounts,
    BucketKey,
    Granularity,
    Retention,
    Rollup,
    Scope,
    ScopeKind,
)
from shortlinks.domain.target import utc_now
from shortlinks.storage import budget
from shortlinks.storage.failures import (
    RETRY_AFTER_THROTTLED_SECONDS,
    STORE_FAILURES,
    THROTTLED,
    cancellation_codes,
    failure_code,
    unavailable,
)
from shortlinks.storage.keys import (
    DAY_SK_PREFIX,
    HOUR_SK_PREFIX,
    STATS_TOTAL_SK,
    VISITOR_SHARD_MARK,
    batch_chunk_sk,
    batch_pk,
    day_bucket_sk,
    day_range_last_sk,
    hour_bucket_sk,
    stats_pk,
    visitor_shard_sk,
)
from shortlinks.storage.models import bind_shared, model_client

MAX_UPDATES_PER_TRANSACTION = 99  # DynamoDB allows 100 actions per transaction; one is the batch's marker
MAX_ADDS_PER_UPDATE = 100  # keeps each UpdateExpression far below DynamoDB's 4 KB (``#a99 :v99, `` is 11 bytes)
# Longer than anything can come back: CloudWatch Logs redelivers within hours, and the failure queue keeps a batch
# 14 days for a replay, which must find the markers of the transactions that did land.
MARKER_SECONDS = 15 * 86_400
TRANSACTION_ATTEMPTS = 4  # per transaction, on conflicts and throttling (each call also has the budget's retries)
BATCH_GET_ATTEMPTS = 5  # calls per BatchGetItem of at most 100 keys, while DynamoDB leaves keys unprocessed
BACKOFF_BASE_SECONDS = 0.05  # full jitter: attempt n waits up to 0.05 * 2**n s
BATCH_GET_LIMIT = 100

COUNTERS = ("human", "bots", "previews", "misses")
LINK_PREFIX = "link:"  # owner day buckets: clicks per link, ``link:<domain>/<code>``
VISITOR_IDS = "ids"
TTL = "ttl"

# Why a transaction was cancelled, when waiting a moment may let it through.
_TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
_TRANSIENT_CODES = THROTTLED | {"TransactionConflictException", "TransactionInProgressException"}
_MARKER_EXISTS = "ConditionalCheckFailed"


class StatsItem(Model):
    """Binds the store to the table and gives it a botocore client; the items themselves are sent as raw
    attribute values (their attribute names are data)."""

    class Meta:
        table_name = "unbound"  # replaced by models.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


@dataclass(frozen=True, slots=True)
class ItemUpdate:
    """One ``Update`` of a transaction: numbers to ``ADD``, visitor ids to ``ADD`` to ``ids``, ``ttl`` to ``SET``."""

    pk: str
    sk: str
    adds: tuple[tuple[str, int], ...] = ()
    ids: tuple[str, ...] = ()
    ttl: int | None = None

    def action(self, table_name: str) -> dict[str, Any]:
        """The ``TransactItems`` entry; attribute names go through ``#a<n>`` placeholders, whatever they hold."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        additions: list[str] = []
        for index, (attribute, amount) in enumerate(self.adds):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = {"N": str(amount)}
            additions.append(f"#a{index} :v{index}")
        if self.ids:
            names["#ids"] = VISITOR_IDS
            values[":ids"] = {"SS": list(self.ids)}
            additions.append("#ids :ids")
        expression = "ADD " + ", ".join(additions)
        if self.ttl is not None:
            names["#ttl"] = TTL
            values[":ttl"] = {"N": str(self.ttl)}
            expression = f"SET #ttl = :ttl {expression}"
        return {
            "Update": {
                "TableName": table_name,
                "Key": {"pk": {"S": self.pk}, "sk": {"S": self.sk}},
                "UpdateExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }


def plan_transactions(rollup: Rollup, retention: Retention) -> list[list[ItemUpdate]]:
    """The updates ``rollup`` makes, in the transactions ``apply`` sends them in (a marker ``Put`` is added to each).

    Deterministic: the same rollup always gives the same transactions, which is what lets a transaction's index
    stand for its content in the batch's markers. A transaction never updates one item twice (DynamoDB refuses
    that), so an item with more than ``MAX_ADDS_PER_UPDATE`` numbers spreads over consecutive transactions."""
    transactions: list[list[ItemUpdate]] = []
    items_in_last: set[tuple[str, str]] = set()
    for update in _updates(rollup, retention):
        item = (update.pk, update.sk)
        if not transactions or len(transactions[-1]) == MAX_UPDATES_PER_TRANSACTION or item in items_in_last:
            transactions.append([])
            items_in_last = set()
        transactions[-1].append(update)
        items_in_last.add(item)
    return transactions


class DynamoRollupStore:
    """Rollups written exactly once per batch (``apply``), and read back for statistics (``buckets``,
    ``total_clicks``)."""

    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint: str | None = None,
        *,
        share_with: Any = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._item = bind_shared(StatsItem, table_name, region, endpoint, share_with)
        self._table = table_name
        self._clock = clock

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first batch."""
        self._client()

    def apply(self, batch_id: str, rollup: Rollup, retention: Retention) -> None:
        marker_ttl = int(self._clock().timestamp()) + MARKER_SECONDS
        for index, updates in enumerate(plan_transactions(rollup, retention)):
            marker = {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": batch_pk(batch_id)},
                        "sk": {"S": batch_chunk_sk(index)},
                        TTL: {"N": str(marker_ttl)},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            self._transact([marker, *(update.action(self._table) for update in updates)])

    def buckets(self, scope: Scope, granularity: Granularity, first: str, last: str) -> dict[str, BucketCounts]:
        """One ``Query`` (paginated past 1 MB): for a link's days, the range also holds their visitor shards."""
        if granularity is Granularity.HOUR:
            low, high = hour_bucket_sk(first), hour_bucket_sk(last)
        elif granularity is Granularity.DAY:
            low, high = day_bucket_sk(first), day_range_last_sk(last)
        else:
            low = high = STATS_TOTAL_SK
        if low > high:
            return {}
        found: dict[str, BucketCounts] = {}
        visitors: Counter[str] = Counter()
        for item in self._query(stats_pk(scope), low, high):
            sk: str = item["sk"]["S"]
            if VISITOR_SHARD_MARK in sk:
                day = sk.removeprefix(DAY_SK_PREFIX).partition(VISITOR_SHARD_MARK)[0]
                visitors[day] += len(item.get(VISITOR_IDS, {}).get("SS", ()))
            else:
                found[_start_of(sk)] = _counts(item)
        if scope.kind is ScopeKind.LINK and granularity is Granularity.DAY:
            for day, counts in found.items():
                counts.unique_visitors = visitors[day]
        return found

    def total_clicks(self, links: Sequence[Scope]) -> dict[Scope, int]:
        """``BatchGetItem`` of each link's ``TOTAL`` item, 100 keys a call; every link asked for is in the answer."""
        totals = dict.fromkeys(links, 0)
        scopes_of: defaultdict[str, list[Scope]] = defaultdict(list)
        for link in totals:
            scopes_of[stats_pk(link)].append(link)
        keys = [{"pk": {"S": pk}, "sk": {"S": STATS_TOTAL_SK}} for pk in scopes_of]
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            for item in self._batch_get(keys[start : start + BATCH_GET_LIMIT]):
                clicks = _number(item, "human") + _number(item, "bots")
                for link in scopes_of[item["pk"]["S"]]:
                    totals[link] = clicks
        return totals

    def _client(self) -> Any:
        return model_client(self._item)

    def _transact(self, actions: list[dict[str, Any]]) -> None:
        """One transaction (the marker first), retried on conflicts and throttling while the budget allows."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self._client().transact_write_items(TransactItems=actions)
                return
            except STORE_FAILURES as exc:
                reasons = _cancellation_reasons(exc)
                if reasons[:1] == [_MARKER_EXISTS]:
                    return  # an earlier delivery of the batch applied this transaction
                delay = _backoff(attempt)
                if not _transient(exc, reasons) or attempt >= TRANSACTION_ATTEMPTS or not _time_for(delay):
                    raise unavailable(exc) from exc
            time.sleep(delay)

    def _query(self, pk: str, low: str, high: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk"},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        }
        items: list[dict[str, Any]] = []
        try:
            while True:
                page = self._client().query(**request)
                items.extend(page.get("Items", ()))
                if not page.get("LastEvaluatedKey"):
                    return items
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            self._table: {
                "Keys": keys,
                "ProjectionExpression": "#pk, #human, #bots",
                "ExpressionAttributeNames": {"#pk": "pk", "#human": "human", "#bots": "bots"},
            }
        }
        items: list[dict[str, Any]] = []
        for attempt in range(1, BATCH_GET_ATTEMPTS + 1):
            try:
                answer = self._client().batch_get_item(RequestItems=request)
            except STORE_FAILURES as exc:
                raise unavailable(exc) from exc
            items.extend(answer.get("Responses", {}).get(self._table, ()))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
            delay = _backoff(attempt)
            if attempt == BATCH_GET_ATTEMPTS or not _time_for(delay):
                break
            time.sleep(delay)
        raise StorageUnavailable.because("UnprocessedKeys", retry_after=RETRY_AFTER_THROTTLED_SECONDS)


def _updates(rollup: Rollup, retention: Retention) -> list[ItemUpdate]:
    """Every item's increments (buckets that share an item are merged), sorted by key, each item's numbers split
    into updates of at most ``MAX_ADDS_PER_UPDATE``."""
    numbers: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    visitors: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    expiry: dict[tuple[str, str], int | None] = {}
    for key, counts in rollup.buckets.items():
        pk = stats_pk(key.scope)
        item = (pk, _bucket_sk(key))
        ttl = _expiry(key, retention)
        expiry[item] = ttl
        increments = numbers[item]
        for counter in COUNTERS:
            increments[counter] += getattr(counts, counter)
        for breakdown, values in counts.breakdowns.items():
            for value, clicks in values.items():
                increments[f"{breakdown}:{value}"] += clicks
        for link, clicks in counts.links.items():
            increments[f"{LINK_PREFIX}{link}"] += clicks
        if key.granularity is Granularity.DAY:
            for visitor in filter(None, counts.visitors):
                shard = (pk, visitor_shard_sk(key.start, visitor))
                visitors[shard].add(visitor)
                expiry[shard] = ttl  # kept as long as the day's bucket, whose unique visitors they are
    updates: list[ItemUpdate] = []
    for pk, sk in sorted(expiry):
        ttl = expiry[pk, sk]
        adds = sorted((name, amount) for name, amount in numbers.get((pk, sk), Counter()).items() if amount)
        for start in range(0, len(adds), MAX_ADDS_PER_UPDATE):
            updates.append(ItemUpdate(pk, sk, adds=tuple(adds[start : start + MAX_ADDS_PER_UPDATE]), ttl=ttl))
        if (pk, sk) in visitors:
            updates.append(ItemUpdate(pk, sk, ids=tuple(sorted(visitors[pk, sk])), ttl=ttl))
    return updates


def _bucket_sk(key: BucketKey) -> str:
    if key.granularity is Granularity.HOUR:
        return hour_bucket_sk(key.start)
    if key.granularity is Granularity.DAY:
        return day_bucket_sk(key.start)
    return STATS_TOTAL_SK


def _expiry(key: BucketKey, retention: Retention) -> int | None:
    """The bucket's ``ttl``: its start + the retention of its granularity; all-time totals are kept."""
    if key.granularity is Granularity.HOUR:
        start = datetime.strptime(key.start, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        return int((start + timedelta(days=retention.hourly_days)).timestamp())
    if key.granularity is Granularity.DAY:
        day = datetime.combine(date.fromisoformat(key.start), datetime.min.time(), tzinfo=UTC)
        return int((day + timedelta(days=retention.daily_days)).timestamp())
    return None


def _start_of(sk: str) -> str:
    """A bucket's start from its ``sk`` (``""`` for ``TOTAL``)."""
    for prefix in (HOUR_SK_PREFIX, DAY_SK_PREFIX):
        if sk.startswith(prefix):
            return sk.removeprefix(prefix)
    return ""


def _counts(item: dict[str, Any]) -> BucketCounts:
    counts = BucketCounts()
    for name, value in item.items():
        number = value.get("N") if isinstance(value, dict) else None
        if number is None or name == TTL:
            continue
        amount = int(number)
        if name in COUNTERS:
            setattr(counts, name, amount)
        elif name.startswith(LINK_PREFIX):
            counts.links[name.removeprefix(LINK_PREFIX)] = amount
        else:
            breakdown, colon, breakdown_value = name.partition(":")
            if colon and breakdown in BREAKDOWNS:
                counts.breakdowns.setdefault(breakdown, Counter())[breakdown_value] = amount
    return counts


def _number(item: dict[str, Any], name: str) -> int:
    return int(item.get(name, {}).get("N", 0))


def _cancellation_reasons(error: BaseException) -> list[str]:
    """The per-action reasons of a cancelled transaction, in the order of its actions (botocore puts them in the
    error response, pynamodb on its own exception)."""
    response = getattr(error, "response", None)
    reasons = response.get("CancellationReasons") if isinstance(response, dict) else None
    if isinstance(reasons, list):
        return [str(reason.get("Code", "None")) if isinstance(reason, dict) else "None" for reason in reasons]
    return cancellation_codes(error)


def _transient(error: BaseException, reasons: list[str]) -> bool:
    return failure_code(error) in _TRANSIENT_CODES or any(reason in _TRANSIENT_REASONS for reason in reasons)


def _backoff(attempt: int) -> float:
    return random.uniform(0, BACKOFF_BASE_SECONDS * 2**attempt)  # noqa: S311 - jitter, not a secret


def _time_for(delay: float) -> bool:
    """Whether the budget leaves room for another attempt after waiting ``delay``."""
    return budget.remaining_seconds() - delay >= budget.CONNECT_TIMEOUT_SECONDS
