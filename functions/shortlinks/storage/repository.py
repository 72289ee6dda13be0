"""The DynamoDB implementation of the domain's ``LinkRepository`` and ``RateLimiter``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from shortlinks.domain.errors import CodeTaken, EditConflict, InvalidCursor, RateLimited
from shortlinks.domain.links import HistoryEntry, Link, Utm
from shortlinks.domain.repository import LinkPage, LinkQuery
from shortlinks.domain.target import LinkState, LinkStatus, Target
from shortlinks.storage.batch import batch_get
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, cancellation_codes, failure_code, unavailable
from shortlinks.storage.keys import (
    HISTORY_PREFIX,
    domain_gsi3pk,
    history_sk,
    link_pk,
    owner_gsi1pk,
    rate_pk,
    url_gsi2pk,
)
from shortlinks.storage.link_items import item_of, link_of, read_link, stored_time, tagging
from shortlinks.storage.raw import RawTable, dynamodb_client, string_key

if TYPE_CHECKING:
    from pynamodb.connection import Connection

    from shortlinks.storage.models import LinkItem
    from shortlinks.storage.records import HistoryItem

# pynamodb (its models, attributes, expressions and connection: about 10 ms of a cold start) is imported by the
# first write or query, not at cold start: a link's read goes through the bare client (storage/link_items.py), so
# GET /v1/links/{code} and expanding our own links never load it (docs/benchmarks.md, issue 13).


class DynamoLinkRepository:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._binding = (table_name, region, endpoint)
        # One botocore client per container, built now (at cold start): reads send through it directly, and every
        # pynamodb model on this table (and transactions) adopts it, as each pynamodb connection would otherwise
        # build its own client (~60 ms).
        self._table = RawTable(dynamodb_client(region, endpoint), table_name)

    @cached_property
    def _item(self) -> type[LinkItem]:
        """The link model bound to the table, sending through the container's client (on first write or query)."""
        from shortlinks.storage.models import LinkItem, adopt_client, bind

        item = bind(LinkItem, *self._binding)
        adopt_client(item, self._table.client)
        return item

    @cached_property
    def _history(self) -> type[HistoryItem]:
        from shortlinks.storage.models import bind, share_client
        from shortlinks.storage.records import HistoryItem

        history = bind(HistoryItem, *self._binding)
        share_client(history, self._item)
        return history

    def botocore_client(self) -> Any:
        """The container's one botocore client (under the invocation's budget), for what sends its own DynamoDB
        requests (the domain registry's load, Powertools' idempotency layer): a second client would cost its own
        ~60 ms to build."""
        return self._table.client

    def add(self, link: Link) -> None:
        if not self._table.put_new(item_of(link)):  # a conditional PutItem through the bare client: no pynamodb
            raise CodeTaken.alias(link.code)

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        return read_link(self._table, domain, code, consistent=consistent)

    def get_target(self, domain: str, code: str) -> Target | None:
        from shortlinks.storage.targets import read_target  # the redirect's read: expand's, never create's

        return read_target(self._table, domain, code)

    def replace(self, link: Link, expected_version: int, history: HistoryEntry | None = None) -> None:
        item = self._to_item(link)
        still_ours = self._item.version == expected_version
        try:
            if history is None:
                item.save(condition=still_ours)
                return
            record = self._history(
                link_pk(link.domain, link.code),
                history_sk(stored_time(history.changed_at), history.version),
                changed_at=stored_time(history.changed_at),
                changed_by=history.changed_by,
                old_url=history.old_url,
                new_url=history.new_url,
                version=history.version,
            )
            from pynamodb.transactions import TransactWrite  # only an edit that keeps history writes one

            with TransactWrite(connection=self._connection()) as transaction:
                transaction.save(item, condition=still_ours)
                transaction.save(record, condition=self._history.pk.does_not_exist())
        except STORE_FAILURES as exc:
            code = failure_code(exc)
            if code == CONDITION_FAILED or (
                code == "TransactionCanceledException" and "ConditionalCheckFailed" in cancellation_codes(exc)
            ):
                raise EditConflict.on(link.code) from None
            raise unavailable(exc) from exc

    def history(self, domain: str, code: str) -> list[HistoryEntry]:
        try:
            items = list(
                self._history.query(
                    link_pk(domain, code),
                    self._history.sk.startswith(HISTORY_PREFIX),
                    scan_index_forward=False,
                    limit=1000,
                )
            )
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        return [
            HistoryEntry(
                changed_at=datetime.fromisoformat(item.changed_at),
                changed_by=item.changed_by,
                old_url=item.old_url,
                new_url=item.new_url,
                version=int(item.version),
            )
            for item in items
        ]

    def find(self, query: LinkQuery) -> LinkPage:
        if query.owner is None:
            return self._find_on_domain(query)
        start = _decode_cursor(query.cursor, "gsi1pk", owner_gsi1pk(query.owner))
        try:
            results = self._item.by_owner.query(
                owner_gsi1pk(query.owner),
                filter_condition=_filter(self._item, query),
                scan_index_forward=False,
                limit=query.limit,
                page_size=query.limit,
                last_evaluated_key=start,
            )
            links = [_link(item) for item in results]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        return LinkPage(links, _encode_cursor(results.last_evaluated_key))

    def _find_on_domain(self, query: LinkQuery) -> LinkPage:
        """Every owner's links on one domain: a page of keys from gsi3 (which projects what the filters read), then
        the links themselves in one ``BatchGetItem``, in the index's order."""
        if query.domain is None:
            raise ValueError("a listing of every owner's links names its domain")
        partition = domain_gsi3pk(query.domain)
        start = _decode_cursor(query.cursor, "gsi3pk", partition)
        try:
            results = self._item.by_domain.query(
                partition,
                filter_condition=_filter(self._item, query),
                scan_index_forward=False,
                limit=query.limit,
                page_size=query.limit,
                last_evaluated_key=start,
            )
            keys = [{"pk": {"S": item.pk}, "sk": {"S": item.sk}} for item in results]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        found = {raw["pk"]["S"]: raw for raw in batch_get(self._table, keys)} if keys else {}
        # A key whose item is gone (removed by hand since the index saw it) is left out.
        links = [link_of(found[key["pk"]["S"]]) for key in keys if key["pk"]["S"] in found]
        return LinkPage(links, _encode_cursor(results.last_evaluated_key))

    def find_by_url(self, owner: str, domain: str, url: str, utm: Utm | None = None) -> list[Link]:
        partition = url_gsi2pk(owner, domain, url, tagging(utm))
        try:
            items = self._item.by_url.query(partition, scan_index_forward=False, limit=20)
            return [link for link in (_link(item) for item in items) if link.target.url == url and link.utm == utm]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def _connection(self) -> Connection:
        connection: Connection = self._item._get_connection().connection
        return connection

    def _to_item(self, link: Link) -> LinkItem:
        return self._item.from_raw_data(item_of(link))


