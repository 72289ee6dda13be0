"""pynamodb item models. ``Meta.table_name`` is read when a class is defined, so models are bound lazily."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from shortlinks.storage import budget
from shortlinks.storage.raw import RawTable


class Gsi1Index(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """gsi1: an owner's links newest first (``OWNER#<key_id>``), and every API key (``APIKEYS``)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


# What reuse reads of a link found through gsi2: the whole link it answers with (storage.repository._link), never
# the entity marker or the gsi1 keys. template.yaml projects exactly these (tests/integration/test_table_schema.py).
REUSE_ATTRIBUTES = (
    "domain",
    "code",
    "url",
    "redirect_type",
    "forward_query",
    "expires_at",
    "created_at",
    "title",
    "owner",
    "state",
    "tags",
    "version",
    "updated_at",
    "utm",
    "destination",
)
# What a domain's listing filters on (status, tag) and a domain's removal needs (which links are live): the rest of
# a listed link is read by key.
DOMAIN_LISTING_ATTRIBUTES = ("state", "expires_at", "tags")


class _UrlIndex(GlobalSecondaryIndex["LinkItem"]):  # type: ignore[no-untyped-call]
    """gsi2: an owner's links to one destination (``reuse``)."""

    class Meta:
        index_name = "gsi2"
        projection = IncludeProjection(list(REUSE_ATTRIBUTES))

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _DomainIndex(GlobalSecondaryIndex["LinkItem"]):  # type: ignore[no-untyped-call]
    """gsi3: every link on one domain, newest first (an admin's ``owner=*`` listing, a domain's removal)."""

    class Meta:
        index_name = "gsi3"
        projection = IncludeProjection(list(DOMAIN_LISTING_ATTRIBUTES))

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class LinkItem(Model):
    """One link. ``pk = LINK#<domain>#<code>``, ``sk = LINK``; every link carries the gsi3 keys, owned links also the
    gsi1/gsi2 keys."""

    class Meta:
        table_name = "unbound"  # replaced by bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    entity = UnicodeAttribute(default="link")
    domain = UnicodeAttribute()
    code = UnicodeAttribute()
    url = UnicodeAttribute()
    redirect_type = NumberAttribute()
    forward_query = BooleanAttribute()
    expires_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    state = UnicodeAttribute(default="active")
    tags = UnicodeSetAttribute(null=True)
    version = NumberAttribute(default=1)
    updated_at = UnicodeAttribute(null=True)
    # UTM tagging (a map of field -> value) and the tagged URL the redirect sends visitors to; absent without it.
    utm = MapAttribute[str, str](null=True)  # type: ignore[no-untyped-call]
    destination = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi3sk = UnicodeAttribute(null=True)
    # pynamodb copies each index onto every subclass, so each bound class queries its own table.
    by_owner = Gsi1Index()
    by_url = _UrlIndex()
    by_domain = _DomainIndex()


def bound_meta(table_name: str, region: str, host: str | None) -> type:
    """A model ``Meta`` bound to one table. Timeouts and retries are the invocation's budget's (storage.budget):
    one attempt per botocore call, which the budget's own policy retries while time is left."""
    return type(
        "Meta",
        (),
        {
            "table_name": table_name,
            "region": region,
            "host": host,
            "connect_timeout_seconds": budget.CONNECT_TIMEOUT_SECONDS,
            "read_timeout_seconds": budget.DEFAULT_SECONDS,  # each attempt's own comes from the budget
            "max_retry_attempts": 0,
        },
    )


class BudgetedConnection(Connection):
    """pynamodb's connection, whose botocore client answers to the invocation's time budget."""

    @property
    def client(self) -> Any:
        return budget.install(super().client)


def _budgeted_connection(cls: type[Model]) -> TableConnection:
    table: TableConnection = super(cls, cls)._get_connection()  # type: ignore[misc]
    if type(table.connection) is Connection:
        table.connection.__class__ = BudgetedConnection  # built by pynamodb; same state, budgeted client
    return table


def bind[M: Model](model: type[M], table_name: str, region: str, host: str | None) -> type[M]:
    """``model`` bound to one table. Each bound class has its own connection unless ``share_client`` joins it
    to another's (storage.repository)."""
    namespace = {
        "Meta": bound_meta(table_name, region, host),
        "__module__": __name__,
        "_get_connection": classmethod(_budgeted_connection),
    }
    bound: type[M] = type(f"Bound{model.__name__}", (model,), namespace)
    return bound


def bind_shared[M: Model](
    model: type[M], table_name: str, region: str, host: str | None, share_with: object | None
) -> type[M]:
    """``bind``, then send through the client of ``share_with`` (an adapter holding a bound model in ``_item``), if
    given: one botocore client per container, whichever adapters the function builds."""
    bound = bind(model, table_name, region, host)
    owner = getattr(share_with, "_item", None)
    if owner is not None:
        share_client(bound, owner)
    return bound


def share_client(model: type[Model], owner: type[Model]) -> None:
    """Make ``model`` send its requests through ``owner``'s botocore client (same table, same credentials)."""
    model._get_connection().connection = owner._get_connection().connection


def adopt_client(model: type[Model], client: Any) -> None:
    """Make ``model`` send through ``client``, a budgeted botocore client built without pynamodb (storage/raw.py
    ``dynamodb_client``, configured as pynamodb configures its own): the function's one client, whichever of its
    requests go through pynamodb."""
    model._get_connection().connection._client = client


def model_client(model: type[Model]) -> Any:
    """The botocore client ``model`` sends with (budgeted: ``BudgetedConnection``), built on first use."""
    return model._get_connection().connection.client


def raw_table(model: type[Model]) -> RawTable:
    """The table ``model`` is bound to, through the same botocore client, for the requests written out in
    storage/raw.py (the ones the redirect sends too)."""
    return RawTable(model_client(model), model.Meta.table_name)
