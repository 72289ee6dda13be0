"""The DynamoDB implementation of the domain's ``LinkRepository`` and ``RateLimiter``."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist

from shortlinks.domain.errors import CodeTaken, EditConflict, InvalidCursor, RateLimited
from shortlinks.domain.links import UTM_FIELDS, HistoryEntry, Link, Utm
from shortlinks.domain.repository import LinkPage, LinkQuery
from shortlinks.domain.target import LinkState, LinkStatus, Target
from shortlinks.storage.batch import batch_get
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, cancellation_codes, failure_code, unavailable
from shortlinks.storage.keys import (
    HISTORY_PREFIX,
    LINK_SK,
    domain_gsi3pk,
    domain_gsi3sk,
    history_sk,
    link_pk,
    owner_gsi1pk,
    owner_gsi1sk,
    rate_pk,
    url_gsi2pk,
)
from shortlinks.storage.models import LinkItem, bind, bind_shared, model_client, raw_table, share_client
from shortlinks.storage.records import HistoryItem, RateItem


class DynamoLinkRepository:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(LinkItem, table_name, region, endpoint)
        self._history = bind(HistoryItem, table_name, region, endpoint)
        # One botocore client per container: every model on this table (and transactions) shares the link
        # model's connection, because each pynamodb connection would otherwise build its own client (~60 ms).
        share_client(self._history, self._item)

    def botocore_client(self) -> Any:
        """The container's one botocore client (built on the first call: the handlers make it at cold start), under
        the invocation's budget, for what sends its own DynamoDB requests (the domain registry's load, Powertools'
        idempotency layer): a second client would cost its own ~60 ms to build."""
        return model_client(self._item)

    def add(self, link: Link) -> None:
        try:
            self._to_item(link).save(condition=self._item.pk.does_not_exist())
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                raise CodeTaken.alias(link.code) from None
            raise unavailable(exc) from exc

    def get(self, domain: str, code: str, *, consistent: bool = False) -> Link | None:
        try:
            item = self._item.get(link_pk(domain, code), LINK_SK, consistent_read=consistent)
        except DoesNotExist:
            return None
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        return _link(item)

    def get_target(self, domain: str, code: str) -> Target | None:
        from shortlinks.storage.targets import read_target  # the redirect's read: expand's, never create's

        return read_target(raw_table(self._item), domain, code)

    def replace(self, link: Link, expected_version: int, history: HistoryEntry | None = None) -> None:
        item = self._to_item(link)
        still_ours = self._item.version == expected_version
        try:
            if history is None:
                item.save(condition=still_ours)
                return
            record = self._history(
                link_pk(link.domain, link.code),
                history_sk(_iso(history.changed_at), history.version),
                changed_at=_iso(history.changed_at),
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
        found = {raw["pk"]["S"]: raw for raw in batch_get(self._item._get_connection(), keys)} if keys else {}
        # A key whose item is gone (removed by hand since the index saw it) is left out.
        links = [_link(self._item.from_raw_data(found[key["pk"]["S"]])) for key in keys if key["pk"]["S"] in found]
        return LinkPage(links, _encode_cursor(results.last_evaluated_key))

    def find_by_url(self, owner: str, domain: str, url: str, utm: Utm | None = None) -> list[Link]:
        partition = url_gsi2pk(owner, domain, url, _tagging(utm))
        try:
            items = self._item.by_url.query(partition, scan_index_forward=False, limit=20)
            return [link for link in (_link(item) for item in items) if link.target.url == url and link.utm == utm]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def _connection(self) -> Connection:
        connection: Connection = self._item._get_connection().connection
        return connection

    def _to_item(self, link: Link) -> LinkItem:
        created = _iso(link.created_at)
        owned: dict[str, Any] = {}
        if link.owner is not None:
            owned = {
                "gsi1pk": owner_gsi1pk(link.owner),
                "gsi1sk": owner_gsi1sk(created, link.domain, link.code),
                "gsi2pk": url_gsi2pk(link.owner, link.domain, link.target.url, _tagging(link.utm)),
                "gsi2sk": created,
            }
        return self._item(
            link_pk(link.domain, link.code),
            LINK_SK,
            domain=link.domain,
            code=link.code,
            url=link.target.url,
            redirect_type=link.target.redirect_type,
            forward_query=link.target.forward_query,
            expires_at=_iso(link.target.expires_at) if link.target.expires_at else None,
            created_at=created,
            title=link.title,
            owner=link.owner,
            state=link.target.state.value,
            tags=set(link.tags) or None,
            version=link.version,
            updated_at=_iso(link.updated_at) if link.updated_at else None,
            utm={name: value for name in UTM_FIELDS if (value := getattr(link.utm, name)) is not None}
            if link.utm
            else None,
            destination=link.target.tagged_url,
            gsi3pk=domain_gsi3pk(link.domain),
            gsi3sk=domain_gsi3sk(created, link.code),
            **owned,
        )


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
        self._item = bind_shared(RateItem, table_name, region, endpoint, share_with)

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
        counter = self._item(rate_pk(key_id), str(window))
        try:
            counter.update(
                actions=[self._item.hits.add(1), self._item.ttl.set(window + 3600)],
                condition=self._item.hits.does_not_exist() | (self._item.hits < limit),
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                raise refusal(limit, max(1, window + 60 - epoch)) from None
            raise unavailable(exc) from exc


def _filter(model: type[LinkItem], query: LinkQuery) -> Any:
    now = _iso(query.now or datetime.now(UTC))
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
    return Link(
        domain=item.domain,
        code=item.code,
        target=Target(
            url=item.url,
            redirect_type=int(item.redirect_type),
            forward_query=bool(item.forward_query),
            expires_at=datetime.fromisoformat(item.expires_at) if item.expires_at else None,
            state=LinkState(item.state or "active"),
            tagged_url=item.destination,
        ),
        created_at=datetime.fromisoformat(item.created_at),
        title=item.title,
        owner=item.owner,
        tags=tuple(sorted(item.tags or ())),
        version=int(item.version or 1),
        updated_at=datetime.fromisoformat(item.updated_at) if item.updated_at else None,
        utm=_utm(item.utm),
    )


def _utm(stored: Any) -> Utm | None:
    """The ``utm`` map as stored (pynamodb hands back a raw ``MapAttribute``), or ``None``."""
    if stored is None:
        return None
    fields = stored.as_dict()
    return Utm(**{name: str(fields[name]) for name in UTM_FIELDS if fields.get(name) is not None})


def _tagging(utm: Utm | None) -> str:
    """A link's UTM fields as part of its reuse key (``storage.keys.url_gsi2pk``)."""
    return json.dumps(utm.parameters(), separators=(",", ":")) if utm else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["DynamoLinkRepository", "DynamoRateLimiter", "HistoryItem", "RateItem"]