class DynamoRateLimiter:
    """Fixed one-minute windows counted with a conditional ``ADD``: one write per creation, atomic under load."""

    def __init__(
        self,
        table_name: str,
        region: str,
        endpoint: str | None = None,
        *,
        share_with: DynamoLinkRepository | None = None,
    ) -> None:
        client = share_with.botocore_client() if share_with is not None else dynamodb_client(region, endpoint)
        self._table = RawTable(client, table_name)

    def hit(
        self,
        key_id: str,
        limit: int,
        now: datetime,
        refusal: Callable[[int, int], RateLimited] = RateLimited.creating,
    ) -> None:
        """Count one use by ``key_id`` in the current minute; ``refusal(limit, retry_after)`` once over ``limit``."""
        epoch = int(now.timestamp())
        window = epoch - epoch % 60
        try:
            self._table.client.update_item(
                TableName=self._table.table_name,
                Key=string_key(rate_pk(key_id), str(window)),
                UpdateExpression="ADD hits :one SET #ttl = :expires",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeNames={"#ttl": "ttl"},  # a reserved word
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":expires": {"N": str(window + 3600)},
                    ":limit": {"N": str(limit)},
                },
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                raise refusal(limit, max(1, window + 60 - epoch)) from None
            raise unavailable(exc) from exc


def _filter(model: type[LinkItem], query: LinkQuery) -> Any:
    now = stored_time(query.now or datetime.now(UTC))
    condition: Any
    if query.status is None:
        condition = model.state != LinkState.DELETED.value
    elif query.status is LinkStatus.ACTIVE:
        condition = (model.state == "active") & (model.expires_at.does_not_exist() | (model.expires_at > now))
    elif query.status is LinkStatus.EXPIRED:
        condition = (model.state == "active") & model.expires_at.exists() & (model.expires_at <= now)
    else:
        condition = model.state == query.status.value
    if query.tag is not None:
        condition = condition & model.tags.contains(query.tag)
    return condition


def _encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None, index_pk: str, partition: str) -> dict[str, Any] | None:
    """Only a cursor of this listing is accepted: the keys of a link in the index partition being listed (an owner's
    in gsi1, a domain's in gsi3), as strings."""
    if cursor is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidCursor.given() from None
    index_sk = index_pk.removesuffix("pk") + "sk"
    if not isinstance(decoded, dict) or set(decoded) != {"pk", "sk", index_pk, index_sk}:
        raise InvalidCursor.given()
    if not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in decoded.values()):
        raise InvalidCursor.given()
    if decoded[index_pk]["S"] != partition:
        raise InvalidCursor.given()
    return decoded


def _link(item: LinkItem) -> Link:
    return link_of(item.serialize())


__all__ = ["DynamoLinkRepository", "DynamoRateLimiter"]
