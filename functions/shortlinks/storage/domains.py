"""The DynamoDB implementation of the domain's ``DomainRepository``: short domain registrations, and the sweep of a
domain's links that only a (rare, admin-only) removal needs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.constants import NONE
from pynamodb.models import Model

from shortlinks.domain.short_domain import ShortDomain
from shortlinks.domain.target import LinkState
from shortlinks.storage.domain_items import read_domain, read_domains
from shortlinks.storage.failures import CONDITION_FAILED, STORE_FAILURES, failure_code, unavailable
from shortlinks.storage.keys import DOMAINS_PK, LINK_SK, domain_gsi3pk, domain_sk
from shortlinks.storage.models import LinkItem, bind, model_client, raw_table, share_client

# The only attributes a tombstone writes or checks (besides the key): the domains function's IAM allows its
# UpdateItem on links these and no others (template.yaml, dynamodb:Attributes).
TOMBSTONE_ATTRIBUTES = ("state", "version", "updated_at")


class DomainItem(Model):
    """One short domain. ``pk = DOMAINS`` (every domain in one partition), ``sk = DOMAIN#<host>``."""

    class Meta:
        table_name = "unbound"  # replaced by models.bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="domain")
    host = UnicodeAttribute()
    base_url = UnicodeAttribute()
    default_redirect_type = NumberAttribute()
    root_url = UnicodeAttribute(null=True)
    not_found_url = UnicodeAttribute(null=True)
    allowed_keys = UnicodeSetAttribute(null=True)  # absent: every key (an empty set cannot be stored)
    is_default = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class DynamoDomainRepository:
    def __init__(self, table_name: str, region: str, endpoint: str | None = None) -> None:
        self._item = bind(DomainItem, table_name, region, endpoint)
        self._table = (table_name, region, endpoint)

    @cached_property
    def _link(self) -> type[LinkItem]:
        """Links, for a domain's removal only: bound on first use (never on a redirect's cold start), through the
        client ``_item`` uses by then (a function may have joined it to its own with ``share_client``)."""
        link = bind(LinkItem, *self._table)
        share_client(link, self._item)
        return link

    def warm_up(self) -> None:
        """Create the botocore client now (at cold start), not on the first request."""
        model_client(self._item)

    def put(self, domain: ShortDomain) -> None:
        """Create or replace ``domain``. When it is the default, the others stop being default afterwards: a
        reader in between may see two defaults (and takes the first), never none."""
        try:
            self._to_item(domain).save()
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc
        if domain.is_default:
            for other in self.list_all():
                if other.host != domain.host and other.is_default:
                    self._clear_default(other.host)

    def get(self, host: str) -> ShortDomain | None:
        return read_domain(raw_table(self._item), host)

    def list_all(self) -> list[ShortDomain]:
        """Every domain, by host: one ``Query`` of the partition ``DOMAINS`` (the registry's load)."""
        return read_domains(raw_table(self._item))

    def remove(self, host: str) -> None:
        try:
            self._item(DOMAINS_PK, domain_sk(host)).delete()
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def has_links(self, host: str) -> bool:
        """Whether any link (deleted ones included) is on ``host``: one ``Query`` of its gsi3 partition, one key
        read."""
        return next(self._links_on(host, limit=1), None) is not None

    def tombstone_links(self, host: str, now: datetime) -> int:
        """Mark every live link on ``host`` deleted, as ``delete_link`` does (version + 1, ``updated_at``); returns
        how many were marked. Each is one ``UpdateItem`` that needs no read first: it adds 1 to whatever version the
        link has, on the condition that it exists and is not deleted yet, so an edit landing meanwhile is kept (and
        tombstoned with it) and a link deleted meanwhile is not counted. Nothing else of the link is touched."""
        marked = 0
        for pk, state in self._links_on(host):
            if state != LinkState.DELETED.value and self._tombstone(pk, now):
                marked += 1
        return marked

    def _tombstone(self, pk: str, now: datetime) -> bool:
        link = self._link
        try:
            link._get_connection().update_item(
                pk,
                LINK_SK,
                actions=[
                    link.state.set(LinkState.DELETED.value),
                    link.version.set(link.version + 1),
                    link.updated_at.set(_iso(now)),
                ],
                condition=link.pk.exists() & (link.state != LinkState.DELETED.value),
                return_values=NONE,  # the policy allows no other: the link's other attributes are not ours to read
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                return False  # deleted meanwhile
            raise unavailable(exc) from exc
        return True

    def _links_on(self, host: str, limit: int | None = None) -> Iterator[tuple[str, str | None]]:
        """The key and state of every link on ``host``, from gsi3 (eventually consistent: a link created a moment
        ago may be missing, as it would from a listing). Through the client directly: the connection this
        repository shares describes the table as ``DomainItem`` knows it, without the links' indexes."""
        request: dict[str, Any] = {
            "TableName": self._item.Meta.table_name,
            "IndexName": LinkItem.by_domain.Meta.index_name,
            "KeyConditionExpression": "#partition = :partition",
            "ProjectionExpression": "#pk, #state",
            "ExpressionAttributeNames": {"#partition": "gsi3pk", "#pk": "pk", "#state": "state"},
            "ExpressionAttributeValues": {":partition": {"S": domain_gsi3pk(host)}},
        }
        if limit is not None:
            request["Limit"] = limit
        client = model_client(self._item)
        try:
            while True:
                page = client.query(**request)
                for item in page.get("Items", ()):
                    yield item["pk"]["S"], item.get("state", {}).get("S")
                if limit is not None or not page.get("LastEvaluatedKey"):
                    return
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except STORE_FAILURES as exc:
            raise unavailable(exc) from exc

    def _clear_default(self, host: str) -> None:
        try:
            self._item(DOMAINS_PK, domain_sk(host)).update(
                actions=[self._item.is_default.set(False)], condition=self._item.pk.exists()
            )
        except STORE_FAILURES as exc:
            if failure_code(exc) == CONDITION_FAILED:
                return  # removed meanwhile
            raise unavailable(exc) from exc

    def _to_item(self, domain: ShortDomain) -> DomainItem:
        return self._item(
            DOMAINS_PK,
            domain_sk(domain.host),
            host=domain.host,
            base_url=domain.base_url,
            default_redirect_type=domain.default_redirect_type,
            root_url=domain.root_url,
            not_found_url=domain.not_found_url,
            allowed_keys=_key_set(domain.allowed_keys),
            is_default=domain.is_default,
            created_at=_iso(domain.created_at or datetime.now(UTC)),
        )


def load_domains(table_name: str, region: str, endpoint: str | None = None) -> list[ShortDomain]:
    """Every registered domain, read once (a ``DomainRegistry`` ``load``: ``partial(load_domains, ...)``).
    A function that already holds a repository should pass its bound ``list_all`` instead, sharing its client."""
    return DynamoDomainRepository(table_name, region, endpoint).list_all()


def _key_set(allowed_keys: frozenset[str] | None) -> set[str] | None:
    if allowed_keys is None:
        return None
    if not allowed_keys:
        # DynamoDB cannot store an empty set, and leaving it out would mean "every key": refuse, never widen.
        raise ValueError("an empty allowed_keys cannot be stored; the domain service refuses it")
    return set(allowed_keys)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
